"""Per-source concurrency limits: the `concurrency` option (a default per platform, bad values
named), and the FIFO keys a work unit is queued with (`pipeline.queue_keys`): the same unit always
lands in the same message group, a source's units spread over as many groups as its limit, and a
unit planned again is deduplicated."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sentinelle.config import ConfigError, load_config
from sentinelle.pipeline import DEFAULT_SOURCE_CONCURRENCY, WorkUnit, concurrency_of, queue_keys
from sentinelle.ports import Query
from sentinelle.sources import SPECS, build_source, validate_spec

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"
SQS_GROUP = re.compile(r"[!-~]{1,128}")  # what SQS accepts as a MessageGroupId / MessageDeduplicationId


def unit(value: str, *, source: str = "mastodon:mastodon.social", detector: str = "scams",
         planned: datetime | None = None) -> WorkUnit:
    return WorkUnit(detector, source, Query(kind="hashtag", value=value), planned)


def test_the_same_unit_gets_the_same_keys_whatever_the_run_that_planned_it():
    first = queue_keys(unit("Acme", planned=datetime(2026, 12, 1, tzinfo=timezone.utc)), 3)
    again = queue_keys(unit("Acme", planned=datetime(2026, 12, 1, 0, 15, tzinfo=timezone.utc)), 3)
    assert first == again  # a retried schedule: same group (never run twice at once), same dedup id
    assert first.group.startswith("mastodon:mastodon.social#")


def test_other_units_have_their_own_deduplication_id():
    keys = {queue_keys(unit("Acme"), 3).dedup, queue_keys(unit("Acme", detector="leaks"), 3).dedup,
            queue_keys(unit("Acme", source="mastodon:other.example"), 3).dedup, queue_keys(unit("Acme2"), 3).dedup}
    assert len(keys) == 4


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_a_sources_units_spread_over_exactly_its_limit_of_groups(limit):
    groups = {queue_keys(unit(f"tag{i}"), limit).group for i in range(200)}
    assert groups == {f"mastodon:mastodon.social#{slot}" for slot in range(limit)}


def test_two_sources_never_share_a_group():
    mine = {queue_keys(unit(f"t{i}"), 4).group for i in range(50)}
    theirs = {queue_keys(unit(f"t{i}", source="bluesky"), 4).group for i in range(50)}
    assert not mine & theirs


@pytest.mark.parametrize("source", ["replay:feeds/a b é.jsonl", "rss:https://blog.example/" + "x" * 300,
                                    "mastodon:mastodon.social"])
def test_keys_are_what_sqs_accepts_whatever_the_source_name(source):
    keys = queue_keys(unit("Acme", source=source), 2)
    assert SQS_GROUP.fullmatch(keys.group) and SQS_GROUP.fullmatch(keys.dedup)
    other = queue_keys(unit("Acme", source=source + "2"), 2)
    assert other.group.rsplit("#", 1)[0] != keys.group.rsplit("#", 1)[0]


def test_each_platform_has_a_default_limit_and_the_option_overrides_it():
    fake = {"x_bearer_token": "b", "reddit_client_id": "i", "reddit_client_secret": "s", "youtube_api_key": "k"}
    specs = {"mastodon": {"instance": "social.example"}, "bluesky": {}, "reddit": {}, "x": {}, "youtube": {},
             "rss": {"url": "https://blog.example/feed.xml"}, "replay": {"path": "f.jsonl"}}
    assert set(specs) == set(SPECS)
    defaults = {}
    for kind, extra in specs.items():
        src = build_source({"type": kind, **extra}, secrets=fake.get)
        defaults[kind] = concurrency_of(src)
        asyncio.run(src.aclose())
        src = build_source({"type": kind, **extra, "concurrency": 7}, secrets=fake.get)
        assert concurrency_of(src) == 7
        asyncio.run(src.aclose())
    # Under each platform's documented limits (docs/sources.md, "Concurrency").
    assert defaults == {"mastodon": 3, "bluesky": 5, "reddit": 2, "x": 2, "youtube": 2, "rss": 4, "replay": 8}


def test_a_source_built_without_the_option_gets_the_cautious_default():
    class Bare:
        name = "fake"

    assert concurrency_of(Bare()) == DEFAULT_SOURCE_CONCURRENCY  # type: ignore[arg-type]


@pytest.mark.parametrize("value,needle", [(0, "greater than or equal to 1"), (101, "less than or equal to 100"),
                                          ("3", "valid integer"), (True, "valid integer"), (2.5, "valid integer")])
def test_a_bad_limit_is_an_error_naming_the_key(value, needle):
    with pytest.raises(ValueError, match=f"source mastodon: concurrency: .*{needle}"):
        validate_spec({"type": "mastodon", "instance": "social.example", "concurrency": value})


def test_a_bad_limit_in_the_configuration_names_the_source_and_its_line(tmp_path):
    (tmp_path / "sentinelle.yaml").write_text(
        f"watchlist: {DEMO / 'watchlist.yaml'}\n"
        "detectors:\n"
        "  scams:\n"
        "    sources:\n"
        "      - {type: bluesky, concurrency: 0}\n")
    with pytest.raises(ConfigError) as err:
        load_config(str(tmp_path / "sentinelle.yaml"))
    assert "detectors.scams.sources[0]" in str(err.value) and "concurrency" in str(err.value)
    assert err.value.problems[0].line == 5
