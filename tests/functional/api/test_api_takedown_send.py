"""POST /incidents/{id}/takedown with "send": only when the server has a reporter for the platform,
never for an incident that cannot move, and nothing changes when the platform refuses."""

from __future__ import annotations

import threading
from typing import Iterator

import httpx
import pytest
from api_helpers import TOKEN, seed

from sentinelle.api.reporting import ReportError
from sentinelle.api.server import local_app, make_server


class FakeReporter:
    def __init__(self, fail: bool = False):
        self.fail, self.sent = fail, []

    def send(self, incident, pack):
        if self.fail:
            raise ReportError("https://ours.social/api/v1/reports: HTTP 503")
        self.sent.append(incident.id)
        return {"platform": incident.platform, "report_id": "42"}


@pytest.fixture
def reporting(store) -> Iterator[tuple[httpx.Client, dict[str, FakeReporter]]]:
    reporters = {"mastodon": FakeReporter(), "reddit": FakeReporter(fail=True)}
    httpd = make_server(local_app(store, TOKEN, reporters=reporters), "127.0.0.1", 0)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    with httpx.Client(base_url=f"http://127.0.0.1:{httpd.server_address[1]}",
                      headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as client:
        yield client, reporters
    httpd.shutdown()
    httpd.server_close()


def _by_platform(store, ids, platform):
    return next(i for i in ids if store.get(i).platform == platform)


def test_send_files_the_report_and_records_the_answer(reporting, store):
    client, reporters = reporting
    iid = _by_platform(store, seed(store, 9), "mastodon")
    r = client.post(f"/incidents/{iid}/takedown", json={"send": True})
    assert r.status_code == 200, r.text
    assert r.json()["sent"] is True and r.json()["platform_answer"]["report_id"] == "42"
    assert reporters["mastodon"].sent == [iid]
    last = store.get(iid).history[-1]
    assert store.get(iid).status.value == "takedown_requested"
    assert last.detail["takedown"]["platform_answer"]["report_id"] == "42"


def test_send_without_a_reporter_is_409_and_changes_nothing(reporting, store):
    client, _ = reporting
    iid = _by_platform(store, seed(store, 9), "bluesky")
    r = client.post(f"/incidents/{iid}/takedown", json={"send": True})
    assert r.status_code == 409 and r.json()["error"] == "reporting not configured"
    assert store.get(iid).status.value == "open"


def test_platform_refusal_is_502_and_changes_nothing(reporting, store):
    client, _ = reporting
    iid = _by_platform(store, seed(store, 9), "reddit")
    r = client.post(f"/incidents/{iid}/takedown", json={"send": True})
    assert r.status_code == 502 and "503" in r.json()["detail"]
    assert store.get(iid).status.value == "open"


def test_nothing_is_sent_for_an_incident_that_cannot_move(reporting, store):
    client, reporters = reporting
    iid = _by_platform(store, seed(store, 9), "mastodon")
    client.patch(f"/incidents/{iid}", json={"status": "resolved"})
    r = client.post(f"/incidents/{iid}/takedown", json={"send": True})
    assert r.status_code == 409 and reporters["mastodon"].sent == []


def test_default_is_not_to_send(reporting, store):
    client, reporters = reporting
    iid = _by_platform(store, seed(store, 9), "mastodon")
    r = client.post(f"/incidents/{iid}/takedown")
    assert r.status_code == 200 and r.json()["sent"] is False and reporters["mastodon"].sent == []
