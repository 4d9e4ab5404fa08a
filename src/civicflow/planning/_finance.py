"""The money of a business case: costs (one-off and recurring, by category, the shape of the
programme's budget lines), benefits (hours saved × loaded cost per role, rework avoided, other
benefits), the cash flow per year, and NPV, IRR, ROI and payback period.

Conventions, stated once:

- Year ``i`` of a case is ``[start + i years, start + i + 1 years)``; its flows are discounted by
  ``(1 + rate) ** i``, so year 0 is not discounted (the convention of ``numpy_financial.npv``).
- A recurring cost line pays ``amount`` at its start date and every ``period`` after it, up to and
  including its end date (or the end of the horizon).
- ROI = (benefits − costs) / costs over the horizon, undiscounted; :func:`roi` takes a rate to
  discount both.
- Payback = the years until the cumulative net cash flow first reaches 0, interpolated linearly
  within the year in which it turns; ``None`` when it never does within the horizon.
"""

from __future__ import annotations

import abc
import calendar
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np

from civicflow.core import ConfigurationError, Location
from civicflow.planning._ranges import Range, Uncertain, check_not_negative, likely

CostCategory = Literal["software", "hardware", "training", "maintenance", "other"]
COST_CATEGORIES: tuple[str, ...] = ("software", "hardware", "training", "maintenance", "other")
Recurrence = Literal["one_off", "recurring"]
Period = Literal["month", "quarter", "year"]
_MONTHS: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}

MAX_DISCOUNT_RATE = 1.0
"""Discount rates are accepted in [0, 1): 0 % up to (not including) 100 % a year."""


def check_rate(rate: Uncertain, *, field: str = "discount_rate") -> None:
    """Refuse a discount rate (or a range of them) outside [0, 1), naming the field and value."""
    ends = (rate.low, rate.high) if isinstance(rate, Range) else (rate,)
    for value in ends:
        if not isinstance(value, int | float) or not 0.0 <= value < MAX_DISCOUNT_RATE:
            raise ConfigurationError(
                "the discount rate is out of range",
                where=Location(field=field),
                found=repr(rate),
                expected="a yearly rate as a fraction in [0, 1), e.g. 0.04 for 4 %",
                fix="give the rate as a fraction: 4 % is 0.04",
            )


def _flows(cash_flows: Sequence[float] | np.ndarray) -> np.ndarray:
    values = np.asarray(cash_flows, dtype=np.float64)
    if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)):
        raise ConfigurationError(
            "the cash flows are not a non-empty list of finite numbers",
            where=Location(field="cash_flows"),
            found=repr(cash_flows),
            expected="one finite number per year, year 0 first",
            fix="pass e.g. [-1000, 300, 400, 500]",
        )
    return values


def discount_factors(rate: float, years: int) -> np.ndarray:
    """``1 / (1 + rate) ** i`` for years 0 .. years - 1."""
    return 1.0 / (1.0 + rate) ** np.arange(years, dtype=np.float64)


def npv(rate: float, cash_flows: Sequence[float] | np.ndarray) -> float:
    """Net present value: ``sum(cf[i] / (1 + rate) ** i)``; year 0 is not discounted."""
    check_rate(rate)
    flows = _flows(cash_flows)
    return float(flows @ discount_factors(rate, flows.size))


def irr(cash_flows: Sequence[float] | np.ndarray) -> float | None:
    """Internal rate of return: the rate above -100 % at which the NPV is 0.

    Found as the real roots of the NPV polynomial in ``1 / (1 + rate)``; with several (a cash flow
    that changes sign more than once) the one closest to 0 is returned, as numpy-financial does.
    ``None`` when there is none (all flows of one sign).
    """
    flows = _flows(cash_flows)
    if not (np.any(flows > 0) and np.any(flows < 0)):
        return None
    # npv = sum cf_i x^i with x = 1/(1+r); np.roots wants the highest power first
    roots = np.roots(flows[::-1])
    real = roots[(np.abs(roots.imag) < 1e-10) & (roots.real > 0)].real
    if real.size == 0:
        return None
    rates = 1.0 / real - 1.0
    best = float(rates[np.argmin(np.abs(rates))])
    # polish with Newton steps on the NPV: the roots of a polynomial lose a few digits
    years = np.arange(flows.size, dtype=np.float64)
    for _ in range(50):
        factors = (1.0 + best) ** -years
        value = flows @ factors
        slope = -(years * flows) @ (factors / (1.0 + best))
        if slope == 0:
            break
        step = value / slope
        best -= step
        if abs(step) < 1e-14:
            break
    return best


