"""The uniform shapes every layer speaks: items read, findings made, incidents kept."""

from __future__ import annotations

import enum
import hashlib
import re
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc) if value is not None else None


_SURROGATES = re.compile("[\ud800-\udfff]")


def scrub(value: Any) -> Any:
    """Lone surrogates (from JSON escapes like \\ud800) replaced by U+FFFD, in strings and lists of them:
    a string holding one cannot be encoded, so a finding quoting it could be neither stored nor sent."""
    if isinstance(value, str):
        return value if value.isascii() else _SURROGATES.sub("\ufffd", value)
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def norm_handle(handle: str | None) -> str:
    """Handles compare case-insensitively, without a leading '@'."""
    return (handle or "").strip().lstrip("@").casefold()


class Severity(str, enum.Enum):
    info = "info"
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def __ge__(self, other: "Severity") -> bool:  # type: ignore[override]
        return self.rank >= Severity(other).rank

    def __gt__(self, other: "Severity") -> bool:  # type: ignore[override]
        return self.rank > Severity(other).rank

    def __le__(self, other: "Severity") -> bool:  # type: ignore[override]
        return self.rank <= Severity(other).rank

    def __lt__(self, other: "Severity") -> bool:  # type: ignore[override]
        return self.rank < Severity(other).rank

    @classmethod
    def from_score(cls, score: int) -> "Severity":
        """The default mapping; detectors may raise severity for harm (e.g. card data asked)."""
        if score >= 90:
            return cls.critical
        if score >= 70:
            return cls.high
        if score >= 50:
            return cls.medium
        if score >= 25:
            return cls.low
        return cls.info


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}


class Status(str, enum.Enum):
    open = "open"
    acknowledged = "acknowledged"
    takedown_requested = "takedown_requested"
    takedown_accepted = "takedown_accepted"
    takedown_denied = "takedown_denied"
    resolved = "resolved"
    false_positive = "false_positive"

    @property
    def closed(self) -> bool:
        return self in (Status.resolved, Status.false_positive, Status.takedown_accepted)


class _Received(BaseModel):
    """Data as received from outside: unknown fields ignored, lone surrogates scrubbed, numeric ids as text."""

    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _scrub(cls, data: Any) -> Any:
        return {k: scrub(v) for k, v in data.items()} if isinstance(data, dict) else data

    @field_validator("id", mode="before", check_fields=False)  # each subclass declares its own `id`
    @classmethod
    def _id_str(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v


class _Item(_Received):
    platform: str = Field(min_length=1)
    id: str = Field(min_length=1)
    url: str | None = None
    created_at: datetime | None = None
    links: list[str] = Field(default_factory=list)

    @field_validator("created_at")
    @classmethod
    def _utc(cls, v: datetime | None) -> datetime | None:
        return _aware(v)

    @field_validator("links", mode="before")
    @classmethod
    def _links(cls, v: Any) -> Any:
        return [] if v is None else v


class Author(_Received):
    id: str | None = None
    handle: str | None = None
    display_name: str | None = None


class Media(_Received):
    """A picture, GIF or video attached to a post: its URL and the alt text its author wrote."""

    type: Literal["image", "gif", "video"] = "image"
    url: str = Field(min_length=1)
    alt: str | None = None

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, v: Any) -> Any:
        return "image" if v is None else v

    @field_validator("alt", mode="before")
    @classmethod
    def _alt(cls, v: Any) -> Any:
        return v if isinstance(v, str) and v.strip() else None


class Post(_Item):
    type: Literal["post"] = "post"
    author: Author | None = None
    text: str = ""
    lang: str | None = None
    hashtags: list[str] = Field(default_factory=list)
    media: list[Media] = Field(default_factory=list)

    @field_validator("media", "hashtags", mode="before")
    @classmethod
    def _lists(cls, v: Any) -> Any:
        return [] if v is None else v

    @field_validator("text", mode="before")
    @classmethod
    def _text(cls, v: Any) -> Any:
        return "" if v is None else v


