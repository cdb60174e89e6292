"""The impersonation detector scores only blocked candidates, and finds what scoring every identity finds."""

import pytest
from hypothesis import assume, given, settings, strategies as st

from benchmarks.bench_impersonation import NOW, exhaustive_context, scaled_profiles, scaled_watchlist
from sentinelle.detectors import Context, get
from sentinelle.signals.names import HandleMatcher, NameMatcher, handle_matches, name_similarity, name_tokens, typo_keys

DET = get("impersonation")
WORD = st.text("abcdeilmnorstu", min_size=3, max_size=12)


def _one_typo(word: str, how: int, i: int, c: str) -> str:
    i %= len(word)
    if how == 0:
        return word[:i] + c + word[i + 1:]  # changed
    if how == 1:
        return word[:i] + c + word[i:]  # added
    if how == 2:
        return word[:i] + word[i + 1:]  # dropped
    j = min(i + 1, len(word) - 1)
    return word[:i] + word[j] + word[i] + word[j + 1:] if j > i else word  # swapped


@given(WORD, st.integers(0, 3), st.integers(0, 20), st.sampled_from("aeiouxz"))
def test_words_one_typo_apart_share_a_typo_key(word, how, i, c):
    other = _one_typo(word, how, i, c)
    if len(other) >= 3:
        assert set(typo_keys(word)) & set(typo_keys(other))


@settings(max_examples=200)
@given(st.lists(WORD, min_size=1, max_size=30), WORD, st.integers(0, 3), st.integers(0, 20), st.sampled_from("aeiox1"))
def test_handle_matcher_finds_every_handle_the_exhaustive_test_finds(cores, base, how, i, c):
    matcher = HandleMatcher(cores)
    for handle in (base, _one_typo(base, how, i, c), _one_typo(cores[0], how, i, c), cores[-1] + "_official"):
        assert matcher.match(handle) == matcher.match(handle, exhaustive=True)
        assert matcher.match(handle) == [j for j, core in enumerate(cores) if handle_matches(handle, core)]


def test_name_matcher_agrees_with_name_similarity_on_each_name():
    names = ["Claire Dubois", "Sophie Riche", "Yanis Naudmer", "Maison Lumière", "Li Na", "Jean de la Croix"]
    matcher = NameMatcher(names)
    for shown in ["DUBOIS Claire", "SophieRicier", "Rayan Sanaudmer", "MaisonLumire", "Li Na", "Jean Delacroix",
                  "Claire Dubois | Lumière Patrimoine", "Dr. Cl4ire Dub0is", "nobody here", ""]:
        expected = [(j, s) for j, n in enumerate(names) if (s := name_similarity(shown, n)) >= 85]
        assert matcher.match(shown) == expected == matcher.match(shown, exhaustive=True)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(WORD, WORD), min_size=70, max_size=90), st.integers(0, 69), st.integers(0, 3),
       st.integers(0, 20), st.sampled_from("aeior1lcbm"), st.sampled_from(["{} {}", "{}{}", "{1} {0}", "{}_{}"]))
def test_name_matcher_blocked_finds_what_scoring_every_name_finds(pairs, pick, how, i, c, layout):
    """More names than are screened whole: the blocked lookups (words, words run together by their
    letter classes, words written inside the run) miss nothing that scoring every name finds."""
    names = [f"{a} {b}" for a, b in pairs]
    matcher = NameMatcher(names)
    first, last = pairs[pick]
    for shown in (layout.format(_one_typo(first, how, i, c), last), layout.format(first, _one_typo(last, how, i, c)),
                  _one_typo(first + last, how, i, c), f"{last} {first} {c}"):
        assert matcher.match(shown) == matcher.match(shown, exhaustive=True), shown


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text("abcilmnor", min_size=3, max_size=3), min_size=3, max_size=3), st.integers(0, 8),
       st.sampled_from("aeiou1lcbm"), st.integers(1, 7))