def roi(
    *,
    benefits: Sequence[float] | np.ndarray,
    costs: Sequence[float] | np.ndarray,
    rate: float | None = None,
) -> float | None:
    """Return on investment: (benefits − costs) / costs over the horizon, per-year amounts given
    as positive numbers; discounted when ``rate`` is given. ``None`` when there is no cost."""
    b, c = _flows(benefits), _flows(costs)
    if b.size != c.size:
        raise ConfigurationError(
            "benefits and costs cover different numbers of years",
            where=Location(field="benefits"),
            found=f"{b.size} benefit years, {c.size} cost years",
            expected="one value per year in both",
            fix="pass both for the same years",
        )
    if rate is not None:
        check_rate(rate)
        factors = discount_factors(rate, b.size)
        b, c = b * factors, c * factors
    total_cost = float(c.sum())
    return None if total_cost == 0 else float((b.sum() - total_cost) / total_cost)


def payback_period(
    cash_flows: Sequence[float] | np.ndarray, *, rate: float | None = None
) -> float | None:
    """Years until the cumulative net cash flow (discounted when ``rate`` is given) first reaches
    0, interpolated linearly within the year it turns; 0 when year 0 already pays; ``None`` when it
    never does within the horizon."""
    flows = _flows(cash_flows)
    if rate is not None:
        check_rate(rate)
        flows = flows * discount_factors(rate, flows.size)
    return _payback(flows[np.newaxis, :])[0]


def _payback(flows: np.ndarray) -> list[float | None]:
    """Payback per row of a (draws, years) matrix of (already discounted) net flows."""
    years = _payback_years(flows)
    return [None if math.isnan(y) else float(y) for y in years]


def _payback_years(flows: np.ndarray) -> np.ndarray:
    """Vectorised payback: NaN where the cumulative flow never reaches 0."""
    cumulative = np.cumsum(flows, axis=1)
    paid = cumulative >= 0
    # the first year at which the cumulative flow is >= 0 *and stays reached from there*: payback
    # counts the first crossing, as the textbook does
    any_paid = paid.any(axis=1)
    first = np.argmax(paid, axis=1)
    rows = np.arange(flows.shape[0])
    before = np.where(first > 0, cumulative[rows, np.maximum(first - 1, 0)], 0.0)
    inflow = flows[rows, first]
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.where(first > 0, -before / inflow, 0.0)
    years = np.where(first > 0, first - 1 + fraction, 0.0)
    return np.where(any_paid, years, np.nan)


# -- the inputs of a business case -------------------------------------------------------------


def _add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    # the 31st of a month without one falls on its last day
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def year_of(day: date, start: date) -> int:
    """The year index of ``day`` in a case that starts on ``start`` (negative before it)."""
    years = day.year - start.year
    if (day.month, day.day) < (start.month, start.day):
        years -= 1
    return years


