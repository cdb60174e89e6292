"""Lambda `api`: the incidents HTTP API behind API Gateway (its IAM or JWT authorizer admits callers)."""

from __future__ import annotations

import os
from functools import lru_cache

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths

from sentinelle.api.app import SentinelleResolver, create_app
from sentinelle.api.auth import gateway_authorizer
from sentinelle.api.cursor import derive_key

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def cursor_key() -> bytes:
    """SENTINELLE_CURSOR_KEY, else the SSM parameter SENTINELLE_CURSOR_KEY_PARAM names."""
    if os.environ.get("SENTINELLE_CURSOR_KEY"):
        return os.environ["SENTINELLE_CURSOR_KEY"].encode()
    if os.environ.get("SENTINELLE_CURSOR_KEY_PARAM"):
        from aws_lambda_powertools.utilities.parameters import get_parameter

        return str(get_parameter(os.environ["SENTINELLE_CURSOR_KEY_PARAM"], decrypt=True, max_age=3600)).encode()
    # Still signed (a corrupted cursor is refused) but not secret: set one of the two above.
    logger.warning("no cursor key configured; deriving one from the table name")
    return derive_key(os.environ.get("SENTINELLE_TABLE", "sentinelle"))


@lru_cache(maxsize=1)
def get_app() -> SentinelleResolver:
    from sentinelle.store.dynamodb import DynamoDBStore

    return create_app(DynamoDBStore(), auth=gateway_authorizer, cursor_key=cursor_key())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    return get_app().resolve(event, context)
