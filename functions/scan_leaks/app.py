"""Lambda entry point: one scheduled run of the `leaks` detector (EventBridge schedule)."""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.typing import LambdaContext

from sentinelle.lambdas import run_scan

DETECTOR = "leaks"

logger = Logger()
# No powertools Tracer here: importing the X-Ray SDK builds a botocore client, 200-500 ms of every
# cold start, past the 300 ms budget of a scheduled scan. The template's `Tracing: Active` still
# traces each invocation.
# service="": the run metrics carry one dimension, Detector (STYLE.md); logs and traces keep
# POWERTOOLS_SERVICE_NAME.
metrics = Metrics(service="")


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict, context: LambdaContext) -> dict:
    return run_scan(DETECTOR, metrics, context=context)  # the pipeline logs the run's one summary line
