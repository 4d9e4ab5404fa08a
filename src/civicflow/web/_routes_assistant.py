"""The citizen assistant on the web: the public chat page (a plain form that works without
JavaScript, enhanced with HTMX) and JSON API, both rate-limited per client; the workbench's
assistant page (settings and the content owner's gaps) and the caseworker hand-off queue.

Every change goes through ``civicflow.app.assistant``; these routes read forms and render."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.datastructures import FormData

from civicflow.app import Permission, workspaces
from civicflow.app import assistant as aa
from civicflow.core import NotFoundError
from civicflow.web._api_errors import ERROR_RESPONSES, RATE_LIMITED
from civicflow.web._deps import PostedForm, check_csrf
from civicflow.web._pages import flash, is_htmx, page
from civicflow.web._permissions import (
    AppCtx,
    AssistantWriter,
    ReviewWriter,
    WorkspaceReader,
    public,
)
from civicflow.web._security import client_address, proxy_networks

router = APIRouter(include_in_schema=False)
api = APIRouter(
    prefix="/api/v1/assistant", tags=["assistant"], responses={**ERROR_RESPONSES, **RATE_LIMITED}
)

SESSION_KEY = "assistant:"


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _client(request: Request) -> str:
    # X-Forwarded-For and Forwarded count only from the configured proxies
    peer = request.client.host if request.client else None
    trusted = proxy_networks(request.app.state.web.trusted_proxies)
    return client_address(peer, request.scope["headers"], trusted)


def _limited(request: Request) -> Response | None:
    """The 429 answer when this client is over the public assistant's limit, else ``None``."""
    if request.app.state.assistant_limit.allow(_client(request)):
        return None
    from civicflow.web._app import render_error

    web = request.app.state.web
    response = render_error(
        request, 429, "Too many questions in a short time",
        {"error": "RateLimited",
         "what": f"more than {web.assistant_requests} requests in {web.assistant_window_seconds} s",
         "fix": "wait a minute and ask again"},
    )  # fmt: skip
    response.headers["Retry-After"] = str(web.assistant_window_seconds)
    return response


# ---------------------------------------------------------------------------------------------
# the public chat page


def _conversation_id(request: Request, workspace_id: str) -> str | None:
    value = request.session.get(SESSION_KEY + workspace_id)
    return value if isinstance(value, str) else None


def _chat(request: Request, ctx: Any, workspace_id: str, *, status: int = 200,
          error: dict[str, Any] | None = None, question: str = "") -> Response:  # fmt: skip
    conv = None
    cid = _conversation_id(request, workspace_id)
    if cid is not None:
        try:
            conv = aa.conversation(ctx, workspace_id=workspace_id, conversation_id=cid)
        except NotFoundError:
            # expired (retention) or deleted: the page starts afresh
            request.session.pop(SESSION_KEY + workspace_id, None)
    return page(
        request, "assistant_chat.html", None, status=status, workspace_id=workspace_id,
        conversation=conv, error=error, question=question, nav="ask",
    )  # fmt: skip


@router.get("/ask/{workspace_id}", dependencies=[public()])
def chat_page(request: Request, ctx: AppCtx, workspace_id: str) -> Response:
    """The public chat page: the conversation so far and a labelled question form."""
    aa.require_public(ctx, workspace_id=workspace_id)
    return _chat(request, ctx, workspace_id)


def _after_post(request: Request, ctx: Any, workspace_id: str, anchor: str) -> Response:
    if is_htmx(request):
        return _chat_log(request, ctx, workspace_id)
    return RedirectResponse(f"/ask/{workspace_id}#{anchor}", status_code=303)


def _chat_log(
    request: Request, ctx: Any, workspace_id: str, error: dict[str, Any] | None = None
) -> Response:
    """The chat body alone (conversation and an empty form), for HTMX to swap in."""
    cid = _conversation_id(request, workspace_id)
    conv = aa.conversation(ctx, workspace_id=workspace_id, conversation_id=cid) if cid else None
    return page(
        request, "_assistant_chat_body.html", None, workspace_id=workspace_id,
        conversation=conv, error=error, question="",
    )  # fmt: skip


@router.post("/ask/{workspace_id}", dependencies=[public()])
async def chat_ask(request: Request, ctx: AppCtx, workspace_id: str, form: PostedForm) -> Response:
    await check_csrf(request)
    limited = _limited(request)
    if limited is not None:
        return limited
    question = _text(form, "question")
    if not question.strip():
        error = {"what": "Type a question", "field": "question",
                 "fix": "write your question in the box, then press Ask"}  # fmt: skip
        if is_htmx(request):
            return await run_in_threadpool(_chat_log, request, ctx, workspace_id, error)
        return await run_in_threadpool(
            _chat, request, ctx, workspace_id, status=422, question=question, error=error
        )
    reply = await run_in_threadpool(
        aa.public_ask, ctx, workspace_id=workspace_id, question=question,
        conversation_id=_conversation_id(request, workspace_id),
    )  # fmt: skip
    request.session[SESSION_KEY + workspace_id] = reply.conversation_id
    return await run_in_threadpool(_after_post, request, ctx, workspace_id, f"turn-{reply.turn_id}")


