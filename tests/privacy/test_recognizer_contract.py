"""The recognizer contract: every value recognizer and every checksum validator accepts its valid
examples and rejects its invalid ones (wrong check digits, forbidden prefixes). A new recognizer
joins by being in ``RECOGNIZERS`` (or, for a validator, in ``VALIDATORS`` below)."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from civicflow.privacy import (
    RECOGNIZERS,
    ValueRecognizer,
    bsn_valid,
    credit_card_valid,
    iban_valid,
    nhs_valid,
    nino_valid,
    sin_valid,
    ssn_valid,
)


@pytest.mark.parametrize("recognizer", RECOGNIZERS, ids=lambda r: r.category.value)
def test_recognizer_accepts_valid_and_rejects_invalid(recognizer: ValueRecognizer) -> None:
    assert recognizer.valid_examples and recognizer.invalid_examples
    for value in recognizer.valid_examples:
        assert recognizer.matches(value), (recognizer.category, value)
    for value in recognizer.invalid_examples:
        assert not recognizer.matches(value), (recognizer.category, value)


def _bsn(rng: random.Random) -> str:
    while True:
        digits = "".join(str(rng.randrange(10)) for _ in range(9))
        total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
        if (total - int(digits[8])) % 11 == 0 and digits != "0" * 9:
            return digits


def _luhn_complete(stem: str) -> str:
    for check in "0123456789":
        candidate = stem + check
        total = 0
        for i, ch in enumerate(reversed(candidate)):
            d = int(ch) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return candidate
    raise AssertionError


def _nhs(rng: random.Random) -> str:
    while True:
        stem = "".join(str(rng.randrange(10)) for _ in range(9))
        check = 11 - sum(int(d) * w for d, w in zip(stem, range(10, 1, -1), strict=True)) % 11
        if check == 11:
            check = 0
        if check != 10:
            return stem + str(check)


def _iban(rng: random.Random) -> str:
    bban = "ABNA" + "".join(str(rng.randrange(10)) for _ in range(10))
    number = int("".join(str(int(c, 36)) for c in bban + "NL00"))
    return f"NL{98 - number % 97:02d}{bban}"


# validator, generator of valid values (independent of the code under test), corruptor
VALIDATORS: dict[str, tuple[Callable[[str], bool], Callable[[random.Random], str]]] = {
    "bsn": (bsn_valid, _bsn),
    "nhs": (nhs_valid, _nhs),
    "sin": (
        sin_valid,
        lambda r: _luhn_complete(str(r.randrange(1, 8)) + f"{r.randrange(10**7):07d}"),
    ),
    "card": (credit_card_valid, lambda r: _luhn_complete("4" + f"{r.randrange(10**14):014d}")),
    "iban": (iban_valid, _iban),
    "ssn": (
        ssn_valid,
        lambda r: (
            f"{r.randrange(1, 666):03d}-{r.randrange(1, 100):02d}-{r.randrange(1, 10**4):04d}"
        ),
    ),
    "nino": (nino_valid, lambda r: "AB" + f"{r.randrange(10**6):06d}" + "ABCD"[r.randrange(4)]),
}


@pytest.mark.parametrize("name", sorted(VALIDATORS))
def test_validator_accepts_generated_and_rejects_a_changed_digit(name: str) -> None:
    validator, generate = VALIDATORS[name]
    rng = random.Random(name)
    rejected = 0
    for _ in range(200):
        value = generate(rng)
        assert validator(value), value
        # change the last digit: a check-digit scheme must notice
        last = next(i for i in range(len(value) - 1, -1, -1) if value[i].isdigit())
        changed = value[:last] + str((int(value[last]) + 1) % 10) + value[last + 1 :]
        rejected += not validator(changed)
    if name in ("ssn", "nino"):
        assert rejected < 20  # issuing rules, no check digit: a changed digit stays valid
    else:
        assert rejected >= 190  # NHS skips check 10; IBAN's mod 97 catches every single change
