"""The register of automated and AI systems: what each system is for, on what legal basis, who
owns it, whom it affects, the data and model it uses, how people oversee it, where it stands in its
lifecycle (with who moved it and why) and the assessments linked to it.

Entries are values; ``civicflow.app`` stores them, checks roles and writes the ledger.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from civicflow.core import InputError, Location, Record, check_choice


class Oversight(StrEnum):
    """How people take part in the system's decisions."""

    IN_THE_LOOP = "in-the-loop"  # a person decides every case, the system supports
    ON_THE_LOOP = "on-the-loop"  # the system decides, a person monitors and can intervene
    OUT_OF_THE_LOOP = "out-of-the-loop"  # the system decides without a person


class Lifecycle(StrEnum):
    PROPOSED = "proposed"
    ASSESSED = "assessed"
    PILOTED = "piloted"
    LIVE = "live"
    RETIRED = "retired"


MOVES: Mapping[Lifecycle, frozenset[Lifecycle]] = {
    Lifecycle.PROPOSED: frozenset({Lifecycle.ASSESSED, Lifecycle.RETIRED}),
    Lifecycle.ASSESSED: frozenset(
        {Lifecycle.PILOTED, Lifecycle.LIVE, Lifecycle.PROPOSED, Lifecycle.RETIRED}
    ),
    Lifecycle.PILOTED: frozenset({Lifecycle.LIVE, Lifecycle.ASSESSED, Lifecycle.RETIRED}),
    Lifecycle.LIVE: frozenset({Lifecycle.ASSESSED, Lifecycle.RETIRED}),
    Lifecycle.RETIRED: frozenset(),
}
"""The lifecycle's allowed moves: forward (a pilot may be skipped), back to assessment after a
change, and retirement at any point; a retired system stays retired (register a new entry)."""

