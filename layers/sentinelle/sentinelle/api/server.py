"""`sentinelle serve`: a local HTTP server that resolves each request with the API's routes."""

from __future__ import annotations

import base64
import json
import logging
import os
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sentinelle.api.app import SentinelleResolver, create_app, default_cursor_key
from sentinelle.api.auth import bearer_token
from sentinelle.api.reporting import reporters_from_env
from sentinelle.ports import IncidentStore

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20  # the API takes small JSON bodies; refuse anything larger
# A client that sends nothing for this long (headers, body, or its next keep-alive request) is
# dropped: slow or half-open clients cannot hold a thread for ever.
READ_TIMEOUT = 10.0
# Connections served at once; the next ones are answered 503 at once rather than queued without
# bound (each connection is a thread). The listen backlog takes bursts above that.
MAX_CONNECTIONS = 64
BACKLOG = 256
SLOT_WAIT = 0.5  # seconds a new connection waits for a free slot before it is answered 503
MIN_TOKEN_LENGTH = 16  # a token a person can guess or brute-force over the loopback is no token


class ServeError(RuntimeError):
    """The server cannot start; the message says why (the CLI prints it)."""


class _Context:
    """Stands in for the Lambda context object."""

    function_name = "sentinelle-serve"
    memory_limit_in_mb = 0
    invoked_function_arn = "local"
    aws_request_id = ""

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def to_event(method: str, target: str, headers: dict[str, str], body: bytes, client_ip: str) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event for one HTTP request."""
    url = urlsplit(target)
    query: dict[str, str] = {}
    for k, v in parse_qsl(url.query, keep_blank_values=True):
        query[k] = f"{query[k]},{v}" if k in query else v  # API Gateway joins repeats with commas
    text_body: str | None = None
    encoded = False
    if body:
        try:
            text_body = body.decode("utf-8")
        except UnicodeDecodeError:
            text_body, encoded = base64.b64encode(body).decode(), True
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": url.path or "/",
        "rawQueryString": url.query,
        "headers": headers,
        "queryStringParameters": query or None,
        "requestContext": {
            "http": {"method": method, "path": url.path or "/", "protocol": "HTTP/1.1", "sourceIp": client_ip,
                     "userAgent": headers.get("user-agent", "")},
            "requestId": str(uuid.uuid4()), "stage": "$default", "timeEpoch": int(time.time() * 1000),
        },
        "body": text_body,
        "isBase64Encoded": encoded,
    }


def _json_result(status: int, error: str, detail: Any) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"error": error, "detail": detail})}


def make_server(app: SentinelleResolver, host: str = "127.0.0.1", port: int = 8000, *,
                read_timeout: float = READ_TIMEOUT, max_connections: int = MAX_CONNECTIONS) -> ThreadingHTTPServer:
    """A server bound to host:port (port 0 picks a free one); call serve_forever() to run it."""
    # The resolver keeps the current request on the class, so requests are resolved one at a time.
    lock = threading.Lock()
    context = _Context()

    class Handler(BaseHTTPRequestHandler):
        server_version = "sentinelle"
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes: do not wait between them

        timeout = read_timeout  # socket timeout for every read: headers, body, idle keep-alive

        def _handle(self) -> None:
            if self.headers.get("Transfer-Encoding") is not None:
                # Without Content-Length framing the body's end is ambiguous (request smuggling).
                self.close_connection = True
                self._reply(_json_result(501, "not implemented",
                                         "Transfer-Encoding is not supported: send the body with a Content-Length"))
                return
            lengths = self.headers.get_all("Content-Length") or []
            try:
                length = int(lengths[0]) if len(lengths) == 1 else (0 if not lengths else -1)
            except ValueError:
                length = -1
            if not 0 <= length <= MAX_BODY:
                self.close_connection = True  # the body was not read: the connection cannot be reused
                self._reply(_json_result(400 if length < 0 else 413, "invalid request",
                                         "a JSON body of at most 1 MiB with a valid Content-Length"))
                return
            body = self.rfile.read(length) if length else b""
            headers: dict[str, str] = {}
            for k, v in self.headers.items():
                k = k.lower()
                headers[k] = f"{headers[k]},{v}" if k in headers else v
            event = to_event(self.command, self.path, headers, body, self.client_address[0])
            try:
                with lock:
                    result = app.resolve(event, context)
            except Exception:  # the routes map their own errors; this is a bug, still answered in JSON
                log.exception("unexpected error")
                result = _json_result(500, "internal error", None)
            self._reply(result)

        def _reply(self, result: dict[str, Any]) -> None:
            payload = result.get("body") or ""
            data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
            self.send_response(int(result.get("statusCode", 500)))
            for k, v in (result.get("headers") or {}).items():
                if k.lower() not in ("content-length", "connection"):
                    self.send_header(k, str(v))
            for k, values in (result.get("multiValueHeaders") or {}).items():
                for v in values:
                    self.send_header(k, str(v))
            for cookie in result.get("cookies") or []:
                self.send_header("Set-Cookie", cookie)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def __getattr__(self, name: str) -> Any:
            # Every method goes to the routes, which answer JSON (not the stdlib's HTML 501).
            if name.startswith("do_"):
                return self._handle
            raise AttributeError(name)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            pass  # quiet by default; the CLI prints where it listens

    try:
        return BoundedHTTPServer((host, port), Handler, max_connections=max_connections)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
         b"Connection: close\r\nContent-Length: 67\r\n\r\n"
         b'{"error": "busy", "detail": "too many connections: retry shortly."}')


class BoundedHTTPServer(ThreadingHTTPServer):
    """The stdlib's threading server with a larger listen backlog and at most MAX_CONNECTIONS
    connections (threads) at once; the handler's READ_TIMEOUT drops stalled clients.

    Why not a production WSGI/ASGI server: the local server answers one operator's tools on
    127.0.0.1 and resolves requests one at a time anyway (the resolver is not reentrant); AWS
    serves the same routes through API Gateway and Lambda. Bounds are what it needed, not speed."""

    request_queue_size = BACKLOG
    daemon_threads = True

    def __init__(self, *args: Any, max_connections: int = MAX_CONNECTIONS, **kwargs: Any):
        self._slots = threading.BoundedSemaphore(max_connections)
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        # A short wait lets a burst through as fast requests finish; clients holding every slot
        # are dropped by the read timeout, and meanwhile newcomers hear 503 instead of hanging.
        if not self._slots.acquire(timeout=SLOT_WAIT):
            try:
                request.settimeout(1.0)
                request.sendall(_BUSY)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def local_app(store: IncidentStore, token: str | None = None, **kwargs: Any) -> SentinelleResolver:
    """The API for one machine: bearer-token auth with SENTINELLE_API_TOKEN."""
    token = token if token is not None else os.environ.get("SENTINELLE_API_TOKEN", "")
    if not token.strip():
        raise ServeError("SENTINELLE_API_TOKEN is not set: set it to a long random secret "
                         "(for example `export SENTINELLE_API_TOKEN=$(openssl rand -hex 32)`); "
                         "callers send it as `Authorization: Bearer <token>`")
    if len(token.strip()) < MIN_TOKEN_LENGTH:
        raise ServeError(f"SENTINELLE_API_TOKEN is too short: use at least {MIN_TOKEN_LENGTH} characters of a "
                         "random secret (for example `export SENTINELLE_API_TOKEN=$(openssl rand -hex 32)`)")
    kwargs.setdefault("reporters", reporters_from_env())
    return create_app(store, auth=bearer_token(token), cursor_key=default_cursor_key(token), **kwargs)


def serve(store: IncidentStore, host: str = "127.0.0.1", port: int = 8000, token: str | None = None,
          **kwargs: Any) -> None:
    """Serve the API until interrupted. Raises ServeError when it cannot start."""
    server = make_server(local_app(store, token, **kwargs), host, port)
    bound_host, bound_port = server.server_address[:2]
    if isinstance(bound_host, bytes):
        bound_host = bound_host.decode()
    print(f"Sentinelle API on http://{bound_host}:{bound_port} (OpenAPI: /openapi.json; Ctrl-C stops)",
          file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
