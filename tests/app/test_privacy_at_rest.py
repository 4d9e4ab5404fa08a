"""Sensitive application fields at rest and in the ledger, on SQLite and PostgreSQL: a planted name
written through the application is in neither the raw application table nor the raw ledger (nor
can a ledger digest confirm it); erasing the subject shreds the records' sealing keys, anonymises
a matching user account (never the actor's own, nor the last admin's) and ``ledger verify`` still
passes; the verification scan then finds the name nowhere, or names where a copy remains."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from civicflow.app import SYSTEM, Actor, AppContext, Permission, Role, accounts, audit, workspaces
from civicflow.app import privacy as pv
from civicflow.app import programme as pg
from civicflow.app._models import PrivacySealKeyRow, UserRow
from civicflow.core import ConflictError, InputError, utcnow
from civicflow.ledger import state_digest
from civicflow.privacy import KeyRing

PLANTED = "Wilhelmina Oudendijk-Planted"
EMAIL = "w.oudendijk@planted.example"


@pytest.fixture
def keyed(ctx: AppContext, tmp_path: Path) -> Path:
    keys = tmp_path / "outside" / "keys.json"
    keys.parent.mkdir()
    KeyRing.generate().write(keys)
    ctx.settings.privacy_key_file = keys
    return keys


def _raw(ctx: AppContext, table: str) -> str:
    with ctx.engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT * FROM {table}")).all()
    return json.dumps([[str(v) for v in r] for r in rows])


def _ledger_raw(ctx: AppContext) -> str:
    with ctx.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM ledger_entries")).all()
    return json.dumps(
        [[bytes(v).decode("utf-8", "replace") if isinstance(v, bytes | memoryview) else str(v)
          for v in r] for r in rows]
    )  # fmt: skip


def _plant(ctx: AppContext, admin: Actor, ws: workspaces.Workspace) -> tuple[pg.Stakeholder, str]:
    holder = pg.STAKEHOLDERS.create(
        ctx, actor=admin, workspace_id=ws.id,
        data=pg.StakeholderCreate(name=PLANTED, kind=pg.StakeholderKind.CITIZEN, interest=3,
                                  influence=2, organisation="Planted Street 12",
                                  notes=f"call {PLANTED} back"),
    )  # fmt: skip
    talk = pg.CONSULTATIONS.create(
        ctx, actor=admin, workspace_id=ws.id,
        data=pg.ConsultationCreate(stakeholder_id=holder.id, held_on=date(2026, 1, 20),
                                   summary=f"{PLANTED} asked about the permit"),
    )  # fmt: skip
    return holder, talk.id


def _clean(report: object) -> list[str]:
    return [p.message for p in report.problems]  # type: ignore[attr-defined]


def test_planted_name_is_in_neither_table_nor_ledger_and_verify_survives_erasure(
    ctx: AppContext,
    admin: Actor,
    ws: workspaces.Workspace,
    make_member: Callable[[str, Role], Actor],
    keyed: Path,
) -> None:
    holder, talk_id = _plant(ctx, admin, ws)
    # the use cases read and write the plain values
    assert (
        pg.STAKEHOLDERS.get(ctx, actor=admin, workspace_id=ws.id, item_id=holder.id).name == PLANTED
    )
    # the raw application tables hold ciphertext only, the raw ledger neither the name nor a
    # digest that a guess of the state would confirm
    for table in ("stakeholders", "consultations"):
        raw = _raw(ctx, table)
        assert PLANTED not in raw and "Planted Street" not in raw
        assert "enc1:" in raw
    ledger = _ledger_raw(ctx)
    assert PLANTED not in ledger
    clear_state = holder.to_dict()
    assert state_digest(clear_state) not in ledger
    assert _clean(audit.verify(ctx, actor=admin)) == []

    # a change made with SQL behind civicflow's back is still caught
    with ctx.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE stakeholders SET interest = 5 WHERE id = :i"), {"i": holder.id}
        )
    assert any(holder.id in m for m in _clean(audit.verify(ctx, actor=admin)))
    with ctx.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE stakeholders SET interest = 3 WHERE id = :i"), {"i": holder.id}
        )

    dpo = make_member(ws.id, Role.DPO)
    req = pv.add_request(ctx, actor=dpo, workspace_id=ws.id, kind="erasure", identifiers=[PLANTED])
    pv.verify_request(ctx, actor=dpo, workspace_id=ws.id, request_id=req.id, how="eID login")
    with ctx.read_session() as s:
        assert s.get(PrivacySealKeyRow, ("stakeholder", holder.id)) is not None
        old_key = s.get(PrivacySealKeyRow, ("stakeholder", holder.id)).key
    gone = pv.erase_subject(
        ctx, actor=dpo, workspace_id=ws.id, request_id=req.id, identifier=PLANTED
    )
    assert gone.application_records_erased == {"stakeholders": 1, "consultations": 1}
    # the sealing keys were shredded and replaced: the old entries are unlinkable
    with ctx.read_session() as s:
        new = s.get(PrivacySealKeyRow, ("stakeholder", holder.id))
        assert new is not None and new.key != old_key
    # verify still passes: every hash intact, every row equal to its latest entry
    assert _clean(audit.verify(ctx, actor=admin)) == []
    history = audit.history(ctx, actor=admin, workspace_id=ws.id, object_type="stakeholder",
                            object_id=holder.id)  # fmt: skip
    assert [e.action for e in history] == ["stakeholder.create", "stakeholder.erase"]
    talk_history = audit.history(ctx, actor=admin, workspace_id=ws.id,
                                 object_type="consultation", object_id=talk_id)  # fmt: skip
    assert talk_history[-1].action == "consultation.erase"
    for table in ("stakeholders", "consultations"):
        assert PLANTED not in _raw(ctx, table)

    # the scan: clean everywhere ...
    scan = pv.verify_erasure(ctx, actor=dpo, workspace_id=ws.id, request_id=req.id,
                             identifier=PLANTED)  # fmt: skip
    assert scan.clean, scan.remnants
    assert scan.searched["application database"] > 30
    # ... until a copy is left in a log and in a file under home: both named, with the line
    log = ctx.settings.home / "logs" / "web.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("started\nerror for wilhelmina oudendijk-planted\n")
    extra_log = keyed.parent / "server.txt"
    extra_log.write_text(f"x\ny\n{PLANTED}\n")
    ctx.settings.privacy_log_paths = [extra_log]
    (ctx.settings.home / "export.json").write_text(json.dumps({"name": PLANTED}))
    with ctx.engine.begin() as conn:  # and a copy pasted into a row with SQL
        conn.execute(sa.text("UPDATE objectives SET title = :t"), {"t": PLANTED})
        conn.execute(
            sa.text(
                "INSERT INTO login_attempts (email, ip, at, success) VALUES (:e, '1', :a, false)"
            ),
            {"e": PLANTED, "a": "2026-01-01 00:00:00"},
        )
    scan = pv.verify_erasure(ctx, actor=dpo, workspace_id=ws.id, request_id=req.id,
                             identifier=PLANTED)  # fmt: skip
    assert not scan.clean
    where = {(r.store, r.where, r.row) for r in scan.remnants}
    assert ("logs", str(log.resolve()), "line 2") in where
    assert ("logs", str(extra_log.resolve()), "line 3") in where
    assert any(r.store == "files" and r.where == "export.json" for r in scan.remnants)
    assert any(r.store == "application database" and r.where == "login_attempts"
               for r in scan.remnants)  # fmt: skip
    # the scan's result and ledger entry never hold the name
    entries = audit.list_entries(ctx, actor=admin, workspace_id=ws.id)
    assert entries[0].action == "privacy.request.verify_erasure"
    assert PLANTED.lower() not in json.dumps(scan.to_dict()).lower()
    assert PLANTED not in _ledger_raw(ctx)


def test_erasure_anonymises_a_matching_account_but_not_the_actor_or_last_admin(
    ctx: AppContext,
    admin: Actor,
    ws: workspaces.Workspace,
    make_member: Callable[[str, Role], Actor],
    keyed: Path,
) -> None:
    dpo = make_member(ws.id, Role.DPO)
    person = accounts.create_user(
        ctx, actor=SYSTEM, email=EMAIL, display_name="W. Oudendijk", password="x" * 16
    )
    accounts.grant_role(ctx, actor=SYSTEM, workspace_id=ws.id, user_id=person.id, role=Role.VIEWER)
    token, _ = accounts.create_api_token(
        ctx, actor=accounts.get_actor(ctx, person.id), name="t",
        scopes=[Permission.WORKSPACE_READ], expires_at=utcnow() + timedelta(days=1),
    )  # fmt: skip
    req = pv.add_request(ctx, actor=dpo, workspace_id=ws.id, kind="erasure", identifiers=[EMAIL])
    pv.verify_request(ctx, actor=dpo, workspace_id=ws.id, request_id=req.id, how="eID login")
    gone = pv.erase_subject(ctx, actor=dpo, workspace_id=ws.id, request_id=req.id, identifier=EMAIL)
    assert gone.accounts_anonymised == (person.pseudonym,)
    assert gone.application_records_erased == {"users": 1}
    after = accounts.get_user(ctx, actor=admin, user_id=person.id)
    assert after.is_erased and not after.is_active and after.roles == {}
    assert accounts.authenticate_token(ctx, token) is None
    entries = audit.list_entries(ctx, actor=admin)
    assert any(e.action == "user.erase" and e.object_id == person.pseudonym for e in entries)
    assert _clean(audit.verify(ctx, actor=admin)) == []
    assert EMAIL not in _raw(ctx, "users")

    # the actor's own account: refused before anything changes
    own = make_member(ws.id, Role.DPO)
    with ctx.read_session() as s:
        own_email = s.get(UserRow, own.user_id).email
    req2 = pv.add_request(ctx, actor=own, workspace_id=ws.id, kind="erasure",
                          identifiers=[own_email])  # fmt: skip
    pv.verify_request(ctx, actor=own, workspace_id=ws.id, request_id=req2.id, how="eID login")
    with pytest.raises(ConflictError, match="your own account"):
        pv.erase_subject(ctx, actor=own, workspace_id=ws.id, request_id=req2.id,
                         identifier=own_email)  # fmt: skip
    assert accounts.get_user(ctx, actor=admin, user_id=own.user_id).is_active

    # the last administrator's: refused, with the fix
    req3 = pv.add_request(ctx, actor=dpo, workspace_id=ws.id, kind="erasure",
                          identifiers=["admin@agency.example"])  # fmt: skip
    pv.verify_request(ctx, actor=dpo, workspace_id=ws.id, request_id=req3.id, how="eID login")
    with pytest.raises(ConflictError, match="last active administrator") as err:
        pv.erase_subject(ctx, actor=dpo, workspace_id=ws.id, request_id=req3.id,
                         identifier="admin@agency.example")  # fmt: skip
    assert err.value.fix is not None and "administrator" in err.value.fix
    assert accounts.get_user(ctx, actor=admin, user_id=admin.user_id).is_admin


def test_a_failing_use_case_logs_no_encrypted_field(
    ctx: AppContext,
    admin: Actor,
    ws: workspaces.Workspace,
    keyed: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A refused write and a refused read of the encrypted fields: the error and the logs name the
    field, never the value."""
    caplog.set_level(logging.DEBUG)
    holder, _ = _plant(ctx, admin, ws)
    with pytest.raises(InputError) as bad:
        pg.STAKEHOLDERS.update(ctx, actor=admin, workspace_id=ws.id, item_id=holder.id,
                               data=pg.StakeholderUpdate.model_construct(name=PLANTED, interest=9))  # fmt: skip
    # a ciphertext moved into another field, or altered, does not open
    with ctx.engine.begin() as conn:
        cipher = conn.execute(sa.text("SELECT name FROM stakeholders")).scalar_one()
        conn.execute(sa.text("UPDATE stakeholders SET notes = :c"), {"c": cipher})
    with pytest.raises(InputError, match=r"stakeholders\.notes") as moved:
        pg.STAKEHOLDERS.get(ctx, actor=admin, workspace_id=ws.id, item_id=holder.id)
    # without the key ring the fields do not open either, with the fix named
    ctx.settings.privacy_key_file = None
    with pytest.raises(Exception, match="no key ring is configured") as nokey:
        pg.STAKEHOLDERS.list(ctx, actor=admin, workspace_id=ws.id)
    texts = [json.dumps(e.value.to_dict(), default=str) for e in (bad, moved, nokey)]  # type: ignore[attr-defined]
    texts.append("\n".join(r.getMessage() for r in caplog.records))
    assert [t for t in texts if PLANTED in t or "Planted Street" in t] == []
    assert "CIVICFLOW_PRIVACY_KEY_FILE" in texts[2]


