"""The one ``to_dict`` of civicflow's records, raw for frames and JSON-ready for output."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from civicflow.core import (
    ConfigurationError,
    InputError,
    Record,
    check_choice,
    check_timezone,
    json_value,
)


class Colour(enum.StrEnum):
    RED = "red"


@dataclass(frozen=True, slots=True, kw_only=True)
class Row(Record):
    name: str
    at: datetime
    secret: str = "x"
    _skip = ("secret",)
    _extra = ("shout",)

    @property
    def shout(self) -> str:
        return self.name.upper()


@dataclass(frozen=True, slots=True, kw_only=True)
class Shown(Record):
    _json = True

    colour: Colour
    at: datetime
    day: date
    path: Path
    tags: frozenset[str]
    rows: tuple[Row, ...] = ()
    by_ws: dict[str, Colour] = field(default_factory=dict)


AT = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)


def test_a_row_keeps_its_values_skips_and_adds_properties() -> None:
    row = Row(name="a", at=AT)
    assert row.to_dict() == {"name": "a", "at": AT, "shout": "A"}


def test_a_json_record_gives_values_json_carries() -> None:
    shown = Shown(
        colour=Colour.RED,
        at=AT,
        day=date(2026, 12, 4),
        path=Path("/srv/ws"),
        tags=frozenset({"b", "a"}),
        rows=(Row(name="r", at=AT),),
        by_ws={"ws_1": Colour.RED},
    )
    out = shown.to_dict()
    assert out == {
        "colour": "red",
        "at": "2026-12-04T09:30:00+00:00",
        "day": "2026-12-04",
        "path": "/srv/ws",
        "tags": ["a", "b"],
        "rows": [{"name": "r", "at": "2026-12-04T09:30:00+00:00", "shout": "R"}],
        "by_ws": {"ws_1": "red"},
    }
    json.dumps(out)  # nothing JSON cannot carry is left


def test_json_value_leaves_plain_values_alone() -> None:
    assert json_value({"n": 1, "x": None, "f": 1.5, "s": "t"}) == {
        "n": 1,
        "x": None,
        "f": 1.5,
        "s": "t",
    }


def test_check_choice_names_what_was_found_and_what_is_allowed() -> None:
    check_choice("week", ("day", "week", "month"), what="period")
    with pytest.raises(ConfigurationError) as err:
        check_choice("year", ("day", "week", "month"), what="period", field="freq")
    assert err.value.what == "unknown period 'year'"
    assert err.value.expected == "day, week or month"
    assert err.value.where is not None and err.value.where.field == "freq"
    assert err.value.fix == "pass one of: day, week, month"
    with pytest.raises(InputError, match="unknown policy 'x'") as err2:
        check_choice("x", ("fail", "skip"), what="policy", error=InputError, fix="use skip")
    assert err2.value.expected == "fail or skip"
    assert err2.value.fix == "use skip"


def test_check_timezone_returns_the_zone_or_says_what_a_zone_name_is() -> None:
    assert check_timezone("Europe/Amsterdam").key == "Europe/Amsterdam"
    with pytest.raises(ConfigurationError) as err:
        check_timezone("Mars/Olympus", field="timezone", fix="use the office's zone")
    assert err.value.found == "Mars/Olympus"
    assert "IANA" in (err.value.expected or "")
    assert err.value.where is not None and err.value.where.field == "timezone"
    assert err.value.fix == "use the office's zone"
