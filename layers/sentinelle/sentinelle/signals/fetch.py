"""Online enrichers: follow a link to its landing page, look for a login form, hash avatars."""

from __future__ import annotations

import io
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from sentinelle.ports import LinkReport
from sentinelle.signals.netguard import BlockedAddress, NetGuard, guarded_client
from sentinelle.text.normalize import fold

if TYPE_CHECKING:
    from sentinelle.watchlist import Watchlist

REDIRECTS = (301, 302, 303, 307, 308)
USER_AGENT = "Mozilla/5.0 (compatible; Sentinelle link checker)"


class OnlineEnrichers:
    """The network-backed checks detectors get through `ctx.enrichers` in online mode.

    Every request goes through the SSRF guard (each redirect hop included); answers are cached
    for the life of the object, which is one run.
    """

    def __init__(self, watchlist: "Watchlist | None" = None, *, guard: NetGuard | None = None,
                 client: httpx.Client | None = None, max_hops: int = 5, max_bytes: int = 512 * 1024,
                 max_image_bytes: int = 2 * 1024 * 1024, timeout: float = 5.0, deadline: float = 15.0,
                 base_dir: str | Path | None = None):
        self.watchlist = watchlist
        self.client = client or guarded_client(guard or NetGuard(), timeout=timeout,
                                               headers={"User-Agent": USER_AGENT})
        self.max_hops, self.max_bytes, self.max_image_bytes = max_hops, max_bytes, max_image_bytes
        self.deadline = deadline
        self.base_dir = Path(base_dir) if base_dir else Path.cwd()
        self._links: dict[str, LinkReport] = {}
        self._avatars: dict[str, str | None] = {}
        self._refs: dict[str, list[Any]] | None = None

    def close(self) -> None:
        self.client.close()

    # -- links -----------------------------------------------------------------------------
    def link_report(self, url: str) -> LinkReport:
        if url not in self._links:
            self._links[url] = self._follow(url)
        return self._links[url]

    def _get(self, url: str, limit: int, stop_at: float) -> tuple[httpx.Response, bytes]:
        """One request, reading at most `limit` bytes of the body and stopping at the deadline."""
        with self.client.stream("GET", url) as resp:
            body = bytearray()
            if resp.status_code not in REDIRECTS:
                for chunk in resp.iter_bytes():
                    body += chunk
                    if len(body) >= limit or time.monotonic() > stop_at:
                        break
            return resp, bytes(body[:limit])

    def _follow(self, url: str) -> LinkReport:
        report = LinkReport(url=url)
        stop_at = time.monotonic() + self.deadline
        current = url if "://" in url[:12] else "http://" + url
        try:
            for _ in range(self.max_hops + 1):
                report.hops.append(current)
                resp, body = self._get(current, self.max_bytes, stop_at)
                report.status = resp.status_code
                location = resp.headers.get("location")
                if resp.status_code in REDIRECTS and location:
                    if len(report.hops) > self.max_hops:
                        report.error = f"more than {self.max_hops} redirects"
                        break
                    current = str(httpx.URL(current).join(location))
                    continue
                report.final_url = current
                if "html" in resp.headers.get("content-type", "html").lower():
                    self._analyse(report, body, resp.charset_encoding or "utf-8")
                break
        except BlockedAddress as exc:
            report.error = f"refused: {exc}"
        except httpx.HTTPError as exc:
            report.error = f"{type(exc).__name__}: {exc}"
        except (httpx.InvalidURL, ValueError) as exc:  # a Location header no URL can be made of
            report.error = f"invalid redirect: {exc}"
        return report

    def _analyse(self, report: LinkReport, body: bytes, charset: str = "utf-8") -> None:
        from selectolax.lexbor import LexborHTMLParser

        try:
            try:
                text = body.decode(charset, errors="replace")
            except LookupError:  # an unknown charset name in the header
                text = body.decode("utf-8", errors="replace")
            tree = LexborHTMLParser(text)
        except Exception as exc:  # a parser failure is a page we could not read, not a crash
            report.error = f"unreadable page: {exc}"
            return
        report.credential_form = bool(tree.css("input[type=password i]"))
        title = tree.css_first("title")
        report.title = title.text(strip=True)[:200] if title else None
        for node in tree.css("script, style"):
            node.decompose()
        text = fold(" ".join(filter(None, [report.title, tree.body.text(separator=" ") if tree.body else ""])))
        squeezed = text.replace(" ", "").replace("-", "")
        for brand in (self.watchlist.brands if self.watchlist else []):
            for name in brand.names:
                f = fold(name)
                if f and (f in text or f.replace(" ", "").replace("-", "") in squeezed):
                    report.brands_named.append(brand.name)
                    break

    # -- avatars ---------------------------------------------------------------------------
    def avatar_hash(self, url: str) -> str | None:
        """The perceptual hash (imagehash dhash, hex) of the image at `url`, or None."""
        if url not in self._avatars:
            self._avatars[url] = self._hash_url(url)
        return self._avatars[url]

    def _hash_url(self, url: str) -> str | None:
        try:
            resp, body = self._get(url, self.max_image_bytes, time.monotonic() + self.deadline)
        except (BlockedAddress, httpx.HTTPError):
            return None
        if resp.status_code != 200:
            return None
        return image_hash(body)

    def reference_hashes(self) -> dict[str, list[Any]]:
        """Protected people's reference photo hashes: given ones, and hashes of their photos
        (local paths are read relative to `base_dir`; URLs through the guard)."""
        if self._refs is None:
            import imagehash

            self._refs = {}
            for person in (self.watchlist.people if self.watchlist else []):
                hashes = []
                for known in person.photo_hashes:
                    try:
                        hashes.append(imagehash.hex_to_hash(known))
                    except (ValueError, TypeError):
                        continue
                for photo in person.photos:
                    if "://" in photo:
                        h = self.avatar_hash(photo)
                    else:
                        path = (self.base_dir / photo) if not Path(photo).is_absolute() else Path(photo)
                        h = image_hash(path.read_bytes()) if path.is_file() else None
                    if h:
                        hashes.append(imagehash.hex_to_hash(h))
                if hashes:
                    self._refs[person.name] = hashes
        return self._refs

    def photo_match(self, avatar_url: str, max_distance: int = 8) -> tuple[str, int] | None:
        """(protected person, Hamming distance) whose reference photo the avatar reuses, if any."""
        h = self.avatar_hash(avatar_url)
        if not h:
            return None
        import imagehash

        avatar = imagehash.hex_to_hash(h)
        best = min(((name, avatar - ref) for name, refs in self.reference_hashes().items() for ref in refs),
                   key=lambda x: x[1], default=None)
        return best if best is not None and best[1] <= max_distance else None


def image_hash(data: bytes) -> str | None:
    """imagehash's difference hash (dhash, hex) of an image given as bytes, or None when it is not
    a readable image. dhash rather than phash: phash needs scipy, which alone would push the Lambda
    layer past its 250 MiB limit; dhash is as robust to the resizing and recompression that a
    copied profile photo goes through."""
    try:
        import imagehash
        from PIL import Image
    except ImportError:  # the optional "online" extra is missing
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                return str(imagehash.dhash(img.convert("RGB")))
    except Exception:  # any decoder error means "no usable picture", never a crashed run
        return None


__all__ = ["LinkReport", "OnlineEnrichers", "image_hash"]
