"""Keyed pseudonyms (HMAC-SHA-256) with key ids and rotation, and the vault's sealing (AES-GCM).

The key ring is a JSON file kept outside the workspace (setting ``privacy_key_file``)::

    {"current": "k2", "keys": {"k1": "<base64 32 bytes>", "k2": "<base64 32 bytes>"}}

A pseudonym is ``<key id>_<26 base32 characters of HMAC-SHA-256(key, normalised value)>``: the same
value gives the same pseudonym in every dataset pseudonymised under the same key, so joins still
work; nobody without the key can compute or invert it. Rotation adds a key and makes it current:
new pseudonyms use it, old ones still say which key made them (``KeyRing.matches`` checks a value
against any pseudonym). Re-identification goes through the vault only: each original value sealed
with AES-GCM under a key derived from the ring (HKDF), bound to its pseudonym as associated data.
The application's sensitive fields are encrypted the same way (``encrypt``/``decrypt``) under a
second key derived from the ring for that purpose only, bound to the field they belong to.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from civicflow.core import ConfigurationError, InputError, Location

_KEY_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,15}")
_SEPARATORS = re.compile(r"[\s.\-/()]+")


def normalise(value: str) -> str:
    """The form a value is pseudonymised in: Unicode NFKC, case-folded, whitespace collapsed;
    for values that are mostly digits (identifiers, phone numbers) separators dropped, so
    ``111 222 333`` and ``111222333`` get one pseudonym."""
    text = " ".join(unicodedata.normalize("NFKC", value).casefold().split())
    digits = sum(ch.isdigit() for ch in text)
    if digits and digits >= len(text.replace(" ", "")) * 0.6:
        text = _SEPARATORS.sub("", text)
    return text


@functools.lru_cache(maxsize=16)
def _field_cipher(key: bytes) -> AESGCM:
    """The field-encryption cipher of a ring key (HKDF, its own purpose), derived once per key:
    every encrypted field read or written uses it."""
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"civicflow field encryption"
    ).derive(key)
    return AESGCM(derived)


def _key_error(path: Path | None, what: str, found: str) -> ConfigurationError:
    return ConfigurationError(
        what,
        where=Location(file=None if path is None else str(path), field="privacy_key_file"),
        found=found,
        expected='JSON {"current": "k1", "keys": {"k1": "<base64 of 32 random bytes>"}}',
        fix="create one with `civicflow privacy keygen PATH` and set CIVICFLOW_PRIVACY_KEY_FILE",
    )


@dataclass(frozen=True, slots=True)
class KeyRing:
    """Pseudonymisation keys by id; ``current`` makes new pseudonyms."""

    current: str
    keys: dict[str, bytes] = field(repr=False)

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise _key_error(None, "the current key is not in the key ring", self.current)
        for key_id, key in self.keys.items():
            if not _KEY_ID.fullmatch(key_id):
                raise _key_error(None, "a key id is not a short lower-case name", key_id)
            if len(key) < 32:
                raise _key_error(
                    None, f"key '{key_id}' is shorter than 32 bytes", f"{len(key)} bytes"
                )

    @classmethod
    def generate(cls, key_id: str = "k1") -> KeyRing:
        return cls(current=key_id, keys={key_id: secrets.token_bytes(32)})

    def rotated(self, key_id: str) -> KeyRing:
        """A ring with a new random key ``key_id`` made current (the old keys kept)."""
        if key_id in self.keys:
            raise _key_error(None, f"the key id '{key_id}' is already in the ring", key_id)
        return KeyRing(current=key_id, keys={**self.keys, key_id: secrets.token_bytes(32)})

    @classmethod
    def read(cls, path: Path) -> KeyRing:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            keys = {str(k): base64.b64decode(v, validate=True) for k, v in data["keys"].items()}
            return cls(current=str(data["current"]), keys=keys)
        except ConfigurationError as exc:
            raise _key_error(path, exc.what, exc.found or "") from exc
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise _key_error(
                path, "cannot read the pseudonymisation key ring", type(exc).__name__
            ) from exc

    def write(self, path: Path) -> None:
        """Write the ring readable by its owner only (atomically replaced)."""
        data = {
            "current": self.current,
            "keys": {k: base64.b64encode(v).decode() for k, v in self.keys.items()},
        }
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
        os.replace(tmp, path)

    def pseudonym(self, value: str, *, key_id: str | None = None) -> str:
        """``value``'s pseudonym under ``key_id`` (default: the current key)."""
        key_id = key_id or self.current
        key = self.keys.get(key_id)
        if key is None:
            raise _key_error(None, f"no key '{key_id}' in the ring", key_id)
        digest = hmac.new(key, normalise(value).encode("utf-8"), hashlib.sha256).digest()
        return f"{key_id}_{base64.b32encode(digest).decode()[:26].lower()}"

    def matches(self, value: str, pseudonym: str) -> bool:
        """Whether ``pseudonym`` (made with any key of the ring) is ``value``'s."""
        key_id = pseudonym.split("_", 1)[0]
        if key_id not in self.keys:
            return False
        return hmac.compare_digest(self.pseudonym(value, key_id=key_id), pseudonym)

    def _vault_key(self, key_id: str) -> bytes:
        return HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"civicflow privacy vault"
        ).derive(self.keys[key_id])

    def _field_key(self, key_id: str) -> AESGCM:
        return _field_cipher(self.keys[key_id])

    def encrypt(self, value: str, *, context: str) -> str:
        """``value`` encrypted at rest (AES-256-GCM under the current key's field key), bound to
        ``context`` (e.g. ``stakeholders.name``) so it opens in no other field; text form
        ``<key id>:<base64 nonce + ciphertext>``."""
        nonce = secrets.token_bytes(12)
        sealed = self._field_key(self.current).encrypt(
            nonce, value.encode("utf-8"), context.encode("utf-8")
        )
        return f"{self.current}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, *, context: str) -> str:
        """The value :meth:`encrypt` sealed in ``token`` for ``context``; refused (naming the
        field, never the value) if the key is missing, the token altered or another field's."""
        key_id, _, body = token.partition(":")
        if key_id not in self.keys:
            raise _key_error(
                None, f"a value of {context} was encrypted with key '{key_id}', not in the ring",
                key_id,
            )  # fmt: skip
        try:
            raw = base64.b64decode(body, validate=True)
            plain = self._field_key(key_id).decrypt(raw[:12], raw[12:], context.encode("utf-8"))
        except (InvalidTag, ValueError) as exc:
            raise InputError(
                f"an encrypted value of {context} does not open: altered, or another field's",
                where=Location(field=context),
                found="a value that fails authentication",
                expected="a value civicflow encrypted for this field",
                fix="restore the row from a backup; a value changed outside civicflow is lost",
            ) from exc
        return plain.decode("utf-8")

    def seal(self, value: str, pseudonym: str) -> str:
        """``value`` encrypted (AES-256-GCM) for the vault, bound to ``pseudonym``; text form
        ``<key id>:<base64 nonce + ciphertext>``."""
        key_id = self.current
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(self._vault_key(key_id)).encrypt(
            nonce, value.encode("utf-8"), pseudonym.encode("utf-8")
        )
        return f"{key_id}:{base64.b64encode(nonce + sealed).decode()}"

    def unseal(self, token: str, pseudonym: str) -> str:
        """The value sealed in ``token`` for ``pseudonym``; refused if either was altered."""
        key_id, _, body = token.partition(":")
        if key_id not in self.keys:
            raise InputError(
                "the vault entry was sealed with a key that is not in the ring",
                found=key_id,
                expected=f"one of {sorted(self.keys)}",
                fix="use the key ring the dataset was pseudonymised with",
            )
        try:
            raw = base64.b64decode(body, validate=True)
            plain = AESGCM(self._vault_key(key_id)).decrypt(
                raw[:12], raw[12:], pseudonym.encode("utf-8")
            )
        except (InvalidTag, ValueError) as exc:
            raise InputError(
                "the vault entry does not open: altered, or not this pseudonym's",
                found=pseudonym,
                expected="an entry sealed for this pseudonym",
                fix="check the pseudonym; a tampered vault must be restored from backup",
            ) from exc
        return plain.decode("utf-8")
