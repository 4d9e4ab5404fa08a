"""The public assistant: enabling registers it in the governance register, questions are stored
redacted, the hand-off queue moves with the ledger, retention deletes idle transcripts, and the
gaps view groups what it could not answer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from civicflow.app import Actor, AppContext, Role, governance, latest_entry, workspaces
from civicflow.app import assistant as aa
from civicflow.core import InputError, NotFoundError, PermissionDeniedError, utcnow

FAQ = Path(__file__).parents[1] / "data" / "assistant" / "town_faq.csv"


@pytest.fixture
def live(ctx: AppContext, admin: Actor, ws: workspaces.Workspace) -> workspaces.Workspace:
    aa.import_knowledge(ctx, actor=admin, workspace_id=ws.id, path=FAQ, source="office")
    aa.configure_assistant(ctx, actor=admin, workspace_id=ws.id, enabled=True, retention_days=30)
    return ws


def test_nothing_is_public_until_enabled(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace
) -> None:
    aa.import_knowledge(ctx, actor=admin, workspace_id=ws.id, path=FAQ, source="office")
    with pytest.raises(NotFoundError, match="no public assistant"):
        aa.public_ask(ctx, workspace_id=ws.id, question="parking permit")


def test_first_enable_registers_the_system_once(
    ctx: AppContext, admin: Actor, live: workspaces.Workspace
) -> None:
    settings = aa.assistant_settings(ctx, actor=admin, workspace_id=live.id)
    assert settings.enabled and settings.system_id
    system = governance.get_system(ctx, actor=admin, workspace_id=live.id, ref=settings.system_id)
    assert system.name == "Citizen inquiry assistant" and system.oversight.value == "on-the-loop"
    aa.configure_assistant(ctx, actor=admin, workspace_id=live.id, enabled=False)
    again = aa.configure_assistant(ctx, actor=admin, workspace_id=live.id, enabled=True)
    assert again.system_id == settings.system_id
    assert len(governance.list_systems(ctx, actor=admin, workspace_id=live.id)) == 1
    assert latest_entry(
        ctx, actor=admin, workspace_id=live.id, action="assistant_settings.update",
        object_type="assistant_settings", object_id=live.id,
    ) is not None  # fmt: skip


def test_configure_needs_assistant_write_and_a_sane_retention(
    ctx: AppContext, admin: Actor, ws: workspaces.Workspace,
    make_member: Callable[[str, Role], Actor],
) -> None:  # fmt: skip
    caseworker = make_member(ws.id, Role.CASEWORKER)
    with pytest.raises(PermissionDeniedError):
        aa.configure_assistant(ctx, actor=caseworker, workspace_id=ws.id, enabled=True)
    with pytest.raises(InputError, match="between 1 day"):
        aa.configure_assistant(ctx, actor=admin, workspace_id=ws.id, enabled=True, retention_days=0)


def test_answers_quote_the_source_and_questions_are_stored_redacted(
    ctx: AppContext, live: workspaces.Workspace
) -> None:
    reply = aa.public_ask(ctx, workspace_id=live.id, question="How do I renew my passport?")
    assert reply.answer.answered and reply.answer.source is not None
    assert reply.answer.source.id == "office#2"
    pii = aa.public_ask(
        ctx, workspace_id=live.id, conversation_id=reply.conversation_id,
        question="I am Jan, mail me at jan.jansen@example.org or call 020 7946 0958 about parking",
    )  # fmt: skip
    conv = aa.conversation(ctx, workspace_id=live.id, conversation_id=reply.conversation_id)
    assert [t.id for t in conv.turns] == [reply.turn_id, pii.turn_id]
    stored = conv.turns[1].question
    assert "jan.jansen@example.org" not in stored and "7946" not in stored
    assert "[EMAIL_ADDRESS]" in stored and "[PHONE_NUMBER]" in stored
    assert conv.turns[0].source["version"] == reply.answer.source.version


def test_handoff_queue_claim_reply_close_is_ledgered(
    ctx: AppContext, admin: Actor, live: workspaces.Workspace,
    make_member: Callable[[str, Role], Actor],
) -> None:  # fmt: skip
    caseworker = make_member(live.id, Role.CASEWORKER)
    viewer = make_member(live.id, Role.VIEWER)
    reply = aa.public_ask(
        ctx, workspace_id=live.id, question="What is the status of my application?"
    )
    assert not reply.answer.answered and reply.answer.reason == "personal_case"
    item = aa.request_handoff(ctx, workspace_id=live.id, conversation_id=reply.conversation_id)
    assert item.status == "open" and item.reason == "personal_case"
    # asking twice gives the same open item
    same = aa.request_handoff(ctx, workspace_id=live.id, conversation_id=reply.conversation_id)
    assert same.id == item.id
    with pytest.raises(PermissionDeniedError):
        aa.list_handoffs(ctx, actor=viewer, workspace_id=live.id)
    queue = aa.list_handoffs(ctx, actor=caseworker, workspace_id=live.id, status="open")
    assert [h.id for h in queue] == [item.id]
    full = aa.get_handoff(ctx, actor=caseworker, workspace_id=live.id, handoff_id=item.id)
    assert full.turns[0].question == "What is the status of my application?"
    aa.act_on_handoff(ctx, actor=caseworker, workspace_id=live.id, handoff_id=item.id,
                      action="claim")  # fmt: skip
    with pytest.raises(InputError, match="needs text"):
        aa.act_on_handoff(ctx, actor=caseworker, workspace_id=live.id, handoff_id=item.id,
                          action="reply")  # fmt: skip
    aa.act_on_handoff(ctx, actor=caseworker, workspace_id=live.id, handoff_id=item.id,
                      action="reply", reply="Your application is being checked; call 14 020.")  # fmt: skip
    closed = aa.act_on_handoff(ctx, actor=caseworker, workspace_id=live.id, handoff_id=item.id,
                               action="close")  # fmt: skip
    assert closed.status == "closed" and closed.assignee == caseworker.pseudonym
    with pytest.raises(InputError, match="closed"):
        aa.act_on_handoff(ctx, actor=caseworker, workspace_id=live.id, handoff_id=item.id,
                          action="claim")  # fmt: skip
    citizen_view = aa.conversation(ctx, workspace_id=live.id, conversation_id=reply.conversation_id)
    assert citizen_view.handoffs[0].reply.startswith("Your application is being checked")
    for action in ("open", "claim", "reply", "close"):
        assert latest_entry(
            ctx, actor=caseworker if action != "open" else aa.CITIZEN,
            workspace_id=live.id, action=f"assistant_handoff.{action}",
            object_type="assistant_handoff", object_id=item.id,
        ) is not None, action  # fmt: skip


def test_ratings_and_gaps(ctx: AppContext, admin: Actor, live: workspaces.Workspace) -> None:
    good = aa.public_ask(
        ctx, workspace_id=live.id, question="when is the green waste bin collected"
    )
    aa.rate_answer(ctx, workspace_id=live.id, conversation_id=good.conversation_id,
                   turn_id=good.turn_id, rating="not_helpful",
                   comment="Wrong street, write to me at a@b.example")  # fmt: skip
    with pytest.raises(InputError):
        aa.rate_answer(ctx, workspace_id=live.id, conversation_id=good.conversation_id,
                       turn_id=good.turn_id, rating="meh")  # fmt: skip
    for q in ("Can I keep chickens in my garden?", "are chickens allowed in the garden",
              "what is the meaning of life"):  # fmt: skip
        assert not aa.public_ask(ctx, workspace_id=live.id, question=q).answer.answered
    g = aa.gaps(ctx, actor=admin, workspace_id=live.id)
    assert g.questions == 4 and g.answered == 1
    assert g.unanswered[0].size == 2 and "chicken" in g.unanswered[0].label
    assert g.poorly_rated[0].questions == ("when is the green waste bin collected",)
    assert len(g.never_used) == g.entries - 1
    assert [(v.source, v.answers, v.not_helpful) for v in g.versions] == [("office", 1, 1)]
    kb = aa.knowledge(ctx, actor=admin, workspace_id=live.id)
    assert [(k.kb_version, k.questions, k.answered, k.handoffs) for k in g.kb_versions] == [
        (kb.fingerprint, 4, 1, 0)
    ]
    turn = aa.conversation(ctx, workspace_id=live.id, conversation_id=good.conversation_id).turns[0]
    assert "a@b.example" not in turn.comment and turn.rating == "not_helpful"


def test_retention_deletes_idle_conversations_but_keeps_pending_handoffs(
    ctx: AppContext, admin: Actor, live: workspaces.Workspace
) -> None:
    idle = aa.public_ask(ctx, workspace_id=live.id, question="parking permit")
    pending = aa.public_ask(ctx, workspace_id=live.id, question="I want to complain")
    aa.request_handoff(ctx, workspace_id=live.id, conversation_id=pending.conversation_id)
    later = utcnow() + timedelta(days=31)
    assert aa.purge_transcripts(ctx, actor=admin, workspace_id=live.id, now=later) == 1
    with pytest.raises(NotFoundError):
        aa.conversation(ctx, workspace_id=live.id, conversation_id=idle.conversation_id)
    assert aa.conversation(ctx, workspace_id=live.id, conversation_id=pending.conversation_id)
    assert aa.purge_transcripts(ctx, actor=admin, workspace_id=live.id) == 0


def test_a_caseworkers_reply_becomes_a_knowledge_base_entry(
    ctx: AppContext, admin: Actor, live: workspaces.Workspace,
    make_member: Callable[[str, Role], Actor],
) -> None:  # fmt: skip
    caseworker = make_member(live.id, Role.CASEWORKER)
    reply = aa.public_ask(ctx, workspace_id=live.id, question="Can I keep chickens in my garden?")
    item = aa.request_handoff(ctx, workspace_id=live.id, conversation_id=reply.conversation_id)
    with pytest.raises(InputError, match="no reply yet"):
        aa.add_reply_to_knowledge(ctx, actor=admin, workspace_id=live.id, handoff_id=item.id,
                                  question="Can I keep chickens?", answer="Yes.")  # fmt: skip
    aa.act_on_handoff(ctx, actor=caseworker, workspace_id=live.id, handoff_id=item.id,
                      action="reply", reply="Up to six chickens, no rooster.")  # fmt: skip
    waiting = aa.replies_for_knowledge(ctx, actor=admin, workspace_id=live.id)
    assert [h.id for h in waiting] == [item.id]
    with pytest.raises(PermissionDeniedError):
        aa.add_reply_to_knowledge(ctx, actor=caseworker, workspace_id=live.id, handoff_id=item.id,
                                  question="q", answer="a")  # fmt: skip
    result = aa.add_reply_to_knowledge(
        ctx, actor=admin, workspace_id=live.id, handoff_id=item.id,
        question="Can I keep chickens in my garden?",
        answer="You may keep up to six chickens in a garden, but no rooster.",
    )  # fmt: skip
    assert result.source.source == "caseworker-replies" and result.source.chunks == 1
    assert aa.replies_for_knowledge(ctx, actor=admin, workspace_id=live.id) == []
    again = aa.public_ask(ctx, workspace_id=live.id, question="keeping chickens in the garden")
    assert again.answer.source is not None and again.answer.source.source == "caseworker-replies"
    # the import made a new knowledge-base version: questions and hand-offs are counted per version
    g = aa.gaps(ctx, actor=admin, workspace_id=live.id)
    assert [(k.questions, k.answered, k.handoffs) for k in g.kb_versions] == [(1, 0, 1), (1, 1, 0)]
    assert (
        g.kb_versions[1].kb_version
        == aa.knowledge(ctx, actor=admin, workspace_id=live.id).fingerprint
    )