@router.post("/ask/{workspace_id}/handoff", dependencies=[public()])
async def chat_handoff(
    request: Request, ctx: AppCtx, workspace_id: str, form: PostedForm
) -> Response:
    await check_csrf(request)
    limited = _limited(request)
    if limited is not None:
        return limited
    cid = _conversation_id(request, workspace_id)
    if cid is None:
        return RedirectResponse(f"/ask/{workspace_id}", status_code=303)
    item = await run_in_threadpool(
        aa.request_handoff, ctx, workspace_id=workspace_id, conversation_id=cid,
        turn_id=_text(form, "turn_id") or None,
    )  # fmt: skip
    return await run_in_threadpool(_after_post, request, ctx, workspace_id, f"handoff-{item.id}")


@router.post("/ask/{workspace_id}/rate", dependencies=[public()])
async def chat_rate(request: Request, ctx: AppCtx, workspace_id: str, form: PostedForm) -> Response:
    await check_csrf(request)
    limited = _limited(request)
    if limited is not None:
        return limited
    cid = _conversation_id(request, workspace_id)
    if cid is None:
        return RedirectResponse(f"/ask/{workspace_id}", status_code=303)
    turn = await run_in_threadpool(
        aa.rate_answer, ctx, workspace_id=workspace_id, conversation_id=cid,
        turn_id=_text(form, "turn_id"), rating=_text(form, "rating"),
        comment=_text(form, "comment"),
    )  # fmt: skip
    return await run_in_threadpool(_after_post, request, ctx, workspace_id, f"turn-{turn.id}")


# ---------------------------------------------------------------------------------------------
# the public JSON API


class AskBody(BaseModel):
    question: str = Field(min_length=1, max_length=aa.MAX_QUESTION)
    conversation_id: str | None = Field(default=None, max_length=64)


class HandoffBody(BaseModel):
    conversation_id: str = Field(max_length=64)
    turn_id: str | None = Field(default=None, max_length=64)


class RateBody(BaseModel):
    conversation_id: str = Field(max_length=64)
    turn_id: str = Field(max_length=64)
    rating: str = Field(max_length=16)
    comment: str = Field(default="", max_length=aa.MAX_COMMENT)


@api.post("/{workspace_id}/ask", dependencies=[public()])
async def api_ask(request: Request, ctx: AppCtx, workspace_id: str, body: AskBody) -> Response:
    """Ask the workspace's public assistant: the answer quoted with its source and version, or an
    abstention with ``handoff_offered``. Pass ``conversation_id`` back to continue."""
    limited = _limited(request)
    if limited is not None:
        return limited
    reply = await run_in_threadpool(
        aa.public_ask, ctx, workspace_id=workspace_id, question=body.question,
        conversation_id=body.conversation_id,
    )  # fmt: skip
    return JSONResponse(reply.to_dict())


@api.post("/{workspace_id}/handoff", dependencies=[public()])
async def api_handoff(
    request: Request, ctx: AppCtx, workspace_id: str, body: HandoffBody
) -> Response:
    """Accept the hand-off: the conversation goes to a caseworker; their reply appears in the
    conversation."""
    limited = _limited(request)
    if limited is not None:
        return limited
    item = await run_in_threadpool(
        aa.request_handoff, ctx, workspace_id=workspace_id,
        conversation_id=body.conversation_id, turn_id=body.turn_id,
    )  # fmt: skip
    return JSONResponse(item.to_dict())


@api.post("/{workspace_id}/rate", dependencies=[public()])
async def api_rate(request: Request, ctx: AppCtx, workspace_id: str, body: RateBody) -> Response:
    """Rate an answer ``helpful`` or ``not_helpful`` with an optional comment."""
    limited = _limited(request)
    if limited is not None:
        return limited
    turn = await run_in_threadpool(
        aa.rate_answer, ctx, workspace_id=workspace_id, conversation_id=body.conversation_id,
        turn_id=body.turn_id, rating=body.rating, comment=body.comment,
    )  # fmt: skip
    return JSONResponse(turn.to_dict())


@api.get("/{workspace_id}/conversations/{conversation_id}", dependencies=[public()])
async def api_conversation(
    request: Request, ctx: AppCtx, workspace_id: str, conversation_id: str
) -> Response:
    """A conversation as stored (questions redacted) with its hand-offs and their replies."""
    limited = _limited(request)
    if limited is not None:
        return limited
    conv = await run_in_threadpool(
        aa.conversation, ctx, workspace_id=workspace_id, conversation_id=conversation_id
    )
    return JSONResponse(conv.to_dict())


