"""`make bench`: every benchmarks/bench_*.py section (see __main__.py)."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def counting_aws_calls() -> Iterator[Counter[str]]:
    """Count every AWS API call by operation inside the block (under moto: calls, not times, mean
    something). Sets placeholder credentials and a region when none are set."""
    import botocore.client

    for k, v in {"AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "bench",
                 "AWS_SECRET_ACCESS_KEY": "bench"}.items():
        os.environ.setdefault(k, v)
    calls: Counter[str] = Counter()
    real = botocore.client.BaseClient._make_api_call

    def counting(self, operation, params):  # noqa: ANN001, ANN202
        calls[operation] += 1
        return real(self, operation, params)

    botocore.client.BaseClient._make_api_call = counting
    try:
        yield calls
    finally:
        botocore.client.BaseClient._make_api_call = real
