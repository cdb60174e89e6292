"""Generated pictures for measuring OCR: records, cards, bank slips, secrets in screenshots, coupon
and fake-support flyers, and the look-alike harmless ones (posters, blank forms, receipts, thanks,
scam warnings). Drawn with Pillow in several fonts, then rotated, blurred, noised and JPEG-compressed
as a phone photo or a re-shared screenshot would be. Deterministic (seeded); all values synthetic.

`python -m evaluation.pictures DIR` writes the demo's two pictures (examples/demo/media/).
"""

from __future__ import annotations

import io
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/TTF"))
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf", "DejaVuSans-Bold.ttf")


def fonts() -> list[str | None]:
    """System fonts found here, plus Pillow's own (None): the set differs from machine to machine."""
    found: list[str | None] = [None]
    for folder in FONT_DIRS:
        found += [str(folder / f) for f in FONT_FILES if (folder / f).is_file()]
    return found


def font(path: str | None, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size) if path is None else ImageFont.truetype(path, size)


@dataclass(frozen=True)
class Picture:
    kind: str
    detector: str  # the detector that should (positive) or should not (negative) report it
    positive: bool
    lines: tuple[str, ...]
    data: bytes  # JPEG


def draw(lines: list[str], rng: random.Random, *, font_path: str | None, size: int = 30,
         title: bool = True, rotate: float = 0.0, blur: float = 0.0, noise: int = 0, quality: int = 85,
         paper: tuple[int, int, int] = (255, 255, 255), ink: tuple[int, int, int] = (20, 20, 20)) -> bytes:
    """`lines` on paper, the first bigger when `title`; then the photo's defects."""
    fnt, big = font(font_path, size), font(font_path, int(size * 1.4))
    height = int(size * 1.7)
    width = max(int((big if title and i == 0 else fnt).getlength(line)) for i, line in enumerate(lines)) + 2 * size + 40
    img = Image.new("RGB", (max(width, 500), height * (len(lines) + 2)), paper)
    pen = ImageDraw.Draw(img)
    y = size
    for i, line in enumerate(lines):
        pen.text((size, y), line, font=big if title and i == 0 else fnt, fill=ink)
        y += int(height * (1.3 if title and i == 0 else 1))
    if rotate:
        img = img.rotate(rotate, expand=True, fillcolor=paper, resample=Image.Resampling.BICUBIC)
    if blur:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        px = img.load()
        assert px is not None
        for _ in range(img.width * img.height // 40):
            x, yy = rng.randrange(img.width), rng.randrange(img.height)
            v = rng.randint(-noise, noise)
            r, g, b = px[x, yy]  # type: ignore[misc]
            px[x, yy] = (max(0, min(255, r + v)), max(0, min(255, g + v)), max(0, min(255, b + v)))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()


# --- synthetic values (valid checksums where the real ones have them) ------------------------

def nir(rng: random.Random) -> str:
    body = f"{rng.choice('12')}{rng.randint(50, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 95):02d}" \
           f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    key = 97 - int(body) % 97
    return f"{body[0]} {body[1:3]} {body[3:5]} {body[5:7]} {body[7:10]} {body[10:13]} {key:02d}"


def luhn_card(rng: random.Random) -> str:
    digits = [4] + [rng.randint(0, 9) for _ in range(14)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        d = d * 2 if i % 2 == 0 else d
        total += d - 9 if d > 9 else d
    digits.append((10 - total % 10) % 10)
    s = "".join(map(str, digits))
    return " ".join(s[i:i + 4] for i in range(0, 16, 4))


def fr_iban(rng: random.Random) -> str:
    bban = f"{rng.randint(10000, 99999)}{rng.randint(10000, 99999)}{rng.randint(10**10, 10**11 - 1)}" \
           f"{rng.randint(10, 99)}"
    check = 98 - int(bban + "152700") % 97  # "FR00" moved to the end: F=15, R=27
    raw = f"FR{check:02d}{bban}"
    return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def us_ssn(rng: random.Random) -> str:
    return f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"


def mobile(rng: random.Random) -> str:
    return "0" + rng.choice("67") + "".join(f" {rng.randint(10, 99)}" for _ in range(4))


FIRST = ("Jeanne", "Paul", "Amélie", "Thomas", "Sophie", "Karim", "Léa", "Hugo")
LAST = ("Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Girard", "Roux", "Fournier")


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def dob(rng: random.Random) -> str:
    return f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1940, 2005)}"


# --- kinds: (detector, positive, lines) ------------------------------------------------------

