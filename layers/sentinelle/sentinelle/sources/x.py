"""X API v2: recent search, user lookup and a user's posts, within a per-run paid-read budget."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, NamedTuple

from sentinelle.ports import KeyValueStore, Query, SourceResult
from sentinelle.model import Author, Post, Profile
from sentinelle.sources.common import (
    HttpSource, MalformedPage, Page, UnknownEndpoint, cursor_of, id_key, json_body, map_items, media, media_list,
    obj, plain, search_terms, to_int, unique,
)

PLATFORM = "x"
API = "https://api.x.com/2"
ENDPOINTS = {
    "search_recent": "posts", "tweets/search/recent": "posts",
    "user_tweets": "posts", "users/tweets": "posts",
    "user": "user", "users/by/username": "user", "users": "users", "users/by": "users",
}
TWEET_FIELDS = "created_at,author_id,entities,public_metrics,lang,conversation_id,attachments"
EXPANSIONS = "author_id,attachments.media_keys"
MEDIA_FIELDS = "type,url,preview_image_url,alt_text"
# X's media types; a video or GIF is read by its preview picture.
_MEDIA_TYPES = {"photo": "image", "animated_gif": "gif", "video": "video"}
USER_FIELDS = ("created_at,description,entities,location,profile_image_url,public_metrics,protected,"
               "url,verified,verified_type")


def to_profile(user: Mapping[str, Any]) -> Profile:
    metrics = user.get("public_metrics") or {}
    url_entities = ((user.get("entities") or {}).get("url") or {}).get("urls") or []
    verified_type = user.get("verified_type")
    return Profile(
        platform=PLATFORM,
        id=user["id"],
        url=f"https://x.com/{user['username']}",
        created_at=user.get("created_at"),
        handle=user["username"],
        display_name=plain(user.get("name")) or None,
        bio=plain(user.get("description")) or None,
        avatar_url=user.get("profile_image_url"),
        followers=to_int(metrics.get("followers_count")),
        following=to_int(metrics.get("following_count")),
        post_count=to_int(metrics.get("tweet_count")),
        verified=bool(user.get("verified")) or verified_type not in (None, "none"),
        links=unique([u.get("expanded_url") or u.get("url") for u in url_entities]),
    )


def _media(tweet: Mapping[str, Any], media_by_key: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """`attachments.media_keys` looked up in `includes.media` (the `attachments.media_keys` expansion)."""
    found = []
    for key in obj(tweet.get("attachments")).get("media_keys") or []:
        item = media_by_key.get(str(key)) or {}
        kind = _MEDIA_TYPES.get(str(item.get("type")), "image")
        found.append(media(kind, item.get("url") or item.get("preview_image_url"), item.get("alt_text")))
    return media_list(found)


def to_post(tweet: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]],
            media_by_key: Mapping[str, Mapping[str, Any]] | None = None) -> Post:
    author = users.get(str(tweet.get("author_id"))) or {}
    username = author.get("username")
    entities = tweet.get("entities") or {}
    # A picture's own t.co link (an entity with a media_key) points back to X, not elsewhere.
    urls = [u for u in entities.get("urls") or [] if not u.get("media_key")]
    return Post(
        platform=PLATFORM,
        id=tweet["id"],
        url=f"https://x.com/{username or 'i/web'}/status/{tweet['id']}",
        created_at=tweet.get("created_at"),
        author=Author(id=tweet.get("author_id"), handle=username, display_name=plain(author.get("name")) or None),
        text=plain(tweet["text"]),  # the API escapes &, < and > in text
        lang=tweet.get("lang"),
        links=unique([u.get("expanded_url") or u.get("url") for u in urls]),
        hashtags=unique([h["tag"] for h in entities.get("hashtags") or []]),
        media=_media(tweet, media_by_key or {}),
    )


def user_error(body: Any) -> str | None:
    """Why a user lookup returned no user: "account suspended" or "account not found"."""
    errors = body.get("errors") if isinstance(body, dict) and not body.get("data") else None
    for error in errors if isinstance(errors, list) else []:
        if not isinstance(error, dict):
            continue
        detail = str(error.get("detail", "")).lower()
        if "suspended" in detail:
            return "account suspended"
        if "not find" in detail or "not found" in str(error.get("title", "")).lower():
            return "account not found"
    return None


def _by(values: Any, key: str) -> dict[str, Mapping[str, Any]]:
    """An `includes` list indexed by `key` (users by id, media by media_key)."""
    return {str(v.get(key)): v for v in values if isinstance(v, dict)} if isinstance(values, list) else {}


def parse_page(endpoint: str, body: Any, **_: Any) -> Page:
    """Map one API v2 response body; authors come from `includes.users` (expansions=author_id)."""
    kind = ENDPOINTS.get(endpoint)
    if kind is None:
        raise UnknownEndpoint(f"unknown x endpoint {endpoint!r}; known: {', '.join(sorted(ENDPOINTS))}")
    if not isinstance(body, dict):
        raise MalformedPage("expected an object")
    cursor = cursor_of(obj(body.get("meta")).get("next_token"))
    data = body.get("data")
    if kind == "posts":
        users = _by(obj(body.get("includes")).get("users"), "id")
        found = _by(obj(body.get("includes")).get("media"), "media_key")
        items, skipped = map_items(data or [], lambda t: to_post(t, users, found))
        return items, skipped, cursor
    if kind == "user":
        items, skipped = map_items([data] if data else [], to_profile)
        return items, skipped, None
    items, skipped = map_items(data or [], to_profile)
    return items, skipped, cursor


class Claim(NamedTuple):
    """Reads of the day's budget taken before a request (`day` is the UTC day they count on)."""

    day: str
    reads: int


