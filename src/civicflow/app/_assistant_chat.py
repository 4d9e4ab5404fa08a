"""The citizen assistant in public: settings (enabling it registers it in the governance register),
conversations with personal data redacted before they are stored, ratings, the caseworker hand-off
queue, transcript retention and the content owner's gaps view.

Citizens have no account: the public use cases take no actor and work only where the assistant is
enabled; a conversation's unguessable id is the citizen's key to it. A hand-off a citizen opens is
ledgered under the actor ``citizen``; caseworkers (REVIEW_WRITE) pick it up, answer and close it,
each step ledgered. Redaction uses ``civicflow.privacy``'s free-text detector here in app (the
services domain never imports privacy)."""

from __future__ import annotations

import csv
import io
import secrets
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from civicflow.app._assistant import configured_generator, import_knowledge
from civicflow.app._context import AppContext
from civicflow.app._governance import ensure_registered
from civicflow.app._models import (
    AssistantConversationRow,
    AssistantHandoffRow,
    AssistantSettingsRow,
    AssistantTurnRow,
)
from civicflow.app._record import record
from civicflow.app._roles import Actor, Permission
from civicflow.app._workspaces import require_workspace_row
from civicflow.core import (
    ConflictError,
    InputError,
    Location,
    NotFoundError,
    check_choice,
    new_id,
    utcnow,
)
from civicflow.privacy import TextDetector
from civicflow.services import (
    Answer,
    Assistant,
    Calibration,
    Chunk,
    FaqColumns,
    Generator,
    ImportResult,
    KnowledgeBase,
    QuestionCluster,
    SourceVersion,
    cluster_questions,
    kb_path,
    load_knowledge,
    never_used,
    stale_sources,
)

CITIZEN = Actor(user_id="citizen", pseudonym="citizen", display_name="A member of the public")
"""Who the ledger names for what a citizen does (they have no account)."""
SETTINGS = "assistant_settings"
HANDOFF = "assistant_handoff"
SYSTEM_NAME = "Citizen inquiry assistant"
MAX_QUESTION = 2000
MAX_COMMENT = 2000
HandoffStatus = Literal["open", "claimed", "answered", "closed"]
HANDOFF_STATUSES: tuple[HandoffStatus, ...] = ("open", "claimed", "answered", "closed")
RATINGS = ("helpful", "not_helpful")


# ---------------------------------------------------------------------------------------------
# redaction


@lru_cache(maxsize=1)
def _detector() -> TextDetector:
    return TextDetector()


def redact(text: str) -> str:
    """``text`` with every piece of personal data the free-text detector finds replaced by its
    entity in brackets (``[EMAIL]``, ``[PHONE]``, ``[PERSON]`` …)."""
    out: list[str] = []
    pos = 0
    for span in sorted(_detector().analyze(text), key=lambda s: (s.start, -s.end)):
        if span.start < pos:
            continue
        out.append(text[pos : span.start])
        out.append(f"[{span.entity}]")
        pos = span.end
    out.append(text[pos:])
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# settings and the governance register


@dataclass(frozen=True, slots=True, kw_only=True)
class AssistantSettings:
    workspace_id: str
    enabled: bool
    retention_days: int
    system_id: str

    def to_dict(self) -> dict[str, Any]:
        return {"workspace_id": self.workspace_id, "enabled": self.enabled,
                "retention_days": self.retention_days, "system_id": self.system_id}  # fmt: skip


DEFAULT_RETENTION_DAYS = 90


def _settings_out(row: AssistantSettingsRow | None, workspace_id: str) -> AssistantSettings:
    if row is None:
        return AssistantSettings(workspace_id=workspace_id, enabled=False,
                                 retention_days=DEFAULT_RETENTION_DAYS, system_id="")  # fmt: skip
    return AssistantSettings(workspace_id=workspace_id, enabled=row.enabled,
                             retention_days=row.retention_days, system_id=row.system_id)  # fmt: skip


