"""The FEEL subset: tokenizing names with spaces, precedence, decimal arithmetic, null semantics,
unary tests, built-in functions, errors that name the position, and vectorised unary tests equal to
the row-by-row ones."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicflow.decisions._feel import (
    Column,
    FeelError,
    FeelSyntaxError,
    Range,
    evaluate,
    parse_expression,
    parse_unary_tests,
    to_feel,
    tokenize,
    vector_test,
)


def test_names_with_spaces_take_the_longest_known_name() -> None:
    names = ["Actual Speed", "Speed Limit", "Violation", "Speed"]
    tokens = [t.text for t in tokenize("Violation.Actual Speed - Violation.Speed Limit", names)]
    assert tokens == ["Violation", ".", "Actual Speed", "-", "Violation", ".", "Speed Limit", ""]
    env = {"Violation": {"Actual Speed": 140, "Speed Limit": 100}}
    assert evaluate("Violation.Actual Speed - Violation.Speed Limit", env) == Decimal(40)


def test_a_known_name_is_not_taken_inside_a_longer_word() -> None:
    tokens = [t.text for t in tokenize("Total Pointsx + 1", ["Total Points"])]
    assert tokens[0] == "Total"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2 * 3", Decimal(7)),
        ("(1 + 2) * 3", Decimal(9)),
        ("2 ** 3 ** 2", Decimal(512)),
        ("-2 + 5", Decimal(3)),
        ("0.1 + 0.2 = 0.3", True),
        ("10 / 4", Decimal("2.5")),
        ("1 / 0", None),
        ("1 + null", None),
        ('"a" + "b"', "ab"),
        ("1 < 2 and 2 < 3", True),
        ("false or null", None),
        ("true or null", True),
        ("false and null", False),
        ("1 = null", False),
        ("null = null", True),
        ('1 = "1"', False),
        ('1 < "2"', None),
        ('if 3 > 2 then "yes" else "no"', "yes"),
        ("if null then 1 else 2", Decimal(2)),
        ("5 between 1 and 5", True),
        ("5 in [1..5)", False),
        ("5 in (1, 5, 9)", True),
        ("5 in > 4", True),
        ("[1, 2, 3][2]", Decimal(2)),
        ("[1, 2, 3][-1]", Decimal(3)),
        ("[1, 2, 3][item >= 2]", [Decimal(2), Decimal(3)]),
        ("{a: 1, b: a + 1}.b", Decimal(2)),
        ('{"x y": 2}.x', None),
        ("min(3, 1, 2) + max([4, 6]) + sum([1, 2]) + count([1, 2, 3])", Decimal(13)),
        ("mean([1, 2, 3, 4])", Decimal("2.5")),
        ("abs(-3) + floor(2.7) + ceiling(2.1)", Decimal(8)),
        ("decimal(2.345, 2)", Decimal("2.34")),
        ("modulo(-7, 3)", Decimal(2)),
        ('string length("abc") + 1', Decimal(4)),
        ('upper case("ab") + lower case("CD")', "ABcd"),
        ('substring("civicflow", 1, 5)', "civic"),
        ('contains("civicflow", "flow") and starts with("civic", "ci")', True),
        ('ends with("civic", "vic")', True),
        ("list contains([1, 2], 2)", True),
        ("distinct values([1, 2, 1])", [Decimal(1), Decimal(2)]),
        ("all([true, true]) and not(any([false, false]))", True),
        ('date("2026-01-31") < date("2026-02-01")', True),
        ('date("2026-01-31").month', Decimal(1)),
        ('date and time("2026-01-31T10:00:00") > date and time("2026-01-31T09:00:00")', True),
        ('date("2026-01-01") + duration("P1D")', dt.date(2026, 1, 2)),
        ('@"2026-03-01" - @"2026-02-01"', dt.timedelta(days=28)),
        ("string(12.50)", "12.50"),
        ('number("1.5") * 2', Decimal("3.0")),
    ],
)
def test_expressions(text: str, expected: object) -> None:
    assert evaluate(text) == expected
    if isinstance(expected, bool):
        assert type(evaluate(text)) is bool


def test_numbers_are_exact_decimals() -> None:
    assert evaluate("x * 3", {"x": 0.1}) == Decimal("0.3")
    # 34 significant digits (decimal128), as FEEL specifies
    assert evaluate("1 / 3 * 3") == Decimal("0.9999999999999999999999999999999999")


@pytest.mark.parametrize(
    ("tests", "value", "expected"),
    [
        ("-", 5, True),
        ("", None, True),
        ("< 10", 9, True),
        ("< 10", 10, False),
        ("<= 10", 10, True),
        ("> 2", None, None),
        ("[10..30)", 10, True),
        ("[10..30)", 30, False),
        ("(10..30]", 10, False),
        ("]10..30]", 30, True),
        ("[5..8]", 8, True),
        ('"Fall","Winter","Spring"', "Winter", True),
        ('"Fall","Winter","Spring"', "Summer", False),
        ("<18,>=60", 17, True),
        ("<18,>=60", 60, True),
        ("<18,>=60", 30, False),
        ('not("A")', "B", True),
        ('not("A")', "A", False),
        ('not("A")', None, True),
        ("not(< 5)", None, None),
        ("not(1, 2)", 3, True),
        ("true", True, True),
        ("true", 1, False),
        ("null", None, True),
        ('>date("2016-10-01")', dt.date(2016, 11, 1), True),
        ('<=date("2016-10-01")', dt.date(2016, 11, 1), False),
        ("? > 3 and ? < 5", 4, True),
        ("[1, 2, 3]", 2, True),
        ("-5", -5, True),
        ("> 3.5", 3.6, True),
        ("<= 3.0", 3.0, True),
    ],
)
def test_unary_tests(tests: str, value: object, expected: bool | None) -> None:
    assert parse_unary_tests(tests).test(to_feel(value), {}) == expected


def test_range_bounds_can_be_other_inputs() -> None:
    tests = parse_unary_tests("[numB..numC]")
    env = {"numB": Decimal(9), "numC": Decimal(10)}
    assert tests.test(Decimal(10), env) is True
    assert tests.test(Decimal(20), env) is False
    assert tests.names() == {"numB", "numC"}
    assert parse_unary_tests("> dateE").test(dt.date(2016, 1, 2), {"dateE": dt.date(2016, 1, 1)})


def test_range_values() -> None:
    rng = evaluate("[1..5)")
    assert rng == Range(Decimal(1), Decimal(5), True, False)


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("1 +* 2", 4),
        ('"open', 1),
        ("a ~ b", 3),
        ("[1..5", 6),
        ("if a then b", 12),
    ],
)
def test_syntax_errors_name_the_text_and_position(text: str, position: int) -> None:
    with pytest.raises(FeelSyntaxError) as err:
        parse_expression(text)
    assert text in err.value.what
    assert f"position {position}" in err.value.what
    assert err.value.expected and err.value.fix


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("for x in [1, 2] return x", "'for' expressions"),
        ("some x in [1] satisfies x > 0", "'some' expressions"),
        ("myFunction(1)", "unknown function 'myFunction'"),
        ("max(list: [1])", "named function arguments"),
    ],
)
def test_outside_the_subset_is_refused_clearly(text: str, what: str) -> None:
    with pytest.raises(FeelSyntaxError) as err:
        parse_expression(text)
    assert what in err.value.what


def test_years_and_months_durations_are_refused() -> None:
    with pytest.raises(FeelError, match="years or months"):
        evaluate('duration("P1Y2M")')


def test_unary_test_errors() -> None:
    with pytest.raises(FeelSyntaxError, match="position 5"):
        parse_unary_tests("< 5 6")


# ---------------------------------------------------------------------------------------------
# vectorised tests == row-by-row tests

_UNARY = st.one_of(
    st.just("-"),
    st.sampled_from(["<", "<=", ">", ">=", "=", "!="]).flatmap(
        lambda op: st.integers(-3, 3).map(lambda v: f"{op} {v}")
    ),
    st.tuples(
        st.integers(-3, 0), st.integers(0, 3), st.sampled_from("[(]"), st.sampled_from("])[")
    ).map(lambda t: f"{t[2]}{t[0]}..{t[1]}{t[3]}"),
    st.lists(st.integers(-3, 3), min_size=1, max_size=3).map(lambda v: ", ".join(map(str, v))),
    st.lists(st.integers(-3, 3), min_size=1, max_size=3).map(
        lambda v: f"not({', '.join(map(str, v))})"
    ),
    st.sampled_from(
        ["< other", "[other..3]", "not(> other)", "null", "not(null)", '"a"', "not(< 1, > 2)"]
    ),
)


@settings(max_examples=200, deadline=None)
@given(
    text=_UNARY,
    values=st.lists(st.one_of(st.none(), st.integers(-4, 4)), min_size=1, max_size=12),
    others=st.lists(st.one_of(st.none(), st.integers(-4, 4)), min_size=12, max_size=12),
)
def test_vector_tests_equal_row_by_row(
    text: str, values: list[int | None], others: list[int | None]
) -> None:
    tests = parse_unary_tests(text)
    n = len(values)
    column = Column.of(np.array([np.nan if v is None else float(v) for v in values]))
    other = Column.of(np.array([np.nan if v is None else float(v) for v in others[:n]]))
    mask = vector_test(tests, column, {"other": other}, n)
    assert mask is not None
    for i in range(n):
        env = {"other": to_feel(others[i])}
        assert bool(mask[i]) == (tests.test(to_feel(values[i]), env) is True), (
            text,
            values[i],
            others[i],
        )


def test_vector_tests_on_strings_dates_and_booleans() -> None:
    strings = Column.of(np.array(["a", None, "b"], dtype=object))
    negated = vector_test(parse_unary_tests('not("a")'), strings, {}, 3)
    assert negated is not None and negated.tolist() == [False, True, True]
    listed = vector_test(parse_unary_tests('"a","b"'), strings, {}, 3)
    assert listed is not None and listed.tolist() == [True, False, True]
    dates = Column.of(np.array(["2016-11-01", "NaT", "2016-09-01"], dtype="datetime64[D]"))
    mask = vector_test(parse_unary_tests('>date("2016-10-01")'), dates, {}, 3)
    assert mask is not None and mask.tolist() == [True, False, False]
    python_dates = Column.of(np.array([dt.date(2016, 11, 1), None], dtype=object))
    assert python_dates.kind == "date"
    mask = vector_test(parse_unary_tests('>date("2016-10-01")'), python_dates, {}, 2)
    assert mask is not None and mask.tolist() == [True, False]
    flags = Column.of(np.array([True, False]))
    mask = vector_test(parse_unary_tests("true"), flags, {}, 2)
    assert mask is not None and mask.tolist() == [True, False]
    # a test reading the input through '?' cannot be vectorised: the caller falls back row by row
    assert vector_test(parse_unary_tests("? > 1"), Column.of(np.array([1.0, 2.0])), {}, 2) is None
