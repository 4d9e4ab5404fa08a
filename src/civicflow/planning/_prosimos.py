"""The model in Prosimos' form: a BPMN 2.0 process (tasks, exclusive gateways, sequence flows)
and the "simulation parameters" JSON (arrival_time_distribution, arrival_time_calendar,
gateway_branching_probabilities, task_resource_distribution, resource_profiles,
resource_calendars), so the same model runs in Prosimos and Apromore; and back.

What the exchange form cannot say is dropped on export and listed in :attr:`ProsimosExport.lost`
(visit levels and conditions of the control flow, ``max_visits``, Weibull and empirical shapes,
which become a gamma of the same mean and variance, the month and trend of arrivals).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from civicflow.core import InputError, Location
from civicflow.mining import read_bpmn
from civicflow.planning._distributions import Distribution
from civicflow.planning._model import (
    END,
    ActivityModel,
    ArrivalModel,
    Branching,
    ControlFlow,
    ResourcePool,
    SimulationModel,
)

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_SHORT = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NO_POOL_AMOUNT = 100
"""Resources of the stand-in pool of an activity nobody staffs (Prosimos needs one per task)."""
_NO_POOL = "no pool: "
_MAX_SECONDS = 10 * 365 * 86_400.0


@dataclass(frozen=True, slots=True)
class ProsimosExport:
    """The BPMN text, the parameters document, and what did not survive the translation."""

    bpmn: str
    parameters: dict[str, Any]
    lost: list[str] = field(default_factory=list)

    def write(self, folder: Path | str, *, stem: str = "model") -> tuple[Path, Path]:
        """``<stem>.bpmn`` and ``<stem>.json`` in ``folder``."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        bpmn = out / f"{stem}.bpmn"
        params = out / f"{stem}.json"
        bpmn.write_text(self.bpmn, encoding="utf-8")
        params.write_text(json.dumps(self.parameters, indent=2), encoding="utf-8")
        return bpmn, params


