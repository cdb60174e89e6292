"""The dedup hash key (issue 12): required, never defaulted, and no keyed hash in any output.

The brute-force test plays the attacker of the issue: with the old default key ("sentinelle") and
every spelling of a known SSN, look for its hash in everything Sentinelle hands out (the API's
answer, alert messages in every variant, the webhook payload, the logs, the database file).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import json
import logging
import os
import re
import stat
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from sentinelle.alerts import format as fmt
from sentinelle.alerts.dispatch import drain
from sentinelle.alerts.sinks import ConsoleSink
from sentinelle.api.server import local_app, make_server
from sentinelle.detectors import Context, get
from sentinelle.hashkey import HashKeyError, key_beside, key_file, secret_key
from sentinelle.model import Post
from sentinelle.pipeline import scan
from sentinelle.ports import Query, SourceResult
from sentinelle.store.sqlite import SQLiteStore
from sentinelle.watchlist import Thresholds, parse_watchlist

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
TOKEN = "hash-key-test-token-0123456789"
SSN = "536-22-8134"
WL = parse_watchlist({"organization": "Santé Lumière",
                      "official_accounts": [{"platform": "mastodon", "handle": "drmarchand"}]})


class OnePost:
    name, platform = "fake:doctor", "mastodon"

    def queries(self, plan: list[Query]) -> list[Query]:
        return plan[:1]

    async def fetch(self, query: Query, checkpoint: str | None, deadline: Any = None) -> SourceResult:
        post = Post(platform="mastodon", id="1", url="https://mastodon.example/@drmarchand/1",
                    author={"id": "7", "handle": "drmarchand"},
                    text=f"Patient file: SSN {SSN}, please call back")
        return SourceResult(items=[post], checkpoint="1")

    async def aclose(self) -> None:
        return None


def default_key_hashes(value: str) -> set[str]:
    """What an attacker computes: the old default key over every plausible spelling of the value."""
    digits = re.sub(r"\D", "", value)
    spellings = {value, digits, f"us_ssn:{digits}", f"us_ssn:{value}", f"ssn:{digits}"}
    out = set()
    for s in spellings:
        full = hmac.new(b"sentinelle", s.encode(), hashlib.sha256).hexdigest()
        out |= {full, full[:20], full[:16], full[:32]}
    return out


@pytest.fixture
def scanned(tmp_path, caplog) -> Iterator[dict[str, Any]]:
    caplog.set_level(logging.DEBUG)
    store = SQLiteStore(tmp_path / "s.db")
    ctx = Context(watchlist=WL, hash_key=store.hash_key(), now=NOW)
    summary = asyncio.run(scan(get("leaks"), WL, [OnePost()], store, store, ctx=ctx, now=NOW))
    assert summary.new >= 1
    # The exact keyed hash of this SSN under the store's real key (the attacker does not have it).
    (real,) = {f.dedup for f in get("leaks").detect(OnePost_item(), ctx) if f.kind == "us_ssn"}
    console = io.StringIO()
    from rich.console import Console

    report = drain(store, [ConsoleSink(Console(file=console, width=200))], Thresholds())
    assert report.delivered
    httpd = make_server(local_app(store, TOKEN), "127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as client:
        listing = client.get("/incidents").json()
        details = [client.get(f"/incidents/{i['id']}").text for i in listing["items"]]
    httpd.shutdown()
    httpd.server_close()
    incidents = [store.get(i["id"]) for i in listing["items"]]
    outputs = {
        "api": json.dumps(listing) + "".join(details),
        "console alert": console.getvalue(),
        "e-mail": "".join("".join(fmt.email(i, "new")) for i in incidents),
        "sms": "".join(fmt.sms(i, "new") for i in incidents),
        "webhook": json.dumps([fmt.webhook_payload(i, "new") for i in incidents], default=str),
        "logs": "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records),
    }
    store.close()
    outputs["database"] = (tmp_path / "s.db").read_bytes().decode("latin-1") + "".join(
        p.read_bytes().decode("latin-1") for p in tmp_path.glob("s.db-*"))
    yield {"outputs": outputs, "real": real, "store_key": key_file(key_beside(tmp_path / "s.db"))}


def OnePost_item() -> Post:  # noqa: N802 - the post OnePost serves
    return asyncio.run(OnePost().fetch(Query(kind="account_posts", value="x"), None)).items[0]


def test_the_brute_force_of_the_issue_has_nothing_to_find(scanned):
    guesses = default_key_hashes(SSN)
    for where, text in scanned["outputs"].items():
        assert not [g for g in guesses if g in text], f"a default-key hash of the SSN is in the {where}"
        assert scanned["real"] not in text, f"the keyed hash itself left the process in the {where}"
        assert scanned["store_key"].decode() not in text, f"the key is in the {where}"
        assert SSN not in text and SSN.replace("-", "") not in text, f"the SSN is raw in the {where}"


def test_there_is_no_default_key_anywhere():
    with pytest.raises(TypeError):
        Context(watchlist=WL)  # type: ignore[call-arg]
    with pytest.raises(HashKeyError, match="SENTINELLE_HASH_KEY_SECRET"):
        secret_key(None)


def test_the_local_key_is_made_once_beside_the_database_readable_by_its_owner_only(tmp_path):
    with SQLiteStore(tmp_path / "a.db") as a:
        key = a.hash_key()
    path = key_beside(tmp_path / "a.db")
    assert path.exists() and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with SQLiteStore(tmp_path / "a.db") as again:
        assert again.hash_key() == key  # the same incidents keep the same ids across runs
    with SQLiteStore(tmp_path / "b.db") as other:
        assert other.hash_key() != key
    path.write_text("short")
    with SQLiteStore(tmp_path / "a.db") as broken, pytest.raises(HashKeyError, match="shorter than"):
        broken.hash_key()


def test_the_aws_key_is_read_from_secrets_manager(monkeypatch):
    boto3 = pytest.importorskip("boto3")
    from moto import mock_aws

    with mock_aws():
        boto3.client("secretsmanager").create_secret(Name="sentinelle/t/hash-key", SecretString="s" * 64)
        assert secret_key("sentinelle/t/hash-key") == b"s" * 64
        with pytest.raises(HashKeyError, match="cannot read"):
            secret_key("sentinelle/t/missing")
