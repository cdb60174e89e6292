"""Lambda entry point: one SNS alert per new or escalated incident, from the table's stream, exactly once."""

import os
from functools import lru_cache, partial
from typing import Any, Callable

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from sentinelle.alerts.sinks import SnsSink
from sentinelle.alerts.stream import Batch, plan_batch
from sentinelle.model import Change, Incident
from sentinelle.watchlist import Thresholds

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
# Longer than a stream record can be retried (MaximumRecordAgeInSeconds in template.yaml).
IDEMPOTENCY = IdempotencyConfig(event_key_jmespath="key", expires_after_seconds=24 * 3600)


@lru_cache(maxsize=1)
def sink() -> SnsSink:
    return SnsSink(os.environ["SENTINELLE_TOPIC_ARN"])


@lru_cache(maxsize=1)
def publishers() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The idempotent publish functions, built on first use (their DynamoDB client with them)."""
    persistence = DynamoDBPersistenceLayer(
        table_name=os.environ["SENTINELLE_TABLE"], key_attr="pk", sort_key_attr="sk",
        static_pk_value="IDEMPOTENCY#alert", expiry_attr="expires_at")

    @idempotent_function(data_keyword_argument="alert", persistence_store=persistence, config=IDEMPOTENCY)
    def publish(alert: dict) -> dict:
        message_id = sink().send(Incident.model_validate(alert["incident"]), Change(alert["change"]))
        metrics.add_metric(name="AlertsPublished", unit=MetricUnit.Count, value=1)
        return {"message_id": message_id}

    @idempotent_function(data_keyword_argument="alert", persistence_store=persistence, config=IDEMPOTENCY)
    def publish_digest(alert: dict) -> dict:
        items = [(Incident.model_validate(a["incident"]), Change(a["change"])) for a in alert["alerts"]]
        message_id = sink().send_digest(items)
        metrics.add_metric(name="DigestsPublished", unit=MetricUnit.Count, value=1)
        return {"message_id": message_id, "incidents": len(items)}

    return publish, publish_digest


def thresholds() -> Thresholds:
    return Thresholds(digest_after=int(os.environ.get("SENTINELLE_DIGEST_AFTER") or 10))


def send_digest(batch: Batch) -> str | None:
    """Publish the batch's digest once; returns why it failed, or None."""
    try:
        publishers()[1](alert={"key": batch.digest_key, "alerts": [a.payload() for a in batch.alerts.values()]})
    except Exception as exc:  # every record of the digest then fails and is retried
        logger.exception("digest not published")
        return f"{type(exc).__name__}: {exc}"
    return None


def record_handler(record: DynamoDBRecord, batch: Batch, digest_error: str | None) -> None:
    seq = record.dynamodb.sequence_number if record.dynamodb else ""
    if seq in batch.unreadable:
        raise ValueError(batch.unreadable[seq])  # retried, then kept in the dead-letter queue
    alert = batch.alerts.get(seq)
    if alert is None:
        return
    if batch.digest:
        if digest_error:
            raise RuntimeError(f"digest not published: {digest_error}")
        return
    publishers()[0](alert=alert.payload())


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict, context: LambdaContext) -> dict:
    IDEMPOTENCY.register_lambda_context(context)
    batch = plan_batch(event.get("Records", []), thresholds())
    metrics.add_metric(name="IncidentChanges", unit=MetricUnit.Count, value=len(batch.alerts))
    digest_error = send_digest(batch) if batch.digest else None
    return process_partial_response(event=event, context=context, processor=processor,
                                    record_handler=partial(record_handler, batch=batch, digest_error=digest_error))
