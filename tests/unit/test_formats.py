"""Issue 16 item 4: the item and watchlist formats are published in docs/ as JSON Schemas, equal
to what the models accept, and the repository's examples follow them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from sentinelle.model import parse_item
from sentinelle.schemas import SCHEMAS, render

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "schemas"


def schema(name: str) -> dict:
    return json.loads((DOCS / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_published_schemas_are_those_of_the_models(name):
    assert (DOCS / name).read_text(encoding="utf-8") == render(name), \
        f"docs/schemas/{name} is stale: run .venv/bin/python -m sentinelle.schemas docs/schemas"
    jsonschema.Draft202012Validator.check_schema(schema(name))


def test_example_items_follow_the_item_schema_and_the_model():
    validator = jsonschema.Draft202012Validator(schema("item.schema.json"))
    lines = (ROOT / "examples" / "items.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 4
    for line in lines:
        data = json.loads(line)
        validator.validate(data)
        assert parse_item(data).id == str(data["id"])


@pytest.mark.parametrize("item, valid", [
    ({"type": "post", "platform": "x", "id": 12, "text": None, "links": None, "author": None}, True),
    ({"type": "profile", "platform": "mastodon", "id": "1", "handle": "a", "followers": None}, True),
    ({"type": "post", "platform": "x"}, False),  # no id
    ({"platform": "x", "id": "1"}, False),  # no type
    ({"type": "story", "platform": "x", "id": "1"}, False),
    ({"type": "post", "platform": "", "id": "1"}, False),
])
def test_schema_and_model_agree_on_items(item, valid):
    errors = list(jsonschema.Draft202012Validator(schema("item.schema.json")).iter_errors(item))
    assert (not errors) is valid, errors
    if valid:
        parse_item(item)


def test_watchlists_follow_the_watchlist_schema():
    validator = jsonschema.Draft202012Validator(schema("watchlist.schema.json"))
    demo = yaml.safe_load((ROOT / "examples" / "demo" / "watchlist.yaml").read_text(encoding="utf-8"))
    validator.validate(demo)
    wrong = {**demo, "official_accounts": [{"platform": "twitter", "handle": "maisonlumiere"}]}
    assert not validator.is_valid(wrong)  # the enumeration of platforms is in the schema too
    assert not validator.is_valid({**demo, "brandz": []})


def test_the_readme_check_line_runs_on_the_example_items():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    line = "sentinelle check --watchlist examples/demo/watchlist.yaml < examples/items.jsonl"
    assert line in readme
    out = subprocess.run([sys.executable, "-m", "sentinelle.cli", "check", "--watchlist",
                          "examples/demo/watchlist.yaml"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         stdin=(ROOT / "examples" / "items.jsonl").open("rb"))
    assert out.returncode == 0, out.stderr
    results = [json.loads(x) for x in out.stdout.splitlines()]
    kinds = {f["kind"] for r in results for f in r["findings"]}
    assert {"brand_scam", "person_impersonation", "iban", "credit_card"} <= kinds
    assert results[-1]["findings"] == []  # ordinary news about the brand


def test_the_deploy_guides_full_configuration_validates(tmp_path):
    """docs/deploy.md's complete AWS configuration is one `sentinelle config validate` accepts
    (with the demo watchlist standing in for the `ssm:` one, which needs AWS)."""
    from sentinelle.config import load_config

    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    block = text.split("A fuller `sentinelle-aws.yaml`", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    config = yaml.safe_load(block)
    assert config["watchlist"] == "ssm:/sentinelle/watchlist"
    config["watchlist"] = str(ROOT / "examples" / "demo" / "watchlist.yaml")
    (tmp_path / "aws.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    cfg = load_config(tmp_path / "aws.yaml")
    assert set(cfg.detectors) == {"scams", "impersonation", "leaks"}
