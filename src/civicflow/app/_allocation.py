"""Allocation use cases: run an allocation scenario from a demand table (a forecast), store it as
the next version of a named scenario, ledger it, and register it as an automated system.

Reading needs WORKSPACE_READ; running needs FORECAST_WRITE (admins, service owners, analysts).
A run writes, in the transaction that stores it, the ledger entry ``allocation.run`` on the object
``allocation`` (after-state: the configuration, the demand's SHA-256 and the result). The first
run of a scenario also registers it in the governance register as a proposed automated system
(ledger ``governance_system.create``, as ``app.governance.add_system`` writes it), unless a system
of that name is registered already, which it is then linked to: an allocation decides who gets
public resources, so the register must know it before anyone uses it. The governance roles then
complete its record (legal basis, oversight) and move it along its lifecycle.

A run that fails (bad demand table, infeasible programme) stores and ledgers nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicflow.app._assessment import open_view
from civicflow.app._context import AppContext
from civicflow.app._governance import ensure_registered
from civicflow.app._models import AllocationRow
from civicflow.app._record import record
from civicflow.app._roles import Actor, Permission
from civicflow.app._workspaces import require_workspace_row
from civicflow.core import InputError, Location, NotFoundError, check_name, new_id, utcnow
from civicflow.eventlog import CASE_ID, DuckDBEngine
from civicflow.forecasting import (
    AllocationConfig,
    AllocationResult,
    ServiceTimes,
    allocate,
    demand_grid,
    population_key,
    read_demand,
)
from civicflow.mining import EventLogFilter, activity_instances
from civicflow.report import Section, allocation_section

if TYPE_CHECKING:
    import pandas as pd

OBJECT = "allocation"


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredAllocation:
    """A stored version of a named allocation scenario; ``result`` is the JSON of a
    :class:`civicflow.forecasting.AllocationResult`."""

    id: str
    workspace_id: str
    name: str
    version: int
    source: str
    source_sha256: str | None
    system_id: str | None
    config: dict[str, Any]
    result: dict[str, Any]
    seconds: float
    created_by: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "source": self.source,
            "source_sha256": self.source_sha256,
            "system_id": self.system_id,
            "seconds": round(self.seconds, 3),
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "result": self.result,
        }


def _out(row: AllocationRow) -> StoredAllocation:
    return StoredAllocation(
        id=row.id, workspace_id=row.workspace_id, name=row.name, version=row.version,
        source=row.source, source_sha256=row.source_sha256, system_id=row.system_id,
        config=row.config, result=row.result, seconds=row.seconds, created_by=row.created_by,
        created_at=row.created_at,
    )  # fmt: skip


def default_name(text: str) -> str:
    """A valid scenario name made from a file stem."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_.-")[:64]
    return cleaned or "allocation"


def list_allocations(
    ctx: AppContext, *, actor: Actor, workspace_id: str, name: str | None = None
) -> list[StoredAllocation]:
    """The workspace's allocation scenarios (every version), newest first."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        q = select(AllocationRow).where(AllocationRow.workspace_id == workspace_id)
        if name is not None:
            q = q.where(AllocationRow.name == name)
        rows = s.scalars(
            q.order_by(AllocationRow.created_at.desc(), AllocationRow.version.desc())
        ).all()
        return [_out(r) for r in rows]


def get_allocation(
    ctx: AppContext, *, actor: Actor, workspace_id: str, allocation_id: str
) -> StoredAllocation:
    """A stored allocation by id, or the latest version of the scenario of that name."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        row = s.get(AllocationRow, allocation_id)
        if row is None or row.workspace_id != workspace_id:
            row = s.scalars(
                select(AllocationRow)
                .where(
                    AllocationRow.workspace_id == workspace_id, AllocationRow.name == allocation_id
                )
                .order_by(AllocationRow.version.desc())
            ).first()
        if row is None:
            raise NotFoundError(
                f"there is no allocation '{allocation_id}' in this workspace",
                where=Location(field="allocation_id"),
                found=allocation_id,
                fix="list them with `civicflow allocate list`",
            )
        return _out(row)


