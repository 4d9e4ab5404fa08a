"""Rules-as-code decisions: rule sets a policy officer can read (YAML with small, whitelisted
formulas), each rule and parameter with its legal reference and effective dates; cases decided one
at a time or vectorised in batches for a date, with the full trace and a plain-language
explanation; tests as data. DMN 1.1-1.3 models import too (``load_dmn``: decision tables,
literal expressions and boxed contexts with a FEEL subset), and ``DmnSource`` decides with one
as a rule source.

A domain package: it imports no web or database framework; the ``app`` layer versions rule sets,
stores decisions and carries them through review and appeal.
"""

from pathlib import Path

from civicflow.decisions._decide import (
    BatchDecision,
    Decision,
    ParameterUse,
    RuleSource,
    TraceStep,
    decide,
    decide_batch,
    explain,
    format_value,
)
from civicflow.decisions._dmn import (
    DmnBatchResult,
    DmnEvaluation,
    DmnEvaluationError,
    DmnImportError,
    DmnInput,
    DmnModel,
    DmnRule,
    DmnStep,
    ItemDefinition,
    load_dmn,
    parse_dmn,
    plain,
)
from civicflow.decisions._expr import FUNCTIONS
from civicflow.decisions._feel import FeelError, FeelSyntaxError
from civicflow.decisions._model import KINDS, RuleModel, detect_kind, read_model
from civicflow.decisions._ruleset import (
    InputSpec,
    LegalReference,
    Parameter,
    ParameterValue,
    Rule,
    RuleSet,
    load_ruleset,
    parse_ruleset,
)
from civicflow.decisions._source import DmnSource
from civicflow.decisions._tests import (
    CaseResult,
    Mismatch,
    TestCase,
    TestReport,
    TestSuite,
    load_tests,
    parse_tests,
    run_tests,
)
from civicflow.decisions._whatif import (
    Case,
    CaseChange,
    ParameterChange,
    WhatIf,
    amount_output,
    what_if,
    with_parameter,
)

EXAMPLES = Path(__file__).with_name("examples")
"""The example rule sets shipped with civicflow (``social_support.yaml`` and its tests)."""

__all__ = [
    "EXAMPLES",
    "FUNCTIONS",
    "KINDS",
    "BatchDecision",
    "Case",
    "CaseChange",
    "CaseResult",
    "Decision",
    "DmnBatchResult",
    "DmnEvaluation",
    "DmnEvaluationError",
    "DmnImportError",
    "DmnInput",
    "DmnModel",
    "DmnRule",
    "DmnSource",
    "DmnStep",
    "FeelError",
    "FeelSyntaxError",
    "InputSpec",
    "ItemDefinition",
    "LegalReference",
    "Mismatch",
    "Parameter",
    "ParameterChange",
    "ParameterUse",
    "ParameterValue",
    "Rule",
    "RuleModel",
    "RuleSet",
    "RuleSource",
    "TestCase",
    "TestReport",
    "TestSuite",
    "TraceStep",
    "WhatIf",
    "amount_output",
    "decide",
    "decide_batch",
    "detect_kind",
    "explain",
    "format_value",
    "load_dmn",
    "load_ruleset",
    "load_tests",
    "parse_dmn",
    "parse_ruleset",
    "parse_tests",
    "plain",
    "read_model",
    "run_tests",
    "what_if",
    "with_parameter",
]
