"""What-if scenarios: named lists of changes applied to a model, giving a new model.

Each change is a small typed record (``kind`` tells which), so a scenario is a JSON document too
and the application layer can store it beside its results.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from civicflow.core import ConfigurationError, Location
from civicflow.planning._model import END, SimulationModel


class _Change(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class ActivityDuration(_Change):
    """Make an activity faster or slower (``factor``), or give it a fixed (automated) time and
    cost: ``fixed_seconds`` with ``automated=True`` takes it away from its pool."""

    kind: Literal["activity_duration"] = "activity_duration"
    activity: str
    factor: float | None = Field(default=None, gt=0)
    fixed_seconds: float | None = Field(default=None, ge=0)
    fixed_cost: float | None = Field(default=None, ge=0, description="cost per execution")
    automated: bool = Field(default=False, description="no staff: the activity leaves its pool")


class RemoveActivity(_Change):
    """Automate an activity away: cases go straight to what followed it."""

    kind: Literal["remove_activity"] = "remove_activity"
    activity: str


class Staffing(_Change):
    """Change a pool's size, calendar or cost per hour."""

    kind: Literal["staffing"] = "staffing"
    pool: str
    size: int | None = Field(default=None, ge=1)
    calendar: dict[str, Any] | None = None
    cost_per_hour: float | None = Field(default=None, ge=0)


class ArrivalVolume(_Change):
    """More or fewer cases: the arrival rate times ``factor``."""

    kind: Literal["arrival_volume"] = "arrival_volume"
    factor: float = Field(gt=0)


class BranchProbability(_Change):
    """Set the probability of going from ``from`` to ``to`` (``END`` for the end); the other
    choices keep their proportions. Applies to every row of ``from`` (or the given visit)."""

    kind: Literal["branch_probability"] = "branch_probability"
    source: str = Field(validation_alias=AliasChoices("from", "source"), serialization_alias="from")
    target: str = Field(validation_alias=AliasChoices("to", "target"), serialization_alias="to")
    probability: float = Field(ge=0, le=1)
    visit: int | None = Field(default=None, ge=1)


class RemoveRework(_Change):
    """An activity is done at most once per case: the loop back to it disappears."""

    kind: Literal["remove_rework"] = "remove_rework"
    activity: str


Change = Annotated[
    ActivityDuration | RemoveActivity | Staffing | ArrivalVolume | BranchProbability | RemoveRework,
    Field(discriminator="kind"),
]


