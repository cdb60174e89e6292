"""Mastodon (any instance): hashtag timelines, account search and lookup, an account's statuses."""

from __future__ import annotations

import re
from typing import Any, Mapping
from urllib.parse import parse_qs, urlparse

from sentinelle.ports import Query, SourceResult
from sentinelle.model import Author, Post, Profile
from sentinelle.sources.common import (
    HttpSource, MalformedPage, Page, UnknownEndpoint, html_to_text, id_key, json_body, map_items, media,
    media_list, search_terms, to_int, unique, web_url,
)

PLATFORM = "mastodon"
ENDPOINTS = {
    "statuses": "statuses", "tag_timeline": "statuses", "account_statuses": "statuses",
    "search": "search", "accounts": "accounts", "account": "account", "lookup": "account",
}
_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?([^";]+)"?')


def link_param(link_header: str | None, rel: str, param: str) -> str | None:
    """A query parameter of the Link header's page `rel` ("next": older, "prev": newer)."""
    for url, found in _LINK.findall(link_header or ""):
        if found == rel:
            return (parse_qs(urlparse(url).query).get(param) or [None])[0]
    return None


def next_max_id(link_header: str | None) -> str | None:
    """The `max_id` of the Link header's rel="next" page (Mastodon pages back in time)."""
    return link_param(link_header, "next", "max_id")


def full_acct(account: Mapping[str, Any], instance: str | None = None) -> str:
    """`user@host` even for local accounts, whose `acct` carries no host."""
    acct = account["acct"]
    if "@" in acct:
        return acct
    host = urlparse(account.get("url") or "").hostname or instance
    return f"{acct}@{host}" if host else acct


# Mastodon's attachment types; "audio" and "unknown" (a remote file it could not fetch) are not pictures.
_MEDIA_TYPES = {"image": "image", "gifv": "gif", "video": "video"}


def _media(status: Mapping[str, Any]) -> list[dict[str, Any]]:
    """`media_attachments`: the file (or, for video, its preview picture) and its description."""
    found = []
    for attachment in status.get("media_attachments") or []:
        kind = _MEDIA_TYPES.get(attachment.get("type"))
        if kind is None:
            continue
        url = attachment.get("url") or attachment.get("remote_url") or attachment.get("preview_url")
        found.append(media(kind, url, attachment.get("description")))
    return media_list(found)


def _header(account: Mapping[str, Any]) -> str | None:
    header = web_url(account.get("header"))
    return None if header is None or header.endswith("/missing.png") else header  # the default header


def is_suspended(account: Mapping[str, Any]) -> bool:
    return bool(account.get("suspended"))


def to_profile(account: Mapping[str, Any], instance: str | None = None) -> Profile | None:
    if is_suspended(account):
        return None
    bio, bio_links = html_to_text(account.get("note"))
    fields = account.get("fields") or []
    field_links = [link for f in fields for link in html_to_text(f.get("value"))[1]]
    return Profile(
        platform=PLATFORM,
        id=account["id"],
        url=account.get("url"),
        created_at=account.get("created_at"),
        handle=full_acct(account, instance),
        display_name=account.get("display_name") or None,
        bio=bio or None,
        avatar_url=account.get("avatar"),
        banner_url=_header(account),
        followers=to_int(account.get("followers_count")),
        following=to_int(account.get("following_count")),
        post_count=to_int(account.get("statuses_count")),
        verified=any(f.get("verified_at") for f in fields),
        links=unique([*field_links, *bio_links]),
    )


def to_post(status: Mapping[str, Any], instance: str | None = None) -> Post | None:
    if status.get("reblog"):
        return None  # a boost is someone else's post; it is read where it was written
    account = status["account"]
    text, links = html_to_text(status.get("content"))
    if status.get("spoiler_text"):
        text = f"{status['spoiler_text']}\n{text}"
    card = status.get("card") or {}
    return Post(
        platform=PLATFORM,
        id=status["id"],
        url=status.get("url") or status.get("uri"),
        created_at=status.get("created_at"),
        author=Author(id=account["id"], handle=full_acct(account, instance),
                      display_name=account.get("display_name") or None),
        text=text,
        lang=status.get("language"),
        links=unique([*links, card.get("url")]),
        hashtags=unique(t["name"] for t in status.get("tags") or []),
        media=_media(status),
    )


def parse_page(endpoint: str, body: Any, *, headers: Mapping[str, str] | None = None,
               instance: str | None = None) -> Page:
    """Map one response body of `endpoint` (see ENDPOINTS) to items; cursor from the Link header."""
    kind = ENDPOINTS.get(endpoint)
    link = (headers or {}).get("link") or (headers or {}).get("Link")
    if kind == "statuses":
        items, skipped = map_items(body, lambda s: to_post(s, instance))
        return items, skipped, next_max_id(link)
    if kind == "accounts":
        items, skipped = map_items(body, lambda a: to_profile(a, instance))
        return items, skipped, None
    if kind == "account":
        if not isinstance(body, dict):
            raise MalformedPage("expected an account object")
        items, skipped = map_items([body], lambda a: to_profile(a, instance))
        return items, skipped, None
    if kind == "search":
        if not isinstance(body, dict):
            raise MalformedPage("expected a search result object")
        profiles, s1 = map_items(body.get("accounts") or [], lambda a: to_profile(a, instance))
        posts, s2 = map_items(body.get("statuses") or [], lambda s: to_post(s, instance))
        return [*profiles, *posts], s1 + s2, None
    raise UnknownEndpoint(f"unknown mastodon endpoint {endpoint!r}; known: {', '.join(sorted(ENDPOINTS))}")


class MastodonSource(HttpSource):
    """One instance. Anonymous by default; a token (read scope) adds full-text status search."""

    platform = PLATFORM
    kinds = ("hashtag", "search_posts", "search_profiles", "profile", "account_posts")
    checkpoint_kind = "id"

    def __init__(self, *, instance: str, token: str | None = None, name: str | None = None,
                 page_size: int = 40, **kw: Any):
        self.instance = instance.strip().lower().removeprefix("https://").strip("/")
        super().__init__(name=name or f"mastodon:{self.instance}", page_size=min(page_size, 40), **kw)
        self.base = f"https://{self.instance}"
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def accepts(self, query: Query) -> bool:
        if query.kind == "search_posts":
            return bool(self.headers)  # status search needs an authenticated request
        if query.kind in ("profile", "account_posts"):
            _, _, host = query.value.lstrip("@").partition("@")
            return host.lower() in ("", self.instance)
        return True

    async def _page(self, path: str, endpoint: str, params: dict[str, Any]) -> Page:
        return (await self._page_and_link(path, endpoint, params))[0]

    async def _page_and_link(self, path: str, endpoint: str, params: dict[str, Any]) -> tuple[Page, str | None]:
        response = await self._get(self.base + path, params=params, headers=self.headers, allow=(404,))
        if response.status_code == 404:
            return ([], 0, None), None
        page = parse_page(endpoint, json_body(response), headers=response.headers, instance=self.instance)
        return page, response.headers.get("link")

    async def _statuses(self, path: str, result: SourceResult, checkpoint: str | None,
                        extra: dict[str, Any] | None = None) -> None:
        """First run: the newest pages. Later runs: forward from the checkpoint with `min_id`, the
        oldest new statuses first, so the checkpoint advances page by page and a burst larger
        than `max_pages` is finished by the next runs instead of being skipped."""
        params = {"limit": self.page_size, **(extra or {})}
        if checkpoint is None:
            def fetch(cursor: str | None) -> Any:
                return self._page(path, "statuses", {**params, **({"max_id": cursor} if cursor else {})})

            await self.newest_first(result, None, fetch, position=lambda i: i.id, order=id_key,
                                    ceiling=self.id_ceiling())
            return
        floor = checkpoint
        ceiling = self.id_ceiling()
        for _ in range(self.max_pages):
            (items, skipped, _), link = await self._page_and_link(path, "statuses", {**params, "min_id": floor})
            result.skipped += skipped
            result.items.extend(i for i in items if id_key(i.id) > id_key(floor))
            # The newest id of the page, boosts and malformed entries included, from the server...
            top = link_param(link, "prev", "min_id")
            if not top or id_key(top) > ceiling:  # ...unless it is dated in the future
                top = max((i.id for i in items if id_key(i.id) <= ceiling), key=id_key, default=None)
            if not top or id_key(top) <= id_key(floor):
                return
            floor = result.checkpoint = top  # everything up to here is read: safe to keep
        result.status, result.reason = "partial", "page limit reached; the rest next run"

    def id_ceiling(self) -> tuple[int, str]:
        """The highest believable status id. Ids are snowflakes (milliseconds since the epoch above
        16 bits) and a remote post's id follows the date it claims: one dated in the future must
        not become the checkpoint, or it would hide every later post."""
        ms = int(self.time_ceiling().timestamp() * 1000)
        return id_key(str((ms << 16) | 0xFFFF))

    async def _lookup(self, handle: str, result: SourceResult) -> Mapping[str, Any] | None:
        user, _, host = handle.lstrip("@").partition("@")
        acct = user if host.lower() in ("", self.instance) else f"{user}@{host}"
        response = await self._get(f"{self.base}/api/v1/accounts/lookup", params={"acct": acct},
                                   headers=self.headers, allow=(404, 410))
        if response.status_code in (404, 410):
            result.reason = "account not found"
            return None
        account = json_body(response)
        if not isinstance(account, dict) or "id" not in account:
            raise MalformedPage("expected an account object")
        if is_suspended(account):
            result.reason = "account suspended"
            return None
        return account

    async def _collect(self, query: Query, checkpoint: str | None, result: SourceResult) -> None:
        if query.kind == "hashtag":
            tag = query.value.lstrip("#")
            await self._statuses(f"/api/v1/timelines/tag/{tag}", result, checkpoint)
        elif query.kind in ("search_profiles", "search_posts"):
            profiles = query.kind == "search_profiles"
            items, skipped, _ = await self._page("/api/v2/search", "search", {
                "q": query.value if profiles else search_terms(query),
                "type": "accounts" if profiles else "statuses", "limit": self.page_size})
            result.items.extend(items)
            result.skipped += skipped
        elif query.kind == "profile":
            account = await self._lookup(query.value, result)
            if account is not None:
                items, skipped, _ = parse_page("account", account, instance=self.instance)
                result.items.extend(items)
                result.skipped += skipped
        elif query.kind == "account_posts":
            account = await self._lookup(query.value, result)
            if account is not None:
                await self._statuses(f"/api/v1/accounts/{account['id']}/statuses", result, checkpoint,
                                     {"exclude_reblogs": "true"})
