"""Data-subject requests (GDPR Arts. 12, 15-22): the register, the search for a subject, the
access export and the erasure — role-checked (PRIVACY_REQUESTS: the DPO and admins) and ledgered.

The register never holds a subject's identifier: only its pseudonym under the key ring (setting
``privacy_key_file``) or, without one, a salted SHA-256 hash. The steps that need the value
(search, export, erase) are given it again and check it against the request first.

- ``add_request``: kind, identifiers, received date; due one calendar month later (Art. 12(3)).
- ``verify_request``: how the subject's identity was verified and by whom.
- ``extend_request``: up to two further months, with the notice's reason.
- ``search_subject``: where the subject appears (datasets: column, events, cases; the
  application's users, stakeholders and consultations).
- ``export_subject``: the subject's events, cases and records as JSON and CSV into a folder.
- ``erase_subject``: a new version of each affected dataset without the subject's cases and the
  events naming them (through ``store_dataset``, journaled), datasets on legal hold untouched
  (Art. 17(3)), the baselines frozen with the subject's data named, then a verification scan.
- ``close_request``: completed, or refused with its reason.
"""

from __future__ import annotations

import calendar
import csv
import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicflow.app._accounts import erase_user_row
from civicflow.app._context import AppContext
from civicflow.app._models import (
    ConsultationRow,
    LoginAttemptRow,
    PrivacyLegalHoldRow,
    PrivacyRequestRow,
    PrivacyVaultRow,
    StakeholderRow,
    UserRow,
)
from civicflow.app._record import record
from civicflow.app._roles import Actor, Permission
from civicflow.app._workspaces import require_workspace_row
from civicflow.core import (
    ConflictError,
    InputError,
    Location,
    NotFoundError,
    Record,
    check_choice,
    new_id,
    utcnow,
)
from civicflow.eventlog import CASE_ID, Dataset, EventStore
from civicflow.privacy import KeyRing, normalise

REQUEST = "privacy_request"
KINDS = ("access", "rectification", "erasure", "restriction", "objection")
STATUSES = ("received", "verified", "in_progress", "completed", "refused")
OPEN = ("received", "verified", "in_progress")
DUE_SOON_DAYS = 7
"""A request is due soon this many days (or fewer) before its deadline."""
MAX_EXTENSION_MONTHS = 2


def add_months(day: date, months: int) -> date:
    """``day`` plus calendar months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredRequest(Record):
    _json = True

    id: str
    kind: str
    subject_tokens: tuple[str, ...]
    """The identifiers as pseudonyms (``k1_…``) or salted hashes (``sha256:…``), never clear."""
    received_on: date
    due_on: date
    extended_months: int
    extension_reason: str
    status: str
    verified_how: str
    verified_by: str
    outcome: str
    result: dict[str, Any]
    created_by: str
    created_at: datetime
    updated_at: datetime
    due_soon: bool
    overdue: bool


def _out(row: PrivacyRequestRow, today: date | None = None) -> StoredRequest:
    today = today or utcnow().date()
    open_ = row.status in OPEN
    return StoredRequest(
        id=row.id, kind=row.kind, subject_tokens=tuple(row.subject_tokens),
        received_on=row.received_on, due_on=row.due_on, extended_months=row.extended_months,
        extension_reason=row.extension_reason, status=row.status,
        verified_how=row.verified_how, verified_by=row.verified_by, outcome=row.outcome,
        result=dict(row.result or {}), created_by=row.created_by, created_at=row.created_at,
        updated_at=row.updated_at,
        due_soon=open_ and today <= row.due_on <= today + timedelta(days=DUE_SOON_DAYS),
        overdue=open_ and today > row.due_on,
    )  # fmt: skip


def _state(row: PrivacyRequestRow) -> dict[str, Any]:
    """What the ledger keeps of a request: pseudonymous tokens, never the identifiers."""
    return {
        "kind": row.kind, "subject_tokens": list(row.subject_tokens), "status": row.status,
        "received_on": row.received_on.isoformat(), "due_on": row.due_on.isoformat(),
        "extended_months": row.extended_months, "verified_by": row.verified_by,
    }  # fmt: skip


def _ring(ctx: AppContext) -> KeyRing | None:
    path = ctx.settings.privacy_key_file
    return None if path is None else KeyRing.read(path)


def _hash(salt: str, value: str) -> str:
    return "sha256:" + hashlib.sha256((salt + normalise(value)).encode("utf-8")).hexdigest()


def _token(ring: KeyRing | None, salt: str, value: str) -> str:
    return ring.pseudonym(value) if ring is not None else _hash(salt, value)


def _matches(ring: KeyRing | None, salt: str, value: str, token: str) -> bool:
    if token.startswith("sha256:"):
        return secrets.compare_digest(_hash(salt, value), token)
    return ring is not None and ring.matches(value, token)


def _clean_identifiers(identifiers: Sequence[str]) -> list[str]:
    values = [v.strip() for v in identifiers if v.strip()]
    if not values or any(len(v) > 500 for v in values):
        raise InputError(
            "a request needs the subject's identifiers (1 to 500 characters each)",
            where=Location(field="identifier"),
            found=f"{len(values)} identifiers",
            expected="a case id, a name, an e-mail address or a national number",
            fix="give at least one identifier the subject gave (--identifier VALUE)",
        )
    return values


def _text(value: str, *, field: str, what: str, example: str) -> str:
    value = value.strip()
    if len(value) < 5:
        raise InputError(
            f"{what} needs its reason",
            where=Location(field=field),
            found=repr(value),
            expected="at least 5 characters",
            fix=f"say it, e.g. '{example}'",
        )
    return value


def _load(s: Session, workspace_id: str, request_id: str) -> PrivacyRequestRow:
    row = s.get(PrivacyRequestRow, request_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFoundError(
            f"there is no data-subject request '{request_id}' in this workspace",
            where=Location(field="request"),
            found=request_id,
            expected="a request id from `civicflow privacy requests list`",
            fix="list the requests",
        )
    return row


def _require_status(row: PrivacyRequestRow, allowed: Sequence[str], doing: str) -> None:
    if row.status not in allowed:
        raise ConflictError(
            f"a {row.status} request cannot be {doing}",
            where=Location(field="status"),
            found=row.status,
            expected="one of: " + ", ".join(allowed),
            fix="verify the subject's identity first"
            if row.status == "received"
            else "open a new request",
        )


def _step(
    ctx: AppContext,
    s: Session,
    actor: Actor,
    row: PrivacyRequestRow,
    action: str,
    before: dict[str, Any] | None,
    *,
    reason: str | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    row.updated_at = utcnow()
    record(
        ctx, s, actor=actor, action=f"privacy.request.{action}", object_type=REQUEST,
        object_id=row.id, workspace_id=row.workspace_id, before=before,
        after={**_state(row), **(extra or {})}, reason=reason,
    )  # fmt: skip


def add_request(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    kind: str,
    identifiers: Sequence[str],
    received_on: date | None = None,
) -> StoredRequest:
    """Register a request (PRIVACY_REQUESTS); due one calendar month after it was received.
    Ledger ``privacy.request.add`` with the identifiers' pseudonyms only."""
    actor.require(Permission.PRIVACY_REQUESTS, workspace_id)
    check_choice(kind, KINDS, what="request kind", field="kind", error=InputError)
    values = _clean_identifiers(identifiers)
    received = received_on or utcnow().date()
    if received > utcnow().date():
        raise InputError(
            "a request cannot be received in the future",
            where=Location(field="received_on"),
            found=received.isoformat(),
            expected=f"{utcnow().date().isoformat()} or earlier",
            fix="give the date the request reached the organisation",
        )
    ring = _ring(ctx)
    salt = secrets.token_hex(16)
    tokens = sorted({_token(ring, salt, v) for v in values})
    now = utcnow()
    with ctx.session() as s:
        require_workspace_row(s, workspace_id)
        row = PrivacyRequestRow(
            id=new_id("dsr_"), workspace_id=workspace_id, kind=kind, subject_tokens=tokens,
            salt=salt, received_on=received, due_on=add_months(received, 1), extended_months=0,
            extension_reason="", status="received", verified_how="", verified_by="",
            outcome="", result={}, created_by=actor.pseudonym, created_at=now, updated_at=now,
        )  # fmt: skip
        s.add(row)
        _step(ctx, s, actor, row, "add", None)
        return _out(row)


