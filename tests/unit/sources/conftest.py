"""Shared helpers for the source adapter tests: fixtures on disk, instant retries, a memory store."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from sentinelle.http import RetryPolicy

NOW = 1_795_867_200.0  # 2026-11-28T12:00:00Z, the fake clock of every policy below
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def load(rel: str) -> Any:
    return json.loads((FIXTURES / rel).read_text(encoding="utf-8"))


def run(coro: Any) -> Any:
    return asyncio.run(coro)


class Sleeps(list):
    """A fake asyncio.sleep that records the waits instead of taking them."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def instant_policy(**kw: Any) -> RetryPolicy:
    kw.setdefault("sleep", Sleeps())
    kw.setdefault("rng", lambda: 0.5)
    kw.setdefault("clock", lambda: NOW)
    return RetryPolicy(**kw)


class MemoryCheckpoints:
    """A CheckpointStore and KeyValueStore in dicts (the real ones have their own contract tests)."""

    def __init__(self) -> None:
        self.data: dict[tuple[str, str], str] = {}
        self.values: dict[tuple[str, str], str] = {}

    def get_checkpoint(self, source: str, query: str) -> str | None:
        return self.data.get((source, query))

    def put_checkpoint(self, source: str, query: str, value: str, now: Any) -> None:
        self.data[(source, query)] = value

    def get_value(self, namespace: str, key: str) -> str | None:
        return self.values.get((namespace, key))

    def put_value(self, namespace: str, key: str, value: str, now: Any) -> None:
        self.values[(namespace, key)] = value

    def update_value(self, namespace: str, key: str, change: Any, now: Any) -> str:
        value = change(self.values.get((namespace, key)))
        self.values[(namespace, key)] = value
        return value


@pytest.fixture
def policy() -> RetryPolicy:
    return instant_policy()


@pytest.fixture
def client():
    c = httpx.AsyncClient()
    yield c
    asyncio.run(c.aclose())
