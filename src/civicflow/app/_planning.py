"""Simulation use cases: stored models and what-if scenarios per workspace, and their runs
(validations, simulations, scenario comparisons) with their results — role-checked and ledgered.

Reading needs WORKSPACE_READ; every change and every run needs SIMULATION_WRITE (analysts and
admins) and writes one ledger entry in the transaction that stores it: ``simulation_model.create |
update | delete``, ``scenario.create | update | delete``, ``simulation.validate | run | compare``
(the after-digest is the digest of the stored result). A simulated log becomes an ordinary dataset
through :func:`civicflow.app.assessment.store_dataset` (its own ``dataset.ingest`` entry).

Discovery and validation read the dataset on an analytics engine of their own, so a long run never
holds the shared engine's lock; the simulation itself runs outside any database transaction.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicflow.app._assessment import open_view, store_dataset
from civicflow.app._context import AppContext
from civicflow.app._models import (
    SimulationModelRow,
    SimulationRunRow,
    SimulationScenarioRow,
)
from civicflow.app._record import record
from civicflow.app._roles import Actor, Permission
from civicflow.app._workspaces import require_workspace_row
from civicflow.core import ConflictError, InputError, Location, NotFoundError, new_id, utcnow
from civicflow.eventlog import DuckDBEngine, EventStore, ingest
from civicflow.mining import EventLogFilter
from civicflow.planning import (
    ComparisonConfig,
    DiscoveryConfig,
    ProgressCallback,
    Scenario,
    ScenarioComparison,
    SimulationConfig,
    SimulationModel,
    ValidationConfig,
    ValidationReport,
    compare_scenarios,
    discover_model,
    simulate,
    validate_model,
)

RunKind = Literal["validate", "run", "compare"]
MODEL = "simulation_model"
SCENARIO = "scenario"


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredModel:
    id: str
    workspace_id: str
    name: str
    dataset: str | None
    model: SimulationModel
    created_by: str
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "workspace_id": self.workspace_id,
            "name": self.name,
            "dataset": self.dataset,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "model": self.model.to_dict(),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredScenario:
    id: str
    workspace_id: str
    model_id: str
    name: str
    scenario: Scenario
    created_by: str
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "model_id": self.model_id,
            "name": self.name,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "scenario": self.scenario.model_dump(mode="json", by_alias=True),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredRun:
    """A finished run. ``result`` is the JSON of a :class:`ValidationReport` (``validate``), of
    the run's summary (``run``: cases, events, seconds, the dataset) or of a
    :class:`ScenarioComparison` (``compare``)."""

    id: str
    workspace_id: str
    model_id: str | None
    kind: RunKind
    dataset: str | None
    config: dict[str, Any]
    result: dict[str, Any]
    seconds: float
    created_by: str
    created_at: datetime

    def validation(self) -> ValidationReport:
        self._expect("validate")
        return ValidationReport.from_dict(self.result)

    def comparison(self) -> ScenarioComparison:
        self._expect("compare")
        return ScenarioComparison.from_dict(self.result)

    def _expect(self, kind: str) -> None:
        if self.kind != kind:
            raise InputError(
                f"run {self.id} is a '{self.kind}' run, not a '{kind}' run",
                where=Location(field="run"),
                found=self.kind,
                expected=kind,
                fix=f"pick a {kind} run",
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "model_id": self.model_id,
            "kind": self.kind,
            "dataset": self.dataset,
            "config": self.config,
            "seconds": round(self.seconds, 3),
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "result": self.result,
        }


def _model_out(row: SimulationModelRow) -> StoredModel:
    return StoredModel(
        id=row.id, workspace_id=row.workspace_id, name=row.name, dataset=row.dataset,
        model=SimulationModel.from_dict(row.document), created_by=row.created_by,
        created_at=row.created_at, updated_at=row.updated_at,
    )  # fmt: skip


def _scenario_out(row: SimulationScenarioRow) -> StoredScenario:
    return StoredScenario(
        id=row.id, workspace_id=row.workspace_id, model_id=row.model_id, name=row.name,
        scenario=Scenario.from_dict(row.document), created_by=row.created_by,
        created_at=row.created_at, updated_at=row.updated_at,
    )  # fmt: skip


def _run_out(row: SimulationRunRow) -> StoredRun:
    return StoredRun(
        id=row.id, workspace_id=row.workspace_id, model_id=row.model_id,
        kind=row.kind,  # type: ignore[arg-type]
        dataset=row.dataset, config=row.config, result=row.result, seconds=row.seconds,
        created_by=row.created_by, created_at=row.created_at,
    )  # fmt: skip


def _model_row(s: Session, workspace_id: str, model_id: str) -> SimulationModelRow:
    row = s.get(SimulationModelRow, model_id)
    if row is None or row.workspace_id != workspace_id:
        known = s.scalars(
            select(SimulationModelRow.id).where(SimulationModelRow.workspace_id == workspace_id)
        ).all()
        raise NotFoundError(
            f"there is no simulation model '{model_id}' in this workspace",
            where=Location(field="model_id"),
            found=model_id,
            expected="one of: " + (", ".join(known) or "(no models yet)"),
            fix="list them with `civicflow simulate list`, or discover one",
        )
    return row


def _scenario_row(s: Session, workspace_id: str, scenario_id: str) -> SimulationScenarioRow:
    row = s.get(SimulationScenarioRow, scenario_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFoundError(
            f"there is no scenario '{scenario_id}' in this workspace",
            where=Location(field="scenario_id"),
            found=scenario_id,
            fix="list the model's scenarios, or define one",
        )
    return row


def _name_taken(what: str, name: str, field: str = "name") -> ConflictError:
    return ConflictError(
        f"a {what} named '{name}' exists already",
        where=Location(field=field),
        found=name,
        expected="a name not used yet",
        fix="choose another name, or update the existing one",
    )


# --------------------------------------------------------------------------------------------
# models


def list_models(ctx: AppContext, *, actor: Actor, workspace_id: str) -> list[StoredModel]:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        rows = s.scalars(
            select(SimulationModelRow)
            .where(SimulationModelRow.workspace_id == workspace_id)
            .order_by(SimulationModelRow.created_at, SimulationModelRow.id)
        ).all()
        return [_model_out(r) for r in rows]


def get_model(ctx: AppContext, *, actor: Actor, workspace_id: str, model_id: str) -> StoredModel:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        return _model_out(_model_row(s, workspace_id, model_id))


def find_model(ctx: AppContext, *, actor: Actor, workspace_id: str, ref: str) -> StoredModel:
    """A model by id or by name."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        row = s.scalars(
            select(SimulationModelRow).where(
                SimulationModelRow.workspace_id == workspace_id, SimulationModelRow.name == ref
            )
        ).first()
        return _model_out(row if row is not None else _model_row(s, workspace_id, ref))


