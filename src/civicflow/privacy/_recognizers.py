"""Value recognizers: does one cell of a column look like a kind of personal data?

One :class:`ValueRecognizer` per category, each a pattern and (for identifiers with a check digit)
a validator. They carry their own valid and invalid examples, so one contract test
(``tests/privacy/test_recognizer_contract.py``) holds every recognizer to the same rule: the valid
examples are accepted, the invalid ones (wrong checksums, wrong prefixes) rejected.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import phonenumbers

from civicflow.privacy import _checksums as ck


class Category(StrEnum):
    """What a column holds, as far as personal data goes."""

    PERSON_NAME = "person_name"
    NL_BSN = "nl_bsn"
    US_SSN = "us_ssn"
    UK_NINO = "uk_nino"
    UK_NHS = "uk_nhs"
    CA_SIN = "ca_sin"
    IBAN = "iban"
    CREDIT_CARD = "credit_card"
    EMAIL = "email"
    PHONE = "phone"
    POSTAL_ADDRESS = "postal_address"
    POSTCODE = "postcode"
    DATE_OF_BIRTH = "date_of_birth"
    FREE_TEXT = "free_text"
    NONE = "none"


DIRECT_IDENTIFIERS = frozenset(
    {
        Category.PERSON_NAME,
        Category.NL_BSN,
        Category.US_SSN,
        Category.UK_NINO,
        Category.UK_NHS,
        Category.CA_SIN,
        Category.IBAN,
        Category.CREDIT_CARD,
        Category.EMAIL,
        Category.PHONE,
        Category.POSTAL_ADDRESS,
    }
)
"""Categories that name a person on their own: pseudonymised at ingest by default."""

QUASI_IDENTIFIERS = frozenset({Category.POSTCODE, Category.DATE_OF_BIRTH})
"""Categories that single a person out in combination: generalised on export, counted by the
k-anonymity check."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ValueRecognizer:
    """Recognizes one category in a single value (a cell, stripped)."""

    category: Category
    check: Callable[[str], bool]
    header: re.Pattern[str]
    """Column names that hint at the category (a hint raises the confidence; a weak recognizer
    needs it)."""
    weak: bool = False
    """Alone the values are ambiguous (any 5-digit number is a ZIP code): without a header hint
    the confidence is halved."""
    valid_examples: tuple[str, ...]
    invalid_examples: tuple[str, ...]

    def matches(self, value: str) -> bool:
        return self.check(value.strip())


def _pattern_and(pattern: str, validator: Callable[[str], bool] | None = None, flags: int = 0):
    compiled = re.compile(pattern, flags)

    def check(value: str) -> bool:
        return compiled.fullmatch(value) is not None and (validator is None or validator(value))

    return check


def _h(words: str) -> re.Pattern[str]:
    return re.compile(rf"(?:^|[^a-z])(?:{words})(?:$|[^a-z])", re.IGNORECASE)


_PHONE_SHAPE = re.compile(r"\+?[\d\s().\-/]{7,22}")
_PHONE_REGIONS = ("NL", "GB", "US", "CA", "DE", "BE", "FR", "IE")


def phone_valid(value: str) -> bool:
    """A phone number in international form, or national form of a region civicflow's users are
    in (a trunk ``0`` or formatting; a bare run of digits is an identifier, not a phone)."""
    if not _PHONE_SHAPE.fullmatch(value):
        return False
    if (value.isdigit() and not value.startswith("0")) or parse_date(value) is not None:
        return False
    regions: tuple[str | None, ...] = (None,) if value.startswith("+") else _PHONE_REGIONS
    for region in regions:
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    return False


_NAME_WORD = r"(?:[A-Z][a-z'\u00e0-\u00ff]+(?:-[A-Z][a-z'\u00e0-\u00ff]+)?|[A-Z]\.)"
_PARTICLE = r"(?:van|de|der|den|het|ten|ter|von|la|le|da|di|del|du|bin|al|o'|mc)"
_NAME = re.compile(rf"{_NAME_WORD}(?:\s+(?:{_PARTICLE}\s+)*{_NAME_WORD}){{1,3}}")


def person_name_shape(value: str) -> bool:
    """Two to four capitalised words (particles such as *van der* allowed): the shape of a full
    name. The classifier asks for a header hint or many distinct values as well."""
    return _NAME.fullmatch(value) is not None


