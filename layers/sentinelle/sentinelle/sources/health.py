"""Source health across runs: how many consecutive runs a source could not be checked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

FAILING = ("could_not_check", "could_not_record")


def health_key(source_name: str) -> str:
    return f"health:{source_name}"


def consecutive_failures(checkpoints: Any, source_name: str) -> int:
    raw = checkpoints.get_checkpoint(health_key(source_name), "consecutive_failures")
    return int(raw) if raw and str(raw).isdigit() else 0


def record_source_status(checkpoints: Any, source_name: str, status: str, now: datetime) -> int:
    """Store and return the count of consecutive failing runs (0 after any run that could check).

    The pipeline alerts and emits `SourceErrors` when it crosses its threshold.
    """
    count = consecutive_failures(checkpoints, source_name) + 1 if status in FAILING else 0
    checkpoints.put_checkpoint(health_key(source_name), "consecutive_failures", str(count), now)
    return count
