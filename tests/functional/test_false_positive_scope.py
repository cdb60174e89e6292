"""Issue 13, item 1: one false positive must not silence an official account.

The demo's date-of-birth finding on the doctor's post is marked a false positive through the API;
a later post by the same doctor with a valid NIR and a card number must still be found, recorded
and alerted, exactly as on a fresh database."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta, timezone

import httpx

from sentinelle.alerts.dispatch import drain
from sentinelle.api.server import local_app, make_server
from sentinelle.config import load_config
from sentinelle.detectors import Context, get
from sentinelle.model import Post
from sentinelle.pipeline import scan
from sentinelle.ports import Query, SourceResult
from sentinelle.runner import run_detector
from sentinelle.store.sqlite import SQLiteStore

TOKEN = "false-positive-scope-token-0123"
LATER = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)


class DoctorPostsAgain:
    name, platform = "fake:drmarchand", "mastodon"

    def queries(self, plan: list[Query]) -> list[Query]:
        return plan[:1]

    async def fetch(self, query: Query, checkpoint: str | None, deadline: object = None) -> SourceResult:
        post = Post(platform="mastodon", id="113800000000000001", url="https://mastodon.social/@drmarchand/1138",
                    author={"id": "109200000000000020", "handle": "drmarchand@mastodon.social"},
                    text="Dossier de Mme R. : NIR 2 74 04 54 395 326 67, carte bancaire 4539 7877 8932 8790")
        return SourceResult(items=[post], checkpoint="1")

    async def aclose(self) -> None:
        return None


class Noting:
    name, threshold = "noting", "alert"

    def __init__(self) -> None:
        self.kinds: list[str] = []

    def send(self, incident, change) -> None:  # noqa: ANN001
        self.kinds.append(incident.kind)

    def send_digest(self, items) -> None:  # noqa: ANN001
        self.kinds += [i.kind for i, _ in items]


def later_scan(store: SQLiteStore, wl) -> tuple[int, int, list[str]]:  # noqa: ANN001
    ctx = Context(watchlist=wl, hash_key=store.hash_key(), now=LATER)
    summary = asyncio.run(scan(get("leaks"), wl, [DoctorPostsAgain()], store, store, ctx=ctx, now=LATER))
    sink = Noting()
    drain(store, [sink], wl.thresholds, now=LATER)
    return summary.findings, summary.suppressed, sorted(sink.kinds)


def test_a_false_positive_on_a_leak_leaves_the_doctor_watched(tmp_path, demo_dir):
    config = load_config(str(demo_dir / "sentinelle.yaml"))
    fresh = SQLiteStore(tmp_path / "fresh.db")
    run_detector("leaks", config=config, store=fresh, now=LATER - timedelta(days=1))
    drain(fresh, [Noting()], config.wl.thresholds, now=LATER - timedelta(days=1))
    expected = later_scan(fresh, config.wl)
    assert expected[0] >= 2 and {"credit_card", "fr_nir"} <= set(expected[2])

    store = SQLiteStore(tmp_path / "triaged.db")
    run_detector("leaks", config=config, store=store, now=LATER - timedelta(days=1))
    drain(store, [Noting()], config.wl.thresholds, now=LATER - timedelta(days=1))
    (dob,) = [i for i in store.list(limit=200).items if i.kind == "date_of_birth"]
    httpd = make_server(local_app(store, TOKEN, watchlist=config.wl), "127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{httpd.server_address[1]}", timeout=10,
                          headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            assert client.patch(f"/incidents/{dob.id}", json={"status": "false_positive"}).status_code == 200
            assert client.get("/allowlist").json()["items"] == []
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert later_scan(store, config.wl) == expected  # 2+ findings, nothing suppressed, the same alerts
