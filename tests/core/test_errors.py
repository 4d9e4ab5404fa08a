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


def test_a_location_names_only_the_parts_that_exist() -> None:
    # an error page builds the location from a dict whose parts may be missing or empty
    assert Location.from_dict({"what": "wrong password"}).parts() == []
    assert Location.from_dict({"file": None, "row": None, "line": "", "field": ""}) == Location()
    assert str(Location.from_dict({"row": 3, "field": "time"})) == "row 3, field 'time'"
    assert Location.from_dict({"row": "12", "file": "a.csv"}) == Location(file="a.csv", row=12)
    error = InputError("bad", where=Location(file="a.csv", row=0))
    assert str(Location.from_dict(error.to_dict())) == "a.csv, row 0"  # row 0 is a row


def test_an_empty_location_is_not_described() -> None:
    assert "where" not in InputError("bad", where=Location(), fix="do x").describe()
    assert "  where:    field 'x'" in InputError("bad", where=Location(field="x")).describe()
