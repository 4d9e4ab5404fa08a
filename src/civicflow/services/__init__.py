"""Services to citizens: the inquiry assistant. A knowledge base of FAQ tables and pages
(versioned, stored in the workspace folder), lexical retrieval with bm25s, extractive answers
with their source, a calibrated confidence with abstention and hand-off, and its evaluation.
No web or database imports: ``civicflow.app.assistant`` wires it to roles and the ledger."""

from civicflow.services._answer import (
    HANDOFF,
    Answer,
    Assistant,
    Calibration,
    Candidate,
    fit_calibration,
    rule_for,
)
from civicflow.services._evaluation import EvalCase, EvalReport, calibrate, evaluate, read_cases
from civicflow.services._gaps import (
    QuestionCluster,
    cluster_questions,
    content_words,
    never_used,
    stale_sources,
)
from civicflow.services._generate import (
    FakeGenerator,
    Generator,
    GeneratorUnavailable,
    HttpGenerator,
    supported,
)
from civicflow.services._knowledge import (
    Chunk,
    FaqColumns,
    ImportResult,
    KnowledgeBase,
    SourceVersion,
    import_source,
    kb_path,
    load_knowledge,
    save_knowledge,
    split_html,
    split_markdown,
    split_pdf,
)
from civicflow.services._retrieval import RetrievalConfig, Retriever, words

__all__ = [
    "HANDOFF",
    "Answer",
    "Assistant",
    "Calibration",
    "Candidate",
    "Chunk",
    "EvalCase",
    "EvalReport",
    "FakeGenerator",
    "FaqColumns",
    "Generator",
    "GeneratorUnavailable",
    "HttpGenerator",
    "ImportResult",
    "KnowledgeBase",
    "QuestionCluster",
    "RetrievalConfig",
    "Retriever",
    "SourceVersion",
    "calibrate",
    "cluster_questions",
    "content_words",
    "evaluate",
    "fit_calibration",
    "import_source",
    "kb_path",
    "load_knowledge",
    "never_used",
    "read_cases",
    "rule_for",
    "save_knowledge",
    "split_html",
    "split_markdown",
    "split_pdf",
    "stale_sources",
    "supported",
    "words",
]
