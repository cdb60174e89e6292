"""Issue 16, done when: from a fresh clone, following the README and docs/ alone, a person
configures their own watchlist, runs scheduled scans, triages an incident to false positive from
the CLI and sees it suppressed on the next run. The commands are the README's, run as a user would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def sentinelle(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SENTINELLE_DB", "SENTINELLE_CONFIG")}
    return subprocess.run([sys.executable, "-m", "sentinelle.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env={**env, "COLUMNS": "200"})


def test_configure_schedule_triage_and_suppress(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for step in ("sentinelle init", "sentinelle config validate", "sentinelle run --every",
                 "sentinelle incidents false-positive"):
        assert step in readme, step

    # 1. Start from `sentinelle init`, then make the files one's own.
    init = sentinelle("init", "bank", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    bank = tmp_path / "bank"
    assert "Platforms: bluesky, mastodon" in (bank / "watchlist.yaml").read_text(encoding="utf-8")
    shutil.copy(ROOT / "examples" / "demo" / "watchlist.yaml", bank / "watchlist.yaml")
    shutil.copy(ROOT / "examples" / "items.jsonl", bank / "items.jsonl")
    config = yaml.safe_load((bank / "sentinelle.yaml").read_text(encoding="utf-8"))
    for detector in config["detectors"].values():  # offline: the items file instead of live platforms
        detector["sources"] = [{"type": "replay", "path": "items.jsonl"}]
    (bank / "sentinelle.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    valid = sentinelle("config", "validate", cwd=bank)
    assert valid.returncode == 0 and "valid" in valid.stdout, valid.stderr

    # 2. Scheduled scans: two cycles, each stamped; the second finds nothing new and says so.
    runs = sentinelle("run", "--every", "1s", "--cycles", "2", cwd=bank)
    assert runs.returncode == 0, runs.stderr
    assert "Scan summary" in runs.stdout and "Nothing new" in runs.stdout
    assert runs.stdout.count("Z ") >= 2  # a UTC timestamp per cycle
    assert (bank / ".sentinelle" / "sentinelle.db").exists()  # the store that init's config names

    # 3. Triage from the CLI, by a prefix of the id that the table shows.
    listed = sentinelle("incidents", "--json", "--detector", "scams", cwd=bank)
    scam = next(json.loads(x) for x in listed.stdout.splitlines()
                if json.loads(x)["subject"].get("handle") == "lumiere_aide")
    fp = sentinelle("incidents", "false-positive", scam["id"][:10], "--note", "our agency's test account", cwd=bank)
    assert fp.returncode == 0 and f"incident {scam['id']} is now false_positive" in fp.stdout, fp.stderr

    # 4. The account posts again: the next run counts it as suppressed and pages no one about it.
    post = json.loads((bank / "items.jsonl").read_text(encoding="utf-8").splitlines()[0])
    again = {**post, "id": "1861999000000000299", "url": post["url"].replace("201", "299")}
    with (bank / "items.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(again, ensure_ascii=False) + "\n")
    nxt = sentinelle("run", "--once", "--detector", "scams", cwd=bank)
    assert nxt.returncode == 0, nxt.stderr
    assert "1 suppressed" in nxt.stdout and "[Sentinelle" not in nxt.stdout, nxt.stdout
    shown = sentinelle("incidents", "show", scam["id"][:10], "--json", cwd=bank)
    assert json.loads(shown.stdout)["status"] == "false_positive"
    scams = sentinelle("incidents", "--json", "--detector", "scams", cwd=bank)
    assert len(scams.stdout.splitlines()) == len(listed.stdout.splitlines())  # no new scam incident
