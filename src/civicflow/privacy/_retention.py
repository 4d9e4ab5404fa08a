"""Retention rules: which cases are past their period and what happens to their data.

A ``RetentionRule`` has a scope (a dataset or every dataset; whole cases, a data category —
direct identifiers, quasi-identifiers, free text, every personal column — or named columns), an
age rule (cases that ended more than N days, months or years ago, measured from the case's last
event or from a date column) and an action:

- ``delete``: the cases are removed (scope: whole cases);
- ``anonymise``: in the cases' rows, direct identifiers are suppressed (emptied), quasi-
  identifiers generalised (dates of birth to the year, postcodes to their area, ages to bands)
  and then suppressed where fewer than ``k`` cases share them, free text redacted;
- ``pseudonymise``: direct identifiers replaced by their keyed pseudonyms;
- ``generalise``: quasi-identifiers generalised.

``enforce`` applies one rule to a dataset's tables in memory and says exactly what changed;
``app`` chains the rules of a dataset in order, shows the result as the dry run and, applied,
writes it as the dataset's next version. Every operation leaves a value it already produced as it
is, so enforcing a rule twice changes nothing the second time.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from civicflow.core import InputError, Location, Record, check_choice
from civicflow.eventlog import CASE_ID, TIMESTAMP
from civicflow.privacy._generalise import age_band, generalise_date, postcode_prefix
from civicflow.privacy._recognizers import DIRECT_IDENTIFIERS, QUASI_IDENTIFIERS, Category
from civicflow.privacy._redact import redact_column
from civicflow.privacy._text import TextDetector
from civicflow.privacy._transform import NOT_CLASSIFIED

EVERY_DATASET = "*"
DELETE, ANONYMISE, PSEUDONYMISE_ACTION, GENERALISE = (
    "delete", "anonymise", "pseudonymise", "generalise",
)  # fmt: skip
ACTIONS = (DELETE, ANONYMISE, PSEUDONYMISE_ACTION, GENERALISE)
CASES = "cases"
"""The scope of ``delete``: the whole cases."""
PERSONAL = "personal"
DIRECT = "direct_identifier"
QUASI = "quasi_identifier"
FREE_TEXT = "free_text"
CATEGORIES = (CASES, PERSONAL, DIRECT, QUASI, FREE_TEXT)
UNITS = ("days", "months", "years")
LAST_EVENT = "last_event"

VALID = {
    DELETE: (CASES,),
    ANONYMISE: (PERSONAL, DIRECT, QUASI, FREE_TEXT),
    PSEUDONYMISE_ACTION: (DIRECT,),
    GENERALISE: (QUASI,),
}
"""The categories each action may be given (any action but ``delete`` also takes columns)."""

PROTECTED_COLUMNS = NOT_CLASSIFIED | {CASE_ID}
"""Never changed by a rule: the case id (the join key) and the event log's core columns."""


def _bad(what: str, field: str, found: object, expected: str, fix: str) -> InputError:
    return InputError(
        what, where=Location(field=field), found=str(found), expected=expected, fix=fix
    )


def subtract(day: date, amount: int, unit: str) -> date:
    """``day`` minus ``amount`` days, calendar months or years (the 29th of February of a year
    without one becomes the 28th)."""
    if unit == "days":
        return day - timedelta(days=amount)
    months = amount * (12 if unit == "years" else 1)
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    import calendar

    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@dataclass(frozen=True, slots=True, kw_only=True)
