"""The shared HTTP layer: client defaults, retries with backoff, 429 waits, caps and errors."""

from __future__ import annotations

import httpx
import pytest
import respx

from conftest import NOW, instant_policy, run
from sentinelle.http import (
    USER_AGENT, CredentialsError, RateLimited, Unavailable, make_client, rate_limit_wait, request_with_retries,
)

URL = "https://api.example/x"


async def call(policy, **kw):
    async with make_client() as client:
        return await request_with_retries(client, "GET", URL, policy=policy, **kw)


def test_client_defaults():
    client = make_client(headers={"X-Extra": "1"})
    assert client.headers["User-Agent"] == USER_AGENT and client.headers["X-Extra"] == "1"
    assert client.timeout.connect == 5.0 and client.timeout.read == 15.0
    run(client.aclose())


@pytest.mark.parametrize("headers,wait", [
    ({"Retry-After": "12"}, 12),
    ({"Retry-After": "Sat, 28 Nov 2026 12:00:30 GMT"}, 30),
    ({"x-rate-limit-reset": str(int(NOW) + 45)}, 45),  # X: epoch seconds
    ({"X-RateLimit-Reset": "2026-11-28T12:01:00.000Z"}, 60),  # Mastodon: ISO 8601
    ({"X-Ratelimit-Reset": "8"}, 8),  # Reddit: seconds
    ({"RateLimit-Reset": str(int(NOW) + 5)}, 5),  # Bluesky: epoch seconds
    ({"X-RateLimit-Reset": "2026-11-28T11:00:00Z"}, 0),  # already past
    ({"Retry-After": "soon"}, None),
    ({}, None),
])
def test_rate_limit_wait(headers, wait):
    assert rate_limit_wait(httpx.Response(429, headers=headers), NOW) == wait


@respx.mock
def test_5xx_and_network_errors_are_retried_with_growing_jittered_backoff():
    route = respx.get(URL).mock(side_effect=[httpx.Response(502), httpx.ConnectError("reset"),
                                             httpx.ReadTimeout("slow"), httpx.Response(200, json={"ok": 1})])
    policy = instant_policy(base_delay=1.0)
    counted = []
    response = run(call(policy, on_request=lambda: counted.append(1)))
    assert response.json() == {"ok": 1} and route.call_count == 4 and len(counted) == 4
    assert policy.waits == [0.75, 1.5, 3.0]  # delay/2 + rng*delay/2 with rng 0.5
    assert policy.sleep == policy.waits


@respx.mock
def test_attempts_run_out():
    respx.get(URL).mock(side_effect=httpx.ConnectTimeout("slow"))
    with pytest.raises(Unavailable, match="timeout"):
        run(call(instant_policy(max_attempts=3)))
    respx.get(URL).respond(503)
    with pytest.raises(Unavailable, match="server error 503"):
        run(call(instant_policy(max_attempts=2)))


@respx.mock
@pytest.mark.parametrize("code", [401, 403])
def test_auth_errors_are_not_retried(code):
    route = respx.get(URL).respond(code, json={"error": "no"})
    with pytest.raises(CredentialsError) as info:
        run(call(instant_policy()))
    assert info.value.reason == "credentials" and info.value.status_code == code and route.call_count == 1


@respx.mock
def test_other_client_errors_are_returned_to_the_caller():
    respx.get(URL).respond(404)
    assert run(call(instant_policy())).status_code == 404


@respx.mock
def test_429_waits_add_up_to_the_cap_then_give_up():
    respx.get(URL).respond(429, headers={"Retry-After": "20"})
    policy = instant_policy(max_total_wait=50, max_attempts=10)
    with pytest.raises(RateLimited, match="rate limited"):
        run(call(policy))
    assert policy.waits == [20.5, 20.5]  # a third wait would pass 50 s


@respx.mock
def test_429_without_header_backs_off():
    respx.get(URL).mock(side_effect=[httpx.Response(429), httpx.Response(200)])
    policy = instant_policy()
    assert run(call(policy)).status_code == 200 and policy.waits == [0.375]
