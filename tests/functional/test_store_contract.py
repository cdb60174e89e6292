"""One contract for every store: SQLite on a temp file and DynamoDB under moto behave the same."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from sentinelle.model import MAX_FINDINGS, Change, Finding, Severity, Status, Subject
from sentinelle.store import InvalidTransition, NotFound, open_store
from sentinelle.incidents import DEFAULT_TTL_DAYS

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
BACKENDS = ["sqlite", "dynamodb"]


def finding(n: int = 1, *, severity: str = "medium", score: int = 60, detector: str = "scams",
            platform: str = "mastodon", handle: str | None = None, kind: str = "account",
            reason: str = "asks for card details") -> Finding:
    handle = handle or f"acct{n}"
    return Finding(
        detector=detector, kind="fake_support", severity=Severity(severity), score=score,
        reasons=[reason], evidence={"text": f"post {n}"},
        subject=Subject(platform=platform, kind=kind, id=handle, handle=handle,
                        url=f"https://{platform}.example/@{handle}"),
    )


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def make_store(backend: str, tmp_path, monkeypatch):
    """A factory: each call opens another handle on the SAME store (another 'process')."""
    if backend == "sqlite":
        path = tmp_path / "s.db"
        handles = []

        def make():
            handles.append(open_store(path))
            return handles[-1]

        yield make
        for h in handles:
            h.close()
        return
    pytest.importorskip("moto")
    from moto import mock_aws

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    from moto.core.botocore_stubber import BotocoreStubber

    # DynamoDB applies each request atomically; moto does not lock, so two threads could both pass
    # one condition check. Serialise requests to model the real service in the race tests.
    lock, real = threading.Lock(), BotocoreStubber.process_request

    def atomic(self, request):
        with lock:
            return real(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", atomic)
    # powertools keeps one secrets client per process, made in the region of its first use: a test
    # in another region before this one would leave it looking for the secret there.
    from aws_lambda_powertools.utilities import parameters
    from aws_lambda_powertools.utilities.parameters import base as parameters_base

    parameters.clear_caches()
    monkeypatch.setattr(parameters_base, "DEFAULT_PROVIDERS", {})
    with mock_aws():
        from sentinelle.store.dynamodb import DynamoDBStore, create_table

        create_table("sentinelle-test")
        boto3.client("secretsmanager").create_secret(Name="sentinelle/contract/hash-key", SecretString="c" * 64)
        yield lambda: DynamoDBStore("sentinelle-test", hash_key_secret="sentinelle/contract/hash-key")


@pytest.fixture
def store(make_store):
    return make_store()


# -- record ------------------------------------------------------------------------------------

def test_new_then_repeat_then_escalated(store):
    r1 = store.record(finding(), T0)
    assert r1.change is Change.new
    assert r1.incident.id == finding().incident_key
    assert r1.incident.occurrences == 1 and r1.incident.first_seen == T0

    r2 = store.record(finding(score=65, reason="again"), T0 + timedelta(hours=1))
    assert r2.change is Change.repeat
    assert r2.incident.occurrences == 2
    assert r2.incident.last_seen == T0 + timedelta(hours=1)
    assert r2.incident.first_seen == T0
    assert r2.incident.reasons == ["again"]  # refreshed to the latest, without alerting

    r3 = store.record(finding(severity="high", score=80, reason="worse"), T0 + timedelta(hours=2))
    assert r3.change is Change.escalated
    assert r3.incident.severity is Severity.high and r3.incident.score == 80
    assert r3.incident.history[-1].action == "escalated"

    # A lower severity afterwards neither alerts nor lowers the incident.
    r4 = store.record(finding(severity="low", score=30, reason="milder"), T0 + timedelta(hours=3))
    assert r4.change is Change.repeat
    got = store.get(r1.incident.id)
    assert got.severity is Severity.high and got.reasons == ["worse"]
    assert got.occurrences == 4 and len(got.findings) == 4


def test_findings_are_capped(store):
    for i in range(MAX_FINDINGS + 5):
        store.record(finding(reason=f"r{i}"), T0 + timedelta(minutes=i))
    got = store.get(finding().incident_key)
    assert got.occurrences == MAX_FINDINGS + 5
    assert len(got.findings) == MAX_FINDINGS
    assert got.findings[-1].reasons == [f"r{MAX_FINDINGS + 4}"]  # newest last
    assert got.findings[0].reasons == ["r5"]


def test_false_positive_never_alerts_again(store):
    inc = store.record(finding(), T0).incident
    store.update(inc.id, status=Status.false_positive, note="our partner", assignee=None,
                 actor="ana", now=T0 + timedelta(minutes=1))
    r = store.record(finding(severity="critical", score=95), T0 + timedelta(minutes=2))
    assert r.change is Change.repeat
    assert r.incident.status is Status.false_positive
    assert store.get(inc.id).occurrences == 2


def test_allowlist_entries_are_kept_folded_and_the_store_does_not_judge(store):
    """The store keeps entries; what they suppress is decided once, by incidents.Allowlist, in the
    pipeline (so the organisation's own accounts can never be silenced by one)."""
    store.allow("account", "Mastodon:@Acct7", "our reseller", "ana", T0)
    assert [(e["kind"], e["key"], e["reason"]) for e in store.allowlist()] == [("account", "mastodon:acct7", "our reseller")]
    assert store.record(finding(7), T0).change is Change.new
    store.disallow("account", "mastodon:acct7")
    assert store.allowlist() == []


def test_small_values_round_trip(store):
    assert store.get_value("health", "mastodon:social") is None
    store.put_value("health", "mastodon:social", '{"failed": true}', T0)
    store.put_value("session", "mastodon:social", "s", T0)
    assert store.get_value("health", "mastodon:social") == '{"failed": true}'
    assert store.get_checkpoint("health", "mastodon:social") is None  # not a checkpoint


def test_each_store_has_a_hash_key_of_its_own(store):
    key = store.hash_key()
    assert isinstance(key, bytes) and len(key) >= 16 and key != b"sentinelle"
    assert store.hash_key() == key


def test_record_many_matches_record(store):
    if not hasattr(store, "record_many"):
        pytest.skip("no batch API")
    batch = [finding(1), finding(2), finding(1, severity="high", score=75), finding(3)]
    out = store.record_many(batch, T0)
    assert [r.change for r in out] == [Change.new, Change.new, Change.escalated, Change.new]
    assert store.get(finding(1).incident_key).occurrences == 2
    again = store.record_many(batch, T0 + timedelta(hours=1))
    assert {r.change for r in again} == {Change.repeat}


def test_concurrent_record_of_one_key_gives_one_new(make_store):
    results: list[Change] = []

    def work(s):
        for i in range(5):
            results.append(s.record(finding(42), T0 + timedelta(seconds=i)).change)

    stores = [make_store(), make_store()]
    assert not _in_threads(stores, work)
    assert results.count(Change.new) == 1 and results.count(Change.repeat) == 9
    assert stores[0].get(finding(42).incident_key).occurrences == 10


# -- get / list --------------------------------------------------------------------------------

def test_get_unknown_raises_not_found(store):
    with pytest.raises(NotFound):
        store.get("nope")
    with pytest.raises(NotFound):
        store.update("nope", status=Status.resolved, note=None, assignee=None, actor="a", now=T0)


def _seed(store, n: int = 30) -> list[str]:
    """n incidents, last_seen one minute apart, several sharing a timestamp (ties by id)."""
    ids = []
    for i in range(n):
        f = finding(i, severity=["low", "medium", "high"][i % 3], score=[30, 60, 80][i % 3],
                    detector="scams" if i % 2 else "leaks", platform="bluesky" if i % 5 == 0 else "mastodon")
        ids.append(store.record(f, T0 + timedelta(minutes=i // 2)).incident.id)
    return ids


def _order_key(inc):
    return (inc.last_seen, inc.id)


def test_list_newest_first_with_ties_by_id(store):
    _seed(store, 12)
    items = store.list(limit=100).items
    assert len(items) == 12
    assert [_order_key(i) for i in items] == sorted((_order_key(i) for i in items), reverse=True)


@pytest.mark.parametrize("limit", [1, 5, 50])
@pytest.mark.parametrize("filters", [
    {}, {"status": Status.open}, {"detector": "scams"}, {"severity": Severity.high},
    {"platform": "bluesky"}, {"since": T0 + timedelta(minutes=5)},
    {"status": Status.open, "detector": "leaks", "severity": Severity.medium, "platform": "mastodon",
     "since": T0 + timedelta(minutes=3)},
])
def test_list_pages_through_everything_once(store, filters, limit):
    _seed(store, 24)
    everything = store.list(limit=1000).items
    expected = [i.id for i in everything if _matches(i, filters)]
    seen, position, pages = [], None, 0
    while True:
        page = store.list(limit=limit, position=position, **filters)
        assert len(page.items) <= limit
        seen += [i.id for i in page.items]
        pages += 1
        position = page.next_position
        if position is None:
            break
        assert pages < 100
    assert seen == expected
    assert len(set(seen)) == len(seen)
    assert expected  # every filter selects something in the seed


def _matches(inc, f) -> bool:
    return ((f.get("status") is None or inc.status is f["status"])
            and (f.get("detector") is None or inc.detector == f["detector"])
            and (f.get("severity") is None or inc.severity >= f["severity"])
            and (f.get("platform") is None or inc.platform == f["platform"])
            and (f.get("since") is None or inc.last_seen >= f["since"]))


def test_list_by_status_after_triage(store):
    ids = _seed(store, 6)
    store.update(ids[2], status=Status.acknowledged, note=None, assignee="ana", actor="ana", now=T0)
    assert [i.id for i in store.list(status=Status.acknowledged).items] == [ids[2]]
    assert ids[2] not in [i.id for i in store.list(status=Status.open).items]


def test_list_empty_and_last_page_has_no_position(store):
    assert store.list().items == [] and store.list().next_position is None
    _seed(store, 3)
    page = store.list(limit=3)
    assert len(page.items) == 3 and page.next_position is None


# -- update ------------------------------------------------------------------------------------

def test_update_records_history(store):
    inc = store.record(finding(), T0).incident
    t1 = T0 + timedelta(hours=1)
    out = store.update(inc.id, status=Status.takedown_requested, note="reported to platform",
                       assignee="ana", actor="ana@example.com", now=t1, detail={"ticket": "T-1"})
    assert out.status is Status.takedown_requested and out.assignee == "ana"
    h = store.get(inc.id).history[-1]
    assert (h.by, h.at, h.status, h.note, h.assignee, h.detail) == (
        "ana@example.com", t1, Status.takedown_requested, "reported to platform", "ana", {"ticket": "T-1"})
    # Same status with only a note is fine.
    store.update(inc.id, status=Status.takedown_requested, note="chased", assignee=None, actor="bo", now=t1)
    assert store.get(inc.id).history[-1].note == "chased"
    assert store.get(inc.id).assignee == "ana"


@pytest.mark.parametrize("path,bad", [
    ([], Status.takedown_accepted),
    ([], Status.takedown_denied),
    ([Status.resolved], Status.acknowledged),
    ([Status.takedown_requested], Status.acknowledged),
    ([Status.false_positive], Status.resolved),
])
def test_invalid_transitions_are_refused(store, path, bad):
    inc = store.record(finding(), T0).incident
    for st in path:
        store.update(inc.id, status=st, note=None, assignee=None, actor="a", now=T0)
    with pytest.raises(InvalidTransition, match=bad.value):
        store.update(inc.id, status=bad, note=None, assignee=None, actor="a", now=T0)
    assert store.get(inc.id).status is (path[-1] if path else Status.open)


def test_ttl_set_when_closed_and_cleared_on_reopen(store):
    inc = store.record(finding(), T0).incident
    assert store.expires_at(inc.id) is None
    t1 = T0 + timedelta(days=1)
    store.update(inc.id, status=Status.resolved, note=None, assignee=None, actor="a", now=t1)
    assert store.expires_at(inc.id) == int((t1 + timedelta(days=DEFAULT_TTL_DAYS)).timestamp())
    # A sighting soon after closing (a platform's cache) does not move its expiry.
    assert store.record(finding(), t1 + timedelta(hours=12)).change is Change.repeat
    assert store.expires_at(inc.id) == int((t1 + timedelta(days=DEFAULT_TTL_DAYS)).timestamp())
    store.update(inc.id, status=Status.open, note="back again", assignee=None, actor="a", now=t1)
    assert store.expires_at(inc.id) is None
    assert store.get(inc.id).history[-1].action == "reopened"
    store.update(inc.id, status=Status.takedown_requested, note=None, assignee=None, actor="a", now=t1)
    store.update(inc.id, status=Status.takedown_accepted, note=None, assignee=None, actor="a", now=t1)
    assert store.expires_at(inc.id) is not None


@pytest.mark.parametrize("closed", [Status.resolved, Status.takedown_accepted])
def test_seen_a_day_after_it_was_closed_reopens_and_alerts(store, closed):
    """A takedown that did not hold, or a fix that did not: the subject is still there."""
    inc = store.record(finding(), T0).incident
    t1 = T0 + timedelta(hours=1)
    if closed is Status.takedown_accepted:
        store.update(inc.id, status=Status.takedown_requested, note=None, assignee=None, actor="a", now=t1)
    store.update(inc.id, status=closed, note=None, assignee=None, actor="a", now=t1)
    assert store.record(finding(), t1 + timedelta(hours=23)).change is Change.repeat
    assert store.get(inc.id).status is closed and store.expires_at(inc.id) is not None
    again = store.record(finding(), t1 + timedelta(hours=25))
    assert again.change is Change.reopened and again.incident.status is Status.open
    stored = store.get(inc.id)
    assert stored.status is Status.open and store.expires_at(inc.id) is None
    last = stored.history[-1]
    assert (last.by, last.action) == ("sentinelle", "reopened") and closed.value in last.note
    # Open again, it behaves as open: the next sighting is a repeat, a false positive never reopens.
    assert store.record(finding(), t1 + timedelta(days=3)).change is Change.repeat
    store.update(inc.id, status=Status.false_positive, note=None, assignee=None, actor="a", now=t1 + timedelta(days=3))
    assert store.record(finding(), t1 + timedelta(days=9)).change is Change.repeat
    assert store.get(inc.id).status is Status.false_positive


# -- allowlist and checkpoints -------------------------------------------------------------------

def test_allowlist_add_list_remove(store):
    assert store.allowlist() == []
    store.allow("account", "Bluesky:@Partner.bsky.social", "reseller", "ana", T0)
    store.allow("domain", "https://www.Example.org/path", "our agency", "bo", T0)
    entries = store.allowlist()
    assert {(e["kind"], e["key"]) for e in entries} == {
        ("account", "bluesky:partner.bsky.social"), ("domain", "example.org")}
    e = next(e for e in entries if e["kind"] == "domain")
    assert e["reason"] == "our agency" and e["added_by"] == "bo" and e["added_at"] == T0
    store.disallow("domain", "example.org")
    assert [e["kind"] for e in store.allowlist()] == ["account"]
    with pytest.raises(ValueError):
        store.allow("phone", "123", "x", "a", T0)


def test_checkpoints(store):
    assert store.get_checkpoint("mastodon:m.social", "#brand") is None
    store.put_checkpoint("mastodon:m.social", "#brand", "111", T0)
    store.put_checkpoint("mastodon:m.social", "other", "5", T0)
    store.put_checkpoint("mastodon:m.social", "#brand", "222", T0)
    assert store.get_checkpoint("mastodon:m.social", "#brand") == "222"
    assert store.get_checkpoint("mastodon:m.social", "other") == "5"
    assert store.get_checkpoint("bluesky", "#brand") is None


# -- small state shared by concurrent workers (quotas, sessions) ---------------------------------

def _in_threads(stores: list, work) -> list[BaseException]:
    barrier = threading.Barrier(len(stores))
    errors: list[BaseException] = []

    def run(s):
        try:
            barrier.wait()
            work(s)
        except BaseException as exc:  # surfaced by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_update_value_is_atomic_across_two_workers(make_store):
    """Two workers counting on one value: a read-modify-write per step loses no step."""
    stores = [make_store(), make_store()]

    def count(s):
        for _ in range(20):
            s.update_value("quota", "shared", lambda raw: str(int(raw or 0) + 1), T0)

    assert _in_threads(stores, count) == []
    assert stores[0].get_value("quota", "shared") == "40"


def test_update_value_writes_nothing_when_the_change_refuses(store):
    store.put_value("quota", "k", "9", T0)

    def refuse(raw):
        raise OverflowError("spent")

    with pytest.raises(OverflowError):
        store.update_value("quota", "k", refuse, T0)
    assert store.get_value("quota", "k") == "9"
    assert store.update_value("quota", "new", lambda raw: f"{raw}!", T0) == "None!"


def test_two_workers_share_one_youtube_quota(make_store):
    """Two workers searching YouTube at once, with one search left for the day: exactly one call
    reaches the platform, the other worker is told the quota is reached."""
    import asyncio

    import httpx
    import respx

    from sentinelle.http import RetryPolicy
    from sentinelle.ports import Query
    from sentinelle.sources.youtube import YouTubeSource

    stores = [make_store(), make_store()]
    results: list = []
    search = Query(kind="search_posts", value="Maison Lumière")

    async def no_sleep(seconds: float) -> None:
        return None

    def worker(s):
        async def go():
            src = YouTubeSource(api_key="fake-key", quota_store=s, search_calls_per_day=1,
                                policy=RetryPolicy(sleep=no_sleep, clock=lambda: 1_795_867_200.0))
            try:
                results.append(await src.fetch(search, None))
            finally:
                await src.aclose()

        asyncio.run(go())

    with respx.mock:
        route = respx.get("https://www.googleapis.com/youtube/v3/search").mock(
            return_value=httpx.Response(200, json={"items": []}))
        assert _in_threads(stores, worker) == []
    assert route.call_count == 1
    assert sorted(r.reason or "ok" for r in results) == ["ok", "quota reached"]


def test_three_workers_never_read_past_the_x_daily_budget(make_store):
    """Three workers reading X at once on one daily read budget: each claims what a page may cost
    before asking (its posts and as many authors), so together they never read more than the day
    allows, and what they did not read is given back (the stored count is what they read)."""
    import asyncio
    import json

    import httpx
    import respx

    from sentinelle.http import RetryPolicy
    from sentinelle.ports import Query
    from sentinelle.sources.x import XSource

    stores = [make_store(), make_store(), make_store()]
    sources: list = []
    search = Query(kind="search_posts", value="Maison Lumière")

    async def no_sleep(seconds: float) -> None:
        return None

    def page(request: httpx.Request) -> httpx.Response:  # as many posts as asked, each by its own author
        n = int(request.url.params["max_results"])
        data = [{"id": str(10**18 - i), "author_id": str(i), "text": "Maison Lumière refunds"} for i in range(n)]
        users = [{"id": str(i), "username": f"author{i}", "name": "A"} for i in range(n)]
        return httpx.Response(200, json={"data": data, "includes": {"users": users}, "meta": {"result_count": n}})

    def worker(s):
        async def go():
            src = XSource(bearer_token="fake", quota_store=s, daily_read_budget=150, max_pages=1,
                          policy=RetryPolicy(sleep=no_sleep, clock=lambda: 1_795_867_200.0))
            try:
                await src.fetch(search, None)
            finally:
                await src.aclose()
            sources.append(src)

        asyncio.run(go())

    with respx.mock:
        respx.get("https://api.x.com/2/tweets/search/recent").mock(side_effect=page)
        assert _in_threads(stores, worker) == []
    read = sum(src.reads for src in sources)
    assert read <= 150 and json.loads(stores[0].get_value("quota", "x"))["reads"] == read
