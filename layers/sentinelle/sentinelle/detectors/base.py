"""What a detector is, the context it runs in, and the registry that knows them all."""

from __future__ import annotations

import functools
import importlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, ClassVar, Literal, TypeVar

from sentinelle import hashkey
from sentinelle.masking import CONTACTS, nothing_to_mask, redact_deep  # the recognizers load on first use
from sentinelle.model import Finding, Post, Profile, utcnow
from sentinelle.ports import Enrichers, Query
from sentinelle.watchlist import Watchlist


T = TypeVar("T")


MIN_HASH_KEY_BYTES = 16


@dataclass
class Context:
    watchlist: Watchlist
    # Key for hashing sensitive values into dedup keys (never the value itself). Required, never
    # defaulted: a known key would let anyone with an incident id brute-force a leaked number.
    # The entry points get it from `sentinelle.hashkey` (a file beside the database, or Secrets
    # Manager on AWS); `sentinelle check`, whose output holds no key, uses a random one per run.
    hash_key: bytes
    now: datetime = field(default_factory=utcnow)
    online: bool = False
    enrichers: Enrichers | None = None  # online mode only
    # Reads the text in a post's pictures (sentinelle.readers.pictures.PictureReader): set online,
    # or offline when the run configuration maps media URLs to recorded files; None otherwise.
    pictures: Any = None
    # Whether the detector was named explicitly (sentinelle check --detector X): it then reads
    # items outside its usual audience too.
    explicit: bool = False
    cache: dict[str, Any] = field(default_factory=dict)  # per-watchlist compiled state, see memo()

    def __post_init__(self) -> None:
        if not isinstance(self.hash_key, bytes) or len(self.hash_key) < MIN_HASH_KEY_BYTES:
            raise ValueError(f"a hash key of at least {MIN_HASH_KEY_BYTES} bytes is required")

    @classmethod
    def ephemeral(cls, watchlist: Watchlist, **options: Any) -> Context:
        """A context whose hash key is random and dies with the process: for `sentinelle check`,
        evaluations, benchmarks and tests, where no dedup key outlives the run."""
        return cls(watchlist=watchlist, hash_key=secrets.token_bytes(32), **options)

    def memo(self, key: str, build: Callable[[Watchlist], T]) -> T:
        """`build(self.watchlist)`, once per watchlist: compiled state (automata, indexes) that
        detectors share instead of rebuilding per item or per detector."""
        held = self.cache.get(key)
        if held is None or held[0] is not self.watchlist:
            held = self.cache[key] = (self.watchlist, build(self.watchlist))
        return held[1]

    def keyed_hash(self, value: str) -> str:
        return hashkey.keyed_hash(self.hash_key, value)


@dataclass(frozen=True)
class Part:
    """One piece of what a post says: its own text, or the text of one of its pictures."""

    label: str  # "text", "image 2 of 3, alt text", "image 2 of 3, read by OCR"
    text: str
    start: int  # offset of this part in Readable.text
    url: str | None = None  # the picture's URL
    phash: str | None = None  # the picture's perceptual hash, when it was fetched


@dataclass
class Readable:
    """Everything a detector reads in a post, joined into one text, and where each part starts:
    the post's text, then each picture's alt text (always, offline too), then the text read from
    each picture (when `ctx.pictures` can read them). Pictures that could not be read are named in
    `unread` with the reason, never an error."""

    text: str
    parts: list[Part]
    unread: list[str] = field(default_factory=list)

    def where(self, offset: int) -> Part:
        """The part holding `offset` of `text`."""
        for part in self.parts:
            if part.start <= offset < part.start + len(part.text):
                return part
        return self.parts[0]  # text added after the parts (the platform's links) is the post's

    @property
    def pictures(self) -> list[Part]:
        return [p for p in self.parts if p.url is not None]

    def reasons(self) -> list[str]:
        """What a finding made from this post should say about its pictures."""
        out = []
        if self.pictures:
            out.append("text read from " + ", ".join(p.label for p in self.pictures))
        return out + [f"not read: {why}" for why in self.unread]

    def annotate(self, finding: Finding, offset: int | None = None) -> Finding:
        """Say in the finding which picture its match came from (at `offset` of `text`), or which
        pictures were read; and mask whatever sensitive value the picture text adds to the evidence."""
        if not self.pictures and not self.unread:
            return finding
        from sentinelle.masking import redact

        part = self.where(offset) if offset is not None else None
        if part is None:
            finding.reasons.extend(self.reasons())
        else:
            if part.url is not None:
                finding.evidence["picture"] = {"which": part.label, "url": part.url,
                                               **({"phash": part.phash} if part.phash else {})}
                finding.reasons.append(f"found in {part.label}")
            finding.reasons.extend(f"not read: {why}" for why in self.unread)
        for key in ("excerpt", "context"):
            if isinstance(finding.evidence.get(key), str):
                finding.evidence[key] = redact(finding.evidence[key])
        return finding


