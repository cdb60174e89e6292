"""The demo's real incidents (all three detectors) through every read route and a takedown pack."""

from __future__ import annotations

import json

from sentinelle.api.server import local_app, to_event
from sentinelle.cli import main
from sentinelle.store.sqlite import SQLiteStore


def test_demo_incidents_through_the_api(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no sentinelle.yaml here: the bundled demo runs
    db = tmp_path / "demo.db"
    assert main(["run", "--db", str(db)]) in (0, 1)  # 1: a source could not be checked; still incidents
    capsys.readouterr()
    with SQLiteStore(db) as store:
        app = local_app(store, "demo-token-0123456789")

        def call(method: str, path: str) -> tuple[int, dict]:
            out = app.resolve(to_event(method, path, {"authorization": "Bearer demo-token-0123456789"}, b"", "127.0.0.1"), None)
            return out["statusCode"], json.loads(out["body"])

        status, page = call("GET", "/incidents?limit=200")
        assert status == 200 and page["next_cursor"] is None
        assert {i["detector"] for i in page["items"]} == {"scams", "impersonation", "leaks"}
        for item in page["items"]:
            status, incident = call("GET", f"/incidents/{item['id']}")
            assert status == 200 and incident["findings"] and incident["playbook"]["check"]
            status, pack = call("POST", f"/incidents/{item['id']}/takedown")
            assert status == 200, pack
            assert pack["url"] and pack["signals"] and pack["report"]["how"] in ("api", "form", "email", "manual")
            if item["detector"] == "impersonation":
                assert pack["impersonates"] and pack["official_accounts"]
        status, page = call("GET", "/incidents?status=takedown_requested&limit=200")
        assert status == 200 and len(page["items"]) == len({i["id"] for i in page["items"]}) > 0