@dataclass(frozen=True, slots=True, kw_only=True)
class CostLine:
    """A cost of the change, shaped like a programme budget line: ``amount`` is paid on ``start``
    (one-off) or on ``start`` and every ``period`` after it up to and including ``end``
    (recurring; the end of the horizon when ``end`` is None)."""

    title: str
    amount: Uncertain
    start: date
    category: CostCategory = "other"
    recurrence: Recurrence = "one_off"
    period: Period | None = None
    end: date | None = None

    def __post_init__(self) -> None:
        owner = f"cost '{self.title}'"
        check_not_negative(owner, "amount", self.amount)
        if self.category not in COST_CATEGORIES:
            raise ConfigurationError(
                f"{owner} has an unknown category",
                where=Location(field="category"),
                found=str(self.category),
                expected=", ".join(COST_CATEGORIES),
                fix="pick one of the budget categories",
            )
        if self.recurrence == "recurring" and self.period not in _MONTHS:
            raise ConfigurationError(
                f"{owner} is recurring but has no period",
                where=Location(field="period"),
                found=repr(self.period),
                expected="month, quarter or year",
                fix="pass period='month', 'quarter' or 'year'",
            )
        if self.recurrence not in ("one_off", "recurring"):
            raise ConfigurationError(
                f"{owner} has an unknown recurrence",
                where=Location(field="recurrence"),
                found=str(self.recurrence),
                expected="one_off or recurring",
                fix="pass recurrence='one_off' or 'recurring'",
            )
        if self.end is not None and self.end < self.start:
            raise ConfigurationError(
                f"{owner} ends before it starts",
                where=Location(field="end"),
                found=f"{self.start.isoformat()} .. {self.end.isoformat()}",
                expected="end on or after start",
                fix="swap or correct the dates",
            )

    def occurrences(self, *, start: date, years: int) -> np.ndarray:
        """How many payments fall in each year of a case starting on ``start`` (before the case's
        start they are counted in year 0: money already committed)."""
        counts = np.zeros(years, dtype=np.float64)
        if self.recurrence == "one_off":
            index = max(0, year_of(self.start, start))
            if index < years:
                counts[index] += 1
            return counts
        step = _MONTHS[str(self.period)]
        k = 0
        while True:
            day = _add_months(self.start, k * step)
            index = max(0, year_of(day, start))
            if index >= years or (self.end is not None and day > self.end):
                return counts
            counts[index] += 1
            k += 1


