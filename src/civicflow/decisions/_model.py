"""The one seam between a rule set version's text and what the application does with it: a
:class:`RuleModel` is a YAML :class:`RuleSet` or a DMN model wrapped in a :class:`DmnSource`,
and both test, decide (one case or many), explain, and say whether a parameter what-if applies.
``read_model`` turns a stored version's text into one, so the application never branches on the
kind of text but to store it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from civicflow.core import ConfigurationError, Location
from civicflow.decisions._decide import Decision
from civicflow.decisions._ruleset import InputSpec

KINDS: tuple[str, ...] = ("yaml", "dmn")
"""The kinds of text a rule set version holds: a YAML rule set, or a DMN 1.1-1.3 model."""


@runtime_checkable
class RuleModel(Protocol):
    """What the application needs of a rule set version's model, whatever its text: its name
    and questions, one decision or many (each with its trace and explanation), its digest, the
    legal acts it cites, and whether a what-if of a parameter change can run on it."""

    @property
    def kind(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def inputs(self) -> tuple[InputSpec, ...]: ...

    @property
    def input_names(self) -> tuple[str, ...]: ...

    @property
    def outcome(self) -> str:
        """The rule (YAML) or decision (DMN) whose value is the outcome."""
        ...

    @property
    def digest(self) -> str: ...

    @property
    def legal_acts(self) -> tuple[str, ...]: ...

    @property
    def what_if_refusal(self) -> str | None:
        """Why a parameter what-if cannot run on this model (None when it can)."""
        ...

    def decide(self, inputs: Mapping[str, Any], *, on: dt.date) -> Decision: ...

    def decide_many(self, rows: Sequence[Mapping[str, Any]], *, on: dt.date) -> Iterator[Decision]:
        """Decide every row (input name → value) for the date ``on``, in order."""
        ...


def detect_kind(text: str) -> str:
    """``dmn`` for XML text, ``yaml`` for anything else."""
    return "dmn" if text.lstrip().startswith("<") else "yaml"


def read_model(
    text: str,
    *,
    kind: str | None = None,
    file: str = "<rule set>",
    decision: str | None = None,
    positive: Sequence[object] = (),
    name: str = "",
) -> RuleModel:
    """The model of a rule set version's text: a YAML rule set, or a DMN model deciding
    ``decision`` (default: its last decision in dependency order), positive when the outcome's
    value is one of ``positive`` (default: any truthy value), named ``name`` (default: the
    model's name). Bad text raises an error naming the
    line and field (YAML) or the element and the reason (DMN)."""
    from civicflow.decisions._dmn import parse_dmn
    from civicflow.decisions._ruleset import parse_ruleset
    from civicflow.decisions._source import DmnSource

    kind = kind or detect_kind(text)
    if kind == "yaml":
        return parse_ruleset(text, file=file)
    if kind != "dmn":
        raise ConfigurationError(
            f"'{kind}' is not a kind of rule set",
            where=Location(file=file, field="kind"),
            found=kind,
            expected=" or ".join(KINDS),
            fix="give a YAML rule set or a DMN model",
        )
    model = parse_dmn(text, file=file)
    if not model.decisions:
        raise ConfigurationError(
            f"the DMN model '{model.name}' has no decision",
            where=Location(file=file, field="decision"),
            found="0 decisions",
            expected="at least one decision",
            fix="export the model with its decisions",
        )
    return DmnSource(
        model=model,
        outcome=decision or model.decisions[-1],
        positive_values=tuple(positive),
        text=text,
        alias=name,
        title=name,
    )