def list_requests(
    ctx: AppContext, *, actor: Actor, workspace_id: str, today: date | None = None
) -> list[StoredRequest]:
    """The workspace's requests, soonest deadline first (PRIVACY_REQUESTS)."""
    actor.require(Permission.PRIVACY_REQUESTS, workspace_id)
    with ctx.read_session() as s:
        rows = s.scalars(
            select(PrivacyRequestRow)
            .where(PrivacyRequestRow.workspace_id == workspace_id)
            .order_by(PrivacyRequestRow.due_on, PrivacyRequestRow.id)
        )
        return [_out(r, today) for r in rows]


def get_request(
    ctx: AppContext, *, actor: Actor, workspace_id: str, request_id: str, today: date | None = None
) -> StoredRequest:
    actor.require(Permission.PRIVACY_REQUESTS, workspace_id)
    with ctx.read_session() as s:
        return _out(_load(s, workspace_id, request_id), today)


def verify_request(
    ctx: AppContext, *, actor: Actor, workspace_id: str, request_id: str, how: str
) -> StoredRequest:
    """Record how the subject's identity was verified (and by whom: the actor)."""
    actor.require(Permission.PRIVACY_REQUESTS, workspace_id)
    how = _text(
        how, field="how", what="identity verification",
        example="passport seen at the counter by the caseworker",
    )  # fmt: skip
    with ctx.session() as s:
        row = _load(s, workspace_id, request_id)
        _require_status(row, ("received",), "verified")
        before = _state(row)
        row.status, row.verified_how, row.verified_by = "verified", how, actor.pseudonym
        # how is kept with the request, encrypted; the ledger says only that it was recorded
        _step(ctx, s, actor, row, "verify", before,
              reason="identity verified; how is recorded with the request")  # fmt: skip
        return _out(row)


def extend_request(
    ctx: AppContext, *, actor: Actor, workspace_id: str, request_id: str, months: int, reason: str
) -> StoredRequest:
    """Extend the deadline by up to two further months in all (Art. 12(3)), with the reason
    given to the subject in the notice."""
    actor.require(Permission.PRIVACY_REQUESTS, workspace_id)
    reason = _text(
        reason, field="reason", what="an extension",
        example="complex request: six datasets; subject told on 3 March",
    )  # fmt: skip
    with ctx.session() as s:
        row = _load(s, workspace_id, request_id)
        _require_status(row, OPEN, "extended")
        total = row.extended_months + months
        if months < 1 or total > MAX_EXTENSION_MONTHS:
            raise InputError(
                "a request's deadline may be extended by at most two further months",
                where=Location(field="months"),
                found=f"{months} (already extended by {row.extended_months})",
                expected=f"1 to {MAX_EXTENSION_MONTHS - row.extended_months}",
                fix="extend by fewer months",
            )
        before = _state(row)
        row.extended_months = total
        row.extension_reason = reason
        row.due_on = add_months(row.received_on, 1 + total)
        _step(ctx, s, actor, row, "extend", before, reason=reason)
        return _out(row)


def close_request(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    request_id: str,
    outcome: str,
    reason: str = "",
) -> StoredRequest:
    """Close a request as ``completed`` or ``refused`` (a refusal needs its reason, Art. 12(4))."""
    actor.require(Permission.PRIVACY_REQUESTS, workspace_id)
    check_choice(
        outcome, ("completed", "refused"), what="outcome", field="outcome", error=InputError
    )
    if outcome == "refused":
        reason = _text(
            reason, field="reason", what="a refusal",
            example="manifestly unfounded: the same request answered on 2 March",
        )  # fmt: skip
    with ctx.session() as s:
        row = _load(s, workspace_id, request_id)
        allowed = OPEN if outcome == "refused" else ("verified", "in_progress")
        _require_status(row, allowed, outcome)
        before = _state(row)
        row.status, row.outcome = outcome, reason.strip()
        _step(ctx, s, actor, row, "close", before, reason=reason.strip() or None)
        return _out(row)


# -- legal holds -------------------------------------------------------------------------------


