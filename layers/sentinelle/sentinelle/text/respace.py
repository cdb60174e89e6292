"""Spaces put back into words an OCR engine glued together ("etdonnezvotrenumerodecarte"): RapidOCR's
models often drop them. A glued run of letters is split into known words (the scam lexicon's, and
the common words of records, cards and bank slips in French and English) only when known words
cover most of it; anything else (names, codes, secrets) is left exactly as read."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from sentinelle.signals.scam_lexicon import PHRASES

COMMON = """
a au aux avec ce ces cet cette dans de des du en et est il ils je la le les leur leurs ma mes mon ne
nos notre nous on ou par pas pour qui que sa se ses son sur ta te tes ton tous tout toute toutes tu un
une vos votre vous y the and or of to for from your you our we is are be this that with on in at by
an as it its if not no all any now only today here
dossier patient patiente nom prenom ne nee le numero securite sociale assure date naissance
diagnostic traitement medecin centre sante hopital ordonnance analyse resultat carte bancaire
credit paiement titulaire releve identite bancaire compte iban bic banque virement code secret
record name birth number social security diagnosis treatment doctor card holder expiry expires
payment account bank statement password passcode key access token
appelez appeler appelle contactez contacter donnez donner communiquez communiquer envoyez
envoyer activer activez verifier verification confirmer confirmez recevoir recu sms mot passe
bon bons reduction offre offres exceptionnel exceptionnelle seulement aujourd hui minuit valable
service client clients commande probleme vous nous call give send verify confirm receive activate
service customer support order problem offer coupon discount only exclusive
""".split()


def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def vocabulary() -> frozenset[str]:
    words = set(COMMON)
    for phrases in PHRASES.values():
        for phrase in phrases:
            words.update(_fold(w) for w in re.findall(r"[^\W\d_]+", phrase))
    return frozenset(w for w in words if len(w) >= 2)


_GLUED = re.compile(r"(?<![\w])[^\W\d_]{5,}(?![^\W\d_])")
MAX_WORD = 24


def _split(token: str) -> list[str] | None:
    """`token` as known words and leftovers, when known words cover at least 70% of it and words of
    three letters or more half of it (two-letter words alone would cut "JeanneMartin" to pieces)."""
    folded = [_fold(c) or c for c in token]  # one folded piece per character: offsets stay aligned
    if any(len(f) != 1 for f in folded):
        return None
    low = "".join(folded)
    vocab = vocabulary()
    n = len(low)
    # best[i]: (cost, letters covered, by words of 3+ letters, back pointer, known word?) for low[:i]
    best: list[tuple[float, int, int, int, bool]] = [(0.0, 0, 0, 0, False)] + [(float("inf"), 0, 0, 0, False)] * n
    for i in range(1, n + 1):
        cost, covered, long, _, _ = best[i - 1]
        best[i] = (cost + 1.6, covered, long, i - 1, False)  # one letter left unknown
        for j in range(max(0, i - MAX_WORD), i - 1):
            if low[j:i] in vocab and best[j][0] + 1.0 < best[i][0]:
                size = i - j
                best[i] = (best[j][0] + 1.0, best[j][1] + size, best[j][2] + (size if size > 2 else 0), j, True)
    if best[n][1] < 0.7 * n or best[n][2] < 0.5 * n:
        return None
    pieces: list[tuple[str, bool]] = []
    i = n
    while i > 0:
        _, _, _, j, known = best[i]
        pieces.append((token[j:i], known))
        i = j
    words: list[str] = []
    previous_known = True
    for piece, known in reversed(pieces):
        if not known and not previous_known:
            words[-1] += piece  # unknown letters in a row stay one word
        else:
            words.append(piece)
        previous_known = known
    return words if len(words) > 1 else None


def respace(text: str) -> str:
    """`text` with glued runs of known words split by spaces, on the lines that look glued (their
    space-separated chunks average more than 10 characters); the rest unchanged."""
    def fix(m: re.Match[str]) -> str:
        words = _split(m.group())
        return " ".join(words) if words else m.group()

    out = []
    for line in text.split("\n"):
        chunks = line.split()
        glued = chunks and sum(map(len, chunks)) / len(chunks) > 10
        out.append(_GLUED.sub(fix, line) if glued else line)
    return "\n".join(out)


__all__ = ["respace", "vocabulary"]
