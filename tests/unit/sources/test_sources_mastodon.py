"""Mastodon adapter and page parser against respx-replayed responses from documented fields."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from conftest import instant_policy, load, run
from sentinelle.ports import Query
from sentinelle.model import Post, Profile
from sentinelle.sources.mastodon import MastodonSource, html_to_text, next_max_id, parse_page

BASE = "https://social.example"
TAG = Query(kind="hashtag", value="MaisonLumiere")
NEXT = '<https://social.example/api/v1/timelines/tag/MaisonLumiere?max_id=113520411870001235>; rel="next", ' \
       '<https://social.example/api/v1/timelines/tag/MaisonLumiere?min_id=113520411870001236>; rel="prev"'


def source(**kw):
    kw.setdefault("policy", instant_policy())
    return MastodonSource(instance="social.example", **kw)


async def fetch(src, query, checkpoint=None):
    try:
        return await src.fetch(query, checkpoint)
    finally:
        await src.aclose()


def test_parse_statuses_maps_documented_fields():
    items, skipped, cursor = parse_page("tag_timeline", load("mastodon/tag_timeline_page1.json"),
                                        headers={"link": NEXT})
    assert skipped == 0 and cursor == "113520411870001235"
    first = items[0]
    assert isinstance(first, Post) and first.platform == "mastodon"
    assert first.author.handle == "lumiere_support_desk@social.example"
    assert first.links == ["https://lumiere-giveaway.example/claim"]  # hashtag and mention links left out
    assert first.hashtags == ["maisonlumiere"]
    assert "gift card at lumiere-giveaway.example/claim" in first.text.replace("https://", "")
    assert "Hurry!\nToday only" in first.text
    assert first.created_at.tzinfo is not None
    assert items[1].author.handle == "prizes@other.example" and items[1].links == []


def test_html_to_text_keeps_paragraphs_and_hidden_url_parts():
    text, links = html_to_text('<p>a <a href="https://x.example/p"><span class="invisible">https://</span>'
                               'x.example/p</a></p><p>b</p>')
    assert text == "a https://x.example/p\n\nb" and links == ["https://x.example/p"]


def test_malformed_items_are_skipped_and_counted():
    items, skipped, _ = parse_page("statuses", load("mastodon/tag_timeline_malformed.json"))
    assert len(items) == 2 and skipped == 2


def test_account_profile_and_suspended_account():
    (profile,), skipped, _ = parse_page("account", load("mastodon/account_lookup.json"))
    assert isinstance(profile, Profile) and skipped == 0
    assert profile.handle == "lumiere_support_desk@social.example"
    assert profile.links == ["https://lumiere-giveaway.example"] and profile.verified is False
    assert parse_page("account", load("mastodon/account_suspended.json")) == ([], 0, None)


def test_search_accounts_verified_field_and_bad_account():
    items, skipped, _ = parse_page("search", load("mastodon/search_accounts.json"))
    assert [p.verified for p in items] == [False, True] and skipped == 1


def test_next_max_id_without_next_link():
    assert next_max_id(None) is None
    assert next_max_id('<https://social.example/x?min_id=5>; rel="prev"') is None


@respx.mock
def test_first_and_next_page_then_checkpoint_is_newest_id():
    route = respx.get(f"{BASE}/api/v1/timelines/tag/MaisonLumiere").mock(side_effect=[
        httpx.Response(200, json=load("mastodon/tag_timeline_page1.json"), headers={"Link": NEXT}),
        httpx.Response(200, json=load("mastodon/tag_timeline_page2.json")),
    ])
    result = run(fetch(source(), TAG))
    assert result.status == "ok" and [i.id for i in result.items] == [
        "113520411870001236", "113520411870001235", "113520411870001200"]
    assert result.checkpoint == "113520411870001236" and result.requests == 2
    assert route.calls[1].request.url.params["max_id"] == "113520411870001235"


@respx.mock
def test_scheduled_run_reads_forward_from_the_checkpoint_with_min_id():
    route = respx.get(f"{BASE}/api/v1/timelines/tag/MaisonLumiere").mock(side_effect=[
        httpx.Response(200, json=load("mastodon/tag_timeline_page1.json"), headers={"Link": NEXT}),
        httpx.Response(200, json=[]),
    ])
    result = run(fetch(source(), TAG, "113520411870001200"))
    assert result.status == "ok" and [i.id for i in result.items] == ["113520411870001236", "113520411870001235"]
    assert result.checkpoint == "113520411870001236"
    first, second = (c.request.url.params for c in route.calls)
    assert first["min_id"] == "113520411870001200" and second["min_id"] == "113520411870001236"


@respx.mock
def test_nothing_new_leaves_the_checkpoint_alone():
    route = respx.get(f"{BASE}/api/v1/timelines/tag/MaisonLumiere").respond(200, json=[])
    result = run(fetch(source(), TAG, "113520411870001236"))
    assert (result.status, result.items, result.checkpoint) == ("ok", [], None)
    assert route.call_count == 1


@respx.mock
def test_burst_beyond_the_page_bound_is_finished_by_the_next_run():
    prev = '<https://social.example/api/v1/timelines/tag/MaisonLumiere?min_id={}>; rel="prev"'
    older, newer = load("mastodon/tag_timeline_page2.json"), load("mastodon/tag_timeline_page1.json")
    respx.get(f"{BASE}/api/v1/timelines/tag/MaisonLumiere").mock(side_effect=[
        httpx.Response(200, json=older, headers={"Link": prev.format("113520411870001200")}),
        httpx.Response(200, json=newer, headers={"Link": prev.format("113520411870001236")}),
        httpx.Response(200, json=[]),
    ])
    first = run(fetch(source(max_pages=1), TAG, "113520411870001100"))
    assert (first.status, first.checkpoint) == ("partial", "113520411870001200")
    assert [i.id for i in first.items] == ["113520411870001200"]
    second = run(fetch(source(max_pages=1), TAG, first.checkpoint))
    assert [i.id for i in second.items] == ["113520411870001236", "113520411870001235"]
    assert second.checkpoint == "113520411870001236"


@respx.mock
def test_page_limit_is_reported_as_partial():
    respx.get(f"{BASE}/api/v1/timelines/tag/MaisonLumiere").respond(
        200, json=load("mastodon/tag_timeline_page1.json"), headers={"Link": NEXT})
    result = run(fetch(source(max_pages=1), TAG))
    assert result.status == "partial" and result.reason == "page limit reached"


@respx.mock
def test_429_then_success_reads_everything_once_after_waiting_for_reset():
    policy = instant_policy()
    respx.get(f"{BASE}/api/v1/timelines/tag/MaisonLumiere").mock(side_effect=[
        httpx.Response(429, json={"error": "Too many requests"},
                       headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-11-28T12:00:30.000Z"}),
        httpx.Response(200, json=load("mastodon/tag_timeline_page1.json")),
    ])
    result = run(fetch(source(policy=policy), TAG))
    assert result.status == "ok" and len(result.items) == 2
    assert len({i.id for i in result.items}) == 2 and result.requests == 2
    assert policy.waits == [30.5]  # X-RateLimit-Reset (ISO) minus now, plus jitter


@respx.mock
def test_401_is_could_not_check_credentials():
    respx.get(f"{BASE}/api/v1/timelines/tag/MaisonLumiere").respond(401, json=load("mastodon/error_401.json"))
    result = run(fetch(source(), TAG, "5"))
    assert (result.status, result.reason, result.checkpoint) == ("could_not_check", "credentials", None)


@respx.mock
def test_timeout_is_could_not_check_with_checkpoint_unchanged():
    respx.get(f"{BASE}/api/v1/timelines/tag/MaisonLumiere").mock(side_effect=httpx.ConnectTimeout("slow"))
    result = run(fetch(source(), TAG, "113520411870001200"))
    assert (result.status, result.reason, result.checkpoint) == ("could_not_check", "timeout", None)


@respx.mock
def test_first_run_failure_on_second_page_is_partial_and_sets_no_checkpoint():
    respx.get(f"{BASE}/api/v1/timelines/tag/MaisonLumiere").mock(side_effect=[
        httpx.Response(200, json=load("mastodon/tag_timeline_page1.json"), headers={"Link": NEXT}),
        *[httpx.Response(503) for _ in range(4)],
    ])
    result = run(fetch(source(), TAG))
    assert result.status == "partial" and result.reason == "server error 503"
    assert len(result.items) == 2 and result.checkpoint is None


@respx.mock
def test_later_run_failure_keeps_the_progress_already_read():
    prev = '<https://social.example/api/v1/timelines/tag/MaisonLumiere?min_id=113520411870001236>; rel="prev"'
    respx.get(f"{BASE}/api/v1/timelines/tag/MaisonLumiere").mock(side_effect=[
        httpx.Response(200, json=load("mastodon/tag_timeline_page1.json"), headers={"Link": prev}),
        *[httpx.Response(503) for _ in range(4)],
    ])
    result = run(fetch(source(), TAG, "113520411870001100"))
    assert result.status == "partial" and len(result.items) == 2
    assert result.checkpoint == "113520411870001236"  # both read items are below it, nothing unread


@respx.mock
def test_account_posts_looks_up_then_reads_statuses():
    respx.get(f"{BASE}/api/v1/accounts/lookup", params={"acct": "lumiere_support_desk"}).respond(
        200, json=load("mastodon/account_lookup.json"))
    statuses = respx.get(f"{BASE}/api/v1/accounts/109876543210/statuses").respond(
        200, json=load("mastodon/tag_timeline_page2.json"))  # first run: no checkpoint, no Link
    q = Query(kind="account_posts", value="lumiere_support_desk@social.example", platform="mastodon")
    result = run(fetch(source(), q))
    assert result.status == "ok" and [i.id for i in result.items] == ["113520411870001200"]
    assert statuses.calls[0].request.url.params["exclude_reblogs"] == "true"


@respx.mock
def test_suspended_account_yields_no_item_and_says_why():
    respx.get(f"{BASE}/api/v1/accounts/lookup").respond(200, json=load("mastodon/account_suspended.json"))
    q = Query(kind="profile", value="gone_account@social.example", platform="mastodon")
    result = run(fetch(source(), q))
    assert result.status == "ok" and result.items == [] and result.reason == "account suspended"


@respx.mock
def test_search_profiles_uses_v2_search_accounts():
    route = respx.get(f"{BASE}/api/v2/search").respond(200, json=load("mastodon/search_accounts.json"))
    result = run(fetch(source(), Query(kind="search_profiles", value="Maison Lumiere")))
    assert len(result.items) == 2 and result.skipped == 1
    assert route.calls[0].request.url.params["type"] == "accounts"


def test_queries_served():
    plan = [TAG, Query(kind="search_posts", value="x"), Query(kind="hashtag", value="y", platform="x"),
            Query(kind="profile", value="a@social.example", platform="mastodon"),
            Query(kind="profile", value="a@elsewhere.example", platform="mastodon")]
    src = source()
    assert src.queries(plan) == [TAG, plan[3]]
    assert Query(kind="search_posts", value="x") in source(token="t").queries(plan)
    run(src.aclose())


@pytest.mark.parametrize("endpoint", ["nope", "tags"])
def test_unknown_endpoint_is_an_error(endpoint):
    with pytest.raises(LookupError):
        parse_page(endpoint, [])


@respx.mock
def test_a_body_that_is_not_json_is_malformed_response():
    respx.get(f"{BASE}/api/v1/timelines/tag/MaisonLumiere").respond(200, text="<html>maintenance</html>")
    result = run(fetch(source(), TAG, "5"))
    assert (result.status, result.reason, result.checkpoint) == ("could_not_check", "malformed response", None)
    respx.get(f"{BASE}/api/v1/timelines/tag/MaisonLumiere").respond(200, json={"error": "not a list"})
    assert run(fetch(source(), TAG)).reason == "malformed response"


@respx.mock
@pytest.mark.parametrize("checkpoint", [None, "113520411870001100"])
def test_a_status_dated_in_the_future_does_not_become_the_checkpoint(checkpoint):
    future_ms = 1_956_528_000_000  # 2032: a remote instance claiming a date years ahead
    page = load("mastodon/tag_timeline_page1.json")
    page[0]["id"] = str(future_ms << 16)
    link = f'<{BASE}/api/v1/timelines/tag/MaisonLumiere?min_id={page[0]["id"]}>; rel="prev"'
    respx.get(f"{BASE}/api/v1/timelines/tag/MaisonLumiere").mock(side_effect=[
        httpx.Response(200, json=page, headers={"Link": link}), httpx.Response(200, json=[])])
    result = run(fetch(source(max_pages=1), TAG, checkpoint))
    assert len(result.items) == 2 and result.checkpoint == "113520411870001235"


@respx.mock
def test_lone_surrogates_become_replacement_characters():
    body = json.dumps(load("mastodon/tag_timeline_page1.json")).replace("Hurry!", "Hurry SURROGATE")
    respx.get(f"{BASE}/api/v1/timelines/tag/MaisonLumiere").respond(
        200, content=body.replace("SURROGATE", "\\ud800").encode(), headers={"content-type": "application/json"})
    result = run(fetch(source(), TAG))
    assert "Hurry \ufffd" in result.items[0].text
    result.items[0].model_dump_json().encode("utf-8")  # storable


@respx.mock
def test_absurdly_nested_body_is_malformed_response():
    respx.get(f"{BASE}/api/v1/timelines/tag/MaisonLumiere").respond(200, content=b"[" * 50_000)
    assert run(fetch(source(), TAG)).reason == "malformed response"


@respx.mock
def test_status_search_with_a_token_quotes_the_name():
    route = respx.get(f"{BASE}/api/v2/search").respond(
        200, json={"accounts": [], "statuses": load("mastodon/tag_timeline_page2.json"), "hashtags": []})
    result = run(fetch(source(token="fake-token"), Query(kind="search_posts", value="Maison Lumière")))
    assert [i.id for i in result.items] == ["113520411870001200"]
    params = route.calls[0].request.url.params
    assert (params["q"], params["type"]) == ('"Maison Lumière"', "statuses")
    assert route.calls[0].request.headers["Authorization"] == "Bearer fake-token"


@respx.mock
def test_a_deadline_mid_burst_keeps_the_pages_read_and_the_next_run_goes_on():
    """Forward paging: the checkpoint is the last page read before the deadline, not the newest."""
    from sentinelle.ports import Deadline

    clock = [0.0]
    prev = '<https://social.example/api/v1/timelines/tag/MaisonLumiere?min_id={}>; rel="prev"'
    older, newer = load("mastodon/tag_timeline_page2.json"), load("mastodon/tag_timeline_page1.json")

    def slow_first_page(request: httpx.Request) -> httpx.Response:
        clock[0] = 100.0  # the page took the rest of the invocation
        return httpx.Response(200, json=older, headers={"Link": prev.format("113520411870001200")})

    route = respx.get(f"{BASE}/api/v1/timelines/tag/MaisonLumiere").mock(side_effect=[
        slow_first_page,
        httpx.Response(200, json=newer, headers={"Link": prev.format("113520411870001236")}),
        httpx.Response(200, json=[]),
    ])
    src = source()
    first = run(src.fetch(TAG, "113520411870001100", Deadline(at=60, margin=5, clock=lambda: clock[0])))
    run(src.aclose())
    assert (first.status, first.reason, first.checkpoint) == ("partial", "deadline", "113520411870001200")
    assert [i.id for i in first.items] == ["113520411870001200"] and route.call_count == 1
    second = run(fetch(source(), TAG, first.checkpoint))
    assert [i.id for i in second.items] == ["113520411870001236", "113520411870001235"]
    assert second.checkpoint == "113520411870001236"
