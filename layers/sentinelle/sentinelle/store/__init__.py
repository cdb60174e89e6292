"""Incident and checkpoint stores: DynamoDB (AWS) and SQLite (the embedded default)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sentinelle.ports import (
    Alert,
    CheckpointStore,
    IncidentStore,
    InvalidTransition,
    NotFound,
    Outbox,
    Page,
    Recorded,
    StoreError,
)

__all__ = [
    "Alert", "CheckpointStore", "IncidentStore", "InvalidTransition", "NotFound", "Outbox", "Page",
    "Recorded", "StoreError", "open_store",
]


def open_store(target: str | Path, **options: Any) -> Any:
    """The store a URL or path names: a path or ``sqlite:///path`` is SQLite (the file is created);
    ``dynamodb://TABLE`` is DynamoDB (region and endpoint from the environment)."""
    text = str(target)
    if text.startswith("dynamodb://"):
        from sentinelle.store.dynamodb import DynamoDBStore  # pynamodb only when asked for

        table = text.removeprefix("dynamodb://").strip("/")
        if not table:
            raise ValueError(f"{target!r} names no table: use dynamodb://TABLE")
        return DynamoDBStore(table, **options)
    if text.startswith("sqlite://"):
        text = text.removeprefix("sqlite://")
        # sqlite:///relative.db -> "relative.db"; sqlite:////abs/path.db -> "/abs/path.db"
        text = text[1:] if text.startswith("/") else text
    elif "://" in text:
        raise ValueError(f"unknown store {target!r}: use a file path, sqlite:///PATH or dynamodb://TABLE")
    from sentinelle.store.sqlite import SQLiteStore

    return SQLiteStore(text or ":memory:", **options)
