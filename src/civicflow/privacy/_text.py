"""Free-text detection, civicflow's fast path: one pass of compiled patterns per entity, the
checksum validators behind the numbers, context patterns and known names for people.

The same recognizers also plug into Presidio's ``AnalyzerEngine`` (see ``_presidio.py``); this path
exists because Presidio's per-text overhead (its registry, context enhancer and result merging) is
most of the cost on short texts. Entity names are Presidio's (``PERSON``, ``EMAIL_ADDRESS``, …), so
results from either engine compare span for span.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from civicflow.core import Record
from civicflow.privacy import _checksums as ck
from civicflow.privacy._names import first_names

_L = r"[^\W\d_]"  # a letter, in any script
_NAME_TOKEN = rf"{_L}(?:{_L}|['\u2019-]{_L})+"
_CAP_TOKEN = rf"[A-Z\u00c0-\u00de]{_L}*(?:['\u2019-]{_L}+)?"


@dataclass(frozen=True, slots=True)
class TextSpan(Record):
    """One finding in a text: ``text[start:end]`` is an ``entity``."""

    _json = True

    entity: str
    start: int
    end: int
    score: float
    text: str


@dataclass(frozen=True, slots=True)
class TextPattern:
    """One compiled pattern: the span is ``group`` of each match, kept if ``validate`` says so."""

    entity: str
    regex: re.Pattern[str]
    score: float = 0.8
    validate: Callable[[str], bool] | None = None
    group: int = 0
    context: re.Pattern[str] | None = None
    """If set, a match counts only with this pattern in the 40 characters before it."""
    needs: str | None = None
    """A cheap test first: ``digit`` (some digit), ``number`` (nine digits in a row, separators
    allowed), ``@`` or ``.`` (that character); a text without it skips the pattern."""
    trigger: tuple[str, ...] = ()
    """Keywords (lower case) of which the lower-cased text must contain one before the (costlier)
    pattern runs."""


def _ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _phone(text: str) -> bool:
    digits = sum(ch.isdigit() for ch in text)
    if not 7 <= digits <= 15:
        return False
    # a date or a time is not a phone number
    return not re.fullmatch(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}", text)


# a tail's first group may be one digit (+31 6 …, a mobile), a later one a whole subscriber
# number (06-12345678)
_PHONE_TAIL = r"\d{1,5}(?:[\s.-]\d{2,8}){1,4}(?:\s?(?:x|ext\.?)\s?\d{1,5})?(?![\w-])"
_TLDS = ("com", "org", "net", "edu", "gov", "io", "info", "biz", "co.uk", "nl", "de", "fr", "eu",
         "uk", "ca", "us")  # fmt: skip
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_TITLES = ("mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "madam", "mister", "dame",
           "lord", "lady")  # fmt: skip
_TITLE = "(?:" + "|".join(_TITLES) + ")"
_STREET_SUFFIXES = ("straat", "laan", "weg", "plein", "gracht", "kade", "singel", "dijk",
                    "strasse", "straße", "gasse", "vej", "gatan", "katu")  # fmt: skip
_STREET_SUFFIX = "(?:" + "|".join(_STREET_SUFFIXES) + ")"
_STREET_NAMES = ("street", "st", "road", "rd", "avenue", "ave", "lane", "ln", "drive", "dr",
                 "boulevard", "blvd", "way", "court", "ct", "place", "pl", "square", "sq",
                 "terrace", "crescent", "close", "highway", "hwy", "parkway", "pkwy", "rue",
                 "via", "calle", "avenida", "rua", "ulica")  # fmt: skip
_STREET_NAME = "(?:" + "|".join(_STREET_NAMES) + ")"
_STREET_NAME_KEYS = tuple(
    k
    for n in _STREET_NAMES
    for k in ((f" {n}",) if len(n) > 3 else (f" {n} ", f" {n}.", f" {n},", f" {n}\n"))
)
_PERSON_VERBS = "lives|lived|was born|is a|had given|has|said|called|wrote|asked|told|works"

PATTERNS: tuple[TextPattern, ...] = (
    TextPattern(
        "EMAIL_ADDRESS",
        re.compile(r"[\w.%+'-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,24}\b"),
        score=1.0,
        needs="@",
    ),
    TextPattern(
        "DOMAIN_NAME",
        re.compile(
            r"\b(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)]"
            r"|\b(?:[A-Za-z0-9-]+\.)+(?:" + "|".join(map(re.escape, _TLDS)) + r")\b",
            re.IGNORECASE,
        ),
        score=0.6,
        needs=".",
        trigger=("http", "www.", *(f".{t}" for t in _TLDS)),
    ),
    TextPattern(
        "CREDIT_CARD",
        re.compile(r"\d(?<![\w-]\d)(?:[ -]?\d){12,18}(?![\w-])"),
        score=1.0,
        validate=ck.credit_card_valid,
        needs="number",
    ),
    TextPattern(
        "IBAN_CODE",
        # Presidio's generic IBAN shape (groups of four, space or hyphen between them)
        re.compile(
            r"(?<![A-Z0-9])[A-Z]{2}[0-9]{2}(?:[ -]?[A-Z0-9]{4}){2,6}(?:[ -]?[A-Z0-9]{4})?"
            r"(?:[ -]?[A-Z0-9]{1,3})?(?![A-Z0-9])",
            re.IGNORECASE,  # texts are often lower-cased whole
        ),
        score=1.0,
        validate=ck.iban_valid,
        needs="digit",
    ),
    TextPattern(
        "US_SSN",
        re.compile(r"\d(?<![\w-]\d)\d{2}[- .]\d{2}[- .]\d{4}(?![\w-])"),
        score=0.85,
        validate=lambda t: ck.ssn_valid(re.sub(r"[ .]", "-", t)),
        needs="number",
    ),
    TextPattern(
        "UK_NINO",
        re.compile(r"\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b", re.IGNORECASE),
        score=0.85,
        validate=ck.nino_valid,
        needs="digit",
    ),
    TextPattern(
        "NL_BSN",
        re.compile(r"\d(?<![\w.-]\d)\d{3}\.?\d{2}\.?\d{3}(?![\w-])"),
        score=0.9,
        validate=ck.bsn_valid,
        needs="number",
        context=re.compile(r"bsn|burgerservice|sofi", re.IGNORECASE),
    ),
    TextPattern(
        "UK_NHS",
        re.compile(r"\d(?<![\w-]\d)\d{2}[ -]?\d{3}[ -]?\d{4}(?![\w-])"),
        score=0.9,
        validate=ck.nhs_valid,
        needs="number",
        context=re.compile(r"\bnhs\b", re.IGNORECASE),
    ),
    TextPattern(
        "CA_SIN",
        re.compile(r"\d(?<![\w-]\d)\d{2}[ -]?\d{3}[ -]?\d{3}(?![\w-])"),
        score=0.9,
        validate=ck.sin_valid,
        needs="number",
        context=re.compile(r"\bsin\b|social insurance", re.IGNORECASE),
    ),
    # Presidio's driver-licence shapes (its weak patterns), but only after one of its context words
    TextPattern(
        "US_DRIVER_LICENSE",
        re.compile(
            r"\b(?:[A-Z]{1,2}\d{3,14}|\d{2}[A-Z]{3}\d{5,6}|\d{9}[A-Z]|\d{8}[A-Z]{2}"
            r"|\d{3}[A-Z]{2}\d{4}|\d{7,8}[A-Z]|\d{6,14}|\d{16})\b",
            re.IGNORECASE,
        ),
        score=0.6,
        needs="digit",
        context=re.compile(r"driv|licen[cs]e|permit|\blic\b|\bdl\b", re.IGNORECASE),
        trigger=("driv", "licen", "permit", "lic", "dl"),
    ),
    TextPattern(
        "IP_ADDRESS",
        re.compile(r"\d(?<![\w.]\d)\d{0,2}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\w.])"),
        score=0.9,
        validate=_ip,
        needs="digit",
    ),
    TextPattern(
        "IP_ADDRESS",
        re.compile(r"(?<![\w:])(?:[0-9a-fA-F]{1,4}:){2,7}(?::|[0-9a-fA-F]{1,4})(?![\w:])"),
        score=0.9,
        validate=_ip,
        needs=":",
    ),
    TextPattern(
        "DATE_TIME",
        re.compile(
            r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?\b"
            r"|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b"
        ),
        score=0.6,
        needs="digit",
    ),
    TextPattern(
        "DATE_TIME",
        re.compile(
            rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\.?,?\s+\d{{4}}\b"
            rf"|\b{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"
            rf"|\b{_MONTH}\s+\d{{4}}\b",
            re.IGNORECASE,
        ),
        score=0.6,
        needs="digit",
        trigger=(
            "jan",
            "feb",
            "mar",
            "apr",
            "may",
            "jun",
            "jul",
            "aug",
            "sep",
            "oct",
            "nov",
            "dec",
        ),
    ),
    # phone numbers: each form begins with a literal or a digit (a fast scan), merged afterwards
    TextPattern(
        "PHONE_NUMBER",
        re.compile(
            rf"\+(?<![\w+]\+)\d{{1,3}}[\s.-]?(?:\(\d{{1,5}}\)[\s.-]?)?{_PHONE_TAIL}"
            r"|\+(?<![\w+]\+)\d{8,14}(?!\w)"
        ),
        score=0.5,
        validate=_phone,
        needs="+",
    ),
    TextPattern(
        "PHONE_NUMBER",
        re.compile(rf"\((?<![\w+]\()\d{{1,5}}\)[\s.-]?{_PHONE_TAIL}"),
        score=0.5,
        validate=_phone,
        needs="(",
    ),
    TextPattern(
        "PHONE_NUMBER",
        re.compile(
            r"\d(?<![\w+]\d)\d{1,4}(?:[\s.-]\d{2,8}){1,4}(?:\s?(?:x|ext\.?)\s?\d{1,5})?(?![\w-])"
            r"|0(?<![\w+]0)\d{9,10}(?!\w)"
        ),
        score=0.5,
        validate=_phone,
        needs="digit",
    ),
    TextPattern(
        "ADDRESS",
        re.compile(
            rf"\b\d{{1,5}}[A-Za-z]?\s+(?:{_CAP_TOKEN}\s+){{0,3}}{_STREET_NAME}\b\.?",
            re.IGNORECASE,
        ),
        score=0.6,
        needs="digit",
        trigger=_STREET_NAME_KEYS,
    ),
    TextPattern(
        "ADDRESS",
        re.compile(
            rf"\b(?:\d{{1,5}}[A-Za-z]?\s+(?:{_CAP_TOKEN}\s+){{0,3}})?{_L}*{_STREET_SUFFIX}\b"
            rf"(?:\s+\d{{1,5}}[A-Za-z]?\b)?",
            re.IGNORECASE,
        ),
        score=0.6,
        needs="digit",
        trigger=_STREET_SUFFIXES,
        validate=lambda t: any(ch.isdigit() for ch in t),
    ),
    TextPattern(
        "ADDRESS",
        re.compile(
            r"\b(?:apt|apartment|suite|unit|flat)\.?\s*#?\d{1,5}\b|(?<=\bzip:\s)\d{5}(?:-\d{4})?\b",
            re.IGNORECASE,
        ),
        score=0.6,
        needs="digit",
        trigger=("apt", "apartment", "suite", "unit", "flat", "zip:"),
    ),
    # people: context patterns (a title, "my name is", a verb people do); the name is group 1
    TextPattern(
        "PERSON",
        re.compile(rf"(?i:\b{_TITLE})\.?\s+({_CAP_TOKEN}(?:\s+{_CAP_TOKEN}){{0,2}})"),
        score=0.7,
        group=1,
        trigger=_TITLES,
    ),
    TextPattern(
        "PERSON",
        re.compile(
            rf"(?i:\b(?:my name is|my name's|name is|name:|name|called|named|calls me|signed,?|"
            rf"regards,?|sincerely,?|dear))\s+({_NAME_TOKEN}(?:\s+{_CAP_TOKEN}){{0,2}})"
        ),
        score=0.7,
        group=1,
        trigger=("name", "called", "calls me", "signed", "regards", "sincerely", "dear"),
    ),
    TextPattern(
        "PERSON",
        re.compile(
            rf"\b({_CAP_TOKEN}(?:\s+{_CAP_TOKEN}){{0,2}})(?=\s+(?:{_PERSON_VERBS})\b"
            r"|'s\s+(?:address|phone|email|number))"
        ),
        score=0.7,
        group=1,
        trigger=(
            *(f" {v}" for v in _PERSON_VERBS.split("|")),
            "'s address",
            "'s phone",
            "'s email",
            "'s number",
        ),
    ),
)
"""The fast path's patterns, civicflow's recognizers plus Presidio's pattern entities."""

