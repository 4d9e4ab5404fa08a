"""Citizen inquiry assistant use cases: import a source into a workspace's knowledge base
(ASSISTANT_WRITE: admins and service owners; ledger ``assistant.import`` on the object
``knowledge_source``), ask a question and evaluate the assistant (WORKSPACE_READ). The knowledge
base lives in the workspace folder (``<workspace>/assistant/``), so no table is needed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from civicflow.app._context import AppContext
from civicflow.app._record import record
from civicflow.app._roles import Actor, Permission
from civicflow.app._workspaces import require_workspace_row
from civicflow.core import ConfigurationError, Location
from civicflow.services import (
    Answer,
    Assistant,
    Calibration,
    EvalReport,
    FaqColumns,
    Generator,
    HttpGenerator,
    ImportResult,
    KnowledgeBase,
    calibrate,
    evaluate,
    import_source,
    load_knowledge,
    read_cases,
)

OBJECT = "knowledge_source"


def _folder(ctx: AppContext, workspace_id: str) -> Path:
    with ctx.read_session() as s:
        return Path(require_workspace_row(s, workspace_id).path)


def import_knowledge(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    path: Path,
    source: str | None = None,
    columns: FaqColumns | None = None,
    effective_date: date | None = None,
    reason: str | None = None,
) -> ImportResult:
    """Import (or re-import) a FAQ table, Markdown or HTML page: a new version of the source when
    its content changed. ASSISTANT_WRITE; one ledger entry ``assistant.import`` in the
    transaction that writes the knowledge base (a failed write leaves no entry)."""
    actor.require(Permission.ASSISTANT_WRITE, workspace_id)
    folder = _folder(ctx, workspace_id)
    with ctx.session() as s:
        result = import_source(
            folder, Path(path), source=source, columns=columns, effective_date=effective_date
        )
        record(
            ctx, s, actor=actor, action="assistant.import", object_type=OBJECT,
            object_id=result.source.source, workspace_id=workspace_id,
            after=result.to_dict(), reason=reason,
        )  # fmt: skip
    return result


def knowledge(ctx: AppContext, *, actor: Actor, workspace_id: str) -> KnowledgeBase:
    """The workspace's knowledge base. WORKSPACE_READ."""
    actor.require(Permission.WORKSPACE_READ, workspace_id)
    return load_knowledge(_folder(ctx, workspace_id))


def configured_generator(ctx: AppContext) -> Generator | None:
    """The generator the settings configure (an OpenAI-compatible endpoint the agency runs
    itself, ``assistant_generator_url``), or None: answers are then the quoted passages. The API
    key is read from ``assistant_generator_key_file``; it is never stored or logged."""
    url = (ctx.settings.assistant_generator_url or "").strip()
    if not url:
        return None
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(
            "the assistant's generator endpoint is not an HTTP URL",
            where=Location(field="assistant_generator_url"),
            found=url,
            expected="http(s)://host:port/v1 of an endpoint the agency runs",
            fix="set CIVICFLOW_ASSISTANT_GENERATOR_URL to the endpoint, or unset it",
        )
    key = None
    key_file = ctx.settings.assistant_generator_key_file
    if key_file is not None:
        try:
            key = Path(key_file).read_text(encoding="utf-8").strip() or None
        except OSError:
            raise ConfigurationError(
                "the generator's API key file cannot be read",
                where=Location(file=str(key_file), field="assistant_generator_key_file"),
                expected="a readable file holding the key",
                fix="check the path and its permissions",
            ) from None
    return HttpGenerator(base_url=url, model=ctx.settings.assistant_generator_model, api_key=key)


def ask(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    question: str,
    calibration: Calibration | None = None,
) -> Answer:
    """Answer a question from the workspace's knowledge base, or abstain. WORKSPACE_READ."""
    kb = knowledge(ctx, actor=actor, workspace_id=workspace_id)
    generator = configured_generator(ctx)
    return Assistant(kb.chunks, calibration=calibration, generator=generator).ask(question)


def evaluate_assistant(
    ctx: AppContext,
    *,
    actor: Actor,
    workspace_id: str,
    cases_path: Path,
    source: str,
    precision: float = 0.9,
) -> tuple[EvalReport, Calibration]:
    """Evaluate on a cases file: calibrate on the even-numbered cases (threshold for
    ``precision``), report on the odd-numbered ones. WORKSPACE_READ."""
    kb = knowledge(ctx, actor=actor, workspace_id=workspace_id)
    cases = read_cases(Path(cases_path), source=source)
    fitted, _ = calibrate(Assistant(kb.chunks), cases[::2], precision=precision)
    return evaluate(Assistant(kb.chunks, calibration=fitted), cases[1::2]), fitted
