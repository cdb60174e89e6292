"""Hostile input to every parser: arbitrary and deeply nested JSON never crash, only documented errors."""

from __future__ import annotations

import importlib
import io
import json
import pkgutil
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import sentinelle.sources as sources_pkg
from sentinelle.cli import check_line
from sentinelle.detectors import Context, registry
from sentinelle.model import Post, Profile, parse_item
from sentinelle.sources.common import MalformedPage, UnknownEndpoint
from sentinelle.watchlist import WatchlistError, parse_watchlist

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Characters a hostile platform or user can send: zero-width, bidi controls, lone surrogates
# (JSON "\ud800" escapes decode to them), combining marks, NUL, and ordinary text.
NASTY = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u202d", "\u2066", "\u2069",
         "\ud800", "\udfff", "\x00", "\u0301", "\u0430", "\U0001F600", "\n", "@", "#", ".", "/", ":"]
alphabet = st.one_of(st.sampled_from(NASTY), st.characters())
texts = st.text(alphabet=alphabet, max_size=200)
short = st.text(alphabet=alphabet, max_size=12)  # inside JSON: keeps generation fast
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                    st.floats(allow_nan=True, allow_infinity=True), short)
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(short, inner, max_size=4)), max_leaves=12)


def deeply_nested(depth: int = 5000) -> object:
    value: object = "x"
    for i in range(depth):
        value = [value] if i % 2 else {"a": value}
    return value


def platform_parsers() -> dict[str, tuple[object, list[str]]]:
    """Every sources/<platform>.py that maps API bodies: its parse_page and its endpoint names."""
    out = {}
    for mod in pkgutil.iter_modules(sources_pkg.__path__):
        module = importlib.import_module(f"sentinelle.sources.{mod.name}")
        if hasattr(module, "parse_page") and hasattr(module, "ENDPOINTS"):
            out[mod.name] = (module.parse_page, list(module.ENDPOINTS))
    return out


PARSERS = platform_parsers()
# Top-level keys the platforms put their item lists under: hostile bodies that get past the
# first shape check and reach the item mappers.
LIST_KEYS = ["data", "posts", "feed", "actors", "accounts", "statuses", "items", "children", "includes",
             "users", "meta", "cursor", "errors", "entries"]
shaped = st.one_of(
    json_values,
    st.lists(st.dictionaries(st.sampled_from(["id", "account", "acct", "content", "text", "author",
                                              "record", "uri", "did", "handle", "username", "author_id",
                                              "entities", "tags", "url", "created_at", "reblog", "note",
                                              "fields", "card", "post", "reason", "snippet", "kind"]),
                             json_values, max_size=10), max_size=4),
    st.dictionaries(st.sampled_from(LIST_KEYS), st.lists(json_values, max_size=4) | json_values, max_size=5),
)


def _ok_page(result: object) -> None:
    items, skipped, cursor = result  # type: ignore[misc]
    assert isinstance(skipped, int) and skipped >= 0
    assert all(isinstance(i, (Post, Profile)) for i in items)


def test_there_are_platform_parsers() -> None:
    assert {"mastodon", "bluesky", "x"} <= set(PARSERS)


HOSTILE_PLATFORMS = sorted(PARSERS)


@pytest.mark.parametrize("platform", HOSTILE_PLATFORMS)
@SETTINGS
@given(data=st.data(), body=shaped)
def test_parse_page_never_crashes(platform: str, data: st.DataObject, body: object) -> None:
    parse, endpoints = PARSERS[platform]
    endpoint = data.draw(st.sampled_from(endpoints))
    try:
        _ok_page(parse(endpoint, body))
    except MalformedPage:
        pass  # documented: the whole page is not the documented shape


@pytest.mark.parametrize("platform", HOSTILE_PLATFORMS)
def test_parse_page_deeply_nested_and_huge(platform: str) -> None:
    parse, endpoints = PARSERS[platform]
    bodies = [deeply_nested(), [deeply_nested()], {k: [deeply_nested(800)] for k in LIST_KEYS},
              {k: [{"id": "1", "text": "a" * 1_000_000}] for k in LIST_KEYS}, [{}] * 10_000]
    for endpoint in endpoints:
        for body in bodies:
            started = time.perf_counter()
            try:
                _ok_page(parse(endpoint, body))
            except MalformedPage:
                pass
            assert time.perf_counter() - started < 5, (endpoint, "parse took too long")


def test_x_parse_page_hostile_meta_is_malformed() -> None:
    parse, _ = PARSERS["x"]
    for body in ({"meta": [1]}, {"includes": ["u"], "data": []}):
        try:
            parse("search_recent", body)
        except MalformedPage:
            pass


@pytest.mark.parametrize("platform", sorted(PARSERS))
def test_parse_page_unknown_endpoint_is_the_documented_error(platform: str) -> None:
    parse, _ = PARSERS[platform]
    with pytest.raises(UnknownEndpoint):
        parse("no/such\u202eendpoint", {})