# ---------------------------------------------------------------------------------------------
# the workbench: settings, gaps, and the caseworker queue


@router.get("/w/{workspace_id}/assistant")
def assistant_page(
    request: Request, ctx: AppCtx, actor: WorkspaceReader, workspace_id: str
) -> Response:
    """The assistant's settings and public address; the gaps for content owners; the queue's
    size for caseworkers."""
    ws = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    settings = aa.assistant_settings(ctx, actor=actor, workspace_id=workspace_id)
    can_write = actor.can(Permission.ASSISTANT_WRITE, workspace_id)
    can_review = actor.can(Permission.REVIEW_WRITE, workspace_id)
    gaps = aa.gaps(ctx, actor=actor, workspace_id=workspace_id) if can_write else None
    replies = (
        aa.replies_for_knowledge(ctx, actor=actor, workspace_id=workspace_id) if can_write else []
    )
    queue = (
        aa.list_handoffs(ctx, actor=actor, workspace_id=workspace_id, status="open")
        if can_review
        else None
    )
    return page(
        request, "assistant.html", actor, workspace=ws, nav="assistant", settings=settings,
        gaps=gaps, queue=queue, can_write=can_write, can_review=can_review, replies=replies,
    )  # fmt: skip


@router.post("/w/{workspace_id}/assistant/settings")
def assistant_settings(
    request: Request, ctx: AppCtx, actor: AssistantWriter, workspace_id: str, form: PostedForm
) -> Response:
    days = _text(form, "retention_days").strip()
    settings = aa.configure_assistant(
        ctx, actor=actor, workspace_id=workspace_id, enabled=_text(form, "enabled") == "on",
        retention_days=int(days) if days.isdigit() else None,
    )  # fmt: skip
    flash(request, "The assistant is public." if settings.enabled else "The assistant is off.")
    return RedirectResponse(f"/w/{workspace_id}/assistant", status_code=303)


@router.post("/w/{workspace_id}/assistant/knowledge/{handoff_id}")
def reply_to_knowledge(
    request: Request,
    ctx: AppCtx,
    actor: AssistantWriter,
    workspace_id: str,
    handoff_id: str,
    form: PostedForm,
) -> Response:
    """A content owner adds a caseworker's reply (as they word it) to the knowledge base."""
    result = aa.add_reply_to_knowledge(
        ctx, actor=actor, workspace_id=workspace_id, handoff_id=handoff_id,
        question=_text(form, "question"), answer=_text(form, "answer"),
    )  # fmt: skip
    flash(request, f"Added to the knowledge base: {result.source.source} version "
                   f"{result.source.number}.")  # fmt: skip
    return RedirectResponse(f"/w/{workspace_id}/assistant", status_code=303)


@router.get("/w/{workspace_id}/assistant/handoffs")
def handoff_queue(
    request: Request, ctx: AppCtx, actor: ReviewWriter, workspace_id: str, status: str = "open"
) -> Response:
    """The hand-off queue: conversations the assistant passed to a person."""
    ws = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    chosen = status if status in aa.HANDOFF_STATUSES else None
    items = aa.list_handoffs(ctx, actor=actor, workspace_id=workspace_id, status=chosen)
    return page(
        request, "assistant_handoffs.html", actor, workspace=ws, nav="assistant", items=items,
        chosen=chosen or "all", statuses=aa.HANDOFF_STATUSES,
    )  # fmt: skip


@router.get("/w/{workspace_id}/assistant/handoffs/{handoff_id}")
def handoff_page(
    request: Request, ctx: AppCtx, actor: ReviewWriter, workspace_id: str, handoff_id: str
) -> Response:
    """One hand-off: the conversation, the candidates the assistant considered, a reply form."""
    ws = workspaces.get_workspace(ctx, actor=actor, workspace_id=workspace_id)
    item = aa.get_handoff(ctx, actor=actor, workspace_id=workspace_id, handoff_id=handoff_id)
    return page(request, "assistant_handoff.html", actor, workspace=ws, nav="assistant", item=item)


@router.post("/w/{workspace_id}/assistant/handoffs/{handoff_id}")
def handoff_act(
    request: Request,
    ctx: AppCtx,
    actor: ReviewWriter,
    workspace_id: str,
    handoff_id: str,
    form: PostedForm,
) -> Response:
    item = aa.act_on_handoff(
        ctx, actor=actor, workspace_id=workspace_id, handoff_id=handoff_id,
        action=_text(form, "action"), reply=_text(form, "reply"),
    )  # fmt: skip
    flash(request, f"The hand-off is {item.status}.")
    return RedirectResponse(f"/w/{workspace_id}/assistant/handoffs/{handoff_id}", status_code=303)
