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


def make_server(app: SentinelleResolver, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """A server bound to host:port (port 0 picks a free one); call serve_forever() to run it."""
    # The resolver keeps the current request on the class, so requests are resolved one at a time.
    lock = threading.Lock()
    context = _Context()

    class Handler(BaseHTTPRequestHandler):
        server_version = "sentinelle"
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes: do not wait between them

        def _handle(self) -> None:
            try:
                length = int(self.headers.get("Content-Length") or 0)
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
        return ThreadingHTTPServer((host, port), Handler)
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def local_app(store: IncidentStore, token: str | None = None, **kwargs: Any) -> SentinelleResolver:
    """The API for one machine: bearer-token auth with SENTINELLE_API_TOKEN."""
    token = token if token is not None else os.environ.get("SENTINELLE_API_TOKEN", "")
    if not token.strip():
        raise ServeError("SENTINELLE_API_TOKEN is not set: set it to a long random secret "
                         "(for example `export SENTINELLE_API_TOKEN=$(openssl rand -hex 32)`); "
                         "callers send it as `Authorization: Bearer <token>`")
    kwargs.setdefault("reporters", reporters_from_env())
    return create_app(store, auth=bearer_token(token), cursor_key=default_cursor_key(token), **kwargs)


def serve(store: IncidentStore, host: str = "127.0.0.1", port: int = 8000, token: str | None = None,
          **kwargs: Any) -> None:
    """Serve the API until interrupted. Raises ServeError when it cannot start."""
    server = make_server(local_app(store, token, **kwargs), host, port)
    bound_host, bound_port = server.server_address[:2]
    print(f"Sentinelle API on http://{bound_host}:{bound_port} (OpenAPI: /openapi.json; Ctrl-C stops)",
          file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
