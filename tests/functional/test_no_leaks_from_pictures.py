"""No raw value read from a picture leaves Sentinelle: the sensitive values of
test_no_leaks_in_outputs, this time only in the pictures of an official account's posts (the posts'
text says nothing), read by an OCR engine, go through the real pipeline into SQLite and DynamoDB
(moto), every alert format, the API, and logging at DEBUG. The pictures and the text read from them
are never stored: only masked evidence, the picture's URL and its perceptual hash."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest
import test_no_leaks_in_outputs as base
from aws_template import create_table
from moto import mock_aws
from PIL import Image, ImageDraw, ImageFont

from sentinelle.detectors import Context, get
from sentinelle.pipeline import scan
from sentinelle.readers.pictures import PictureReader, prepare, recorded_fetch
from sentinelle.sources import build_source
from sentinelle.store.sqlite import SQLiteStore

TABLE = "sentinelle-no-leaks-pictures"


def picture(text: str) -> bytes:
    lines = text.split("\n")
    img = Image.new("RGB", (1400, 40 * len(lines) + 40), "white")
    pen = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        pen.text((10, 10 + 40 * i), line, font=ImageFont.load_default(size=24), fill="black")
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


class Reads:
    """An OCR engine that reads exactly what was drawn (whatever engine is installed, the test is
    about where the text goes, not how well it is read)."""

    name = "exact"

    def __init__(self, drawn: dict[bytes, str]):
        self.drawn = {prepare(data)[0]: text for data, text in drawn.items()}

    def read(self, image: bytes) -> str:
        return self.drawn[image]


def pictured_posts(tmp_path: Path) -> tuple[list[dict[str, Any]], PictureReader]:
    files, drawn, items = {}, {}, []
    for n, post in enumerate(base.posts()):
        url = f"https://files.example/media/{n}.png"
        data = picture(post["text"])
        (tmp_path / f"{n}.png").write_bytes(data)
        files[url] = tmp_path / f"{n}.png"
        drawn[data] = post["text"]
        items.append({**post, "text": "Voir la photo", "media": [{"type": "image", "url": url}]})
    return items, PictureReader(recorded_fetch(files), Reads(drawn))


def run_scan(store: Any, tmp_path: Path) -> Any:
    items, pictures = pictured_posts(tmp_path)
    path = tmp_path / "official.jsonl"
    path.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in items), encoding="utf-8")
    source = build_source({"type": "replay", "path": str(path), "query": {
        "kind": "account_posts", "value": base.OFFICIAL.handle, "platform": base.OFFICIAL.platform}})
    ctx = Context.ephemeral(base.WL, pictures=pictures)
    return asyncio.run(scan(get("leaks"), base.WL, [source], store, store, ctx=ctx))


@pytest.fixture
def sqlite_outputs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[dict[str, Any]]:
    caplog.set_level(logging.DEBUG)
    store = SQLiteStore(tmp_path / "pictures.db")
    summary = run_scan(store, tmp_path)
    yield {"store": store, "summary": summary, "path": tmp_path / "pictures.db", "logs": caplog}
    store.close()


def test_the_leaks_are_found_in_the_pictures(sqlite_outputs) -> None:
    incidents = sqlite_outputs["store"].list(limit=200).items
    assert {"credit_card", "iban", "us_ssn", "fr_nir", "medical_record_number", "secret"} <= {i.kind for i in incidents}
    for incident in incidents:
        where = incident.evidence["picture"]
        assert where["which"] == "image 1 of 1, read by OCR" and where["url"].startswith("https://files.example/")
        assert len(where["phash"]) == 16


def test_store_alerts_api_and_logs_hold_no_raw_value_from_a_picture(sqlite_outputs, monkeypatch, capsys) -> None:
    from sentinelle.api.app import create_app
    from sentinelle.api.auth import gateway_authorizer

    store = sqlite_outputs["store"]
    rows, files = base._sqlite_text(sqlite_outputs["path"]), base._file_bytes(sqlite_outputs["path"])
    base.assert_no_leak("SQLite rows", rows)
    base.assert_no_leak("SQLite files", files)
    assert "\x89PNG" not in files and "Voir la photo\n" not in rows  # no picture, no joined OCR text
    incidents = store.list(limit=200).items
    base.assert_no_leak("alerts", base._alert_texts(incidents))
    api = base._load_api()
    monkeypatch.setattr(api, "get_app", lambda: create_app(store, auth=gateway_authorizer, cursor_key=b"k" * 32))
    base.assert_no_leak("API answers", base._api_answers(api, [i.id for i in incidents]))
    logs = "\n".join(r.getMessage() for r in sqlite_outputs["logs"].records) + capsys.readouterr().out
    base.assert_no_leak("logs", logs)


def test_dynamodb_items_hold_no_raw_value_from_a_picture(tmp_path, monkeypatch) -> None:
    from sentinelle.store.dynamodb import DynamoDBStore

    with mock_aws():
        ddb = boto3.client("dynamodb")
        create_table(ddb, TABLE)
        monkeypatch.setenv("SENTINELLE_TABLE", TABLE)
        run_scan(DynamoDBStore(TABLE), tmp_path)
        items = ddb.scan(TableName=TABLE)["Items"]
    assert any(i["pk"]["S"].startswith("INC#") for i in items)
    base.assert_no_leak("DynamoDB items", json.dumps(items, ensure_ascii=False))