@dataclass(frozen=True, slots=True, kw_only=True)
class _Benefit(abc.ABC):
    first_year: int = 1
    """The first year (0 = the year of the case's start) in which the benefit is earned."""
    last_year: int | None = None
    """The last year it is earned (inclusive); None: to the end of the horizon."""

    def years_active(self, years: int) -> np.ndarray:
        active = np.zeros(years, dtype=np.float64)
        last = years - 1 if self.last_year is None else min(self.last_year, years - 1)
        if self.first_year <= last:
            active[max(0, self.first_year) : last + 1] = 1.0
        return active

    def _check(self, owner: str, **values: Uncertain) -> None:
        for name, value in values.items():
            check_not_negative(owner, name, value)
        if self.first_year < 0 or (self.last_year is not None and self.last_year < self.first_year):
            raise ConfigurationError(
                f"{owner} has its years out of order",
                where=Location(field="first_year"),
                found=f"first_year={self.first_year}, last_year={self.last_year}",
                expected="0 <= first_year <= last_year",
                fix="year 0 is the year of the case's start; correct first_year or last_year",
            )

    @property
    @abc.abstractmethod
    def label(self) -> str:
        """How the benefit reads in tables and the tornado."""

    @abc.abstractmethod
    def factors(self) -> tuple[tuple[str, Uncertain], ...]:
        """The benefit's inputs by name, each a number or a range."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HoursSaved(_Benefit):
    """Staff hours freed per year in a role, valued at the role's loaded hourly cost (salary plus
    overheads): hours freed for other work, not a headcount reduction."""

    role: str
    hours_per_year: Uncertain
    hourly_cost: Uncertain

    def __post_init__(self) -> None:
        self._check(
            f"hours saved by '{self.role}'",
            hours_per_year=self.hours_per_year,
            hourly_cost=self.hourly_cost,
        )

    @property
    def label(self) -> str:
        return f"hours saved: {self.role}"

    def factors(self) -> tuple[tuple[str, Uncertain], ...]:
        return (("hours_per_year", self.hours_per_year), ("hourly_cost", self.hourly_cost))


@dataclass(frozen=True, slots=True, kw_only=True)
class ReworkAvoided(_Benefit):
    """Rework that no longer happens: cases a year that no longer loop back, times the cost of one
    loop."""

    activity: str
    cases_per_year: Uncertain
    cost_per_case: Uncertain

    def __post_init__(self) -> None:
        self._check(
            f"rework avoided at '{self.activity}'",
            cases_per_year=self.cases_per_year,
            cost_per_case=self.cost_per_case,
        )

    @property
    def label(self) -> str:
        return f"rework avoided: {self.activity}"

    def factors(self) -> tuple[tuple[str, Uncertain], ...]:
        return (("cases_per_year", self.cases_per_year), ("cost_per_case", self.cost_per_case))


@dataclass(frozen=True, slots=True, kw_only=True)
class OtherBenefit(_Benefit):
    """Any other yearly benefit the agency values in money (faster service, fewer complaints…)."""

    title: str
    amount_per_year: Uncertain

    def __post_init__(self) -> None:
        self._check(f"benefit '{self.title}'", amount_per_year=self.amount_per_year)

    @property
    def label(self) -> str:
        return self.title

    def factors(self) -> tuple[tuple[str, Uncertain], ...]:
        return (("amount_per_year", self.amount_per_year),)


@dataclass(frozen=True, slots=True, kw_only=True)
class FasterService(_Benefit):
    """Faster service where the agency values it: cases a year × days saved per case × the value
    of one day sooner (to the citizen or business, as the agency states it)."""

    cases_per_year: Uncertain
    days_saved: Uncertain
    value_per_day: Uncertain
    title: str = "faster service"

    def __post_init__(self) -> None:
        self._check(
            f"benefit '{self.title}'",
            cases_per_year=self.cases_per_year,
            days_saved=self.days_saved,
            value_per_day=self.value_per_day,
        )

    @property
    def label(self) -> str:
        return self.title

    def factors(self) -> tuple[tuple[str, Uncertain], ...]:
        return (
            ("cases_per_year", self.cases_per_year),
            ("days_saved", self.days_saved),
            ("value_per_day", self.value_per_day),
        )


Benefit = HoursSaved | ReworkAvoided | FasterService | OtherBenefit


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseInput:
    """One input of a business case that may be uncertain: its key (``costs[0].amount``), a label
    for people (``cost 'Licence': amount``) and its value."""

    key: str
    label: str
    value: Uncertain


Values = Mapping[str, "np.ndarray | float"]


@dataclass(frozen=True, slots=True, kw_only=True)
class BusinessCase:
    """Costs and benefits of a change over ``years`` years from ``start``, at ``discount_rate``."""

    name: str
    start: date
    years: int = 5
    discount_rate: Uncertain = 0.04
    costs: tuple[CostLine, ...] = ()
    benefits: tuple[Benefit, ...] = ()
    currency: str = "EUR"

    def __post_init__(self) -> None:
        if not isinstance(self.years, int) or not 1 <= self.years <= 50:
            raise ConfigurationError(
                f"business case '{self.name}' has a horizon out of range",
                where=Location(field="years"),
                found=repr(self.years),
                expected="a whole number of years from 1 to 50",
                fix="pass years=5 (say) for a five-year case",
            )
        check_rate(self.discount_rate)

    def inputs(self) -> tuple[CaseInput, ...]:
        """Every input that may be uncertain, in a stable order."""
        out = [CaseInput(key="discount_rate", label="discount rate", value=self.discount_rate)]
        for i, cost in enumerate(self.costs):
            out.append(
                CaseInput(
                    key=f"costs[{i}].amount", label=f"{cost.title}: amount", value=cost.amount
                )
            )
        for i, benefit in enumerate(self.benefits):
            for name, value in benefit.factors():
                out.append(
                    CaseInput(
                        key=f"benefits[{i}].{name}",
                        label=f"{benefit.label}: {name.replace('_', ' ')}",
                        value=value,
                    )
                )
        return tuple(out)

    def base_values(self) -> dict[str, float]:
        return {i.key: likely(i.value) for i in self.inputs()}

    def flows(self, values: Values | None = None) -> CaseFlows:
        """Yearly costs and benefits for the given input values (arrays of draws or numbers; the
        base case when omitted): each a (draws, years) matrix."""
        vals = self.base_values() if values is None else values
        years = self.years
        draws = max((np.size(v) for v in vals.values()), default=1)
        by_category: dict[str, np.ndarray] = {}
        for i, cost in enumerate(self.costs):
            amount = np.reshape(np.asarray(vals[f"costs[{i}].amount"], dtype=np.float64), (-1, 1))
            row = amount * cost.occurrences(start=self.start, years=years)
            prev = by_category.get(cost.category)
            by_category[cost.category] = row if prev is None else prev + row
        by_benefit: dict[str, np.ndarray] = {}
        for i, benefit in enumerate(self.benefits):
            product: np.ndarray = np.ones((1, 1))
            for name, _ in benefit.factors():
                value = np.asarray(vals[f"benefits[{i}].{name}"], dtype=np.float64)
                product = product * np.reshape(value, (-1, 1))
            row = product * benefit.years_active(years)
            prev = by_benefit.get(benefit.label)
            by_benefit[benefit.label] = row if prev is None else prev + row
        zero = np.zeros((1, years))
        costs = sum(by_category.values(), zero)
        benefits = sum(by_benefit.values(), zero)
        rate = np.reshape(np.asarray(vals["discount_rate"], dtype=np.float64), (-1, 1))
        factors = 1.0 / (1.0 + rate) ** np.arange(years, dtype=np.float64)
        return CaseFlows(
            costs=np.broadcast_to(costs, (draws, years)),
            benefits=np.broadcast_to(benefits, (draws, years)),
            factors=np.broadcast_to(factors, (draws, years)),
            costs_by_category=by_category,
            benefits_by_kind=by_benefit,
        )

    def evaluate(self) -> CaseResult:
        """The base case (every range at its most likely value)."""
        f = self.flows()
        net = f.net[0]
        rate = likely(self.discount_rate)
        return CaseResult(
            name=self.name,
            currency=self.currency,
            discount_rate=rate,
            years=tuple(
                YearFlow(
                    year=i,
                    starts=_add_months(self.start, 12 * i),
                    costs=float(f.costs[0, i]),
                    benefits=float(f.benefits[0, i]),
                    net=float(net[i]),
                    cumulative=float(net[: i + 1].sum()),
                    discounted=float(net[i] * f.factors[0, i]),
                    costs_by_category={
                        k: float(v[0, i]) for k, v in sorted(f.costs_by_category.items())
                    },
                    benefits_by_kind={
                        k: float(v[0, i]) for k, v in sorted(f.benefits_by_kind.items())
                    },
                )
                for i in range(self.years)
            ),
            npv=float(f.npv[0]),
            irr=irr(net),
            roi=roi(benefits=f.benefits[0], costs=f.costs[0]),
            payback_years=payback_period(net),
            discounted_payback_years=payback_period(net, rate=rate),
        )


@dataclass(frozen=True, slots=True)
class CaseFlows:
    """Yearly flows of one or many draws: (draws, years) matrices, positive amounts."""

    costs: np.ndarray
    benefits: np.ndarray
    factors: np.ndarray
    costs_by_category: dict[str, np.ndarray] = field(default_factory=dict)
    benefits_by_kind: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def net(self) -> np.ndarray:
        return self.benefits - self.costs

    @property
    def npv(self) -> np.ndarray:
        return (self.net * self.factors).sum(axis=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class YearFlow:
    """One year of the base case's cash flow."""

    year: int
    starts: date
    costs: float
    benefits: float
    net: float
    cumulative: float
    discounted: float
    costs_by_category: dict[str, float]
    benefits_by_kind: dict[str, float]


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseResult:
    """The base case's figures (see the module's conventions)."""

    name: str
    currency: str
    discount_rate: float
    years: tuple[YearFlow, ...]
    npv: float
    irr: float | None
    roi: float | None
    payback_years: float | None
    discounted_payback_years: float | None

    @property
    def cash_flows(self) -> list[float]:
        """Net cash flow per year, year 0 first."""
        return [y.net for y in self.years]
