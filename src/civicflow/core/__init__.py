"""Settings, errors, ids and the clock: the base every other package stands on. No heavy imports."""

from civicflow.core._clock import check_timezone, set_clock, utcnow
from civicflow.core._csv import csv_cell, write_csv
from civicflow.core._errors import (
    CivicflowError,
    ConfigurationError,
    ConflictError,
    InputError,
    Location,
    NotFoundError,
    PermissionDeniedError,
    RejectedRow,
    check_choice,
)
from civicflow.core._ids import check_name, new_id, sha256_hex
from civicflow.core._locks import OwnerLock, remove_if_abandoned, size_of
from civicflow.core._net import ip_networks
from civicflow.core._paths import SubPath
from civicflow.core._record import Record, json_value
from civicflow.core._settings import Settings, get_settings

__all__ = [
    "CivicflowError",
    "ConfigurationError",
    "ConflictError",
    "InputError",
    "Location",
    "NotFoundError",
    "OwnerLock",
    "PermissionDeniedError",
    "Record",
    "RejectedRow",
    "Settings",
    "SubPath",
    "check_choice",
    "check_name",
    "check_timezone",
    "csv_cell",
    "get_settings",
    "ip_networks",
    "json_value",
    "new_id",
    "remove_if_abandoned",
    "set_clock",
    "sha256_hex",
    "size_of",
    "utcnow",
    "write_csv",
]