def set_legal_hold(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    dataset_name: str,
    reason: str = "",
    hold: bool = True,
) -> None:
    """Put a dataset on legal hold (Art. 17(3): erasure leaves it unchanged) or lift it."""
    actor.require(Permission.PRIVACY_REQUESTS, workspace_id)
    if hold:
        reason = _text(
            reason, field="reason", what="a legal hold",
            example="litigation hold, court case 2026/114",
        )  # fmt: skip
    with ctx.session() as s:
        require_workspace_row(s, workspace_id)
        row = s.scalars(
            select(PrivacyLegalHoldRow).where(
                PrivacyLegalHoldRow.workspace_id == workspace_id,
                PrivacyLegalHoldRow.dataset == dataset_name,
            )
        ).one_or_none()
        before = None if row is None else {"dataset": row.dataset, "reason": row.reason}
        if hold and row is None:
            row = PrivacyLegalHoldRow(
                id=new_id("hld_"), workspace_id=workspace_id, dataset=dataset_name,
                reason=reason, created_by=actor.pseudonym, created_at=utcnow(),
            )  # fmt: skip
            s.add(row)
        elif hold and row is not None:
            row.reason = reason
        elif row is not None:
            s.delete(row)
        record(
            ctx, s, actor=actor, action="privacy.legal_hold", object_type="legal_hold",
            object_id=dataset_name, workspace_id=workspace_id, before=before,
            after={"dataset": dataset_name, "reason": reason} if hold else None,
            reason=reason or None,
        )  # fmt: skip


def legal_holds(ctx: AppContext, *, actor: Actor, workspace_id: str) -> dict[str, str]:
    """Datasets on legal hold and why."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        rows = s.scalars(
            select(PrivacyLegalHoldRow).where(PrivacyLegalHoldRow.workspace_id == workspace_id)
        )
        return {r.dataset: r.reason for r in rows}


# -- search ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SubjectHit(Record):
    """Where a subject appears: a dataset's column (or an application table's field)."""

    _json = True

    source: str
    """``dataset`` or ``application``."""
    name: str
    """The dataset's name, or the application table."""
    column: str
    events: int
    cases: int
    records: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class SubjectSearch(Record):
    _json = True

    request_id: str
    hits: tuple[SubjectHit, ...]
    datasets_searched: int

    @property
    def found(self) -> bool:
        return bool(self.hits)


def _forms(ring: KeyRing | None, value: str) -> list[str]:
    """The forms an identifier takes in stored data: as given, and its pseudonym under each key
    of the ring (a pseudonymising ingest stored those)."""
    forms = {value.strip()}
    if ring is not None:
        forms |= {ring.pseudonym(value, key_id=k) for k in ring.keys}
    return sorted(forms)


def _mask(table: pa.Table, column: str, forms: Sequence[str]) -> pa.ChunkedArray | None:
    """Rows of ``table`` whose ``column`` equals one of ``forms`` (None: the column's type
    cannot hold them)."""
    col = table.column(column)
    typ = col.type
    if pa.types.is_dictionary(typ):
        col, typ = col.cast(typ.value_type), typ.value_type
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return pc.fill_null(pc.is_in(col, value_set=pa.array(list(forms), type=typ)), False)
    if pa.types.is_integer(typ):
        numbers = [int(f) for f in forms if f.isdigit() and len(f) < 19]
        if numbers:
            return pc.fill_null(pc.is_in(col, value_set=pa.array(numbers, type=typ)), False)
    return None


@dataclass(slots=True)
class _Found:
    """The subject in one dataset: hits per column and the case ids involved."""

    hits: list[SubjectHit] = field(default_factory=list)
    cases: set[Any] = field(default_factory=set)
    """Cases that are the subject's (case id or a case attribute names them)."""
    event_rows: pa.ChunkedArray | None = None
    """Events naming the subject in an event column."""


def _find_in_dataset(dataset: Dataset, forms: Sequence[str]) -> _Found:
    found = _Found()
    events = pq.read_table(dataset.events_path)
    any_event = None
    for column in events.column_names:
        if column in ("timestamp", "start_timestamp", "position"):
            continue
        mask = _mask(events, column, forms)
        if mask is None:
            continue
        n = pc.sum(mask).as_py() or 0
        if not n:
            continue
        cases = set(events.column(CASE_ID).filter(mask).to_pylist())
        found.hits.append(
            SubjectHit(
                source="dataset", name=dataset.name, column=column, events=n, cases=len(cases)
            )
        )
        if column == CASE_ID:
            found.cases |= cases
        else:
            any_event = mask if any_event is None else pc.or_(any_event, mask)
    found.event_rows = any_event
    if Path(dataset.cases_path).exists():
        cases_table = pq.read_table(dataset.cases_path)
        for column in cases_table.column_names:
            if column == CASE_ID:
                continue
            mask = _mask(cases_table, column, forms)
            if mask is None or not (pc.sum(mask).as_py() or 0):
                continue
            ids = set(cases_table.column(CASE_ID).filter(mask).to_pylist())
            in_events = pc.is_in(events.column(CASE_ID), value_set=pa.array(list(ids)))
            found.hits.append(
                SubjectHit(
                    source="dataset", name=dataset.name, column=f"case:{column}",
                    events=pc.sum(in_events).as_py() or 0, cases=len(ids),
                )
            )  # fmt: skip
            found.cases |= ids
    return found


def _app_records(s: Session, workspace_id: str, value: str) -> dict[str, list[dict[str, Any]]]:
    """The subject's records in the application: users (e-mail, name), stakeholders (name),
    consultations (their summary or outcome mentions the subject)."""
    key = normalise(value)
    out: dict[str, list[dict[str, Any]]] = {}
    users = [
        {"id": u.id, "pseudonym": u.pseudonym, "email": u.email, "display_name": u.display_name}
        for u in s.scalars(select(UserRow))
        if normalise(u.email or "") == key or normalise(u.display_name) == key
    ]
    holders = [
        {"id": h.id, "name": h.name, "organisation": h.organisation, "notes": h.notes}
        for h in s.scalars(
            select(StakeholderRow).where(StakeholderRow.workspace_id == workspace_id)
        )
        if normalise(h.name) == key
    ]
    ids = {h["id"] for h in holders}
    talks = [
        {"id": c.id, "stakeholder_id": c.stakeholder_id, "held_on": c.held_on.isoformat(),
         "summary": c.summary, "outcome": c.outcome}
        for c in s.scalars(select(ConsultationRow).where(ConsultationRow.workspace_id == workspace_id))
        if c.stakeholder_id in ids or key in normalise(c.summary) or key in normalise(c.outcome)
    ]  # fmt: skip
    for name, rows in (("users", users), ("stakeholders", holders), ("consultations", talks)):
        if rows:
            out[name] = rows
    return out