_STREET = (
    r"street|st|road|rd|avenue|ave|lane|ln|drive|dr|close|way|court|ct|place|pl|boulevard|blvd|"
    r"crescent|terrace|square|sq|hill|gardens|park|row|mews|"
    r"\w*straat|\w*laan|\w*weg|\w*plein|\w*gracht|\w*kade|\w*singel|\w*dijk|\w*steeg|\w*hof|"
    r"\w*stra(?:ss|ß)e|rue|chemin"
)
_ADDRESS = re.compile(
    rf"(?:\d+[a-z]?,?\s+(?:[\w'.-]+\s+){{0,4}}(?:{_STREET})\.?\b.*"
    rf"|(?:[\w'.-]+\s+){{0,3}}(?:{_STREET})\.?\s+\d+(?:\s?[a-z]|-\d+)?\b.*)",
    re.IGNORECASE,
)


def address_valid(value: str) -> bool:
    """A street address: a house number and a street word (*Road*, *-straat*, *-weg*, …) in either
    order."""
    return len(value) <= 200 and _ADDRESS.fullmatch(value) is not None


UK_POSTCODE = r"(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})"
NL_POSTCODE = r"(?:[1-9]\d{3} ?(?!SA|SD|SS)[A-Z]{2})"
CA_POSTCODE = r"(?:[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d)"
US_ZIP = r"(?:\d{5}(?:-\d{4})?)"

_DATE_FORMS = (
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[T ]00:00(?::00)?)?"),
    re.compile(r"(?P<d>\d{1,2})[-/.](?P<m>\d{1,2})[-/.](?P<y>\d{4})"),
)


def parse_date(value: str) -> date | None:
    """A calendar date written ``2001-04-30``, ``30-04-2001``, ``30/04/2001`` or ``30.04.2001``
    (day before month outside ISO form, as in Europe); ``None`` if it is not one."""
    for form in _DATE_FORMS:
        match = form.fullmatch(value)
        if match:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                return None
    return None


def birth_date_valid(value: str) -> bool:
    """A date without a time of day between 1900 and today: the shape of a date of birth (the
    classifier asks for a header hint or a spread of years, since any date column passes)."""
    parsed = parse_date(value)
    return parsed is not None and parsed.year >= 1900 and parsed <= date.today()


def free_text_shape(value: str) -> bool:
    """Prose: at least 30 characters and five words."""
    return len(value) >= 30 and len(value.split()) >= 5