def discover(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    dataset_name: str,
    config: DiscoveryConfig | None = None,
    filter: EventLogFilter | None = None,
    name: str | None = None,
    reason: str | None = None,
) -> StoredModel:
    """Discover a model from a dataset (seen through ``filter``) and store it
    (SIMULATION_WRITE; ledger ``simulation_model.create``)."""
    actor.require(Permission.SIMULATION_WRITE, workspace_id)
    view = open_view(
        ctx, actor=actor, workspace_id=workspace_id, dataset_name=dataset_name, filter=filter,
        engine=DuckDBEngine(),
    )  # fmt: skip
    cfg = config or DiscoveryConfig()
    model = discover_model(view, cfg)
    return save_model(
        ctx, actor=actor, workspace_id=workspace_id, model=model,
        name=name or cfg.name or model.name, dataset=dataset_name, reason=reason,
    )  # fmt: skip


def save_model(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    model: SimulationModel,
    name: str | None = None,
    model_id: str | None = None,
    dataset: str | None = None,
    reason: str | None = None,
) -> StoredModel:
    """Store a new model, or replace the document of ``model_id`` (an edited or uploaded model:
    validate it first with ``SimulationModel.from_json``). SIMULATION_WRITE; ledger
    ``simulation_model.create`` or ``simulation_model.update`` with both states."""
    actor.require(Permission.SIMULATION_WRITE, workspace_id)
    label = (name or model.name).strip()
    if not label or len(label) > 200:
        raise InputError(
            "a simulation model needs a name of 1 to 200 characters",
            where=Location(field="name"),
            found=repr(label[:50]),
            expected="1 to 200 characters",
            fix="give the model a name",
        )
    document = model.to_dict()
    try:
        with ctx.session() as s:
            require_workspace_row(s, workspace_id)
            now = utcnow()
            if model_id is None:
                row = SimulationModelRow(
                    id=new_id("sim_"), workspace_id=workspace_id, name=label, dataset=dataset,
                    document=document, created_by=actor.pseudonym, created_at=now,
                    updated_at=now,
                )  # fmt: skip
                s.add(row)
                before = None
                action = f"{MODEL}.create"
            else:
                row = _model_row(s, workspace_id, model_id)
                before = {"name": row.name, "document": row.document}
                row.name = label
                row.document = document
                row.updated_at = now
                if dataset is not None:
                    row.dataset = dataset
                action = f"{MODEL}.update"
            record(
                ctx, s, actor=actor, action=action, object_type=MODEL, object_id=row.id,
                workspace_id=workspace_id, before=before,
                after={"name": label, "document": document}, reason=reason,
            )  # fmt: skip
            return _model_out(row)
    except IntegrityError:
        raise _name_taken("simulation model", label) from None