class RetentionRule(Record):
    """One retention policy's rule (see the module docstring). Checked when made: each bad field
    is named with its value."""

    _json = True

    older_than: int
    unit: str = "days"
    action: str = DELETE
    category: str = CASES
    columns: tuple[str, ...] = ()
    """Named columns instead of a category (not with ``delete``)."""
    dataset: str = EVERY_DATASET
    measured_from: str = LAST_EVENT
    """``last_event``, or a date column (event or case attribute) whose latest value per case
    is the case's end."""
    k: int = 5
    """``anonymise``: quasi-identifier combinations held by fewer cases are suppressed."""

    def __post_init__(self) -> None:
        if isinstance(self.columns, list):
            object.__setattr__(self, "columns", tuple(self.columns))
        if self.action == "drop":  # the name of delete before policies had actions
            object.__setattr__(self, "action", DELETE)
        check_choice(self.action, ACTIONS, what="retention action", field="action",
                     error=InputError)  # fmt: skip
        check_choice(self.unit, UNITS, what="age unit", field="unit", error=InputError)
        if self.older_than < 1:
            raise _bad(
                "a retention period is at least one day, month or year", "older_than",
                self.older_than, "a whole number of days, months or years, 1 or more",
                "give the period the retention schedule sets, e.g. 7 years",
            )  # fmt: skip
        if self.columns:
            if self.action == DELETE:
                raise _bad(
                    "delete removes whole cases: it does not take columns", "columns",
                    ", ".join(self.columns), "no columns (scope: cases)",
                    "drop the columns, or anonymise or pseudonymise them instead",
                )  # fmt: skip
            bad = [c for c in self.columns if not c.strip() or c in PROTECTED_COLUMNS]
            if bad:
                raise _bad(
                    "a retention rule cannot change these columns", "columns", ", ".join(bad),
                    "attribute columns (not the case id, activity or times)",
                    "name the columns holding personal data",
                )  # fmt: skip
        else:
            check_choice(self.category, CATEGORIES, what="data category", field="category",
                         error=InputError)  # fmt: skip
            if self.category not in VALID[self.action]:
                raise _bad(
                    f"the action {self.action} is not valid for the category {self.category}",
                    "category", self.category,
                    f"for {self.action}: " + " or ".join(VALID[self.action]) + " (or columns)",
                    "delete takes whole cases; pseudonymise direct identifiers; generalise "
                    "quasi-identifiers; anonymise any category of personal data",
                )  # fmt: skip
        if self.k < 1:
            raise _bad("k is at least 1", "k", self.k, "a whole number, 1 or more", "use k=5")
        if not self.dataset.strip() or len(self.dataset) > 64:
            raise _bad(
                "a retention rule names a dataset, or * for every dataset", "dataset",
                repr(self.dataset[:70]), "a dataset's name (1 to 64 characters) or *",
                "list the datasets with `civicflow datasets list`",
            )  # fmt: skip
        if not self.measured_from.strip():
            raise _bad(
                "a retention rule measures age from the last event or a date column",
                "measured_from", repr(self.measured_from), "last_event or a column name",
                "leave it at last_event",
            )  # fmt: skip

    def cutoff(self, today: date) -> date:
        """Cases that ended before this day are past their period."""
        return subtract(today, self.older_than, self.unit)

    @property
    def scope(self) -> str:
        return ", ".join(self.columns) if self.columns else self.category

    def describe(self) -> str:
        age = f"{self.older_than} {self.unit if self.older_than != 1 else self.unit[:-1]}"
        start = "their last event" if self.measured_from == LAST_EVENT else self.measured_from
        return f"{self.action} {self.scope} of cases older than {age} (from {start})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "older_than": self.older_than, "unit": self.unit, "action": self.action,
            "category": self.category, "columns": list(self.columns), "dataset": self.dataset,
            "measured_from": self.measured_from, "k": self.k,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RetentionRule:
        return cls(
            older_than=int(data["older_than"]), unit=str(data.get("unit", "days")),
            action=str(data.get("action", DELETE)), category=str(data.get("category", CASES)),
            columns=tuple(str(c) for c in data.get("columns") or ()),
            dataset=str(data.get("dataset", EVERY_DATASET)),
            measured_from=str(data.get("measured_from", LAST_EVENT)), k=int(data.get("k", 5)),
        )  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class ColumnChange(Record):
    """What a rule changed (or would change) in one column of the cases past their period."""

    _json = True

    table: str
    column: str
    category: str
    operation: str
    """``suppressed``, ``generalised``, ``k-suppressed``, ``redacted`` or ``pseudonymised``."""
    values: int
    """Cells changed."""
    entities: dict[str, int] | None = None
    """Redaction: spans replaced per entity type (never the values)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RetentionEffect(Record):
    """One rule on one dataset: the cases past the period, and what it changed in them."""

    _json = True

    cutoff: date
    cases: int
    """Cases past the period."""
    events: int
    """Their events."""
    cases_total: int
    events_removed: int = 0
    cases_removed: int = 0
    columns: tuple[ColumnChange, ...] = ()
    skipped: tuple[str, ...] = ()
    """Columns of the scope the dataset does not have (a rule for every dataset)."""

    @property
    def changed(self) -> bool:
        return bool(self.events_removed or any(c.values for c in self.columns))

    _extra = ("changed",)


def _end_dates(events: pa.Table, cases: pa.Table | None, column: str) -> pa.Table:
    """Each case's end: its latest value of ``column`` (``last_event``: the timestamp) as a
    table of case id and ``end`` (a UTC-naive timestamp; cases without a value are left out)."""
    name = TIMESTAMP if column == LAST_EVENT else column
    source: pa.Table | None = None
    for table in (events, cases):
        if table is not None and name in table.column_names:
            source = table
            break
        if table is not None and f"case:{name}" in table.column_names:
            source, name = table, f"case:{name}"
            break
    if source is None:
        raise _bad(
            f"the dataset has no column '{column}' to measure the cases' age from",
            "measured_from", column, "last_event or a date column of the dataset",
            "name a date column (events or case attributes) or use last_event",
        )  # fmt: skip
    values = source.column(name)
    if pa.types.is_timestamp(values.type):
        values = values.cast(pa.timestamp("us", tz=values.type.tz), safe=False)
        if values.type.tz is not None:
            values = pc.local_timestamp(values)
    elif pa.types.is_date(values.type):
        values = values.cast(pa.timestamp("us"))
    else:
        text = pc.utf8_slice_codeunits(pc.cast(values, pa.string()), 0, 10)
        values = pc.strptime(text, format="%Y-%m-%d", unit="us", error_is_null=True)
    frame = pa.table({CASE_ID: source.column(CASE_ID), "end": values}).filter(pc.is_valid(values))
    return frame.group_by(CASE_ID, use_threads=False).aggregate([("end", "max")])


def due_cases(
    events: pa.Table, cases: pa.Table | None, rule: RetentionRule, *, today: date
) -> pa.Array:
    """The ids of the cases that ended before ``rule.cutoff(today)``."""
    ends = _end_dates(events, cases, rule.measured_from)
    cutoff = rule.cutoff(today)
    bound = pa.scalar(datetime(cutoff.year, cutoff.month, cutoff.day), pa.timestamp("us"))
    old = ends.filter(pc.less(ends.column("end_max"), bound))
    return old.column(CASE_ID).combine_chunks()


# -- column operations over the rows of the cases past their period --------------------------

_YEAR = re.compile(r"\d{4}")
_BAND = re.compile(r"\d+-\d+|\d+\+")
_AREA = re.compile(r"[A-Z]{1,2}\d[A-Z\d]?|\d{3,4}|[A-Z]\d[A-Z]")


def generalise_value(value: str, category: str) -> str | None:
    """``value`` generalised for its ``category`` — a date of birth (or any date) to its year, a
    postcode to its area, a number (an age) to a ten-year band — or None when it cannot be read
    (withheld rather than kept). A value already generalised stays as it is."""
    text = value.strip()
    if _YEAR.fullmatch(text) or _BAND.fullmatch(text):
        return text
    if category == Category.POSTCODE.value:
        if _AREA.fullmatch(text.upper()):
            return text.upper()
        try:
            return postcode_prefix(text)
        except InputError:
            return None
    try:
        return age_band(int(float(text)))
    except (ValueError, InputError):
        pass
    try:
        return generalise_date(text, level="year")
    except InputError:
        return None


def _generalised(value: str, *, category: str) -> str | None:
    return generalise_value(value, category)


def _mapped(
    column: pa.ChunkedArray, mask: pa.ChunkedArray | pa.Array, fn: Callable[[str], str | None]
) -> pa.ChunkedArray:
    """``column`` with ``fn`` applied to the distinct values of the masked rows (as text)."""
    text = column if pa.types.is_string(column.type) else pc.cast(column, pa.string())
    picked = pc.if_else(mask, text, pa.scalar(None, pa.string()))
    encoded = pc.dictionary_encode(
        picked.combine_chunks() if isinstance(picked, pa.ChunkedArray) else picked
    )
    mapped = pa.array([fn(v) for v in encoded.dictionary.to_pylist()], pa.string())
    new = mapped.take(encoded.indices)
    return pa.chunked_array([pc.if_else(mask, new, text.combine_chunks())])


def _changed(old: pa.ChunkedArray, new: pa.ChunkedArray, mask: Any) -> int:
    old_text = old if pa.types.is_string(old.type) else pc.cast(old, pa.string())
    same = pc.fill_null(pc.equal(old_text, new), False)
    both_null = pc.and_(pc.is_null(old_text), pc.is_null(new))
    differs = pc.and_(mask, pc.invert(pc.or_(same, both_null)))
    return int(pc.sum(pc.cast(differs, pa.int64())).as_py() or 0)


def _set(table: pa.Table, name: str, values: pa.ChunkedArray) -> pa.Table:
    index = table.schema.get_field_index(name)
    return table.set_column(index, pa.field(name, values.type, True), values)


def _suppress(column: pa.ChunkedArray, mask: Any) -> pa.ChunkedArray:
    return pa.chunked_array(
        [pc.if_else(mask, pa.scalar(None, column.type), column.combine_chunks())]
    )


def _k_suppress(table: pa.Table, columns: Sequence[str], mask: Any, k: int) -> pa.Array:
    """The rows (of the masked ones) whose quasi-identifiers must be suppressed so that every
    combination left among the masked rows is shared by at least ``k`` cases (the smallest
    groups first, until the suppressed rows are themselves ``k`` cases or none)."""
    rows = pa.table(
        {CASE_ID: table.column(CASE_ID), "_row": pa.array(range(table.num_rows), pa.int64())}
        | {f"q{i}": pc.cast(table.column(c), pa.string()) for i, c in enumerate(columns)}
    ).filter(mask)
    keys = [f"q{i}" for i in range(len(columns))]
    groups = rows.group_by(keys, use_threads=False).aggregate([(CASE_ID, "count_distinct")])
    sizes = sorted(
        zip(groups.column(f"{CASE_ID}_count_distinct").to_pylist(), range(groups.num_rows),
            strict=True)
    )  # fmt: skip
    drop: list[int] = []
    suppressed = 0
    for size, index in sizes:
        if size >= k and (suppressed == 0 or suppressed >= k):
            break
        drop.append(index)
        suppressed += size
    if not drop:
        return pa.array([False] * table.num_rows)
    chosen = groups.take(pa.array(drop))
    marked = rows.join(chosen.select(keys), keys=keys, join_type="inner")
    hit = pc.is_in(pa.array(range(table.num_rows), pa.int64()), value_set=marked.column("_row"))
    return hit


def _chunk(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _categories(
    table: pa.Table, kind: str, classification: Mapping[str, Mapping[str, str]]
) -> dict[str, str]:
    own = classification.get(kind, {})
    other = classification.get("cases" if kind == "events" else "events", {})
    out: dict[str, str] = {}
    for name in table.column_names:
        bare = name.removeprefix("case:")
        category = own.get(name) or own.get(bare) or other.get(bare) or other.get(f"case:{bare}")
        out[name] = category or Category.NONE.value
    return out


def _in_scope(rule: RetentionRule, name: str, category: str) -> bool:
    if name in PROTECTED_COLUMNS:
        return False
    if rule.columns:
        return name in rule.columns or name.removeprefix("case:") in rule.columns
    direct = {c.value for c in DIRECT_IDENTIFIERS}
    quasi = {c.value for c in QUASI_IDENTIFIERS}
    if rule.category == DIRECT:
        return category in direct
    if rule.category == QUASI:
        return category in quasi
    if rule.category == FREE_TEXT:
        return category == Category.FREE_TEXT.value
    return category != Category.NONE.value  # personal


def _operation(rule: RetentionRule, category: str) -> str:
    """What ``rule`` does to a column of ``category`` in its scope."""
    if rule.action == PSEUDONYMISE_ACTION:
        return "pseudonymised"
    if rule.action == GENERALISE:
        return "generalised"
    if category == Category.FREE_TEXT.value:
        return "redacted"
    if category in {c.value for c in QUASI_IDENTIFIERS}:
        return "generalised"
    return "suppressed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Enforcement:
    """A rule applied to a dataset's tables: the new tables and what changed."""

    events: pa.Table
    cases: pa.Table | None
    effect: RetentionEffect


