"""Reading and verifying the audit ledger, with role checks.

Verification checks the ledger itself (hashes, checkpoints, signatures, the tree head published
outside the database) and then the application's rows and files against it: every object's
current state must digest to the after-state of its latest entry, computed by the same function
that computed it when the entry was written (:data:`_STATES`), so a change made with SQL behind
civicflow's back is named with the row and the entry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicflow.app import _programme as prog
from civicflow.app._accounts import (
    OS_LOGIN_ISSUER,
    _membership_state,
    _state,
    _token,
    _token_state,
)
from civicflow.app._business_case import CASE as BUSINESS_CASE
from civicflow.app._business_case import case_state
from civicflow.app._context import LEDGER_HEAD, AppContext
from civicflow.app._models import (
    ApiTokenRow,
    BusinessCaseRow,
    BusinessCaseVersionRow,
    MembershipRow,
    UserRow,
    WorkspaceRow,
)
from civicflow.app._record import record
from civicflow.app._roles import Actor, Permission, Role
from civicflow.app._sealed import sealed_state
from civicflow.app._workspaces import _state as _workspace_state
from civicflow.app._workspaces import require_workspace_row
from civicflow.core import CivicflowError, ConfigurationError, Location, PermissionDeniedError
from civicflow.eventlog import EventStore
from civicflow.ledger import (
    Checkpoint,
    InclusionProof,
    LedgerEntry,
    Problem,
    TreeHead,
    VerificationReport,
    state_digest,
)
from civicflow.mining import load_baseline, load_filter_set


def _readable(actor: Actor) -> list[str] | None:
    """Workspaces whose entries the actor may read; ``None`` means all (global admins)."""
    if actor.can(Permission.LEDGER_READ):
        return None
    return [ws for ws in actor.roles if actor.can(Permission.LEDGER_READ, ws)]


def list_entries(
    ctx: AppContext,
    *,
    actor: Actor,
    limit: int = 50,
    offset: int = 0,
    workspace_id: str | None = None,
) -> list[LedgerEntry]:
    """Entries newest first: all for global admins, else those of the workspaces where the actor
    holds LEDGER_READ (or of ``workspace_id`` only)."""
    if workspace_id is not None:
        actor.require(Permission.LEDGER_READ, workspace_id)
        scope: list[str] | None = [workspace_id]
    else:
        scope = _readable(actor)
        if scope is not None and not scope:
            actor.require(Permission.LEDGER_READ)
    limit = max(1, min(int(limit), 1000))
    with ctx.engine.connect() as conn:
        return ctx.ledger.entries(
            conn, limit=limit, offset=max(0, int(offset)), workspace_ids=scope
        )


def history(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    object_type: str,
    object_id: str,
    limit: int = 200,
) -> list[LedgerEntry]:
    """An object's history (e.g. an objective's create/update/measure entries), oldest first.

    Anyone who may read the workspace may see who changed its items and when: the entries carry
    pseudonyms and digests only.
    """
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.engine.connect() as conn:
        return ctx.ledger.entries(
            conn,
            limit=max(1, min(int(limit), 1000)),
            workspace_ids=[workspace_id],
            object_type=object_type,
            object_id=object_id,
            newest_first=False,
        )


def count_entries(ctx: AppContext, *, actor: Actor) -> int:
    if not actor.can_anywhere(Permission.LEDGER_READ):
        actor.require(Permission.LEDGER_READ)
    with ctx.engine.connect() as conn:
        return ctx.ledger.size(conn)


def get_entry(ctx: AppContext, *, actor: Actor, entry_index: int) -> LedgerEntry:
    with ctx.engine.connect() as conn:
        entry = ctx.ledger.entry(conn, entry_index)
    _require_entry_access(actor, entry)
    return entry


def _require_entry_access(actor: Actor, entry: LedgerEntry) -> None:
    if actor.can(Permission.LEDGER_READ):
        return
    if entry.workspace_id is None or not actor.can(Permission.LEDGER_READ, entry.workspace_id):
        raise PermissionDeniedError(
            f"{actor.pseudonym} may not read ledger entry {entry.index}",
            where=Location(field="entry_index"),
            found=f"entry of workspace {entry.workspace_id or '(global)'}",
            expected="LEDGER_READ in the entry's workspace (auditor, DPO, service owner, admin)",
            fix="ask a workspace admin for the auditor role",
        )


def verify(
    ctx: AppContext,
    *,
    actor: Actor,
    trusted_public_key: bytes | None = None,
    tree_head: TreeHead | None = None,
    tree_head_source: str | None = None,
    check_rows: bool = True,
) -> VerificationReport:
    """Verify the whole ledger (any actor holding LEDGER_VERIFY in some workspace): its hashes,
    checkpoints and signatures, against the published tree head (``tree_head``, e.g. a
    witness's copy; default: ``Settings.ledger_tree_head_file``), and — ``check_rows`` — the
    application's rows, datasets and baselines against their latest entries."""
    if not actor.can_anywhere(Permission.LEDGER_VERIFY):
        actor.require(Permission.LEDGER_VERIFY)
    with ctx.engine.connect() as conn:
        report = ctx.ledger.verify(
            conn,
            trusted_public_key=trusted_public_key,
            tree_head=tree_head,
            tree_head_source=tree_head_source,
        )
    if check_rows:
        with ctx.read_session() as s:
            report.problems.extend(check_states(ctx, s))
    return report


# -- the application's state against the ledger ----------------------------------------------


@dataclass(frozen=True, slots=True)
class _Current:
    """One object as it is now: its key in the ledger and the digest of its state."""

    object_type: str
    workspace_id: str | None
    object_id: str
    digest: str | None
    where: str  # the table or file, for the finding
    legacy: str | None = None  # the digest entries written by older versions recorded

    def matches(self, recorded: str) -> bool:
        return recorded in (self.digest, self.legacy)

    @property
    def key(self) -> tuple[str, str | None, str]:
        return (self.object_type, self.workspace_id, self.object_id)


def _users(session: Session, ctx: AppContext) -> Iterator[_Current]:
    for row in session.scalars(select(UserRow)):
        legacy = None
        if row.oidc_issuer == OS_LOGIN_ISSUER:  # operator accounts before the shared _state
            legacy = state_digest(
                {"id": row.id, "pseudonym": row.pseudonym, "is_admin": row.is_admin,
                 "is_active": row.is_active, "oidc_issuer": row.oidc_issuer}
            )  # fmt: skip
        digest = state_digest(_state(row))
        yield _Current("user", None, row.pseudonym, digest, "table users", legacy)


def _workspaces(session: Session, ctx: AppContext) -> Iterator[_Current]:
    for row in session.scalars(select(WorkspaceRow)):
        digest = state_digest(_workspace_state(row))
        yield _Current("workspace", row.id, row.id, digest, "table workspaces")


def _memberships(session: Session, ctx: AppContext) -> Iterator[_Current]:
    rows = session.execute(
        select(MembershipRow.workspace_id, MembershipRow.role, UserRow.pseudonym).join(
            UserRow, UserRow.id == MembershipRow.user_id
        )
    )
    for ws, role, pseudonym in rows:
        digest = state_digest(_membership_state(pseudonym, role))
        yield _Current("membership", ws, pseudonym, digest, "table memberships")


def _tokens(session: Session, ctx: AppContext) -> Iterator[_Current]:
    for row in session.scalars(select(ApiTokenRow)):
        token = _token(row)
        digest = state_digest(_token_state(row))
        # before the shared _token_state, entries recorded the time of last use too
        legacy = state_digest({k: v for k, v in token.to_dict().items() if k != "active"})
        yield _Current("api_token", None, row.id, digest, "table api_tokens", legacy)


def _programme_state(kind: Any, session: Session, row: Any) -> dict[str, Any]:
    """A programme item's state exactly as its use cases record it (``ProgrammeKind._written``
    digests ``kind.state(session, row).to_dict()``)."""
    return kind.state(session, row).to_dict()


def _programme(kind: Any) -> Callable[[Session, AppContext], Iterator[_Current]]:
    def rows(session: Session, ctx: AppContext) -> Iterator[_Current]:
        table = kind.row.__tablename__
        for row in session.scalars(select(kind.row)):
            state = _programme_state(kind, session, row)
            # personal fields sealed as ``record`` sealed them (app/_sealed.py)
            digest = state_digest(sealed_state(session, kind.name, row.id, state, create=False))
            yield _Current(kind.name, row.workspace_id, row.id, digest, f"table {table}")

    return rows


def _business_cases(session: Session, ctx: AppContext) -> Iterator[_Current]:
    """Every business case with all its versions, as its use cases record it."""
    versions: dict[str, list[BusinessCaseVersionRow]] = {}
    for v in session.scalars(select(BusinessCaseVersionRow)):
        versions.setdefault(v.case_id, []).append(v)
    for row in session.scalars(select(BusinessCaseRow)):
        digest = state_digest(case_state(row, versions.get(row.id, [])))
        yield _Current(
            BUSINESS_CASE, row.workspace_id, row.id, digest,
            "tables business_cases, business_case_versions",
        )  # fmt: skip


def folder_states(workspace_id: str, path: Path) -> Iterator[_Current]:
    """The datasets (their manifest's fingerprint), baselines and saved filter sets (the digest
    of their JSON) in one workspace folder, as the ledger records them; one that cannot be read has no digest."""
    if not (path / "workspace.json").exists():
        return
    store = EventStore.open(path)
    for name in store.dataset_names():
        where = f"dataset folder in {path}"
        try:
            digest: str | None = store.dataset(name).manifest.fingerprint
        except (CivicflowError, OSError, ValueError, KeyError) as exc:
            digest, where = None, f"{where}, unreadable: {str(exc).splitlines()[0]}"
        yield _Current("dataset", workspace_id, name, digest, where)
    for kind, folder, load in (
        ("baseline", store.baselines_dir, load_baseline),
        ("filter_set", store.filter_sets_dir, load_filter_set),
    ):
        names = sorted(p.stem for p in folder.glob("*.json") if not p.name.startswith("."))
        for name in names if folder.exists() else []:
            where = f"{kind.replace('_', ' ')} file in {path}"
            try:
                digest = state_digest(load(store, name).to_dict())
            except (CivicflowError, OSError, ValueError, KeyError) as exc:
                digest, where = None, f"{where}, unreadable: {str(exc).splitlines()[0]}"
            yield _Current(kind, workspace_id, name, digest, where)


def _files(session: Session, ctx: AppContext) -> Iterator[_Current]:
    """Datasets and baselines in every workspace; one that cannot be read is a state no entry
    recorded (a finding), not a failed check."""
    for ws in session.scalars(select(WorkspaceRow)):
        yield from folder_states(ws.id, Path(ws.path))


def _governance(session: Session, ctx: AppContext) -> Iterator[_Current]:
    """Register entries, the state of compliance controls, the infrastructure inventory and the
    attached evidence files (the SHA-256 of the content kept now), as ``app._governance`` records
    them (assessments are audited answer by answer instead)."""
    from civicflow.app._governance import _control_state, attachment_path
    from civicflow.app._models import (
        GovernanceAttachmentRow,
        GovernanceControlRow,
        GovernanceInfrastructureRow,
        GovernanceSystemRow,
    )

    for system in session.scalars(select(GovernanceSystemRow)):
        yield _Current(
            "governance_system", system.workspace_id, system.id, state_digest(system.document),
            "table governance_systems",
        )  # fmt: skip
    for control in session.scalars(select(GovernanceControlRow)):
        yield _Current(
            "control", control.workspace_id, f"{control.catalogue}:{control.control}",
            state_digest(_control_state(control).to_dict()), "table governance_controls",
        )  # fmt: skip
    for item in session.scalars(select(GovernanceInfrastructureRow)):
        yield _Current(
            "infrastructure", item.workspace_id, item.id, state_digest(item.document),
            "table governance_infrastructure",
        )  # fmt: skip
    folders = {ws.id: Path(ws.path) for ws in session.scalars(select(WorkspaceRow))}
    for att in session.scalars(select(GovernanceAttachmentRow)):
        path = attachment_path(folders[att.workspace_id], att.sha256)
        try:
            digest: str | None = hashlib.sha256(path.read_bytes()).hexdigest()
            where = f"attached file {path}"
        except OSError as exc:
            digest, where = None, f"attached file {path}, unreadable: {exc.strerror}"
        yield _Current("governance_attachment", att.workspace_id, att.id, digest, where)


def _fairness(session: Session, ctx: AppContext) -> Iterator[_Current]:
    """Stored fairness audits (configuration, source digest and result), decision streams
    (source, configuration, last check) and stored explanations, as ``app._fairness`` and ``app._fairness_monitor``
    record them."""
    from civicflow.app._fairness import (
        EXPLANATION,
        audit_state,
        explanation_state,
        legacy_audit_state,
    )
    from civicflow.app._fairness import OBJECT as AUDIT
    from civicflow.app._fairness_monitor import OBJECT as STREAM
    from civicflow.app._fairness_monitor import legacy_stream_state, stream_state
    from civicflow.app._models import (
        FairnessAuditRow,
        FairnessExplanationRow,
        FairnessStreamRow,
    )

    for audit in session.scalars(select(FairnessAuditRow)):
        yield _Current(
            AUDIT, audit.workspace_id, audit.id, state_digest(audit_state(audit)),
            "table fairness_audits", state_digest(legacy_audit_state(audit)),
        )  # fmt: skip
    for stream in session.scalars(select(FairnessStreamRow)):
        yield _Current(
            STREAM, stream.workspace_id, stream.id, state_digest(stream_state(stream)),
            "table fairness_streams", state_digest(legacy_stream_state(stream)),
        )  # fmt: skip
    for explanation in session.scalars(select(FairnessExplanationRow)):
        yield _Current(
            EXPLANATION, explanation.workspace_id, explanation.id,
            state_digest(explanation_state(explanation)), "table fairness_explanations",
        )  # fmt: skip


_KINDS = tuple(prog.KINDS.values())  # every programme kind
_STATES: tuple[Callable[[Session, AppContext], Iterable[_Current]], ...] = (
    _users,
    _workspaces,
    _memberships,
    _tokens,
    *(_programme(k) for k in _KINDS),
    _business_cases,
    _governance,
    _fairness,
    _files,
)
"""Every object type the application ledgers, with the function that computes its state now."""
_CHECKED = {
    "user",
    "workspace",
    "membership",
    "api_token",
    "dataset",
    "baseline",
    "filter_set",
    BUSINESS_CASE,
    "governance_system",
    "governance_attachment",
    "control",
    "infrastructure",
    "fairness_audit",
    "fairness_stream",
    "fairness_explanation",
} | {k.name for k in _KINDS}


def _latest_entries(ctx: AppContext, session: Session) -> dict[tuple[str, str | None, str], Any]:
    """Each object's latest entry that says something about its state."""
    latest: dict[tuple[str, str | None, str], LedgerEntry] = {}
    users = set(session.scalars(select(UserRow.pseudonym)))
    for e in ctx.ledger.iter_entries(session.connection()):
        if e.before_digest is None and e.after_digest is None:
            continue  # an old entry without states (e.g. a password change before 0.x)
        ws = None if e.object_type in ("user", "api_token") else e.workspace_id
        latest[(e.object_type, ws, e.object_id)] = e
        if e.action == "workspace.create" and e.actor in users:
            # creating a workspace makes its creator its admin, in the same entry
            digest = state_digest(_membership_state(e.actor, Role.ADMIN.value))
            implied = replace(e, object_type="membership", object_id=e.actor, after_digest=digest)
            latest[("membership", e.object_id, e.actor)] = implied
    return latest


def check_states(ctx: AppContext, session: Session) -> list[Problem]:
    """Compare every row, dataset and baseline with the after-state its latest ledger entry
    recorded; name each that differs, was removed, or has no entry at all."""
    latest = _latest_entries(ctx, session)
    erased = {
        e.object_id: e.index for e in latest.values() if e.action == "user.erase"
    }  # an erasure removes the person's roles and tokens without an entry each
    last_erasure = max(erased.values(), default=-1)
    problems: list[Problem] = []
    seen: set[tuple[str, str | None, str]] = set()
    for states in _STATES:
        try:
            current = list(states(session, ctx))
        except (OSError, ValueError, CivicflowError) as exc:
            problems.append(Problem("state", f"could not read the current state: {exc}"))
            continue
        for obj in current:
            seen.add(obj.key)
            entry = latest.get(obj.key)
            label = _label(obj.object_type, obj.workspace_id, obj.object_id)
            if entry is None:
                problems.append(
                    Problem(
                        "state",
                        f"{label} ({obj.where}) has no ledger entry: it was created "
                        "outside civicflow",
                    )
                )
            elif entry.after_digest is None:
                problems.append(
                    Problem(
                        "state",
                        f"{label} ({obj.where}) exists although its latest entry "
                        f"{entry.index} ({entry.action}) removed it",
                        (entry.index,),
                    )
                )
            elif not obj.matches(entry.after_digest):
                problems.append(
                    Problem(
                        "state",
                        f"{label} ({obj.where}) differs from the state its latest entry "
                        f"{entry.index} ({entry.action}) recorded: it was changed outside "
                        "civicflow",
                        (entry.index,),
                    )
                )
    for key, entry in latest.items():
        if key in seen or entry.after_digest is None or key[0] not in _CHECKED:
            continue
        if key[0] == "membership" and erased.get(key[2], -1) > entry.index:
            continue
        if key[0] == "api_token" and last_erasure > entry.index:
            continue  # the erasure of its owner (the entry names the token, not the owner)
        problems.append(
            Problem(
                "state",
                f"{_label(*key)} is gone although its latest entry {entry.index} "
                f"({entry.action}) recorded it: it was removed outside civicflow",
                (entry.index,),
            )
        )
    return problems


def _label(object_type: str, workspace_id: str | None, object_id: str) -> str:
    where = f" in workspace {workspace_id}" if workspace_id and object_type != "workspace" else ""
    return f"{object_type.replace('_', ' ')} {object_id}{where}"


def inclusion_proof(
    ctx: AppContext, *, actor: Actor, entry_index: int, checkpoint_id: int | None = None
) -> InclusionProof:
    """The audit path of an entry against the latest checkpoint covering it."""
    entry = get_entry(ctx, actor=actor, entry_index=entry_index)
    with ctx.engine.connect() as conn:
        return ctx.ledger.inclusion_proof(conn, entry.index, checkpoint_id=checkpoint_id)


def list_checkpoints(ctx: AppContext, *, actor: Actor) -> list[Checkpoint]:
    if not actor.can_anywhere(Permission.LEDGER_READ):
        actor.require(Permission.LEDGER_READ)
    with ctx.engine.connect() as conn:
        return ctx.ledger.checkpoints(conn)


def latest_checkpoint(ctx: AppContext, *, actor: Actor) -> Checkpoint | None:
    """The newest checkpoint (None before the first): the entries below its ``tree_size`` are
    the ones an inclusion proof exists for."""
    if not actor.can_anywhere(Permission.LEDGER_READ):
        actor.require(Permission.LEDGER_READ)
    with ctx.engine.connect() as conn:
        return ctx.ledger.latest_checkpoint(conn)


CHECKPOINT_ACTION = "ledger.checkpoint"


def write_checkpoint(
    ctx: AppContext,
    *,
    actor: Actor,
    signed: bool = False,
    workspace_id: str | None = None,
    reason: str | None = None,
) -> Checkpoint:
    """Checkpoint the ledger now and publish its head, recorded as a ``ledger.checkpoint`` entry
    that the checkpoint itself covers.

    Without ``workspace_id``: global admins and the operator's command line. With it: whoever
    may verify the ledger there (admin, auditor, DPO), from that workspace's ledger page; the
    entry is that workspace's. ``signed``: refuse unless a signing key is configured — the step
    that vouches for the history written before signing was turned on."""
    if workspace_id is None:
        actor.require(Permission.USER_ADMIN)
    else:
        actor.require(Permission.LEDGER_VERIFY, workspace_id)
    if signed and ctx.ledger.signer is None:
        raise ConfigurationError(
            "no ledger signing key is configured",
            where=Location(field="ledger_signing_key_file"),
            found="CIVICFLOW_LEDGER_SIGNING_KEY_FILE unset",
            expected="the Ed25519 private key that signs checkpoints",
            fix="create one with `civicflow ledger keygen --out FILE` and set "
            "CIVICFLOW_LEDGER_SIGNING_KEY_FILE to it",
        )
    with ctx.session() as s:
        if workspace_id is not None:
            require_workspace_row(s, workspace_id)
        conn = s.connection()
        size = ctx.ledger.size(conn) + 1  # with the entry below
        entry = record(
            ctx, s, actor=actor, action=CHECKPOINT_ACTION, object_type="ledger",
            object_id="checkpoint", workspace_id=workspace_id,
            after={"tree_size": size, "signed": ctx.ledger.signer is not None}, reason=reason,
        )  # fmt: skip
        latest = ctx.ledger.latest_checkpoint(conn)
        if latest is not None and latest.tree_size == entry.index + 1:
            return latest  # the append wrote it (``checkpoint_every`` is 1)
        cp = ctx.ledger.checkpoint(conn)
        s.info[LEDGER_HEAD] = ctx.ledger.take_head(conn)
    return cp


def published_head(ctx: AppContext, *, actor: Actor) -> TreeHead | None:
    """The tree head published in ``Settings.ledger_tree_head_file`` (None before the first)."""
    if not actor.can_anywhere(Permission.LEDGER_READ):
        actor.require(Permission.LEDGER_READ)
    from civicflow.ledger import read_tree_head

    path = ctx.ledger.tree_head_file
    return None if path is None else read_tree_head(path)
