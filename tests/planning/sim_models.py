"""Small simulation models for the planning tests, written as the flows they are."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import civicflow.planning as planning
from civicflow.planning import Distribution, ResourcePool, SimulationModel

START = datetime(2025, 1, 6, tzinfo=UTC)  # a Monday


def flow_model(
    flow: dict[str, dict[str, float]],
    *,
    mean_gap: float,
    durations: dict[str, Distribution],
    pools: dict[str, ResourcePool] | None = None,
    staffed: dict[str, str] | None = None,
    fixed_costs: dict[str, float] | None = None,
    **fields: Any,
) -> SimulationModel:
    """A model whose first activity is the first key of ``flow``; ``staffed`` maps an activity
    to its pool; ``fields`` go to the model as they are (name, arrivals' profile, ...)."""
    staffed = staffed or {}
    arrivals = fields.pop("arrivals", None) or planning.ArrivalModel(
        interarrival=Distribution.exponential(mean_gap)
    )
    return planning.SimulationModel(
        start=fields.pop("start", START),
        arrivals=arrivals,
        control_flow=planning.ControlFlow(
            start={next(iter(flow)): 1.0},
            transitions=[planning.Branching(source=a, to=to) for a, to in flow.items()],
        ),
        activities={
            a: planning.ActivityModel(
                pool=staffed.get(a), duration=d, fixed_cost=(fixed_costs or {}).get(a, 0.0)
            )
            for a, d in durations.items()
        },
        pools=pools or {},
        **fields,
    )


def single_queue(
    *, mean_gap: float, mean_service: float, servers: int, calendar: dict[str, Any] | None = None
) -> SimulationModel:
    """An M/M/c queue (with a working calendar when given)."""
    return flow_model(
        {"serve": {"END": 1.0}},
        mean_gap=mean_gap,
        durations={"serve": Distribution.exponential(mean_service)},
        pools={"servers": ResourcePool(size=servers, calendar=calendar)},
        staffed={"serve": "servers"},
    )