def assistant_settings(ctx: AppContext, *, actor: Actor, workspace_id: str) -> AssistantSettings:
    """The assistant's settings in a workspace. WORKSPACE_READ."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    with ctx.read_session() as s:
        require_workspace_row(s, workspace_id)
        return _settings_out(s.get(AssistantSettingsRow, workspace_id), workspace_id)


def _register(s: Session, ctx: AppContext, *, actor: Actor, workspace_id: str, owner: str,
              legal_basis: str) -> str:  # fmt: skip
    """The governance register entry of the assistant: the one of that name if someone registered
    it by hand, else a new one (proposed), ledgered ``governance_system.create``."""
    return ensure_registered(
        ctx, s, actor=actor, workspace_id=workspace_id, name=SYSTEM_NAME,
        reason="registered when the citizen assistant was first enabled",
        purpose="Answers routine questions from the public with quoted passages of the agency's "
        "own published information, naming the source and its version; hands the conversation "
        "to a caseworker when it is unsure or the message is personal, urgent or a complaint.",
        legal_basis=legal_basis, owner=owner, senior_responsible_owner=owner,
        affected_people="Members of the public who ask questions on the public chat page or API",
        datasets=("assistant knowledge base (FAQ tables and pages)",
                  "conversation transcripts, personal data redacted before storage"),
        model_type="BM25 lexical retrieval, extractive answers, calibrated abstention",
        oversight="on-the-loop",
    )  # fmt: skip


def configure_assistant(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    enabled: bool,
    retention_days: int | None = None,
    owner: str | None = None,
    legal_basis: str = "Public task: informing the public about the agency's services",
    reason: str | None = None,
) -> AssistantSettings:
    """Turn the public assistant on or off and set how long transcripts are kept (ASSISTANT_WRITE;
    ledger ``assistant_settings.update``). The first time it is enabled it is registered in the
    governance register as an automated system (ledger ``governance_system.create``)."""
    actor.require(Permission.ASSISTANT_WRITE, workspace_id)
    if retention_days is not None and not 1 <= retention_days <= 3650:
        raise InputError(
            "transcripts must be kept between 1 day and 10 years",
            where=Location(field="retention_days"),
            found=str(retention_days),
            expected="a number of days from 1 to 3650",
            fix="give --retention-days a shorter or longer period",
        )
    with ctx.session() as s:
        require_workspace_row(s, workspace_id)
        row = s.get(AssistantSettingsRow, workspace_id)
        before = None if row is None else _settings_out(row, workspace_id).to_dict()
        if row is None:
            row = AssistantSettingsRow(
                workspace_id=workspace_id, enabled=False, retention_days=DEFAULT_RETENTION_DAYS,
                system_id="", updated_by=actor.pseudonym, updated_at=utcnow(),
            )  # fmt: skip
            s.add(row)
        if enabled and not row.system_id:
            row.system_id = _register(
                s, ctx, actor=actor, workspace_id=workspace_id,
                owner=owner or actor.display_name or actor.pseudonym, legal_basis=legal_basis,
            )  # fmt: skip
        row.enabled = enabled
        if retention_days is not None:
            row.retention_days = retention_days
        row.updated_by = actor.pseudonym
        row.updated_at = utcnow()
        out = _settings_out(row, workspace_id)
        record(
            ctx, s, actor=actor, action=f"{SETTINGS}.update", object_type=SETTINGS,
            object_id=workspace_id, workspace_id=workspace_id, before=before,
            after=out.to_dict(), reason=reason,
        )  # fmt: skip
    return out


# ---------------------------------------------------------------------------------------------
# the assistant of a workspace, cached while its knowledge base file is unchanged


_cache: dict[str, tuple[tuple[int, int], KnowledgeBase, Assistant]] = {}
_cache_lock = threading.Lock()


def _assistant_for(
    folder: Path, generator: Generator | None = None
) -> tuple[KnowledgeBase, Assistant]:
    path = kb_path(folder)
    try:
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size)
    except FileNotFoundError:
        stamp = (0, 0)
    # the generator's endpoint is part of the assistant (never its key: it is not in the repr)
    key = f"{folder}|{generator!r}"
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1], hit[2]
        kb = load_knowledge(folder)
        assistant = Assistant(kb.chunks, calibration=Calibration(), generator=generator)
        _cache[key] = (stamp, kb, assistant)
        return kb, assistant


def _public_workspace(s: Session, workspace_id: str) -> tuple[Path, AssistantSettingsRow]:
    row = s.get(AssistantSettingsRow, workspace_id)
    if row is None or not row.enabled:
        raise NotFoundError(
            "there is no public assistant here",
            where=Location(field="workspace_id"),
            found=workspace_id,
            expected="a workspace whose assistant is enabled",
            fix="check the address; the agency enables it with `civicflow assistant enable`",
        )
    return Path(require_workspace_row(s, workspace_id).path), row


def require_public(ctx: AppContext, *, workspace_id: str) -> None:
    """Raise :class:`NotFoundError` unless the workspace's assistant is enabled (public)."""
    with ctx.read_session() as s:
        _public_workspace(s, workspace_id)


