"""The one formatter: amounts carry their currency or unit, timestamps never show microseconds,
enum keys read as words, large durations get thousands separators."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, timedelta, timezone

from civicflow.mining import (
    MISSING,
    format_amount,
    format_decimal,
    format_duration,
    format_label,
    format_number,
    format_timestamp,
)


def test_timestamps_to_the_minute_never_microseconds() -> None:
    moment = datetime(2026, 12, 4, 22, 48, 57, 123456, tzinfo=UTC)
    assert format_timestamp(moment) == "2026-12-04 22:48 UTC"
    assert format_timestamp("2026-12-04T22:48:57.123456+00:00") == "2026-12-04 22:48 UTC"
    plus_one = datetime(2026, 12, 4, 23, 48, 57, 1, tzinfo=timezone(timedelta(hours=1)))
    assert format_timestamp(plus_one) == "2026-12-04 22:48 UTC"
    assert format_timestamp(date(2027, 6, 30)) == "2027-06-30"
    assert format_timestamp(None) == MISSING
    assert format_number(moment) == "2026-12-04 22:48 UTC"


def test_enum_keys_read_as_words() -> None:
    class Recurrence(enum.Enum):
        ONE_OFF = "one_off"

    assert format_label(Recurrence.ONE_OFF) == "one off"
    assert format_label("lower_is_better") == "lower is better"
    assert format_number(Recurrence.ONE_OFF) == "one off"


def test_amounts_carry_their_currency_or_unit() -> None:
    assert format_amount(1234.5, "EUR") == "1,234.50 EUR"
    assert format_amount(309.0712, "cost/case") == "309.07 cost/case"
    assert format_decimal(0.10165509259259259) == "0.10"
    assert format_amount(None, "EUR") == MISSING


def test_large_durations_have_thousands_separators() -> None:
    assert format_duration(21_629.5 * 86400) == "21,630 d"
    assert format_duration(120 * 86400) == "120 d"
