"""`sentinelle serve` as users run it: the real command, a real port, the token from the environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
from api_helpers import TOKEN, seed

from sentinelle.store.sqlite import SQLiteStore


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sentinelle.cli", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_serve_answers_with_the_token(tmp_path):
    db = tmp_path / "serve.db"
    with SQLiteStore(db) as store:
        ids = seed(store, 3)
    port = _free_port()
    env = {**os.environ, "SENTINELLE_API_TOKEN": TOKEN}
    proc = _cli("serve", "--db", str(db), "--host", "127.0.0.1", "--port", str(port), env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                assert httpx.get(f"{base}/health").status_code == 200
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.1)
        assert httpx.get(f"{base}/incidents").status_code == 401
        r = httpx.get(f"{base}/incidents", headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 200 and [i["id"] for i in r.json()["items"]] == ids
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}" in err


def test_serve_refuses_to_start_without_token(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SENTINELLE_API_TOKEN"}
    proc = _cli("serve", "--db", str(tmp_path / "x.db"), "--port", str(_free_port()), env=env)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert "SENTINELLE_API_TOKEN" in err
