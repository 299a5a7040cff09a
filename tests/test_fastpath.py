"""The hot path's shortcuts give what the general code gives (issue 11's speed work)."""

from __future__ import annotations

import importlib.util
import random

import pytest

from discourse import lexicon as lexmod
from discourse import tokenize as tokmod
from discourse.api import get_lexicon, open_inputs
from discourse.lexicon import Matcher, parse_lexicon
from discourse.models import Article
from discourse.scoring import Scorer
from discourse.store import Selection
from discourse.tokenize import Tokenizer, sentence_spans
from tests import reference_v1
from tests.conftest import DEMO, ROOT

BENCH = ROOT / "benchmarks" / "bench_score.py"

# terms, excludes and proximity rules whose sides overlap terms and each other
NEAR = """
name: near-mix
version: "1"
frames:
  alpha:
    terms: ["mutual trust", "trust*", "win-win", "the two sides"]
    exclude: ["no trust"]
    near:
      - name: pledge
        terms_a: ["pledged", "vowed"]
        terms_b: ["trust*", "win-win"]
        window: 4
  beta:
    terms: ["sanctions", "cooperation", "win-win cooperation"]
    near:
      - name: hostile
        terms_a: ["west*", "u.s."]
        terms_b: ["sanctions", "pressure"]
        window: 6
"""

_WORDS = (
    "the two sides pledged vowed mutual trust trusted no win-win cooperation sanctions "
    "pressure western West U.S. said and of a . , Mr. Wang"
)
WORDS = _WORDS.split()

# prefixes at the start, middle and end, a term starting with punctuation, a term in two
# frames, excludes with a prefix, overlapping terms across frames
TRICKY = """
name: tricky
version: "1"
frames:
  alpha:
    terms: ["win-win", "win-win cooperation", "partner*", "partnership", "strategic partner*",
            "friend* of steel", "china 's rise", "u.s.", "'s", "mutual trust", "mutual",
            "trust*", "side* with china", "a* b* c"]
    exclude: ["partners in crime", "no trust*"]
  beta:
    terms: ["cooperation", "win-win coop*", "steel", "rise*", "china", "west*", "mutual"]
    exclude: ["china daily"]
    near:
      - name: sides
        terms_a: ["side*", "friend* of"]
        terms_b: ["china", "steel"]
        window: 3
"""
_TRICKY_WORDS = (
    "win-win cooperation partner partners partnership strategic friend friends of steel "
    "China China's rise rising U.S. mutual trust trusted no in crime Daily sides side with "
    "a an b c ab bc West ' , . said _x x_y 2nd"
)
TRICKY_WORDS = _TRICKY_WORDS.split()


def _sentences(rng: random.Random, n: int) -> list[list[str]]:
    tok = Tokenizer()
    out = []
    for _ in range(n):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 14)))
        out += [s.tokens for s in tok.sentences(text)]
    return out


def test_select_shortcut_equals_the_general_path(monkeypatch):
    rng = random.Random(7)
    for lex in (parse_lexicon(NEAR), get_lexicon(None)):
        m = Matcher(lex)
        sentences = _sentences(rng, 600)
        raws = [m.scan(toks)[1] for toks in sentences]
        fast = [m.select(raw) for raw in raws]
        monkeypatch.setattr(lexmod, "_plain", lambda raw: None)
        general = [m.select(raw) for raw in raws]
        monkeypatch.undo()
        assert fast == general
        # the sample reaches the shortcut and the general path, with hits in both
        took = [lexmod._plain(raw) is not None for raw in raws]
        assert any(t and h for t, h in zip(took, fast))
        assert any(not t and h for t, h in zip(took, fast))


