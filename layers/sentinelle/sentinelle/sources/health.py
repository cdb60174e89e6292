"""Source health across runs: how many consecutive runs a source could not be checked."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sentinelle.ports import KeyValueStore

FAILING = ("could_not_check", "could_not_record")
NAMESPACE = "health"  # key: the source's name; value: {"at", "base", "failed"}


def _load(values: KeyValueStore, source_name: str) -> dict[str, Any]:
    raw = values.get_value(NAMESPACE, source_name)
    try:
        state = json.loads(raw) if raw else {}
    except ValueError:
        state = {}
    return state if isinstance(state, dict) else {}


def _count(state: dict[str, Any]) -> int:
    return int(state.get("base", 0)) + 1 if state.get("failed") else 0


def consecutive_failures(values: KeyValueStore, source_name: str) -> int:
    return _count(_load(values, source_name))


def record_source_status(values: KeyValueStore, source_name: str, status: str, now: datetime) -> int:
    """Record one (source, query) outcome of the run at `now`; return the source's count of
    consecutive failing runs. A run fails for a source when any of its queries could not be
    checked; calls for several queries of one run (same `now`: with fan-out, the time the run was
    planned) count that run once.
    """
    at = now.isoformat()

    def change(raw: str | None) -> str:
        try:
            state = json.loads(raw) if raw else {}
        except ValueError:
            state = {}
        state = state if isinstance(state, dict) else {}
        if state.get("at") != at:  # the first outcome of a new run
            state = {"at": at, "base": _count(state), "failed": False}
        state["failed"] = bool(state["failed"] or status in FAILING)
        return json.dumps(state)

    # Atomic: with fan-out, the work units of one run report their source's outcome concurrently.
    return _count(json.loads(values.update_value(NAMESPACE, source_name, change, now)))
