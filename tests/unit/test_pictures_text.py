"""Pictures' text is read like the post's own: alt text always (offline), picture text when a
picture reader is set; findings say which picture, and nothing raw from a picture gets out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sentinelle.detectors import Context, get
from sentinelle.detectors.base import readable
from sentinelle.model import Post, parse_item
from sentinelle.watchlist import load_watchlist

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"
WL = load_watchlist(DEMO / "watchlist.yaml")
NIR = "2 74 04 54 395 326 67"
COUPON = ("Maison Lumière -50% sur tout ! Appelez le 06 12 34 56 78 et donnez votre numéro de carte "
          "pour recevoir votre bon")


def post(text: str, handle: str, media: list[dict[str, object]]) -> Post:
    item = parse_item({"type": "post", "platform": "mastodon", "id": "1", "url": "https://mastodon.social/@x/1",
                       "author": {"id": "9", "handle": handle}, "text": text, "media": media})
    assert isinstance(item, Post)
    return item


def test_readable_joins_text_and_alt_text_and_knows_where_each_part_is():
    item = post("Bonjour", "someone", [{"url": "https://f.example/a.png"},
                                       {"url": "https://f.example/b.png", "alt": "Un reçu"}])
    view = readable(item, Context.ephemeral(WL))
    assert view.text == "Bonjour\n\nUn reçu"
    assert view.where(view.text.index("reçu")).label == "image 2 of 2, alt text"
    assert view.where(0).label == "text" and view.where(len(view.text) + 5).label == "text"


def test_leaks_reads_alt_text_offline_and_says_which_picture():
    item = post("Dossier du jour", "drmarchand@mastodon.social",
                [{"url": "https://f.example/scan.jpg", "alt": f"Patient Jean Martin, NIR {NIR}, né le 12/03/1985"}])
    findings = get("leaks").detect(item, Context.ephemeral(WL))
    nir = next(f for f in findings if f.kind == "fr_nir")
    assert nir.evidence["picture"] == {"which": "image 1 of 1, alt text", "url": "https://f.example/scan.jpg"}
    assert "found in image 1 of 1, alt text" in nir.reasons
    assert NIR not in json.dumps([f.model_dump(mode="json") for f in findings], ensure_ascii=False)


def test_scams_reads_a_coupon_flyer_in_alt_text():
    plain = post("#MaisonLumiere bon plan", "promo_lumiere", [])
    assert get("scams").detect(plain, Context.ephemeral(WL)) == []
    flyer = post("#MaisonLumiere bon plan", "promo_lumiere", [{"url": "https://f.example/flyer.png", "alt": COUPON}])
    (finding,) = get("scams").detect(flyer, Context.ephemeral(WL))
    assert finding.severity.rank >= 3 and "text read from image 1 of 1, alt text" in finding.reasons
    assert "06 12 34 56 78" not in json.dumps(finding.evidence["excerpt"])


@dataclass
class FakeRead:
    label: str
    url: str
    text: str | None = None
    error: str | None = None
    phash: str | None = None


class FakePictures:
    """A picture reader that 'reads' fixed text, as an OCR engine would."""

    def __init__(self, texts: dict[str, str | None]):
        self.texts = texts

    def read(self, item: Post) -> list[FakeRead]:
        n = len(item.media)
        return [FakeRead(f"image {i} of {n}", m.url, self.texts.get(m.url),
                         None if self.texts.get(m.url) else "could not be fetched")
                for i, m in enumerate(item.media, 1)]


def test_picture_text_is_read_and_an_unreadable_picture_is_a_reason():
    item = post("Photo du dossier", "drmarchand@mastodon.social",
                [{"url": "https://f.example/1.jpg"}, {"url": "https://f.example/2.jpg"}])
    ctx = Context.ephemeral(WL, pictures=FakePictures({"https://f.example/2.jpg": f"N°desecuritesociale:{NIR.replace(' ', '')}"}))
    nir = next(f for f in get("leaks").detect(item, ctx) if f.kind == "fr_nir")
    assert nir.evidence["picture"]["which"] == "image 2 of 2, read by OCR"
    assert "not read: image 1 of 2 (could not be fetched)" in nir.reasons
    assert NIR.replace(" ", "") not in json.dumps(nir.model_dump(mode="json"))