def _checked(
    ctx: AppContext,
    s: Session,
    workspace_id: str,
    request_id: str,
    identifier: str,
    doing: str,
    *,
    allowed: Sequence[str] = ("verified", "in_progress"),
) -> tuple[PrivacyRequestRow, KeyRing | None]:
    row = _load(s, workspace_id, request_id)
    _require_status(row, allowed, doing)
    ring = _ring(ctx)
    value = identifier.strip()
    if not value or not any(_matches(ring, row.salt, value, t) for t in row.subject_tokens):
        raise InputError(
            "the identifier is not one the request was registered with",
            where=Location(field="identifier"),
            found=f"{len(value)} characters (not shown)",
            expected="one of the identifiers the subject gave",
            fix="use the identifier from the request, as the subject wrote it",
        )
    return row, ring


def _store(ctx: AppContext, workspace_id: str) -> EventStore:
    from civicflow.app._assessment import _store as store_of

    return store_of(ctx, workspace_id)


def _search(
    ctx: AppContext, s: Session, workspace_id: str, ring: KeyRing | None, identifier: str
) -> tuple[list[SubjectHit], dict[str, _Found], dict[str, list[dict[str, Any]]], list[Dataset]]:
    forms = _forms(ring, identifier)
    datasets = _store(ctx, workspace_id).datasets()
    hits: list[SubjectHit] = []
    per: dict[str, _Found] = {}
    for dataset in datasets:
        found = _find_in_dataset(dataset, forms)
        if found.hits:
            per[dataset.name] = found
            hits += found.hits
    app = _app_records(s, workspace_id, identifier)
    hits += [
        SubjectHit(source="application", name=t, column="*", events=0, cases=0, records=len(r))
        for t, r in app.items()
    ]
    return hits, per, app, datasets


def search_subject(
    ctx: AppContext, *, actor: Actor, workspace_id: str, request_id: str, identifier: str
) -> SubjectSearch:
    """Where the subject appears in the workspace's datasets and the application's records
    (PRIVACY_REQUESTS; the request must be verified). Ledger ``privacy.request.search`` with
    the counts (not the values); the request moves to ``in_progress``."""
    actor.require(Permission.PRIVACY_REQUESTS, workspace_id)
    with ctx.session() as s:
        row, ring = _checked(ctx, s, workspace_id, request_id, identifier, "searched")
        hits, _, _, datasets = _search(ctx, s, workspace_id, ring, identifier)
        before = _state(row)
        row.status = "in_progress"
        result = SubjectSearch(request_id=row.id, hits=tuple(hits), datasets_searched=len(datasets))
        row.result = {**(row.result or {}), "search": result.to_dict()}
        _step(ctx, s, actor, row, "search", before, extra={"hits": result.to_dict()["hits"]})
        return result


def _jsonable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()} for r in rows
    ]


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    columns: list[str] = []
    for r in rows:
        columns += [k for k in r if k not in columns]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def _subject_rows(dataset: Dataset, found: _Found) -> tuple[pa.Table, pa.Table | None]:
    events = pq.read_table(dataset.events_path)
    mask = pc.is_in(
        events.column(CASE_ID),
        value_set=pa.array(list(found.cases), type=events.column(CASE_ID).type),
    )
    if found.event_rows is not None:
        mask = pc.or_(mask, found.event_rows)
    cases = None
    if Path(dataset.cases_path).exists():
        table = pq.read_table(dataset.cases_path)
        ids = pa.array(list(found.cases), type=table.column(CASE_ID).type)
        cases = table.filter(pc.is_in(table.column(CASE_ID), value_set=ids))
    return events.filter(mask), cases


def export_subject(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    request_id: str,
    identifier: str,
    folder: Path,
) -> list[Path]:
    """Write the subject's events and cases (per dataset) and application records into
    ``folder`` as one readable ``subject.json`` and CSV files (Art. 15). Ledger
    ``privacy.request.export`` with the files' names and SHA-256 digests."""
    actor.require(Permission.PRIVACY_REQUESTS, workspace_id)
    folder = Path(folder)
    with ctx.session() as s:
        row, ring = _checked(ctx, s, workspace_id, request_id, identifier, "exported")
        _hits, per, app, datasets = _search(ctx, s, workspace_id, ring, identifier)
        folder.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        document: dict[str, Any] = {
            "request": row.id, "kind": row.kind, "received_on": row.received_on.isoformat(),
            "exported_at": utcnow().isoformat(), "datasets": {}, "application": app,
        }  # fmt: skip
        by_name = {d.name: d for d in datasets}
        for name, found in per.items():
            events, cases = _subject_rows(by_name[name], found)
            event_rows = _jsonable(events.to_pylist())
            case_rows = _jsonable(cases.to_pylist()) if cases is not None else []
            document["datasets"][name] = {"events": event_rows, "cases": case_rows}
            for part, rows in (("events", event_rows), ("cases", case_rows)):
                if rows:
                    path = folder / f"{name}.{part}.csv"
                    _write_csv(path, rows)
                    written.append(path)
        for table, rows in app.items():
            path = folder / f"application.{table}.csv"
            _write_csv(path, rows)
            written.append(path)
        main = folder / "subject.json"
        main.write_text(json.dumps(document, indent=2, default=str), encoding="utf-8")
        written.insert(0, main)
        before = _state(row)
        row.status = "in_progress"
        files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in written}
        row.result = {**(row.result or {}), "export": {"folder": str(folder), "files": files}}
        _step(ctx, s, actor, row, "export", before, extra={"files": files})
        return written


# -- erasure -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DatasetErasure(Record):
    _json = True

    dataset: str
    status: str
    """``erased`` (a new version written), ``deleted`` (nothing of it was left), ``held``
    (on legal hold: unchanged, with the hold's reason)."""
    events_removed: int
    cases_removed: int
    before_fingerprint: str
    after_fingerprint: str | None
    baselines: tuple[str, ...]
    """Frozen baselines computed from the version that held the subject's data."""
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ErasureResult(Record):
    _json = True

    request_id: str
    datasets: tuple[DatasetErasure, ...]
    verified_absent: bool
    """The verification scan found the identifier in no dataset but those on legal hold."""
    remaining: tuple[SubjectHit, ...]
    """What the verification scan still found (datasets on legal hold, application records)."""
    vault_entries_removed: int = 0
    """Sealed originals of the subject's pseudonyms removed from the vault."""
    application_records_erased: dict[str, int] = field(default_factory=dict)
    """Application records changed: stakeholders named by the identifier (name replaced by a
    placeholder, organisation and notes cleared), consultations mentioning it (the mention
    replaced) and user accounts whose e-mail or name it is (anonymised)."""
    accounts_anonymised: tuple[str, ...] = ()
    """The pseudonyms of the user accounts anonymised (``user.erase`` entries): e-mail and name
    replaced, password, sign-in link, sessions, tokens and roles removed, the account disabled."""


