"""A post's pictures, fetched within limits and read by an OCR engine, for detectors to read.

Pictures are fetched only online, through the SSRF guard (`signals.netguard`), or from the files a
run configuration maps their URLs to (`recorded_media`, for the demo and replays). Limits: image
content types only, `MAX_BYTES` per picture, `MAX_PIXELS`, `MAX_PER_POST` pictures, `DEADLINE`
seconds per download. The picture and the text read from it stay in memory for the run: they are
never stored or logged (only the URL, the perceptual hash and the reason a picture was not read).
"""

from __future__ import annotations

import io
import logging
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import httpx

from sentinelle.model import Post
from sentinelle.readers import ReadError, Reader, ReaderUnavailable, default_reader
from sentinelle.text.respace import respace

log = logging.getLogger("sentinelle.pictures")

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 20_000_000
MAX_SIDE = 2000  # larger pictures are scaled down before OCR: the time it takes grows with the area
MAX_PER_POST = 4
DEADLINE = 10.0


class Unreadable(Exception):
    """Why one picture was not read, in words fit for a finding's reasons."""


Fetch = Callable[[str], bytes]


@dataclass
class PictureRead:
    label: str  # "image 2 of 3"
    url: str
    text: str | None = None
    error: str | None = None
    phash: str | None = None


def guarded_fetch(client: httpx.Client, *, max_bytes: int = MAX_BYTES, deadline: float = DEADLINE) -> Fetch:
    """Download through `client` (a guarded client: every hop checked), image types only, within limits."""

    def fetch(url: str) -> bytes:
        stop_at = time.monotonic() + deadline
        try:
            with client.stream("GET", url, follow_redirects=True) as resp:
                if resp.status_code != 200:
                    raise Unreadable(f"http {resp.status_code}")
                kind = resp.headers.get("content-type", "").split(";")[0].strip().lower()
                if not kind.startswith("image/"):
                    raise Unreadable(f"not an image ({kind or 'no content type'})")
                declared = resp.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise Unreadable(f"larger than {max_bytes // (1024 * 1024)} MB")
                body = bytearray()
                for chunk in resp.iter_bytes():
                    body += chunk
                    if len(body) > max_bytes:
                        raise Unreadable(f"larger than {max_bytes // (1024 * 1024)} MB")
                    if time.monotonic() > stop_at:
                        raise Unreadable(f"download took more than {deadline:g} s")
                return bytes(body)
        except httpx.HTTPError as exc:
            raise Unreadable(f"could not be fetched ({type(exc).__name__})") from None
        except ValueError as exc:  # the guard's BlockedAddress is a ValueError
            raise Unreadable(f"refused: {exc}") from None

    return fetch


def recorded_fetch(files: dict[str, Path], *, max_bytes: int = MAX_BYTES) -> Fetch:
    """Pictures served from recorded files (URL → file), never the network: any other URL is not read."""

    def fetch(url: str) -> bytes:
        path = files.get(url)
        if path is None:
            raise Unreadable("not recorded (offline)")
        try:
            if path.stat().st_size > max_bytes:
                raise Unreadable(f"larger than {max_bytes // (1024 * 1024)} MB")
            return path.read_bytes()
        except OSError:
            raise Unreadable("recorded file missing") from None

    return fetch


def prepare(data: bytes) -> tuple[bytes, str | None]:
    """The picture as PNG (first frame of a GIF, scaled to MAX_SIDE) and its perceptual hash;
    Unreadable when it is not a picture or has more than MAX_PIXELS."""
    from PIL import Image

    from sentinelle.signals.fetch import image_hash

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > MAX_PIXELS:
                    raise Unreadable(f"more than {MAX_PIXELS // 1_000_000} megapixels")
                img.seek(0)
                frame = img.convert("RGB")
    except Unreadable:
        raise
    except Exception:  # any decoder error (or a decompression bomb) is a picture not read
        raise Unreadable("not a readable image") from None
    if max(frame.size) > MAX_SIDE:
        frame.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    frame.save(out, "PNG")
    return out.getvalue(), image_hash(data)


class PictureReader:
    """`read(post)`: what each of a post's pictures says. Results are kept per URL for the run, so
    every detector reading the same post costs one download and one OCR."""

    def __init__(self, fetch: Fetch, reader: Reader | None | str = "default", *, max_per_post: int = MAX_PER_POST):
        self.fetch = fetch
        self.max_per_post = max_per_post
        self._reader: Reader | None = None
        self._why_none: str | None = None
        if reader == "default":
            try:
                self._reader = default_reader()
            except ReaderUnavailable as exc:
                self._why_none = str(exc)
        else:
            self._reader = reader  # type: ignore[assignment]
        if self._reader is None and self._why_none is None:
            self._why_none = "no OCR engine installed (pip install 'sentinelle[ocr]')"
        self._seen: dict[str, tuple[str | None, str | None, str | None]] = {}

    @property
    def engine(self) -> str | None:
        return self._reader.name if self._reader is not None else None

    def read(self, post: Post) -> list[PictureRead]:
        total = len(post.media)
        out = []
        for number, media in enumerate(post.media, 1):
            label = f"{media.type} {number} of {total}"
            if number > self.max_per_post:
                out.append(PictureRead(label, media.url, error=f"only the first {self.max_per_post} pictures are read"))
                continue
            if media.url not in self._seen:
                self._seen[media.url] = self._read(media.url)
            text, error, phash = self._seen[media.url]
            if error:
                log.info("picture %s of post %s not read: %s", label, post.id, error)
            out.append(PictureRead(label, media.url, text, error, phash))
        return out

    def _read(self, url: str) -> tuple[str | None, str | None, str | None]:
        if self._reader is None:
            return None, self._why_none, None
        try:
            picture, phash = prepare(self.fetch(url))
        except Unreadable as exc:
            return None, str(exc), None
        try:
            text = self._reader.read(picture)
        except ReadError as exc:
            return None, str(exc), phash
        # RapidOCR often drops the spaces between words: put back those known words make certain.
        return respace(text) if text else None, None, phash  # a picture without text is not an error
