"""Sources: one module per platform plus `replay`, each mapping documented JSON to Post/Profile."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sentinelle.ports import KeyValueStore, Query, Source, SourceResult
from sentinelle.http import RetryPolicy

__all__ = ["Source", "SourceResult", "build_source", "validate_spec", "SPECS"]


@dataclass(frozen=True)
class Wiring:
    """What building a source may use, given by the caller (the entry point's configuration)."""

    base_dir: str | Path
    client: Any  # a shared httpx.AsyncClient, or None (each source makes its own)
    secrets: Callable[[str], str | None]
    session_cache: KeyValueStore | None
    policy: RetryPolicy | None


# Every source type by its `type:` name: a new source is one spec class here, registered with
# @source_type, whose `build` imports its module (so a scan loads only the platforms it reads).
SPECS: dict[str, type[_Spec]] = {}
S = TypeVar("S", bound="type[_Spec]")


def source_type(name: str) -> Callable[[S], S]:
    """Class decorator: register a source spec under its `type:` name, once."""
    def register(cls: S) -> S:
        if name in SPECS:
            raise ValueError(f"source type {name!r} is already registered")
        SPECS[name] = cls
        return cls
    return register


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # How many of this source's work units may run at once, in-process and across workers
    # (docs/sources.md, "Concurrency"); each type's default keeps under its documented rate limits.
    default_concurrency: ClassVar[int] = 2
    name: str | None = None
    concurrency: int | None = Field(None, ge=1, le=100, strict=True)

    def build(self, wiring: Wiring) -> Source:
        raise NotImplementedError


class _LiveSpec(_Spec):
    max_pages: int = Field(3, ge=1, le=50)
    page_size: int | None = Field(None, ge=1, le=100)
    max_attempts: int = Field(4, ge=1, le=10)
    max_wait: float = Field(90.0, ge=0)  # total seconds a fetch may spend waiting on rate limits

    def live(self, wiring: Wiring) -> dict[str, Any]:
        """The settings every live platform source takes."""
        out: dict[str, Any] = {"name": self.name, "client": wiring.client, "max_pages": self.max_pages,
                               "policy": wiring.policy or RetryPolicy(max_attempts=self.max_attempts,
                                                                      max_total_wait=self.max_wait)}
        if self.page_size:
            out["page_size"] = self.page_size
        return out


@source_type("replay")
class ReplaySpec(_Spec):
    type: Literal["replay"]
    default_concurrency = 8  # files: no rate limit
    path: str
    platform: str | None = None
    endpoint: str | None = None
    query: Query | None = None
    instance: str | None = None  # Mastodon: the host of local accounts without one in their URL

    def build(self, wiring: Wiring) -> Source:
        from sentinelle.sources.replay import ReplaySource

        try:
            return ReplaySource(path=self.path, base_dir=wiring.base_dir, platform=self.platform,
                                endpoint=self.endpoint, query=self.query, name=self.name,
                                parse_options={"instance": self.instance} if self.instance else None)
        except ValueError as exc:
            raise ValueError(f"source replay: {exc}") from None


@source_type("mastodon")
class MastodonSpec(_LiveSpec):
    type: Literal["mastodon"]
    default_concurrency = 3  # 300 requests per 5 minutes per account and IP
    instance: str
    token_secret: str | None = None  # optional: adds full-text status search

    def build(self, wiring: Wiring) -> Source:
        from sentinelle.sources.mastodon import MastodonSource

        token = wiring.secrets(self.token_secret) if self.token_secret else None
        return MastodonSource(instance=self.instance, token=token, **self.live(wiring))


@source_type("bluesky")
class BlueskySpec(_LiveSpec):
    type: Literal["bluesky"]
    default_concurrency = 5  # 3,000 requests per 5 minutes
    identifier: str | None = None  # the handle the app password belongs to
    app_password_secret: str = "bluesky_app_password"
    service: str = "https://bsky.social"
    appview: str = "https://public.api.bsky.app"

    def build(self, wiring: Wiring) -> Source:
        from sentinelle.sources.bluesky import BlueskySource

        password = wiring.secrets(self.app_password_secret) if self.identifier else None
        return BlueskySource(identifier=self.identifier, app_password=password, service=self.service,
                             appview=self.appview, session_cache=wiring.session_cache, **self.live(wiring))


@source_type("reddit")
class RedditSpec(_LiveSpec):
    type: Literal["reddit"]
    default_concurrency = 2  # 100 queries a minute per client id
    client_id_secret: str = "reddit_client_id"
    client_secret_secret: str = "reddit_client_secret"
    user_agent: str | None = None
    subreddit: str | None = None  # restrict search to one subreddit

    def build(self, wiring: Wiring) -> Source:
        from sentinelle.sources.reddit import RedditSource

        return RedditSource(client_id=wiring.secrets(self.client_id_secret),
                            client_secret=wiring.secrets(self.client_secret_secret),
                            user_agent=self.user_agent, subreddit=self.subreddit, **self.live(wiring))


@source_type("x")
class XSpec(_LiveSpec):
    type: Literal["x"]
    default_concurrency = 2  # 300-450 requests per 15 minutes per app, and paid reads
    bearer_token_secret: str = "x_bearer_token"
    read_budget: int = Field(500, ge=0)  # posts + users read per run (each is paid); per unit with fan-out
    daily_read_budget: int | None = Field(None, ge=0)  # per UTC day, shared by every run and worker

    def build(self, wiring: Wiring) -> Source:
        from sentinelle.sources.x import XSource

        return XSource(bearer_token=wiring.secrets(self.bearer_token_secret), read_budget=self.read_budget,
                       daily_read_budget=self.daily_read_budget, quota_store=wiring.session_cache,
                       **self.live(wiring))


@source_type("youtube")
class YouTubeSpec(_LiveSpec):
    type: Literal["youtube"]
    default_concurrency = 2  # a daily quota, search.list 100 calls a day
    api_key_secret: str = "youtube_api_key"
    daily_quota: int = Field(10_000, ge=0)  # units per day (Pacific), shared by every run
    search_calls_per_day: int = Field(100, ge=0)  # search.list has its own small bucket

    def build(self, wiring: Wiring) -> Source:
        from sentinelle.sources.youtube import YouTubeSource

        return YouTubeSource(api_key=wiring.secrets(self.api_key_secret), daily_quota=self.daily_quota,
                             search_calls_per_day=self.search_calls_per_day, quota_store=wiring.session_cache,
                             **self.live(wiring))


@source_type("rss")
class RssSpec(_Spec):
    type: Literal["rss"]
    default_concurrency = 4  # one feed per source
    url: str
    platform: str = "rss"  # e.g. mastodon for https://instance/@user.rss
    author: str | None = None  # handle to give entries without an author (the feed's owner)
    query: Query | None = None

    def build(self, wiring: Wiring) -> Source:
        from sentinelle.sources.rss import RssSource

        return RssSource(url=self.url, platform=self.platform, author=self.author, query=self.query,
                         name=self.name, client=wiring.client, policy=wiring.policy)


def _validate(spec: dict[str, Any]) -> _Spec:
    if not isinstance(spec, dict):
        raise ValueError(f"source: expected a mapping with a 'type' key, got {type(spec).__name__}")
    kind = spec.get("type")
    if kind not in SPECS:
        import difflib

        guess = difflib.get_close_matches(str(kind), SPECS, n=1)
        hint = f"did you mean {guess[0]!r}? " if guess else ""
        raise ValueError(f"source type: {kind!r} is not one of {', '.join(SPECS)}"
                         + (f" ({hint.strip()})" if hint else ""))
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
        from sentinelle.secrets import get_secret

        secrets = get_secret
    lookup = secrets
    missing: list[str] = []

    def noting(name: str) -> str | None:  # the same lookup, remembering what was missing
        value = lookup(name)
        if not value:
            missing.append(name)
        return value

    source = s.build(Wiring(base_dir=base_dir, client=client, secrets=noting, session_cache=session_cache,
                            policy=policy))
    source.concurrency = s.concurrency or s.default_concurrency  # type: ignore[attr-defined]
    if getattr(source, "credentials_missing", False):
        source.missing_secrets = tuple(missing)  # type: ignore[attr-defined]
    return source
