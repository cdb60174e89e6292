"""How both stores spell times and index keys (text order is time order)."""

from __future__ import annotations

from datetime import datetime, timezone

from sentinelle.model import Incident


def ts(value: datetime) -> str:
    """A UTC timestamp as fixed-width text, so that text order is time order (index keys)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def last_seen_id(incident: Incident) -> str:
    return f"{ts(incident.last_seen)}#{incident.id}"
