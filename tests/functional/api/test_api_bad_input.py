"""Every parameter or body that fails to parse or is out of range is a 4xx naming it, never a 500
(issue 13, item 7): `since` beyond what UTC can hold, bodies nested past the parser's stack, cursors
validly signed over JSON that is not a position. Hypothesis drives each over the real local server;
test_api_schema.py drives every route from the OpenAPI document."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from api_helpers import TOKEN, seed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentinelle.api.cursor import CursorCodec, derive_key

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture
def seeded(store, client) -> httpx.Client:
    seed(store, 3)
    return client


def _refused(r: httpx.Response, name: str) -> None:
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert name in json.dumps(r.json()), r.text  # the answer says which parameter


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
                                   "0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59.999999-23:59"])
def test_since_out_of_range_in_utc_is_400(seeded, since: str) -> None:
    _refused(seeded.get("/incidents", params={"since": since}), "since")


@given(when=st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)),
       offset=st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1))
@SETTINGS
def test_any_since_is_answered_or_refused_never_a_500(seeded, when: datetime, offset: int) -> None:
    since = when.replace(tzinfo=timezone(timedelta(minutes=offset))).isoformat()
    r = seeded.get("/incidents", params={"since": since})
    assert r.status_code < 500, (since, r.text)
    if r.status_code != 200:
        _refused(r, "since")


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_a_body_nested_past_the_parser_is_422(seeded, store, depth: int) -> None:
    [iid, *_] = [i.id for i in store.list().items]
    for body in ("[" * depth + "]" * depth, '{"note": ' + "[" * depth + "]" * depth + "}"):
        r = seeded.patch(f"/incidents/{iid}", content=body, headers={"Content-Type": "application/json"})
        _refused(r, "body" if depth > 900 else "note")


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=8)
FILTERS = {"status": None, "severity": None, "detector": None, "platform": None, "since": None}


def _signed(payload: Any) -> str:
    """A cursor signed with the server's own key over any JSON (what a leaked key could make)."""
    codec = CursorCodec(derive_key(TOKEN))
    raw = json.dumps(payload).encode()
    from sentinelle.api.cursor import _b64

    return f"{_b64(raw)}.{_b64(codec._sign(raw))}"


@pytest.mark.parametrize("payload", [None, [], {}, {"p": None, "f": FILTERS}, {"p": [], "f": FILTERS},
                                     {"p": {"x": 1}, "f": FILTERS}, {"p": {"last_seen": [], "id": {}}, "f": FILTERS},
                                     "text", 7, {"f": FILTERS}])
def test_a_signed_cursor_over_the_wrong_json_is_400(seeded, payload: Any) -> None:
    r = seeded.get("/incidents", params={"cursor": _signed(payload)})
    if r.status_code == 200:  # {"p": {...}} with junk values still sorts somewhere: a page, not a crash
        return
    _refused(r, "cursor")


@given(payload=JSON, position=JSON)
@SETTINGS
def test_any_signed_cursor_is_answered_or_refused_never_a_500(seeded, payload: Any, position: Any) -> None:
    for p in (payload, {"p": position, "f": FILTERS}):
        r = seeded.get("/incidents", params={"cursor": _signed(p)})
        assert r.status_code < 500, (p, r.text)
        if r.status_code != 200:
            _refused(r, "cursor")
