"""The guarded fetcher against a real local HTTP server: allowed only when its range is allowed."""

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sentinelle.signals.fetch import OnlineEnrichers, image_hash
from sentinelle.signals.netguard import NetGuard
from sentinelle.watchlist import parse_watchlist

LOGIN = (b"<html><head><title>Lumiere Patrimoine - Espace client</title></head><body>"
         b"<form><input name=user><input type=password name=pw></form></body></html>")


def _png(seed: int) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (64, 64), "white")
    d = ImageDraw.Draw(img)
    if seed == 1:
        d.ellipse((8, 8, 56, 56), fill="black")
        d.rectangle((28, 0, 36, 64), fill="gray")
    else:
        for x in range(0, 64, 8):
            d.rectangle((x, 0, x + 3, 64), fill="black")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


class Handler(BaseHTTPRequestHandler):
    routes: dict = {}

    def do_GET(self):  # noqa: N802 (http.server's name)
        status, headers, body = self.routes.get(self.path, (404, {}, b"missing"))
        if callable(body):
            body = body(self)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v.replace("{port}", str(self.server.server_port)))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    Handler.routes = {
        "/s/abc": (301, {"Location": "http://127.0.0.1:{port}/hop2"}, b""),
        "/hop2": (302, {"Location": "/login"}, b""),
        "/login": (200, {"Content-Type": "text/html; charset=utf-8"}, LOGIN),
        "/latin1": (200, {"Content-Type": "text/html; charset=iso-8859-1"},
                    "<title>Espace Lumière Patrimoine</title><input type=password>".encode("latin-1")),
        "/plain": (200, {"Content-Type": "text/html"}, b"<html><title>Recettes</title><body>Bonjour</body></html>"),
        "/loop": (302, {"Location": "/loop"}, b""),
        "/bad-location": (302, {"Location": "http://[::1"}, b""),
        "/bad-idna": (302, {"Location": "http://xn--/"}, b""),
        "/big": (200, {"Content-Type": "text/html"}, b"<html><body>" + b"x" * 2_000_000 + b"<input type=password>"),
        "/to-internal": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
        "/host": (200, {"Content-Type": "text/html"}, lambda h: f"<title>{h.headers['Host']}</title>".encode()),
        "/claire.png": (200, {"Content-Type": "image/png"}, _png(1)),
        "/other.png": (200, {"Content-Type": "image/png"}, _png(2)),
        "/notimage.png": (200, {"Content-Type": "image/png"}, b"GIF89a garbage"),
    }
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    srv.server_close()


WATCHLIST = parse_watchlist({
    "organization": "Maison Lumière",
    "brands": [{"name": "Lumière Patrimoine", "domains": ["lumiere-patrimoine.fr"]}],
    "people": [{"name": "Claire Dubois", "photo_hashes": [image_hash(_png(1))]}],
})


@pytest.fixture
def enrichers(monkeypatch):
    monkeypatch.setenv("SENTINELLE_ALLOW_NETWORKS", "127.0.0.0/8")
    e = OnlineEnrichers(WATCHLIST, timeout=2.0, deadline=5.0)
    yield e
    e.close()


def test_follows_short_link_to_login_page(server, enrichers):
    r = enrichers.link_report(f"{server}/s/abc")
    assert r.error is None
    assert r.expanded and len(r.hops) == 3
    assert r.final_url == f"{server}/login"
    assert r.credential_form
    assert r.brands_named == ["Lumière Patrimoine"]
    assert enrichers.link_report(f"{server}/s/abc") is r  # cached for the run


def test_plain_page_has_no_form(server, enrichers):
    r = enrichers.link_report(f"{server}/plain")
    assert r.final_url and not r.credential_form and r.brands_named == []


def test_redirect_loop_bounded(server, enrichers):
    r = enrichers.link_report(f"{server}/loop")
    assert "redirects" in (r.error or "") and len(r.hops) == 6


@pytest.mark.parametrize("path", ["/bad-location", "/bad-idna"])
def test_a_malformed_redirect_is_reported_not_raised(server, enrichers, path):
    r = enrichers.link_report(f"{server}{path}")
    assert r.error and r.final_url is None and len(r.hops) == 1


def test_body_size_bounded(server, enrichers):
    r = enrichers.link_report(f"{server}/big")
    assert r.error is None and not r.credential_form  # the field sits past the 512 KB read


def test_redirect_to_internal_refused_even_when_local_allowed(server, enrichers):
    r = enrichers.link_report(f"{server}/to-internal")
    assert r.error and r.error.startswith("refused") and r.final_url is None


def test_name_pinned_to_checked_address(server, monkeypatch):
    monkeypatch.setenv("SENTINELLE_ALLOW_NETWORKS", "127.0.0.0/8")
    port = server.rsplit(":", 1)[1]
    e = OnlineEnrichers(WATCHLIST, guard=NetGuard(resolver=lambda h, p: ["127.0.0.1"]))
    r = e.link_report(f"http://phish.test:{port}/host")
    assert r.title == f"phish.test:{port}"
    e.close()


def test_refused_without_allowed_range(server, monkeypatch):
    monkeypatch.delenv("SENTINELLE_ALLOW_NETWORKS", raising=False)
    e = OnlineEnrichers(WATCHLIST)
    r = e.link_report(f"{server}/login")
    assert r.error and "loopback" in r.error and not r.credential_form
    assert e.avatar_hash(f"{server}/claire.png") is None
    e.close()


def test_avatar_reuse(server, enrichers):
    assert enrichers.photo_match(f"{server}/claire.png") == ("Claire Dubois", 0)
    assert enrichers.photo_match(f"{server}/other.png") is None
    assert enrichers.avatar_hash(f"{server}/notimage.png") is None
    assert enrichers.avatar_hash(f"{server}/missing.png") is None


def test_page_charset_respected(server, enrichers):
    r = enrichers.link_report(f"{server}/latin1")
    assert r.credential_form and r.brands_named == ["Lumière Patrimoine"]