def to_prosimos(model: SimulationModel) -> ProsimosExport:
    """Translate ``model`` into Prosimos' BPMN + simulation parameters."""
    lost: list[str] = []
    acts = list(model.activities)
    task_id = {a: f"task_{i + 1}" for i, a in enumerate(acts)}
    cf = model.control_flow
    general = {b.source: b.to for b in cf.transitions if b.visit is None and b.when is None}
    if any(b.visit is not None or b.when is not None for b in cf.transitions):
        lost.append("visit levels and conditioned transitions (the general rows are kept)")
    if any(a.max_visits for a in model.activities.values()):
        lost.append("max_visits (removed rework loops come back)")
    arr = model.arrivals
    if any(abs(m - arr.month_of_year[0]) > 1e-9 for m in arr.month_of_year) or arr.trend_per_year:
        lost.append("the month-of-year profile and the trend of arrivals")

    # --- the graph: nodes are start, the tasks and end; a split gateway where a node has
    # several ways on, a join gateway where several ways come in
    out_edges: dict[str, dict[str, float]] = {
        "start": {task_id[a]: p for a, p in cf.start.items() if p > 0}
    }
    for a in acts:
        out_edges[task_id[a]] = {
            ("end" if t == END else task_id[t]): p for t, p in general[a].items() if p > 0
        }
    incoming: dict[str, int] = {}
    for targets in out_edges.values():
        for t in targets:
            incoming[t] = incoming.get(t, 0) + 1
    elements: list[str] = [
        '<startEvent id="start" name="start"/>',
        '<endEvent id="end" name="end"/>',
    ]
    elements += [f'<task id="{task_id[a]}" name={quoteattr(a)}/>' for a in acts]
    flows: list[str] = []
    gateways: list[dict[str, Any]] = []
    n_flow = 0

    def flow(src: str, dst: str) -> str:
        nonlocal n_flow
        n_flow += 1
        fid = f"flow_{n_flow}"
        flows.append(f'<sequenceFlow id="{fid}" sourceRef="{src}" targetRef="{dst}"/>')
        return fid

    entry: dict[str, str] = {}
    for node, count in incoming.items():
        if count > 1:
            join = f"join_{node}"
            elements.append(f'<exclusiveGateway id="{join}" gatewayDirection="Converging"/>')
            flow(join, node)
            entry[node] = join
        else:
            entry[node] = node
    for node, targets in out_edges.items():
        if len(targets) == 1:
            flow(node, entry[next(iter(targets))])
            continue
        split = f"split_{node}"
        elements.append(f'<exclusiveGateway id="{split}" gatewayDirection="Diverging"/>')
        flow(node, split)
        probabilities = []
        total = sum(targets.values())
        for t, p in targets.items():
            probabilities.append({"path_id": flow(split, entry[t]), "value": p / total})
        gateways.append({"gateway_id": split, "probabilities": probabilities})
    bpmn = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<definitions xmlns="{BPMN_NS}" id="civicflow" targetNamespace="https://civicflow.org/simulation">\n'
        f'<process id="process" name={quoteattr(model.name)} isExecutable="false">\n'
        + "\n".join(elements + flows)
        + "\n</process>\n</definitions>\n"
    )

    # --- resources, calendars, durations
    calendars: list[dict[str, Any]] = []
    profiles: list[dict[str, Any]] = []
    distributions: list[dict[str, Any]] = []
    tasks_of_pool: dict[str, list[str]] = {}
    for a in acts:
        owner = model.activities[a].pool
        key = owner if owner is not None else _NO_POOL + a
        tasks_of_pool.setdefault(key, []).append(task_id[a])
    zones = {str(p.calendar["timezone"]) for p in model.pools.values() if p.calendar}
    if zones - {"UTC"}:
        lost.append("time zones: Prosimos calendars are read in the simulation's clock (UTC here)")
    for key in tasks_of_pool:
        calendars.append(
            {
                "id": f"{key} calendar",
                "name": f"{key} calendar",
                "time_periods": _periods(model.pools.get(key)),
            }
        )
    if any(p.calendar and WorkingCalendarHolidays(p.calendar) for p in model.pools.values()):
        lost.append("public holidays and closed dates of the calendars")
    for a in acts:
        activity = model.activities[a]
        key = activity.pool if activity.pool is not None else _NO_POOL + a
        staff = model.pools.get(key)
        resource = {
            "id": key,
            "name": key,
            "cost_per_hour": staff.cost_per_hour if staff is not None else 0,
            "amount": staff.size if staff is not None else NO_POOL_AMOUNT,
            "calendar": f"{key} calendar",
            "assigned_tasks": tasks_of_pool[key],
        }
        profiles.append({"id": task_id[a], "name": a, "resource_list": [resource]})
        dist, note = _to_pix(activity.duration)
        if note:
            lost.append(f"{a}: {note}")
        distributions.append({"task_id": task_id[a], "resources": [{"resource_id": key, **dist}]})
    # Prosimos draws gaps in real time and moves an arrival that falls outside its arrival
    # calendar to the next opening; civicflow's gaps are in operational time (a week of it is a
    # week). Within the open hours the rate is the same when the gaps shrink by the open share.
    open_share = _open_share(arr.hour_of_week)
    rates = [r for r in arr.hour_of_week if r > 0]
    if max(rates) - min(rates) > 1e-6 * max(rates):
        lost.append("the shape of the hour-of-week profile within its open hours (flattened)")
    arrival, note = _to_pix(arr.interarrival.scaled(open_share))
    if note:
        lost.append(f"arrivals: {note}")
    parameters = {
        "resource_profiles": profiles,
        "arrival_time_distribution": arrival,
        "arrival_time_calendar": _arrival_periods(arr),
        "gateway_branching_probabilities": gateways,
        "task_resource_distribution": distributions,
        "resource_calendars": calendars,
    }
    return ProsimosExport(bpmn=bpmn, parameters=parameters, lost=lost)