_DIGIT = re.compile(r"\d")
_NUMBER = re.compile(r"\d(?:[ .-]?\d){8}")

_NOT_NAMES = frozenset(
    [
        "i",
        "you",
        "he",
        "she",
        "we",
        "they",
        "it",
        "the",
        "a",
        "an",
        "this",
        "that",
        "my",
        "your",
        "our",
        "his",
        "her",
        "their",
        "me",
        "us",
        "them",
        "mr",
        "mrs",
        "ms",
        "dr",
        "is",
        "was",
        "are",
        "and",
        "or",
        "but",
        "not",
        "no",
        "yes",
        "please",
        "thanks",
        "thank",
        "hi",
        "hello",
        "dear",
        "sir",
        "madam",
        "all",
        "everyone",
        "someone",
        "anyone",
        "there",
        "here",
        "what",
        "when",
        "where",
        "who",
        "why",
        "how",
        "of",
        "for",
        "to",
        "in",
        "on",
        "at",
        "by",
        "with",
        "as",
        "from",
    ]
)


class TextDetector:
    """The fast path: every pattern over each text, validators on the candidates, overlapping
    findings of the same entity merged, known names (from columns classified as names) found by
    token lookup."""

    def __init__(
        self,
        *,
        patterns: Sequence[TextPattern] = PATTERNS,
        entities: Iterable[str] | None = None,
        known_names: Iterable[str] = (),
        name_dictionary: bool = True,
    ) -> None:
        wanted = None if entities is None else frozenset(entities)
        self.patterns = tuple(p for p in patterns if wanted is None or p.entity in wanted)
        self.entities = frozenset(p.entity for p in self.patterns)
        names = {n.strip().lower() for n in known_names if n and n.strip()}
        self._known_names = frozenset(n for n in names if n not in _NOT_NAMES and len(n) > 1)
        self._known_first = frozenset(n.split()[0] for n in self._known_names)
        self._token = re.compile(_NAME_TOKEN)
        self._first_names = (
            first_names() if name_dictionary and "PERSON" in self.entities else frozenset()
        )

    def analyze(self, text: str) -> list[TextSpan]:
        found: list[TextSpan] = []
        lower = text.lower()
        digit = _DIGIT.search(text) is not None
        number = digit and _NUMBER.search(text) is not None
        for pattern in self.patterns:
            needs = pattern.needs
            if needs is not None and not (
                number if needs == "number" else digit if needs == "digit" else needs in text
            ):
                continue
            if pattern.trigger and not any(k in lower for k in pattern.trigger):
                continue
            for match in pattern.regex.finditer(text):
                start, end = match.span(pattern.group)
                value = text[start:end]
                if pattern.entity == "PERSON" and value.lower() in _NOT_NAMES:
                    continue
                if pattern.validate is not None and not pattern.validate(value):
                    continue
                if pattern.context is not None and not pattern.context.search(
                    text, max(0, start - 40), start
                ):
                    continue
                found.append(TextSpan(pattern.entity, start, end, pattern.score, value))
        if self._known_names and "PERSON" in self.entities:
            found.extend(self._names(text))
        if self._first_names:
            found.extend(self._dictionary_names(text))
        return _resolve(found)

    def analyze_batch(self, texts: Iterable[str]) -> list[list[TextSpan]]:
        return [self.analyze(t) for t in texts]

    def _dictionary_names(self, text: str) -> list[TextSpan]:
        return _dictionary_names_in(text, self._first_names)

    def _names(self, text: str) -> list[TextSpan]:
        spans: list[TextSpan] = []
        tokens = list(self._token.finditer(text))
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token.group().lower() in self._known_first:
                # the longest run of tokens (up to three) that is a known name
                for width in (3, 2, 1):
                    run = tokens[i : i + width]
                    if len(run) < width:
                        continue
                    start, end = run[0].start(), run[-1].end()
                    phrase = " ".join(t.group().lower() for t in run)
                    if phrase in self._known_names:
                        spans.append(TextSpan("PERSON", start, end, 0.85, text[start:end]))
                        i += width - 1
                        break
            i += 1
        return spans


