"""The API over real HTTP through the local server (`sentinelle serve`), as a client would use it."""

from __future__ import annotations

import base64
import hashlib
import json

import httpx
import pytest
from api_helpers import TOKEN, seed

from sentinelle.api.server import ServeError, local_app
from sentinelle.model import Severity


def test_health_needs_no_token(server):
    r = httpx.get(f"{server}/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_anonymous_or_wrong_token_is_401(server):
    cases = [(path, {}) for path in ("/incidents", "/incidents/abc", "/allowlist", "/openapi.json", "/nothing")]
    cases += [("/incidents", h) for h in ({"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                                          {"Authorization": f"Bearer {TOKEN}x"}, {"Authorization": "Bearer"})]
    with httpx.Client(base_url=server) as anonymous:
        for path, headers in cases:
            r = anonymous.get(path, headers=headers)
            assert r.status_code == 401, (path, headers)
            assert r.json()["error"] == "unauthorized"
            assert r.headers["www-authenticate"] == "Bearer"


def test_anonymous_write_is_refused_before_validation(server, store):
    [iid] = seed(store, 1)
    r = httpx.patch(f"{server}/incidents/{iid}", json={"status": "not-a-status"})
    assert r.status_code == 401
    assert store.get(iid).status.value == "open"


def test_serve_refuses_to_start_without_token(store, monkeypatch):
    monkeypatch.delenv("SENTINELLE_API_TOKEN", raising=False)
    with pytest.raises(ServeError, match="SENTINELLE_API_TOKEN"):
        local_app(store)


def _all_pages(client, limit, **filters):
    ids, cursor, pages = [], None, 0
    while True:
        r = client.get("/incidents", params={**filters, "limit": limit, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["items"]) <= limit
        ids += [i["id"] for i in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, pages


def test_pages_through_everything_newest_first_without_loss(client, store):
    expected = seed(store, 23)
    ids, pages = _all_pages(client, 5)
    assert ids == expected  # newest first, no loss, no repeat
    assert pages == 5


def test_filters(client, store):
    seed(store, 24)
    for params, check in [
        ({"detector": "scams"}, lambda i: i["detector"] == "scams"),
        ({"platform": "bluesky"}, lambda i: i["platform"] == "bluesky"),
        ({"severity": "high"}, lambda i: Severity(i["severity"]) >= Severity.high),
        ({"since": "2026-11-01T20:00:00Z"}, lambda i: i["last_seen"] >= "2026-11-01T20:00:00"),
        ({"detector": "leaks", "severity": "medium"},
         lambda i: i["detector"] == "leaks" and Severity(i["severity"]) >= Severity.medium),
    ]:
        items = client.get("/incidents", params={**params, "limit": 200}).json()["items"]
        assert items and all(check(i) for i in items), params
        everything = client.get("/incidents", params={"limit": 200}).json()["items"]
        assert len(items) == sum(check(i) for i in everything), params


def test_filtered_paging_has_no_loss(client, store):
    seed(store, 30)
    everything = client.get("/incidents", params={"limit": 200}).json()["items"]
    ids, _ = _all_pages(client, 3, detector="impersonation")
    assert ids == [i["id"] for i in everything if i["detector"] == "impersonation"]


def test_status_filter_and_list_items_are_summaries(client, store):
    ids = seed(store, 4)
    client.patch(f"/incidents/{ids[1]}", json={"status": "acknowledged"})
    items = client.get("/incidents", params={"status": "acknowledged"}).json()["items"]
    assert [i["id"] for i in items] == [ids[1]]
    for field in ("id", "detector", "kind", "severity", "score", "status", "platform", "subject", "reasons",
                  "evidence", "first_seen", "last_seen", "occurrences"):
        assert field in items[0]
    assert "history" not in items[0] and items[0]["subject"]["url"]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"limit": "ten"}, {"status": "closed"},
                                    {"severity": "huge"}, {"since": "yesterday"}])
def test_bad_parameters_are_422(client, params):
    r = client.get("/incidents", params=params)
    assert r.status_code == 422
    assert r.json()["error"] == "invalid request" and r.json()["detail"]


def _tamper(cursor: str) -> str:
    payload, sig = cursor.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["p"]["id"] = "0" * 24
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{forged}.{sig}"


def test_bad_or_tampered_cursor_is_400(client, store):
    seed(store, 6)
    cursor = client.get("/incidents", params={"limit": 2}).json()["next_cursor"]
    assert cursor
    for bad in ["garbage", "a.b.c", "!!!.???", cursor + "x", _tamper(cursor), cursor.split(".")[0] + ".",
                "." + cursor.split(".")[1]]:
        r = client.get("/incidents", params={"limit": 2, "cursor": bad})
        assert r.status_code == 400, bad
        assert r.json()["error"] == "invalid cursor"
    # A cursor belongs to its query: other filters refuse it.
    r = client.get("/incidents", params={"limit": 2, "cursor": cursor, "detector": "scams"})
    assert r.status_code == 400


def test_foreign_cursor_is_400(client, store, server):
    seed(store, 6)
    other = local_app(store, "another-deployment-token")
    event = {"version": "2.0", "rawPath": "/incidents", "rawQueryString": "limit=2",
             "queryStringParameters": {"limit": "2"},
             "headers": {"authorization": "Bearer another-deployment-token"},
             "requestContext": {"http": {"method": "GET", "path": "/incidents"}, "stage": "$default"}}
    foreign = json.loads(other.resolve(event, None)["body"])["next_cursor"]
    assert foreign
    assert client.get("/incidents", params={"limit": 2, "cursor": foreign}).status_code == 400


def test_get_one_with_findings_history_and_masked_evidence(client, store):
    ids = seed(store, 3)
    r = client.get(f"/incidents/{ids[0]}")
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == ids[0]
    assert body["findings"] and body["history"][0]["action"] == "created"
    assert "playbook" in body
    assert "4111111111111111" not in r.text


def test_unknown_id_is_404(client):
    for method, path, kw in [("GET", "/incidents/0123456789abcdef01234567", {}),
                             ("PATCH", "/incidents/0123456789abcdef01234567", {"json": {"note": "x"}}),
                             ("POST", "/incidents/0123456789abcdef01234567/takedown", {}),
                             ("GET", "/incidents/0123456789abcdef01234567/playbook", {})]:
        r = client.request(method, path, **kw)
        assert r.status_code == 404, (method, path)
        assert r.json()["error"] == "not found"


def test_patch_records_who_and_when(client, store):
    ids = seed(store, 2)
    r = client.patch(f"/incidents/{ids[0]}", json={"status": "acknowledged", "note": "on it", "assignee": "alice"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "acknowledged" and body["assignee"] == "alice"
    last = body["history"][-1]
    assert last["by"] == "local-token" and last["note"] == "on it" and last["status"] == "acknowledged"
    assert last["at"]
    assert store.get(ids[0]).history[-1].by == "local-token"


def test_notes_quoting_sensitive_values_are_kept_masked(client, store):
    [iid] = seed(store, 1)
    r = client.patch(f"/incidents/{iid}", json={"note": "the customer sent card 4111 1111 1111 1111 to them"})
    assert r.status_code == 200
    assert "4111 1111 1111 1111" not in r.text and "4111 •••• •••• 1111" in r.json()["history"][-1]["note"]
    assert "1111 1111" not in store.get(iid).model_dump_json()


@pytest.mark.parametrize("body", [{}, {"status": "closed"}, {"status": "open", "colour": "red"},
                                  {"note": "x" * 5000}, [], "text"])
def test_patch_with_bad_body_is_422(client, store, body):
    [iid] = seed(store, 1)
    r = client.patch(f"/incidents/{iid}", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid request"


def test_patch_with_malformed_json_is_422(client, store):
    [iid] = seed(store, 1)
    r = client.patch(f"/incidents/{iid}", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422


def test_non_json_bodies_are_refused(client, store):
    [iid] = seed(store, 1)
    r = client.patch(f"/incidents/{iid}", content=b"status=resolved",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415 and r.json()["error"] == "unsupported content type"
    r = client.post("/allowlist", content=b"--x--", headers={"Content-Type": "multipart/form-data"})
    assert r.status_code == 415
    r = client.patch(f"/incidents/{iid}", content=b"\x80\x81{", headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 422)
    assert store.get(iid).status.value == "open"


@pytest.mark.parametrize("length, status", [("abc", 400), ("-5", 400), (str(1 << 30), 413)])
def test_bad_content_length_is_answered_in_json(server, length, status):
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(server)
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(f"PATCH /incidents/x HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {TOKEN}\r\n"
                     f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n".encode())
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split()[1] == str(status).encode()
    assert json.loads(body)["error"] == "invalid request"


def test_invalid_transition_is_409(client, store):
    [iid] = seed(store, 1)
    r = client.patch(f"/incidents/{iid}", json={"status": "takedown_accepted"})
    assert r.status_code == 409
    assert r.json()["error"] == "invalid transition" and "open" in r.json()["detail"]
    assert store.get(iid).status.value == "open"


def test_false_positive_on_a_strangers_post_allowlists_that_stranger(client, store):
    from api_helpers import finding

    from sentinelle.incidents import Allowlist
    from sentinelle.watchlist import Watchlist

    ids = seed(store, 3)[::-1]  # oldest first: scams, impersonation, leaks
    subject = store.get(ids[0]).subject
    r = client.patch(f"/incidents/{ids[0]}", json={"status": "false_positive", "note": "our partner"})
    assert r.status_code == 200
    keys = {(e["kind"], e["key"]) for e in client.get("/allowlist").json()["items"]}
    assert keys == {("account", f"{subject.platform}:{subject.handle.lower()}")}
    # The same stranger seen again is suppressed by the scan: no new alert.
    again = finding(0).model_copy(update={"dedup": "another sighting"})
    assert again.subject == subject
    assert Allowlist.build(Watchlist(organization="Acme"), store.allowlist()).suppresses(again)


def test_false_positive_on_a_leak_allowlists_nothing(client, store):
    """Issue 13, item 1: a leak marked false positive silences that finding, never its account."""
    ids = seed(store, 3)[::-1]
    assert store.get(ids[2]).detector == "leaks"
    assert client.patch(f"/incidents/{ids[2]}", json={"status": "false_positive"}).status_code == 200
    assert client.get("/allowlist").json()["items"] == []


def test_allowlist_add_list_delete(client):
    r = client.post("/allowlist", json={"kind": "account", "key": "Mastodon:@Acme_Partner", "reason": "partner"})
    assert r.status_code == 201 and r.json()["key"] == "mastodon:acme_partner"
    r = client.post("/allowlist", json={"kind": "domain", "key": "Partner.Example.com."})
    assert r.status_code == 201 and r.json()["key"] == "partner.example.com"
    items = client.get("/allowlist").json()["items"]
    assert {(e["kind"], e["key"]) for e in items} == {("account", "mastodon:acme_partner"),
                                                      ("domain", "partner.example.com")}
    assert client.delete("/allowlist/account/mastodon:acme_partner").status_code == 204
    assert client.delete("/allowlist/account/mastodon:acme_partner").status_code == 404
    assert [e["key"] for e in client.get("/allowlist").json()["items"]] == ["partner.example.com"]
    # Keys with reserved characters travel percent-encoded.
    client.post("/allowlist", json={"kind": "account", "key": "mastodon:acme@partner.social"})
    assert client.delete("/allowlist/account/mastodon%3Aacme%40partner.social").status_code == 204


@pytest.mark.parametrize("body", [{"kind": "person", "key": "x:y"}, {"kind": "account", "key": "nohandle"},
                                  {"kind": "domain", "key": "localhost"}, {"kind": "account"}])
def test_allowlist_bad_entries_are_4xx(client, body):
    r = client.post("/allowlist", json=body)
    assert r.status_code in (400, 422), r.text
    assert r.json()["error"]


def test_takedown_builds_pack_and_moves_status(client, store):
    ids = seed(store, 3)
    incident = store.get(ids[0])
    r = client.post(f"/incidents/{ids[0]}/takedown", json={"note": "reported by the SOC"})
    assert r.status_code == 200, r.text
    pack = r.json()
    assert pack["url"] == incident.subject.url
    assert pack["impersonates"] == "Acme" and pack["signals"] == incident.reasons
    assert pack["captured_at"] and pack["sent"] is False
    canonical = json.dumps(pack["snapshot"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert pack["snapshot_sha256"] == hashlib.sha256(canonical.encode()).hexdigest()
    assert pack["report"]["url"]
    after = client.get(f"/incidents/{ids[0]}").json()
    assert after["status"] == "takedown_requested"
    last = after["history"][-1]
    assert last["note"] == "reported by the SOC" and last["detail"]["takedown"]["snapshot_sha256"] == pack[
        "snapshot_sha256"]
    # The platform's answer is recorded later with a status change and a note.
    r = client.patch(f"/incidents/{ids[0]}", json={"status": "takedown_accepted", "note": "account suspended"})
    assert r.status_code == 200 and r.json()["history"][-1]["note"] == "account suspended"


def test_takedown_of_closed_incident_is_409(client, store):
    [iid] = seed(store, 1)
    client.patch(f"/incidents/{iid}", json={"status": "resolved"})
    assert client.post(f"/incidents/{iid}/takedown").status_code == 409


def test_openapi_document_lists_every_route(client):
    r = client.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    ops = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    assert ops >= {("GET", "/incidents"), ("GET", "/incidents/{incident_id}"), ("PATCH", "/incidents/{incident_id}"),
                   ("POST", "/incidents/{incident_id}/takedown"), ("GET", "/incidents/{incident_id}/playbook"),
                   ("GET", "/allowlist"), ("POST", "/allowlist"), ("DELETE", "/allowlist/{kind}/{key}"),
                   ("GET", "/health")}
    assert "bearer" in doc["components"]["securitySchemes"]
    assert doc["paths"]["/health"]["get"]["security"] == [{}]
    refs = set()

    def walk(node):
        if isinstance(node, dict):
            refs.update(v for k, v in node.items() if k == "$ref")
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(doc)
    assert refs and all(r.removeprefix("#/components/schemas/") in doc["components"]["schemas"] for r in refs)
    errors = doc["paths"]["/incidents/{incident_id}"]["patch"]["responses"]
    assert {"401", "404", "409", "422"} <= set(errors)
    assert errors["409"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_concurrent_requests(client, store, server):
    from concurrent.futures import ThreadPoolExecutor

    seed(store, 10)
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: client.get("/incidents", params={"limit": 3}).status_code, range(40)))
    assert codes == [200] * 40
