"""What every platform adapter shares: value helpers, item mapping, and the HTTP paging loop."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from html import unescape
from typing import Any, Callable, Iterable

import httpx
from pydantic import ValidationError

from sentinelle.ports import Deadline, Query, SourceResult
from sentinelle.http import Rejected, RetryPolicy, SourceError, Spent, Unavailable, make_client, request_with_retries
from sentinelle.model import Post, Profile

log = logging.getLogger("sentinelle.sources")

Items = list[Post | Profile]
# What every platform's parse_page returns: items, how many were skipped, the next page's cursor.
Page = tuple[Items, int, str | None]

# A malformed item raises one of these while being mapped; it is skipped and counted.
ITEM_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError, ValidationError)


class UnknownEndpoint(LookupError):
    """parse_page was asked for an endpoint its platform does not have (a configuration error)."""


class MalformedPage(ValueError):
    """A response body that is not the documented shape at all (not one bad item: the page)."""


def map_items(raw: Any, mapper: Callable[[Any], Post | Profile | None]) -> tuple[Items, int]:
    """Map each raw item; a malformed one is skipped and counted, never fatal."""
    if not isinstance(raw, list):
        raise MalformedPage(f"expected a list of items, got {type(raw).__name__}")
    items: Items = []
    skipped = 0
    for entry in raw:
        try:
            item = mapper(entry)
        except ITEM_ERRORS as exc:
            skipped += 1
            log.debug("skipped a malformed item: %s", type(exc).__name__)
            continue
        if item is not None:
            items.append(item)
    return items, skipped


def cursor_of(value: Any) -> str | None:
    """A pagination cursor only if it is a non-empty string: anything else ends the paging."""
    return value if isinstance(value, str) and value else None


def obj(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one (optional sub-objects in bodies)."""
    return value if isinstance(value, dict) else {}


def unique(values: Iterable[str | None]) -> list[str]:
    seen: dict[str, None] = {}
    for v in values:
        if v and isinstance(v, str):
            seen.setdefault(v, None)
    return list(seen)


MEDIA_TYPES = ("image", "gif", "video")


def media(kind: str, url: Any, alt: Any = None) -> dict[str, Any] | None:
    """One `Post.media` entry, or None when the platform gave no usable web URL (a media entry that
    cannot be fetched is left out rather than making the whole post malformed)."""
    if kind not in MEDIA_TYPES or not isinstance(url, str) or not url.startswith(("https://", "http://")):
        return None
    # Reddit escapes `&` in URLs unless asked for raw JSON; only that escape is undone (a full
    # unescape would read "&copy=1" in a query string as "©=1").
    return {"type": kind, "url": url.replace("&amp;", "&"), "alt": alt if isinstance(alt, str) and alt.strip() else None}


def media_list(entries: Iterable[dict[str, Any] | None]) -> list[dict[str, Any]]:
    """The media entries that exist, each URL once, in the platform's order."""
    seen: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if entry is not None:
            seen.setdefault(entry["url"], entry)
    return list(seen.values())


def web_url(value: Any) -> str | None:
    """`value` if it is an absolute web URL (a relative path such as a crosspost's is not a link)."""
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


def plain(value: Any) -> str:
    """A text field some APIs send HTML-escaped (`&amp;`, `&#39;`): the characters a reader sees."""
    return unescape(value) if isinstance(value, str) else ""


def to_int(value: Any) -> int | None:
    """Counts arrive as ints, strings (YouTube) or not at all."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: a count of inf
        return None


def epoch(value: Any) -> datetime | None:
    """Seconds since 1970 as a UTC time. A value no clock can show (1e300) raises ValueError, so
    that the item is skipped as malformed like any other bad field."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(float(value), tz=timezone.utc)
    except (OverflowError, OSError) as exc:  # past the platform's time_t, or C's year range
        raise ValueError(f"timestamp out of range: {value!r}") from exc