# ---------------------------------------------------------------------------------------------
# conversations (public)


@dataclass(frozen=True, slots=True, kw_only=True)
class Turn:
    """A question as stored (redacted) and the assistant's reply."""

    id: str
    at: datetime
    question: str
    answered: bool
    reason: str
    reply: str
    confidence: float
    source: dict[str, Any]
    candidates: tuple[dict[str, Any], ...]
    rating: str
    comment: str

    @property
    def handoff_offered(self) -> bool:
        return not self.answered and self.reason != "empty"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(), "question": self.question,
                "answered": self.answered, "reason": self.reason, "text": self.reply,
                "confidence": round(self.confidence, 4), "source": self.source or None,
                "handoff_offered": self.handoff_offered, "rating": self.rating or None,
                "candidates": list(self.candidates)}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Handoff:
    id: str
    workspace_id: str
    conversation_id: str
    turn_id: str
    reason: str
    status: str
    assignee: str
    reply: str
    created_at: datetime
    updated_at: datetime
    turns: tuple[Turn, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "conversation_id": self.conversation_id, "turn_id": self.turn_id,
                "reason": self.reason, "status": self.status, "assignee": self.assignee,
                "reply": self.reply or None, "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat()}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Conversation:
    id: str
    workspace_id: str
    turns: tuple[Turn, ...] = ()
    handoffs: tuple[Handoff, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "turns": [t.to_dict() for t in self.turns],
                "handoffs": [h.to_dict() for h in self.handoffs]}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatReply:
    """What the citizen gets back: the answer (as given), the stored turn and the conversation."""

    conversation_id: str
    turn_id: str
    answer: Answer
    stored_question: str

    def to_dict(self) -> dict[str, Any]:
        doc = self.answer.to_dict()
        doc["question"] = self.stored_question
        return {"conversation_id": self.conversation_id, "turn_id": self.turn_id, **doc}


def _turn_out(r: AssistantTurnRow) -> Turn:
    return Turn(id=r.id, at=r.at, question=r.question, answered=r.answered, reason=r.reason,
                reply=r.reply, confidence=r.confidence, source=dict(r.source or {}),
                candidates=tuple(r.candidates or ()), rating=r.rating,
                comment=r.comment)  # fmt: skip


def _handoff_out(r: AssistantHandoffRow, turns: tuple[Turn, ...] = ()) -> Handoff:
    return Handoff(id=r.id, workspace_id=r.workspace_id, conversation_id=r.conversation_id,
                   turn_id=r.turn_id, reason=r.reason, status=r.status, assignee=r.assignee,
                   reply=r.reply, created_at=r.created_at, updated_at=r.updated_at,
                   turns=turns)  # fmt: skip


def _conversation_row(
    s: Session, workspace_id: str, conversation_id: str
) -> AssistantConversationRow:
    row = s.get(AssistantConversationRow, conversation_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFoundError(
            "this conversation does not exist (any more)",
            where=Location(field="conversation_id"),
            found=conversation_id[:12] + "…",
            expected="a conversation of this assistant within its retention period",
            fix="start a new conversation by asking a question",
        )
    return row


def _turns(s: Session, conversation_id: str) -> tuple[Turn, ...]:
    rows = s.scalars(
        select(AssistantTurnRow)
        .where(AssistantTurnRow.conversation_id == conversation_id)
        .order_by(AssistantTurnRow.at, AssistantTurnRow.id)
    ).all()
    return tuple(_turn_out(r) for r in rows)


def _check_text(text: str, *, limit: int, what: str, name: str) -> None:
    if len(text) > limit:
        raise InputError(
            f"the {what} is too long",
            where=Location(field=name),
            found=f"{len(text)} characters",
            expected=f"at most {limit} characters",
            fix=f"shorten the {what}",
        )


def public_ask(
    ctx: AppContext, *, workspace_id: str, question: str, conversation_id: str | None = None
) -> ChatReply:
    """A citizen's question answered (or abstained on) by the workspace's public assistant. The
    question is answered as asked but stored with personal data redacted, with the source and
    version of the answer. An unknown or expired ``conversation_id`` starts a new conversation."""
    _check_text(question, limit=MAX_QUESTION, what="question", name="question")
    with ctx.read_session() as s:
        folder, _ = _public_workspace(s, workspace_id)
    kb, assistant = _assistant_for(folder, configured_generator(ctx))
    answer = assistant.ask(question)
    stored = redact(answer.question)
    now = utcnow()
    src = answer.source
    with ctx.session() as s:
        conv = s.get(AssistantConversationRow, conversation_id) if conversation_id else None
        if conv is None or conv.workspace_id != workspace_id:
            conv = AssistantConversationRow(id=new_id("cnv_") + secrets.token_hex(8), workspace_id=workspace_id,
                                            started_at=now, last_at=now)  # fmt: skip
            s.add(conv)
        conv.last_at = now
        turn = AssistantTurnRow(
            id=new_id("trn_"), conversation_id=conv.id, workspace_id=workspace_id, at=now,
            question=stored, answered=answer.answered, reason=answer.reason, reply=answer.text,
            confidence=answer.confidence,
            source={} if src is None else {"id": src.id, "source": src.source, "title": src.title,
                                           "url": src.url, "version": src.version,
                                           "effective_date": src.effective_date},
            kb_version=kb.fingerprint,
            chunk_id="" if src is None else src.id, version="" if src is None else src.version,
            candidates=[c.to_dict() for c in answer.candidates], rating="", comment="",
        )  # fmt: skip
        s.add(turn)
        conv_id = conv.id
    return ChatReply(
        conversation_id=conv_id, turn_id=turn.id, answer=answer, stored_question=stored
    )


def conversation(ctx: AppContext, *, workspace_id: str, conversation_id: str) -> Conversation:
    """A citizen's conversation: their (redacted) questions, the replies, hand-offs and a
    caseworker's answer once given."""
    with ctx.read_session() as s:
        _public_workspace(s, workspace_id)
        _conversation_row(s, workspace_id, conversation_id)
        handoffs = s.scalars(
            select(AssistantHandoffRow)
            .where(AssistantHandoffRow.conversation_id == conversation_id)
            .order_by(AssistantHandoffRow.created_at)
        ).all()
        return Conversation(id=conversation_id, workspace_id=workspace_id,
                            turns=_turns(s, conversation_id),
                            handoffs=tuple(_handoff_out(h) for h in handoffs))  # fmt: skip


def _turn_row(s: Session, conversation_id: str, turn_id: str | None) -> AssistantTurnRow:
    q = select(AssistantTurnRow).where(AssistantTurnRow.conversation_id == conversation_id)
    q = (
        q.where(AssistantTurnRow.id == turn_id)
        if turn_id
        else q.order_by(AssistantTurnRow.at.desc())
    )
    row = s.scalars(q).first()
    if row is None:
        raise NotFoundError(
            "there is no such question in this conversation",
            where=Location(field="turn_id"),
            found=turn_id or "(the last question)",
            expected="a question asked in this conversation",
            fix="ask the question first",
        )
    return row


def request_handoff(
    ctx: AppContext, *, workspace_id: str, conversation_id: str, turn_id: str | None = None
) -> Handoff:
    """The citizen accepts the hand-off: the conversation goes to the caseworker queue (ledger
    ``assistant_handoff.open`` by ``citizen``). Asking twice gives the open item back."""
    now = utcnow()
    with ctx.session() as s:
        _public_workspace(s, workspace_id)
        _conversation_row(s, workspace_id, conversation_id)
        existing = s.scalars(
            select(AssistantHandoffRow).where(
                AssistantHandoffRow.conversation_id == conversation_id,
                AssistantHandoffRow.status.in_(("open", "claimed")),
            )
        ).first()
        if existing is not None:
            return _handoff_out(existing)
        turn = _turn_row(s, conversation_id, turn_id)
        row = AssistantHandoffRow(
            id=new_id("hnd_"), workspace_id=workspace_id, conversation_id=conversation_id,
            turn_id=turn.id, reason=turn.reason if not turn.answered else "requested",
            status="open", assignee="", reply="", created_at=now, updated_at=now,
        )  # fmt: skip
        s.add(row)
        out = _handoff_out(row)
        record(
            ctx, s, actor=CITIZEN, action=f"{HANDOFF}.open", object_type=HANDOFF,
            object_id=row.id, workspace_id=workspace_id,
            after={**out.to_dict(), "version": turn.version},
        )  # fmt: skip
    return out


def rate_answer(
    ctx: AppContext,
    *,
    workspace_id: str,
    conversation_id: str,
    turn_id: str,
    rating: str,
    comment: str = "",
) -> Turn:
    """The citizen rates an answer helpful or not helpful, with an optional comment (stored
    redacted). A second rating replaces the first."""
    check_choice(rating, RATINGS, what="rating", field="rating", error=InputError)
    _check_text(comment, limit=MAX_COMMENT, what="comment", name="comment")
    with ctx.session() as s:
        _public_workspace(s, workspace_id)
        _conversation_row(s, workspace_id, conversation_id)
        row = _turn_row(s, conversation_id, turn_id)
        row.rating = rating
        row.comment = redact(comment.strip())
        return _turn_out(row)


# ---------------------------------------------------------------------------------------------
# the caseworker queue (REVIEW_WRITE)


def _handoff_row(s: Session, workspace_id: str, handoff_id: str) -> AssistantHandoffRow:
    row = s.get(AssistantHandoffRow, handoff_id)
    if row is None or row.workspace_id != workspace_id:
        raise NotFoundError(
            "there is no such hand-off in this workspace",
            where=Location(field="handoff_id"),
            found=handoff_id,
            expected="a hand-off listed in the queue",
            fix="open the queue and pick one from the list",
        )
    return row


def list_handoffs(
    ctx: AppContext, *, actor: Actor, workspace_id: str, status: str | None = None
) -> list[Handoff]:
    """The hand-off queue, oldest first; ``status`` narrows it. REVIEW_WRITE."""
    actor.require(Permission.REVIEW_WRITE, workspace_id)
    if status is not None:
        check_choice(status, HANDOFF_STATUSES, what="hand-off status", field="status",
                     error=InputError)  # fmt: skip
    with ctx.read_session() as s:
        q = select(AssistantHandoffRow).where(AssistantHandoffRow.workspace_id == workspace_id)
        if status is not None:
            q = q.where(AssistantHandoffRow.status == status)
        rows = s.scalars(q.order_by(AssistantHandoffRow.created_at)).all()
        return [_handoff_out(r) for r in rows]


def get_handoff(ctx: AppContext, *, actor: Actor, workspace_id: str, handoff_id: str) -> Handoff:
    """A hand-off with its whole (redacted) conversation and the candidates the assistant
    considered (on each turn). REVIEW_WRITE."""
    actor.require(Permission.REVIEW_WRITE, workspace_id)
    with ctx.read_session() as s:
        row = _handoff_row(s, workspace_id, handoff_id)
        return _handoff_out(row, _turns(s, row.conversation_id))


_MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    "claim": (("open",), "claimed"),
    "reply": (("open", "claimed", "answered"), "answered"),
    "close": (("open", "claimed", "answered"), "closed"),
}


def act_on_handoff(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    handoff_id: str,
    action: str,
    reply: str = "",
    reason: str | None = None,
) -> Handoff:
    """Move a hand-off: ``claim`` (pick it up), ``reply`` (the text reaches the citizen in their
    conversation), ``close``. REVIEW_WRITE; ledger ``assistant_handoff.<action>``. A reply is
    the caseworker's own text, stored as written (staff give the agency's contact details)."""
    actor.require(Permission.REVIEW_WRITE, workspace_id)
    check_choice(action, tuple(_MOVES), what="hand-off action", field="action", error=InputError)
    allowed, target = _MOVES[action]
    text = reply.strip()
    if action == "reply":
        if not text:
            raise InputError(
                "a reply needs text",
                where=Location(field="reply"),
                found="(empty)",
                expected="the answer the citizen will read",
                fix="write the reply, then send it",
            )
        _check_text(text, limit=MAX_COMMENT * 2, what="reply", name="reply")
    with ctx.session() as s:
        row = _handoff_row(s, workspace_id, handoff_id)
        if row.status not in allowed:
            raise InputError(
                f"a hand-off that is {row.status} cannot be moved by '{action}'",
                where=Location(field="action"),
                found=row.status,
                expected=" or ".join(allowed),
                fix="reload the queue: someone may have acted on it already",
            )
        before = _handoff_out(row).to_dict()
        row.status = target
        if action in ("claim", "reply") or not row.assignee:
            row.assignee = actor.pseudonym
        if action == "reply":
            row.reply = text
        row.updated_at = utcnow()
        out = _handoff_out(row)
        record(
            ctx, s, actor=actor, action=f"{HANDOFF}.{action}", object_type=HANDOFF,
            object_id=row.id, workspace_id=workspace_id, before=before, after=out.to_dict(),
            reason=reason,
        )  # fmt: skip
    return out


# ---------------------------------------------------------------------------------------------
# a caseworker's reply into the knowledge base (content owners)

REPLIES_SOURCE = "caseworker-replies"
_REPLY_FIELDS = ("question", "answer", "link", "handoff")


def _replies_file(folder: Path) -> Path:
    return folder / "assistant" / "sources" / f"{REPLIES_SOURCE}.csv"


def _added_handoffs(folder: Path) -> set[str]:
    path = _replies_file(folder)
    if not path.exists():
        return set()
    with path.open(encoding="utf-8", newline="") as fh:
        return {row.get("handoff") or "" for row in csv.DictReader(fh)} - {""}


def replies_for_knowledge(ctx: AppContext, *, actor: Actor, workspace_id: str) -> list[Handoff]:
    """Hand-offs a caseworker answered whose reply is not in the knowledge base yet, with their
    conversations, newest first. ASSISTANT_WRITE."""
    actor.require(Permission.ASSISTANT_WRITE, workspace_id)
    with ctx.read_session() as s:
        folder = Path(require_workspace_row(s, workspace_id).path)
        rows = s.scalars(
            select(AssistantHandoffRow)
            .where(
                AssistantHandoffRow.workspace_id == workspace_id, AssistantHandoffRow.reply != ""
            )
            .order_by(AssistantHandoffRow.updated_at.desc())
        ).all()
        done = _added_handoffs(folder)
        return [_handoff_out(r, _turns(s, r.conversation_id)) for r in rows if r.id not in done]


def add_reply_to_knowledge(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    handoff_id: str,
    question: str,
    answer: str,
) -> ImportResult:
    """Add a caseworker's reply, as a content owner words it (a general ``question`` and its
    ``answer``), to the knowledge base: one more row of the source ``caseworker-replies`` (a CSV in
    the workspace's assistant folder), imported as a new version (ASSISTANT_WRITE; ledger
    ``assistant.import``). A failed import leaves the file as it was."""
    actor.require(Permission.ASSISTANT_WRITE, workspace_id)
    q, a = question.strip(), answer.strip()
    for name, value in (("question", q), ("answer", a)):
        if not value:
            raise InputError(
                f"the knowledge-base entry needs its {name}",
                where=Location(field=name),
                found="(empty)",
                expected=f"the {name} as citizens should read it",
                fix=f"write the {name}, without personal details",
            )
    with ctx.read_session() as s:
        folder = Path(require_workspace_row(s, workspace_id).path)
        row = _handoff_row(s, workspace_id, handoff_id)
        if not row.reply:
            raise InputError(
                "this hand-off has no reply yet",
                where=Location(field="handoff_id"),
                found=row.status,
                expected="a hand-off a caseworker has replied to",
                fix="wait for the caseworker's reply",
            )
    if handoff_id in _added_handoffs(folder):
        raise ConflictError(
            "this reply is in the knowledge base already",
            where=Location(field="handoff_id"),
            found=handoff_id,
            expected="a reply not added yet",
            fix="edit the caseworker-replies source instead",
        )
    path = _replies_file(folder)
    before = path.read_bytes() if path.exists() else None
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_REPLY_FIELDS, lineterminator="\n")
    if before is None:
        writer.writeheader()
    writer.writerow({"question": q, "answer": a, "link": f"caseworker reply {handoff_id}",
                     "handoff": handoff_id})  # fmt: skip
    try:
        with path.open("a", encoding="utf-8", newline="") as fh:
            fh.write(buffer.getvalue())
        return import_knowledge(
            ctx, actor=actor, workspace_id=workspace_id, path=path, source=REPLIES_SOURCE,
            columns=FaqColumns(url="link"),
            reason=f"caseworker reply to hand-off {handoff_id} added by a content owner",
        )  # fmt: skip
    except BaseException:
        if before is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(before)
        raise


