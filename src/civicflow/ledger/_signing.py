"""Ed25519 keys that sign ledger checkpoints. The private key lives in a PEM file outside the data."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from civicflow.core import ConfigurationError, ConflictError, Location, NotFoundError


def key_fingerprint(public_key: bytes) -> str:
    """SHA-256 hex of the raw 32-byte public key."""
    return hashlib.sha256(public_key).hexdigest()


@dataclass(frozen=True, slots=True)
class Signer:
    """Signs checkpoint statements with an Ed25519 private key."""

    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def fingerprint(self) -> str:
        return key_fingerprint(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)

    @classmethod
    def generate(cls) -> Signer:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem_file(cls, path: Path) -> Signer:
        path = Path(path)
        if not path.exists():
            raise NotFoundError(
                f"the ledger signing key file {path} does not exist",
                where=Location(file=str(path), field="ledger_signing_key_file"),
                expected="an Ed25519 private key in PEM",
                fix="create one with `civicflow ledger keygen --out FILE` or unset "
                "CIVICFLOW_LEDGER_SIGNING_KEY_FILE",
            )
        if path.is_dir():
            raise ConfigurationError(
                f"the ledger signing key file {path} is a folder"
                + (" (the setting is empty)" if str(path) in ("", ".") else ""),
                where=Location(file=str(path), field="ledger_signing_key_file"),
                found="a folder" if str(path) not in ("", ".") else "an empty value",
                expected="the path of an Ed25519 private key file in PEM",
                fix="set CIVICFLOW_LEDGER_SIGNING_KEY_FILE to the key file written by "
                "`civicflow ledger keygen --out FILE`, or unset it to write unsigned checkpoints",
            )
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigurationError(
                f"the ledger signing key file {path} cannot be read",
                where=Location(file=str(path), field="ledger_signing_key_file"),
                found=f"{type(exc).__name__}: {exc.strerror or exc}",
                expected="a file this process may read",
                fix="check the file's owner and permissions (0600, owned by the service user)",
            ) from exc
        if not data.strip():
            raise ConfigurationError(
                f"the ledger signing key file {path} is empty",
                where=Location(file=str(path), field="ledger_signing_key_file"),
                found="0 bytes of key",
                expected="an unencrypted Ed25519 private key in PEM (PKCS#8)",
                fix="create one with `civicflow ledger keygen --out FILE`",
            )
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(
                f"the ledger signing key file {path} is not a readable PEM private key",
                where=Location(file=str(path), field="ledger_signing_key_file"),
                found=str(exc),
                expected="an unencrypted Ed25519 private key in PEM (PKCS#8)",
                fix="create one with `civicflow ledger keygen --out FILE`",
            ) from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigurationError(
                f"the ledger signing key in {path} is not an Ed25519 key",
                where=Location(file=str(path), field="ledger_signing_key_file"),
                found=type(key).__name__,
                expected="Ed25519",
                fix="create one with `civicflow ledger keygen --out FILE`",
            )
        return cls(key)


def verify_signature(public_key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def write_new_key(path: Path, *, overwrite: bool = False) -> Signer:
    """Create an Ed25519 key and write it as PEM (PKCS#8), readable by its owner only."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise ConflictError(
            f"{path} already exists",
            where=Location(file=str(path)),
            fix="choose another file; replacing a signing key makes old checkpoints verifiable "
            "only with the old public key",
        )
    signer = Signer.generate()
    pem = signer.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return signer


def load_public_key(path: Path) -> bytes:
    """Raw public key bytes from a PEM public or private key file."""
    data = Path(path).read_bytes()
    try:
        pub = serialization.load_pem_public_key(data)
    except ValueError:
        priv = serialization.load_pem_private_key(data, password=None)
        pub = priv.public_key()
    if not isinstance(pub, Ed25519PublicKey):
        raise ConfigurationError(
            f"{path} does not hold an Ed25519 key",
            where=Location(file=str(path)),
            fix="pass the public key written by `civicflow ledger keygen`",
        )
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
