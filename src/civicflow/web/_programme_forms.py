"""The programme pages' forms, derived from the application's pydantic models.

Each page is one :class:`Kind`: a URL slug, a title, the list's columns and the application's
:class:`~civicflow.app.programme.ProgrammeKind`. The form's fields (name, label, widget, required,
choices, bounds, hint) come from the kind's ``*Create`` model: the label from ``Field(title=...)``
or the field's name, the hint from its description, the widget from its annotation (text, a
multi-line box where ``x-widget`` asks for one, number, date, select for an enum, checkbox for a
bool). A list of sub-models (a pilot's success criteria) is one row of its sub-fields, named
``<field>.0.<sub>`` like the errors that name them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import NoneType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from civicflow.app import programme as pg


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, textarea, number, date, select, checkbox
    required: bool = True
    choices: tuple[str, ...] = ()
    hint: str = ""
    step: str = "any"
    minimum: str | None = None
    maximum: str | None = None
    default: str | None = None


def _bare(annotation: Any) -> Any:
    """``X`` of ``X | None``, ``Optional[X]`` and ``Annotated[X, ...]``."""
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
        elif get_origin(annotation) in (Union, UnionType):
            annotation = next(a for a in get_args(annotation) if a is not NoneType)
        else:
            return annotation


def _constraint(info: FieldInfo, name: str) -> Any:
    return next((getattr(m, name) for m in info.metadata if hasattr(m, name)), None)


def _widget(info: FieldInfo) -> dict[str, Any]:
    kind = _bare(info.annotation)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return {"kind": "select", "choices": tuple(str(m.value) for m in kind)}
    if kind is bool:
        return {"kind": "checkbox"}
    if kind is date:
        return {"kind": "date"}
    if kind in (int, float, Decimal):
        places = _constraint(info, "decimal_places")
        lo, hi = _constraint(info, "ge"), _constraint(info, "le")
        return {
            "kind": "number",
            "step": "1"
            if kind is int
            else "any"
            if places is None
            else f"{10**-places:.{places}f}",
            "minimum": None if lo is None else str(lo),
            "maximum": None if hi is None else str(hi),
        }
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    return {"kind": "textarea" if extra.get("x-widget") == "textarea" else "text"}


def fields_of(model: type[BaseModel], *, prefix: str = "", label: str = "") -> tuple[Field, ...]:
    """The form fields of ``model``, in the model's order."""
    fields: list[Field] = []
    for name, info in model.model_fields.items():
        title = info.title or name.replace("_", " ").capitalize()
        kind = _bare(info.annotation)
        if get_origin(kind) is list and issubclass(get_args(kind)[0], BaseModel):
            # a row of sub-fields, optional in the form: the use case says how many it needs
            fields += fields_of(get_args(kind)[0], prefix=f"{prefix}{name}.0.", label=f"{title}: ")
            continue
        default = None if info.is_required() else getattr(info.default, "value", info.default)
        widget = _widget(info)
        # a choice with a default is always made: the form offers no blank option for it
        chosen = widget["kind"] == "select" and default is not None
        fields.append(
            Field(
                name=prefix + name,
                label=label + title,
                required=not label and (info.is_required() or chosen),
                hint=info.description or "",
                default=None if default in (None, "") else str(default),
                **widget,
            )
        )
    return tuple(fields)


@dataclass(frozen=True, slots=True)
class Kind:
    slug: str
    plural: str
    columns: tuple[str, ...]
    app: pg.ProgrammeKind[Any, Any, Any]
    fields: tuple[Field, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", fields_of(self.app.create_model))

    @property
    def singular(self) -> str:
        return self.app.label

    def header(self, column: str) -> str:
        """A list column's heading: its form field's label ("KPI", not "Kpi")."""
        for f in self.fields:
            if f.name == column:
                return f.label
        return column.replace("_", " ").capitalize()


KINDS: dict[str, Kind] = {
    k.slug: k
    for k in (
        Kind(
            "objectives",
            "Objectives",
            ("title", "kpi", "baseline_value", "target_value", "due_date", "progress"),
            pg.OBJECTIVES,
        ),
        Kind(
            "stakeholders",
            "Stakeholders",
            ("name", "kind", "interest", "influence", "organisation"),
            pg.STAKEHOLDERS,
        ),
        Kind(
            "budget",
            "Budget",
            ("title", "category", "recurrence", "amount", "currency", "period", "start_date"),
            pg.BUDGET_LINES,
        ),
        Kind("risks", "Risks", ("title", "likelihood", "impact", "owner", "status"), pg.RISKS),
        Kind("pilots", "Pilots", ("title", "status", "start_date", "end_date"), pg.PILOTS),
        Kind(
            "communications",
            "Communications",
            ("title", "channel", "audience", "planned_date", "status"),
            pg.COMMUNICATIONS,
        ),
        Kind(
            "decisions", "Decisions", ("title", "decided_on", "decided_by"), pg.PROGRAMME_DECISIONS
        ),
        Kind(
            "training",
            "Training plans",
            ("role", "course", "people", "start_date", "end_date", "status", "cost"),
            pg.TRAINING_PLANS,
        ),
    )
}


def form_data(kind: Kind, form: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """The posted fields of ``kind`` as input for its pydantic model (blank optional fields left
    out; a row of sub-fields becomes a one-item list, or an empty one when left blank)."""
    data: dict[str, Any] = {}
    for f in kind.fields:
        raw = form.get(f.name)
        value = raw.strip() if isinstance(raw, str) else raw
        if f.kind == "checkbox":
            value = value is not None
        top, _, sub = f.name.partition(".0.")
        if sub:
            item = data.setdefault(top, [{}])[0]
            if value not in (None, ""):
                item[sub] = value
        elif value not in (None, ""):
            data[f.name] = value
        elif f.required and not partial:
            data[f.name] = None  # let the model name the missing field
    return {k: [] if isinstance(v, list) and v == [{}] else v for k, v in data.items()}


def item_label(item: Any) -> str:
    """What an item is called in a sentence: its title or name, else the start of its summary,
    else its id."""
    for attr in ("title", "name", "summary"):
        value = getattr(item, attr, None)
        if isinstance(value, str) and value.strip():
            text = " ".join(value.split())
            return text if len(text) <= 60 else f"{text[:59]}…"
    return str(getattr(item, "id", ""))


def item_values(kind: Kind, item: BaseModel) -> dict[str, Any]:
    """An item's values for pre-filling the edit form."""
    values = item.model_dump(mode="json")
    for name, value in list(values.items()):
        if isinstance(value, list) and value and isinstance(value[0], dict):
            values.update({f"{name}.0.{sub}": v for sub, v in value[0].items()})
    return values
