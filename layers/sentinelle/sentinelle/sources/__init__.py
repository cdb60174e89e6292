"""Sources: one module per platform plus `replay`, each mapping documented JSON to Post/Profile."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sentinelle.ports import Query, Source, SourceResult
from sentinelle.http import RetryPolicy

__all__ = ["Source", "SourceResult", "build_source", "validate_spec", "SPECS"]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None


class _LiveSpec(_Spec):
    max_pages: int = Field(3, ge=1, le=50)
    page_size: int | None = Field(None, ge=1, le=100)
    max_attempts: int = Field(4, ge=1, le=10)
    max_wait: float = Field(90.0, ge=0)  # total seconds a fetch may spend waiting on rate limits


class ReplaySpec(_Spec):
    type: Literal["replay"]
    path: str
    platform: str | None = None
    endpoint: str | None = None
    query: Query | None = None
    instance: str | None = None  # Mastodon: the host of local accounts without one in their URL


class MastodonSpec(_LiveSpec):
    type: Literal["mastodon"]
    instance: str
    token_secret: str | None = None  # optional: adds full-text status search


class BlueskySpec(_LiveSpec):
    type: Literal["bluesky"]
    identifier: str | None = None  # the handle the app password belongs to
    app_password_secret: str = "bluesky_app_password"
    service: str = "https://bsky.social"
    appview: str = "https://public.api.bsky.app"


class RedditSpec(_LiveSpec):
    type: Literal["reddit"]
    client_id_secret: str = "reddit_client_id"
    client_secret_secret: str = "reddit_client_secret"
    user_agent: str | None = None
    subreddit: str | None = None  # restrict search to one subreddit


class XSpec(_LiveSpec):
    type: Literal["x"]
    bearer_token_secret: str = "x_bearer_token"
    read_budget: int = Field(500, ge=0)  # posts + users read per run (each is paid)


class YouTubeSpec(_LiveSpec):
    type: Literal["youtube"]
    api_key_secret: str = "youtube_api_key"
    daily_quota: int = Field(10_000, ge=0)  # units per day (Pacific), shared by every run
    search_calls_per_day: int = Field(100, ge=0)  # search.list has its own small bucket


class RssSpec(_Spec):
    type: Literal["rss"]
    url: str
    platform: str = "rss"  # e.g. mastodon for https://instance/@user.rss
    author: str | None = None  # handle to give entries without an author (the feed's owner)
    query: Query | None = None


SPECS: dict[str, type[_Spec]] = {
    "replay": ReplaySpec, "mastodon": MastodonSpec, "bluesky": BlueskySpec, "reddit": RedditSpec,
    "x": XSpec, "youtube": YouTubeSpec, "rss": RssSpec,
}


def _validate(spec: dict[str, Any]) -> _Spec:
    if not isinstance(spec, dict):
        raise ValueError(f"source: expected a mapping with a 'type' key, got {type(spec).__name__}")
    kind = spec.get("type")
    if kind not in SPECS:
        raise ValueError(f"source type: {kind!r} is not one of {', '.join(SPECS)}")
    try:
        return SPECS[kind].model_validate(spec)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "type"
        raise ValueError(f"source {kind}: {key}: {err['msg']}") from None


def validate_spec(spec: dict[str, Any]) -> None:
    """Check a source mapping without building it (no secrets read, no file opened): for
    validating a configuration before anything runs. Raises ValueError naming the key."""
    s = _validate(spec)
    if isinstance(s, ReplaySpec) and s.platform:
        from sentinelle.sources.replay import check_endpoint

        try:
            check_endpoint(s.platform, s.endpoint)
        except ValueError as exc:
            raise ValueError(f"source replay: {exc}") from None


def build_source(spec: dict[str, Any], *, base_dir: str | Path = ".", client: Any = None,
                 secrets: Callable[[str], str | None] | None = None, session_cache: Any = None,
                 policy: RetryPolicy | None = None) -> Source:
    """Build one source from its configuration mapping; a bad spec raises ValueError naming the key.

    `client` is a shared httpx.AsyncClient (else each source makes its own), `secrets` looks up a
    secret by name (default: sentinelle.secrets.get_secret), `session_cache` keeps logins across
    invocations (a CheckpointStore or any object with get/put).
    """
    s = _validate(spec)
    if secrets is None:
        from sentinelle.secrets import get_secret as secrets
    if isinstance(s, ReplaySpec):
        from sentinelle.sources.replay import ReplaySource

        try:
            return ReplaySource(path=s.path, base_dir=base_dir, platform=s.platform, endpoint=s.endpoint,
                                query=s.query, name=s.name,
                                parse_options={"instance": s.instance} if s.instance else None)
        except ValueError as exc:
            raise ValueError(f"source replay: {exc}") from None
    if isinstance(s, RssSpec):
        from sentinelle.sources.rss import RssSource

        return RssSource(url=s.url, platform=s.platform, author=s.author, query=s.query, name=s.name,
                         client=client, policy=policy)
    assert isinstance(s, _LiveSpec)
    live: dict[str, Any] = {"name": s.name, "client": client, "max_pages": s.max_pages,
                            "policy": policy or RetryPolicy(max_attempts=s.max_attempts, max_total_wait=s.max_wait)}
    if s.page_size:
        live["page_size"] = s.page_size
    if isinstance(s, MastodonSpec):
        from sentinelle.sources.mastodon import MastodonSource

        token = secrets(s.token_secret) if s.token_secret else None
        return MastodonSource(instance=s.instance, token=token, **live)
    if isinstance(s, BlueskySpec):
        from sentinelle.sources.bluesky import BlueskySource

        password = secrets(s.app_password_secret) if s.identifier else None
        return BlueskySource(identifier=s.identifier, app_password=password, service=s.service,
                             appview=s.appview, session_cache=session_cache, **live)
    if isinstance(s, RedditSpec):
        from sentinelle.sources.reddit import RedditSource

        return RedditSource(client_id=secrets(s.client_id_secret), client_secret=secrets(s.client_secret_secret),
                            user_agent=s.user_agent, subreddit=s.subreddit, **live)
    if isinstance(s, XSpec):
        from sentinelle.sources.x import XSource

        return XSource(bearer_token=secrets(s.bearer_token_secret), read_budget=s.read_budget, **live)
    if isinstance(s, YouTubeSpec):
        from sentinelle.sources.youtube import YouTubeSource

        return YouTubeSource(api_key=secrets(s.api_key_secret), daily_quota=s.daily_quota,
                             search_calls_per_day=s.search_calls_per_day, quota_store=session_cache, **live)
    raise AssertionError(s)