def _kinds(rng: random.Random) -> dict[str, tuple[str, bool, list[str]]]:
    brand = rng.choice(["MAISON LUMIÈRE", "Maison Lumière", "MaisonLumiere"])
    return {
        "record_fr": ("leaks", True, [
            "Dossier patient", f"Nom : {person(rng)}", f"Né(e) le {dob(rng)}",
            f"N° de sécurité sociale : {nir(rng)}", f"Dossier n° MRN-{rng.randint(10**6, 10**7 - 1)}",
            "Diagnostic : diabète de type 2"]),
        "record_en": ("leaks", True, [
            "Patient record", f"Name: {person(rng)}", f"DOB: {dob(rng)}", f"SSN: {us_ssn(rng)}",
            f"MRN: {rng.randint(10**7, 10**8 - 1)}", "Diagnosis: hypertension"]),
        "card": ("leaks", True, [
            "Carte de paiement du client", luhn_card(rng), f"Exp {rng.randint(1, 12):02d}/{rng.randint(27, 31)}",
            person(rng).upper()]),
        "bank_slip": ("leaks", True, [
            "Relevé d'identité bancaire", f"Titulaire : {person(rng)}", f"IBAN : {fr_iban(rng)}",
            "BIC : BNPAFRPPXXX"]),
        "secret_screenshot": ("leaks", True, [
            "[default]", f"aws_access_key_id = AKIA{''.join(rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ234567') for _ in range(16))}",
            "aws_secret_access_key = " + "".join(rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789")
                                                 for _ in range(40))]),
        "coupon_flyer": ("scams", True, [
            f"{brand} -50% SUR TOUT", "Bon de réduction exceptionnel !", f"Appelez le {mobile(rng)}",
            "et donnez votre numéro de carte bancaire", "pour activer votre bon"]),
        "support_flyer": ("scams", True, [
            f"Service client {brand}", "Un problème avec votre commande ?", f"Appelez-nous au {mobile(rng)}",
            "Communiquez votre mot de passe et le code reçu par SMS", "pour vérifier votre compte"]),
        # negatives
        "official_poster": ("scams", False, [
            f"{brand}", "Nouveaux horaires d'ouverture", "Du lundi au samedi, 10 h - 19 h",
            "Service client : 01 45 67 89 00", "www.maisonlumiere.fr"]),
        "blank_form": ("leaks", False, [
            "Formulaire d'admission", "Nom : ____________", "Date de naissance : __ / __ / ____",
            "N° de sécurité sociale : _ __ __ __ ___ ___ __", "Signature :"]),
        "receipt": ("leaks", False, [
            "Maison Lumière - Ticket de caisse", f"Commande n° {rng.randint(10**7, 10**8 - 1)}",
            f"SIRET 552 100 554 000{rng.randint(10, 99)}", f"Total TTC : {rng.randint(10, 300)},90 EUR",
            "Merci de votre visite"]),
        "thank_you": ("scams", False, [
            f"Merci {brand} !", "Super accueil en boutique", "et livraison en 24 h", "Je recommande"]),
        "scam_warning": ("scams", False, [
            "ATTENTION ARNAQUE", f"{brand} ne vous demandera jamais", "votre numéro de carte par téléphone",
            "Ne donnez jamais vos codes"]),
    }


KINDS = tuple(_kinds(random.Random(0)))


def picture_set(per_kind: int = 6, seed: int = 15) -> list[Picture]:
    """`per_kind` pictures of every kind, each with its own font and defects."""
    rng = random.Random(seed)
    faces = fonts()
    out = []
    for i in range(per_kind):
        for kind, (detector, positive, lines) in _kinds(rng).items():
            data = draw(lines, rng, font_path=faces[(i + len(kind)) % len(faces)], size=rng.choice([26, 30, 34]),
                        rotate=rng.uniform(-3, 3) if i % 3 else 0.0, blur=rng.choice([0.0, 0.0, 0.6, 1.0]),
                        noise=rng.choice([0, 12, 25]), quality=rng.choice([45, 65, 85]),
                        paper=rng.choice([(255, 255, 255), (245, 240, 228), (235, 238, 245)]))
            out.append(Picture(kind, detector, positive, tuple(lines), data))
    return out


# The demo's pictures (examples/demo/media/) and the lines drawn on each.
DEMO = {
    "patient_record.jpg": ["Centre de santé Lumière - Dossier patient", "Patiente : Jeanne Martin",
                           "Née le 12/03/1958", "N° de sécurité sociale : 2 58 03 75 112 045 18",
                           "Dossier n° MRN-0045821", "HbA1c : 9,2 % - adapter le traitement"],
    "coupon_flyer.jpg": ["MAISON LUMIÈRE -50% SUR TOUT", "Aujourd'hui seulement !", "Appelez le 06 12 34 56 78",
                         "et donnez votre numéro de carte bancaire", "pour activer votre bon de réduction"],
}


def demo_pictures(folder: Path) -> None:
    """The demo's photographed patient record and coupon flyer (examples/demo/media/)."""
    rng = random.Random(2026)
    faces = fonts()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "patient_record.jpg").write_bytes(
        draw(DEMO["patient_record.jpg"], rng, font_path=faces[1 % len(faces)], size=30, rotate=1.5, blur=0.5,
             noise=12, quality=80, paper=(245, 240, 228)))
    (folder / "coupon_flyer.jpg").write_bytes(
        draw(DEMO["coupon_flyer.jpg"], rng, font_path=faces[-1], size=34, quality=85, paper=(255, 236, 200),
             ink=(150, 0, 0)))


if __name__ == "__main__":
    demo_pictures(Path(sys.argv[1] if len(sys.argv) > 1 else "examples/demo/media"))
