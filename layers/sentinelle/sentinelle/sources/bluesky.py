"""Bluesky (AT Protocol): post search with an app-password session, actor search, profiles, feeds."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime, timezone
from typing import Any, Mapping

from sentinelle.http import CredentialsError
from sentinelle.model import Author, Post, Profile, utcnow
from sentinelle.ports import KeyValueStore, Query, SourceResult
from sentinelle.sources.common import (
    HttpSource, MalformedPage, Page, Rejected, UnknownEndpoint, cursor_of, item_time, json_body, map_items,
    media, media_list, obj, search_terms, to_int, unique,
)
from sentinelle.text.urls import extract_urls

PLATFORM = "bluesky"
PUBLIC_APPVIEW = "https://public.api.bsky.app"
ENTRYWAY = "https://bsky.social"
ENDPOINTS = ("searchPosts", "getAuthorFeed", "searchActors", "getProfile")
_ACTOR_METHODS = ("app.bsky.actor.getProfile", "app.bsky.feed.getAuthorFeed")
_GONE = {"AccountTakedown": "account suspended", "AccountDeactivated": "account deactivated"}


def _endpoint(name: str) -> str:
    short = name.rsplit(".", 1)[-1]  # "app.bsky.feed.searchPosts" and "searchPosts" alike
    if short not in ENDPOINTS:
        raise UnknownEndpoint(f"unknown bluesky endpoint {name!r}; known: {', '.join(ENDPOINTS)}")
    return short


def web_url(handle: str, uri: str) -> str:
    return f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}"


def _facets(record: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    links, tags = [], []
    for facet in record.get("facets") or []:
        for feature in facet.get("features") or []:
            kind = feature.get("$type", "")
            if kind.endswith("#link"):
                links.append(feature.get("uri"))
            elif kind.endswith("#tag"):
                tags.append(feature.get("tag"))
    return links, tags


def sort_at(*values: Any) -> datetime | None:
    """The earlier of the author's `createdAt` and the server's `indexedAt` (Bluesky's own sortAt):
    an author can write any date, but not one later than when the post was seen."""
    times = []
    for value in values:
        try:
            moment = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            continue
        times.append(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc))
    return min(times, default=None)


def _embeds(view: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The post's embeds, a `recordWithMedia`'s media part included (a quote with pictures or a
    link card): the record as written and the view the AppView resolved."""
    found = []
    for embed in (obj(obj(view.get("record")).get("embed")), obj(view.get("embed"))):
        found.append(embed)
        if "media" in embed:
            found.append(obj(embed.get("media")))
    return found


def _media(view: Mapping[str, Any]) -> list[dict[str, Any]]:
    """`images#view` (fullsize and alt) and `video#view` (its thumbnail picture) of the resolved view."""
    found = []
    for embed in _embeds(view):
        kind = str(embed.get("$type", ""))
        if kind.endswith("images#view"):
            found += [media("image", obj(i).get("fullsize") or obj(i).get("thumb"), obj(i).get("alt"))
                      for i in embed.get("images") or []]
        elif kind.endswith("video#view"):
            found.append(media("video", embed.get("thumbnail"), embed.get("alt")))
    return media_list(found)


def to_post(view: Mapping[str, Any]) -> Post:
    record = view["record"]
    author = view["author"]
    links, tags = _facets(record)
    links += [uri for e in _embeds(view) if isinstance(uri := obj(e.get("external")).get("uri"), str)]
    langs = record.get("langs") or []
    return Post(
        platform=PLATFORM,
        id=view["uri"],
        url=web_url(author["handle"], view["uri"]),
        created_at=sort_at(record.get("createdAt"), view.get("indexedAt")),
        author=Author(id=author["did"], handle=author["handle"], display_name=author.get("displayName") or None),
        text=record.get("text") or "",
        lang=langs[0] if langs else None,
        links=unique(links),
        hashtags=unique([*tags, *(record.get("tags") or [])]),
        media=_media(view),
    )


def to_profile(view: Mapping[str, Any]) -> Profile:
    verification = view.get("verification") or {}
    status = verification.get("verifiedStatus")
    return Profile(
        platform=PLATFORM,
        id=view["did"],
        url=f"https://bsky.app/profile/{view['handle']}",
        created_at=view.get("createdAt"),
        handle=view["handle"],
        display_name=view.get("displayName") or None,
        bio=view.get("description") or None,
        avatar_url=view.get("avatar"),
        banner_url=view.get("banner"),
        followers=to_int(view.get("followersCount")),
        following=to_int(view.get("followsCount")),
        post_count=to_int(view.get("postsCount")),
        verified=None if status is None else status == "valid",
        # The bio has no link facets in a profile view: its URLs are read from the text.
        links=unique([view.get("website"), *extract_urls(view.get("description"))]),
        labels=unique(obj(label).get("val") for label in view.get("labels") or [] if not obj(label).get("neg")),
    )


def _feed_post(entry: Mapping[str, Any]) -> Post | None:
    if "reasonRepost" in ((entry.get("reason") or {}).get("$type") or ""):
        return None  # a repost is someone else's post
    return to_post(entry["post"])


def parse_page(endpoint: str, body: Any, **_: Any) -> Page:
    """Map one XRPC response body of `endpoint` (NSID or its last part) to items and the cursor."""
    name = _endpoint(endpoint)
    if not isinstance(body, dict):
        raise MalformedPage(f"expected an object from {name}")
    cursor = cursor_of(body.get("cursor"))
    if name == "searchPosts":
        items, skipped = map_items(body.get("posts", []), to_post)
    elif name == "getAuthorFeed":
        items, skipped = map_items(body.get("feed", []), _feed_post)
    elif name == "searchActors":
        items, skipped = map_items(body.get("actors", []), to_profile)
    else:
        items, skipped = map_items([body], to_profile)
    return items, skipped, cursor


class SessionCache:
    """Keeps the session outside the process (createSession is limited to 30 per 5 minutes), as
    value ("session", "bluesky:<identifier>") of the store's small key-value state."""

    NAMESPACE = "session"

    def __init__(self, backend: KeyValueStore | None, key: str):
        self.backend, self.key = backend, key

    def get(self) -> dict[str, Any] | None:
        if self.backend is None:
            return None
        raw = self.backend.get_value(self.NAMESPACE, self.key)
        try:
            value = json.loads(raw) if raw else None
        except ValueError:
            return None
        return value if isinstance(value, dict) and value.get("accessJwt") else None

    def put(self, session: dict[str, Any]) -> None:
        if self.backend is None:
            return
        raw = json.dumps({k: session.get(k) for k in ("accessJwt", "refreshJwt", "did", "handle", "didDoc")})
        self.backend.put_value(self.NAMESPACE, self.key, raw, utcnow())


class BlueskySource(HttpSource):
    """Search needs a session (an app password); profiles and feeds also work anonymously."""

    platform = PLATFORM
    kinds = ("search_posts", "hashtag", "search_profiles", "profile", "account_posts")
    checkpoint_kind = "time"
    handle_pattern = re.compile(r"did:[a-z]+:[A-Za-z0-9._:%-]+|([A-Za-z0-9-]+\.)+[A-Za-z][A-Za-z0-9-]*")

    def __init__(self, *, identifier: str | None = None, app_password: str | None = None,
                 service: str = ENTRYWAY, appview: str = PUBLIC_APPVIEW, session_cache: KeyValueStore | None = None,
                 name: str | None = None, page_size: int = 100, **kw: Any):
        super().__init__(name=name or "bluesky", page_size=min(page_size, 100), **kw)
        self.identifier, self._password = identifier, app_password
        self.service, self.appview = service.rstrip("/"), appview.rstrip("/")
        self.cache = SessionCache(session_cache, f"bluesky:{identifier}")
        self._session: dict[str, Any] | None = None
        self._lock = asyncio.Lock()  # queries run concurrently; they share one session
        self._refused = False  # a refused login is not retried by every query of the run
        self.logins = 0  # createSession calls made by this source (they are rate-limited)

    @property
    def authenticated(self) -> bool:
        return bool(self.identifier and self._password)

    async def _login(self) -> dict[str, Any]:
        if self._refused:
            raise CredentialsError()
        self.logins += 1
        try:
            response = await self._request(
                "POST", f"{self.service}/xrpc/com.atproto.server.createSession",
                json={"identifier": self.identifier, "password": self._password}, allow=(400,))
            return self._keep(response)
        except CredentialsError:
            self._refused = True
            raise

    async def _current(self) -> dict[str, Any]:
        async with self._lock:
            if self._session is None:
                self._session = self.cache.get() or await self._login()
            return self._session

    async def _renew(self, stale: dict[str, Any]) -> None:
        async with self._lock:
            if self._session is stale:  # else another query renewed it meanwhile
                if not self._adopt_shared(stale):
                    await self._refresh()

    def _adopt_shared(self, stale: Mapping[str, Any]) -> bool:
        """Take the session another worker renewed and stored, if there is one: refresh tokens
        rotate, so a second refresh with the stale one would fail and cost a rate-limited login."""
        shared = self.cache.get()
        if shared and shared.get("accessJwt") != stale.get("accessJwt"):
            self._session = shared
            return True
        return False

    async def _refresh(self) -> dict[str, Any]:
        assert self._session is not None
        try:
            response = await self._request(
                "POST", f"{self._pds(self._session)}/xrpc/com.atproto.server.refreshSession",
                headers={"Authorization": f"Bearer {self._session['refreshJwt']}"}, allow=(400,))
        except CredentialsError:
            response = None
        if response is None or response.status_code == 400:  # ExpiredToken / InvalidToken: it is done
            if self._adopt_shared(self._session):  # another worker rotated it first
                return self._session
            return await self._login()
        return self._keep(response)

    def _pds(self, session: Mapping[str, Any]) -> str:
        """The account's own PDS from the session's DID document, as the atproto SDK does; the
        entryway only when the document does not name one."""
        doc = session.get("didDoc")
        for service in (doc.get("service") if isinstance(doc, dict) else None) or []:
            if isinstance(service, dict) and str(service.get("id", "")).endswith("#atproto_pds"):
                endpoint = service.get("serviceEndpoint")
                if isinstance(endpoint, str) and endpoint.startswith("https://"):
                    return endpoint.rstrip("/")
        return self.service

    def _keep(self, response: Any) -> dict[str, Any]:
        if response.status_code in (400, 401):
            raise CredentialsError(status_code=response.status_code)
        session = json_body(response)
        if not isinstance(session, dict) or not session.get("accessJwt"):
            raise CredentialsError()
        previous = self._session or {}
        if not session.get("didDoc") and previous.get("did") == session.get("did"):
            session["didDoc"] = previous.get("didDoc")  # a refresh may leave the document out
        self._session = session
        self.cache.put(session)
        return session

    async def _xrpc(self, nsid: str, params: dict[str, Any]) -> Any:
        """GET an XRPC method: through the PDS with a session, or the public AppView without."""
        if not self.authenticated:
            response = await self._get(f"{self.appview}/xrpc/{nsid}", params=params, allow=(400,))
            return self._body(response, nsid)
        for attempt in range(2):
            session = await self._current()
            headers = {"Authorization": f"Bearer {session['accessJwt']}"}
            try:
                response = await self._get(f"{self._pds(session)}/xrpc/{nsid}", params=params, headers=headers,
                                           allow=(400,))
            except CredentialsError as exc:
                if attempt or exc.status_code != 401:
                    raise
                await self._renew(session)
                continue
            if response.status_code == 400 and self._error(response) in ("ExpiredToken", "InvalidToken") \
                    and not attempt:
                await self._renew(session)
                continue
            return self._body(response, nsid)
        raise CredentialsError()

    @staticmethod
    def _error(response: Any) -> str | None:
        try:
            return response.json().get("error")
        except (ValueError, AttributeError):
            return None

    def _body(self, response: Any, nsid: str) -> Any:
        if response.status_code == 400:
            error = self._error(response)
            if error in _GONE:
                return {"_gone": _GONE[error]}
            if error in ("InvalidRequest", "NotFound", "ActorNotFound") and nsid in _ACTOR_METHODS:
                return {"_gone": "account not found"}  # an unknown actor, not a bad query
            raise Rejected(f"http 400 {error or ''}".strip(), status_code=400)
        return json_body(response)

    async def _paged(self, nsid: str, params: dict[str, Any], result: SourceResult,
                     checkpoint: str | None) -> None:
        async def fetch(cursor: str | None) -> Page:
            body = await self._xrpc(nsid, {**params, "limit": self.page_size,
                                           **({"cursor": cursor} if cursor else {})})
            if isinstance(body, dict) and "_gone" in body:
                result.reason = body["_gone"]
                return [], 0, None
            return parse_page(nsid, body)

        await self.newest_first(result, checkpoint, fetch, position=item_time, order=datetime.fromisoformat,
                                 ceiling=self.time_ceiling())

    async def _collect(self, query: Query, checkpoint: str | None, result: SourceResult) -> None:
        if query.kind in ("search_posts", "hashtag"):
            q = search_terms(query)
            params: dict[str, Any] = {"q": q, "sort": "latest"}
            if checkpoint:
                params["since"] = checkpoint
            await self._paged("app.bsky.feed.searchPosts", params, result, checkpoint)
        elif query.kind == "account_posts":
            await self._paged("app.bsky.feed.getAuthorFeed",
                              {"actor": query.value.lstrip("@"), "filter": "posts_with_replies"},
                              result, checkpoint)
        elif query.kind == "search_profiles":
            body = await self._xrpc("app.bsky.actor.searchActors", {"q": query.value, "limit": self.page_size})
            items, skipped, _ = parse_page("searchActors", body)
            result.items.extend(items)
            result.skipped += skipped
        elif query.kind == "profile":
            body = await self._xrpc("app.bsky.actor.getProfile", {"actor": query.value.lstrip("@")})
            if isinstance(body, dict) and "_gone" in body:
                result.reason = body["_gone"]
                return
            items, skipped, _ = parse_page("getProfile", body)
            result.items.extend(items)
            result.skipped += skipped
