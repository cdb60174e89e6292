"""Replay: recorded API responses (or uniform items) from a JSON-lines file, read incrementally."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any, Callable

from pydantic import ValidationError

from sentinelle.ports import Deadline, Query, SourceResult
from sentinelle.model import parse_item
from sentinelle.sources.common import ITEM_ERRORS, Items, MalformedPage, Page, UnknownEndpoint, loads

log = logging.getLogger("sentinelle.sources")

PLATFORMS = ("bluesky", "mastodon", "reddit", "x", "youtube")


def page_parser(platform: str) -> Callable[..., Page]:
    """The pure parse_page of a platform module, shared with its live adapter."""
    if platform not in PLATFORMS:
        raise ValueError(f"platform: {platform!r} has no page parser; known: {', '.join(PLATFORMS)}")
    return importlib.import_module(f"sentinelle.sources.{platform}").parse_page


def check_endpoint(platform: str, endpoint: str | None,
                   options: dict[str, Any] | None = None) -> Callable[..., Page]:
    """The parser for `platform`, once `endpoint` is known to be one of its endpoints."""
    if not endpoint:
        raise ValueError("endpoint: required when platform is given")
    parse = page_parser(platform)
    try:
        parse(endpoint, None, **(options or {}))
    except UnknownEndpoint as exc:
        raise ValueError(f"endpoint: {exc}") from None
    except (MalformedPage, *ITEM_ERRORS):
        pass  # a known endpoint refusing an empty body is expected
    return parse


class ReplaySource:
    """Each line is one response body of `endpoint` on `platform`, or (no platform) one uniform item.

    The checkpoint is the number of lines consumed, so a later run reads only appended lines.
    """

    def __init__(self, *, path: str, base_dir: str | Path = ".", platform: str | None = None,
                 endpoint: str | None = None, query: dict[str, Any] | Query | None = None,
                 name: str | None = None, parse_options: dict[str, Any] | None = None):
        self.path = Path(base_dir) / path
        self.name = name or f"replay:{path}"
        self.platform = platform or "replay"
        self.endpoint = endpoint
        self.parse_options = parse_options or {}
        self._parse = check_endpoint(platform, endpoint, self.parse_options) if platform else None
        if isinstance(query, Query):
            self.query = query
        else:
            try:
                self.query = Query(**query) if query else Query(kind="search_posts", value=str(path))
            except ValidationError as exc:
                raise ValueError(f"query: {exc.errors()[0]['msg']}") from None

    def queries(self, plan: list[Query]) -> list[Query]:
        return [self.query]  # a recording answers the query it recorded, whatever the plan

    def _line(self, line: str) -> tuple[Items, int]:
        if self._parse is None:
            return [parse_item(loads(line))], 0
        items, skipped, _ = self._parse(self.endpoint, loads(line), **self.parse_options)
        return items, skipped

    async def fetch(self, query: Query, checkpoint: str | None,
                    deadline: Deadline | None = None) -> SourceResult:
        try:
            # Bytes, split on line ends only: one line that is not UTF-8 is skipped below, not the
            # whole file (and U+2028 inside a JSON string does not cut its line in two).
            lines = self.path.read_bytes().splitlines()
        except OSError as exc:
            log.warning("replay %s: cannot read (%s)", self.path, type(exc).__name__)
            return SourceResult(status="could_not_check", reason="file not readable")
        start = int(checkpoint) if checkpoint and checkpoint.isdigit() else 0
        if start > len(lines):
            start = 0  # the file was replaced by a shorter one: read it anew
        result = SourceResult(checkpoint=str(len(lines)))
        for number, raw in enumerate(lines[start:], start + 1):
            if deadline is not None and deadline.reached:  # lines up to here are read; the rest next run
                result.checkpoint = str(number - 1)
                result.status, result.reason = ("partial" if number - 1 > start else "could_not_check"), "deadline"
                if number - 1 == start:
                    result.checkpoint = None
                break
            if not raw.strip():
                continue
            try:
                items, skipped = self._line(raw.decode("utf-8"))
            except (MalformedPage, RecursionError, *ITEM_ERRORS) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
                result.skipped += 1
                log.warning("replay %s line %d skipped: %s", self.path.name, number, type(exc).__name__)
                continue
            result.items.extend(items)
            result.skipped += skipped
        return result

    async def aclose(self) -> None:
        return None
