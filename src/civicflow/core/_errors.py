"""Errors that say where, what was found, what was expected and how to fix it."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Location:
    """Where a problem is: a file and, when known, a row/line and a field."""

    file: str | None = None
    row: int | None = None
    line: int | None = None
    field: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Location:
        """The location in an error's :meth:`CivicflowError.to_dict` (or any mapping with some of
        ``file``, ``row``, ``line``, ``field``): absent keys and empty values are no part."""

        def number(key: str) -> int | None:
            value = data.get(key)
            if value is None or value == "" or isinstance(value, bool):
                return None
            try:
                return int(value)
            except (TypeError, ValueError):
                return None

        def text(key: str) -> str | None:
            value = data.get(key)
            return str(value) if value not in (None, "") else None

        return cls(file=text("file"), row=number("row"), line=number("line"), field=text("field"))

    def parts(self) -> list[str]:
        """The parts that exist, each in words (``row 12``, ``field 'time'``); none: empty."""
        parts: list[str] = []
        if self.file:
            parts.append(self.file)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(f"field '{self.field}'")
        return parts

    def __str__(self) -> str:
        return ", ".join(self.parts()) or "(no location)"


class CivicflowError(Exception):
    """Base class of every error civicflow raises on purpose.

    A great error message says what happened, where, what was expected instead, and what to do.
    """

    def __init__(
        self,
        what: str,
        *,
        where: Location | None = None,
        found: str | None = None,
        expected: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.what = what
        self.where = where
        self.found = found
        self.expected = expected
        self.fix = fix
        super().__init__(self.describe())

    def describe(self) -> str:
        lines = [self.what]
        if self.where is not None and self.where.parts():
            lines.append(f"  where:    {self.where}")
        if self.found is not None:
            lines.append(f"  found:    {_clip(self.found)}")
        if self.expected is not None:
            lines.append(f"  expected: {self.expected}")
        if self.fix is not None:
            lines.append(f"  fix:      {self.fix}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        where = self.where
        return {
            "error": type(self).__name__,
            "what": self.what,
            "file": where.file if where else None,
            "row": where.row if where else None,
            "line": where.line if where else None,
            "field": where.field if where else None,
            "found": None if self.found is None else _clip(self.found),
            "expected": self.expected,
            "fix": self.fix,
        }


def _clip(text: str, limit: int = 200) -> str:
    # a 10 MB attribute value must not become a 10 MB error message
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


class InputError(CivicflowError):
    """The data handed to civicflow is not what it should be (file, row, field)."""


class ConfigurationError(CivicflowError):
    """A setting, mapping or option is missing or inconsistent."""


def check_choice(
    value: object,
    choices: Collection[str],
    *,
    what: str,
    field: str | None = None,
    fix: str | None = None,
    error: type[CivicflowError] = ConfigurationError,
) -> None:
    """Raise ``error`` unless ``value`` is one of ``choices``: the one check of a closed set of
    names (a period, a method, a policy), so each says the same what/found/expected/fix."""
    if value in choices:
        return
    names = [str(c) for c in choices]
    expected = " or ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " or " + names[-1]
    raise error(
        f"unknown {what} '{value}'",
        where=None if field is None else Location(field=field),
        found=str(value),
        expected=expected,
        fix=fix or f"pass one of: {', '.join(names)}",
    )


class NotFoundError(CivicflowError):
    """A named thing (dataset, baseline, workspace, user) does not exist."""


class ConflictError(CivicflowError):
    """The operation would overwrite or contradict existing state."""


class PermissionDeniedError(CivicflowError):
    """The actor's role does not allow the operation."""


@dataclass(slots=True)
class RejectedRow:
    """A row that `--on-error skip` set aside, with the reason."""

    location: Location
    reason: str
    raw: dict[str, str] = field(default_factory=dict)
