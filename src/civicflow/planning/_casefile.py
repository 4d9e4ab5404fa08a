"""A business case as a document (JSON or YAML: what is stored, versioned and compared), the
results of evaluating it as JSON, and the two ways of filling one from evidence: costs from the
programme's budget lines and hours saved from a scenario comparison.

A bad document is refused with the path of the field in it (``costs[1].amount.low``) and the
value found, before anything is computed or stored.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from civicflow.core import CivicflowError, ConfigurationError, Location
from civicflow.planning._comparison import ScenarioComparison
from civicflow.planning._finance import (
    Benefit,
    BusinessCase,
    CaseResult,
    CostLine,
    FasterService,
    HoursSaved,
    OtherBenefit,
    ReworkAvoided,
)
from civicflow.planning._ranges import Range, Uncertain
from civicflow.planning._uncertainty import MonteCarloResult, Tornado

CASE_VERSION = 1
"""The version of the business case document's format."""

BENEFIT_KINDS: dict[str, type[Any]] = {
    "hours_saved": HoursSaved,
    "rework_avoided": ReworkAvoided,
    "faster_service": FasterService,
    "other": OtherBenefit,
}
_UNCERTAIN: dict[str, tuple[str, ...]] = {
    "hours_saved": ("hours_per_year", "hourly_cost"),
    "rework_avoided": ("cases_per_year", "cost_per_case"),
    "faster_service": ("cases_per_year", "days_saved", "value_per_day"),
    "other": ("amount_per_year",),
}
_TEXT: dict[str, tuple[str, ...]] = {
    "hours_saved": ("role",),
    "rework_avoided": ("activity",),
    "faster_service": ("title",),
    "other": ("title",),
}
_CASE_KEYS = ("format", "name", "start", "years", "discount_rate", "currency", "costs", "benefits")
_COST_KEYS = ("title", "amount", "start", "category", "recurrence", "period", "end")


def _kind(benefit: Benefit) -> str:
    for name, cls in BENEFIT_KINDS.items():
        if isinstance(benefit, cls):
            return name
    raise TypeError(type(benefit).__name__)  # pragma: no cover - the union is closed


def _uncertain_out(value: Uncertain) -> Any:
    if isinstance(value, Range):
        return {"low": value.low, "likely": value.likely, "high": value.high, "shape": value.shape}
    return float(value)


def case_to_dict(case: BusinessCase) -> dict[str, Any]:
    """The case as a JSON-ready document; :func:`case_from_dict` reads it back equal."""
    benefits = []
    for b in case.benefits:
        kind = _kind(b)
        doc: dict[str, Any] = {"kind": kind}
        doc |= {k: getattr(b, k) for k in _TEXT[kind]}
        doc |= {k: _uncertain_out(getattr(b, k)) for k in _UNCERTAIN[kind]}
        doc |= {"first_year": b.first_year, "last_year": b.last_year}
        benefits.append(doc)
    return {
        "format": CASE_VERSION,
        "name": case.name,
        "start": case.start.isoformat(),
        "years": case.years,
        "discount_rate": _uncertain_out(case.discount_rate),
        "currency": case.currency,
        "costs": [
            {
                "title": c.title,
                "amount": _uncertain_out(c.amount),
                "start": c.start.isoformat(),
                "category": c.category,
                "recurrence": c.recurrence,
                "period": c.period,
                "end": c.end.isoformat() if c.end else None,
            }
            for c in case.costs
        ],
        "benefits": benefits,
    }


def _bad(path: str, what: str, found: Any, expected: str, fix: str) -> ConfigurationError:
    return ConfigurationError(
        what, where=Location(field=path), found=repr(found), expected=expected, fix=fix
    )