def enforce(
    events: pa.Table,
    cases: pa.Table | None,
    rule: RetentionRule,
    *,
    today: date,
    classification: Mapping[str, Mapping[str, str]],
    pseudonym: Callable[[str], str] | None = None,
    is_pseudonym: Callable[[str], bool] | None = None,
    detector: TextDetector | None = None,
) -> Enforcement:
    """Apply ``rule`` to ``events`` and ``cases`` (see the module docstring): ``classification``
    is each table's column → category (``events``/``cases``); ``pseudonym`` makes a value's
    pseudonym (needed by ``pseudonymise``), ``is_pseudonym`` recognises one already made."""
    events = events.combine_chunks()
    cases = None if cases is None else cases.combine_chunks()
    due = due_cases(events, cases, rule, today=today)
    cutoff = rule.cutoff(today)
    case_ids = pc.unique(events.column(CASE_ID))
    due = due.cast(events.column(CASE_ID).type)
    event_mask = _chunk(pc.is_in(events.column(CASE_ID), value_set=due))
    n_events = int(pc.sum(pc.cast(event_mask, pa.int64())).as_py() or 0)
    base = RetentionEffect(
        cutoff=cutoff, cases=len(due), events=n_events, cases_total=len(case_ids)
    )
    if rule.action == DELETE:
        if not len(due):
            return Enforcement(events=events, cases=cases, effect=base)
        kept = events.filter(pc.invert(event_mask))
        kept_cases = None
        if cases is not None:
            kept_cases = cases.filter(
                pc.invert(
                    pc.is_in(cases.column(CASE_ID), value_set=due.cast(cases.column(CASE_ID).type))
                )
            )
        effect = dataclasses.replace(base, events_removed=n_events, cases_removed=len(due))
        return Enforcement(events=kept, cases=kept_cases, effect=effect)
    if rule.action == PSEUDONYMISE_ACTION and pseudonym is None:
        raise _bad(
            "pseudonymising needs the key ring", "action", rule.action,
            "the setting privacy_key_file pointing at the key ring",
            "configure the key ring, or anonymise instead",
        )  # fmt: skip
    changes: list[ColumnChange] = []
    tables: dict[str, pa.Table | None] = {"events": events, "cases": cases}
    seen: set[str] = set()
    for kind in ("events", "cases"):
        table = tables[kind]
        if table is None:
            continue
        mask = (
            event_mask
            if kind == "events"
            else _chunk(
                pc.is_in(table.column(CASE_ID), value_set=due.cast(table.column(CASE_ID).type))
            )
        )
        categories = _categories(table, kind, classification)
        scope = [n for n in table.column_names if _in_scope(rule, n, categories[n])]
        seen.update(n.removeprefix("case:") for n in scope)
        quasi: list[str] = []
        for name in scope:
            category = categories[name]
            operation = _operation(rule, category)
            old = table.column(name)
            entities: dict[str, int] | None = None
            if operation == "suppressed":
                new = _suppress(old, mask)
            elif operation == "generalised":
                new = _mapped(old, mask, functools.partial(_generalised, category=category))
                quasi.append(name)
            elif operation == "pseudonymised":
                assert pseudonym is not None

                def pseudo(v: str) -> str:
                    return v if is_pseudonym is not None and is_pseudonym(v) else pseudonym(v)

                new = _mapped(old, mask, pseudo)
            else:
                redacted, counts = redact_column(
                    pc.if_else(mask, old if pa.types.is_string(old.type) else pc.cast(old, pa.string()),
                               pa.scalar(None, pa.string())),
                    detector or TextDetector(),
                )  # fmt: skip
                text = old if pa.types.is_string(old.type) else pc.cast(old, pa.string())
                new = pa.chunked_array(
                    [pc.if_else(mask, redacted.combine_chunks(), text.combine_chunks())]
                )
                entities = dict(sorted(counts.items()))
            values = _changed(old, new, mask)
            if values:
                table = _set(table, name, new)
            changes.append(
                ColumnChange(table=kind, column=name, category=category, operation=operation,
                             values=values, entities=entities)
            )  # fmt: skip
        if rule.action == ANONYMISE and quasi and len(due):
            hit = _k_suppress(table, quasi, mask, rule.k)
            for name in quasi:
                old = table.column(name)
                new = _suppress(old, hit)
                values = _changed(old, new, mask)
                if values:
                    table = _set(table, name, new)
                    changes.append(
                        ColumnChange(table=kind, column=name, category=categories[name],
                                     operation="k-suppressed", values=values)
                    )  # fmt: skip
        tables[kind] = table
    skipped = tuple(c for c in rule.columns if c not in seen)
    effect = dataclasses.replace(base, columns=tuple(changes), skipped=skipped)
    out_events = tables["events"]
    assert out_events is not None
    return Enforcement(events=out_events, cases=tables["cases"], effect=effect)


def entity_totals(changes: Sequence[ColumnChange]) -> dict[str, int]:
    """Spans redacted per entity over ``changes``."""
    total: Counter[str] = Counter()
    for c in changes:
        total.update(c.entities or {})
    return dict(sorted(total.items()))
