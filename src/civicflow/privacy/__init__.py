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
from civicflow.privacy._dp import (
    DpConfig,
    DpEdge,
    DpRelease,
    DpVariant,
    DpVariantRelease,
    dp_directly_follows,
    dp_variants,
)
from civicflow.privacy._evaluate import (
    EntityScore,
    LabelledText,
    read_labelled,
    run_detector,
    score_spans,
)
from civicflow.privacy._files import read_table
from civicflow.privacy._generalise import (
    SAFE_HARBOR_SPARSE_ZIP3,
    age_band,
    generalise_date,
    postcode_prefix,
    safe_harbor_age,
    safe_harbor_date,
    safe_harbor_table,
    safe_harbor_zip,
)
from civicflow.privacy._keys import KeyRing, normalise
from civicflow.privacy._presidio import presidio_analyzer, presidio_spans
from civicflow.privacy._recognizers import (
    DIRECT_IDENTIFIERS,
    QUASI_IDENTIFIERS,
    RECOGNIZERS,
    Category,
    ValueRecognizer,
)
from civicflow.privacy._redact import placeholder, redact_column, redact_text
from civicflow.privacy._retention import (
    ColumnChange,
    Enforcement,
    RetentionEffect,
    RetentionRule,
    due_cases,
    enforce,
    generalise_value,
)
from civicflow.privacy._risk import KAnonymity, PrefixUniqueness, k_anonymity, prefix_uniqueness
from civicflow.privacy._text import PATTERNS, TextDetector, TextPattern, TextSpan
from civicflow.privacy._transform import (
    KEEP,
    NOT_CLASSIFIED,
    PSEUDONYMISE,
    REDACT,
    ColumnDecision,
    PseudonymiseTransform,
)

__all__ = [
    "DIRECT_IDENTIFIERS",
    "KEEP",
    "NOT_CLASSIFIED",
    "PATTERNS",
    "PSEUDONYMISE",
    "QUASI_IDENTIFIERS",
    "RECOGNIZERS",
    "REDACT",
    "SAFE_HARBOR_SPARSE_ZIP3",
    "Category",
    "Classification",
    "ClassifyConfig",
    "ColumnChange",
    "ColumnClassification",
    "ColumnDecision",
    "DpConfig",
    "DpEdge",
    "DpRelease",
    "DpVariant",
    "DpVariantRelease",
    "Enforcement",
    "EntityScore",
    "KAnonymity",
    "KeyRing",
    "LabelledText",
    "PrefixUniqueness",
    "PseudonymiseTransform",
    "RetentionEffect",
    "RetentionRule",
    "TextDetector",
    "TextPattern",
    "TextSpan",
    "ValueRecognizer",
    "age_band",
    "bsn_valid",
    "classify_table",
    "classify_values",
    "credit_card_valid",
    "dp_directly_follows",
    "dp_variants",
    "due_cases",
    "enforce",
    "generalise_date",
    "generalise_value",
    "iban_valid",
    "k_anonymity",
    "luhn_valid",
    "mask",
    "nhs_valid",
    "nino_valid",
    "normalise",
    "placeholder",
    "postcode_prefix",
    "prefix_uniqueness",
    "presidio_analyzer",
    "presidio_spans",
    "read_labelled",
    "read_table",
    "redact_column",
    "redact_text",
    "run_detector",
    "safe_harbor_age",
    "safe_harbor_date",
    "safe_harbor_table",
    "safe_harbor_zip",
    "sample_rows",
    "score_spans",
    "sin_valid",
    "ssn_valid",
]
