"""Lambda entry point: work units from the scan queue, each collected, detected, recorded and checkpointed.

The scheduled scan functions plan (source, query) units and queue them when fan-out is on; this
worker runs them. The work queue is FIFO, one message group per slot of a source (its
concurrency limit). A unit that fails is reported alone (partial batch response; with a batch of
several, only the later units of its own group are failed with it, so order holds within the
group and other groups go on): SQS delivers it again, and after the queue's maxReceiveCount
moves it to the dead-letter queue.
"""

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from sentinelle.lambdas import run_unit

logger = Logger()
# No Tracer, as in the scan functions (cold start); one dimension, Detector (STYLE.md).
metrics = Metrics(service="")
processor = SqsFifoPartialProcessor(skip_group_on_error=True)


def record_handler(record: SQSRecord, lambda_context: LambdaContext | None = None) -> dict[str, Any]:
    return run_unit(record.json_body, metrics, context=lambda_context)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)
