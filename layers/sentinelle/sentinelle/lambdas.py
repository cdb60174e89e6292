"""What every scan Lambda does: build the store once, load the config, run one detector (or plan it
into work units for the queue, or run one unit from it), emit its metrics."""

from __future__ import annotations

import json
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


# Of an invocation's remaining time: what is kept back to detect, record and checkpoint after the
# sources stop, and the least time a source needs to start one more request (the HTTP client's
# timeout is 15 s).
RECORD_RESERVE = (0.10, 10.0)  # a share of the remaining time, at least so many seconds
REQUEST_MARGIN = 20.0


def deadline_of(context: Any) -> Any:
    """When this invocation's sources must stop reading, from the Lambda context (None without one)."""
    from sentinelle.ports import Deadline

    if context is None or not hasattr(context, "get_remaining_time_in_millis"):
        return None
    remaining = context.get_remaining_time_in_millis() / 1000
    share, floor = RECORD_RESERVE
    reserve = max(floor, remaining * share)
    return Deadline.within(remaining - reserve, margin=min(REQUEST_MARGIN, remaining * share))


@lru_cache(maxsize=1)
def sqs_client() -> Any:
    import boto3

    return boto3.client("sqs")


class QueueError(RuntimeError):
    """Some work units could not be queued; the schedule's retry plans the scan again."""


def queue_scan(detector: str, queue_url: str, metrics: Any) -> dict[str, Any]:
    """Plan one scan of `detector` into work units and send them to the FIFO work queue (fan-out).

    Each unit goes to one of its source's message groups (`pipeline.queue_keys`): FIFO runs one
    message per group at a time, so a source never has more than its `concurrency` units in
    flight, nor one unit twice. A unit queued again within 5 minutes (a retried schedule) is
    dropped by SQS (same deduplication id); later, it would cost a second read, never a second
    incident: a unit starts from its checkpoint and the store's writes are conditional.
    """
    from aws_lambda_powertools.metrics import MetricUnit

    from sentinelle.model import utcnow
    from sentinelle.runner import plan_queue

    units = plan_queue(detector, config=get_config(), now=utcnow())
    failed = 0
    for start in range(0, len(units), 10):  # SendMessageBatch takes ten at most
        entries = [{"Id": str(n), "MessageBody": json.dumps(unit.as_message()),
                    "MessageGroupId": keys.group, "MessageDeduplicationId": keys.dedup}
                   for n, (unit, keys) in enumerate(units[start:start + 10])]
        answer = sqs_client().send_message_batch(QueueUrl=queue_url, Entries=entries)
        failed += len(answer.get("Failed", []))
    metrics.add_dimension(name="Detector", value=detector)
    metrics.add_metric(name="UnitsQueued", unit=MetricUnit.Count, value=len(units) - failed)
    if failed:
        raise QueueError(f"{failed} of {len(units)} work units of {detector} could not be queued")
    return {"detector": detector, "units_queued": len(units)}


class UnitFailed(RuntimeError):
    """A work unit's findings could not be recorded: the queue delivers it again (then dead-letters it)."""


def run_unit(body: Any, metrics: Any, *, context: Any = None) -> dict[str, Any]:
    """One work unit from the queue: collect, detect, record and checkpoint it. A malformed unit or
    one whose findings cannot be recorded raises, so the queue retries it and then dead-letters it."""
    from sentinelle.pipeline import WorkUnit
    from sentinelle.runner import run_detector

    unit = WorkUnit.from_message(body)
    store = get_store()
    summary = run_detector(unit.detector, config=get_config(), store=store, checkpoints=store, units=[unit],
                           deadline=deadline_of(context))
    _emit(unit.detector, summary, metrics)
    if any(s.status == "could_not_record" for s in summary.sources):
        raise UnitFailed(f"{unit.detector} {unit.source} {unit.query.key}: findings not recorded")
    return summary.as_dict()


def run_scan(detector: str, metrics: Any, *, now: datetime | None = None, context: Any = None) -> dict[str, Any]:
    """One scheduled run of `detector`: queued as work units when SENTINELLE_WORK_QUEUE_URL is set
    (fan-out), else run here within the invocation's time; returns the summary as JSON-ready data."""
    from sentinelle.runner import run_detector

    queue_url = os.environ.get("SENTINELLE_WORK_QUEUE_URL")
    if queue_url:
        return queue_scan(detector, queue_url, metrics)
    store = get_store()
    summary = run_detector(detector, config=get_config(), store=store, checkpoints=store, now=now,
                           deadline=deadline_of(context))
    _emit(detector, summary, metrics)
    return summary.as_dict()


def _emit(detector: str, summary: Any, metrics: Any) -> None:
    from aws_lambda_powertools.metrics import MetricUnit

    metrics.add_dimension(name="Detector", value=detector)
    metrics.add_metric(name="ItemsScanned", unit=MetricUnit.Count, value=summary.items_read)
    metrics.add_metric(name="FindingsRecorded", unit=MetricUnit.Count, value=summary.findings)
    metrics.add_metric(name="SourceErrors", unit=MetricUnit.Count, value=summary.source_errors)
