"""What every scan Lambda does: build the store once, load the config, run one detector, emit its metrics."""

from __future__ import annotations

import os
from datetime import datetime
from functools import lru_cache
from typing import Any

DEFAULT_CONFIG = "ssm:/sentinelle/config"


@lru_cache(maxsize=1)
def get_store() -> Any:
    """The DynamoDB store of SENTINELLE_TABLE, created on first use and kept for warm invocations."""
    from sentinelle.store.dynamodb import DynamoDBStore  # late: pynamodb and botocore are heavy

    return DynamoDBStore(os.environ["SENTINELLE_TABLE"], hash_key_secret=os.environ.get("SENTINELLE_HASH_KEY_SECRET"))


def get_config() -> Any:
    """The run configuration from SENTINELLE_CONFIG (ssm:/name, s3://bucket/key or a file).

    Read on every invocation so that a watchlist change applies at the next run; SSM reads are
    cached for five minutes by the parameters utility.
    """
    from sentinelle.config import load_config

    return load_config(os.environ.get("SENTINELLE_CONFIG") or DEFAULT_CONFIG)


def run_scan(detector: str, metrics: Any, *, now: datetime | None = None) -> dict[str, Any]:
    """One scheduled run of `detector`; returns the run summary as JSON-ready data."""
    from aws_lambda_powertools.metrics import MetricUnit

    from sentinelle.runner import run_detector

    store = get_store()
    summary = run_detector(detector, config=get_config(), store=store, checkpoints=store, now=now)
    metrics.add_dimension(name="Detector", value=detector)
    metrics.add_metric(name="ItemsScanned", unit=MetricUnit.Count, value=summary.items_read)
    metrics.add_metric(name="FindingsRecorded", unit=MetricUnit.Count, value=summary.findings)
    metrics.add_metric(name="SourceErrors", unit=MetricUnit.Count, value=summary.source_errors)
    return summary.as_dict()
