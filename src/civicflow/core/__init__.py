"""Settings, errors, ids and the clock: the base every other package stands on. No heavy imports."""

from civicflow.core._clock import set_clock, utcnow
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
)
from civicflow.core._ids import check_name, new_id, sha256_hex
from civicflow.core._settings import Settings, get_settings

__all__ = [
    "CivicflowError",
    "ConfigurationError",
    "ConflictError",
    "InputError",
    "Location",
    "NotFoundError",
    "PermissionDeniedError",
    "RejectedRow",
    "Settings",
    "check_name",
    "csv_cell",
    "get_settings",
    "new_id",
    "set_clock",
    "sha256_hex",
    "utcnow",
    "write_csv",
]