def WorkingCalendarHolidays(calendar: dict[str, Any]) -> bool:
    return bool(calendar.get("country") or calendar.get("closed_dates"))


def _periods(pool: ResourcePool | None) -> list[dict[str, str]]:
    if pool is None or pool.calendar is None:
        return [_period("MONDAY", "SUNDAY", "00:00:00", "23:59:59")]
    hours = pool.calendar["hours"]
    periods = []
    for short, day in zip(_SHORT, WEEKDAYS, strict=True):
        span = hours.get(short)
        if span:
            periods.append(_period(day, day, span[0], span[1]))
    return periods


def _period(first: str, last: str, begin: str, end: str) -> dict[str, str]:
    return {"from": first, "to": last, "beginTime": _hms(begin), "endTime": _hms(end)}


def _hms(text: str) -> str:
    parts = text.split(":")
    return ":".join([*parts, "00"][:3]) if len(parts) < 3 else text


def _arrival_periods(arr: ArrivalModel) -> list[dict[str, str]]:
    """The hours of the week in which cases arrive (rate above zero), as day periods."""
    periods = []
    for d, day in enumerate(WEEKDAYS):
        rates = arr.hour_of_week[d * 24 : (d + 1) * 24]
        h = 0
        while h < 24:
            if rates[h] <= 0:
                h += 1
                continue
            start = h
            while h < 24 and rates[h] > 0:
                h += 1
            end = "23:59:59" if h == 24 else f"{h:02d}:00:00"
            periods.append(_period(day, day, f"{start:02d}:00:00", end))
    return periods


def _open_share(week: list[float]) -> float:
    return sum(1 for r in week if r > 0) / len(week)


def _to_pix(d: Distribution) -> tuple[dict[str, Any], str | None]:
    """Prosimos' (pix-framework) form: name and a list of parameter values."""
    top = d.maximum if d.maximum is not None else _MAX_SECONDS
    note = None
    if d.kind == "fixed":
        return _pix("fix", [d.params["value"]]), None
    if d.kind == "expon":
        return _pix("expon", [d.params["mean"], d.minimum, top]), None
    if d.kind == "norm":
        return _pix("norm", [d.params["mean"], d.params["std"], d.minimum, top]), None
    if d.kind == "lognorm":
        s, median = d.params["sigma"], d.params["median"]
        mean = median * math.exp(s * s / 2)
        var = (math.exp(s * s) - 1) * mean * mean
        return _pix("lognorm", [mean, var, d.minimum, top]), None
    if d.kind == "gamma":
        k, theta = d.params["shape"], d.params["scale"]
        return _pix("gamma", [k * theta, k * theta * theta, d.minimum, top]), None
    # weibull and empirical: a gamma of the same mean and variance
    sample = d.sample(_rng(), 20_000)
    mean, var = float(sample.mean()), float(sample.var())
    note = f"{d.kind} exported as a gamma of the same mean and variance"
    if var <= 0:
        return _pix("fix", [mean]), note
    return _pix("gamma", [mean, var, d.minimum, top]), note


def _rng() -> Any:
    import numpy as np

    return np.random.default_rng(0)


def _pix(name: str, values: list[float]) -> dict[str, Any]:
    return {
        "distribution_name": name,
        "distribution_params": [{"value": float(v)} for v in values],
    }


# --------------------------------------------------------------------------------------------
# import