def _system_name(name: str) -> str:
    return f"Allocation: {name}"[:200]


def _register(
    ctx: AppContext,
    s: Session,
    *,
    actor: Actor,
    workspace_id: str,
    name: str,
    source: str,
    config: AllocationConfig,
) -> str:
    """The register entry of scenario ``name``: the one of that name, or a new proposed one."""
    unit = config.limits.unit
    return ensure_registered(
        ctx, s, actor=actor, workspace_id=workspace_id, name=_system_name(name),
        reason=f"registered by the first run of allocation scenario '{name}'",
        purpose=(
            f"Allocate {unit} to areas and periods from forecast demand, minimising "
            f"{'unmet demand' if config.objective == 'unmet' else 'waiting'} under staff and "
            f"budget limits; equity: {config.equity.describe()}."
        ),
        legal_basis="not yet recorded: the service owner records it before the allocation is used",
        owner=actor.pseudonym,
        senior_responsible_owner=actor.pseudonym,
        affected_people="residents of the areas served, and the staff allocated",
        datasets=(source,),
        model_type="linear / mixed-integer programme (HiGHS)",
        oversight="in-the-loop",
        description=(
            f"A decision-support model: it proposes how many {unit} each area gets per period, "
            "shows the efficient plan beside the fair one and what fairness costs; a person decides."
        ),
    )  # fmt: skip


def run_allocation(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    demand: pd.DataFrame,
    config: AllocationConfig,
    name: str,
    source: str,
    source_sha256: str | None = None,
    register: bool = True,
    reason: str | None = None,
    coordinates: Mapping[str, tuple[float, float]] | None = None,
) -> tuple[StoredAllocation, AllocationResult]:
    """Allocate from a demand table (the forecast table's columns) and store the result as the
    next version of scenario ``name`` (FORECAST_WRITE; ledger ``allocation.run``). Registers the
    scenario in the governance register on its first run when ``register``. Nothing is stored
    when the table or the programme fails. ``coordinates`` (latitude, longitude per area, keyed
    like the population: the series or its last ``_`` part, see :func:`read_coordinates`) are
    kept with the result as ``coordinates`` per area, for the maps."""
    actor.require(Permission.FORECAST_WRITE, workspace_id)
    check_name(name, kind="allocation name")
    started = time.perf_counter()
    grid = demand_grid(demand, source=source)
    result = allocate(grid, config)
    seconds = time.perf_counter() - started
    if source_sha256 is None:
        buffer = io.BytesIO()
        demand.to_csv(buffer, index=False)
        source_sha256 = hashlib.sha256(buffer.getvalue()).hexdigest()
    payload = result.to_dict()
    if coordinates:
        points = {a: population_key(a, coordinates) for a in result.areas}
        payload["coordinates"] = {
            a: list(coordinates[k]) for a, k in points.items() if k is not None
        }
    with ctx.session() as s:
        require_workspace_row(s, workspace_id)
        system_id = (
            _register(ctx, s, actor=actor, workspace_id=workspace_id, name=name, source=source,
                      config=config)
            if register
            else None
        )  # fmt: skip
        latest = s.scalar(
            select(func.max(AllocationRow.version)).where(
                AllocationRow.workspace_id == workspace_id, AllocationRow.name == name
            )
        )
        row = AllocationRow(
            id=new_id("alloc_"), workspace_id=workspace_id, name=name,
            version=(latest or 0) + 1, source=source[:500], source_sha256=source_sha256,
            system_id=system_id, config=config.to_dict(), result=payload, seconds=seconds,
            created_by=actor.pseudonym, created_at=utcnow(),
        )  # fmt: skip
        s.add(row)
        record(
            ctx, s, actor=actor, action=f"{OBJECT}.run", object_type=OBJECT, object_id=row.id,
            workspace_id=workspace_id,
            after={"name": name, "version": row.version, "source_sha256": source_sha256,
                   "system_id": system_id, "config": row.config, "result": payload},
            reason=reason,
        )  # fmt: skip
        stored = _out(row)
    return stored, result


