"""Replay source: recorded API pages or uniform items, bad lines skipped, line-count checkpoint."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import FIXTURES, load, run
from sentinelle.ports import Query
from sentinelle.model import Post, Profile
from sentinelle.sources import build_source


def test_platform_pages_are_mapped_by_the_platform_parser():
    src = build_source({"type": "replay", "path": "mastodon_tag.jsonl", "platform": "mastodon",
                        "endpoint": "tag_timeline", "query": {"kind": "hashtag", "value": "MaisonLumiere"}},
                       base_dir=FIXTURES / "replay")
    assert src.queries([]) == [Query(kind="hashtag", value="MaisonLumiere")]
    result = run(src.fetch(src.queries([])[0], None))
    assert result.status == "ok" and result.skipped == 1  # the line that is not JSON
    assert [i.id for i in result.items] == ["113520411870001236", "113520411870001235", "113520411870001200"]
    assert result.checkpoint == "3"
    assert src.name == "replay:mastodon_tag.jsonl"


def test_uniform_items_and_bad_item_line():
    src = build_source({"type": "replay", "path": "items.jsonl"}, base_dir=FIXTURES / "replay")
    (query,) = src.queries([Query(kind="hashtag", value="ignored")])
    assert query == Query(kind="search_posts", value="items.jsonl")
    result = run(src.fetch(query, None))
    assert [type(i) for i in result.items] == [Post, Profile] and result.skipped == 1
    assert result.items[1].platform == "x"


def test_second_run_reads_only_appended_lines(tmp_path):
    shutil.copy(FIXTURES / "replay" / "items.jsonl", tmp_path / "feed.jsonl")
    src = build_source({"type": "replay", "path": "feed.jsonl"}, base_dir=tmp_path)
    q = src.queries([])[0]
    first = run(src.fetch(q, None))
    assert run(src.fetch(q, first.checkpoint)).items == []
    extra = {"type": "post", "platform": "bluesky", "id": "at://did:plc:x/app.bsky.feed.post/1", "text": "new"}
    with (tmp_path / "feed.jsonl").open("a") as f:
        f.write(json.dumps(extra) + "\n")
    again = run(src.fetch(q, first.checkpoint))
    assert [i.id for i in again.items] == [extra["id"]] and again.checkpoint == "4"


def test_shorter_file_is_read_anew(tmp_path):
    (tmp_path / "f.jsonl").write_text(json.dumps({"type": "post", "platform": "x", "id": "1"}) + "\n")
    src = build_source({"type": "replay", "path": "f.jsonl"}, base_dir=tmp_path)
    assert len(run(src.fetch(src.queries([])[0], "10")).items) == 1


@pytest.mark.parametrize("platform,endpoint,fixture,count", [
    ("bluesky", "app.bsky.feed.searchPosts", "bluesky/searchPosts_page1.json", 2),
    ("x", "search_recent", "x/search_recent_page1.json", 2),
])
def test_other_platform_pages(tmp_path, platform, endpoint, fixture, count):
    (tmp_path / "rec.jsonl").write_text(json.dumps(load(fixture)) + "\n" + "[1, 2]" + "\n")
    src = build_source({"type": "replay", "path": "rec.jsonl", "platform": platform, "endpoint": endpoint},
                       base_dir=tmp_path)
    result = run(src.fetch(src.queries([])[0], None))
    assert len(result.items) == count and all(i.platform == platform for i in result.items)
    assert result.skipped == 1


def test_missing_file_could_not_check(tmp_path):
    src = build_source({"type": "replay", "path": "absent.jsonl"}, base_dir=tmp_path)
    result = run(src.fetch(src.queries([])[0], "3"))
    assert (result.status, result.checkpoint) == ("could_not_check", None)


@pytest.mark.parametrize("spec,key", [
    ({"type": "replay"}, "path"),
    ({"type": "replay", "path": "a", "platform": "mastodon"}, "endpoint"),
    ({"type": "replay", "path": "a", "platform": "mastodon", "endpoint": "nope"}, "endpoint"),
    ({"type": "replay", "path": "a", "platform": "myspace", "endpoint": "x"}, "platform"),
    ({"type": "replay", "path": "a", "query": {"kind": "weird", "value": "v"}}, "query"),
    ({"type": "replay", "path": "a", "colour": "red"}, "colour"),
])
def test_bad_spec_names_the_key(spec, key):
    with pytest.raises(ValueError, match=key):
        build_source(spec, base_dir=".")


def test_lone_surrogate_escapes_are_scrubbed(tmp_path):
    (tmp_path / "f.jsonl").write_text('{"type": "post", "platform": "x", "id": "1", "text": "a \\ud800 b"}\n')
    src = build_source({"type": "replay", "path": "f.jsonl"}, base_dir=tmp_path)
    (item,) = run(src.fetch(src.queries([])[0], None)).items
    assert item.text == "a \ufffd b"


@pytest.mark.parametrize("platform", [None, "mastodon"])
def test_absurdly_nested_line_is_skipped(tmp_path, platform):
    good = load("mastodon/tag_timeline_page2.json") if platform else {"type": "post", "platform": "x", "id": "1"}
    (tmp_path / "f.jsonl").write_text("[" * 50_000 + "\n" + json.dumps(good) + "\n")
    spec = {"type": "replay", "path": "f.jsonl"}
    if platform:
        spec.update(platform=platform, endpoint="statuses")
    src = build_source(spec, base_dir=tmp_path)
    result = run(src.fetch(src.queries([])[0], None))
    assert result.skipped == 1 and len(result.items) == 1
