"""The programme pages' forms, described once per kind: fields, labels, columns, use cases.

One description drives the list table, the create/edit form and the parsing of what is posted, so a
new kind of programme item is one entry here, not five templates.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from civicflow.app import programme as pg


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, textarea, number, date, select, int5
    required: bool = True
    choices: tuple[str, ...] = ()
    hint: str = ""
    step: str = "any"


def _choices(e: type[enum.Enum]) -> tuple[str, ...]:
    return tuple(str(m.value) for m in e)


@dataclass(frozen=True, slots=True)
class Kind:
    slug: str
    singular: str
    plural: str
    fields: tuple[Field, ...]
    columns: tuple[str, ...]
    create_model: type[BaseModel]
    update_model: type[BaseModel]
    id_param: str
    list_fn: Callable[..., list[Any]]
    get_fn: Callable[..., Any]
    create_fn: Callable[..., Any]
    update_fn: Callable[..., Any]
    # nested inputs built from flat form fields (pilots' success criterion)
    nest: Callable[[dict[str, Any]], dict[str, Any]] = field(default=lambda d: d)
    flatten: Callable[[dict[str, Any]], dict[str, Any]] = field(default=lambda d: d)


def _nest_pilot(data: dict[str, Any]) -> dict[str, Any]:
    crit = {k: data.pop(f"criterion_{k}", None) for k in ("kpi", "target", "direction")}
    if any(v not in (None, "") for v in crit.values()):
        data["success_criteria"] = [crit]
    elif "success_criteria" not in data:
        data["success_criteria"] = []
    return data


def _flatten_pilot(data: dict[str, Any]) -> dict[str, Any]:
    crits = data.get("success_criteria") or []
    if crits:
        first = crits[0] if isinstance(crits[0], dict) else crits[0].model_dump(mode="json")
        for k in ("kpi", "target", "direction"):
            data[f"criterion_{k}"] = first.get(k)
    return data


KINDS: dict[str, Kind] = {
    k.slug: k
    for k in (
        Kind(
            slug="objectives",
            singular="objective",
            plural="Objectives",
            fields=(
                Field("title", "Title"),
                Field("kpi", "KPI", hint="a KPI definition name, e.g. throughput_median_days"),
                Field("baseline_name", "Baseline", hint="the frozen baseline it starts from"),
                Field("baseline_value", "Baseline value", "number"),
                Field("target_value", "Target value", "number"),
                Field("direction", "Direction", "select", choices=_choices(pg.Direction)),
                Field("due_date", "Due date", "date"),
                Field("description", "Description", "textarea", required=False),
            ),
            columns=("title", "kpi", "baseline_value", "target_value", "due_date", "progress"),
            create_model=pg.ObjectiveCreate,
            update_model=pg.ObjectiveUpdate,
            id_param="objective_id",
            list_fn=pg.list_objectives,
            get_fn=pg.get_objective,
            create_fn=pg.create_objective,
            update_fn=pg.update_objective,
        ),
        Kind(
            slug="stakeholders",
            singular="stakeholder",
            plural="Stakeholders",
            fields=(
                Field("name", "Name"),
                Field("kind", "Kind", "select", choices=_choices(pg.StakeholderKind)),
                Field("interest", "Interest (1-5)", "int5"),
                Field("influence", "Influence (1-5)", "int5"),
                Field("organisation", "Organisation", required=False),
                Field("notes", "Notes", "textarea", required=False),
            ),
            columns=("name", "kind", "interest", "influence", "organisation"),
            create_model=pg.StakeholderCreate,
            update_model=pg.StakeholderUpdate,
            id_param="stakeholder_id",
            list_fn=pg.list_stakeholders,
            get_fn=pg.get_stakeholder,
            create_fn=pg.create_stakeholder,
            update_fn=pg.update_stakeholder,
        ),
        Kind(
            slug="budget",
            singular="budget line",
            plural="Budget",
            fields=(
                Field("title", "Title"),
                Field("category", "Category", "select", choices=_choices(pg.BudgetCategory)),
                Field("recurrence", "Recurrence", "select", choices=_choices(pg.Recurrence)),
                Field("amount", "Amount", "number", step="0.01"),
                Field("currency", "Currency", hint="ISO 4217 code, e.g. EUR"),
                Field("start_date", "Start date", "date"),
                Field(
                    "period",
                    "Period",
                    "select",
                    required=False,
                    choices=_choices(pg.Period),
                    hint="recurring lines only",
                ),
                Field("end_date", "End date", "date", required=False),
            ),
            columns=(
                "title",
                "category",
                "recurrence",
                "amount",
                "currency",
                "period",
                "start_date",
            ),
            create_model=pg.BudgetLineCreate,
            update_model=pg.BudgetLineUpdate,
            id_param="budget_line_id",
            list_fn=pg.list_budget_lines,
            get_fn=pg.get_budget_line,
            create_fn=pg.create_budget_line,
            update_fn=pg.update_budget_line,
        ),
        Kind(
            slug="risks",
            singular="risk",
            plural="Risks",
            fields=(
                Field("title", "Title"),
                Field("likelihood", "Likelihood (1-5)", "int5"),
                Field("impact", "Impact (1-5)", "int5"),
                Field("owner", "Owner"),
                Field("mitigation", "Mitigation", "textarea", required=False),
                Field("description", "Description", "textarea", required=False),
                Field("status", "Status", "select", choices=_choices(pg.RiskStatus)),
            ),
            columns=("title", "likelihood", "impact", "owner", "status"),
            create_model=pg.RiskCreate,
            update_model=pg.RiskUpdate,
            id_param="risk_id",
            list_fn=pg.list_risks,
            get_fn=pg.get_risk,
            create_fn=pg.create_risk,
            update_fn=pg.update_risk,
        ),
        Kind(
            slug="pilots",
            singular="pilot",
            plural="Pilots",
            fields=(
                Field("title", "Title"),
                Field("scope", "Scope", "textarea"),
                Field("criterion_kpi", "Success criterion: KPI", required=False),
                Field("criterion_target", "Success criterion: target", "number", required=False),
                Field(
                    "criterion_direction",
                    "Success criterion: direction",
                    "select",
                    required=False,
                    choices=_choices(pg.Direction),
                ),
                Field("start_date", "Start date", "date"),
                Field("end_date", "End date", "date"),
                Field("status", "Status", "select", choices=_choices(pg.PilotStatus)),
            ),
            columns=("title", "status", "start_date", "end_date"),
            create_model=pg.PilotCreate,
            update_model=pg.PilotUpdate,
            id_param="pilot_id",
            list_fn=pg.list_pilots,
            get_fn=pg.get_pilot,
            create_fn=pg.create_pilot,
            update_fn=pg.update_pilot,
            nest=_nest_pilot,
            flatten=_flatten_pilot,
        ),
        Kind(
            slug="communications",
            singular="communication",
            plural="Communications",
            fields=(
                Field("title", "Title"),
                Field("channel", "Channel", "select", choices=_choices(pg.Channel)),
                Field("audience", "Audience", hint="who it is for, e.g. permit applicants"),
                Field("planned_date", "Planned date", "date"),
                Field("message", "Message", "textarea"),
                Field("status", "Status", "select", choices=_choices(pg.CommunicationStatus)),
            ),
            columns=("title", "channel", "audience", "planned_date", "status"),
            create_model=pg.CommunicationCreate,
            update_model=pg.CommunicationUpdate,
            id_param="communication_id",
            list_fn=pg.list_communications,
            get_fn=pg.get_communication,
            create_fn=pg.create_communication,
            update_fn=pg.update_communication,
        ),
        Kind(
            slug="decisions",
            singular="decision",
            plural="Decisions",
            fields=(
                Field("title", "Title"),
                Field("decision", "Decision", "textarea"),
                Field("decided_on", "Decided on", "date"),
                Field("decided_by", "Decided by", hint="the person or board that decided"),
                Field("rationale", "Rationale", "textarea", required=False),
            ),
            columns=("title", "decided_on", "decided_by"),
            create_model=pg.DecisionCreate,
            update_model=pg.DecisionUpdate,
            id_param="decision_id",
            list_fn=pg.list_decisions,
            get_fn=pg.get_decision,
            create_fn=pg.create_decision,
            update_fn=pg.update_decision,
        ),
    )
}


def form_data(kind: Kind, form: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """The posted fields of ``kind`` as input for its pydantic model (blank optional fields left out)."""
    data: dict[str, Any] = {}
    for f in kind.fields:
        raw = form.get(f.name)
        value = raw.strip() if isinstance(raw, str) else raw
        if value in (None, ""):
            if f.required and not partial:
                data[f.name] = None  # let the model name the missing field
            continue
        data[f.name] = value
    return kind.nest(data)


def item_values(kind: Kind, item: Any) -> dict[str, Any]:
    """An item's values for pre-filling the edit form."""
    values = item.model_dump(mode="json") if isinstance(item, BaseModel) else dict(item)
    return kind.flatten(values)