def _rewrite(
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    dataset: Dataset,
    found: _Found,
    request_id: str,
    reason: str | None = None,
) -> tuple[str | None, int, int]:
    from civicflow.app._assessment import delete_dataset

    events = pq.read_table(dataset.events_path)
    case_type = events.column(CASE_ID).type
    drop = pc.is_in(events.column(CASE_ID), value_set=pa.array(list(found.cases), type=case_type))
    if found.event_rows is not None:
        drop = pc.or_(drop, found.event_rows)
    kept = events.filter(pc.invert(drop))
    removed_events = events.num_rows - kept.num_rows
    removed_cases = dataset.manifest.cases - len(pc.unique(kept.column(CASE_ID)))
    reason = reason or f"erasure of a data subject, request {request_id} (GDPR Art. 17)"
    if kept.num_rows == 0:
        delete_dataset(
            ctx, actor=actor, workspace_id=workspace_id, name=dataset.name, reason=reason
        )
        return None, removed_events, removed_cases
    cases = None
    if Path(dataset.cases_path).exists():
        table = pq.read_table(dataset.cases_path)
        keep_ids = pc.unique(kept.column(CASE_ID)).cast(table.column(CASE_ID).type)
        cases = table.filter(pc.is_in(table.column(CASE_ID), value_set=keep_ids))
    manifest = dataset.manifest
    options = {
        k: v for k, v in manifest.options.items()
        if k not in ("transforms", "duplicates", "duplicates_dropped", "erasure")
    }  # fmt: skip
    options["erasure"] = {
        "request": request_id, "previous_fingerprint": manifest.fingerprint,
        "transforms": manifest.options.get("transforms", []),
    }  # fmt: skip
    new = _new_version(ctx, actor, workspace_id, dataset, kept, cases, options, reason)
    return new.manifest.fingerprint, removed_events, removed_cases


def _new_version(
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    dataset: Dataset,
    events: pa.Table,
    cases: pa.Table | None,
    options: dict[str, Any],
    reason: str,
) -> Dataset:
    """``dataset``'s next version holding ``events`` and ``cases`` (an erasure's or a
    rectification's), written atomically with its ledger entry through ``store_dataset``."""
    from civicflow.app._assessment import store_dataset

    manifest = dataset.manifest

    def write(store: EventStore) -> Dataset:
        with store.writer(
            dataset.name, source=manifest.source, format=manifest.format,
            mapping=dataset.mapping, options=options, replace=True,
        ) as writer:  # fmt: skip
            writer.write_events(events)
            if cases is not None and cases.num_rows:
                writer.write_cases(cases)
        return store.dataset(dataset.name)

    return store_dataset(
        ctx, actor=actor, workspace_id=workspace_id, name=dataset.name, write=write,
        replace=True, reason=reason, permission=Permission.PRIVACY_REQUESTS,
    )  # fmt: skip


def _record_item(
    ctx: AppContext,
    s: Session,
    actor: Actor,
    kind_name: str,
    row: Any,
    before: dict[str, Any],
    verb: str,
    request_id: str,
) -> None:
    """The ledger entry of a stakeholder or consultation an erasure or rectification changed
    (``verify`` compares the row with it). An erasure shreds the record's sealing key with it:
    the record's earlier entries can no longer be linked to the erased values."""
    from civicflow.app._programme import KINDS

    kind = KINDS[kind_name]
    row.updated_at = utcnow()
    s.flush()
    record(
        ctx, s, actor=actor, action=f"{kind_name}.{verb}", object_type=kind_name,
        object_id=row.id, workspace_id=row.workspace_id, before=before,
        after=kind.state(s, row).to_dict(), shred_before=verb == "erase",
        reason=f"{'erasure' if verb == 'erase' else 'rectification'} for a data subject, "
        f"request {request_id}",
    )  # fmt: skip


def _erase_app_records(
    ctx: AppContext, s: Session, actor: Actor, workspace_id: str, value: str, request_id: str
) -> dict[str, int]:
    """Erase the subject from the workspace's stakeholders and consultations (in the session
    ``s``, so with the erasure's ledger entry): a stakeholder named by the identifier keeps its
    place in the programme under a placeholder; a consultation's mention is replaced. Each change
    is ledgered and shreds the record's sealing key."""
    import re

    from civicflow.app._programme import KINDS

    key = normalise(value)
    placeholder = f"[erased: request {request_id}]"
    holders = [
        h
        for h in s.scalars(
            select(StakeholderRow).where(StakeholderRow.workspace_id == workspace_id)
        )
        if normalise(h.name) == key
    ]
    for h in holders:
        before = KINDS["stakeholder"].state(s, h).to_dict()
        h.name, h.organisation, h.notes = placeholder[:200], "", ""
        _record_item(ctx, s, actor, "stakeholder", h, before, "erase", request_id)
    ids = {h.id for h in holders}
    mention = re.compile(re.escape(value.strip()), re.IGNORECASE)
    talks = 0
    for c in s.scalars(select(ConsultationRow).where(ConsultationRow.workspace_id == workspace_id)):
        summary, outcome = mention.sub("[erased]", c.summary), mention.sub("[erased]", c.outcome)
        if (summary, outcome) != (c.summary, c.outcome) or c.stakeholder_id in ids:
            before = KINDS["consultation"].state(s, c).to_dict()
            c.summary, c.outcome = summary, outcome
            _record_item(ctx, s, actor, "consultation", c, before, "erase", request_id)
            talks += 1
    return {k: n for k, n in (("stakeholders", len(holders)), ("consultations", talks)) if n}


def _matching_accounts(s: Session, value: str) -> list[UserRow]:
    key = normalise(value)
    return [
        u for u in s.scalars(select(UserRow))
        if normalise(u.email or "") == key or normalise(u.display_name) == key
    ]  # fmt: skip


