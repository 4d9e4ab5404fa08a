"""Retention policies per dataset and data category with actions beyond deletion: the dry run is
exactly what applying writes, a second run changes nothing, legal holds are respected, anonymised
cases hold no direct identifier and pass a k-anonymity check, several policies chain in their
order, the scheduled run covers every workspace; and free text is redacted at ingest unless a
data steward keeps the column (ledgered)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from civicflow.app import SYSTEM, Actor, AppContext, Role, assessment, audit, workspaces
from civicflow.app import privacy as pv
from civicflow.core import InputError
from civicflow.eventlog import ColumnMapping, EventStore
from civicflow.privacy import KeyRing, RetentionRule, k_anonymity

MAPPING = ColumnMapping(case_id="case", activity="activity", timestamp="time")
FIRST = ["Anna", "Bram", "Cem", "Daan", "Eva", "Fleur", "Gijs", "Hanna", "Ivo", "Joke"]
LAST = ["Jansen", "de Vries", "Kaya", "Bakker", "Smit", "Visser", "Mulder", "Bos"]
POSTCODES = ["1012 AB", "1013 CD", "3511 EF", "3512 GH"]
TODAY = date(2024, 6, 1)
SEVEN_YEARS = RetentionRule(
    older_than=7, unit="years", action="anonymise", category="personal", k=3
)


def _log(path: Path, n: int = 40) -> Path:
    """``n`` cases of two events: the first half ended in February 2014, the rest in 2024; each
    names its citizen, e-mail address, postcode and date of birth, and a note repeats them."""
    lines = ["case,activity,time,citizen,email,postcode,date_of_birth,note"]
    for i in range(n):
        year = 2014 if i < n // 2 else 2024
        name, email = f"{FIRST[i % 10]} {LAST[i % 8]}", f"{FIRST[i % 10].lower()}.{i}@example.org"
        dob = f"{1950 + i % 3}-0{1 + i % 9}-1{i % 10}"
        note = f"Called {name} back; reach at {email} about the permit"
        for activity, day in (("Submit", 3), ("Decide", 9)):
            lines.append(
                f"c{i:02d},{activity},{year}-02-0{day}T09:00:00Z,{name},{email},"
                f"{POSTCODES[i % 4]},{dob},{note}"
            )
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def ring(ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> KeyRing:
    keys = tmp_path / "outside" / "keys.json"
    keys.parent.mkdir()
    ring = KeyRing.generate()
    ring.write(keys)
    monkeypatch.setattr(ctx.settings, "privacy_key_file", keys)
    return ring


def _ingest(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, tmp_path: Path, name: str
) -> None:
    folder = tmp_path / f"src-{name}"
    folder.mkdir()
    assessment.ingest_dataset(
        ctx, actor=admin, workspace_id=ws.id, source=_log(folder / "log.csv"), name=name,
        mapping=MAPPING,
    )  # fmt: skip


def _events(ws: workspaces.Workspace, name: str) -> pa.Table:
    store = EventStore.open(Path(ws.path))
    return pq.read_table(store.dataset(name).events_path).sort_by(
        [("case_id", "ascending"), ("timestamp", "ascending")]
    )


def _old(table: pa.Table) -> pa.Table:
    return table.filter(pc.less(pc.year(table.column("timestamp")), 2020))


def test_rules_are_checked_field_by_field(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, tmp_path: Path
) -> None:
    for kwargs, field in (
        ({"older_than": -1}, "older_than"),
        ({"older_than": 1, "unit": "weeks"}, "unit"),
        ({"older_than": 1, "action": "shred"}, "action"),
        ({"older_than": 1, "action": "anonymise", "category": "everything"}, "category"),
        ({"older_than": 1, "action": "delete", "category": "free_text"}, "category"),
        ({"older_than": 1, "action": "pseudonymise", "category": "quasi_identifier"}, "category"),
        ({"older_than": 1, "action": "delete", "columns": ("note",)}, "columns"),
        ({"older_than": 1, "action": "anonymise", "columns": ("case_id",)}, "columns"),
        ({"older_than": 1, "action": "anonymise", "category": "personal", "k": 0}, "k"),
    ):
        with pytest.raises(InputError) as bad:
            RetentionRule(**kwargs)  # type: ignore[arg-type]
        assert bad.value.where is not None and bad.value.where.field == field, kwargs
    _ingest(ctx, admin, ws, tmp_path, "permits")
    with pytest.raises(InputError) as unknown:
        pv.set_retention_policy(
            ctx, actor=admin, workspace_id=ws.id, reason="archive law: seven years",
            rule=RetentionRule(older_than=7, unit="years", action="anonymise",
                               columns=("notes_typo",), dataset="permits"),
        )  # fmt: skip
    assert unknown.value.where is not None and unknown.value.where.field == "columns"
    assert "notes_typo" in str(unknown.value.found)
    with pytest.raises(InputError) as since:
        pv.set_retention_policy(
            ctx, actor=admin, workspace_id=ws.id, reason="archive law: seven years",
            rule=RetentionRule(older_than=7, unit="years", measured_from="closed_on",
                               dataset="permits"),
        )  # fmt: skip
    assert since.value.where is not None and since.value.where.field == "measured_from"


def test_anonymise_dry_run_is_what_is_applied_once(
    ctx: AppContext,
    admin: Actor,
    ws: workspaces.Workspace,
    make_member: Callable[[str, Role], Actor],
    tmp_path: Path,
    ring: KeyRing,
) -> None:
    dpo = make_member(ws.id, Role.DPO)
    _ingest(ctx, admin, ws, tmp_path, "permits")
    policy = pv.set_retention_policy(
        ctx, actor=dpo, workspace_id=ws.id, reason="archive law: anonymise after seven years",
        rule=SEVEN_YEARS, name="anonymise-7y",
    )  # fmt: skip
    assert (policy.name, policy.version, policy.scope, policy.period) == (
        "anonymise-7y", 1, "personal", "7 years",
    )  # fmt: skip
    before = _events(ws, "permits")
    fingerprint = EventStore.open(Path(ws.path)).dataset("permits").manifest.fingerprint

    dry = pv.retention_run(ctx, actor=dpo, workspace_id=ws.id, today=TODAY)
    assert dry.changed == () and dry.due == ("permits",)
    assert EventStore.open(Path(ws.path)).dataset("permits").manifest.fingerprint == fingerprint
    (step,) = dry.steps
    assert (
        step.effect is not None and step.effect.cases == 20 and step.plan.cutoff == date(2017, 6, 1)
    )
    planned = {(c.column, c.operation): c.values for c in step.effect.columns}
    assert planned[("citizen", "suppressed")] == 40 and planned[("email", "suppressed")] == 40

    done = pv.retention_run(ctx, actor=dpo, workspace_id=ws.id, apply=True, today=TODAY)
    assert done.changed == ("permits",)
    after = _events(ws, "permits")
    # the dry run said exactly what changed, column by column
    for column in ("citizen", "email", "postcode", "date_of_birth", "note"):
        old, new = before.column(column), after.column(column)
        differ = pc.invert(pc.fill_null(pc.equal(pc.cast(old, pa.string()), new), False))
        differ = pc.and_(differ, pc.invert(pc.and_(pc.is_null(old), pc.is_null(new))))
        actual = pc.sum(pc.cast(differ, pa.int64())).as_py() or 0
        expected = (
            max(n for (c, _), n in planned.items() if c == column)
            if any(c == column for c, _ in planned)
            else 0
        )
        assert actual == expected, column
    # the recent cases are untouched; the old ones hold no direct identifier
    recent = after.filter(pc.greater_equal(pc.year(after.column("timestamp")), 2020))
    assert recent.column("citizen").null_count == 0
    old = _old(after)
    assert old.column("citizen").null_count == old.num_rows
    assert old.column("email").null_count == old.num_rows
    notes = " ".join(v for v in old.column("note").to_pylist() if v)
    assert "@" not in notes and "Jansen" not in notes
    assert k_anonymity(old, ["postcode", "date_of_birth"], threshold=3).k >= 3
    assert set(v for v in old.column("date_of_birth").to_pylist() if v) <= {"1950", "1951", "1952"}
    entries = [e for e in audit.list_entries(ctx, actor=admin, workspace_id=ws.id, limit=500)
               if e.action == "privacy.retention"]  # fmt: skip
    assert len(entries) == 1

    again = pv.retention_run(ctx, actor=dpo, workspace_id=ws.id, apply=True, today=TODAY)
    assert again.changed == () and again.due == ()
    assert _events(ws, "permits").equals(after)
    assert len([e for e in audit.list_entries(ctx, actor=admin, workspace_id=ws.id, limit=500)
                if e.action == "privacy.retention"]) == 1  # fmt: skip


def test_legal_hold_and_policies_in_order(
    ctx: AppContext,
    admin: Actor,
    ws: workspaces.Workspace,
    make_member: Callable[[str, Role], Actor],
    tmp_path: Path,
) -> None:
    dpo = make_member(ws.id, Role.DPO)
    _ingest(ctx, admin, ws, tmp_path, "held")
    _ingest(ctx, admin, ws, tmp_path, "open")
    pv.set_legal_hold(ctx, actor=dpo, workspace_id=ws.id, dataset_name="held",
                      reason="court case 2024/7")  # fmt: skip
    # for every dataset: generalise the quasi-identifiers after five years, then delete the
    # cases after nine (the delete runs second although its name sorts first)
    pv.set_retention_policy(
        ctx, actor=dpo, workspace_id=ws.id, reason="selection list: generalise after 5 years",
        rule=RetentionRule(older_than=5, unit="years", action="generalise",
                           category="quasi_identifier"),
        name="b-generalise", position=10,
    )  # fmt: skip
    pv.set_retention_policy(
        ctx, actor=dpo, workspace_id=ws.id, reason="selection list: delete after 9 years",
        rule=RetentionRule(older_than=9, unit="years"), name="a-delete", position=20,
    )  # fmt: skip
    fingerprint = EventStore.open(Path(ws.path)).dataset("held").manifest.fingerprint
    run = pv.retention_run(ctx, actor=dpo, workspace_id=ws.id, apply=True, today=TODAY)
    assert run.changed == ("open",)
    assert "held" in run.due
    held = [s for s in run.steps if s.dataset == "held"]
    assert all(s.plan.held and not s.plan.applied for s in held)
    assert EventStore.open(Path(ws.path)).dataset("held").manifest.fingerprint == fingerprint
    order = [s.policy_name for s in run.steps if s.dataset == "open"]
    assert order == ["b-generalise", "a-delete"]
    after = _events(ws, "open")
    assert _old(after).num_rows == 0 and after.num_rows == 40
    entry = next(e for e in audit.list_entries(ctx, actor=admin, workspace_id=ws.id, limit=500)
                 if e.action == "privacy.retention")  # fmt: skip
    reason = entry.reason or ""
    assert reason.index("b-generalise v1 generalise") < reason.index("a-delete v1 delete cases")
    assert "20 cases before 2015-06-01 deleted" in reason and "@" not in reason


def test_run_due_covers_every_workspace(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, tmp_path: Path
) -> None:
    other = workspaces.create_workspace(ctx, actor=admin, name="benefits", path=tmp_path / "ws-b")
    for w in (ws, other):
        (tmp_path / w.name).mkdir()
        _ingest(ctx, admin, w, tmp_path / w.name, "log")
        pv.set_retention_policy(
            ctx, actor=admin, workspace_id=w.id, reason="archive law: seven years",
            rule=SEVEN_YEARS,
        )  # fmt: skip
    runs = pv.run_due(ctx, actor=SYSTEM, today=TODAY)
    assert sorted(r.workspace for r in runs) == ["benefits", "permits"]
    assert all(r.run is not None and r.run.changed == ("log",) for r in runs)
    assert all(
        r.run is not None and r.run.changed == ()
        for r in pv.run_due(ctx, actor=SYSTEM, today=TODAY)
    )


def test_free_text_is_redacted_at_ingest_unless_the_steward_keeps_it(
    ctx: AppContext,
    admin: Actor,
    ws: workspaces.Workspace,
    make_member: Callable[[str, Role], Actor],
    tmp_path: Path,
    ring: KeyRing,
) -> None:
    _ingest(ctx, admin, ws, tmp_path, "redacted")
    notes = _events(ws, "redacted").column("note").to_pylist()
    assert not any("@" in n or "Jansen" in n for n in notes)
    assert notes[0] == "Called <PERSON> back; reach at <EMAIL_ADDRESS> about the permit"
    protection = pv.dataset_protection(EventStore.open(Path(ws.path)).dataset("redacted"))
    note = next(c for c in protection.columns if c.column == "note")
    assert note.redacted == {"EMAIL_ADDRESS": 80, "PERSON": 80}
    manifest = str(EventStore.open(Path(ws.path)).dataset("redacted").manifest.options)
    assert "Jansen" not in manifest and "example.org" not in manifest

    steward = make_member(ws.id, Role.DATA_STEWARD)
    pv.decide_column(
        ctx, actor=steward, workspace_id=ws.id, column="note", action="keep",
        reason="call notes: the contact centre needs them as written",
    )  # fmt: skip
    _ingest(ctx, admin, ws, tmp_path, "kept")
    kept = _events(ws, "kept").column("note").to_pylist()
    assert "anna.0@example.org" in kept[0] and "Anna Jansen" in kept[0]
    decision = [e for e in audit.list_entries(ctx, actor=admin, workspace_id=ws.id, limit=500)
                if e.action == "privacy.decision"]  # fmt: skip
    assert len(decision) == 1 and "contact centre" in (decision[0].reason or "")
    kept_clear = pv.dataset_protection(EventStore.open(Path(ws.path)).dataset("kept")).kept_clear
    assert kept_clear == {"note": "call notes: the contact centre needs them as written"}