def readable(item: Post, ctx: "Context") -> Readable:
    """The one place detectors get a post's readable text from (see Readable)."""
    parts = [Part("text", item.text or "", 0)]
    pieces = [item.text or ""]
    offset = len(pieces[0])

    def add(label: str, text: str, url: str, phash: str | None = None) -> None:
        nonlocal offset
        offset += 2
        parts.append(Part(label, text, offset, url, phash))
        pieces.append(text)
        offset += len(text)

    total = len(item.media)
    for number, m in enumerate(item.media, 1):
        if m.alt:
            add(f"{m.type} {number} of {total}, alt text", m.alt, m.url)
    unread: list[str] = []
    if ctx.pictures is not None and item.media:
        for read in ctx.pictures.read(item):
            if read.text:
                add(f"{read.label}, read by OCR", read.text, read.url, read.phash)
            elif read.error:
                unread.append(f"{read.label} ({read.error})")
    return Readable("\n\n".join(pieces), parts, unread)


class Detector:
    """Base class: subclass, set the class attributes, implement `plan` and `detect`, register."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    reads: ClassVar[Literal["posts", "profiles", "both"]] = "posts"
    # "strangers": items by accounts that are not the organisation's; "own": its own accounts.
    audience: ClassVar[Literal["strangers", "own", "any"]] = "strangers"
    every: ClassVar[str] = "15m"  # default schedule
    # True for a detector that masks every value it quotes with `masking` itself (leaks, whose
    # job that is): `register` then skips the safety net, which would only repeat the work.
    masks_itself: ClassVar[bool] = False

    def plan(self, watchlist: Watchlist) -> list[Query]:
        raise NotImplementedError

    def detect(self, item: Post | Profile, ctx: Context) -> list[Finding]:
        raise NotImplementedError

    def applies(self, item: Post | Profile, ctx: Context) -> bool:
        if self.reads == "posts" and not isinstance(item, Post):
            return False
        if self.reads == "profiles" and not isinstance(item, Profile):
            return False
        if isinstance(item, Post):
            handle = item.author.handle if item.author else None
        else:
            handle = item.handle
        own = ctx.watchlist.is_own(item.platform, handle)
        if self.audience == "strangers":
            return not own
        if self.audience == "own":
            return own or ctx.explicit
        return True


class DuplicateDetector(ValueError):
    pass


_REGISTRY: dict[str, Detector] = {}


def masked(finding: Finding) -> Finding:
    """`finding` with its free text (reasons, evidence, the subject's URL and display name, the
    item's URL) passed through `masking.redact`, whatever the detector masked itself. Contacts (phone
    numbers, e-mail addresses) are left to the detector: `leaks` masks them, as someone's personal
    data; a scam's call-back number is the evidence a takedown needs. The subject's id and handle
    stay: they make the incident's identity."""
    subject = finding.subject
    if nothing_to_mask(finding.reasons, finding.evidence, subject.url, subject.display_name, finding.item_url,
                       keep=CONTACTS):
        return finding  # the usual case, answered at once

    def clean(text: str | None) -> str | None:
        return redact_deep(text, CONTACTS) if text else text

    return finding.model_copy(update={
        "reasons": redact_deep(finding.reasons, CONTACTS),
        "evidence": redact_deep(finding.evidence, CONTACTS),
        "subject": subject.model_copy(update={"url": clean(subject.url), "display_name": clean(subject.display_name)}),
        "item_url": clean(finding.item_url),
    })


def _masking(detect: Callable[[Any, Post | Profile, Context], list[Finding]]
             ) -> Callable[[Any, Post | Profile, Context], list[Finding]]:
    @functools.wraps(detect)
    def detect_masked(self: Any, item: Post | Profile, ctx: Context) -> list[Finding]:
        return [masked(f) for f in detect(self, item, ctx)]

    detect_masked.__wrapped_by_masking__ = True  # type: ignore[attr-defined]
    return detect_masked


def register(cls: type[Detector]) -> type[Detector]:
    """Class decorator: register a detector once; a second registration of a name is an error.
    Its `detect` is wrapped so that every finding it makes leaves through `masked`: one place
    masks every detector's output, so none can forget a field."""
    name = cls.name
    if name in _REGISTRY:
        raise DuplicateDetector(f"detector {name!r} is already registered by {type(_REGISTRY[name]).__module__}")
    if not cls.masks_itself and not getattr(cls.detect, "__wrapped_by_masking__", False):
        cls.detect = _masking(cls.detect)  # type: ignore[method-assign,assignment]
    _REGISTRY[name] = cls()
    return cls


BUILTIN = ("scams", "impersonation", "leaks")  # modules of sentinelle.detectors


def registry() -> dict[str, Detector]:
    """Every detector, the built-in ones imported (registered) on the way."""
    for name in BUILTIN:
        importlib.import_module(f"sentinelle.detectors.{name}")
    return dict(_REGISTRY)


def get(name: str) -> Detector:
    if name not in _REGISTRY and name in BUILTIN:
        importlib.import_module(f"sentinelle.detectors.{name}")
    if name not in _REGISTRY:
        reg = registry()
        if name not in reg:
            raise KeyError(f"unknown detector {name!r}; known: {', '.join(sorted(reg))}")
    return _REGISTRY[name]
