"""The key of the keyed hashes that deduplicate sensitive values: required, never defaulted.

A leaked value (a card, an SSN) is deduplicated by HMAC(key, value). With a known key, 10^9
possible SSNs are a minute of brute force from any such hash, so:
- locally the key is 32 random bytes generated once in a file beside the database (mode 0600);
- on AWS it is a Secrets Manager secret that the template generates (`GenerateSecretString`),
  read with a cache;
- nothing falls back to a built-in key, and the hashes themselves never leave the process
  (`Finding.dedup` is excluded from every serialisation: store, API, alerts, logs, webhook).
Rotation: docs/security.md.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

MIN_BYTES = 16
MAX_AGE = 3600  # seconds a Lambda keeps the secret before reading it again


def keyed_hash(key: bytes, value: str) -> str:
    """HMAC-SHA256 of `value` under the key, shortened: what deduplicates and indexes sensitive values."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:20]


class HashKeyError(RuntimeError):
    """No usable key: the caller stops rather than hash with a guessable one."""


def _valid(raw: bytes, where: str) -> bytes:
    key = raw.strip()
    if len(key) < MIN_BYTES:
        raise HashKeyError(f"the hash key in {where} is shorter than {MIN_BYTES} bytes")
    return key


def key_file(path: str | Path) -> bytes:
    """The key stored at `path`, created there (mode 0600, never overwritten) on first use."""
    path = Path(path)
    try:
        return _valid(path.read_bytes(), str(path))
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise HashKeyError(f"cannot read the hash key {path}: {exc.strerror or exc}") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return _valid(path.read_bytes(), str(path))
    except OSError as exc:
        raise HashKeyError(f"cannot create the hash key {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "wb") as f:
        f.write(secrets.token_hex(32).encode())
    return _valid(path.read_bytes(), str(path))


def key_beside(db_path: str | Path) -> Path:
    """Where the key of a SQLite database lives: `<database>.key`."""
    return Path(f"{db_path}.key")


def secret_key(name: str | None) -> bytes:
    """The key in the Secrets Manager secret `name` (an ARN or a name), cached for MAX_AGE."""
    if not name:
        raise HashKeyError("no hash key configured: set SENTINELLE_HASH_KEY_SECRET to the Secrets Manager "
                           "secret that holds it (the template creates one)")
    from aws_lambda_powertools.utilities import parameters

    try:
        value = parameters.get_secret(name, max_age=MAX_AGE)
    except Exception as exc:
        raise HashKeyError(f"cannot read the hash key secret {name}: {type(exc).__name__}") from None
    raw = value.encode() if isinstance(value, str) else bytes(value)
    return _valid(raw, f"secret {name}")
