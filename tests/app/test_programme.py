"""The programme model: validation messages, computed progress, history in the ledger."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from civicflow.app import Actor, AppContext, workspaces
from civicflow.app import programme as pg
from civicflow.core import InputError, NotFoundError
from civicflow.ledger import tables

from .samples import CREATE, KINDS, UPDATE, create


def _field(exc: pytest.ExceptionInfo[InputError]) -> str | None:
    return exc.value.where.field if exc.value.where else None


def test_crud_round_trip_for_every_kind(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace
) -> None:
    for kind in KINDS:
        item = create(ctx, admin, ws.id, kind)
        getter = pg.KINDS[kind].get
        assert getter(ctx, actor=admin, workspace_id=ws.id, item_id=item.id) == item
        updated = pg.KINDS[kind].update(
            ctx, actor=admin, workspace_id=ws.id, item_id=item.id, data=UPDATE[kind]
        )
        for key, value in UPDATE[kind].model_dump(exclude_unset=True).items():
            assert getattr(updated, key) == value, (kind, key)
        listed = pg.KINDS[kind].list(ctx, actor=admin, workspace_id=ws.id)
        assert [x.id for x in listed] == [item.id]
        pg.KINDS[kind].delete(ctx, actor=admin, workspace_id=ws.id, item_id=item.id)
        with pytest.raises(NotFoundError) as err:
            getter(ctx, actor=admin, workspace_id=ws.id, item_id=item.id)
        assert err.value.where is not None and err.value.where.field == f"{kind}_id"


def test_progress_is_computed_from_measurements(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace
) -> None:
    obj = pg.OBJECTIVES.create(ctx, actor=admin, workspace_id=ws.id, data=CREATE["objective"])
    assert obj.progress is None and obj.latest_value is None
    # baseline 42 days, target 21: a measured 35 is (42-35)/(42-21) = 1/3 of the way
    obj = pg.record_measurement(
        ctx, actor=admin, workspace_id=ws.id, objective_id=obj.id, value=35, source="baseline:q1"
    )
    assert obj.progress == pytest.approx(1 / 3)
    obj = pg.record_measurement(
        ctx, actor=admin, workspace_id=ws.id, objective_id=obj.id, value=21, source="baseline:q2"
    )
    assert obj.progress == pytest.approx(1.0) and obj.achieved
    # an increase objective: 60 % → 90 %, measured 75 % is half way
    up = pg.OBJECTIVES.create(
        ctx, actor=admin, workspace_id=ws.id,
        data=CREATE["objective"].model_copy(
            update={"kpi": "sla_compliance_share", "baseline_value": 0.6, "target_value": 0.9,
                    "direction": pg.Direction.INCREASE}
        ),
    )  # fmt: skip
    up = pg.record_measurement(
        ctx, actor=admin, workspace_id=ws.id, objective_id=up.id, value=0.75, source="b"
    )
    assert up.progress == pytest.approx(0.5)
    values = [
        m.value
        for m in pg.list_measurements(ctx, actor=admin, workspace_id=ws.id, objective_id=obj.id)
    ]
    assert values == [35, 21]


@pytest.mark.parametrize(
    ("kind", "changes", "field", "message"),
    [
        ("objective", {"target_value": 50.0}, "target_value", "target below its baseline"),
        ("objective", {"kpi": "median throughput!"}, "kpi", "not a KPI definition"),
        (
            "objective",
            {"direction": pg.Direction.INCREASE, "target_value": 50.0},
            "direction",
            "works against",
        ),
        ("objective", {"title": "  "}, "title", "must not be empty"),
        ("stakeholder", {"interest": 6}, "interest", "1-5 scale"),
        ("stakeholder", {"influence": 0}, "influence", "1-5 scale"),
        ("risk", {"likelihood": 9}, "likelihood", "1-5 scale"),
        ("budget_line", {"end_date": date(2025, 1, 1)}, "end_date", "is before start_date"),
        ("budget_line", {"period": None}, "period", "recurring budget line needs a period"),
        ("budget_line", {"currency": "euro"}, "currency", "ISO 4217"),
        ("budget_line", {"amount": Decimal("-5")}, "amount", "zero or more"),
        ("budget_line", {"amount": Decimal("1.234")}, "amount", "two decimals"),
        ("objective", {"baseline_value": float("inf")}, "baseline_value", "finite number"),
        ("objective", {"target_value": float("-inf")}, "target_value", "finite number"),
        ("objective", {"target_value": float("nan")}, "target_value", "finite number"),
        ("objective", {"baseline_value": 1e300}, "baseline_value", "too large"),
        ("budget_line", {"amount": Decimal("Infinity")}, "amount", "finite number"),
        ("budget_line", {"amount": Decimal("NaN")}, "amount", "finite number"),
        ("budget_line", {"amount": Decimal("1e309")}, "amount", "too large"),
        ("risk", {"title": "\u3000\t"}, "title", "must not be empty"),
        ("decision", {"decided_by": ""}, "decided_by", "must not be empty"),
        ("pilot", {"end_date": date(2026, 1, 1)}, "end_date", "is before start_date"),
        ("pilot", {"success_criteria": []}, "success_criteria", "at least one success"),
        (
            "pilot",
            {
                "success_criteria": [
                    pg.SuccessCriterion(kpi="rework_share", target=0.1, direction="increase")
                ]
            },
            "success_criteria.0.direction",
            "works against",
        ),
        (
            "pilot",
            {
                "success_criteria": [
                    pg.SuccessCriterion(kpi="speed", target=1, direction="decrease")
                ]
            },
            "success_criteria.0.kpi",
            "not a KPI definition",
        ),
    ],
)
def test_validation_names_the_field(
    sqlite_ctx: AppContext, kind: str, changes: dict, field: str, message: str, tmp_path
) -> None:
    from civicflow.app import accounts

    ctx = sqlite_ctx
    user = accounts.create_admin(ctx, email="a@agency.example", password="x" * 12)
    admin = accounts.get_actor(ctx, user.id)
    ws = workspaces.create_workspace(ctx, actor=admin, name="w", path=tmp_path / "w")
    data = CREATE[kind].model_copy(update=changes)
    with pytest.raises(InputError) as err:
        pg.KINDS[kind].create(ctx, actor=admin, workspace_id=ws.id, data=data)
    assert _field(err) == field
    assert message in str(err.value)
    assert err.value.expected


def test_update_validates_the_merged_state(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace
) -> None:
    pilot = pg.PILOTS.create(ctx, actor=admin, workspace_id=ws.id, data=CREATE["pilot"])
    with pytest.raises(InputError) as err:
        pg.PILOTS.update(
            ctx, actor=admin, workspace_id=ws.id, item_id=pilot.id,
            data=pg.PilotUpdate(end_date=date(2026, 3, 1)),
        )  # fmt: skip
    assert _field(err) == "end_date"
    assert "start_date (2026-04-01)" in str(err.value)
    line = pg.BUDGET_LINES.create(ctx, actor=admin, workspace_id=ws.id, data=CREATE["budget_line"])
    # switching to one-off while keeping the period is contradictory; clearing it is fine
    with pytest.raises(InputError):
        pg.BUDGET_LINES.update(
            ctx, actor=admin, workspace_id=ws.id, item_id=line.id,
            data=pg.BudgetLineUpdate(recurrence=pg.Recurrence.ONE_OFF),
        )  # fmt: skip
    one_off = pg.BUDGET_LINES.update(
        ctx, actor=admin, workspace_id=ws.id, item_id=line.id,
        data=pg.BudgetLineUpdate(recurrence=pg.Recurrence.ONE_OFF, period=None),
    )  # fmt: skip
    assert one_off.period is None and one_off.amount == Decimal("12000.00")


def test_parse_turns_form_data_into_a_clear_error() -> None:
    with pytest.raises(InputError) as err:
        pg.parse(pg.RiskCreate, {"title": "x", "likelihood": "high", "impact": 2, "owner": "o"})
    assert _field(err) == "likelihood"
    risk = pg.parse(pg.RiskCreate, {"title": "x", "likelihood": "2", "impact": 2, "owner": "o"})
    assert risk.likelihood == 2


@pytest.mark.parametrize(
    ("model", "data", "field", "message"),
    [
        (pg.BudgetLineCreate, {"amount": "1e309"}, "amount", "too large"),
        (pg.BudgetLineCreate, {"amount": "-Infinity"}, "amount", "finite number"),
        (pg.BudgetLineUpdate, {"amount": "nan"}, "amount", "finite number"),
        (pg.ObjectiveCreate, {"baseline_value": "1e309"}, "baseline_value", "finite number"),
        (pg.ObjectiveUpdate, {"target_value": "-inf"}, "target_value", "finite number"),
        (pg.ObjectiveUpdate, {"target_value": 1e13}, "target_value", "too large"),
        (pg.ObjectiveUpdate, {"title": "  "}, "title", "must not be empty"),
        (pg.StakeholderUpdate, {"interest": True}, "interest", "1-5 scale"),
        (pg.PilotUpdate, {"success_criteria": [{"kpi": "x", "target": "inf",
                                                "direction": "decrease"}]},
         "success_criteria.0.target", "finite number"),
    ],
)  # fmt: skip
def test_parse_refuses_infinite_absurd_and_blank_values(
    model: type, data: dict, field: str, message: str
) -> None:
    complete = {
        pg.BudgetLineCreate: CREATE["budget_line"], pg.ObjectiveCreate: CREATE["objective"]
    }.get(model)  # fmt: skip
    base = complete.model_dump() if complete is not None else {}
    with pytest.raises(InputError) as err:
        pg.parse(model, {**base, **data})
    assert _field(err) == field
    assert message in str(err.value)


def test_update_models_are_the_create_models_fields_all_optional() -> None:
    for kind in pg.KINDS.values():
        fixed = {"stakeholder_id"} if kind is pg.CONSULTATIONS else set()
        assert set(kind.update_model.model_fields) == set(kind.create_model.model_fields) - fixed
        assert not any(f.is_required() for f in kind.update_model.model_fields.values())
        assert kind.update_model().model_dump(exclude_unset=True) == {}
    with pytest.raises(InputError):  # a consultation stays with its stakeholder
        pg.parse(pg.ConsultationUpdate, {"stakeholder_id": "stk_other"})


def test_consultation_needs_a_stakeholder_of_the_same_workspace(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace
) -> None:
    from .samples import consultation_for

    with pytest.raises(NotFoundError) as err:
        pg.CONSULTATIONS.create(
            ctx, actor=admin, workspace_id=ws.id, data=consultation_for("stk_missing")
        )
    assert err.value.where is not None and err.value.where.field == "stakeholder_id"


def test_items_of_another_workspace_are_not_found(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace
) -> None:
    other = workspaces.create_workspace(
        ctx, actor=admin, name="other", path=ctx.settings.home / "other"
    )
    risk = pg.RISKS.create(ctx, actor=admin, workspace_id=ws.id, data=CREATE["risk"])
    with pytest.raises(NotFoundError):
        pg.RISKS.get(ctx, actor=admin, workspace_id=other.id, item_id=risk.id)
    with pytest.raises(NotFoundError):
        pg.RISKS.delete(ctx, actor=admin, workspace_id=other.id, item_id=risk.id)


def test_history_is_in_the_ledger_with_before_and_after_digests(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace
) -> None:
    risk = pg.RISKS.create(ctx, actor=admin, workspace_id=ws.id, data=CREATE["risk"])
    updated = pg.RISKS.update(
        ctx, actor=admin, workspace_id=ws.id, item_id=risk.id,
        data=pg.RiskUpdate(impact=5), reason="new evidence",
    )  # fmt: skip
    pg.RISKS.delete(ctx, actor=admin, workspace_id=ws.id, item_id=risk.id)

    def digest(model) -> str:  # type: ignore[no-untyped-def]
        text = json.dumps(
            model.model_dump(mode="json"), sort_keys=True, separators=(",", ":"),
            ensure_ascii=False,
        )  # fmt: skip
        return hashlib.sha256(text.encode()).hexdigest()

    with ctx.engine.connect() as conn:
        rows = conn.execute(
            sa.select(tables.entries)
            .where(tables.entries.c.object_id == risk.id)
            .order_by(tables.entries.c.idx)
        ).all()
    assert [r.action for r in rows] == ["risk.create", "risk.update", "risk.delete"]
    assert all(r.actor == admin.pseudonym and r.workspace_id == ws.id for r in rows)
    assert rows[0].before_digest is None and rows[0].after_digest == digest(risk)
    assert rows[1].before_digest == digest(risk) and rows[1].after_digest == digest(updated)
    assert rows[1].reason == "new evidence"
    assert rows[2].before_digest == digest(updated) and rows[2].after_digest is None
    assert updated.score == 15
    # the same history, as a viewer of the workspace sees it
    from civicflow.app import audit

    history = audit.history(
        ctx, actor=admin, workspace_id=ws.id, object_type="risk", object_id=risk.id
    )
    assert [(h.index, h.action) for h in history] == [(r.idx, r.action) for r in rows]


def test_consultations_are_listed_per_stakeholder(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace
) -> None:
    from .samples import consultation_for

    one, two = (
        pg.STAKEHOLDERS.create(ctx, actor=admin, workspace_id=ws.id, data=CREATE["stakeholder"])
        for _ in range(2)
    )
    first = pg.CONSULTATIONS.create(
        ctx, actor=admin, workspace_id=ws.id, data=consultation_for(one.id)
    )
    pg.CONSULTATIONS.create(ctx, actor=admin, workspace_id=ws.id, data=consultation_for(two.id))
    assert len(pg.CONSULTATIONS.list(ctx, actor=admin, workspace_id=ws.id)) == 2
    mine = pg.CONSULTATIONS.list(ctx, actor=admin, workspace_id=ws.id, parent_id=one.id)
    assert [c.id for c in mine] == [first.id]
    with pytest.raises(InputError):  # a risk belongs to no parent item
        pg.RISKS.list(ctx, actor=admin, workspace_id=ws.id, parent_id=one.id)
