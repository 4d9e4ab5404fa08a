"""civicflow.core's errors say where, what was found, what was expected and how to fix it."""

from __future__ import annotations

import pytest

from civicflow.core import (
    CivicflowError,
    ConfigurationError,
    ConflictError,
    InputError,
    Location,
    NotFoundError,
    PermissionDeniedError,
)


def test_describe_names_every_part_in_order() -> None:
    error = InputError(
        "an unparseable timestamp",
        where=Location(file="log.csv", row=7, field="time"),
        found="31/02/2024",
        expected="a date that exists",
        fix="correct the row",
    )
    assert error.describe().splitlines() == [
        "an unparseable timestamp",
        "  where:    log.csv, row 7, field 'time'",
        "  found:    31/02/2024",
        "  expected: a date that exists",
        "  fix:      correct the row",
    ]
    assert str(error) == error.describe()


def test_an_error_without_details_is_one_line() -> None:
    assert ConflictError("taken").describe() == "taken"
    assert str(Location()) == "(no location)"


def test_a_huge_found_value_is_clipped() -> None:
    error = InputError("too long", found="x" * 10_000)
    assert len(error.describe()) < 400
    assert "10,000 characters" in error.describe()
    assert error.to_dict()["found"] == error.describe().splitlines()[1].split("found:    ")[1]


def test_to_dict_is_flat_for_json() -> None:
    error = NotFoundError("no dataset 'd'", where=Location(file="ws"), fix="list the datasets")
    assert error.to_dict() == {
        "error": "NotFoundError",
        "what": "no dataset 'd'",
        "file": "ws",
        "row": None,
        "line": None,
        "field": None,
        "found": None,
        "expected": None,
        "fix": "list the datasets",
    }


@pytest.mark.parametrize(
    "kind", [InputError, ConfigurationError, NotFoundError, ConflictError, PermissionDeniedError]
)
def test_every_error_is_a_civicflow_error(kind: type[CivicflowError]) -> None:
    with pytest.raises(CivicflowError):
        raise kind("x")
