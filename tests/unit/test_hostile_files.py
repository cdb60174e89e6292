"""Files a user hands Sentinelle that are not what they should be (issue 13, item 10): a replay
file with one non-UTF-8 line, a watchlist that is not UTF-8 or nested past the parser's stack,
and YAML with a key given twice."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from sentinelle import cli
from sentinelle.config import ConfigError, load_config
from sentinelle.ports import Query
from sentinelle.sources.replay import ReplaySource
from sentinelle.watchlist import WatchlistError, load_watchlist


def _post(n: int) -> bytes:
    return json.dumps({"type": "post", "platform": "x", "id": str(n), "text": f"post {n}"}).encode()


def test_a_non_utf8_line_in_a_replay_file_is_skipped_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_bytes(_post(1) + b"\n" + b'{"type": "post", "text": "caf\xe9"}\n' + _post(2) + b"\n")
    src = ReplaySource(path=str(path), query=Query(kind="search_posts", value="x"))
    result = asyncio.run(src.fetch(src.query, None))
    assert result.status != "could_not_check" and [i.id for i in result.items] == ["1", "2"]
    assert result.skipped == 1 and result.checkpoint == "3"


def test_a_line_separator_inside_a_json_string_does_not_cut_the_line(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_bytes(json.dumps({"type": "post", "platform": "x", "id": "1", "text": "a\u2028b"},
                                ensure_ascii=False).encode() + b"\n")
    src = ReplaySource(path=str(path))
    result = asyncio.run(src.fetch(src.query, None))
    assert [i.text for i in result.items] == ["a\u2028b"] and result.skipped == 0


WATCHLISTS = {
    "latin1.yaml": ("organization: Maison Lumi\xe8re\n".encode("latin-1"), "not UTF-8"),
    "deep.yaml": (("organization: " + "[" * 5_000 + "]" * 5_000 + "\n").encode(), "nested too deeply"),
    "deep_map.yaml": (("organization: Org\nbrands: " + "{a: " * 5_000 + "1" + "}" * 5_000 + "\n").encode(),
                      "nested too deeply"),
    "dup.yaml": (b"organization: Org\nofficial_accounts: [{platform: x, handle: a}]\n"
                 b"official_accounts: [{platform: x, handle: b}]\n", "duplicate key 'official_accounts'"),
    "dup_nested.yaml": (b"organization: Org\nofficial_accounts:\n  - {platform: x, handle: a, handle: b}\n",
                        "duplicate key 'handle'"),
}


@pytest.mark.parametrize("name", sorted(WATCHLISTS))
def test_a_bad_watchlist_is_an_error_naming_the_file(tmp_path: Path, name: str, capsys) -> None:
    data, problem = WATCHLISTS[name]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(WatchlistError, match=problem):
        load_watchlist(path)
    for args in (["watchlist", "validate", str(path)], ["check", "--watchlist", str(path)]):
        assert cli.main(args) == 2
        err = capsys.readouterr().err
        assert str(path) in err and problem in err and "Traceback" not in err, err


def test_duplicate_keys_in_the_run_configuration_are_refused(tmp_path: Path) -> None:
    (tmp_path / "wl.yaml").write_text("organization: Org\n")
    path = tmp_path / "sentinelle.yaml"
    path.write_text("watchlist: wl.yaml\ndetectors: {}\nwatchlist: other.yaml\n")
    with pytest.raises(ConfigError, match=r"sentinelle\.yaml:3: .*duplicate key 'watchlist'"):
        load_config(path)


def test_a_non_utf8_run_configuration_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "sentinelle.yaml"
    path.write_bytes(b"watchlist: caf\xe9.yaml\n")
    with pytest.raises(ConfigError, match="sentinelle.yaml: not UTF-8"):
        load_config(path)
