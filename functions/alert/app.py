"""Lambda entry point: one SNS alert per new, escalated or reopened incident, from the table's stream, exactly once.

What alerts, and through which channels, is the same policy as local mode's (`sentinelle.alerting`)
under the thresholds of the same watchlist (the run configuration in SSM or S3)."""

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
from sentinelle.lambdas import get_config
from sentinelle.model import Change, Incident
from sentinelle.watchlist import Thresholds

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
# Longer than a stream record can be retried (MaximumRecordAgeInSeconds in template.yaml).
IDEMPOTENCY = IdempotencyConfig(event_key_jmespath="key", expires_after_seconds=24 * 3600)


def thresholds() -> Thresholds:
    """The watchlist's thresholds, read per invocation (SSM reads are cached for five minutes)."""
    return get_config().wl.thresholds


def sink(limits: Thresholds) -> SnsSink:
    return SnsSink(os.environ["SENTINELLE_TOPIC_ARN"], limits, teams=get_config().wl.teams, client=sns_client())


@lru_cache(maxsize=1)
def sns_client() -> Any:
    import boto3

    return boto3.client("sns")


@lru_cache(maxsize=1)
def publishers() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """(alert_once, digest_once), built on first use with their DynamoDB client."""
    def persistence() -> DynamoDBPersistenceLayer:
        # One each: a persistence layer holds the name of the function it serves, and the two nest.
        return DynamoDBPersistenceLayer(
            table_name=os.environ["SENTINELLE_TABLE"], key_attr="pk", sort_key_attr="sk",
            static_pk_value="IDEMPOTENCY#alert", expiry_attr="expires_at")

    @idempotent_function(data_keyword_argument="digest", persistence_store=persistence(), config=IDEMPOTENCY)
    def digest_once(digest: dict, limits: Thresholds) -> dict:
        items = [(Incident.model_validate(a["incident"]), Change(a["change"])) for a in digest["alerts"]]
        message_id = sink(limits).send_digest(items)
        metrics.add_metric(name="DigestsPublished", unit=MetricUnit.Count, value=1)
        return {"message_id": message_id}

    # One record per change, whether it went out alone or in a digest: a retried or split batch
    # never alerts a change twice, in either form.
    @idempotent_function(data_keyword_argument="alert", persistence_store=persistence(), config=IDEMPOTENCY)
    def alert_once(alert: dict, batch: Batch, limits: Thresholds) -> dict:
        if batch.digest:
            digest_once(digest={"key": batch.digest_key, "alerts": [a.payload() for a in batch.alerts.values()]},
                        limits=limits)
            return {"digest": batch.digest_key}
        message_id = sink(limits).send(Incident.model_validate(alert["incident"]), Change(alert["change"]))
        metrics.add_metric(name="AlertsPublished", unit=MetricUnit.Count, value=1)
        return {"message_id": message_id}

    return alert_once, digest_once


def record_handler(record: DynamoDBRecord, batch: Batch, limits: Thresholds) -> None:
    alert = batch.alerts.get(record.dynamodb.sequence_number if record.dynamodb else "")
    if alert is not None:
        publishers()[0](alert=alert.payload(), batch=batch, limits=limits)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict, context: LambdaContext) -> dict:
    IDEMPOTENCY.register_lambda_context(context)
    limits = thresholds()
    batch = plan_batch(event.get("Records", []), limits)
    for seq, why in batch.unreadable.items():  # retrying cannot make them readable: report and skip
        logger.error("incident record skipped", extra={"sequence_number": seq, "reason": why})
    metrics.add_metric(name="IncidentChanges", unit=MetricUnit.Count, value=len(batch.alerts))
    metrics.add_metric(name="UnreadableRecords", unit=MetricUnit.Count, value=len(batch.unreadable))
    return process_partial_response(event=event, context=context, processor=processor,
                                    record_handler=partial(record_handler, batch=batch, limits=limits))