def test_name_matcher_finds_short_words_run_together_with_a_typo(words, i, c, cut):
    """Words too short to be looked for inside a run ("Li", "Wu", three letters): only the run
    they make, one typo away and split elsewhere, finds the name."""
    name = " ".join(words)
    run = "".join(words)
    typo = run[:i] + c + run[i + 1:]
    names = [name] + [f"Filler{n} Person{n}" for n in range(80)]
    matcher = NameMatcher(names)
    shown = f"{typo[:cut]} {typo[cut:]}"
    assume("".join(name_tokens(shown)) == typo)  # no part dropped as a title ("la", "me"): one typo, no more
    assert matcher.match(shown) == matcher.match(shown, exhaustive=True), shown


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(WORD, st.booleans()), min_size=20, max_size=40), st.sampled_from(["lea", "claire", "mo"]),
       st.integers(0, 19), st.lists(st.tuples(st.integers(0, 3), st.integers(0, 20), st.sampled_from("aeiorz")),
                                    min_size=1, max_size=2))
def test_name_matcher_screens_a_shared_first_name_like_scoring_every_name(rests, first, pick, typos):
    """Twenty names or more share a first name, written first or last. A display name that writes
    it out (three letters or more) is screened against all of them, so the rest of the name may
    carry two typos; with a shorter first name, one. Whatever the order, spacing and title, the
    blocked path finds what scoring every name finds."""
    names = [f"{rest} {first}" if last else f"{first} {rest}" for rest, last in rests]
    matcher = NameMatcher(names + [f"Filler{n} Person{n}" for n in range(50)])
    rest = rests[pick % len(rests)][0]
    for how, i, c in typos if len(first) >= 3 else typos[:1]:
        rest = _one_typo(rest, how, i, c)
    shown = [f"{first} {rest}", f"{rest} {first}", f"Dr {first} {rest}"]
    if len(typos) == 1 or len(first) < 3:  # run together, the first name is no word of its own
        shown += [f"{first}{rest}", f"{rest}{first}"]
    for name in shown:
        assert matcher.match(name) == matcher.match(name, exhaustive=True), name


def test_a_shared_first_name_in_a_place_no_protected_name_has_is_screened_whole():
    """Every protected "Lea ..." sorts its other word first ("aaa lea"); "Lea Oaaax" sorts it last,
    so its sorted form is far from all of them, and only the run-together form ("leaoaaax" against
    "leaaaa", 86 %) finds the one it copies: no name may be skipped there."""
    names = ["Lea Aaa"] + [f"Lea Ab{c}{d}" for c in "abcde" for d in "abcd"] + [f"Filler{n} Person{n}" for n in range(50)]
    matcher = NameMatcher(names)
    assert matcher.match("Lea Oaaax") == matcher.match("Lea Oaaax", exhaustive=True) != []


@pytest.mark.slow
@pytest.mark.parametrize("identities, seed", [(40, 1), (250, 2)])
def test_blocked_detector_equals_exhaustive_on_a_generated_corpus(identities, seed):
    """Typos, swapped words, titles, leetspeak, words run together, the employer added, two typos
    at once, handles copied with claim words: the same findings, reasons and scores either way."""
    wl = scaled_watchlist(identities)
    assert _same_findings_both_ways(wl, scaled_profiles(wl, 1200, seed=seed, copies=0.3)) > 200  # it does copy people


@pytest.mark.slow
def test_blocked_detector_equals_exhaustive_at_ten_thousand_identities():
    """The watchlist of an ambassador programme (10,000 protected identities), on a sample of
    profiles (scoring every identity takes a quarter of a second a profile): the blocked path
    still finds exactly what the exhaustive one does, near-namesakes included."""
    wl = scaled_watchlist(10_000)
    assert _same_findings_both_ways(wl, scaled_profiles(wl, 16, seed=3, copies=0.6)) >= 10


def _same_findings_both_ways(wl, profiles) -> int:
    """Asserts the blocked and the exhaustive detector find the same on each profile; how many."""
    blocked, exhaustive = Context.ephemeral(wl, now=NOW), exhaustive_context(wl)
    found = 0
    for p in profiles:
        a = [f.model_dump() for f in DET.detect(p, blocked)]
        assert a == [f.model_dump() for f in DET.detect(p, exhaustive)], p
        found += len(a)
    return found