# ---------------------------------------------------------------------------------------------
# retention


def purge_transcripts(
    ctx: AppContext, *, actor: Actor, workspace_id: str, now: datetime | None = None
) -> int:
    """Delete conversations idle longer than the retention period (with their turns, ratings and
    closed hand-offs); a conversation with a hand-off still open or claimed is kept until it is
    closed. ASSISTANT_WRITE; ledger ``assistant_settings.purge`` with the count."""
    actor.require(Permission.ASSISTANT_WRITE, workspace_id)
    with ctx.session() as s:
        require_workspace_row(s, workspace_id)
        settings = _settings_out(s.get(AssistantSettingsRow, workspace_id), workspace_id)
        cutoff = (now or utcnow()) - timedelta(days=settings.retention_days)
        pending = select(AssistantHandoffRow.conversation_id).where(
            AssistantHandoffRow.workspace_id == workspace_id,
            AssistantHandoffRow.status.in_(("open", "claimed", "answered")),
        )
        ids = s.scalars(
            select(AssistantConversationRow.id).where(
                AssistantConversationRow.workspace_id == workspace_id,
                AssistantConversationRow.last_at < cutoff,
                AssistantConversationRow.id.not_in(pending),
            )
        ).all()
        if ids:
            # children first: SQLite only cascades with foreign keys switched on
            s.execute(
                delete(AssistantHandoffRow).where(AssistantHandoffRow.conversation_id.in_(ids))
            )
            s.execute(delete(AssistantTurnRow).where(AssistantTurnRow.conversation_id.in_(ids)))
            s.execute(delete(AssistantConversationRow).where(AssistantConversationRow.id.in_(ids)))
        record(
            ctx, s, actor=actor, action=f"{SETTINGS}.purge", object_type=SETTINGS,
            object_id=workspace_id, workspace_id=workspace_id,
            after={"deleted": len(ids), "idle_before": cutoff.isoformat(),
                   "retention_days": settings.retention_days},
        )  # fmt: skip
    return len(ids)