def allocate_file(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    path: Path,
    config: AllocationConfig,
    name: str | None = None,
    register: bool = True,
    reason: str | None = None,
) -> tuple[StoredAllocation, AllocationResult]:
    """:func:`run_allocation` on a forecast table in a CSV or Parquet file (scenario name:
    the file's stem unless given)."""
    actor.require(Permission.FORECAST_WRITE, workspace_id)
    scenario = name or default_name(path.stem)
    check_name(scenario, kind="allocation name")
    frame = read_demand(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return run_allocation(
        ctx, actor=actor, workspace_id=workspace_id, demand=frame, config=config,
        name=scenario, source=path.name, source_sha256=digest, register=register, reason=reason,
    )  # fmt: skip


def forecast_demand(
    ctx: AppContext, *, actor: Actor, workspace_id: str, forecast: str
) -> tuple[pd.DataFrame, str, str]:
    """A stored forecast (by id, or its name's latest version) as the demand an allocation reads:
    its leaf series only (a hierarchy's totals are sums of the areas, not areas), with the label
    and the digest of the stored result the allocation records as its source."""
    import pandas as pd

    from civicflow.app._forecasts import get_forecast, list_forecasts
    from civicflow.forecasting import SEPARATOR, TOTAL

    try:
        stored = get_forecast(ctx, actor=actor, workspace_id=workspace_id, forecast_id=forecast)
    except NotFoundError:
        named = list_forecasts(ctx, actor=actor, workspace_id=workspace_id, name=forecast)
        if not named:
            raise
        stored = max(named, key=lambda f: f.version)
    frame = pd.DataFrame(stored.result.get("forecasts") or [])
    keys = [str(k) for k in frame["series"].unique()] if not frame.empty else []
    leaves = {
        k for k in keys
        if k != TOTAL and not any(o.startswith(k + SEPARATOR) for o in keys)
    }  # fmt: skip
    frame = frame[frame["series"].astype(str).isin(leaves)].reset_index(drop=True)
    if frame.empty:
        raise InputError(
            f"the forecast '{stored.name}' (version {stored.version}) has no area series",
            where=Location(field="forecast"),
            found=", ".join(keys) or "no series",
            expected="a forecast of demand per area (by a case attribute, or a table of areas)",
            fix="forecast per area, e.g. `civicflow forecast dataset … --by district`",
        )
    frame["period"] = pd.to_datetime(frame["period"])
    digest = hashlib.sha256(
        json.dumps(stored.result.get("forecasts"), sort_keys=True, default=str).encode()
    ).hexdigest()
    return frame, f"forecast {stored.name} v{stored.version} ({stored.id})", digest


@dataclass(frozen=True, slots=True, kw_only=True)
class MeasuredServiceTimes:
    """Handling hours per case measured from an event log, per value of a case attribute."""

    service_times: ServiceTimes
    cases: dict[str, int]
    """Cases with a measured handling time, per attribute value."""
    dataset: str
    attribute: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "attribute": self.attribute,
            "hours_per_case": self.service_times.hours_per_case,
            "by_area": dict(self.service_times.by_area),
            "cases": self.cases,
        }