def _mapping(value: Any, path: str, keys: Sequence[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _bad(path or "case", f"{path or 'the case'} is not a mapping", value,
                   "a mapping of fields", "write it as `field: value` lines (YAML) or an object (JSON)")  # fmt: skip
    unknown = [k for k in value if k not in keys]
    if unknown:
        where = f"{path}.{unknown[0]}" if path else str(unknown[0])
        raise _bad(where, f"unknown field '{unknown[0]}'", unknown[0], ", ".join(keys),
                   "remove the field or correct its spelling")  # fmt: skip
    return value


def _required(doc: Mapping[str, Any], key: str, path: str) -> Any:
    if doc.get(key) is None:
        where = f"{path}.{key}" if path else key
        raise _bad(where, f"the field '{where}' is missing", None, "a value",
                   f"add `{key}:` to the document")  # fmt: skip
    return doc[key]


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise _bad(path, f"{path} is not a number", value, "a number", "write a plain number")
    try:
        number = float(value)
    except ValueError:
        raise _bad(path, f"{path} is not a number", value, "a number",
                   "write a plain number, e.g. 1200.50") from None  # fmt: skip
    if not math.isfinite(number):
        raise _bad(path, f"{path} is not a finite number", value, "a finite number",
                   "write a plain number")  # fmt: skip
    return number


def _uncertain_in(value: Any, path: str) -> Uncertain:
    if isinstance(value, Mapping):
        doc = _mapping(value, path, ("low", "likely", "high", "shape"))
        low = _number(_required(doc, "low", path), f"{path}.low")
        high = _number(_required(doc, "high", path), f"{path}.high")
        mode = _number(doc["likely"], f"{path}.likely") if doc.get("likely") is not None else None
        if mode is None:
            mode = (low + high) / 2
        if low > high:
            raise _bad(f"{path}.low", f"{path}: the low end is above the high end",
                       f"low={low:g}, high={high:g}", "low <= likely <= high",
                       "swap the two ends")  # fmt: skip
        if not low <= mode <= high:
            raise _bad(f"{path}.likely", f"{path}: the most likely value is outside the range",
                       f"low={low:g}, likely={mode:g}, high={high:g}", "low <= likely <= high",
                       "correct the most likely value")  # fmt: skip
        return _wrap(lambda: Range(low=low, likely=mode, high=high,
                                   shape=doc.get("shape", "pert")), path)  # fmt: skip
    return _number(value, path)


def _date(value: Any, path: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _bad(path, f"{path} is not a date", value, "a date as YYYY-MM-DD",
                   "write the date as 2025-01-01") from None  # fmt: skip


def _int(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(path, f"{path} is not a whole number", value, "a whole number",
                   "write a whole number, e.g. 5")  # fmt: skip
    return value


def _wrap(make: Any, path: str) -> Any:
    """Build a domain object; its own error names a field inside it: prefix it with the path."""
    try:
        return make()
    except CivicflowError as exc:
        inner = exc.where.field if exc.where is not None else None
        if inner and inner.startswith(path):
            raise
        field = f"{path}.{inner}" if inner and path else (inner or path)
        raise type(exc)(exc.what, where=Location(field=field), found=exc.found,
                        expected=exc.expected, fix=exc.fix) from None  # fmt: skip


def case_from_dict(data: Any) -> BusinessCase:
    """A case from its document (read from JSON or YAML), checked field by field."""
    doc = _mapping(data, "", _CASE_KEYS)
    fmt = doc.get("format", CASE_VERSION)
    if fmt != CASE_VERSION:
        raise _bad("format", "unknown business case format", fmt, str(CASE_VERSION),
                   "write the document with this version of civicflow")  # fmt: skip
    name = str(_required(doc, "name", "")).strip()
    if not name or len(name) > 200:
        raise _bad("name", "a business case needs a name of 1 to 200 characters", name,
                   "1 to 200 characters", "give the case a name")  # fmt: skip
    start = _date(_required(doc, "start", ""), "start")
    costs = []
    raw_costs = doc.get("costs") or []
    if not isinstance(raw_costs, list):
        raise _bad("costs", "costs is not a list", raw_costs, "a list of cost lines",
                   "write one `- title: ...` item per cost")  # fmt: skip
    for i, raw in enumerate(raw_costs):
        path = f"costs[{i}]"
        c = _mapping(raw, path, _COST_KEYS)
        title = str(_required(c, "title", path))
        amount = _uncertain_in(_required(c, "amount", path), f"{path}.amount")
        first = _date(c.get("start") or start, f"{path}.start")
        end = _date(c["end"], f"{path}.end") if c.get("end") else None
        costs.append(_wrap(lambda t=title, a=amount, f=first, e=end, c=c: CostLine(
            title=t, amount=a, start=f, end=e, category=c.get("category", "other"),
            recurrence=c.get("recurrence", "one_off"), period=c.get("period"),
        ), path))  # fmt: skip
    benefits: list[Benefit] = []
    raw_benefits = doc.get("benefits") or []
    if not isinstance(raw_benefits, list):
        raise _bad("benefits", "benefits is not a list", raw_benefits, "a list of benefits",
                   "write one `- kind: ...` item per benefit")  # fmt: skip
    for i, raw in enumerate(raw_benefits):
        path = f"benefits[{i}]"
        kind = raw.get("kind") if isinstance(raw, Mapping) else None
        if kind not in BENEFIT_KINDS:
            raise _bad(f"{path}.kind", f"{path} has an unknown kind", kind,
                       ", ".join(BENEFIT_KINDS), "say which kind of benefit it is")  # fmt: skip
        keys = ("kind", *_TEXT[kind], *_UNCERTAIN[kind], "first_year", "last_year")
        b = _mapping(raw, path, keys)
        args: dict[str, Any] = {}
        for key in _TEXT[kind]:
            if kind == "faster_service" and b.get(key) is None:
                continue
            args[key] = str(_required(b, key, path))
        for key in _UNCERTAIN[kind]:
            args[key] = _uncertain_in(_required(b, key, path), f"{path}.{key}")
        args["first_year"] = _int(b.get("first_year", 1), f"{path}.first_year")
        if b.get("last_year") is not None:
            args["last_year"] = _int(b["last_year"], f"{path}.last_year")
        benefits.append(_wrap(lambda k=kind, a=args: BENEFIT_KINDS[k](**a), path))
    years = _int(doc.get("years", 5), "years")
    rate = _uncertain_in(doc.get("discount_rate", 0.04), "discount_rate")
    currency = str(doc.get("currency") or "EUR")
    return _wrap(  # type: ignore[no-any-return]
        lambda: BusinessCase(
            name=name, start=start, years=years, discount_rate=rate, costs=tuple(costs),
            benefits=tuple(benefits), currency=currency,
        ),
        "",
    )  # fmt: skip


# -- results as JSON -------------------------------------------------------------------------


def _num(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 6)


def result_to_dict(result: CaseResult) -> dict[str, Any]:
    return {
        "name": result.name,
        "currency": result.currency,
        "discount_rate": result.discount_rate,
        "npv": _num(result.npv),
        "irr": _num(result.irr),
        "roi": _num(result.roi),
        "payback_years": _num(result.payback_years),
        "discounted_payback_years": _num(result.discounted_payback_years),
        "years": [
            {
                "year": y.year,
                "starts": y.starts.isoformat(),
                "costs": _num(y.costs),
                "benefits": _num(y.benefits),
                "net": _num(y.net),
                "cumulative": _num(y.cumulative),
                "discounted": _num(y.discounted),
                "costs_by_category": {k: _num(v) for k, v in y.costs_by_category.items()},
                "benefits_by_kind": {k: _num(v) for k, v in y.benefits_by_kind.items()},
            }
            for y in result.years
        ],
    }


def monte_carlo_to_dict(mc: MonteCarloResult) -> dict[str, Any]:
    return {
        "draws": mc.draws,
        "seed": mc.seed,
        "uncertain_inputs": list(mc.uncertain_inputs),
        "npv_mean": _num(mc.npv_mean),
        "npv_p10": _num(mc.npv_p10),
        "npv_p50": _num(mc.npv_p50),
        "npv_p90": _num(mc.npv_p90),
        "probability_positive_npv": mc.probability_positive_npv,
        "payback_probability": {str(k): v for k, v in mc.payback_probability.items()},
        "discounted_payback": mc.discounted_payback,
        "histogram": [
            {"low": _num(b.low), "high": _num(b.high), "count": b.count} for b in mc.histogram
        ],
    }


def tornado_to_dict(t: Tornado) -> dict[str, Any]:
    return {
        "base_npv": _num(t.base_npv),
        "bars": [
            {"key": b.key, "label": b.label, "low": b.low, "high": b.high,
             "npv_at_low": _num(b.npv_at_low), "npv_at_high": _num(b.npv_at_high),
             "swing": _num(b.swing)}
            for b in t.bars
        ],
    }  # fmt: skip


# -- filling a case from evidence ------------------------------------------------------------


class BudgetLineLike(Protocol):
    """The fields of a programme budget line a cost line is made of."""

    @property
    def title(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def recurrence(self) -> str: ...
    @property
    def amount(self) -> Decimal | float: ...
    @property
    def start_date(self) -> date: ...
    @property
    def period(self) -> str | None: ...
    @property
    def end_date(self) -> date | None: ...


def costs_from_budget(lines: Iterable[BudgetLineLike]) -> tuple[CostLine, ...]:
    """One cost line per programme budget line (same category, recurrence, period and dates)."""
    out = []
    for i, line in enumerate(lines):
        out.append(_wrap(lambda ln=line: CostLine(
            title=ln.title, amount=float(ln.amount), start=ln.start_date,
            category=str(ln.category),  # type: ignore[arg-type]
            recurrence=str(ln.recurrence),  # type: ignore[arg-type]
            period=None if ln.period is None else str(ln.period),  # type: ignore[arg-type]
            end=ln.end_date,
        ), f"budget_lines[{i}]"))  # fmt: skip
    return tuple(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class SavingsFromScenario:
    """What a scenario comparison says a scenario saves, as benefits of a case: per resource pool,
    the workload it frees (hours a year, a range from the 95 % interval of the paired difference)
    and, when it shortens the median throughput, the days saved per case."""

    hours: tuple[HoursSaved, ...]
    faster: FasterService | None
    notes: tuple[str, ...]

    @property
    def benefits(self) -> tuple[Benefit, ...]:
        return (*self.hours, *((self.faster,) if self.faster else ()))


def _span(mean: float, low: float, high: float) -> Uncertain:
    lo, hi = sorted((max(0.0, low), max(0.0, high)))
    mid = min(max(max(0.0, mean), lo), hi)
    if math.isnan(low) or math.isnan(high) or hi == lo:
        return max(0.0, mean)
    return Range(low=lo, likely=mid, high=hi)


def benefits_from_comparison(
    comparison: ScenarioComparison,
    scenario: str,
    *,
    hourly_cost: Mapping[str, Uncertain] | Uncertain,
    weeks_per_year: float = 52.0,
    cases_per_year: Uncertain | None = None,
    value_per_day: Uncertain | None = None,
) -> SavingsFromScenario:
    """Benefits from ``scenario``'s outcome against the as-is: hours a year freed per pool
    (as-is workload − scenario workload, per week × ``weeks_per_year``) valued at the pool's
    loaded ``hourly_cost`` (one figure for every pool, or per pool name), and — when
    ``value_per_day`` is given — faster service: ``cases_per_year`` × days saved on the median
    throughput × ``value_per_day``. Pools whose workload does not fall are left out (and said so
    in ``notes``)."""
    outcome = comparison.outcome(scenario)
    notes: list[str] = []
    hours: list[HoursSaved] = []
    for pool in sorted(outcome.workload_hours_per_week):
        diff = comparison.difference(scenario, f"workload:{pool}")
        if diff is None or not diff.mean < 0:
            notes.append(f"{pool}: no workload freed in '{scenario}'")
            continue
        cost = hourly_cost.get(pool) if isinstance(hourly_cost, Mapping) else hourly_cost
        if cost is None:
            notes.append(f"{pool}: no hourly cost given, left out")
            continue
        per_year = _span(-diff.mean * weeks_per_year, -diff.high * weeks_per_year,
                         -diff.low * weeks_per_year)  # fmt: skip
        hours.append(HoursSaved(role=pool, hours_per_year=per_year, hourly_cost=cost))
    faster = None
    if value_per_day is not None:
        diff = comparison.difference(scenario, "throughput_median")
        if diff is None or not diff.mean < 0:
            notes.append(f"'{scenario}' does not shorten the median throughput")
        else:
            day = 86_400.0
            days = _span(-diff.mean / day, -diff.high / day, -diff.low / day)
            volume = cases_per_year
            if volume is None:
                volume = (
                    float(round(outcome.cases.mean)) if math.isfinite(outcome.cases.mean) else 0.0
                )
                notes.append("cases a year: the simulated cases of one run (give cases_per_year "
                             "for the agency's yearly volume)")  # fmt: skip
            faster = FasterService(cases_per_year=volume, days_saved=days,
                                   value_per_day=value_per_day, title=f"faster service: {scenario}")  # fmt: skip
    return SavingsFromScenario(hours=tuple(hours), faster=faster, notes=tuple(notes))
