"""OCR behind one interface: picture fetching within limits (guarded, image types, size, pixels,
count), recorded pictures offline, the engines (Tesseract and RapidOCR when installed, Textract
under moto), and a picture that cannot be read being a reason rather than an error."""

from __future__ import annotations

import io
import shutil

import boto3
import httpx
import pytest
from moto import mock_aws
from PIL import Image, ImageDraw, ImageFont

from sentinelle.model import Post, parse_item
from sentinelle.readers import ReaderUnavailable, default_reader, make_reader
from sentinelle.readers.pictures import (
    PictureReader, Unreadable, guarded_fetch, prepare, recorded_fetch,
)
from sentinelle.readers.rapid import lines
from sentinelle.readers.textract import TextractReader
from sentinelle.signals.netguard import GuardedTransport, NetGuard
from sentinelle.text.respace import respace

NIR = "2 74 04 54 395 326 67"


def render(text_lines: list[str], size: tuple[int, int] = (900, 60)) -> bytes:
    img = Image.new("RGB", (size[0], size[1] * (len(text_lines) + 1)), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=28)
    for i, line in enumerate(text_lines):
        draw.text((20, 20 + i * size[1]), line, font=font, fill="black")
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def post(*urls: str) -> Post:
    item = parse_item({"type": "post", "platform": "x", "id": "p1", "media": [{"url": u} for u in urls]})
    assert isinstance(item, Post)
    return item


class Echo:
    """A fake engine: the 'text' of a picture is its size, and every call is counted."""

    name = "echo"

    def __init__(self) -> None:
        self.calls = 0

    def read(self, image: bytes) -> str:
        self.calls += 1
        with Image.open(io.BytesIO(image)) as img:
            return f"{img.width}x{img.height}"


def client(handler) -> httpx.Client:  # type: ignore[no-untyped-def]
    guard = NetGuard(resolver=lambda host, port: ["93.184.216.34"])
    return httpx.Client(transport=GuardedTransport(guard, inner=httpx.MockTransport(handler)))


PNG = render(["hello"])