def delete_model(
    ctx: AppContext, *, actor: Actor, workspace_id: str, model_id: str, reason: str | None = None
) -> None:
    """Remove a model and its scenarios (runs stay, as evidence). SIMULATION_WRITE."""
    actor.require(Permission.SIMULATION_WRITE, workspace_id)
    with ctx.session() as s:
        row = _model_row(s, workspace_id, model_id)
        before = {"name": row.name, "document": row.document}
        s.execute(delete(SimulationScenarioRow).where(SimulationScenarioRow.model_id == row.id))
        s.delete(row)
        record(
            ctx, s, actor=actor, action=f"{MODEL}.delete", object_type=MODEL, object_id=model_id,
            workspace_id=workspace_id, before=before, reason=reason,
        )  # fmt: skip


# --------------------------------------------------------------------------------------------
# scenarios


def list_scenarios(
    ctx: AppContext, *, actor: Actor, workspace_id: str, model_id: str
) -> list[StoredScenario]:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        _model_row(s, workspace_id, model_id)
        rows = s.scalars(
            select(SimulationScenarioRow)
            .where(SimulationScenarioRow.model_id == model_id)
            .order_by(SimulationScenarioRow.created_at, SimulationScenarioRow.id)
        ).all()
        return [_scenario_out(r) for r in rows]


def get_scenario(
    ctx: AppContext, *, actor: Actor, workspace_id: str, scenario_id: str
) -> StoredScenario:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        return _scenario_out(_scenario_row(s, workspace_id, scenario_id))


def save_scenario(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    model_id: str,
    scenario: Scenario,
    scenario_id: str | None = None,
    reason: str | None = None,
) -> StoredScenario:
    """Store a what-if scenario of a model (or replace ``scenario_id``'s). The scenario is applied
    to the model first, so an unknown activity or pool is refused naming the change.
    SIMULATION_WRITE; ledger ``scenario.create`` or ``scenario.update``."""
    with ctx.session() as s:
        return store_scenario(
            ctx, s, actor=actor, workspace_id=workspace_id, model_id=model_id,
            scenario=scenario, scenario_id=scenario_id, reason=reason,
        )  # fmt: skip


def store_scenario(
    ctx: AppContext,
    s: Session,
    *,
    actor: Actor,
    workspace_id: str,
    model_id: str,
    scenario: Scenario,
    scenario_id: str | None = None,
    reason: str | None = None,
) -> StoredScenario:
    """:func:`save_scenario` inside the caller's transaction ``s`` (so another change can be
    stored with it, all or nothing)."""
    actor.require(Permission.SIMULATION_WRITE, workspace_id)
    document = scenario.model_dump(mode="json", by_alias=True)
    model_row = _model_row(s, workspace_id, model_id)
    scenario.apply(SimulationModel.from_dict(model_row.document))
    now = utcnow()
    if scenario_id is None:
        row = SimulationScenarioRow(
            id=new_id("scn_"), workspace_id=workspace_id, model_id=model_id,
            name=scenario.name, document=document, created_by=actor.pseudonym,
            created_at=now, updated_at=now,
        )  # fmt: skip
        s.add(row)
        before = None
        action = f"{SCENARIO}.create"
    else:
        row = _scenario_row(s, workspace_id, scenario_id)
        before = row.document
        row.name = scenario.name
        row.document = document
        row.updated_at = now
        action = f"{SCENARIO}.update"
    try:
        s.flush()
    except IntegrityError:
        raise _name_taken("scenario of this model", scenario.name) from None
    record(
        ctx, s, actor=actor, action=action, object_type=SCENARIO, object_id=row.id,
        workspace_id=workspace_id, before=before, after=document, reason=reason,
    )  # fmt: skip
    return _scenario_out(row)


