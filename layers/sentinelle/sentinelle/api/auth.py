"""Who is calling: API Gateway's IAM/JWT authorizer in AWS, a bearer token on one machine."""

from __future__ import annotations

import hmac
from typing import Any, Callable, Mapping

# An authenticator reads the raw API Gateway HTTP API (v2) event and answers the caller's
# identity, or None for an anonymous caller.
Authenticator = Callable[[Mapping[str, Any]], "str | None"]


def gateway_authorizer(event: Mapping[str, Any]) -> str | None:
    """Trust what API Gateway's authorizer established; no authorizer context means anonymous.

    The HTTP API only invokes the function after its IAM or JWT authorizer accepted the call; the
    check here guards against a route deployed without one.
    """
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    iam = authorizer.get("iam")
    if isinstance(iam, dict):
        who = iam.get("userArn") or iam.get("callerId") or iam.get("userId")
        return str(who) if who else None
    jwt = authorizer.get("jwt")
    if isinstance(jwt, dict):
        sub = (jwt.get("claims") or {}).get("sub")
        return f"jwt:{sub}" if sub else None
    return None


def bearer_token(token: str, identity: str = "local-token") -> Authenticator:
    """Accept `Authorization: Bearer <token>`, compared in constant time."""
    if not token:
        raise ValueError("an API token is required")
    expected = token.encode()

    def authenticate(event: Mapping[str, Any]) -> str | None:
        headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
        scheme, _, given = str(headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not given:
            return None
        return identity if hmac.compare_digest(given.strip().encode(), expected) else None

    return authenticate
