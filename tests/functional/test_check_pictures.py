"""`sentinelle check --online` reads a post's pictures from a real HTTP server on 127.0.0.1 (its range
allowed by SENTINELLE_ALLOW_NETWORKS, as the contract says): a photographed record is a leak found in
"image 1 of 2", the picture that cannot be fetched is a reason (not an error line), offline nothing
is fetched, and without the allowed range the guard refuses the address."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
WATCHLIST = ROOT / "examples" / "demo" / "watchlist.yaml"
RECORD = (ROOT / "examples" / "demo" / "media" / "patient_record.jpg").read_bytes()


class Handler(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.hits.append(self.path)
        if self.path == "/record.jpg":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(RECORD)))
            self.end_headers()
            self.wfile.write(RECORD)
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def check(base: str, *args: str, allow: bool = True) -> dict[str, Any]:
    item = {"type": "post", "platform": "mastodon", "id": "1", "url": "https://mastodon.social/@drmarchand/1",
            "author": {"id": "20", "handle": "drmarchand@mastodon.social"}, "text": "Le dossier du jour",
            "media": [{"type": "image", "url": f"{base}/record.jpg"}, {"type": "image", "url": f"{base}/gone.jpg"}]}
    env = {**os.environ, "SENTINELLE_OCR": "ocr_transcripts:Transcripts",  # the demo picture, read exactly
           "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("SENTINELLE_ALLOW_NETWORKS", None)
    if allow:
        env["SENTINELLE_ALLOW_NETWORKS"] = "127.0.0.1/32"
    done = subprocess.run([sys.executable, "-m", "sentinelle.cli", "check", "--watchlist", str(WATCHLIST),
                           "--detector", "leaks", *args], input=json.dumps(item) + "\n", capture_output=True,
                          text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    return json.loads(line)  # type: ignore[no-any-return]


def test_online_check_reads_pictures_through_the_guard(server: str) -> None:
    result = check(server, "--online")
    nir = next(f for f in result["findings"] if f["kind"] == "fr_nir")
    assert nir["evidence"]["picture"]["which"] == "image 1 of 2, read by OCR"
    assert "not read: image 2 of 2 (http 404)" in nir["reasons"]
    assert "2 58 03 75 112 045 18" not in json.dumps(result) and "258037511204518" not in json.dumps(result)


def test_offline_check_fetches_nothing_and_a_refused_address_is_a_reason(server: str) -> None:
    Handler.hits.clear()
    assert check(server)["findings"] == [] and Handler.hits == []
    refused = check(server, "--online", allow=False)
    assert refused["findings"] == [] and "error" not in refused and Handler.hits == []
