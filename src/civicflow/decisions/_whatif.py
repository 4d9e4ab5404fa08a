"""What-if: the effect of a parameter change on a population of past cases, before it is
published — who gains, who loses, and what it costs."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from civicflow.core import ConfigurationError, Location
from civicflow.decisions._decide import _py
from civicflow.decisions._expr import NUMBER
from civicflow.decisions._ruleset import ParameterValue, RuleSet


@dataclass(frozen=True, slots=True)
class ParameterChange:
    """A new value for a parameter: a number, or a scale (key → value) for a scale parameter,
    applying from ``since`` (default: to every case, whatever its date)."""

    parameter: str
    value: float | None = None
    scale: Mapping[float, float] | None = None
    since: dt.date | None = None

    def describe(self) -> str:
        new = (
            ", ".join(f"{k:g}: {v:g}" for k, v in sorted(self.scale.items()))
            if self.scale
            else f"{self.value:g}"
        )
        when = f" from {self.since.isoformat()}" if self.since else ""
        return f"{self.parameter} = {new}{when}"


@dataclass(frozen=True, slots=True)
class Case:
    """A past case to re-decide: its key (a decision id), inputs and date."""

    key: str
    inputs: Mapping[str, Any]
    on: dt.date


@dataclass(frozen=True, slots=True)
class CaseChange:
    """A case whose outcome or amount changes."""

    key: str
    on: dt.date
    before_positive: bool
    after_positive: bool
    before_amount: float
    after_amount: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "date": self.on.isoformat(),
            "before_positive": self.before_positive,
            "after_positive": self.after_positive,
            "before_amount": self.before_amount,
            "after_amount": self.after_amount,
        }


@dataclass(frozen=True, slots=True)
class WhatIf:
    """The comparison: cases that become positive (gain), become negative (lose), or whose
    amount changes; the total amount before and after (the cost is the difference)."""

    change: ParameterChange
    cases: int
    amount_output: str | None
    gains: tuple[CaseChange, ...]
    losses: tuple[CaseChange, ...]
    amount_changes: tuple[CaseChange, ...]
    total_before: float
    total_after: float

    @property
    def cost(self) -> float:
        return self.total_after - self.total_before

    def summary(self) -> str:
        text = (
            f"{self.change.describe()}: of {self.cases:,} past cases, {len(self.gains):,} would "
            f"gain and {len(self.losses):,} would lose the positive outcome"
        )
        if self.amount_output:
            text += (
                f"; {self.amount_output} totals {self.total_before:,.2f} before and "
                f"{self.total_after:,.2f} after (a change of {self.cost:+,.2f})"
            )
        return text + "."

    def to_dict(self) -> dict[str, Any]:
        return {
            "change": self.change.describe(),
            "cases": self.cases,
            "amount_output": self.amount_output,
            "gains": [c.to_dict() for c in self.gains],
            "losses": [c.to_dict() for c in self.losses],
            "amount_changes": len(self.amount_changes),
            "total_before": round(self.total_before, 2),
            "total_after": round(self.total_after, 2),
            "cost": round(self.cost, 2),
            "summary": self.summary(),
        }


def with_parameter(ruleset: RuleSet, change: ParameterChange) -> RuleSet:
    """A copy of ``ruleset`` with ``change`` applied (the file on disk is untouched)."""
    parameter = ruleset.parameters.get(change.parameter)
    if parameter is None:
        raise ConfigurationError(
            f"the rule set '{ruleset.name}' has no parameter '{change.parameter}'",
            where=Location(field="parameter"),
            found=change.parameter,
            expected="one of: " + ", ".join(sorted(ruleset.parameters)),
            fix="name a declared parameter",
        )
    if parameter.is_scale != bool(change.scale) or (not change.scale and change.value is None):
        raise ConfigurationError(
            f"'{change.parameter}' is {'a scale' if parameter.is_scale else 'a single value'}",
            where=Location(field="value"),
            found="a scale" if change.scale else "a single value",
            expected="key:value pairs, e.g. 1:1600,2:2200" if parameter.is_scale else "a number",
            fix="give the new value in the parameter's form",
        )
    new = ParameterValue(
        since=change.since or dt.date.min,
        value=change.value if not change.scale else None,
        scale=tuple(sorted((float(k), float(v)) for k, v in (change.scale or {}).items())),
    )
    kept = [v for v in parameter.values if change.since is not None and v.since < change.since]
    changed = dataclasses.replace(parameter, values=(*kept, new))
    parameters = dict(ruleset.parameters)
    parameters[change.parameter] = changed
    return dataclasses.replace(ruleset, parameters=parameters)


def amount_output(ruleset: RuleSet) -> str | None:
    """The first number among the rule set's outputs: the amount a what-if totals."""
    for name in ruleset.outputs:
        if ruleset.rule(name).formula.type == NUMBER:
            return name
    return None


def what_if(ruleset: RuleSet, change: ParameterChange, cases: Sequence[Case]) -> WhatIf:
    """Re-decide ``cases`` (each for its own date) under ``ruleset`` and under the change."""
    changed = with_parameter(ruleset, change)
    amount = amount_output(ruleset)
    by_date: dict[dt.date, list[Case]] = defaultdict(list)
    for case in cases:
        by_date[case.on].append(case)
    gains: list[CaseChange] = []
    losses: list[CaseChange] = []
    amounts: list[CaseChange] = []
    total_before = total_after = 0.0
    for on, group in sorted(by_date.items()):
        columns = {
            spec.name: [c.inputs.get(spec.name, spec.default) for c in group]
            for spec in ruleset.inputs
            if any(c.inputs.get(spec.name) is not None for c in group)
        }
        before = ruleset.decide_batch(columns, on=on)
        after = changed.decide_batch(columns, on=on)
        zero = np.zeros(len(group))
        a_before = before.column(amount) if amount else zero
        a_after = after.column(amount) if amount else zero
        total_before += float(np.sum(a_before))
        total_after += float(np.sum(a_after))
        differs = (before.positive != after.positive) | ~np.isclose(a_before, a_after)
        for i in np.flatnonzero(differs):
            entry = CaseChange(
                key=group[i].key,
                on=on,
                before_positive=bool(before.positive[i]),
                after_positive=bool(after.positive[i]),
                before_amount=_py(a_before[i]),
                after_amount=_py(a_after[i]),
            )
            if entry.after_positive and not entry.before_positive:
                gains.append(entry)
            elif entry.before_positive and not entry.after_positive:
                losses.append(entry)
            else:
                amounts.append(entry)
    return WhatIf(
        change=change,
        cases=len(cases),
        amount_output=amount,
        gains=tuple(gains),
        losses=tuple(losses),
        amount_changes=tuple(amounts),
        total_before=total_before,
        total_after=total_after,
    )
