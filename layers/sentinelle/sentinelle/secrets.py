"""Secrets (tokens, app passwords): environment variables locally, SSM or Secrets Manager on AWS."""

from __future__ import annotations

import logging
import os
import re

log = logging.getLogger("sentinelle.secrets")

PREFIX_ENV = "SENTINELLE_SECRETS_PREFIX"
MAX_AGE = int(os.environ.get("SENTINELLE_SECRETS_MAX_AGE", "300"))  # seconds a fetched value is reused


class Secret(str):
    """A str that never shows itself in repr(), logs or tracebacks by accident."""

    def __repr__(self) -> str:
        return "Secret('***')"


def env_name(name: str) -> str:
    """"x_bearer_token" → SENTINELLE_X_BEARER_TOKEN."""
    return "SENTINELLE_" + re.sub(r"[^A-Za-z0-9]+", "_", name.removeprefix("secretsmanager:")).strip("_").upper()


def where_to_set(name: str) -> str:
    """How to provide the secret `name` here: its environment variable, or its parameter on AWS."""
    prefix = os.environ.get(PREFIX_ENV)
    if not prefix:
        return f"set {env_name(name)}"
    if name.startswith("secretsmanager:"):
        return f"create the Secrets Manager secret {name.removeprefix('secretsmanager:')}"
    return f"create the SSM parameter {prefix.rstrip('/')}/{name}"


def get_secret(name: str) -> Secret | None:
    """The secret called `name`, or None when it is not configured (the source then reports
    "could not check: credentials"). Values are never logged, only the name on failure.

    Locally: environment variable SENTINELLE_<NAME>. On AWS (SENTINELLE_SECRETS_PREFIX set): SSM
    parameter <prefix>/<name> (decrypted), or Secrets Manager when the name starts with
    "secretsmanager:"; cached for SENTINELLE_SECRETS_MAX_AGE seconds by powertools.
    """
    prefix = os.environ.get(PREFIX_ENV)
    if not prefix:
        value = os.environ.get(env_name(name))
        return Secret(value) if value else None
    from aws_lambda_powertools.utilities import parameters

    try:
        if name.startswith("secretsmanager:"):
            value = parameters.get_secret(name.removeprefix("secretsmanager:"), max_age=MAX_AGE)
        else:
            value = parameters.get_parameter(f"{prefix.rstrip('/')}/{name}", decrypt=True, max_age=MAX_AGE)
    except Exception as exc:  # a missing or unreadable secret is a source that cannot be checked
        log.warning("secret %s unavailable: %s", name, type(exc).__name__)
        return None
    if isinstance(value, bytes):
        value = value.decode()
    return Secret(value) if value else None
