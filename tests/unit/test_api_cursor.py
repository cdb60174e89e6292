"""Page cursors: round trip, and every malformed, altered, foreign or misused cursor refused."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinelle.api.cursor import BadCursor, CursorCodec, derive_key

FILTERS = {"status": "open", "severity": None, "detector": "scams", "platform": None, "since": None}
POSITION = {"last_seen": "2026-11-02T09:00:00.000000Z", "id": "ca61d118f52d31861b54ea2f"}


def test_round_trip_and_opaque():
    codec = CursorCodec(b"key")
    cursor = codec.encode(POSITION, FILTERS)
    assert codec.decode(cursor, FILTERS) == POSITION
    assert "{" not in cursor and " " not in cursor  # URL-safe
    assert codec.encode(None, FILTERS) is None


def test_dynamodb_shaped_position_round_trips():
    codec = CursorCodec(b"key")
    position = {"pk": {"S": "INC#abc"}, "sk": {"S": "INCIDENT"}, "entity": {"S": "incident"},
                "last_seen_id": {"S": "2026-11-02T09:00:00Z#abc"}}
    assert codec.decode(codec.encode(position, FILTERS), FILTERS) == position


def test_altered_payload_is_refused():
    codec = CursorCodec(b"key")
    payload, sig = codec.encode(POSITION, FILTERS).split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["p"]["id"] = "0"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    with pytest.raises(BadCursor, match="altered"):
        codec.decode(f"{forged}.{sig}", FILTERS)


def test_foreign_key_is_refused():
    cursor = CursorCodec(b"one deployment").encode(POSITION, FILTERS)
    with pytest.raises(BadCursor):
        CursorCodec(b"another").decode(cursor, FILTERS)


def test_other_filters_are_refused():
    codec = CursorCodec(b"key")
    cursor = codec.encode(POSITION, FILTERS)
    with pytest.raises(BadCursor, match="filters"):
        codec.decode(cursor, {**FILTERS, "detector": "leaks"})


def test_signed_non_dict_position_is_refused():
    codec = CursorCodec(b"key")
    payload = json.dumps({"p": [1, 2], "f": FILTERS}, sort_keys=True, separators=(",", ":")).encode()
    sig = codec._sign(payload)
    cursor = f"{base64.urlsafe_b64encode(payload).decode().rstrip('=')}.{base64.urlsafe_b64encode(sig).decode()}"
    with pytest.raises(BadCursor):
        codec.decode(cursor, FILTERS)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_either_refused_cleanly_or_never_accepted(text):
    with pytest.raises(BadCursor):
        CursorCodec(b"key").decode(text, FILTERS)


def test_derived_key_differs_from_secret():
    assert derive_key("token") != b"token" and len(derive_key("token")) == 32
    assert derive_key("token") != derive_key("token", "other purpose")
    with pytest.raises(ValueError):
        CursorCodec(b"")
