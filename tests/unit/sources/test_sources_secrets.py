"""Secrets: environment locally, SSM / Secrets Manager on AWS (moto), and never in logs."""

from __future__ import annotations

import logging

import boto3
import httpx
import pytest
import respx
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters import base as parameters_base
from moto import mock_aws

from conftest import instant_policy, run
from sentinelle.ports import Query
from sentinelle.secrets import Secret, env_name, get_secret
from sentinelle.sources import build_source


@pytest.fixture(autouse=True)
def fresh_providers():
    parameters.clear_caches()
    parameters_base.DEFAULT_PROVIDERS.clear()
    yield
    parameters.clear_caches()
    parameters_base.DEFAULT_PROVIDERS.clear()


def test_env_locally(monkeypatch):
    monkeypatch.delenv("SENTINELLE_SECRETS_PREFIX", raising=False)
    monkeypatch.setenv("SENTINELLE_X_BEARER_TOKEN", "tok-123")
    assert env_name("x_bearer_token") == "SENTINELLE_X_BEARER_TOKEN"
    assert get_secret("x_bearer_token") == "tok-123"
    assert get_secret("absent_secret") is None
    assert "tok-123" not in repr(get_secret("x_bearer_token")) and isinstance(get_secret("x_bearer_token"), Secret)


def test_ssm_parameter_under_the_prefix_decrypted_and_cached(monkeypatch):
    # moto's SSM takes seconds to start, so the powertools call is faked here; Secrets Manager
    # below goes through moto for real.
    calls = []

    def fake_get_parameter(name, **kw):
        calls.append((name, kw))
        if name.endswith("/missing_one"):
            raise parameters.exceptions.GetParameterError("not found")
        return "yt-key"

    monkeypatch.setattr(parameters, "get_parameter", fake_get_parameter)
    monkeypatch.setenv("SENTINELLE_SECRETS_PREFIX", "/sentinelle/test/")
    assert get_secret("youtube_api_key") == "yt-key"
    assert calls[0][0] == "/sentinelle/test/youtube_api_key"
    assert calls[0][1]["decrypt"] is True and calls[0][1]["max_age"] > 0
    assert get_secret("missing_one") is None  # a missing parameter: the source reports credentials


def test_secrets_manager_on_aws(monkeypatch):
    monkeypatch.setenv("SENTINELLE_SECRETS_PREFIX", "/sentinelle/test")
    with mock_aws():
        boto3.client("secretsmanager").create_secret(Name="sentinelle/bluesky", SecretString="app-pass")
        assert get_secret("secretsmanager:sentinelle/bluesky") == "app-pass"
        assert get_secret("secretsmanager:sentinelle/absent") is None


def test_secret_values_never_reach_the_logs(monkeypatch, caplog):
    monkeypatch.delenv("SENTINELLE_SECRETS_PREFIX", raising=False)
    monkeypatch.setenv("SENTINELLE_X_BEARER_TOKEN", "very-secret-bearer")
    monkeypatch.setenv("SENTINELLE_BLUESKY_APP_PASSWORD", "very-secret-pass")
    caplog.set_level(logging.DEBUG)
    with respx.mock:
        respx.get("https://api.x.com/2/tweets/search/recent").respond(401, json={"title": "Unauthorized"})
        respx.post("https://bsky.social/xrpc/com.atproto.server.createSession").mock(
            side_effect=httpx.ConnectError("down"))
        for spec in ({"type": "x"}, {"type": "bluesky", "identifier": "monitor.bsky.example"}):
            src = build_source(spec, policy=instant_policy(max_attempts=2))
            result = run(src.fetch(Query(kind="search_posts", value="Maison Lumière"), None))
            assert result.status == "could_not_check"
            run(src.aclose())
    assert caplog.records  # the failures were logged...
    assert "very-secret" not in caplog.text  # ...without the secrets