def html_to_text(html: str | None) -> tuple[str, list[str]]:
    """Mastodon-style HTML to plain text, plus the links it points to (mentions and tags left out)."""
    if not html:
        return "", []
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    links = []
    for a in tree.css("a[href]"):
        cls = a.attributes.get("class") or ""
        rel = a.attributes.get("rel") or ""
        if "mention" in cls or "tag" in rel.split():
            continue
        links.append(a.attributes.get("href"))
    for br in tree.css("br"):
        br.replace_with("\n")
    for p in tree.css("p"):
        p.insert_after("\n\n")
    for block in tree.css("h1, h2, h3, h4, h5, h6, li, div, blockquote, pre, tr"):
        block.insert_after("\n")  # a feed's headings and lists: "Kitchen" and "HEY" are two words
    body = tree.body
    text = body.text() if body is not None else ""
    return "\n".join(line.strip() for line in text.strip().splitlines()).strip(), unique(links)


def id_key(value: str) -> tuple[int, str]:
    """Order snowflake-like ids (Mastodon, X) numerically even though they travel as strings."""
    return (len(value), value) if value.isdigit() else (0, value)


def item_time(item: Post | Profile) -> str | None:
    return item.created_at.isoformat() if item.created_at else None


_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPE = r"\\[uU][dD][89a-fA-F]"  # the start of a surrogate's JSON escape
_ESCAPES = (re.compile(_ESCAPE), re.compile(_ESCAPE.encode()))


def scrub(value: Any) -> Any:
    """Lone surrogates (a JSON escape like \\ud800 allows them; UTF-8 cannot hold them) become
    U+FFFD, so one poisoned post cannot make its findings unstorable and block its source."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    return value


def loads(text: str | bytes) -> Any:
    """json.loads, scrubbed of lone surrogates (only walked when the text escapes one)."""
    value = json.loads(text)
    return scrub(value) if _ESCAPES[isinstance(text, bytes)].search(text) else value  # type: ignore[arg-type]


def json_body(response: httpx.Response) -> Any:
    try:
        return loads(response.content)
    except (ValueError, RecursionError) as exc:  # not JSON, or nested deeper than Python recurses
        raise Unavailable("malformed response", status_code=response.status_code) from exc


def _readable(value: str, kind: str) -> bool:
    if kind == "id":
        return value.isdigit()
    if kind == "time":
        try:
            return datetime.fromisoformat(value).tzinfo is not None
        except ValueError:
            return False
    return True


class OutOfTime(SourceError):
    """The fetch's deadline came before its next request: what was read is kept, the rest waits."""

    reason = "deadline"


RESUME = "resume:"  # the prefix of a checkpoint that holds a paging position to finish first


@dataclass(frozen=True)
class Resume:
    """Where a newest-first read stopped at its deadline: the next page's cursor, the checkpoint it
    was reading down to (`floor`), and the newest position already recorded (`top`). The next run
    finishes that backlog first, then the checkpoint becomes `top`: no item is skipped."""

    cursor: str
    floor: str | None
    top: str | None

    def encode(self) -> str:
        return RESUME + json.dumps(dataclasses.asdict(self), separators=(",", ":"))

    @classmethod
    def decode(cls, value: str) -> Resume | None:
        try:
            data = json.loads(value[len(RESUME):])
            resume = cls(cursor=data["cursor"], floor=data.get("floor"), top=data.get("top"))
        except (ValueError, KeyError, TypeError):
            return None
        ok = isinstance(resume.cursor, str) and all(v is None or isinstance(v, str) for v in (resume.floor, resume.top))
        return resume if ok else None


class _FetchStats:
    """What one fetch has used: requests made and seconds waited (the cap covers the whole fetch),
    and when it must stop (the deadline) and where to resume (a checkpoint's unfinished paging)."""

    def __init__(self, deadline: Deadline | None = None, resume: Resume | None = None) -> None:
        self.requests = 0
        self.spent = Spent()
        self.deadline = deadline
        self.resume = resume