@SETTINGS
@given(data=st.one_of(json_values, st.dictionaries(
    st.sampled_from(["type", "platform", "id", "text", "author", "links", "created_at", "handle", "bio",
                     "followers", "verified", "hashtags", "url"]),
    json_values | st.sampled_from(["post", "profile"]), max_size=12)))
def test_parse_item_raises_only_validation_errors(data: object) -> None:
    try:
        item = parse_item(data)
    except ValidationError:
        return
    assert isinstance(item, (Post, Profile))


@SETTINGS
@given(raw=st.one_of(texts, st.binary(max_size=200)))
def test_parse_item_json_text_raises_only_validation_errors(raw: str | bytes) -> None:
    try:
        parse_item(raw)
    except ValidationError:
        pass


def test_parse_item_deep_json_text() -> None:
    for text in ("[" * 200_000, json.dumps({"type": "post", "platform": "x", "id": "1", "text": "t",
                                             "links": deeply_nested(400)})):
        with pytest.raises(ValidationError):
            parse_item(text)


@SETTINGS
@given(data=st.one_of(json_values, st.dictionaries(
    st.sampled_from(["organization", "brands", "official_accounts", "people", "allowlist", "policies",
                     "thresholds", "extra"]), json_values, max_size=8)))
def test_parse_watchlist_raises_only_watchlist_errors(data: object) -> None:
    try:
        parse_watchlist(data)
    except WatchlistError as exc:
        assert str(exc)


WATCHLIST = parse_watchlist({
    "organization": "Maison Lumière",
    "brands": [{"name": "Maison Lumière", "aliases": ["MaisonLumiere"], "hashtags": ["MaisonLumiere"],
                "domains": ["maisonlumiere.fr"]}],
    "official_accounts": [{"platform": "x", "handle": "maisonlumiere"}],
    "people": [{"name": "Claire Dubois", "accounts": [{"platform": "x", "handle": "clairedubois"}]}],
})
CTX = Context.ephemeral(watchlist=WATCHLIST, explicit=False)
DETECTORS = sorted(registry().values(), key=lambda d: d.name)

lines = st.one_of(
    texts,
    json_values.map(lambda v: json.dumps(v, ensure_ascii=False)),
    st.builds(lambda t, h, p, extra: json.dumps({"type": t, "platform": p, "id": "1", "text": extra,
                                                 "author": {"handle": h}, "handle": h, "bio": extra}),
              st.sampled_from(["post", "profile"]), st.sampled_from(["maisonlumiere", "someone", "claire_dub0is"]),
              st.sampled_from(["x", "mastodon", ""]), texts),
    st.just("[" * 100_000), st.just('{"id": "\\ud800", "type": "post"}'),
)


@SETTINGS
@given(line=lines)
def test_check_line_answers_every_line(line: str) -> None:
    out = check_line(line, DETECTORS, CTX, parse_item, ValidationError)
    assert set(out) in ({"id", "findings"}, {"id", "error"})
    assert out["id"] is None or isinstance(out["id"], str)


def _run_check(monkeypatch: pytest.MonkeyPatch, stdin: bytes, watchlist: str) -> tuple[int, list[str]]:
    """`sentinelle check` in-process with a strict UTF-8 stdout, as a terminal or pipe has."""
    from sentinelle import cli

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    out = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(out, encoding="utf-8", write_through=True))
    try:
        status = cli.main(["check", "--watchlist", watchlist])
    except UnicodeEncodeError:
        status = -1
    sys.stdout.flush()
    return status, out.getvalue().decode("utf-8", "replace").splitlines()


def test_check_command_survives_hostile_lines(monkeypatch: pytest.MonkeyPatch, demo_dir) -> None:
    hostile = ["", "not json", "[" * 50_000, "null", "[]", '{"type": "tweet"}',
               json.dumps({"type": "post", "platform": "x", "id": "9", "text": "\u202e\u200b" * 10_000}),
               json.dumps({"type": "profile", "platform": "x", "id": "8", "handle": "\u0430cme", "bio": "a" * 100_000})]
    stdin = ("\n".join(hostile) + "\n" + '{"type": "post", "platform": "x", "id": "last", "text": "hi"}\n').encode()
    status, out = _run_check(monkeypatch, stdin, str(demo_dir / "watchlist.yaml"))
    assert status == 0
    assert len(out) == len(hostile) + 1
    assert json.loads(out[-1])["id"] == "last"


def test_check_command_survives_lone_surrogate_escapes(monkeypatch: pytest.MonkeyPatch, demo_dir) -> None:
    stdin = b'{"type": "post", "platform": "x", "id": "\\ud800", "text": "hi"}\n' \
            b'{"type": "post", "platform": "x", "id": "2", "text": "hi"}\n'
    status, out = _run_check(monkeypatch, stdin, str(demo_dir / "watchlist.yaml"))
    assert status == 0
    assert len(out) == 2 and json.loads(out[1])["id"] == "2"