def from_prosimos(
    bpmn: Path | str, parameters: Path | str | dict[str, Any], *, name: str | None = None
) -> SimulationModel:
    """A model from Prosimos' BPMN and simulation parameters (exclusive gateways, tasks and
    events; parallel and inclusive gateways are refused)."""
    source = str(bpmn)
    params = (
        parameters
        if isinstance(parameters, dict)
        else json.loads(Path(parameters).read_text(encoding="utf-8"))
    )
    process = read_bpmn(bpmn)
    kinds: dict[str, str] = {}
    names: dict[str, str] = {}
    for node in process.nodes:
        if node.kind in ("and", "or"):
            raise InputError(
                f"civicflow's model has no {node.element}",
                where=Location(file=source, field=node.id, line=node.line),
                found=node.element,
                expected="exclusive gateways, tasks, start and end events",
                fix="simulate this model in Prosimos, or replace the gateway by exclusive choices",
            )
        kinds[node.id] = node.kind
        if node.kind == "task":
            names[node.id] = node.label or node.id
    flows: dict[str, tuple[str, str]] = {}
    out: dict[str, list[str]] = {}
    for f in process.flows:
        flows[f.id] = (f.source, f.target)
        out.setdefault(f.source, []).append(f.id)
    probability: dict[str, float] = {}
    for g in params.get("gateway_branching_probabilities", []):
        for p in g["probabilities"]:
            probability[p["path_id"]] = float(p.get("value", 0.0))

    def reach(node: str, weight: float, acc: dict[str, float], depth: int = 0) -> None:
        """Spread ``weight`` from ``node`` over the next tasks (or END) through gateways."""
        if depth > 100:
            raise InputError(
                "the BPMN has a cycle of gateways without a task",
                where=Location(file=source, field=node),
                fix="put a task on the loop",
            )
        fids = out.get(node, [])
        if not fids:
            acc[END] = acc.get(END, 0.0) + weight
            return
        if kinds.get(node) == "xor" and len(fids) > 1:
            shares = [probability.get(f, 1.0 / len(fids)) for f in fids]
        else:
            shares = [1.0] * len(fids) if len(fids) == 1 else [1.0 / len(fids)] * len(fids)
        total = sum(shares) or 1.0
        for f, share in zip(fids, shares, strict=True):
            dst = flows[f][1]
            w = weight * share / total
            if kinds.get(dst) == "task":
                acc[names[dst]] = acc.get(names[dst], 0.0) + w
            elif kinds.get(dst) == "end":
                acc[END] = acc.get(END, 0.0) + w
            else:
                reach(dst, w, acc, depth + 1)

    starts = [n for n, k in kinds.items() if k == "start"]
    start: dict[str, float] = {}
    for s in starts:
        reach(s, 1.0 / len(starts), start)
    transitions = []
    for node_id, kind in kinds.items():
        if kind == "task":
            acc: dict[str, float] = {}
            reach(node_id, 1.0, acc)
            transitions.append(Branching(source=names[node_id], to=_clean(acc)))

    # resources: one pool per resource id; an activity's pool is its first resource's
    calendars = {c["id"]: c for c in params.get("resource_calendars", [])}
    pools: dict[str, ResourcePool] = {}
    task_pool: dict[str, str | None] = {}
    for profile in params.get("resource_profiles", []):
        first = None
        for r in profile.get("resource_list", []):
            rid = str(r["id"])
            first = first or rid
            if rid.startswith(_NO_POOL) or rid in pools:
                continue
            pools[rid] = ResourcePool(
                size=int(r.get("amount", 1)),
                calendar=_calendar_from(calendars.get(r.get("calendar"))),
                cost_per_hour=float(r.get("cost_per_hour", 0.0)),
            )
        task_pool[profile["id"]] = None if first is None or first.startswith(_NO_POOL) else first
    activities: dict[str, ActivityModel] = {}
    for entry in params.get("task_resource_distribution", []):
        tid = entry["task_id"]
        if tid not in names:
            continue
        dist = _from_pix(
            entry["resources"][0], field=f"task_resource_distribution.{tid}", source=source
        )
        activities[names[tid]] = ActivityModel(pool=task_pool.get(tid), duration=dist)
    for label in names.values():
        activities.setdefault(label, ActivityModel(duration=Distribution.fixed(0)))
    week = _week_from(params.get("arrival_time_calendar"))
    gaps = _from_pix(
        params["arrival_time_distribution"], field="arrival_time_distribution", source=source
    )
    arrivals = ArrivalModel(interarrival=gaps.scaled(1 / _open_share(week)), hour_of_week=week)
    return SimulationModel(
        name=name or Path(source).stem,
        source={"prosimos": {"bpmn": Path(source).name}},
        arrivals=arrivals,
        control_flow=ControlFlow(start=_clean(start), transitions=transitions),
        activities=activities,
        pools=pools,
    )


