"""Identifiers: sortable random ids, safe names, and content fingerprints."""

from __future__ import annotations

import hashlib
import os
import re
import time

from civicflow.core._errors import InputError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def new_id(prefix: str = "") -> str:
    """A time-ordered, random, URL-safe id (48-bit milliseconds + 80 random bits, hex)."""
    millis = int(time.time() * 1000)
    return f"{prefix}{millis:012x}{os.urandom(10).hex()}"


def check_name(name: str, *, kind: str = "name") -> str:
    """Validate a user-chosen name (dataset, baseline, workspace) used in paths and URLs."""
    if not _NAME.match(name):
        raise InputError(
            f"'{name}' is not a valid {kind}",
            found=name,
            expected="1-64 characters: letters, digits, '_', '-', '.'; starting with a letter or digit",
            fix=f"choose a {kind} such as 'permits-2024'",
        )
    return name


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