def test_without_a_key_ring_fields_stay_clear_until_encrypt_fields(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace, tmp_path: Path
) -> None:
    holder, _ = _plant(ctx, admin, ws)
    assert PLANTED in _raw(ctx, "stakeholders")  # no key ring: stored clear (documented)
    assert _clean(audit.verify(ctx, actor=admin)) == []
    keys = tmp_path / "k.json"
    KeyRing.generate().write(keys)
    ctx.settings.privacy_key_file = keys
    changed = pv.encrypt_fields(ctx, actor=admin)
    # name, organisation, notes, summary (outcome is empty) and the two records' sealing keys
    assert changed == 6
    assert PLANTED not in _raw(ctx, "stakeholders") and PLANTED not in _raw(ctx, "consultations")
    assert (
        pg.STAKEHOLDERS.get(ctx, actor=admin, workspace_id=ws.id, item_id=holder.id).name == PLANTED
    )
    # after a rotation, re-encrypted under the new key
    KeyRing.read(keys).rotated("k2").write(keys)
    assert pv.encrypt_fields(ctx, actor=admin) == 6
    assert "enc1:k2:" in _raw(ctx, "stakeholders") and "enc1:k1:" not in _raw(ctx, "stakeholders")
    assert _clean(audit.verify(ctx, actor=admin)) == []


def test_without_a_key_ring_erasure_still_leaves_no_copy_in_the_database_files(
    ctx: AppContext,
    admin: Actor,
    ws: workspaces.Workspace,
    make_member: Callable[[str, Role], Actor],
) -> None:
    """Stored clear (no key ring), the name is overwritten by the erasure, and the scan of the
    database (its tables, and on SQLite its files byte by byte) finds no copy left."""
    _plant(ctx, admin, ws)
    dpo = make_member(ws.id, Role.DPO)
    req = pv.add_request(ctx, actor=dpo, workspace_id=ws.id, kind="erasure", identifiers=[PLANTED])
    pv.verify_request(ctx, actor=dpo, workspace_id=ws.id, request_id=req.id, how="eID login")
    pv.erase_subject(ctx, actor=dpo, workspace_id=ws.id, request_id=req.id, identifier=PLANTED)
    scan = pv.verify_erasure(ctx, actor=dpo, workspace_id=ws.id, request_id=req.id,
                             identifier=PLANTED)  # fmt: skip
    assert scan.clean, scan.remnants
    assert _clean(audit.verify(ctx, actor=admin)) == []
