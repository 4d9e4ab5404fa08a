"""Retention rules in the domain: ages in calendar units, the cases due, generalisation that
leaves its own output alone, redaction with typed placeholders over distinct values, k-anonymity
by suppression, pseudonymising without pseudonymising a pseudonym twice, and a date column as
the end of a case."""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa
import pytest

from civicflow.core import InputError
from civicflow.privacy import (
    KeyRing,
    RetentionRule,
    TextDetector,
    due_cases,
    enforce,
    generalise_value,
    k_anonymity,
    redact_column,
    redact_text,
)
from civicflow.privacy._retention import subtract

TODAY = date(2024, 6, 1)


def test_ages_in_days_months_and_years() -> None:
    assert subtract(date(2024, 2, 29), 1, "years") == date(2023, 2, 28)
    assert subtract(date(2024, 3, 31), 1, "months") == date(2024, 2, 29)
    assert subtract(date(2024, 1, 15), 14, "months") == date(2022, 11, 15)
    assert subtract(date(2024, 1, 15), 15, "days") == date(2023, 12, 31)
    assert RetentionRule(older_than=7, unit="years").cutoff(TODAY) == date(2017, 6, 1)


def test_generalised_values_stay_as_they_are() -> None:
    cases = [("1990-05-17", "date_of_birth", "1990"), ("1012 AB", "postcode", "1012"),
             ("SW1A 1AA", "postcode", "SW1A"), ("37", "none", "30-39"),
             ("94", "none", "90+"), ("not a date", "date_of_birth", None)]  # fmt: skip
    for value, category, expected in cases:
        once = generalise_value(value, category)
        assert once == expected, value
        if once is not None:
            assert generalise_value(once, category) == once, value


def test_redaction_uses_typed_placeholders_and_counts_per_distinct_text() -> None:
    detector = TextDetector()
    text = "Mail anna.jansen@example.org or call 06-12345678 about the permit"
    redacted, counts = redact_text(text, detector)
    assert "example.org" not in redacted and "<EMAIL_ADDRESS>" in redacted
    assert counts["EMAIL_ADDRESS"] == 1
    assert redact_text(redacted, detector) == (redacted, {})
    column = pa.chunked_array([[text, None, text], [text, "nothing personal here at all"]])
    out, totals = redact_column(column, detector)
    assert out.to_pylist() == [redacted, None, redacted, redacted, "nothing personal here at all"]
    assert totals["EMAIL_ADDRESS"] == 3
    ring = KeyRing.generate()
    by_pseudonym, _ = redact_text(text, detector, pseudonym=ring.pseudonym,
                                  pseudonymised={"EMAIL_ADDRESS"})  # fmt: skip
    assert ring.pseudonym("anna.jansen@example.org") in by_pseudonym


def _table(n: int = 30) -> pa.Table:
    rows = []
    for i in range(n):
        end = datetime(2014 if i % 2 else 2024, 3, 1)
        rows.append({"case_id": f"c{i}", "activity": "Decide", "timestamp": end,
                     "citizen": f"Person {i}", "postcode": f"{1000 + i % 7} AB",
                     "date_of_birth": f"{1950 + i % 4}-01-0{1 + i % 9}",
                     "closed_on": f"{2010 + i % 10}-06-30"})  # fmt: skip
    return pa.Table.from_pylist(rows)


CLASSES = {"events": {"citizen": "person_name", "postcode": "postcode",
                      "date_of_birth": "date_of_birth"}}  # fmt: skip


def test_due_cases_from_the_last_event_or_a_date_column() -> None:
    table = _table()
    rule = RetentionRule(older_than=7, unit="years")
    assert len(due_cases(table, None, rule, today=TODAY)) == 15
    by_closing = RetentionRule(older_than=10, unit="years", measured_from="closed_on")
    due = due_cases(table, None, by_closing, today=TODAY)
    # closed_on 2010-2013 (four of every ten cases) is more than ten years before June 2024
    assert sorted(due.to_pylist()) == sorted(f"c{i}" for i in range(30) if i % 10 < 4)
    with pytest.raises(InputError) as missing:
        due_cases(table, None, RetentionRule(older_than=1, measured_from="gone"), today=TODAY)
    assert missing.value.where is not None and missing.value.where.field == "measured_from"


@pytest.mark.parametrize("k", [2, 3, 5, 20])
def test_anonymised_cases_are_k_anonymous(k: int) -> None:
    rule = RetentionRule(older_than=7, unit="years", action="anonymise", category="personal", k=k)
    out = enforce(_table(), None, rule, today=TODAY, classification=CLASSES)
    old = out.events.filter(
        pa.compute.less(out.events["timestamp"], pa.scalar(datetime(2020, 1, 1)))
    )
    assert old.column("citizen").null_count == old.num_rows
    assert k_anonymity(old, ["postcode", "date_of_birth"], threshold=k).k >= min(k, old.num_rows)
    again = enforce(out.events, None, rule, today=TODAY, classification=CLASSES)
    assert not again.effect.changed and again.events.equals(out.events)


def test_pseudonymise_needs_the_ring_and_never_pseudonymises_a_pseudonym() -> None:
    rule = RetentionRule(older_than=7, unit="years", action="pseudonymise",
                         category="direct_identifier")  # fmt: skip
    with pytest.raises(InputError) as bad:
        enforce(_table(), None, rule, today=TODAY, classification=CLASSES)
    assert bad.value.where is not None and bad.value.where.field == "action"
    ring = KeyRing.generate()

    def is_pseudonym(value: str) -> bool:
        return value.startswith(f"{ring.current}_")

    once = enforce(_table(), None, rule, today=TODAY, classification=CLASSES,
                   pseudonym=ring.pseudonym, is_pseudonym=is_pseudonym)  # fmt: skip
    assert ring.pseudonym("Person 1") in once.events.column("citizen").to_pylist()
    assert "Person 0" in once.events.column("citizen").to_pylist(), "a recent case is left"
    twice = enforce(once.events, None, rule, today=TODAY, classification=CLASSES,
                    pseudonym=ring.pseudonym, is_pseudonym=is_pseudonym)  # fmt: skip
    assert not twice.effect.changed