NO_CLAIM = Claim("", 0)


class _Refused(Exception):
    """No room left today for the smallest request: the claim writes nothing."""


class XSource(HttpSource):
    """App-only bearer token. Reads are paid, so every run has a read budget (posts + users)."""

    platform = PLATFORM
    kinds = ("search_posts", "hashtag", "profile", "account_posts")
    checkpoint_kind = "id"
    handle_pattern = re.compile(r"[A-Za-z0-9_]{1,15}")

    def __init__(self, *, bearer_token: str | None, read_budget: int = 500, name: str | None = None,
                 page_size: int = 100, daily_read_budget: int | None = None,
                 quota_store: KeyValueStore | None = None, **kw: Any):
        super().__init__(name=name or "x", page_size=max(10, min(page_size, 100)), **kw)
        self.headers = {"Authorization": f"Bearer {bearer_token}"}
        self.credentials_missing = not bearer_token
        self.read_budget = read_budget
        self.reads = 0  # over this source's life, i.e. one run (one work unit with fan-out)
        # Reads per UTC day (X bills per day), shared by every run and worker through the store:
        # value ("quota", <name>) = {"day": "2026-11-28", "reads": 1234}. A request first claims
        # what it may cost (`_claim`), then gives back what it did not read (`_settle`).
        self.daily_read_budget = daily_read_budget
        self.quota_store = quota_store
        self._daily: dict[str, Any] = {}

    def _today(self) -> tuple[str, datetime]:
        now = datetime.fromtimestamp(self.policy.clock(), timezone.utc)
        return now.date().isoformat(), now

    @staticmethod
    def _reads_on(raw: str | None, day: str) -> int:
        """The reads counted on `day` (0 when the value counts another day, or is unreadable)."""
        try:
            usage = json.loads(raw) if raw else {}
        except ValueError:
            return 0
        return max(0, to_int(usage.get("reads")) or 0) if isinstance(usage, dict) and usage.get("day") == day else 0

    def _update(self, change: Callable[[str | None], str], now: datetime) -> None:
        """One atomic read-change-write of the day's usage (`KeyValueStore.update_value`: a
        concurrent writer makes it read again); a change that raises `_Refused` writes nothing."""
        try:
            if self.quota_store is None:  # this process alone (no await in between: atomic in its loop)
                self._daily = json.loads(change(json.dumps(self._daily) if self._daily else None))
            else:
                self.quota_store.update_value("quota", self.name, change, now)
        except _Refused:
            pass

    def _claim(self, most: int, least: int) -> Claim:
        """Take up to `most` reads of today's budget before a request, at least `least` or none
        (`reads` 0), in one conditional step: concurrent workers never claim more than the day has.
        Without a `daily_read_budget`, all of `most`."""
        day, now = self._today()
        budget = self.daily_read_budget
        if budget is None:
            return Claim(day, most)
        taken = 0

        def take(raw: str | None) -> str:
            nonlocal taken
            used = self._reads_on(raw, day)  # another day's count is over: today starts at 0
            taken = min(most, budget - used)
            if taken < least:
                taken = 0
                raise _Refused()
            return json.dumps({"day": day, "reads": used + taken})

        self._update(take, now)
        return Claim(day, taken)

    def _settle(self, claim: Claim, reads: int) -> None:
        """After the answer: give back what was claimed and not read (a failed request, all of it),
        or count what was read past the claim, never below zero. An answer that came after midnight
        UTC counts its reads on the new day (the claim lapsed with its day)."""
        if self.daily_read_budget is None:
            return
        today, now = self._today()
        day, claimed = claim if claim.day == today else (today, 0)
        if reads == claimed:
            return

        def give_back(raw: str | None) -> str:
            used = self._reads_on(raw, day)
            return json.dumps({"day": day, "reads": max(0, used + reads - claimed)})

        self._update(give_back, now)

    @staticmethod
    def _spent(body: Any) -> int:
        """Reads an answer costs: the posts or users in `data`, and the users in `includes`."""
        reads = 0
        if isinstance(body, dict):
            data = body.get("data")
            reads += len(data) if isinstance(data, list) else int(bool(data))
            users = obj(body.get("includes")).get("users")
            reads += len(users) if isinstance(users, list) else 0
        return reads

    async def _call(self, path: str, params: dict[str, Any], claim: Claim) -> Any:
        reads = 0
        try:
            response = await self._get(API + path, params=params, headers=self.headers)
            body = json_body(response)
            reads = self._spent(body)
        finally:
            self.reads += reads
            self._settle(claim, reads)
        return body

    async def _posts(self, path: str, params: dict[str, Any], result: SourceResult,
                     checkpoint: str | None, *, cursor_param: str, minimum: int, one_author: bool) -> None:
        """Pages of posts. A page of n posts costs n reads plus its authors (`expansions=author_id`):
        up to n on a search, one on a user's own posts."""
        over_budget = False

        def cost(posts: int) -> int:
            return posts + (1 if one_author else posts)

        async def fetch(cursor: str | None) -> Page:
            nonlocal over_budget
            # This run's budget counts posts only (the page's authors may take it slightly over).
            posts = min(self.page_size or 100, self.read_budget - self.reads)
            claim = self._claim(cost(posts), cost(minimum)) if posts >= minimum else NO_CLAIM
            if not claim.reads:
                over_budget = True
                return [], 0, None
            posts = min(posts, claim.reads - 1 if one_author else claim.reads // 2)
            page = {**params, "max_results": posts, "tweet.fields": TWEET_FIELDS,
                    "expansions": EXPANSIONS, "user.fields": USER_FIELDS, "media.fields": MEDIA_FIELDS}
            if checkpoint:
                page["since_id"] = checkpoint
            if cursor:
                page[cursor_param] = cursor
            return parse_page("search_recent", await self._call(path, page, claim))

        await self.newest_first(result, checkpoint, fetch, position=lambda i: i.id, order=id_key)
        if over_budget:
            result.status = "partial" if result.items else "could_not_check"
            result.reason = "read budget reached"
            if not result.items:
                result.checkpoint = None

    async def _user(self, username: str, result: SourceResult) -> Profile | None:
        claim = self._claim(1, 1) if self.reads < self.read_budget else NO_CLAIM
        if not claim.reads:
            result.status, result.reason = "could_not_check", "read budget reached"
            return None
        body = await self._call(f"/users/by/username/{username.lstrip('@')}", {"user.fields": USER_FIELDS}, claim)
        gone = user_error(body)
        if gone:
            result.reason = gone
            return None
        items, skipped, _ = parse_page("user", body)
        result.skipped += skipped
        return items[0] if items else None  # type: ignore[return-value]

    async def _collect(self, query: Query, checkpoint: str | None, result: SourceResult) -> None:
        if query.kind in ("search_posts", "hashtag"):
            q = search_terms(query)
            await self._posts("/tweets/search/recent", {"query": f"{q} -is:retweet"}, result, checkpoint,
                              cursor_param="next_token", minimum=10, one_author=False)
        elif query.kind == "profile":
            profile = await self._user(query.value, result)
            if profile is not None:
                result.items.append(profile)
        elif query.kind == "account_posts":
            profile = await self._user(query.value, result)
            if profile is not None:
                await self._posts(f"/users/{profile.id}/tweets", {"exclude": "retweets"}, result, checkpoint,
                                  cursor_param="pagination_token", minimum=5, one_author=True)