def service_times_from_dataset(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    dataset_name: str,
    attribute: str,
    filter: EventLogFilter | None = None,
) -> MeasuredServiceTimes:
    """Hours of work per case from a dataset's handling times (WORKSPACE_READ): each case's
    activity instances' service times (end − start, from start timestamps or lifecycle start
    events) summed, then averaged per value of the case attribute ``attribute`` (the areas) and
    over all cases (the default for an area the log does not have). A log without start times is
    an error: it records when work ended, not how long it took."""
    view = open_view(
        ctx, actor=actor, workspace_id=workspace_id, dataset_name=dataset_name, filter=filter,
        engine=DuckDBEngine(),
    )  # fmt: skip
    cases = view.cases
    if attribute not in cases.columns:
        raise InputError(
            f"the dataset has no case attribute '{attribute}'",
            where=Location(field="attribute"),
            found=attribute,
            expected="one of: " + ", ".join(c for c in cases.columns if c != CASE_ID),
            fix="name the case attribute that holds the area (office, district …)",
        )
    inst = activity_instances(view.events)
    timed = inst.filter(inst.service_us.notnull())
    per_case = timed.group_by(CASE_ID).aggregate(service_us=timed.service_us.sum())
    areas = cases.select(CASE_ID, area=cases[attribute].cast("string"))
    joined = per_case.join(areas, CASE_ID)
    frame = view.execute(
        joined.group_by("area").aggregate(cases=joined.count(), total_us=joined.service_us.sum())
    )
    frame = frame[frame["cases"] > 0]
    if frame.empty or float(frame["total_us"].sum()) <= 0:
        raise InputError(
            "the dataset has no handling times",
            where=Location(field="dataset"),
            found=f"{dataset_name}: no activity with a start time",
            expected="events with start timestamps or lifecycle start events",
            fix="give the service time instead (--hours-per-case, or a service-times file)",
        )
    hours = 3600 * 1e6
    by_area = {
        str(r["area"]): float(r["total_us"]) / float(r["cases"]) / hours
        for r in frame.to_dict("records")
        if r["area"] is not None and float(r["total_us"]) > 0
    }
    overall = float(frame["total_us"].sum()) / float(frame["cases"].sum()) / hours
    return MeasuredServiceTimes(
        service_times=ServiceTimes(hours_per_case=overall, by_area=by_area),
        cases={str(r["area"]): int(r["cases"]) for r in frame.to_dict("records")},
        dataset=dataset_name,
        attribute=attribute,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationCheckConfig:
    """How an allocation is checked in a simulation model of the process: the ``areas``
    worst-served areas under the chosen plan are simulated one by one, each with the model's
    arrivals scaled to the area's forecast demand per period (a period lasts ``period_days``) and
    the pool ``pool`` staffed with the area's mean allocated units, as people: units ×
    hours per unit ÷ ``hours_per_person`` (the hours one pool member works in a period)."""

    pool: str
    areas: int = 5
    period_days: float = 7.0
    hours_per_person: float = 37.5
    cases: int = 300
    replications: int = 2
    seed: int = 0

    def __post_init__(self) -> None:
        for name, low in (("areas", 1), ("cases", 10), ("replications", 2)):
            if getattr(self, name) < low:
                raise InputError(
                    f"the simulation check's {name} is too small",
                    where=Location(field=name),
                    found=str(getattr(self, name)),
                    expected=f"at least {low}",
                    fix=f"raise {name}",
                )
        for name in ("period_days", "hours_per_person"):
            if not getattr(self, name) > 0:
                raise InputError(
                    f"the simulation check's {name.replace('_', ' ')} must be positive",
                    where=Location(field=name),
                    found=str(getattr(self, name)),
                    expected="a number > 0",
                    fix=f"give {name.replace('_', ' ')}",
                )


def simulation_check(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    allocation_id: str,
    model_id: str,
    config: SimulationCheckConfig,
    progress: Any = None,
    reason: str | None = None,
) -> Any:
    """Check an allocation in a stored simulation model: one scenario per area (arrivals scaled
    to the area's demand, the pool staffed with its allocated people) compared with the model's
    as-is, stored as a simulation comparison run (SIMULATION_WRITE; ledger
    ``simulation.compare``) whose configuration names the allocation; areas the plan gives less
    than half a person are listed as unstaffed, not simulated. Returns the stored run."""
    from civicflow.app import _planning as ap
    from civicflow.planning import ComparisonConfig, Scenario

    actor.require(Permission.SIMULATION_WRITE, workspace_id)
    stored = get_allocation(
        ctx, actor=actor, workspace_id=workspace_id, allocation_id=allocation_id
    )
    model = ap.get_model(ctx, actor=actor, workspace_id=workspace_id, model_id=model_id).model
    if config.pool not in model.pools:
        raise InputError(
            f"the simulation model has no pool '{config.pool}'",
            where=Location(field="pool"),
            found=config.pool,
            expected="one of: " + ", ".join(model.pools),
            fix="name the pool whose staff the allocation assigns",
        )
    result = stored.result
    fair = result.get("fair") is not None
    level_key = "service_fair" if fair else "service_efficient"
    units_key = "units_fair" if fair else "units_efficient"
    periods = max(len(result.get("periods") or []), 1)
    hours_per_unit = float(result["config"]["limits"]["hours_per_unit"])
    outcomes = [o for o in result.get("outcomes", []) if o.get(level_key) is not None]
    outcomes.sort(key=lambda o: (o[level_key], o["area"]))
    per_second = 1.0 / model.arrivals.interarrival.mean
    scenarios = []
    areas: list[dict[str, Any]] = []
    for o in outcomes[: config.areas]:
        demand = float(o["demand"]) / periods
        people = float(o[units_key] or 0.0) / periods * hours_per_unit / config.hours_per_person
        entry = {"area": o["area"], "demand_per_period": demand, "people": people,
                 "service_level": o[level_key]}  # fmt: skip
        if people < 0.5 or demand <= 0:
            areas.append({**entry, "simulated": False})
            continue
        factor = demand / (config.period_days * 86_400) / per_second
        size = max(round(people), 1)
        scenarios.append(Scenario.from_dict({
            "name": f"area {o['area']}",
            "description": f"{demand:,.1f} cases per period, {size} in pool {config.pool}",
            "changes": [{"kind": "arrival_volume", "factor": factor},
                        {"kind": "staffing", "pool": config.pool, "size": size}],
        }))  # fmt: skip
        areas.append({**entry, "simulated": True, "pool_size": size})
    if not scenarios:
        raise InputError(
            "no area of the plan has staff to simulate",
            where=Location(field="areas"),
            found=f"{len(areas)} worst-served areas, each under half a person",
            expected="an area with at least half a person allocated",
            fix="check more areas, or lower the hours per person",
        )
    return ap.compare(
        ctx, actor=actor, workspace_id=workspace_id, model_id=model_id, scenario_ids=[],
        scenarios=scenarios,
        config=ComparisonConfig(cases=config.cases, replications=config.replications,
                                seed=config.seed),
        progress=progress, reason=reason or f"simulation check of allocation {stored.id}",
        context={"allocation_id": stored.id, "allocation_check": {
            "pool": config.pool, "period_days": config.period_days,
            "hours_per_person": config.hours_per_person, "areas": areas}},
    )  # fmt: skip


def simulation_checks(
    ctx: AppContext, *, actor: Actor, workspace_id: str, allocation_id: str
) -> list[dict[str, Any]]:
    """The simulation checks of an allocation, newest first: per run, its id, model, and per
    area the allocated people and pool size, the service level, and (simulated areas) the
    median throughput time and the mean wait per case from the comparison."""
    from civicflow.app import _planning as ap

    checks = []
    for run in ap.list_runs(ctx, actor=actor, workspace_id=workspace_id):
        if run.kind != "compare" or run.config.get("allocation_id") != allocation_id:
            continue
        outcomes = {o["name"]: o for o in run.result.get("scenarios", [])}
        rows = []
        for area in run.config.get("allocation_check", {}).get("areas", []):
            outcome = outcomes.get(f"area {area['area']}")
            waits = (outcome or {}).get("waiting") or {}
            rows.append({
                **area,
                "throughput_median": None if outcome is None
                else outcome["throughput_median"]["mean"],
                "waiting": None if outcome is None
                else sum(float(w["mean"]) for w in waits.values()),
            })  # fmt: skip
        checks.append({"run_id": run.id, "model_id": run.model_id,
                       "created_at": run.created_at, "areas": rows})  # fmt: skip
    return checks


def report_section(ctx: AppContext, *, actor: Actor, workspace_id: str) -> Section | None:
    """The report's "Allocation" section: the latest version of each scenario (None without)."""
    latest: dict[str, StoredAllocation] = {}
    for a in list_allocations(ctx, actor=actor, workspace_id=workspace_id):
        latest.setdefault(a.name, a)  # newest first
    return allocation_section([a.to_dict() for a in latest.values()])


def local_report_section(workspace_path: Path | str) -> Section | None:
    """The "Allocation" section for a report written on the command line, read only (None when
    the command line's database does not know the workspace or its operator)."""
    from civicflow.app._business_case import local_section

    return local_section(workspace_path, report_section)
