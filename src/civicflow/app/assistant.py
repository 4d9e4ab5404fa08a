"""The citizen inquiry assistant with roles and the ledger.

- Knowledge base (ASSISTANT_WRITE, ledger ``assistant.import``): ``import_knowledge``; read
  (WORKSPACE_READ): ``knowledge``, ``ask``, ``evaluate_assistant``.
- Settings (ASSISTANT_WRITE, ledger ``assistant_settings.update``; the first enable registers the
  assistant in the governance register): ``configure_assistant``, ``assistant_settings``.
- Public, no account, only where enabled: ``public_ask``, ``conversation``, ``request_handoff``,
  ``rate_answer``, ``require_public`` (questions and comments stored with personal data redacted: ``redact``).
- Caseworker queue (REVIEW_WRITE, ledger ``assistant_handoff.<action>``): ``list_handoffs``,
  ``get_handoff``, ``act_on_handoff``.
- Content owners (ASSISTANT_WRITE): ``gaps``, ``purge_transcripts`` (retention),
  ``replies_for_knowledge`` and ``add_reply_to_knowledge`` (a caseworker's reply as an entry).
"""

from civicflow.app._assistant import (
    ask,
    configured_generator,
    evaluate_assistant,
    import_knowledge,
    knowledge,
)
from civicflow.app._assistant_chat import (
    CITIZEN,
    HANDOFF_STATUSES,
    MAX_COMMENT,
    MAX_QUESTION,
    RATINGS,
    AssistantSettings,
    ChatReply,
    Conversation,
    Gaps,
    Handoff,
    KnowledgeVersionCount,
    Turn,
    VersionCount,
    act_on_handoff,
    add_reply_to_knowledge,
    assistant_settings,
    configure_assistant,
    conversation,
    gaps,
    get_handoff,
    list_handoffs,
    public_ask,
    purge_transcripts,
    rate_answer,
    redact,
    replies_for_knowledge,
    request_handoff,
    require_public,
)

__all__ = [
    "CITIZEN",
    "HANDOFF_STATUSES",
    "MAX_COMMENT",
    "MAX_QUESTION",
    "RATINGS",
    "AssistantSettings",
    "ChatReply",
    "Conversation",
    "Gaps",
    "Handoff",
    "KnowledgeVersionCount",
    "Turn",
    "VersionCount",
    "act_on_handoff",
    "add_reply_to_knowledge",
    "ask",
    "assistant_settings",
    "configure_assistant",
    "configured_generator",
    "conversation",
    "evaluate_assistant",
    "gaps",
    "get_handoff",
    "import_knowledge",
    "knowledge",
    "list_handoffs",
    "public_ask",
    "purge_transcripts",
    "rate_answer",
    "redact",
    "replies_for_knowledge",
    "request_handoff",
    "require_public",
]