def test_scan_flat_filter_equals_scan():
    """Trying only plausible starts (scan_flat) finds every occurrence scan finds."""
    rng = random.Random(11)
    for lex in (parse_lexicon(NEAR), get_lexicon(None)):
        m = Matcher(lex)
        sentences = _sentences(rng, 400)
        n_words, by_sentence = m.scan_sentences(sentences)
        scans = [m.scan(toks) for toks in sentences]
        assert n_words == sum(w for w, _ in scans)
        expected = {k: occ for k, (_, occ) in enumerate(scans) if occ}
        assert by_sentence == expected and expected


def test_sentence_shortcut_keeps_abbreviations():
    text = "He met Mr. Smith. The talks ended. Prices rose in Jan. The end came. See Dr. Who."
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == [
        "He met Mr. Smith.",
        "The talks ended.",
        "Prices rose in Jan.",
        "The end came.",
        "See Dr. Who.",
    ]


# terms inside terms of their frame, before and after them, chained, beside other frames
NESTED = [
    "Mutual trust and win-win cooperation.",
    "A win-win win-win cooperation deal; strategic partnership of steel.",
    "Strategic partners, mutual trust trusted, mutual mutual trust.",
    "Friends of steel sides with China's rise: no trust in crime.",
]


def _counts(scorer, texts):
    """(tokens, sentences, hits per frame, sentences with the frame) of each text, without
    ``keep`` (the counting path of Matcher.count_flat)."""
    out = []
    for sc in scorer.score_batch([Article(t, "s") for t in texts]):
        frames = [sc.frames[f] for f in scorer.frames]
        out.append((sc.n_tokens, sc.n_sentences, [f.hits for f in frames],
                    [f.sentences_with for f in frames]))  # fmt: skip
    return out


def _demo_texts():
    with open_inputs([DEMO], None) as inp:
        return [a.text for a in inp.store.iter_articles(Selection())]


def _generated_texts(n):
    spec = importlib.util.spec_from_file_location("bench_score", BENCH)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    rng = random.Random(5)
    return [gen.make_article(rng) for _ in range(n)]


def _word_texts(rng, words, n):
    seps = [" ", " ", "  ", "\n", ". ", "! ", ".\n\n"]
    return ["".join(rng.choice(words) + rng.choice(seps) for _ in range(rng.randint(1, 40)))
            for _ in range(n)]  # fmt: skip


@pytest.mark.parametrize("path", ["default", "pure"])
@pytest.mark.parametrize("which", ["shipped", "near", "tricky"])
def test_count_flat_equals_the_general_path(which, path, monkeypatch):
    """Counting most sentences without select() (Matcher.count_flat: an automaton over the
    joined tokens, _overlapping for overlapping terms) gives the counts of the reference
    engine (scan + select sentence by sentence), on the demo corpus, generated news and
    random text, with the compiled accelerator (if built) and without; without, the sample
    reaches every branch of count_flat (with, test_speedups checks the compiled ones)."""
    if path == "pure":
        monkeypatch.setattr(tokmod, "_speedups", None)
        monkeypatch.setattr(lexmod, "_count_events", None)
    rng = random.Random(3)
    if which == "shipped":
        lex = get_lexicon(None)
        texts = _demo_texts() + _generated_texts(40) + _word_texts(rng, WORDS, 100)
    else:
        lex = parse_lexicon(NEAR if which == "near" else TRICKY)
        words = WORDS if which == "near" else TRICKY_WORDS
        texts = _word_texts(rng, words, 400) + NESTED
    seen = {"overlapping": 0, "select": 0}
    real = Matcher._overlapping

    def spy(self, *args):
        got = real(self, *args)
        seen["overlapping" if got is not None else "select"] += 1
        return got

    monkeypatch.setattr(Matcher, "_overlapping", spy)
    fast = _counts(Scorer(lex), texts)
    assert fast == _counts(Scorer(lex, engine="reference"), texts)
    assert sum(sum(c[2]) for c in fast) > 300  # real hits were compared
    # (the near lexicon has no term in two frames: _overlapping has nothing to decide)
    need = {"overlapping": 0 if which == "near" else 5, "select": 5}
    if path == "pure":
        assert all(seen[k] >= n for k, n in need.items()), seen


