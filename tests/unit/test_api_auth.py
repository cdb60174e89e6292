"""Authentication: API Gateway's IAM/JWT authorizer context, and the local bearer token."""

from __future__ import annotations

import pytest

from sentinelle.api.auth import bearer_token, gateway_authorizer


def ctx(authorizer):
    return {"requestContext": {"authorizer": authorizer}} if authorizer is not None else {"requestContext": {}}


@pytest.mark.parametrize("authorizer, who", [
    ({"iam": {"userArn": "arn:aws:iam::123456789012:user/alice", "callerId": "AIDA"}},
     "arn:aws:iam::123456789012:user/alice"),
    ({"iam": {"callerId": "AROA:bob"}}, "AROA:bob"),
    ({"jwt": {"claims": {"sub": "u-1", "email": "a@example.com"}, "scopes": None}}, "jwt:u-1"),
    ({"jwt": {"claims": {}}}, None),
    ({"iam": {}}, None),
    ({"lambda": {"user": "x"}}, None),
    ({}, None),
    (None, None),
])
def test_gateway_authorizer(authorizer, who):
    assert gateway_authorizer(ctx(authorizer)) == who


def test_gateway_authorizer_without_request_context():
    assert gateway_authorizer({}) is None


@pytest.mark.parametrize("headers, ok", [
    ({"authorization": "Bearer s3cret-token"}, True),
    ({"Authorization": "bearer s3cret-token"}, True),
    ({"authorization": "Bearer s3cret-token "}, True),
    ({"authorization": "Bearer s3cret-tokeN"}, False),
    ({"authorization": "Bearer s3cret"}, False),
    ({"authorization": "Basic s3cret-token"}, False),
    ({"authorization": "Bearer"}, False),
    ({"authorization": "s3cret-token"}, False),
    ({"authorization": "Bearer é"}, False),
    ({}, False),
])
def test_bearer_token(headers, ok):
    auth = bearer_token("s3cret-token")
    assert auth({"headers": headers}) == ("local-token" if ok else None)


def test_bearer_token_needs_a_token():
    with pytest.raises(ValueError):
        bearer_token("")
