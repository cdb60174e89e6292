"""The AWS-ready example configuration loads as the scan functions would read it from SSM."""

from pathlib import Path

import yaml

from sentinelle.config import load_config
from sentinelle.runner import build_sources

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "aws" / "sentinelle.yaml"


def test_aws_example_has_its_watchlist_inline_and_live_sources_only():
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert isinstance(raw["watchlist"], dict)  # inline: Lambda has no file beside it
    assert all(s["type"] != "replay" and "path" not in s for d in raw["detectors"].values() for s in d["sources"])
    config = load_config(str(EXAMPLE))
    for detector in ("scams", "impersonation", "leaks"):
        sources = build_sources(config, detector)
        assert sources and not any(type(s).__name__ == "ReplaySource" for s in sources)