def _check_accounts(s: Session, actor: Actor, accounts: Sequence[UserRow]) -> None:
    """Refuse an erasure that would anonymise the actor's own account or the last active
    administrator's (nobody could then administer civicflow), before anything changes."""
    for u in accounts:
        if u.id == actor.user_id:
            raise ConflictError(
                "the subject's identifier names your own account: you cannot erase yourself",
                where=Location(field="identifier"),
                found=f"account {u.pseudonym}",
                expected="an erasure carried out by another data-protection officer or admin",
                fix="ask a colleague with the data-protection role to carry out the erasure",
            )
    matched = {u.id for u in accounts}
    admins = [u for u in s.scalars(select(UserRow).where(UserRow.is_admin.is_(True)))
              if u.is_active]  # fmt: skip
    if admins and all(u.id in matched for u in admins):
        raise ConflictError(
            "the subject's identifier names the last active administrator's account",
            where=Location(field="identifier"),
            found=f"account {admins[0].pseudonym}",
            expected="another active administrator, so civicflow stays administrable",
            fix="make another account an administrator first (`civicflow users grant-admin`),"
            " then erase",
        )


def erase_subject(
    ctx: AppContext, *, actor: Actor, workspace_id: str, request_id: str, identifier: str
) -> ErasureResult:
    """Erase the subject from every dataset not on legal hold (Art. 17): a new version of each
    affected dataset without the subject's cases and the events naming the subject, written
    atomically with its ledger entry (``dataset.ingest``, its reason naming the request); then
    a verification scan. Ledger ``privacy.request.erase`` with what changed and the baselines
    frozen with the subject's data. Stakeholders, consultations and user accounts naming the
    subject are erased in the same transaction as that entry, each ledgered; refused before
    anything changes when an account named is the actor's own or the last administrator's."""
    from civicflow.mining import list_baselines

    actor.require(Permission.PRIVACY_REQUESTS, workspace_id)
    with ctx.read_session() as s:
        row, ring = _checked(ctx, s, workspace_id, request_id, identifier, "erased")
        _, per, _, datasets = _search(ctx, s, workspace_id, ring, identifier)
        _check_accounts(s, actor, _matching_accounts(s, identifier))
    holds = legal_holds(ctx, actor=actor, workspace_id=workspace_id)
    store = _store(ctx, workspace_id)
    baselines = list_baselines(store)
    by_name = {d.name: d for d in datasets}
    outcomes: list[DatasetErasure] = []
    for name, found in per.items():
        dataset = by_name[name]
        frozen = tuple(
            b.name for b in baselines
            if b.dataset == name and b.fingerprint == dataset.manifest.fingerprint
        )  # fmt: skip
        if name in holds:
            outcomes.append(
                DatasetErasure(
                    dataset=name, status="held", events_removed=0, cases_removed=0,
                    before_fingerprint=dataset.manifest.fingerprint, after_fingerprint=None,
                    baselines=frozen, note=f"legal hold (Art. 17(3)): {holds[name]}",
                )
            )  # fmt: skip
            continue
        after, events, cases = _rewrite(ctx, actor, workspace_id, dataset, found, row.id)
        outcomes.append(
            DatasetErasure(
                dataset=name, status="erased" if after else "deleted", events_removed=events,
                cases_removed=cases, before_fingerprint=dataset.manifest.fingerprint,
                after_fingerprint=after, baselines=frozen,
            )
        )  # fmt: skip
    with ctx.session() as s:
        row = _load(s, workspace_id, request_id)
        remaining, _, _, _ = _search(ctx, s, workspace_id, ring, identifier)
        absent = not any(h.source == "dataset" and h.name not in holds for h in remaining)
        vault_removed = 0
        if not any(h.source == "dataset" for h in remaining):
            # the sealed originals of the subject's pseudonyms go too, once no dataset holds them
            for entry in s.scalars(
                select(PrivacyVaultRow).where(
                    PrivacyVaultRow.workspace_id == workspace_id,
                    PrivacyVaultRow.pseudonym.in_(_forms(ring, identifier)),
                )
            ):
                s.delete(entry)
                vault_removed += 1
        erased_records = _erase_app_records(ctx, s, actor, workspace_id, identifier, row.id)
        accounts = _matching_accounts(s, identifier)
        _check_accounts(s, actor, accounts)
        attempts = [a for a in s.scalars(select(LoginAttemptRow))
                    if normalise(a.email) == normalise(identifier)]  # fmt: skip
        for attempt in attempts:  # throttling bookkeeping, not in the ledger
            s.delete(attempt)
        if attempts:
            erased_records["login_attempts"] = len(attempts)
        for account in accounts:
            erase_user_row(
                ctx, s, account, actor=actor,
                reason=f"erasure for a data subject, request {row.id} (GDPR Art. 17)",
            )  # fmt: skip
        if accounts:
            erased_records["users"] = len(accounts)
        if erased_records:
            remaining = [h for h in remaining if h.source != "application"] + [
                h for h in _search(ctx, s, workspace_id, ring, identifier)[0]
                if h.source == "application"
            ]  # fmt: skip
        result = ErasureResult(
            request_id=row.id, datasets=tuple(outcomes), verified_absent=absent,
            remaining=tuple(remaining), vault_entries_removed=vault_removed,
            application_records_erased=erased_records,
            accounts_anonymised=tuple(a.pseudonym for a in accounts),
        )  # fmt: skip
        before = _state(row)
        row.status = "in_progress"
        summary = result.to_dict()
        row.result = {**(row.result or {}), "erasure": summary}
        _step(ctx, s, actor, row, "erase", before, extra={"erasure": summary["datasets"],
              "verified_absent": absent})  # fmt: skip
        return result


# -- rectification (Art. 16) -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DatasetRectification(Record):
    _json = True

    dataset: str
    status: str
    """``rectified`` (a new version written), ``held`` (on legal hold: unchanged) or
    ``untouched`` (none of the corrected columns is in it)."""
    events_changed: int
    cases_changed: int
    columns: tuple[str, ...]
    before_fingerprint: str
    after_fingerprint: str | None
    baselines: tuple[str, ...]
    """Frozen baselines computed from the version that held the inaccurate data."""
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RectificationResult(Record):
    _json = True

    request_id: str
    columns: tuple[str, ...]
    """The corrected columns (their new values are never stored outside the datasets)."""
    datasets: tuple[DatasetRectification, ...]
    stakeholders_renamed: int = 0
    """Stakeholder records whose name was the identifier and is now the corrected ``name``."""


