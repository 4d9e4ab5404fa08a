"""Checksum rules of national identifiers and payment numbers, written out (no LGPL package).

Each function takes the text as written (spaces, dots and hyphens allowed where the identifier is
usually written with them) and says whether it is a valid identifier of its kind: the right shape
*and* the right check digit or issuing rules. A random number of the right length passes a mod-11
check about one time in eleven, so the classifier counts only values that pass.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s.\-]")


def _digits(text: str) -> str:
    return _SEPARATORS.sub("", text)


def luhn_valid(number: str) -> bool:
    """The Luhn (mod 10) check over a string of digits."""
    if not number.isdigit() or not number.isascii():
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def bsn_valid(text: str) -> bool:
    """Dutch citizen service number (BSN): 9 digits (8 with a leading zero dropped) passing the
    *elfproef*: 9·d1 + 8·d2 + … + 2·d8 − 1·d9 is a multiple of 11, and not all zeros."""
    digits = _digits(text)
    if len(digits) == 8:
        digits = "0" + digits
    if len(digits) != 9 or not digits.isdigit() or not digits.isascii() or digits == "0" * 9:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
    total -= int(digits[8])
    return total % 11 == 0


_SSN = re.compile(r"^(\d{3})-?(\d{2})-?(\d{4})$")


def ssn_valid(text: str) -> bool:
    """US social security number: area 001-899 but not 666, group not 00, serial not 0000
    (the rules since randomisation in 2011), and not the numbers known from advertisements."""
    match = _SSN.match(text.strip().replace(" ", "-"))
    if not match:
        return False
    area, group, serial = match.groups()
    if area in ("000", "666") or area >= "900" or group == "00" or serial == "0000":
        return False
    return f"{area}{group}{serial}" not in ("078051120", "219099999", "123456789")


_NINO = re.compile(r"^([A-Z]{2})(\d{6})([A-D])$")
_NINO_BAD_PREFIX = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def nino_valid(text: str) -> bool:
    """UK National Insurance number: two prefix letters (first not D, F, I, Q, U, V; second not
    D, F, I, O, Q, U, V; not BG, GB, KN, NK, NT, TN, ZZ), six digits, suffix A-D."""
    match = _NINO.match(re.sub(r"\s", "", text.upper()))
    if not match:
        return False
    prefix = match.group(1)
    return not (prefix[0] in "DFIQUV" or prefix[1] in "DFIOQUV" or prefix in _NINO_BAD_PREFIX)


def nhs_valid(text: str) -> bool:
    """NHS number (England, Wales, Isle of Man): 10 digits; weights 10…2 on the first nine,
    check digit 11 − (sum mod 11), 11 read as 0 and 10 never issued."""
    digits = _digits(text)
    if len(digits) != 10 or not digits.isdigit() or not digits.isascii():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9]) and len(set(digits)) > 1


def sin_valid(text: str) -> bool:
    """Canadian social insurance number: 9 digits passing Luhn, first digit not 0 or 8 (unused)."""
    digits = _digits(text)
    return len(digits) == 9 and digits[0] not in "08" and luhn_valid(digits)


# lengths by country (ISO 13616 registry, the countries civicflow's users meet most)
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22,
    "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18,
    "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TR": 26,
}  # fmt: skip


def iban_valid(text: str) -> bool:
    """International bank account number: country code, two check digits, the account; the
    rearranged number (letters as 10…35) is 1 mod 97, and the length is the country's."""
    iban = re.sub(r"[\s\-]", "", text).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", iban):
        return False
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return False
    if expected is None and not 15 <= len(iban) <= 34:
        return False
    moved = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in moved)
    return int(number) % 97 == 1


def credit_card_valid(text: str) -> bool:
    """Payment card number: 13-19 digits, a major network's first digit (2-6), passing Luhn."""
    digits = _digits(text)
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_valid(digits)
