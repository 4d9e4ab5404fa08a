"""Rules-as-code decisions with roles and the ledger.

Rule set versions (RULES_WRITE: policy officers): ``draft_ruleset``, ``update_draft`` (drafts
only), ``submit_ruleset``, ``return_ruleset``, ``approve_ruleset`` (by a different person than the
author), ``publish_ruleset`` (only when every test passes; then immutable), ``what_if_change``.
Read (WORKSPACE_READ): ``list_versions``, ``get_version``, ``published_version``,
``run_version_tests``, ``list_decisions``, ``get_decision``, ``review_queue``, ``list_reviews``,
``override_counts``, ``list_appeals``; ``decision_stream`` turns decisions into the table a
fairness audit reads (``app.fairness.RecordedDecisionsSource`` reads it in place).

A version holds a YAML rule set or a DMN model (``kind``; ``RuleSetVersion.model()`` gives
either behind ``civicflow.decisions.RuleModel``); both go through the same lifecycle.

Decisions (REVIEW_WRITE: caseworkers): ``decide_case`` (automation level per rule set version),
``decide_batch_cases`` (a table of cases, every decision stored, one ledger entry per batch;
``read_cases`` reads a CSV or Parquet table; ``list_batches``, ``get_batch``,
``batch_decisions``, ``batch_results``, ``verify_batch`` read them back),
``review_decision`` (confirm or override with a reason), ``appeal_decision`` (re-decided under
the rules in force on the original date).

Public (no actor, nothing stored): ``published_rulesets``, ``check_eligibility``.
"""

from civicflow.app._decisions import (
    AUTOMATION,
    BATCH_CHUNK,
    RESULT_COLUMNS,
    Appeal,
    Automation,
    DecisionBatch,
    Eligibility,
    Review,
    RuleSetVersion,
    StoredDecision,
    appeal_decision,
    approve_ruleset,
    batch_decisions,
    batch_results,
    check_eligibility,
    dataset_cases,
    decide_batch_cases,
    decide_case,
    decision_stream,
    draft_ruleset,
    get_batch,
    get_decision,
    get_version,
    list_appeals,
    list_batches,
    list_decisions,
    list_reviews,
    list_versions,
    override_counts,
    publish_ruleset,
    published_rulesets,
    published_version,
    read_cases,
    return_ruleset,
    review_decision,
    review_queue,
    run_version_tests,
    submit_ruleset,
    update_draft,
    verify_batch,
    what_if_change,
)

__all__ = [
    "AUTOMATION",
    "BATCH_CHUNK",
    "RESULT_COLUMNS",
    "Appeal",
    "Automation",
    "DecisionBatch",
    "Eligibility",
    "Review",
    "RuleSetVersion",
    "StoredDecision",
    "appeal_decision",
    "approve_ruleset",
    "batch_decisions",
    "batch_results",
    "check_eligibility",
    "dataset_cases",
    "decide_batch_cases",
    "decide_case",
    "decision_stream",
    "draft_ruleset",
    "get_batch",
    "get_decision",
    "get_version",
    "list_appeals",
    "list_batches",
    "list_decisions",
    "list_reviews",
    "list_versions",
    "override_counts",
    "publish_ruleset",
    "published_rulesets",
    "published_version",
    "read_cases",
    "return_ruleset",
    "review_decision",
    "review_queue",
    "run_version_tests",
    "submit_ruleset",
    "update_draft",
    "verify_batch",
    "what_if_change",
]