_STATS: ContextVar[_FetchStats | None] = ContextVar("sentinelle_fetch_stats", default=None)


def search_terms(query: Query) -> str:
    """The search text of a post query: `#tag` for a hashtag; a name of several words quoted as
    one phrase (every platform here reads quotes so), or "Maison Lumière" would match any post
    saying "lumière"."""
    value = query.value.strip()
    if query.kind == "hashtag":
        return "#" + value.lstrip("#")
    if any(c.isspace() for c in value) and not value.startswith('"'):
        return f'"{value}"'
    return value


def serves(query: Query, platform: str, kinds: Iterable[str]) -> bool:
    return query.kind in kinds and query.platform in (None, platform)


class HttpSource:
    """Base of the live adapters: one client, counted requests, and errors turned into statuses.

    Subclasses implement `_collect(query, checkpoint, result)`, appending to `result.items` and
    setting `result.checkpoint` only to a position whose earlier items have all been read: when a
    request fails, the base class keeps whatever is in the result and reports it honestly.
    """

    platform: str = ""
    kinds: tuple[str, ...] = ()
    credentials_missing = False  # set by adapters whose secrets were not configured
    missing_secrets: tuple[str, ...] = ()  # their names, set by build_source, for the message
    checkpoint_kind = "any"  # "id" (numeric since_id) or "time" (ISO timestamp): others are ignored

    def __init__(self, *, name: str, client: httpx.AsyncClient | None = None,
                 policy: RetryPolicy | None = None, max_pages: int = 3, page_size: int | None = None):
        self.name = name
        self._client = client or make_client()
        self._owns_client = client is None
        self.policy = policy or RetryPolicy()
        self.max_pages = max_pages
        self.page_size = page_size

    def queries(self, plan: list[Query]) -> list[Query]:
        return [q for q in plan if serves(q, self.platform, self.kinds) and self.accepts(q)]

    # What an account handle looks like on this platform: an account query (platform unset, or
    # a handle from another network) is served only when it could be one here.
    handle_pattern: re.Pattern[str] | None = None

    def handle_of(self, value: str) -> str:
        return value.strip().lstrip("@")

    def accepts(self, query: Query) -> bool:
        if query.kind in ("profile", "account_posts") and self.handle_pattern is not None:
            return self.handle_pattern.fullmatch(self.handle_of(query.value)) is not None
        return True

    async def fetch(self, query: Query, checkpoint: str | None,
                    deadline: Deadline | None = None) -> SourceResult:
        if not self.queries([query]):
            return SourceResult(status="could_not_check", reason=f"{query.kind} not supported by {self.name}")
        if self.credentials_missing:
            from sentinelle.secrets import where_to_set

            hint = "; ".join(where_to_set(n) for n in self.missing_secrets)
            return SourceResult(status="could_not_check", reason=f"credentials: {hint}" if hint else "credentials")
        resume = None
        if checkpoint is not None and checkpoint.startswith(RESUME):
            resume = Resume.decode(checkpoint)
            checkpoint = resume.floor if resume else None
        if checkpoint is not None and not _readable(checkpoint, self.checkpoint_kind):
            log.warning("source %s %s: unreadable checkpoint ignored", self.name, query.key)
            checkpoint = None
        result = SourceResult()
        stats = _FetchStats(deadline, resume)
        token = _STATS.set(stats)  # per fetch: the pipeline runs a source's queries concurrently
        try:
            await self._collect(query, checkpoint, result)
        except SourceError as exc:
            result.status = "partial" if result.items else "could_not_check"
            result.reason = exc.reason
            log.warning("source %s %s: %s", self.name, query.key, exc.reason)
        except MalformedPage as exc:
            result.status = "partial" if result.items else "could_not_check"
            result.reason = "malformed response"
            log.warning("source %s %s: malformed response (%s)", self.name, query.key, exc)
        finally:
            result.requests = stats.requests
            _STATS.reset(token)
        return result

    async def _collect(self, query: Query, checkpoint: str | None, result: SourceResult) -> None:
        raise NotImplementedError

    def _count(self) -> None:
        stats = _STATS.get()
        if stats is not None:
            stats.requests += 1

    async def _request(self, method: str, url: str, *, allow: tuple[int, ...] = (), **kw: Any) -> httpx.Response:
        """One request through the retry layer. A 4xx not in `allow` (which the caller reads itself)
        is an error: an error body must never pass for an empty page."""
        stats = _STATS.get()
        policy = self.policy
        if stats is not None and stats.deadline is not None:
            if stats.deadline.reached:
                raise OutOfTime()
            # Rate-limit waits end before the deadline too: past it the unit's items would be lost.
            room = max(0.0, stats.deadline.remaining() - stats.deadline.margin)
            policy = dataclasses.replace(policy, max_total_wait=min(policy.max_total_wait, stats.spent.seconds + room))
        response = await request_with_retries(self._client, method, url, policy=policy, on_request=self._count,
                                              spent=stats.spent if stats else None, **kw)
        if 400 <= response.status_code < 500 and response.status_code not in allow:
            raise Rejected(f"http {response.status_code}", status_code=response.status_code)
        return response

    async def _get(self, url: str, **kw: Any) -> httpx.Response:
        return await self._request("GET", url, **kw)

    async def newest_first(
        self,
        result: SourceResult,
        checkpoint: str | None,
        fetch_page: Callable[[str | None], Any],
        *,
        position: Callable[[Post | Profile], str | None],
        order: Callable[[str], Any] = lambda v: v,
        ceiling: Any = None,
    ) -> None:
        """Page back from the newest item until the checkpoint, the end, or `max_pages`.

        `fetch_page(cursor)` awaits one page and returns parse_page's (items, skipped, next).
        Items at or before the checkpoint are dropped; the new checkpoint is the newest position
        seen, set only once paging ended normally (a failure mid-way leaves the old one).
        Positions above `ceiling` (a post dated in the future) never become the checkpoint: one
        such post would otherwise hide every later one.
        At the fetch's deadline, paging stops and the checkpoint becomes a `Resume` (the next page,
        this floor, the newest position read): the next run reads the rest down to the floor first.
        """
        stats = _STATS.get()
        resume, newest, cursor = None, None, None
        if stats is not None and stats.resume is not None:
            resume, stats.resume = stats.resume, None  # one paging of this fetch resumes, not every
            newest, cursor = resume.top, resume.cursor
        for _ in range(self.max_pages):
            try:
                items, skipped, next_cursor = await fetch_page(cursor)
            except OutOfTime:
                if cursor is None or not (result.items or resume):
                    raise  # nothing read: the checkpoint stays as it was
                result.status, result.reason = "partial", "deadline; the rest next run"
                result.checkpoint = Resume(cursor, checkpoint, newest).encode()
                return
            except Rejected:
                if resume is None or cursor != resume.cursor:
                    raise
                log.warning("source %s: resume position refused, reading from the newest again", self.name)
                resume, newest, cursor = None, None, None  # an expired cursor: read anew down to the floor
                continue
            cursor = next_cursor
            result.skipped += skipped
            fresh = [i for i in items if checkpoint is None or position(i) is None
                     or order(position(i)) > order(checkpoint)]  # type: ignore[arg-type]
            result.items.extend(fresh)
            for item in fresh:
                pos = position(item)
                if pos is None or (ceiling is not None and order(pos) > ceiling):
                    continue
                if newest is None or order(pos) > order(newest):
                    newest = pos
            if len(fresh) < len(items) or not cursor or (not items and not skipped):
                break
        else:
            # New items beyond the page bound are not read this run; say so rather than hide it.
            result.status, result.reason = "partial", "page limit reached"
        result.checkpoint = newest or checkpoint

    def time_ceiling(self) -> datetime:
        """The latest believable timestamp: now, plus a little clock skew."""
        return datetime.fromtimestamp(self.policy.clock(), timezone.utc) + timedelta(minutes=10)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()
