"""`sentinelle check` keeps its contract: one line out per line in, errors in place, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

ITEMS = [
    '{"type": "post", "platform": "x", "id": "1", "text": "bonjour", "author": {"id": "9", "handle": "someone"}}',
    "this is not json",
    '{"type": "post", "platform": "x"}',
    '[1, 2]',
    '{"type": "tweet", "id": "7"}',
    "",
    '{"type": "profile", "platform": "x", "id": "1234", "handle": "someone", "display_name": "Some One",'
    ' "bio": null, "links": [], "avatar_url": null, "created_at": "2026-11-01T00:00:00Z", "followers": 12,'
    ' "verified": false}',
    '{"type": "post", "platform": "mastodon", "id": 42, "created_at": "not a date"}',
]


def run_check(args, stdin):
    return subprocess.run([sys.executable, "-m", "sentinelle.cli", "check", *args], input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_one_line_out_per_line_in_with_errors_in_place(demo_dir):
    proc = run_check(["--watchlist", str(demo_dir / "watchlist.yaml")], "\n".join(ITEMS) + "\n")
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == len(ITEMS)
    assert out[0] == {"id": "1", "findings": []} or out[0]["id"] == "1" and "findings" in out[0]
    assert out[1]["id"] is None and "JSON" in out[1]["error"]
    assert out[2]["id"] is None and "id" in out[2]["error"]
    assert out[3] == {"id": None, "error": "not a JSON object"}
    assert out[4]["id"] == "7" and "type" in out[4]["error"]
    assert out[5]["id"] is None and "error" in out[5]
    assert out[6]["id"] == "1234" and "findings" in out[6]
    assert out[7]["id"] == "42" and "created_at" in out[7]["error"]


def test_findings_keep_the_contract_shape(demo_dir):
    post = {"type": "post", "platform": "mastodon", "id": "p1",
            "author": {"id": "5", "handle": "drmarchand@mastodon.social", "display_name": "Dr Julien Marchand"},
            "text": "Patient Jeanne Martin, NIR 2 84 05 75 123 456 89, dossier patient MRN 0045821: suivi ok."}
    proc = run_check(["--watchlist", str(demo_dir / "watchlist.yaml"), "--detector", "leaks"], json.dumps(post) + "\n")
    assert proc.returncode == 0, proc.stderr
    [line] = [json.loads(x) for x in proc.stdout.splitlines()]
    assert line["id"] == "p1"
    for f in line["findings"]:
        assert f["detector"] == "leaks"
        assert f["severity"] in ("info", "low", "medium", "high", "critical")
        assert isinstance(f["score"], int) and 0 <= f["score"] <= 100
        assert f["reasons"] and all(isinstance(r, str) and r for r in f["reasons"])
        assert "123 456" not in json.dumps(f)


@pytest.mark.parametrize("args, needle", [
    (["--watchlist", "/no/such/watchlist.yaml"], "/no/such/watchlist.yaml"),
    (["--watchlist", "WL", "--detector", "nope"], "nope"),
    ([], "--watchlist"),
])
def test_bad_command_line_or_watchlist_exits_2(tmp_path, demo_dir, args, needle):
    args = [str(demo_dir / "watchlist.yaml") if a == "WL" else a for a in args]
    proc = run_check(args, "")
    assert proc.returncode == 2
    assert needle in proc.stderr


def test_invalid_watchlist_exits_2_naming_the_key(tmp_path):
    wl = tmp_path / "wl.yaml"
    wl.write_text("organization: A\nbrands:\n  - name: B\n    hashtag: [x]\n", encoding="utf-8")
    proc = run_check(["--watchlist", str(wl)], "{}\n")
    assert proc.returncode == 2
    assert str(wl) in proc.stderr and "brands[0].hashtag" in proc.stderr and proc.stdout == ""
