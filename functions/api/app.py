"""Lambda `api`: the incidents HTTP API behind API Gateway (its IAM or JWT authorizer admits callers)."""

from __future__ import annotations

import os
from functools import lru_cache

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths

from sentinelle.api.app import SentinelleResolver, create_app
from sentinelle.api.auth import gateway_authorizer
from sentinelle.api.cursor import derive_key
from sentinelle.api.reporting import reporters_from_env
from sentinelle.secrets import get_secret

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def cursor_key() -> bytes:
    """The SSM SecureString named by SENTINELLE_CURSOR_KEY_PARAM, else the secret `cursor_key`."""
    name = os.environ.get("SENTINELLE_CURSOR_KEY_PARAM")
    if name:
        from aws_lambda_powertools.utilities.parameters import get_parameter

        return str(get_parameter(name, decrypt=True, max_age=3600)).encode()
    key = get_secret("cursor_key")
    if key:
        return key.encode()
    # Still signed (a corrupted cursor is refused) but predictable: configure the parameter.
    logger.warning("no cursor key configured; deriving one from the table name")
    return derive_key(os.environ.get("SENTINELLE_TABLE", "sentinelle"))


@lru_cache(maxsize=1)
def get_app() -> SentinelleResolver:
    from sentinelle.store.dynamodb import DynamoDBStore

    return create_app(DynamoDBStore(os.environ["SENTINELLE_TABLE"]), auth=gateway_authorizer, cursor_key=cursor_key(),
                      reporters=reporters_from_env())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: object) -> dict:
    return get_app().resolve(event, context)
