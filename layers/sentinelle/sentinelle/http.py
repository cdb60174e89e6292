"""The one HTTP client factory, and retries that respect each platform's rate limits."""

from __future__ import annotations

import asyncio
import functools
import random
import ssl
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Awaitable, Callable

import httpx

from sentinelle import __version__ as _VERSION

USER_AGENT = f"python:sentinelle:{_VERSION} (social-media risk monitor)"
DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)


@functools.cache
def _tls() -> ssl.SSLContext:
    # Loading the CA bundle costs ~0.1 s; every client of the process can share one context.
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def make_client(**kw: Any) -> httpx.AsyncClient:
    """The shared client: bounded timeouts and an honest User-Agent (Reddit throttles generic ones)."""
    headers = {"User-Agent": USER_AGENT, **kw.pop("headers", {})}
    kw.setdefault("verify", _tls())
    kw.setdefault("timeout", DEFAULT_TIMEOUT)
    kw.setdefault("follow_redirects", True)
    kw.setdefault("limits", httpx.Limits(max_connections=20, max_keepalive_connections=10))
    return httpx.AsyncClient(headers=headers, **kw)


class SourceError(Exception):
    """A request that failed for good; `reason` is what the run summary says ("credentials", ...)."""

    reason = "error"

    def __init__(self, reason: str | None = None, *, status_code: int | None = None, body: str | None = None):
        self.reason = reason or self.reason
        self.status_code = status_code
        self.body = body  # the error response, for adapters to tell quota from credentials; never logged
        super().__init__(self.reason)


class CredentialsError(SourceError):
    reason = "credentials"


class RateLimited(SourceError):
    reason = "rate limited"


class Unavailable(SourceError):
    reason = "unavailable"


class Rejected(SourceError):
    """The platform refused the request (a 4xx other than auth and rate limits)."""

    reason = "rejected"


@dataclass
class RetryPolicy:
    """How hard to try. `sleep` is injectable so tests run instantly and can see the waits."""

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_total_wait: float = 90.0  # beyond this, give up: "rate limited" / "unavailable"
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], float] = time.time
    rng: Callable[[], float] = random.random
    waits: list[float] = field(default_factory=list)  # every wait taken, for tests and logs

    def backoff(self, attempt: int) -> float:
        # Exponential with "equal jitter": never zero, never synchronised across invocations.
        delay = min(self.max_delay, self.base_delay * (2 ** attempt))
        return delay / 2 + self.rng() * delay / 2


@dataclass
class Spent:
    """Seconds already waited by a caller's earlier requests: pass the same one to every request
    of a fetch and the policy's cap covers them all together."""

    seconds: float = 0.0


def _seconds_until(value: str, now: float) -> float | None:
    """A rate-limit header as seconds to wait: delta seconds, epoch seconds, ISO 8601 or HTTP date."""
    value = value.strip()
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        # X sends an epoch (x-rate-limit-reset); Reddit and Retry-After send seconds.
        return max(0.0, number - now) if number > 1e9 else max(0.0, number)
    for parse in (lambda v: datetime.fromisoformat(v.replace("Z", "+00:00")), parsedate_to_datetime):
        try:
            moment = parse(value)
        except (TypeError, ValueError, IndexError):
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return max(0.0, moment.timestamp() - now)
    return None


# Retry-After (standard), x-rate-limit-reset (X, epoch), x-ratelimit-reset (Mastodon ISO 8601,
# Reddit seconds), ratelimit-reset (Bluesky PDS, epoch).
_RESET_HEADERS = ("retry-after", "x-rate-limit-reset", "x-ratelimit-reset", "ratelimit-reset")


def rate_limit_wait(response: httpx.Response, now: float) -> float | None:
    """How long a 429 asks us to wait, from Retry-After or the platform's reset header."""
    for name in _RESET_HEADERS:
        if name in response.headers:
            wait = _seconds_until(response.headers[name], now)
            if wait is not None:
                return wait
    return None


async def request_with_retries(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    policy: RetryPolicy | None = None,
    on_request: Callable[[], None] | None = None,
    spent: Spent | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Send a request, retrying 5xx, timeouts and network errors with backoff and honouring 429.

    Returns any other response (2xx, 404, 400...) for the caller to read. Raises
    CredentialsError on 401/403, RateLimited when the wait would exceed the policy's budget
    (`max_total_wait`, counted with `spent`), and Unavailable when the attempts run out.
    """
    policy = policy or RetryPolicy()
    spent = spent if spent is not None else Spent()
    attempt = 0
    last: SourceError = Unavailable()
    while attempt < policy.max_attempts:
        if on_request:
            on_request()
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.TimeoutException:
            last = Unavailable("timeout")
            wait = policy.backoff(attempt)
        except httpx.TransportError:
            last = Unavailable("network error")
            wait = policy.backoff(attempt)
        else:
            code = response.status_code
            if code in (401, 403):
                raise CredentialsError(status_code=code, body=response.text[:2000])
            if code == 429:
                last = RateLimited(status_code=code)
                asked = rate_limit_wait(response, policy.clock())
                wait = policy.backoff(attempt) if asked is None else asked + policy.rng()
            elif code >= 500:
                last = Unavailable(f"server error {code}", status_code=code)
                wait = policy.backoff(attempt)
            else:
                return response
        attempt += 1
        if attempt >= policy.max_attempts or spent.seconds + wait > policy.max_total_wait:
            break
        policy.waits.append(wait)
        spent.seconds += wait
        await policy.sleep(wait)
    raise last
