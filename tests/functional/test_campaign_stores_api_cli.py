"""Campaigns on real parts: both stores (a SQLite file, DynamoDB under moto, never a Scan), the
demo's two scenarios, the API on 127.0.0.1 and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import datetime, timezone

import botocore.client
import httpx
from test_store_contract import backend, make_store  # noqa: F401 - the two stores' fixtures

from sentinelle import campaigns as camp
from sentinelle.api.server import local_app, make_server
from sentinelle.config import load_config
from sentinelle.model import Finding, Severity, Subject
from sentinelle.runner import run_detector
from sentinelle.store.sqlite import SQLiteStore

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
TOKEN = "campaigns-test-token-0123456789"


def scam(n: int, phone: str) -> Finding:
    return Finding(detector="scams", kind="brand_scam", severity=Severity.high, score=80, reasons=["a fake coupon"],
                   evidence={"phones": [phone], "links": [], "crypto_addresses": []},
                   subject=Subject(platform="x", kind="account", id=f"acct{n}", handle=f"acct{n}"))


def test_incidents_join_on_both_stores_without_a_scan(make_store, monkeypatch):  # noqa: F811
    store = make_store()
    calls: list[str] = []
    real = botocore.client.BaseClient._make_api_call

    def spy(self, operation, params):  # noqa: ANN001, ANN202
        calls.append(operation)
        return real(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
    recorded = store.record_many([scam(1, "+33756789012"), scam(2, "+33756789012"), scam(3, "+33611111111")], NOW)
    camp.join(store, [r.incident for r in recorded], NOW)
    (c,) = camp.campaigns(store)
    assert sorted(m.handle for m in c.members) == ["acct1", "acct2"]
    assert camp.campaign_of(make_store(), recorded[0].incident.id).id == c.id  # another handle, same answer
    assert "Scan" not in calls


def demo_store(tmp_path, demo_dir) -> SQLiteStore:
    config = load_config(str(demo_dir / "sentinelle.yaml"))
    store = SQLiteStore(tmp_path / "sentinelle.db")
    for detector in ("scams", "impersonation", "leaks"):
        run_detector(detector, config=config, store=store, now=NOW)
    return store


def test_the_demo_shows_its_two_attacks_as_two_campaigns(tmp_path, demo_dir):
    store = demo_store(tmp_path, demo_dir)
    found = {c.title: c for c in camp.campaigns(store)}
    assert len(found) == 2, list(found)
    copies = found["6 accounts copying Claire Dubois, 5 linking to lookalikes of lumiere-patrimoine.fr"]
    handles = {m.handle for m in copies.members}
    assert "clairedubois_aquarelle@mastodon.art" not in handles and "claire-dubois-run.bsky.social" not in handles
    coupon = found["2 accounts around the phone number ••••••••12"]
    assert {m.handle for m in coupon.members} == {"lumieredays_deals@mastodon.online", "lumiere_coupons"}
    # The customer who warned about the number is no member, and no number is stored in clear.
    assert "julie_martin_fr" not in {m.handle for m in coupon.members}
    assert "756789012" not in json.dumps([c.model_dump(mode="json") for c in found.values()])


def test_the_api_lists_reads_and_triages_a_whole_campaign(tmp_path, demo_dir):
    store = demo_store(tmp_path, demo_dir)
    httpd = make_server(local_app(store, TOKEN), "127.0.0.1", 0)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{httpd.server_address[1]}", timeout=10,
                          headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            assert client.get("/campaigns", headers={"Authorization": ""}).status_code == 401
            items = client.get("/campaigns").json()["items"]
            assert sorted(i["members"] for i in items) == [2, 6]
            six = next(i for i in items if i["members"] == 6)
            detail = client.get(f"/campaigns/{six['id'][:8]}").json()
            assert len(detail["members"]) == 6 and set(detail["statuses"].values()) == {"open"}
            assert all("key" not in i for i in detail["indicators"])  # keyed hashes never leave the store
            assert [e["event"] for e in detail["timeline"]].count("joined") == 6
            out = client.patch(f"/campaigns/{six['id']}", json={"status": "acknowledged", "note": "one attack"})
            assert out.status_code == 200, out.text
            assert {r["status"] for r in out.json()["results"]} == {"acknowledged"}
            assert all(store.get(m["id"]).status.value == "acknowledged" for m in detail["members"])
            assert client.get("/campaigns/ffffffff").status_code == 404
            paths = client.get("/openapi.json").json()["paths"]
            assert {"/campaigns", "/campaigns/{campaign_id}", "/campaigns/{campaign_id}/takedown"} <= set(paths)
            pack = client.post(f"/campaigns/{six['id']}/takedown", json={"note": "all six at once"})
            assert pack.status_code == 200, pack.text
            body = pack.json()
            assert len(body["packs"]) == 6 and {p["incident_id"] for p in body["packs"]} == set(detail["statuses"])
            assert body["shared"]["identities_copied"] == ["Claire Dubois"]
            assert body["shared"]["imitates"] == ["lumiere-patrimoine.fr"]
            assert {d["domain"] for d in body["shared"]["domains"]} >= {"lumiere-patrimoine-connexion.fr"}
            assert all(d["report"]["how"] == "email" for d in body["shared"]["domains"])  # the registrar's abuse contact
            assert all(store.get(m).status.value == "takedown_requested" for m in detail["statuses"])
            two = next(i for i in items if i["members"] == 2)
            phones = client.post(f"/campaigns/{two['id']}/takedown").json()["shared"]["phone_numbers"]
            assert phones == [{"number": "••••••••12", "members": 2}]  # masked, for the operator or the police
            assert client.post(f"/campaigns/{two['id']}/takedown", json={"send": True}).status_code == 409
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_cli_lists_and_shows_campaigns(tmp_path, demo_dir):
    store = demo_store(tmp_path, demo_dir)
    db = str(tmp_path / "sentinelle.db")
    store.close()
    env = {**os.environ, "COLUMNS": "160"}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "sentinelle.cli", *args], capture_output=True, text=True, env=env,
                              timeout=60)

    listed = cli("campaigns", "--db", db)
    assert listed.returncode == 0, listed.stderr
    assert "6 accounts copying Claire Dubois" in listed.stdout and "around the phone number" in listed.stdout
    rows = [json.loads(line) for line in cli("campaigns", "--db", db, "--json").stdout.splitlines()]
    six = next(r for r in rows if r["members"] == 6)
    shown = cli("campaigns", "show", six["id"][:7], "--db", db)
    assert shown.returncode == 0 and "cl4iredubois.bsky.social" in shown.stdout
    resolved = cli("campaigns", "resolve", six["id"][:7], "--db", db, "--note", "reported to both platforms")
    assert resolved.returncode == 0 and "6 of 6 member incident(s) now resolved" in resolved.stdout
    packs = tmp_path / "packs.json"
    taken = cli("campaigns", "takedown", six["id"][:7], "--db", db, "-o", str(packs))
    assert taken.returncode == 0, taken.stderr
    assert len(json.loads(packs.read_text())["packs"]) == 0  # all six were resolved above: none can move
    missing = cli("campaigns", "show", "zzzz", "--db", db)
    assert missing.returncode == 2 and "no campaign" in missing.stderr and "Traceback" not in missing.stderr


class Noting:
    name, threshold = "noting", "alert"

    def __init__(self) -> None:
        self.got: list[tuple[str, str | None]] = []

    def send(self, incident, change) -> None:  # noqa: ANN001
        self.got.append((incident.detector, (incident.evidence.get("campaign") or {}).get("title")))

    def send_digest(self, items) -> None:  # noqa: ANN001
        for incident, change in items:
            self.send(incident, change)


def test_the_six_copies_of_one_adviser_page_twice_not_six_times(tmp_path, demo_dir):
    from sentinelle.alerts.dispatch import drain

    store = demo_store(tmp_path, demo_dir)
    sink = Noting()
    drain(store, [sink], load_config(str(demo_dir / "sentinelle.yaml")).wl.thresholds, now=NOW)
    impersonation = [t for d, t in sink.got if d == "impersonation"]
    # The first copy alerts as an incident; the third brings the campaign's follow-up.
    assert len(impersonation) == 2
    assert impersonation.count(None) == 1 and any(t and "copying Claire Dubois" in t for t in impersonation)
    assert store.pending_alerts() == []  # the quiet members are done, not left pending


def test_on_aws_the_alert_function_reads_the_campaign_from_the_table(make_store, backend):  # noqa: F811
    from sentinelle.alerts.stream import plan_batch
    from sentinelle.store.dynamodb import INCIDENT_SK, DynamoDBStore, SentinelleTable
    from sentinelle.watchlist import Thresholds

    if backend != "dynamodb":
        return
    store = make_store()
    recorded = store.record_many([scam(n, "+33756789012") for n in range(1, 5)], NOW)
    camp.join(store, [r.incident for r in recorded], NOW)

    def record(seq: int, incident) -> dict:  # noqa: ANN001
        item = SentinelleTable(f"INC#{incident.id}", INCIDENT_SK)
        DynamoDBStore._fill(item, incident)
        item.version, item.last_change = 1, "new"
        return {"eventName": "INSERT", "dynamodb": {"Keys": {"pk": {"S": f"INC#{incident.id}"}, "sk": {"S": INCIDENT_SK}},
                                                    "NewImage": item.serialize(), "SequenceNumber": str(seq)}}

    records = [record(n, r.incident) for n, r in enumerate(recorded)]
    batch = plan_batch(records, Thresholds(), lambda iid: camp.campaign_of(store, iid))
    assert len(batch.alerts) == 2  # the first member, and the third (the campaign's follow-up)
    assert len(plan_batch(records, Thresholds()).alerts) == 4


def test_a_campaign_larger_than_it_lists_is_triaged_whole_on_both_stores(make_store, monkeypatch):  # noqa: F811
    monkeypatch.setattr(camp, "KEEP_MEMBERS", 3)
    store = make_store()
    recorded = store.record_many([scam(n, "+33756789012") for n in range(7)], NOW)
    camp.join(store, [r.incident for r in recorded], NOW)
    (c,) = camp.campaigns(store)
    assert len(c.members) == 3 and c.size == 7
    assert sorted(camp.member_ids(store, c)) == sorted(r.incident.id for r in recorded)
    assert camp.member_ids(store, c)[:3] == [m.id for m in c.members]  # the listed ones first


def test_the_api_resolves_every_member_of_a_campaign_past_those_it_lists(tmp_path, monkeypatch):
    monkeypatch.setattr(camp, "KEEP_MEMBERS", 2)
    store = SQLiteStore(tmp_path / "sentinelle.db")
    recorded = store.record_many([scam(n, "+33756789012") for n in range(5)], NOW)
    camp.join(store, [r.incident for r in recorded], NOW)
    (c,) = camp.campaigns(store)
    httpd = make_server(local_app(store, TOKEN), "127.0.0.1", 0)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{httpd.server_address[1]}", timeout=10,
                          headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            out = client.patch(f"/campaigns/{c.id}", json={"status": "resolved", "note": "all five taken down"})
            assert out.status_code == 200, out.text
            assert len(out.json()["results"]) == 5
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert {store.get(r.incident.id).status.value for r in recorded} == {"resolved"}
