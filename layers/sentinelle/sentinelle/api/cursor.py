"""Opaque, tamper-evident page cursors: the store's position, bound to the filters, signed."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any


class BadCursor(ValueError):
    """A cursor that is malformed, altered, signed with another key, or used with other filters."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    """`encode(position, filters)` -> "payload.signature"; `decode` checks both before trusting."""

    def __init__(self, key: bytes):
        if not key:
            raise ValueError("a cursor key is required")
        self._key = key

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()

    def encode(self, position: dict[str, Any] | None, filters: dict[str, Any]) -> str | None:
        if position is None:
            return None
        # The filters travel inside the signed payload so a cursor cannot be replayed on another
        # query (on DynamoDB a position from another index would otherwise reach the store).
        payload = json.dumps({"p": position, "f": filters}, sort_keys=True, separators=(",", ":")).encode()
        return f"{_b64(payload)}.{_b64(self._sign(payload))}"

    def decode(self, cursor: str, filters: dict[str, Any]) -> dict[str, Any]:
        try:
            payload_part, sig_part = cursor.split(".")
            payload, signature = _unb64(payload_part), _unb64(sig_part)
        except (ValueError, binascii.Error):
            raise BadCursor("the cursor is malformed") from None
        if not hmac.compare_digest(signature, self._sign(payload)):
            raise BadCursor("the cursor was altered or comes from another deployment")
        try:
            data = json.loads(payload)
        except (ValueError, RecursionError):
            raise BadCursor("the cursor is malformed") from None
        # Signed is not proof of shape: a key shared with an older version, or leaked, signs anything.
        if not isinstance(data, dict) or not isinstance(data.get("p"), dict):
            raise BadCursor("the cursor is malformed")
        if data.get("f") != filters:
            raise BadCursor("the cursor belongs to a query with other filters")
        return data["p"]


def derive_key(secret: str, purpose: str = "sentinelle-cursor") -> bytes:
    """A cursor key derived from another secret (the API token), distinct from it."""
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()
