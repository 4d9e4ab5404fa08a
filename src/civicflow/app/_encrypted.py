"""Sensitive application fields encrypted at rest: column types that every use case reads and
writes as plain values while the database holds AES-256-GCM ciphertext.

The key is the pseudonymisation key ring's (setting ``privacy_key_file``, a file outside the
workspace): :meth:`civicflow.privacy.KeyRing.encrypt` under a key derived from it for this purpose
only, each value bound to its ``table.column`` so a ciphertext copied into another field does not
open. A stored value is ``enc1:<key id>:<base64 nonce + ciphertext>``; after a key rotation new
writes use the current key and older values still open with theirs. Without a key ring the values
are stored clear (the data-protection page says so) and an encrypted one refuses to open, naming
the field and the setting. Empty strings stay empty: they hold nothing, and queries such as
``reply != ""`` keep working.

The engine's key ring is found through its dialect (:func:`bind_field_keys`, called by
``AppContext``), read from the file named by the setting at the time of use (so a test or an
operator changing the setting takes effect) and cached while the file is unchanged.

:data:`ENCRYPTED_FIELDS` is the list the migration ``0020_privrest`` encrypts, the erasure scan
decrypts, and ``docs/PRIVACY.md`` explains.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from sqlalchemy import Connection, Engine, Text, TypeDecorator
from sqlalchemy.engine import Dialect

from civicflow.core import ConfigurationError, Location, get_settings
from civicflow.privacy import KeyRing

PREFIX = "enc1:"

ENCRYPTED_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    # table: ((column, "text" | "json"), ...)
    "stakeholders": (("name", "text"), ("organisation", "text"), ("notes", "text")),
    "consultations": (("summary", "text"), ("outcome", "text")),
    "privacy_requests": (
        ("verified_how", "text"), ("extension_reason", "text"), ("outcome", "text"),
    ),
    "assistant_turns": (("question", "text"), ("comment", "text")),
    "assistant_handoffs": (("reply", "text"),),
    "rule_decisions": (("inputs", "json"), ("trace", "json")),
    "rule_reviews": (("reason", "text"),),
    "rule_appeals": (("grounds", "text"), ("inputs", "json"), ("result", "json"), ("reason", "text")),
    "privacy_seal_keys": (("key", "text"),),
}  # fmt: skip
"""Fields holding citizens' personal data (why each, in docs/PRIVACY.md)."""

_ROW_KEYS = {"privacy_seal_keys": ("object_type", "object_id")}

_KEY_FILES: WeakKeyDictionary[Dialect, Callable[[], Path | None]] = WeakKeyDictionary()
_CACHE: dict[tuple[str, int], KeyRing] = {}
_LOCK = threading.Lock()


def bind_field_keys(engine: Engine, key_file: Callable[[], Path | None]) -> None:
    """Make ``engine``'s encrypted fields use the key ring in the file ``key_file()`` names."""
    _KEY_FILES[engine.dialect] = key_file


def field_ring(dialect: Dialect) -> KeyRing | None:
    """The key ring the fields of ``dialect``'s engine are encrypted with (None: none set).
    An engine not opened through ``AppContext`` uses the environment's setting."""
    source = _KEY_FILES.get(dialect)
    path = source() if source is not None else get_settings().privacy_key_file
    if path is None:
        return None
    path = Path(path)
    try:
        stamp = (str(path), path.stat().st_mtime_ns)
    except OSError:
        return KeyRing.read(path)  # raises the ConfigurationError naming the file
    with _LOCK:
        ring = _CACHE.get(stamp)
        if ring is None:
            ring = KeyRing.read(path)
            _CACHE.clear()
            _CACHE[stamp] = ring
        return ring


def is_encrypted(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def encrypt_text(ring: KeyRing, value: str, context: str) -> str:
    """``value`` as stored in the field ``context`` (``table.column``); empty stays empty."""
    if value == "" or is_encrypted(value):
        return value
    return PREFIX + ring.encrypt(value, context=context)


def decrypt_text(ring: KeyRing | None, stored: str, context: str) -> str:
    """The plain value of a stored one (a clear value, from before encryption, as it is)."""
    if not is_encrypted(stored):
        return stored
    if ring is None:
        raise ConfigurationError(
            f"the field {context} is encrypted but no key ring is configured",
            where=Location(field="privacy_key_file"),
            found="no CIVICFLOW_PRIVACY_KEY_FILE",
            expected="the key ring the application database was encrypted with",
            fix="set CIVICFLOW_PRIVACY_KEY_FILE to that key ring's file",
        )
    return ring.decrypt(stored[len(PREFIX) :], context=context)


class EncryptedText(TypeDecorator[str]):
    """A text field encrypted at rest (AES-256-GCM), bound to ``context`` (``table.column``)."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        ring = field_ring(dialect)
        return value if ring is None else encrypt_text(ring, value, self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or not is_encrypted(value):
            return value
        return decrypt_text(field_ring(dialect), value, self.context)

    def __repr__(self) -> str:
        return "EncryptedText()"


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document encrypted at rest (stored as text: its JSON, encrypted)."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        text = json.dumps(value, ensure_ascii=False)
        ring = field_ring(dialect)
        return text if ring is None else encrypt_text(ring, text, self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return json.loads(decrypt_text(field_ring(dialect), value, self.context))

    def __repr__(self) -> str:
        return "EncryptedJSON()"


def rewrite_fields(conn: Connection, *, encrypt: bool = True) -> int:
    """Encrypt (``encrypt``) every stored value of :data:`ENCRYPTED_FIELDS` that is clear or
    under an older key than the current one, or decrypt them all; in ``conn``'s transaction.
    Returns how many values changed. Used by the migration and ``privacy encrypt-fields``."""
    ring = field_ring(conn.dialect)
    if encrypt and ring is None:
        return 0
    count = 0
    for table, fields in ENCRYPTED_FIELDS.items():
        columns = [c for c, _ in fields]
        keys = _ROW_KEYS.get(table, ("id",))
        t = sa.table(table, *(sa.column(k, sa.String()) for k in keys),
                     *(sa.column(c, sa.Text()) for c in columns))  # fmt: skip
        for row in conn.execute(sa.select(t)).mappings().all():
            changed: dict[str, str] = {}
            for column in columns:
                value, context = row[column], f"{table}.{column}"
                if value is None:
                    continue
                if not encrypt:
                    if is_encrypted(value):
                        changed[column] = decrypt_text(ring, value, context)
                    continue
                assert ring is not None
                if is_encrypted(value) and value[len(PREFIX) :].startswith(ring.current + ":"):
                    continue
                plain = decrypt_text(ring, value, context)
                stored = encrypt_text(ring, plain, context)
                if stored != value:
                    changed[column] = stored
            if changed:
                match = sa.and_(*(t.c[k] == row[k] for k in keys))
                conn.execute(sa.update(t).where(match).values(**changed))
                count += len(changed)
    return count
