"""What a source is: it serves a detector's queries and says honestly whether it could."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from sentinelle.detectors.base import Query
from sentinelle.model import Post, Profile

Status = Literal["ok", "partial", "could_not_check"]


@dataclass
class SourceResult:
    items: list[Post | Profile] = field(default_factory=list)
    status: Status = "ok"
    reason: str | None = None  # why partial / could_not_check ("credentials", "timeout", ...)
    # The checkpoint to store once every item above is recorded (None: leave it where it was).
    checkpoint: str | None = None
    skipped: int = 0  # malformed items skipped one by one
    requests: int = 0  # HTTP requests made (cost accounting)


class Source(Protocol):
    """One configured source (a platform on an instance with its credentials, or a replay file)."""

    name: str  # stable, used in checkpoint keys: "mastodon:mastodon.social", "replay:feeds/x.jsonl"
    platform: str

    def queries(self, plan: list[Query]) -> list[Query]:
        """Which of the detector's planned queries this source serves. A live platform returns
        those it can answer; a replay file returns the query it recorded, whatever the plan."""
        ...

    async def fetch(self, query: Query, checkpoint: str | None) -> SourceResult: ...

    async def aclose(self) -> None: ...
