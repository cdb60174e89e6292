"""Properties of normalisation and of the scams detector on arbitrary text (hypothesis)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from sentinelle.detectors import Context, get
from sentinelle.model import Post, Severity
from sentinelle.text.brands import BrandMatcher
from sentinelle.text.normalize import compact, fold, prepare, skeleton
from sentinelle.watchlist import parse_watchlist

WL = parse_watchlist({"organization": "Maison Lumière", "brands": [
    {"name": "Maison Lumière", "hashtags": ["LumiereDays"], "domains": ["maisonlumiere.fr"]}]})
CTX = Context.ephemeral(watchlist=WL)
TEXT = st.text(max_size=300)


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_fold_is_idempotent_and_clean(s):
    f = fold(s)
    assert fold(f) == f
    assert "  " not in f and f == f.strip()
    assert not any(c in f for c in "\u200b\u200d\u202e\ufeff")


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_skeleton_and_compact(s):
    sk = skeleton(s)
    assert skeleton(sk) == sk
    assert " " not in compact(s)


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_prepare_offsets_are_consistent(s):
    p = prepare(s)
    assert len(p.starts) == len(p.words)
    assert all(p.key[a:a + len(w)] == w.replace("l", "i") for a, w in zip(p.starts, p.words))


@settings(max_examples=100, deadline=None)
@given(TEXT, st.sampled_from(["", " Maison Lumière", " #LumiereDays -50% appelez le 06 12 34 56 78"]),
       st.lists(st.one_of(st.text(max_size=40), st.from_regex(r"https?://[a-z0-9.\-]{1,20}(/[^ ]{0,10})?",
                                                              fullmatch=True)), max_size=3))
def test_detector_never_crashes(s, brand, links):
    item = Post(platform="x", id="1", text=s + brand, author={"handle": "a"}, links=links, hashtags=[s[:10]])
    found = get("scams").detect(item, CTX)
    for f in found:
        assert f.reasons and 0 <= f.score <= 100 and f.severity in set(Severity)


def test_brand_found_whatever_surrounds_it():
    m = BrandMatcher(WL)
    for around in ("{}", "({})", "«{}»", "{}!", "@user {} #x", "\n{}\n"):
        assert m.find(around.format("Maison Lumière")), around
