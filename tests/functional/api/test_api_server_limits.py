"""The local server under slow clients and load (issue 13, items 8 and 10), on 127.0.0.1 only:
read and idle timeouts, a connection cap answered 503, a listen backlog that takes a burst of 200
clients, and bodies framed only by one Content-Length (Transfer-Encoding refused)."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import httpx
import pytest
from api_helpers import TOKEN, seed

from sentinelle.api.server import ServeError, local_app, make_server


@pytest.fixture
def limited(store) -> Iterator[tuple[str, int]]:
    """The server with a 1-second read timeout and 4 connections at most; answers (host, port)."""
    seed(store, 3)
    httpd = make_server(local_app(store, TOKEN), "127.0.0.1", 0, read_timeout=1.0, max_connections=4)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    yield "127.0.0.1", httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes `sock` (after any answer) within `seconds`."""
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
        return True
    except (TimeoutError, socket.timeout):
        return False
    except ConnectionResetError:
        return True


def _raw(addr: tuple[str, int], data: bytes) -> bytes:
    with socket.create_connection(addr, timeout=5) as s:
        s.sendall(data)
        s.settimeout(5)
        out = b""
        while chunk := s.recv(4096):
            out += chunk
        return out


@pytest.mark.parametrize("sent", [b"", b"GET /incidents HTTP/1.1\r\nHost: x\r\n",  # half-open, half the headers
                                  b"PATCH /incidents/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"no"])
def test_a_stalled_client_is_dropped_after_the_read_timeout(limited, sent: bytes) -> None:
    with socket.create_connection(limited, timeout=5) as s:
        s.sendall(sent)
        assert _closed_within(s, 4.0), "the server still waits on a stalled client"


def test_an_idle_keep_alive_connection_is_dropped(limited) -> None:
    with socket.create_connection(limited, timeout=5) as s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.2)
        assert b"200 OK" in s.recv(4096)
        assert _closed_within(s, 4.0)


def test_connections_beyond_the_cap_are_answered_503_not_queued_for_ever(store) -> None:
    # A read timeout longer than the test, so the four holders keep their slots throughout.
    httpd = make_server(local_app(store, TOKEN), "127.0.0.1", 0, read_timeout=30.0, max_connections=4)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    addr = ("127.0.0.1", httpd.server_address[1])
    holders = [socket.create_connection(addr, timeout=5) for _ in range(4)]
    try:
        time.sleep(0.2)  # all four accepted and holding a slot
        r = httpx.get(f"http://{addr[0]}:{addr[1]}/health", timeout=10)
        assert r.status_code == 503 and r.json()["error"] == "busy"
        for h in holders:
            h.close()
        time.sleep(0.3)
        assert httpx.get(f"http://{addr[0]}:{addr[1]}/health", timeout=10).status_code == 200
    finally:
        for h in holders:
            h.close()
        httpd.shutdown()
        httpd.server_close()


def test_a_burst_of_200_clients_is_served(store) -> None:
    """Bounded: 200 requests, each with a 30 s client timeout; no time is asserted (see benchmarks)."""
    seed(store, 3)
    httpd = make_server(local_app(store, TOKEN), "127.0.0.1", 0)
    # The stdlib's listen queue of 5 drops SYNs in a burst (clients retry after 1, 3, 7 s...): how
    # fast this machine accepts decides whether that shows, so the backlog is checked as well.
    assert httpd.request_queue_size >= 128
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/incidents"

    def one(_: int) -> int:
        try:
            return httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30).status_code
        except httpx.HTTPError as exc:
            return -1 if isinstance(exc, httpx.TimeoutException) else -2

    try:
        with ThreadPoolExecutor(max_workers=200) as pool:
            codes = list(pool.map(one, range(200)))
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert codes.count(200) == 200, {c: codes.count(c) for c in set(codes)}


@pytest.mark.parametrize("request_bytes,status", [
    (b"POST /allowlist HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() +
     b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 501),
    (b"POST /allowlist HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() +
     b"\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}", 400),
    (b"POST /allowlist HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() +
     b"\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}", 501),
])
def test_ambiguous_body_framing_is_refused(limited, request_bytes: bytes, status: int) -> None:
    """Issue 13, item 10: chunked bodies and two Content-Lengths are refused, and the connection closed."""
    answer = _raw(limited, request_bytes)
    assert answer.startswith(f"HTTP/1.1 {status} ".encode()), answer[:200]


@pytest.mark.parametrize("token", ["x", "short-token", " " * 20 + "abc"])
def test_a_short_api_token_is_refused(store, token: str) -> None:
    """Issue 13, item 10: a token someone can guess is no token."""
    with pytest.raises(ServeError, match="too short|not set"):
        local_app(store, token)