def delete_scenario(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    scenario_id: str,
    reason: str | None = None,
) -> None:
    actor.require(Permission.SIMULATION_WRITE, workspace_id)
    with ctx.session() as s:
        row = _scenario_row(s, workspace_id, scenario_id)
        before = row.document
        s.delete(row)
        record(
            ctx, s, actor=actor, action=f"{SCENARIO}.delete", object_type=SCENARIO,
            object_id=scenario_id, workspace_id=workspace_id, before=before, reason=reason,
        )  # fmt: skip


# --------------------------------------------------------------------------------------------
# runs


def list_runs(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    model_id: str | None = None,
    kind: RunKind | None = None,
) -> list[StoredRun]:
    """The workspace's runs, newest first."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        q = select(SimulationRunRow).where(SimulationRunRow.workspace_id == workspace_id)
        if model_id is not None:
            q = q.where(SimulationRunRow.model_id == model_id)
        if kind is not None:
            q = q.where(SimulationRunRow.kind == kind)
        rows = s.scalars(q.order_by(SimulationRunRow.created_at.desc())).all()
        return [_run_out(r) for r in rows]


def get_run(ctx: AppContext, *, actor: Actor, workspace_id: str, run_id: str) -> StoredRun:
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        row = s.get(SimulationRunRow, run_id)
        if row is None or row.workspace_id != workspace_id:
            raise NotFoundError(
                f"there is no simulation run '{run_id}' in this workspace",
                where=Location(field="run_id"),
                found=run_id,
                fix="list the runs with `civicflow simulate runs`",
            )
        return _run_out(row)


def _store_run(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    kind: RunKind,
    model_id: str | None,
    dataset: str | None,
    config: dict[str, Any],
    result: dict[str, Any],
    seconds: float,
    reason: str | None,
) -> StoredRun:
    with ctx.session() as s:
        require_workspace_row(s, workspace_id)
        if model_id is not None:
            _model_row(s, workspace_id, model_id)  # still there
        row = SimulationRunRow(
            id=new_id("run_"), workspace_id=workspace_id, model_id=model_id, kind=kind,
            dataset=dataset, config=config, result=result, seconds=seconds,
            created_by=actor.pseudonym, created_at=utcnow(),
        )  # fmt: skip
        s.add(row)
        record(
            ctx, s, actor=actor, action=f"simulation.{kind}", object_type="simulation_run",
            object_id=row.id, workspace_id=workspace_id,
            after={"config": config, "result": result}, reason=reason,
        )  # fmt: skip
        return _run_out(row)


def validate(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    dataset_name: str,
    config: ValidationConfig | None = None,
    filter: EventLogFilter | None = None,
    model_id: str | None = None,
    progress: ProgressCallback | None = None,
    reason: str | None = None,
) -> StoredRun:
    """Validate on held-out data of a dataset: a model discovered on the training period, or the
    stored ``model_id`` (SIMULATION_WRITE; ledger ``simulation.validate``)."""
    actor.require(Permission.SIMULATION_WRITE, workspace_id)
    cfg = config or ValidationConfig()
    model = None
    if model_id is not None:
        model = get_model(ctx, actor=actor, workspace_id=workspace_id, model_id=model_id).model
    view = open_view(
        ctx, actor=actor, workspace_id=workspace_id, dataset_name=dataset_name, filter=filter,
        engine=DuckDBEngine(),
    )  # fmt: skip
    report = validate_model(view, cfg, model=model, progress=progress)
    config_doc = {
        "dataset": dataset_name,
        "filter": view.filter.to_dict(),
        "holdout": cfg.holdout,
        "split": cfg.split.isoformat() if cfg.split else None,
        "replications": cfg.replications,
        "seed": cfg.seed,
        "timezone": cfg.discovery.timezone,
        "country": cfg.discovery.country,
    }
    return _store_run(
        ctx, actor=actor, workspace_id=workspace_id, kind="validate", model_id=model_id,
        dataset=dataset_name, config=config_doc, result=report.to_dict(),
        seconds=report.seconds, reason=reason,
    )  # fmt: skip


def run_simulation(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    model_id: str,
    config: SimulationConfig,
    dataset_name: str,
    scenario_id: str | None = None,
    progress: ProgressCallback | None = None,
    reason: str | None = None,
) -> StoredRun:
    """Simulate a stored model (with a stored scenario applied) and store the first replication
    as the dataset ``dataset_name`` (SIMULATION_WRITE and DATASET_WRITE; ledger
    ``dataset.ingest`` then ``simulation.run``)."""
    actor.require(Permission.SIMULATION_WRITE, workspace_id)
    actor.require(Permission.DATASET_WRITE, workspace_id)
    stored = get_model(ctx, actor=actor, workspace_id=workspace_id, model_id=model_id)
    model = stored.model
    scenario_name = None
    if scenario_id is not None:
        sc = get_scenario(ctx, actor=actor, workspace_id=workspace_id, scenario_id=scenario_id)
        if sc.model_id != model_id:
            raise InputError(
                f"scenario {scenario_id} belongs to another model",
                where=Location(field="scenario_id"),
                found=sc.model_id,
                expected=model_id,
                fix="pick a scenario of this model",
            )
        model = sc.scenario.apply(model)
        scenario_name = sc.name
    result = simulate(model, config, progress=progress)
    with tempfile.TemporaryDirectory(prefix="civicflow-sim-") as tmp:
        path = result.write_parquet(Path(tmp) / "simulated.parquet", replication=0)

        def write(store: EventStore) -> Any:
            return ingest(workspace=store, source=path, name=dataset_name)

        dataset = store_dataset(
            ctx, actor=actor, workspace_id=workspace_id, name=dataset_name, write=write,
            reason=reason or f"simulated by model {model_id}",
        )  # fmt: skip
    summary = {
        "model": stored.name,
        "scenario": scenario_name,
        "replications": result.replications,
        "cases": int(result.cases.num_rows),
        "events": int(result.events.num_rows),
        "events_per_second": round(result.events_per_second),
        "dataset": dataset.name,
        "dataset_fingerprint": dataset.manifest.fingerprint,
    }
    config_doc = {
        "cases": config.cases,
        "start": config.start.isoformat() if config.start else None,
        "end": config.end.isoformat() if config.end else None,
        "replications": config.replications,
        "seed": config.seed,
        "scenario_id": scenario_id,
    }
    return _store_run(
        ctx, actor=actor, workspace_id=workspace_id, kind="run", model_id=model_id,
        dataset=dataset.name, config=config_doc, result=summary, seconds=result.seconds,
        reason=reason,
    )  # fmt: skip


def compare(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    model_id: str,
    scenario_ids: Sequence[str],
    config: ComparisonConfig | None = None,
    progress: ProgressCallback | None = None,
    reason: str | None = None,
    scenarios: Sequence[Scenario] = (),
    context: Mapping[str, Any] | None = None,
) -> StoredRun:
    """Compare stored scenarios (and the unsaved ``scenarios``, e.g. an allocation's areas) with
    their model's as-is over replications (SIMULATION_WRITE; ledger ``simulation.compare``);
    ``run.comparison()`` reads the result back. ``context`` is kept in the run's configuration
    (what asked for the comparison)."""
    actor.require(Permission.SIMULATION_WRITE, workspace_id)
    stored = get_model(ctx, actor=actor, workspace_id=workspace_id, model_id=model_id)
    compared: list[Scenario] = []
    for i, sid in enumerate(scenario_ids):
        sc = get_scenario(ctx, actor=actor, workspace_id=workspace_id, scenario_id=sid)
        if sc.model_id != model_id:
            raise InputError(
                f"scenario {sid} belongs to another model",
                where=Location(field=f"scenario_ids[{i}]"),
                found=sc.model_id,
                expected=model_id,
                fix="pick scenarios of this model",
            )
        compared.append(sc.scenario)
    compared += scenarios
    cfg = config or ComparisonConfig()
    comparison = compare_scenarios(stored.model, compared, cfg, progress=progress)
    config_doc = cfg.to_dict() | {"scenario_ids": list(scenario_ids)} | dict(context or {})
    return _store_run(
        ctx, actor=actor, workspace_id=workspace_id, kind="compare", model_id=model_id,
        dataset=stored.dataset, config=config_doc, result=comparison.to_dict(),
        seconds=comparison.seconds, reason=reason,
    )  # fmt: skip