def _pseudonymised(dataset: Dataset) -> dict[str, set[str]]:
    """Columns an ingest transform stored as pseudonyms, per table (``events``, ``cases``)."""
    out: dict[str, set[str]] = {}
    for item in dataset.manifest.options.get("transforms", []) or []:
        report = item.get("report", {}) if isinstance(item, dict) else {}
        for table, columns in (report.get("pseudonymised") or {}).items():
            out.setdefault(str(table), set()).update(str(c) for c in columns)
    return out


def _set_where(table: pa.Table, column: str, mask: pa.ChunkedArray, value: str, *,
               dataset: str) -> pa.Table:  # fmt: skip
    """``table`` with ``column`` set to ``value`` on the rows of ``mask`` (the value cast to the
    column's type; a value the type cannot hold is refused naming the column)."""
    col = table.column(column)
    typ = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
    try:
        new = pa.scalar(value, type=pa.string()).cast(typ)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise InputError(
            f"the correction of '{column}' does not fit the column's type",
            where=Location(file=dataset, field=column),
            found=f"a value that is not {typ}",
            expected=f"a {typ} value",
            fix="write the corrected value in the column's format",
        ) from None
    plain = col.cast(typ) if pa.types.is_dictionary(col.type) else col
    replaced = pc.if_else(mask, new, plain)
    return table.set_column(table.column_names.index(column), column, replaced)


def rectify_subject(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    request_id: str,
    identifier: str,
    corrections: Mapping[str, str],
) -> RectificationResult:
    """Correct the subject's inaccurate data (Art. 16): in every dataset not on legal hold, the
    ``corrections`` (column → corrected value; ``case:`` for a case attribute) are written to the
    subject's cases and the events naming the subject, as a new version written atomically with
    its ledger entry; a column stored as pseudonyms receives the corrected value's pseudonym. A
    stakeholder whose name is the identifier takes the correction ``name`` when given. Ledger
    ``privacy.request.rectify`` names the columns, never the values."""
    from civicflow.app._programme import KINDS
    from civicflow.mining import list_baselines

    actor.require(Permission.PRIVACY_REQUESTS, workspace_id)
    fixes = {str(k).strip(): str(v).strip() for k, v in corrections.items() if str(k).strip()}
    if not fixes or any(not v for v in fixes.values()):
        raise InputError(
            "a rectification needs each corrected column with its new value",
            where=Location(field="corrections"),
            found=", ".join(f"{k}=" for k, v in fixes.items() if not v) or "no correction",
            expected="column=value pairs, e.g. citizen=Anna de Vries or case:postcode=1011 AB",
            fix="name each inaccurate column and the value it should hold",
        )
    with ctx.read_session() as s:
        row, ring = _checked(ctx, s, workspace_id, request_id, identifier, "rectified")
        _, per, _, datasets = _search(ctx, s, workspace_id, ring, identifier)
    by_name = {d.name: d for d in datasets}
    event_fixes = {k: v for k, v in fixes.items() if not k.startswith("case:") and k != "name"}
    case_fixes = {k.removeprefix("case:"): v for k, v in fixes.items() if k.startswith("case:")}
    known: set[str] = set()
    for name in per:
        ds = by_name[name]
        known |= set(pq.read_schema(ds.events_path).names)
        if Path(ds.cases_path).exists():
            known |= {f"case:{c}" for c in pq.read_schema(ds.cases_path).names}
    unknown = [k for k in fixes if k != "name" and k not in known]
    if unknown:
        raise InputError(
            f"no dataset holding the subject has the column {', '.join(unknown)}",
            where=Location(field=unknown[0]),
            found=", ".join(sorted(known)) or "the subject is in no dataset",
            expected="a column of a dataset that holds the subject (case attributes as case:NAME)",
            fix="name one of the columns found",
        )
    protected = {CASE_ID, "activity", "timestamp", "start_timestamp", "position"}
    if set(event_fixes) & protected or CASE_ID in case_fixes:
        raise InputError(
            "a rectification corrects attributes, not the log's structure",
            where=Location(
                field=sorted(set(event_fixes) & protected | set(case_fixes) & {CASE_ID})[0]
            ),
            found="case id, activity or a timestamp",
            expected="an attribute column",
            fix="correct the structure by re-ingesting the source",
        )
    holds = legal_holds(ctx, actor=actor, workspace_id=workspace_id)
    baselines = list_baselines(_store(ctx, workspace_id))
    outcomes: list[DatasetRectification] = []
    for name, found in per.items():
        dataset = by_name[name]
        before = dataset.manifest.fingerprint
        frozen = tuple(b.name for b in baselines if b.dataset == name and b.fingerprint == before)
        events = pq.read_table(dataset.events_path)
        cases = pq.read_table(dataset.cases_path) if Path(dataset.cases_path).exists() else None
        here_events = [c for c in event_fixes if c in events.column_names]
        here_cases = [c for c in case_fixes if cases is not None and c in cases.column_names]
        columns = tuple([*here_events, *(f"case:{c}" for c in here_cases)])
        if not columns:
            outcomes.append(DatasetRectification(
                dataset=name, status="untouched", events_changed=0, cases_changed=0, columns=(),
                before_fingerprint=before, after_fingerprint=None, baselines=frozen,
            ))  # fmt: skip
            continue
        if name in holds:
            outcomes.append(DatasetRectification(
                dataset=name, status="held", events_changed=0, cases_changed=0, columns=columns,
                before_fingerprint=before, after_fingerprint=None, baselines=frozen,
                note=f"legal hold (Art. 17(3)): {holds[name]}",
            ))  # fmt: skip
            continue
        hidden = _pseudonymised(dataset)

        def stored(
            table: str, column: str, value: str, hidden: dict[str, set[str]] = hidden
        ) -> str:
            if ring is not None and column in hidden.get(table, set()):
                return ring.pseudonym(value)
            return value

        case_type = events.column(CASE_ID).type
        ids = pa.array(list(found.cases), type=case_type)
        mask = pc.is_in(events.column(CASE_ID), value_set=ids)
        if found.event_rows is not None:
            mask = pc.or_(mask, found.event_rows)
        for column in here_events:
            events = _set_where(events, column, mask, stored("events", column, event_fixes[column]),
                                dataset=name)  # fmt: skip
        changed_cases = 0
        if cases is not None and here_cases:
            in_cases = pc.is_in(
                cases.column(CASE_ID), value_set=ids.cast(cases.column(CASE_ID).type)
            )
            changed_cases = pc.sum(in_cases).as_py() or 0
            for column in here_cases:
                cases = _set_where(cases, column, in_cases, stored("cases", column, case_fixes[column]),
                                   dataset=name)  # fmt: skip
        manifest = dataset.manifest
        options = {
            k: v for k, v in manifest.options.items()
            if k not in ("duplicates", "duplicates_dropped", "rectification")
        }  # fmt: skip
        options["rectification"] = {
            "request": row.id, "previous_fingerprint": before, "columns": list(columns),
        }  # fmt: skip
        new = _new_version(
            ctx, actor, workspace_id, dataset, events, cases, options,
            f"rectification for a data subject, request {row.id} (GDPR Art. 16)",
        )  # fmt: skip
        outcomes.append(DatasetRectification(
            dataset=name, status="rectified",
            events_changed=(pc.sum(mask).as_py() or 0) if here_events else 0,
            cases_changed=changed_cases, columns=columns, before_fingerprint=before,
            after_fingerprint=new.manifest.fingerprint, baselines=frozen,
        ))  # fmt: skip
    with ctx.session() as s:
        row = _load(s, workspace_id, request_id)
        renamed = 0
        if "name" in fixes:
            key = normalise(identifier)
            for holder in s.scalars(
                select(StakeholderRow).where(StakeholderRow.workspace_id == workspace_id)
            ):
                if normalise(holder.name) == key:
                    before_holder = KINDS["stakeholder"].state(s, holder).to_dict()
                    holder.name = fixes["name"][:200]
                    _record_item(ctx, s, actor, "stakeholder", holder, before_holder, "rectify",
                                 row.id)  # fmt: skip
                    renamed += 1
        result = RectificationResult(
            request_id=row.id, columns=tuple(sorted(fixes)), datasets=tuple(outcomes),
            stakeholders_renamed=renamed,
        )  # fmt: skip
        before_state = _state(row)
        row.status = "in_progress"
        summary = result.to_dict()
        row.result = {**(row.result or {}), "rectification": summary}
        _step(ctx, s, actor, row, "rectify", before_state,
              extra={"rectification": summary["datasets"], "columns": summary["columns"],
                     "stakeholders_renamed": renamed})  # fmt: skip
        return result