def serve(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == "/a.png":
        return httpx.Response(200, content=PNG, headers={"content-type": "image/png"})
    if path == "/page.html":
        return httpx.Response(200, content=b"<html>", headers={"content-type": "text/html"})
    if path == "/huge.png":
        return httpx.Response(200, content=b"0" * 2048, headers={"content-type": "image/png"})
    return httpx.Response(404)


def test_guarded_fetch_takes_images_only_within_limits():
    fetch = guarded_fetch(client(serve), max_bytes=1024 * 1024)
    assert fetch("https://cdn.example/a.png") == PNG
    with pytest.raises(Unreadable, match="not an image"):
        fetch("https://cdn.example/page.html")
    with pytest.raises(Unreadable, match="http 404"):
        fetch("https://cdn.example/gone.png")
    with pytest.raises(Unreadable, match="larger than"):
        guarded_fetch(client(serve), max_bytes=1024)("https://cdn.example/huge.png")
    with pytest.raises(Unreadable, match="refused"):
        guarded_fetch(httpx.Client(transport=GuardedTransport(NetGuard())))("http://127.0.0.1/a.png")
    with pytest.raises(Unreadable, match="refused"):
        fetch("file:///etc/passwd")


def test_prepare_refuses_what_is_not_a_picture_or_too_many_pixels():
    with pytest.raises(Unreadable, match="not a readable image"):
        prepare(b"GIF89a not really")
    big = io.BytesIO()
    Image.new("1", (5000, 5000)).save(big, "PNG")
    with pytest.raises(Unreadable, match="megapixels"):
        prepare(big.getvalue())
    wide = io.BytesIO()
    Image.new("RGB", (4000, 1000), "white").save(wide, "JPEG")
    png, phash = prepare(wide.getvalue())
    with Image.open(io.BytesIO(png)) as img:
        assert img.size == (2000, 500) and img.format == "PNG"
    assert phash and len(phash) == 16


def test_picture_reader_reads_each_url_once_and_caps_the_count(tmp_path):
    engine = Echo()
    reader = PictureReader(guarded_fetch(client(serve)), engine, max_per_post=2)
    item = post("https://cdn.example/a.png", "https://cdn.example/page.html", "https://cdn.example/a.png?3")
    first = reader.read(item)
    assert [(r.label, r.text, r.error) for r in first] == [
        ("image 1 of 3", "900x120", None),
        ("image 2 of 3", None, "not an image (text/html)"),
        ("image 3 of 3", None, "only the first 2 pictures are read")]
    assert first[0].phash
    reader.read(item)  # a second detector reading the same post
    assert engine.calls == 1


def test_recorded_pictures_are_read_offline_and_others_are_not(tmp_path):
    (tmp_path / "a.png").write_bytes(PNG)
    reader = PictureReader(recorded_fetch({"https://cdn.example/a.png": tmp_path / "a.png",
                                           "https://cdn.example/lost.png": tmp_path / "lost.png"}), Echo())
    got = reader.read(post("https://cdn.example/a.png", "https://cdn.example/b.png", "https://cdn.example/lost.png"))
    assert [(r.text, r.error) for r in got] == [("900x120", None), (None, "not recorded (offline)"),
                                                 (None, "recorded file missing")]


def test_no_engine_is_a_reason_not_an_error(monkeypatch):
    monkeypatch.setenv("SENTINELLE_OCR", "none")
    assert default_reader() is None
    (read,) = PictureReader(guarded_fetch(client(serve))).read(post("https://cdn.example/a.png"))
    assert read.text is None and "no OCR engine" in read.error
    with pytest.raises(ReaderUnavailable, match="unknown OCR engine"):
        make_reader("nonesuch")


def test_rapidocr_boxes_become_lines_left_to_right():
    boxes = [([[200, 10], [300, 10], [300, 30], [200, 30]], "World", 0.9),
             ([[10, 12], [100, 12], [100, 32], [10, 32]], "Hello", 0.9),
             ([[10, 50], [100, 50], [100, 70], [10, 70]], "Next", 0.9)]
    assert lines(boxes) == "Hello World\nNext"


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_tesseract_reads_a_generated_record():
    text = make_reader("tesseract").read(render(["Dossier patient", f"NIR {NIR}"]))
    assert "".join(NIR.split()) in "".join(text.split())


def test_rapidocr_reads_a_generated_record():
    pytest.importorskip("rapidocr_onnxruntime")
    text = make_reader("rapidocr").read(render([f"NIR {NIR}"]))
    assert "".join(NIR.split()) in "".join(text.split())


@mock_aws
def test_textract_lines_under_moto(monkeypatch):
    from moto.textract.models import TextractBackend

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    monkeypatch.setattr(TextractBackend, "BLOCKS", [
        {"BlockType": "PAGE", "Id": "0"},
        {"BlockType": "LINE", "Id": "1", "Text": "Dossier patient"},
        {"BlockType": "WORD", "Id": "2", "Text": "Dossier"},
        {"BlockType": "LINE", "Id": "3", "Text": f"NIR {NIR}"}])
    reader = TextractReader(boto3.client("textract", region_name="eu-west-3"))
    assert reader.read(PNG) == f"Dossier patient\nNIR {NIR}"
    assert make_reader("textract").name == "textract"


def test_glued_ocr_words_are_spaced_again_and_nothing_else_is_touched():
    assert respace("etdonnezvotrenumerodecartebancaire") == "et donnez votre numero de carte bancaire"
    assert respace("N°desecuritésociale:258037511204518") == "N°de securité sociale:258037511204518"
    assert respace("Communiquezvotremotdepasseetlecodereçupar SMS") == \
        "Communiquez votre mot de passe et le code reçu par SMS"
    for kept in ("Patiente:JeanneMartin", "Nouveaux horaires Bonjour Paris",
                 "aws_secret_access_key = wJalrXUtnFEMIKdeMENGbPxRfiCYz8a1b2c3d4", "MRN-0045821"):
        assert respace(kept) == kept
