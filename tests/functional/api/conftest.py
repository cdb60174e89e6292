"""Fixtures for the API tests: a seeded store, the local server on a free port, an HTTP client."""

from __future__ import annotations

import threading
from typing import Iterator

import httpx
import pytest

from api_helpers import TOKEN
from sentinelle.api.server import local_app, make_server
from sentinelle.store.sqlite import SQLiteStore


@pytest.fixture
def store(tmp_path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "api.db")
    yield s
    s.close()


@pytest.fixture
def server(store) -> Iterator[str]:
    """The local API over `store` on 127.0.0.1 at a free port; answers its base URL."""
    httpd = make_server(local_app(store, TOKEN), "127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def client(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as c:
        yield c