# -- retention ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RetentionPlan(Record):
    """What a retention rule drops from a dataset: the cases whose last event is older than the
    cut-off (closed more than ``older_than_days`` days ago)."""

    _json = True

    dataset: str
    older_than_days: int
    cutoff: date
    cases: int
    events: int
    cases_kept: int
    held: bool
    """On legal hold: nothing is dropped."""
    applied: bool = False
    after_fingerprint: str | None = None


def _retention(
    ctx: AppContext,
    actor: Actor,
    workspace_id: str,
    dataset_name: str,
    days: int,
    today: date | None,
) -> tuple[Dataset, RetentionPlan, set[Any]]:
    actor.require(Permission.PRIVACY_REQUESTS, workspace_id)
    if days < 1:
        raise InputError(
            "a retention period is at least one day",
            where=Location(field="older_than_days"),
            found=str(days),
            expected="a whole number of days, e.g. 730",
            fix="give the period the retention schedule sets",
        )
    store = _store(ctx, workspace_id)
    dataset = store.dataset(dataset_name)
    cutoff = (today or utcnow().date()) - timedelta(days=days)
    events = pq.read_table(dataset.events_path, columns=[CASE_ID, "timestamp"])
    last = events.group_by(CASE_ID).aggregate([("timestamp", "max")])
    stamps = last.column("timestamp_max")
    bound = pa.scalar(datetime(cutoff.year, cutoff.month, cutoff.day), type=pa.timestamp("us"))
    if stamps.type.tz is not None:
        bound = pa.scalar(
            datetime(cutoff.year, cutoff.month, cutoff.day), type=pa.timestamp("us", tz="UTC")
        )
    old = last.filter(pc.less(stamps, bound.cast(stamps.type)))
    cases = set(old.column(CASE_ID).to_pylist())
    n_events = pc.sum(pc.is_in(events.column(CASE_ID), value_set=old.column(CASE_ID))).as_py() or 0
    held = dataset_name in legal_holds(ctx, actor=actor, workspace_id=workspace_id)
    plan = RetentionPlan(
        dataset=dataset_name, older_than_days=days, cutoff=cutoff, cases=len(cases),
        events=n_events, cases_kept=last.num_rows - len(cases), held=held,
    )  # fmt: skip
    return dataset, plan, cases


def retention_plan(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    dataset_name: str,
    older_than_days: int,
    today: date | None = None,
) -> RetentionPlan:
    """The dry run: what dropping the cases closed more than ``older_than_days`` ago would remove
    (PRIVACY_REQUESTS). Changes nothing."""
    return _retention(ctx, actor, workspace_id, dataset_name, older_than_days, today)[1]


def retention_apply(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    dataset_name: str,
    older_than_days: int,
    today: date | None = None,
) -> RetentionPlan:
    """Drop the cases closed more than ``older_than_days`` ago: a new version of the dataset
    (journaled, ``dataset.ingest`` with the reason), unless it is on legal hold. Ledger
    ``privacy.retention`` with the plan."""
    dataset, plan, cases = _retention(
        ctx, actor, workspace_id, dataset_name, older_than_days, today
    )
    after = None
    if cases and not plan.held:
        after, _, _ = _rewrite(
            ctx, actor, workspace_id, dataset, _Found(cases=cases), "",
            reason=f"retention: cases closed more than {older_than_days} days ago "
            f"(before {plan.cutoff.isoformat()})",
        )  # fmt: skip
    result = RetentionPlan(
        **{**{f: getattr(plan, f) for f in plan.__dataclass_fields__}, "applied": bool(cases)
           and not plan.held, "after_fingerprint": after}
    )  # fmt: skip
    with ctx.session() as s:
        record(
            # about the retention run: the dataset's new version has its own entry (from
            # _rewrite), so verify compares the dataset with that one
            ctx, s, actor=actor, action="privacy.retention", object_type="retention",
            object_id=dataset_name, workspace_id=workspace_id, after=result.to_dict(),
            before_digest=dataset.manifest.fingerprint, after_digest=after,
        )  # fmt: skip
    return result
