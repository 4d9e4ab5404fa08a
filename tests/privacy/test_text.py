"""Free-text detection: civicflow's fast path and Presidio configured offline and pattern-only,
on hand-made texts and on the development split of ../shared/data/privacy (the held-out split is
for bench/privacy_evaluation.py)."""

from __future__ import annotations

import pytest

from civicflow.privacy import TextDetector, read_labelled, run_detector, score_spans
from conftest import shared_file


def _found(text: str, **kwargs: object) -> list[tuple[str, str]]:
    return [(s.entity, s.text) for s in TextDetector(**kwargs).analyze(text)]  # type: ignore[arg-type]


def test_checksummed_identifiers_need_their_checksum_and_context() -> None:
    text = "Mijn BSN is 111222333 en mijn IBAN NL91 ABNA 0417 1643 00, NINO AB123456C."
    assert _found(text) == [
        ("NL_BSN", "111222333"),
        ("IBAN_CODE", "NL91 ABNA 0417 1643 00"),
        ("UK_NINO", "AB123456C"),
    ]
    assert _found("Mijn BSN is 111222334.") == []  # the elfproef fails
    assert _found("Order 111222333 shipped.") == []  # no context: a 9-digit number
    assert _found("card 4111 1111 1111 1111 and 4111 1111 1111 1112") == [
        ("CREDIT_CARD", "4111 1111 1111 1111")
    ]


def test_people_by_context_dictionary_and_known_names() -> None:
    assert ("PERSON", "Wijtze") in _found("please call ms. Wijtze back", name_dictionary=False)
    assert ("PERSON", "Patricia Jeknić") in _found(
        "My name is Patricia Jeknić", name_dictionary=False
    )
    assert _found("Zorro Qwerty phoned", name_dictionary=False) == []
    assert _found("Zorro Qwerty phoned", known_names=["Zorro Qwerty"], name_dictionary=False) == [
        ("PERSON", "Zorro Qwerty")
    ]
    assert _found("Yesterday Megan Payne phoned") == [("PERSON", "Megan Payne")]
    assert _found("The meeting is in May.") == []  # May is a name somewhere, a month here


def test_email_phone_and_address() -> None:
    found = _found("Mail jan@example.nl or call +31 20 123 4567, Kerkstraat 12.")
    assert found == [
        ("EMAIL_ADDRESS", "jan@example.nl"),
        ("PHONE_NUMBER", "+31 20 123 4567"),
        ("ADDRESS", "Kerkstraat 12"),
    ]
    assert _found("on 2024-03-01") == [("DATE_TIME", "2024-03-01")]  # a date, not a phone


@pytest.fixture(scope="module")
def development() -> list:
    return read_labelled(shared_file("privacy", "pii_generated_small.json"))


def test_fast_path_recall_no_worse_than_presidio_alone(development: list) -> None:
    presidio = pytest.importorskip("presidio_analyzer")
    from civicflow.privacy import presidio_analyzer, presidio_spans

    alone = presidio_analyzer(civicflow_recognizers=False)
    assert type(alone.nlp_engine).__name__ == "NoOpNlpEngine" and presidio
    fast = score_spans(development, run_detector(TextDetector().analyze, development))
    peer = score_spans(development, run_detector(lambda t: presidio_spans(alone, t), development))
    targeted = [e for e, s in peer.items() if s.predicted and s.labelled]
    assert {"CREDIT_CARD", "EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN"} <= set(targeted)
    ours = sum(fast[e].found for e in targeted if e in fast)
    theirs = sum(peer[e].found for e in targeted)
    assert ours >= theirs
    assert fast["PERSON"].recall is not None and fast["PERSON"].recall > 0.5
    assert peer["PERSON"].found == 0  # pattern-only Presidio has no names
    combined = presidio_analyzer()
    both = score_spans(
        development, run_detector(lambda t: presidio_spans(combined, t), development)
    )
    assert both["PERSON"].found == fast["PERSON"].found


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Bel me op +31 6 12345678 aub", "+31 6 12345678"),
        ("call me on 06-12345678 tomorrow", "06-12345678"),
        ("my number is +44 20 7946 0958.", "+44 20 7946 0958"),
    ],
)
def test_mobile_numbers_with_a_short_or_a_long_group(text: str, number: str) -> None:
    found = [s.text for s in TextDetector().analyze(text) if s.entity == "PHONE_NUMBER"]
    assert found == [number]


def test_a_date_or_a_small_amount_is_not_a_phone_number() -> None:
    spans = TextDetector().analyze("paid 12 345 euro on 2024-03-01")
    assert not [s for s in spans if s.entity == "PHONE_NUMBER"]
