"""The hot path's shortcuts give what the general code gives (issue 11's speed work)."""

from __future__ import annotations

import random

from discourse import lexicon as lexmod
from discourse.api import get_lexicon
from discourse.lexicon import Matcher, parse_lexicon
from discourse.tokenize import Tokenizer, sentence_spans

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