# ---------------------------------------------------------------------------------------------
# the content owner's gaps view


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionCount:
    source: str
    version: str
    answers: int
    helpful: int
    not_helpful: int


@dataclass(frozen=True, slots=True, kw_only=True)
class KnowledgeVersionCount:
    """Questions, answers and hand-offs per knowledge-base version (``KnowledgeBase.fingerprint``)."""

    kb_version: str
    first_asked: datetime
    questions: int
    answered: int
    handoffs: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Gaps:
    """What the knowledge base lacks: unanswered questions clustered, poorly rated answers
    clustered, stale sources, never-used entries, and answers per source version."""

    questions: int
    answered: int
    handoffs: int
    unanswered: list[QuestionCluster] = field(default_factory=list)
    poorly_rated: list[QuestionCluster] = field(default_factory=list)
    stale: list[tuple[SourceVersion, int]] = field(default_factory=list)
    never_used: list[Chunk] = field(default_factory=list)
    entries: int = 0
    versions: list[VersionCount] = field(default_factory=list)
    kb_versions: list[KnowledgeVersionCount] = field(default_factory=list)


def gaps(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    stale_days: int = 365,
    today: date | None = None,
) -> Gaps:
    """The content owner's view of the knowledge base's gaps (ASSISTANT_WRITE): questions are
    the redacted ones of the transcripts still kept."""
    actor.require(Permission.ASSISTANT_WRITE, workspace_id)
    with ctx.read_session() as s:
        folder = Path(require_workspace_row(s, workspace_id).path)
        t = AssistantTurnRow
        unanswered = s.scalars(
            select(t.question).where(t.workspace_id == workspace_id, t.answered.is_(False),
                                     t.reason.in_(("low_confidence", "out_of_scope")))
            .order_by(t.at.desc())
        ).all()  # fmt: skip
        poor = s.scalars(
            select(t.question).where(t.workspace_id == workspace_id, t.rating == "not_helpful")
            .order_by(t.at.desc())
        ).all()  # fmt: skip
        used = s.scalars(
            select(t.chunk_id).where(t.workspace_id == workspace_id, t.chunk_id != "").distinct()
        ).all()
        total = s.scalar(select(func.count()).where(t.workspace_id == workspace_id)) or 0
        answered = (
            s.scalar(select(func.count()).where(t.workspace_id == workspace_id, t.answered)) or 0
        )
        handoffs = (
            s.scalar(select(func.count()).where(AssistantHandoffRow.workspace_id == workspace_id))
            or 0
        )
        rated = s.execute(
            select(t.chunk_id, t.version, t.rating).where(
                t.workspace_id == workspace_id, t.answered
            )
        ).all()
        per_kb = s.execute(
            select(t.kb_version, func.min(t.at), func.count(),
                   func.sum(case((t.answered, 1), else_=0)))
            .where(t.workspace_id == workspace_id).group_by(t.kb_version)
        ).all()  # fmt: skip
        handed = dict(
            s.execute(
                select(t.kb_version, func.count())
                .join(AssistantHandoffRow, AssistantHandoffRow.turn_id == t.id)
                .where(t.workspace_id == workspace_id).group_by(t.kb_version)
            ).tuples().all()
        )  # fmt: skip
    counts: dict[tuple[str, str], list[int]] = {}
    for chunk_id, version, rating in rated:
        c = counts.setdefault((chunk_id.rpartition("#")[0], version), [0, 0, 0])
        c[0] += 1
        c[1] += rating == "helpful"
        c[2] += rating == "not_helpful"
    kb = load_knowledge(folder)
    return Gaps(
        questions=total,
        answered=answered,
        handoffs=handoffs,
        unanswered=cluster_questions(list(unanswered)),
        poorly_rated=cluster_questions(list(poor)),
        stale=stale_sources(kb.sources(), today=today or utcnow().date(), max_age_days=stale_days),
        never_used=never_used(kb.chunks, used),
        entries=len(kb.chunks),
        versions=[
            VersionCount(source=src, version=v, answers=n, helpful=h, not_helpful=nh)
            for (src, v), (n, h, nh) in sorted(counts.items())
        ],
        kb_versions=sorted(
            (
                KnowledgeVersionCount(
                    kb_version=v,
                    first_asked=first,
                    questions=n,
                    answered=int(a or 0),
                    handoffs=handed.get(v, 0),
                )
                for v, first, n, a in per_kb
            ),
            key=lambda c: c.first_asked,
        ),
    )