OVERSIGHT_TEXT = {
    Oversight.IN_THE_LOOP: "A person makes every decision; the system's output supports them.",
    Oversight.ON_THE_LOOP: (
        "The system makes decisions; a person monitors them and can intervene or override."
    ),
    Oversight.OUT_OF_THE_LOOP: "The system makes decisions without a person's involvement.",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
REQUIRED = ("name", "purpose", "legal_basis", "owner", "senior_responsible_owner")


@dataclass(frozen=True, slots=True)
class LifecycleMove(Record):
    """One move of the lifecycle: from, to, who and why, when."""

    from_status: Lifecycle | None
    to_status: Lifecycle
    by: str
    reason: str
    at: datetime
    _json = True


@dataclass(frozen=True, slots=True)
class AssessmentLink(Record):
    """An assessment (AIA, AI Act, DPIA, NIST profile, fairness audit, pilot) linked to an entry,
    with the one line a transparency record shows of it."""

    kind: str
    ref: str
    summary: str
    at: datetime | None = None
    _json = True


@dataclass(frozen=True, slots=True)
class RegisterEntry(Record):
    """One automated or AI system. ``details``: further transparency-record text by ATRS v3.0
    attribute key (``benefit``, ``alternatives_considered``, ``risks_and_mitigations`` …)."""

    id: str
    name: str
    purpose: str
    legal_basis: str
    owner: str
    senior_responsible_owner: str
    affected_people: str = ""
    datasets: tuple[str, ...] = ()
    model_type: str = ""
    model_version: str = ""
    oversight: Oversight = Oversight.IN_THE_LOOP
    status: Lifecycle = Lifecycle.PROPOSED
    organisation: str = ""
    team: str = ""
    description: str = ""
    contact_email: str = ""
    website_url: str = ""
    published: bool = False
    details: Mapping[str, str] = field(default_factory=dict)
    history: tuple[LifecycleMove, ...] = ()
    assessments: tuple[AssessmentLink, ...] = ()
    _json = True


def new_entry(
    *, id: str, by: str, at: datetime, reason: str = "registered", **fields: Any
) -> RegisterEntry:
    """A new entry, proposed, after :func:`check_entry_fields`; its history starts with the move
    into ``proposed``."""
    clean = check_entry_fields(fields, partial=False)
    entry = RegisterEntry(id=id, **clean)
    move = LifecycleMove(None, Lifecycle.PROPOSED, by, reason, at)
    return replace(entry, status=Lifecycle.PROPOSED, history=(move,))


EDITABLE = (
    "name", "purpose", "legal_basis", "owner", "senior_responsible_owner", "affected_people",
    "datasets", "model_type", "model_version", "oversight", "organisation", "team", "description",
    "contact_email", "website_url", "published", "details",
)  # fmt: skip


def check_entry_fields(fields: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """Check and normalise entry fields: an unknown field, an empty required one, an unknown
    oversight, a malformed e-mail or URL is an :class:`InputError` naming the field."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        check_choice(key, EDITABLE, what="register field", field=key, error=InputError)
        out[key] = _field(key, value)
    if not partial:
        for key in REQUIRED:
            if not out.get(key):
                raise _error(
                    key, None, "non-empty text", f"give the system's {key.replace('_', ' ')}"
                )
    else:
        for key in REQUIRED:
            if key in out and not out[key]:
                raise _error(key, out[key], "non-empty text", f"keep a {key.replace('_', ' ')}")
    return out


def _field(key: str, value: Any) -> Any:
    if key == "datasets":
        items = [value] if isinstance(value, str) else list(value or [])
        return tuple(str(i).strip() for i in items if str(i).strip())
    if key == "oversight":
        check_choice(str(value), [o.value for o in Oversight], what="oversight", field=key,
                     error=InputError)  # fmt: skip
        return Oversight(str(value))
    if key == "published":
        if not isinstance(value, bool):
            raise _error(key, value, "true or false", "say whether the record is published")
        return value
    if key == "details":
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise _error(key, value, "text by ATRS attribute key", "pass {'benefit': '…', …}")
        return dict(value)
    if not isinstance(value, str):
        raise _error(key, value, "text", f"give {key} as text")
    text = value.strip()
    if key == "contact_email" and text and not _EMAIL.match(text):
        raise _error(key, text, "an e-mail address", "give a contact address such as ai@agency.gov")
    if key == "website_url" and text and not text.startswith(("https://", "http://")):
        raise _error(key, text, "an http(s) address", "give the page's full address")
    return text


def _error(key: str, value: Any, expected: str, fix: str) -> InputError:
    return InputError(
        f"register field '{key}' is not valid",
        where=Location(field=key),
        found=repr(value),
        expected=expected,
        fix=fix,
    )


def edit_entry(entry: RegisterEntry, **fields: Any) -> RegisterEntry:
    """The entry with ``fields`` changed (checked as :func:`check_entry_fields`)."""
    return replace(entry, **check_entry_fields(fields, partial=True))


def move_entry(
    entry: RegisterEntry, to: Lifecycle | str, *, by: str, reason: str, at: datetime
) -> RegisterEntry:
    """Move the entry along its lifecycle (:data:`MOVES`). A reason is required; moving to
    ``assessed`` needs a linked assessment."""
    check_choice(str(to), [s.value for s in Lifecycle], what="lifecycle status", field="to",
                 error=InputError)  # fmt: skip
    target = Lifecycle(str(to))
    if target not in MOVES[entry.status]:
        allowed = sorted(s.value for s in MOVES[entry.status]) or ["(none: retired is final)"]
        raise InputError(
            f"'{entry.name}' cannot move from {entry.status.value} to {target.value}",
            where=Location(field="to"),
            found=target.value,
            expected=", ".join(allowed),
            fix="move it through the lifecycle: proposed, assessed, piloted, live, retired",
        )
    if not reason.strip():
        raise InputError(
            "a lifecycle move needs a reason",
            where=Location(field="reason"),
            found=repr(reason),
            expected="why the system moves",
            fix="say why, for the record (--reason)",
        )
    if target is Lifecycle.ASSESSED and not entry.assessments:
        raise InputError(
            f"'{entry.name}' has no linked assessment",
            where=Location(field="to"),
            found="assessed",
            expected="at least one linked impact assessment (AIA, AI Act, DPIA)",
            fix="run and link an assessment first",
        )
    move = LifecycleMove(entry.status, target, by, reason.strip(), at)
    return replace(entry, status=target, history=(*entry.history, move))


def link_assessment(entry: RegisterEntry, link: AssessmentLink) -> RegisterEntry:
    return replace(entry, assessments=(*entry.assessments, link))


def entry_from_dict(data: Mapping[str, Any]) -> RegisterEntry:
    """An entry from its ``to_dict()`` (as stored)."""

    def when(value: Any) -> datetime | None:
        return None if value is None else datetime.fromisoformat(str(value))

    history = tuple(
        LifecycleMove(
            None if m["from_status"] is None else Lifecycle(m["from_status"]),
            Lifecycle(m["to_status"]),
            str(m["by"]),
            str(m["reason"]),
            when(m["at"]) or datetime.min,
        )
        for m in data.get("history", [])
    )
    links = tuple(
        AssessmentLink(str(a["kind"]), str(a["ref"]), str(a["summary"]), when(a.get("at")))
        for a in data.get("assessments", [])
    )
    fields = {k: data[k] for k in EDITABLE if k in data}
    fields["datasets"] = tuple(fields.get("datasets", ()))
    fields["oversight"] = Oversight(fields.get("oversight", Oversight.IN_THE_LOOP.value))
    fields["details"] = dict(fields.get("details", {}))
    return RegisterEntry(
        id=str(data["id"]),
        status=Lifecycle(data.get("status", Lifecycle.PROPOSED.value)),
        history=history,
        assessments=links,
        **fields,
    )


def replace_link(entry: RegisterEntry, link: AssessmentLink) -> RegisterEntry:
    """The entry with ``link`` in place of any earlier link to the same assessment."""
    kept = tuple(a for a in entry.assessments if a.ref != link.ref)
    return replace(entry, assessments=(*kept, link))