RECOGNIZERS: tuple[ValueRecognizer, ...] = (
    ValueRecognizer(
        category=Category.NL_BSN,
        check=_pattern_and(r"\d{8,9}|\d{4}\.\d{2}\.\d{3}|\d{3}[ .-]\d{3}[ .-]\d{3}", ck.bsn_valid),
        header=_h("bsn|burgerservicenummer|sofi|sofinummer|citizen.?service"),
        valid_examples=("111222333", "123456782", "1112.22.333", "12345672"),
        invalid_examples=("111222334", "123456789", "000000000", "1234567"),
    ),
    ValueRecognizer(
        category=Category.US_SSN,
        check=_pattern_and(r"\d{3}[- ]\d{2}[- ]\d{4}", ck.ssn_valid),
        header=_h("ssn|social.?security"),
        valid_examples=("536-22-8726", "001-01-0001", "899-99-9999"),
        invalid_examples=(
            "666-22-8726",
            "000-12-3456",
            "900-12-3456",
            "123-00-4567",
            "123-45-0000",
        ),
    ),
    ValueRecognizer(
        category=Category.UK_NINO,
        check=_pattern_and(r"[A-Za-z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-Da-d]", ck.nino_valid),
        header=_h("nino|national.?insurance|ni.?number"),
        valid_examples=("AB123456C", "AB 12 34 56 C", "ZY987654A"),
        invalid_examples=("BG123456A", "DA123456A", "AO123456A", "AB123456E", "QQ12345C"),
    ),
    ValueRecognizer(
        category=Category.UK_NHS,
        check=_pattern_and(r"\d{10}|\d{3}[ -]\d{3}[ -]\d{4}", ck.nhs_valid),
        header=_h("nhs|nhs.?number|chi"),
        valid_examples=("9434765919", "943 476 5919", "9876543210"),
        invalid_examples=("9434765918", "9434765910", "1111111111", "943476591"),
    ),
    ValueRecognizer(
        category=Category.CA_SIN,
        check=_pattern_and(r"\d{9}|\d{3}[ -]\d{3}[ -]\d{3}", ck.sin_valid),
        header=_h("sin|social.?insurance|nas"),
        valid_examples=("130692544", "130 692 544", "130-692-544"),
        invalid_examples=("130692545", "046454286", "830692544", "13069254"),
    ),
    ValueRecognizer(
        category=Category.IBAN,
        check=_pattern_and(r"[A-Za-z]{2}\d{2}(?:\s?[A-Za-z0-9]){10,30}", ck.iban_valid),
        header=_h("iban|bank.?account|rekening|account.?number"),
        valid_examples=(
            "NL91ABNA0417164300",
            "GB82 WEST 1234 5698 7654 32",
            "DE89370400440532013000",
        ),
        invalid_examples=("NL91ABNA0417164301", "GB82WEST123456987654", "XX00ABCD1234567890"),
    ),
    ValueRecognizer(
        category=Category.CREDIT_CARD,
        check=_pattern_and(
            r"\d{13,19}|\d{4}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,3})?", ck.credit_card_valid
        ),
        header=_h("card|credit|pan|creditcard"),
        valid_examples=(
            "4111111111111111",
            "4111 1111 1111 1111",
            "5500-0000-0000-0004",
            "378282246310005",
        ),
        invalid_examples=("4111111111111112", "1111111111111117", "41111111"),
    ),
    ValueRecognizer(
        category=Category.EMAIL,
        check=_pattern_and(r"[\w.%+'-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,24}"),
        header=_h("e.?mail|mail|contact"),
        valid_examples=("jan.jansen@example.nl", "o'brien+tag@mail.co.uk"),
        invalid_examples=("jan.jansen@", "not an email", "a@b", "@example.com"),
    ),
    ValueRecognizer(
        category=Category.PHONE,
        check=phone_valid,
        header=_h("phone|tel|telephone|telefoon|mobile|mobiel|gsm|cell"),
        valid_examples=("+31 20 123 4567", "020-1234567", "(212) 555-2368", "+44 20 7946 0958"),
        invalid_examples=("2024000123", "12-34", "+31 1", "call me"),
    ),
    ValueRecognizer(
        category=Category.POSTAL_ADDRESS,
        check=address_valid,
        header=_h("address|adres|street|straat|addr"),
        valid_examples=(
            "10 Downing Street",
            "Kerkstraat 12a",
            "221B Baker St",
            "1600 Pennsylvania Avenue NW",
        ),
        invalid_examples=("Register application", "12 apples", "Street"),
    ),
    ValueRecognizer(
        category=Category.POSTCODE,
        check=_pattern_and(
            "|".join((UK_POSTCODE, NL_POSTCODE, CA_POSTCODE, US_ZIP)), flags=re.IGNORECASE
        ),
        header=_h("postcode|post.?code|zip|zipcode|postal"),
        weak=True,
        valid_examples=("SW1A 1AA", "1012 AB", "1012AB", "K1A 0B1", "90210", "90210-1234"),
        invalid_examples=("0123 AB", "1012 SS", "Q1A 1AA", "9021", "D1A 0B1"),
    ),
    ValueRecognizer(
        category=Category.DATE_OF_BIRTH,
        check=birth_date_valid,
        header=_h("birth|dob|born|geboorte|geboortedatum|date.?of.?birth|birthday"),
        weak=True,
        valid_examples=("1970-04-30", "30-04-1970", "30/04/1970", "1.2.1999"),
        invalid_examples=("1970-13-01", "1899-12-31", "2999-01-01", "30-02-1970", "yesterday"),
    ),
    ValueRecognizer(
        category=Category.PERSON_NAME,
        check=person_name_shape,
        header=_h(
            "name|naam|surname|first.?name|last.?name|full.?name|given.?name|family.?name|"
            "citizen|applicant|patient|client|customer|person|contact.?person|voornaam|achternaam"
        ),
        weak=True,
        valid_examples=("Jan Jansen", "Anna van der Berg", "Mary-Jane O'connor", "J. Smith"),
        invalid_examples=("jan jansen", "Jan", "REGISTER APPLICATION", "Jan 12"),
    ),
    ValueRecognizer(
        category=Category.FREE_TEXT,
        check=free_text_shape,
        header=_h("note|notes|comment|comments|message|text|description|remark|opmerking|body"),
        valid_examples=("The citizen called about the delay in her application.",),
        invalid_examples=("Register application", "short note", "x" * 40),
    ),
)
"""Every value recognizer, checksummed identifiers first (the order breaks ties)."""
