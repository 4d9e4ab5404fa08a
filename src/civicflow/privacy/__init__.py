"""Privacy: find personal data in columns and free text, and protect it.

A domain package (no web or database imports): ``app`` runs it at ingest and records its
decisions in the ledger.
"""

from civicflow.privacy._checksums import (
    bsn_valid,
    credit_card_valid,
    iban_valid,
    luhn_valid,
    nhs_valid,
    nino_valid,
    sin_valid,
    ssn_valid,
)
from civicflow.privacy._classify import (
    Classification,
    ClassifyConfig,
    ColumnClassification,
    classify_table,
    classify_values,
    mask,
    sample_rows,
)
from civicflow.privacy._evaluate import (
    EntityScore,
    LabelledText,
    read_labelled,
    run_detector,
    score_spans,
)
from civicflow.privacy._presidio import presidio_analyzer, presidio_spans
from civicflow.privacy._recognizers import (
    DIRECT_IDENTIFIERS,
    QUASI_IDENTIFIERS,
    RECOGNIZERS,
    Category,
    ValueRecognizer,
)
from civicflow.privacy._text import PATTERNS, TextDetector, TextPattern, TextSpan

__all__ = [
    "DIRECT_IDENTIFIERS",
    "PATTERNS",
    "QUASI_IDENTIFIERS",
    "RECOGNIZERS",
    "Category",
    "Classification",
    "ClassifyConfig",
    "ColumnClassification",
    "EntityScore",
    "LabelledText",
    "TextDetector",
    "TextPattern",
    "TextSpan",
    "ValueRecognizer",
    "bsn_valid",
    "classify_table",
    "classify_values",
    "credit_card_valid",
    "iban_valid",
    "luhn_valid",
    "mask",
    "nhs_valid",
    "nino_valid",
    "presidio_analyzer",
    "presidio_spans",
    "read_labelled",
    "run_detector",
    "sample_rows",
    "score_spans",
    "sin_valid",
    "ssn_valid",
]