class Scenario(BaseModel):
    """A named what-if: ``apply(model)`` returns the changed model (the changes in order)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str = ""
    changes: list[Change] = Field(default_factory=list)

    @classmethod
    def from_dict(cls, data: Any, *, file: str | None = None) -> Scenario:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            path = ".".join(str(p) for p in first["loc"])
            raise ConfigurationError(
                "the scenario is not valid",
                where=Location(file=file, field=path or None),
                found=str(first.get("input"))[:200],
                expected=first["msg"],
                fix="see the scenario changes in docs/SIMULATION.md",
            ) from None

    def apply(self, model: SimulationModel) -> SimulationModel:
        data = model.to_dict()
        for i, change in enumerate(self.changes):
            _APPLY[change.kind](data, change, f"changes[{i}]")
        data["name"] = f"{model.name} — {self.name}"
        data.setdefault("source", {})["scenario"] = self.model_dump(mode="json", by_alias=True)
        return SimulationModel.from_dict(data)


def _activity(data: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    if name not in data["activities"]:
        raise _unknown(f"{where}.activity", name, data["activities"], "activity")
    activity: dict[str, Any] = data["activities"][name]
    return activity


def _unknown(field: str, found: str, known: Any, what: str) -> ConfigurationError:
    return ConfigurationError(
        f"the scenario names an unknown {what}",
        where=Location(field=field),
        found=found,
        expected="one of: " + ", ".join(sorted(known)),
        fix=f"use a {what} of the model",
    )


def _duration(data: dict[str, Any], change: ActivityDuration, where: str) -> None:
    from civicflow.planning._distributions import Distribution

    activity = _activity(data, change.activity, where)
    if (change.factor is None) == (change.fixed_seconds is None) and change.fixed_cost is None:
        raise ConfigurationError(
            "an activity_duration change needs a factor or a fixed time",
            where=Location(field=where),
            found="both" if change.factor is not None else "neither",
            expected="factor, or fixed_seconds (and fixed_cost)",
            fix="give exactly one of factor and fixed_seconds",
        )
    if change.factor is not None:
        dist = Distribution.model_validate(activity["duration"]).scaled(change.factor)
        activity["duration"] = dist.model_dump(mode="json", exclude_none=True)
    if change.fixed_seconds is not None:
        activity["duration"] = {"kind": "fixed", "params": {"value": change.fixed_seconds}}
    if change.fixed_cost is not None:
        activity["fixed_cost"] = change.fixed_cost
    if change.automated:
        activity.pop("pool", None)


def _remove(data: dict[str, Any], change: RemoveActivity, where: str) -> None:
    _activity(data, change.activity, where)
    x = change.activity
    cf = data["control_flow"]
    general = next(
        r for r in cf["transitions"] if r["from"] == x and "visit" not in r and "when" not in r
    )
    onward = {k: v for k, v in general["to"].items() if k != x}
    total = sum(onward.values())
    if total <= 0:
        raise ConfigurationError(
            "cannot remove an activity that only repeats itself",
            where=Location(field=f"{where}.activity"),
            found=x,
            expected="an activity with a way out",
            fix="remove its loop first",
        )
    onward = {k: v / total for k, v in onward.items()}

    def bypass(to: dict[str, float]) -> dict[str, float]:
        if x not in to:
            return to
        q = to.pop(x)
        for k, v in onward.items():
            to[k] = to.get(k, 0.0) + q * v
        return _normalised(to)

    cf["start"] = bypass(dict(cf["start"]))
    rows = [r for r in cf["transitions"] if r["from"] != x]
    for r in rows:
        r["to"] = bypass(dict(r["to"]))
    cf["transitions"] = rows
    del data["activities"][x]


def _staffing(data: dict[str, Any], change: Staffing, where: str) -> None:
    if change.pool not in data["pools"]:
        raise _unknown(f"{where}.pool", change.pool, data["pools"], "pool")
    pool = data["pools"][change.pool]
    if change.size is not None:
        pool["size"] = change.size
    if change.calendar is not None:
        pool["calendar"] = change.calendar
    if change.cost_per_hour is not None:
        pool["cost_per_hour"] = change.cost_per_hour


def _volume(data: dict[str, Any], change: ArrivalVolume, where: str) -> None:
    from civicflow.planning._distributions import Distribution

    dist = Distribution.model_validate(data["arrivals"]["interarrival"]).scaled(1 / change.factor)
    data["arrivals"]["interarrival"] = dist.model_dump(mode="json", exclude_none=True)


def _branch(data: dict[str, Any], change: BranchProbability, where: str) -> None:
    if change.source not in data["activities"]:
        raise _unknown(f"{where}.from", change.source, data["activities"], "activity")
    if change.target != END and change.target not in data["activities"]:
        raise _unknown(f"{where}.to", change.target, [*data["activities"], END], "activity")
    touched = 0
    for r in data["control_flow"]["transitions"]:
        if r["from"] != change.source or (
            change.visit is not None and r.get("visit") != change.visit
        ):
            continue
        others = {k: v for k, v in r["to"].items() if k != change.target}
        rest = sum(others.values())
        if rest <= 0 and change.probability < 1:
            raise ConfigurationError(
                "no other choice to give the remaining probability to",
                where=Location(field=where),
                found=f"{change.source} -> {change.target} is the only way on",
                expected="a row with another choice",
                fix="set the probability to 1 or change another branch",
            )
        scale = 0.0 if rest <= 0 else (1 - change.probability) / rest
        to = {k: v * scale for k, v in others.items()}
        to[change.target] = change.probability
        r["to"] = _normalised({k: v for k, v in to.items() if v > 0})
        touched += 1
    if touched == 0:
        raise ConfigurationError(
            "no transition row matches the branch change",
            where=Location(field=f"{where}.visit"),
            found=f"from {change.source} visit {change.visit}",
            expected="a visit the model distinguishes",
            fix="leave visit empty to change every row",
        )


def _rework(data: dict[str, Any], change: RemoveRework, where: str) -> None:
    _activity(data, change.activity, where)["max_visits"] = 1


def _normalised(to: dict[str, float]) -> dict[str, float]:
    total = sum(to.values())
    return {k: v / total for k, v in to.items()}


_APPLY: dict[str, Any] = {
    "activity_duration": _duration,
    "remove_activity": _remove,
    "staffing": _staffing,
    "arrival_volume": _volume,
    "branch_probability": _branch,
    "remove_rework": _rework,
}