def _clean(acc: dict[str, float]) -> dict[str, float]:
    total = sum(acc.values())
    return {k: v / total for k, v in acc.items() if v > 0}


def _from_pix(d: dict[str, Any], *, field: str, source: str) -> Distribution:
    name = d.get("distribution_name")
    v = [float(p["value"]) for p in d.get("distribution_params", [])]
    try:
        if name == "fix":
            return Distribution.fixed(v[0])
        if name == "expon":
            return Distribution(
                kind="expon", params={"mean": v[0]}, minimum=0.0, maximum=_top(v[2])
            )
        if name == "norm":
            return Distribution(
                kind="norm",
                params={"mean": v[0], "std": v[1]},
                minimum=max(0.0, v[2]),
                maximum=_top(v[3]),
            )
        if name == "lognorm":
            mean, var = v[0], v[1]
            s2 = math.log(1 + var / (mean * mean))
            return Distribution(
                kind="lognorm",
                params={"sigma": math.sqrt(s2), "median": mean / math.exp(s2 / 2)},
                minimum=max(0.0, v[2]),
                maximum=_top(v[3]),
            )
        if name == "gamma":
            mean, var = v[0], v[1]
            return Distribution(
                kind="gamma",
                params={"shape": mean * mean / var, "scale": var / mean},
                minimum=max(0.0, v[2]),
                maximum=_top(v[3]),
            )
        if name == "uniform":
            return Distribution(kind="empirical", quantiles=[v[0], v[1]])
    except (IndexError, ValueError, ZeroDivisionError) as exc:
        raise InputError(
            f"cannot read the {name} distribution",
            where=Location(file=source, field=field),
            found=json.dumps(d)[:200],
            expected="Prosimos' distribution_params for this distribution",
            fix="check the parameter list",
        ) from exc
    raise InputError(
        f"civicflow cannot read Prosimos' '{name}' distribution",
        where=Location(file=source, field=field),
        found=str(name),
        expected="fix, expon, norm, lognorm, gamma or uniform",
        fix="change the distribution in the parameters file",
    )


def _top(value: float) -> float | None:
    return None if value >= _MAX_SECONDS * 0.999 else value


def _calendar_from(calendar: dict[str, Any] | None) -> dict[str, Any] | None:
    if calendar is None:
        return None
    hours: dict[str, Any] = {s: None for s in _SHORT}
    for p in calendar.get("time_periods", []):
        first, last = WEEKDAYS.index(p["from"].upper()), WEEKDAYS.index(p["to"].upper())
        for d in range(first, last + 1):
            hours[_SHORT[d]] = [p["beginTime"][:8], p["endTime"][:8]]
    if all(h == ["00:00:00", "23:59:59"] for h in hours.values()):
        return None
    return {"hours": hours, "timezone": "UTC"}


def _week_from(periods: list[dict[str, Any]] | None) -> list[float]:
    if not periods:
        return [1.0] * 168
    week = [0.0] * 168
    for p in periods:
        first, last = WEEKDAYS.index(p["from"].upper()), WEEKDAYS.index(p["to"].upper())
        begin = int(p["beginTime"][:2])
        end_h, end_m = int(p["endTime"][:2]), int(p["endTime"][3:5])
        end = end_h + (1 if end_m > 0 else 0)
        for d in range(first, last + 1):
            for h in range(begin, max(begin + 1, end)):
                week[d * 24 + min(h, 23)] = 1.0
    mean = sum(week) / 168
    return [w / mean for w in week]
