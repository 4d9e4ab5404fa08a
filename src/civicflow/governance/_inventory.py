"""The small inventory of systems an automation depends on (the readiness scorecard's technology
infrastructure area): name, type, data held, interfaces, hosting, support status and compatibility
with the planned automation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from civicflow.core import InputError, Location, Record, check_choice


class SupportStatus(StrEnum):
    SUPPORTED = "supported"
    EXTENDED = "extended-support"
    END_OF_LIFE = "end-of-life"
    UNKNOWN = "unknown"


class Compatibility(StrEnum):
    COMPATIBLE = "compatible"
    NEEDS_WORK = "needs-work"
    INCOMPATIBLE = "incompatible"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class InfrastructureItem(Record):
    id: str
    name: str
    type: str
    data_held: str = ""
    interfaces: str = ""
    hosting: str = ""
    support: SupportStatus = SupportStatus.UNKNOWN
    compatibility: Compatibility = Compatibility.UNKNOWN
    notes: str = ""
    _json = True

    @property
    def assessed(self) -> bool:
        """Its compatibility with the planned automation is known."""
        return self.compatibility is not Compatibility.UNKNOWN


INVENTORY_FIELDS = (
    "name", "type", "data_held", "interfaces", "hosting", "support", "compatibility", "notes",
)  # fmt: skip


def inventory_item(item_id: str, fields: Mapping[str, Any]) -> InfrastructureItem:
    """An item from its fields, checked: unknown field, empty name or type, unknown support
    status or compatibility is an :class:`InputError` naming the field."""
    clean: dict[str, Any] = {}
    for key, value in fields.items():
        check_choice(key, INVENTORY_FIELDS, what="inventory field", field=key, error=InputError)
        if not isinstance(value, str):
            raise InputError(
                f"inventory field '{key}' is not text",
                where=Location(field=key),
                found=repr(value),
                expected="text",
                fix=f"give {key} as text",
            )
        clean[key] = value.strip()
    for key in ("name", "type"):
        if not clean.get(key):
            raise InputError(
                f"inventory field '{key}' is missing or empty",
                where=Location(field=key),
                found=repr(clean.get(key)),
                expected="non-empty text",
                fix=f"give the system's {key}",
            )
    if "support" in clean:
        check_choice(clean["support"], [s.value for s in SupportStatus], what="support status",
                     field="support", error=InputError)  # fmt: skip
        clean["support"] = SupportStatus(clean["support"])
    if "compatibility" in clean:
        check_choice(clean["compatibility"], [c.value for c in Compatibility],
                     what="compatibility", field="compatibility", error=InputError)  # fmt: skip
        clean["compatibility"] = Compatibility(clean["compatibility"])
    return InfrastructureItem(id=item_id, **clean)


def item_from_dict(data: Mapping[str, Any]) -> InfrastructureItem:
    fields = {k: str(v) for k, v in data.items() if k in INVENTORY_FIELDS and v is not None}
    return inventory_item(str(data["id"]), fields)
