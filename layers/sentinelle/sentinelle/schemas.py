"""The JSON Schemas of the item and watchlist formats, generated from the models that read them.

`python -m sentinelle.schemas docs/schemas` writes them; a test keeps the published files equal
to what the models accept, so the documents cannot drift from the code.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any, Callable

BASE = "https://github.com/sentinelle/sentinelle/blob/main/docs/schemas/"


def _nullable_optionals(schema: dict[str, Any]) -> None:
    """Optional item fields may be missing or null (the format says so; the models read null as empty)."""
    for model in schema.get("$defs", {}).values():
        required = set(model.get("required", []))
        for name, prop in model.get("properties", {}).items():
            if name in required or name == "type" or "anyOf" in prop:
                continue
            keep = {k: prop.pop(k) for k in ("title", "default") if k in prop}
            model["properties"][name] = {"anyOf": [copy.deepcopy(prop), {"type": "null"}], **keep}


def item_schema() -> dict[str, Any]:
    """One item (a post or a profile) as `sentinelle check` and the replay source read it."""
    from sentinelle.model import ITEM_ADAPTER

    schema = ITEM_ADAPTER.json_schema()
    _nullable_optionals(schema)
    for name in ("Post", "Profile"):
        model = schema["$defs"][name]
        model["required"] = ["type", *model["required"]]
        # Numeric ids are read as text.
        model["properties"]["id"] = {"anyOf": [{"type": "string", "minLength": 1}, {"type": "integer"}],
                                     "title": "Id"}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": BASE + "item.schema.json",
            "title": "Sentinelle item", "description": "One post or profile, one per line of a JSON-lines file "
            "(docs/formats.md). Unknown fields are ignored.", **schema}


def watchlist_schema() -> dict[str, Any]:
    """The watchlist file (YAML, or inline under `watchlist:` in the run configuration)."""
    from sentinelle.watchlist import Watchlist

    schema = Watchlist.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": BASE + "watchlist.schema.json",
            "title": "Sentinelle watchlist", "description": "Who and what the organisation protects "
            "(docs/configuration.md). Unknown keys are an error.", **schema}


SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {"item.schema.json": item_schema,
                                                   "watchlist.schema.json": watchlist_schema}


def render(name: str) -> str:
    return json.dumps(SCHEMAS[name](), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    folder = Path((argv if argv is not None else sys.argv[1:] or ["docs/schemas"])[0])
    folder.mkdir(parents=True, exist_ok=True)
    for name in SCHEMAS:
        (folder / name).write_text(render(name), encoding="utf-8")
        print(f"wrote {folder / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