_WORD = re.compile(r"\S+")
_CAPITALISED_RUN = re.compile(rf"\b{_CAP_TOKEN}(?:[ \t]+{_CAP_TOKEN}){{0,2}}")


def _dictionary_names_in(text: str, names: frozenset[str]) -> list[TextSpan]:
    """Runs of capitalised words from the first one that is a known first name."""
    spans: list[TextSpan] = []
    for run in _CAPITALISED_RUN.finditer(text):
        for word in _WORD.finditer(text, run.start(), run.end()):
            if word.group().lower() in names:
                start = word.start()
                spans.append(TextSpan("PERSON", start, run.end(), 0.6, text[start : run.end()]))
                break
    return spans


def _resolve(spans: list[TextSpan]) -> list[TextSpan]:
    """Overlapping findings: of the same entity, one covering span; of different entities, the
    higher score (then the longer span) wins."""
    spans.sort(key=lambda s: (s.start, -s.end))
    kept: list[TextSpan] = []
    for span in spans:
        if kept and span.start < kept[-1].end:
            last = kept[-1]
            if span.entity == last.entity:
                if span.end > last.end:
                    text = last.text + span.text[last.end - span.start :]
                    kept[-1] = TextSpan(last.entity, last.start, span.end, last.score, text)
                continue
            if (span.score, span.end - span.start) > (last.score, last.end - last.start):
                kept[-1] = span
            continue
        kept.append(span)
    return kept