def test_count_flat_falls_back_when_a_text_token_is_the_separator():
    """A NUL in the text is tokenized as a token equal to the sentence separator: the
    counts still come from the general path, identical to the reference engine."""
    lex = get_lexicon(None)
    texts = ["Mutual trust \x00 grew. The \x00 comprehensive strategic partnership deepened."]
    assert _counts(Scorer(lex), texts) == _counts(Scorer(lex, engine="reference"), texts)
    assert sum(_counts(Scorer(lex), texts)[0][2]) >= 2


def test_sentence_spans_equal_v1_on_punctuation_heavy_text():
    """The splitter's regex decides some ends itself (a lower-case ASCII word next; the
    first characters of the end) and the last space is found with fewer searches: the
    spans are v1's, on the demo corpus, generated news and random text full of ends,
    quotes, brackets, abbreviations, tabs, newlines and non-ASCII lower-case words."""
    texts = _punctuation_texts(random.Random(13), 3000) + _demo_texts() + _generated_texts(30)
    for text in texts:
        assert sentence_spans(text) == reference_v1.sentence_spans(text), text


def _punctuation_texts(rng, n):
    """``n`` random texts full of sentence ends, quotes, brackets, abbreviations, tabs,
    newlines and non-ASCII lower-case words."""
    pieces = ["Mr.", "U.S.", "Jan.", "No.", "J.", "e.g.", "etc.", "end.", "it!", "why?",
              "wait...", "so.'", 'he said."', "(see)", "[x]", "é", "élan", "Émile", "The",
              "the", "5", "3.1", "“Quote”", "‘q’", "…", "a.b.", "x-y.", "_z.", "ß."]  # fmt: skip
    seps = [" ", " ", "  ", "\n", "\t", "\n\n", " \n \n", "\r\n", ". ", "! "]
    return ["".join(rng.choice(pieces) + rng.choice(seps) for _ in range(rng.randint(1, 50)))
            for _ in range(n)]  # fmt: skip


def test_hot_word_regex_gives_the_word_tokens():
    """The hot path's word regex (a first alternative for plain lower-case ASCII words,
    possessive quantifiers) gives the tokens of the documented WORD_PATTERN, on random
    strings of the characters its alternatives care about, raw and normalized."""
    rng = random.Random(17)
    alphabet = "abcxyzABS019_.,-\u2010'\u2019sé ß\u00e9 \t\nİ!"
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))).strip()
        for t in (text, tokmod.normalize(text)):
            assert tokmod._HOT_WORD_RE.findall(t) == tokmod._WORD_RE.findall(t), t


@pytest.mark.parametrize("method", ["count", "explain"])
def test_threads_sharing_one_scorer_count_what_one_thread_counts(method):
    """A Dask worker's threads share the scorer it was sent: the matcher's token caches,
    filled as it goes, must never let one thread skip a token another is still caching."""
    import sys
    from concurrent.futures import ThreadPoolExecutor

    texts = _generated_texts(240)
    expected = _counts(Scorer(get_lexicon(None)), texts)
    keep = method == "explain"
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        for _ in range(6):
            shared = Scorer(get_lexicon(None))  # fresh, empty caches
            chunks = [texts[i : i + 2] for i in range(0, len(texts), 2)]
            with ThreadPoolExecutor(8) as pool:
                n = len(chunks)
                got = list(pool.map(_counts_kept, [shared] * n, chunks, [keep] * n))
            assert [row for part in got for row in part] == expected
    finally:
        sys.setswitchinterval(old)


def _counts_kept(scorer, texts, keep):
    out = []
    for sc in scorer.score_batch([Article(t, "s") for t in texts], keep):
        frames = [sc.frames[f] for f in scorer.frames]
        out.append((sc.n_tokens, sc.n_sentences, [f.hits for f in frames],
                    [f.sentences_with for f in frames]))  # fmt: skip
    return out
