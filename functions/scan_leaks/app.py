"""Lambda entry point: one scheduled run of the `leaks` detector (EventBridge schedule)."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from sentinelle.lambdas import run_scan

DETECTOR = "leaks"

logger = Logger()
tracer = Tracer()
# service="": the run metrics carry one dimension, Detector (STYLE.md); logs and traces keep
# POWERTOOLS_SERVICE_NAME.
metrics = Metrics(service="")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict, context: LambdaContext) -> dict:
    return run_scan(DETECTOR, metrics)  # the pipeline logs the run's one summary line
