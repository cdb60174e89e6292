"""Suite-wide settings: no test reaches AWS or the network; paths to the repo and shared data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo"

# Fake credentials before any boto3 client exists: a test that forgets moto fails, never bills.
for _k, _v in {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "eu-west-3", "AWS_REGION": "eu-west-3",
    "POWERTOOLS_SERVICE_NAME": "sentinelle", "POWERTOOLS_METRICS_NAMESPACE": "Sentinelle",
    "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_DEV": "false",
}.items():
    os.environ.setdefault(_k, _v)
for _k in ("SENTINELLE_CONFIG", "SENTINELLE_DB", "SENTINELLE_API_TOKEN", "SENTINELLE_ALLOW_NETWORKS",
           "SENTINELLE_SMTP_HOST", "SENTINELLE_WEBHOOK_URL"):
    os.environ.pop(_k, None)
# Pictures (the demo's record and flyer) are read by a stand-in engine that returns what they were
# drawn with, in this process and in the commands tests start: results do not depend on which OCR
# engine the machine has. The real engines are tested on their own (test_readers, test_demo_run).
os.environ["SENTINELLE_OCR"] = "ocr_transcripts:Transcripts"
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "tests"), str(ROOT), os.environ.get("PYTHONPATH")) if p)


@pytest.fixture
def demo_dir() -> Path:
    return DEMO


@pytest.fixture
def repo_root() -> Path:
    return ROOT


@pytest.fixture(autouse=True)
def _fresh_powertools_providers():
    """Powertools keeps one SSM/Secrets Manager client per process (and its cache): a client made
    under one test's moto backend must not answer the next test's reads (the hash key secret)."""
    from aws_lambda_powertools.utilities.parameters import base

    base.DEFAULT_PROVIDERS.clear()
    yield
    base.DEFAULT_PROVIDERS.clear()
