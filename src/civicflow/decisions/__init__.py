"""Decisions: rules as code. The DMN import (``load_dmn``: DMN 1.1-1.3 decision tables, literal
expressions and boxed contexts with a FEEL subset, evaluated per case with a trace or over
columns with numpy). No web or database imports: ``civicflow.app`` wires it to roles and the
ledger."""

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
    plain,
)
from civicflow.decisions._feel import FeelError, FeelSyntaxError

__all__ = [
    "DmnBatchResult",
    "DmnEvaluation",
    "DmnEvaluationError",
    "DmnImportError",
    "DmnInput",
    "DmnModel",
    "DmnRule",
    "DmnStep",
    "FeelError",
    "FeelSyntaxError",
    "ItemDefinition",
    "load_dmn",
    "plain",
]