class Profile(_Item):
    type: Literal["profile"] = "profile"
    handle: str | None = None
    display_name: str | None = None
    bio: str | None = None
    avatar_url: str | None = None
    banner_url: str | None = None
    followers: int | None = None
    following: int | None = None
    post_count: int | None = None
    verified: bool | None = None
    # Moderation labels the platform put on the account (Bluesky: "impersonation", "spam", ...).
    labels: list[str] = Field(default_factory=list)

    @field_validator("labels", mode="before")
    @classmethod
    def _labels(cls, v: Any) -> Any:
        return [] if v is None else v


Item = Annotated[Post | Profile, Field(discriminator="type")]
ITEM_ADAPTER: TypeAdapter[Post | Profile] = TypeAdapter(Item)


def parse_item(data: Any) -> Post | Profile:
    """Validate one item (a dict or a JSON string); raises pydantic.ValidationError."""
    if isinstance(data, (str, bytes)):
        return ITEM_ADAPTER.validate_json(data)
    return ITEM_ADAPTER.validate_python(data)


class Subject(BaseModel):
    """What an incident is about: an account, a post, a domain, or one of Sentinelle's sources."""

    platform: str
    kind: Literal["account", "post", "domain", "source"]
    id: str
    handle: str | None = None
    url: str | None = None
    display_name: str | None = None


class Finding(BaseModel):
    detector: str
    kind: str
    severity: Severity
    score: int = Field(ge=0, le=100)
    reasons: list[str] = Field(min_length=1)
    evidence: dict[str, Any] = Field(default_factory=dict)
    subject: Subject
    # The part of the incident identity beyond detector, kind and subject: for example a keyed
    # hash of a leaked value, or the protected identity copied. Never a raw sensitive value, and
    # never written anywhere (store, API, alerts, logs): it only goes into `incident_key`.
    dedup: str = Field(default="", exclude=True, repr=False)
    # The item that produced the finding (post or profile id and URL), for the evidence pack.
    item_id: str | None = None
    item_url: str | None = None
    observed_at: datetime = Field(default_factory=utcnow)

    @property
    def incident_key(self) -> str:
        raw = "\x1f".join(
            [self.detector, self.kind, self.subject.platform, self.subject.kind, self.subject.id, self.dedup]
        )
        return hashlib.sha256(raw.encode()).hexdigest()[:24]

    def public(self) -> dict[str, Any]:
        """The finding as `sentinelle check` prints it (contract fields, plus optional additions)."""
        return {
            "detector": self.detector,
            "kind": self.kind,
            "severity": self.severity.value,
            "score": self.score,
            "reasons": list(self.reasons),
            "evidence": self.evidence,
            "subject": self.subject.model_dump(exclude_none=True),
        }


MAX_FINDINGS = 20  # an incident keeps its latest findings, not every repeat


class HistoryEntry(BaseModel):
    at: datetime
    by: str
    action: str  # "created", "escalated", "status", "note", "takedown", ...
    status: Status | None = None
    severity: Severity | None = None
    note: str | None = None
    assignee: str | None = None
    detail: dict[str, Any] | None = None


class Incident(BaseModel):
    id: str
    detector: str
    kind: str
    severity: Severity
    score: int
    status: Status = Status.open
    platform: str
    subject: Subject
    reasons: list[str]
    evidence: dict[str, Any]
    first_seen: datetime
    last_seen: datetime
    occurrences: int = 1
    assignee: str | None = None
    history: list[HistoryEntry] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)  # the latest MAX_FINDINGS, newest last

    @classmethod
    def from_finding(cls, finding: Finding, now: datetime) -> "Incident":
        return cls(
            id=finding.incident_key,
            detector=finding.detector,
            kind=finding.kind,
            severity=finding.severity,
            score=finding.score,
            platform=finding.subject.platform,
            subject=finding.subject,
            reasons=finding.reasons,
            evidence=finding.evidence,
            first_seen=now,
            last_seen=now,
            history=[HistoryEntry(at=now, by="sentinelle", action="created", status=Status.open,
                                  severity=finding.severity)],
            findings=[finding],
        )


class Change(str, enum.Enum):
    """What recording a finding did to its incident; alerts go out for `new`, `escalated` and
    `reopened` (resolved or taken down, and still there a day later)."""

    new = "new"
    escalated = "escalated"
    reopened = "reopened"
    repeat = "repeat"

    @property
    def alerts(self) -> bool:
        return self in (Change.new, Change.escalated, Change.reopened)
