"""The compiled sentence splitter (discourse/_sentences.pyx) gives exactly the spans of the
pure-Python reference, ``discourse.tokenize.sentence_spans``, on every input (issue 11).

CI builds the extension: there (``CI`` set) its absence fails these tests. Locally they
are skipped only when it is not built at all; a built module that does not import fails.
"""

from __future__ import annotations

import importlib.util
import os
import random
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from discourse import tokenize as tokmod
from discourse.tokenize import Tokenizer
from tests.conftest import ROOT
from tests.test_fastpath import _demo_texts, _generated_texts, _punctuation_texts

IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false")

try:
    from discourse._sentences import sentence_spans as c_spans
except ImportError:
    if not IN_CI and importlib.util.find_spec("discourse._sentences") is None:
        pytest.skip(
            "discourse._sentences is not built (pip install -e ., or cythonize -i)",
            allow_module_level=True,
        )
    c_spans = None  # CI, or built but broken: the tests fail

reference = tokmod.sentence_spans


def _check(text: str) -> None:
    assert c_spans(text) == reference(text), repr(text)


def test_the_splitter_is_built_and_used():
    """The extension imports and the default tokenizer splits with it (unless
    DISCOURSE_PURE is set)."""
    assert c_spans is not None, "discourse._sentences did not build or does not import"
    if not os.environ.get("DISCOURSE_PURE"):
        assert tokmod._c_sentence_spans is c_spans


def test_the_tokenizer_calls_it(monkeypatch):
    calls = []

    def spy(text):
        calls.append(text)
        return c_spans(text)

    monkeypatch.setattr(tokmod, "_c_sentence_spans", spy)
    text = "He met Mr. Smith. The talks ended."
    assert Tokenizer().sentence_spans(text) == [(0, 17), (18, 34)]
    assert calls == [text]
    assert Tokenizer("punkt").sentence_spans(text) and calls == [text]  # not for Punkt


def test_discourse_pure_turns_it_off():
    code = "from discourse import tokenize; print(tokenize._c_sentence_spans is None)"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    outs = []
    for pure in ("1", ""):
        env["DISCOURSE_PURE"] = pure
        r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        outs.append(r.stdout.strip())
    assert outs == ["True", "False"]


def test_equal_on_the_demo_corpus():
    texts = _demo_texts()
    assert len(texts) > 10
    for text in texts:
        _check(text)
        _check(tokmod.nfc(text))


def test_equal_on_generated_news():
    texts = _generated_texts(200)
    assert sum(len(reference(t)) for t in texts) > 1000  # real sentences were compared
    for text in texts:
        _check(text)
    _check("\n\n".join(texts))  # one long text: the last-space search over many ends


def test_equal_on_punctuation_heavy_text():
    for text in _punctuation_texts(random.Random(29), 3000):
        _check(text)


def test_rules_on_hand_made_cases():
    """Each rule of the splitter, with the spans written out (not only compared)."""
    cases = {
        "Mr. Smith left. The end.": ["Mr. Smith left.", "The end."],
        "It rose in Jan. The end.": ["It rose in Jan.", "The end."],
        "It rose in Jan. Prices fell.": ["It rose in Jan. Prices fell."],
        "See No. 5 here. Then go.": ["See No. 5 here.", "Then go."],
        "J. Smith said so. Yes.": ["J. Smith said so.", "Yes."],
        "The U.S. The end.": ["The U.S.", "The end."],
        "Wait... what? 'Yes.' No!": ["Wait... what?", "'Yes.'", "No!"],
        "One\n\nTwo \n \n Three": ["One", "Two", "Three"],
        "it ended. élan grew.": ["it ended. élan grew."],
        "it ended. Élan grew.": ["it ended.", "Élan grew."],
        "Tax Inc. The firm.": ["Tax Inc.", "The firm."],
        "A (b.) C. “Quoted.” D": ["A (b.)", "C. “Quoted.”", "D"],  # C. is an initial
        "end.\u00a0Next": ["end.", "Next"],
        "Dr.\u2003Who": ["Dr.\u2003Who"],
        "x. '": ["x.", "'"],
    }
    for text, sentences in cases.items():
        assert [text[a:b] for a, b in c_spans(text)] == sentences, text
        _check(text)


def test_long_runs_and_long_words():
    """Runs of ends and spaces, words longer than any listed one, text without spaces."""
    for text in (
        "." * 5000 + " A",
        "x. " * 3000,
        "Abbreviations. Thursdays. MESSRSX. Approximately. The",
        "a.b.c.d.e.f.g.h.i.j. The",
        "x.\rY.\x0bZ.\x1cW. " * 500,
        "\n" * 1000 + " \t\n" * 500,
    ):
        _check(text)


def test_rejects_what_is_not_text():
    for value in (None, b"x. Y", 5):
        with pytest.raises(TypeError):
            c_spans(value)

    class Text(str):
        pass

    assert c_spans(Text("One. Two.")) == [(0, 4), (5, 9)]


# What the splitter's rules turn on, drawn as words, each followed by an end, closing
# quotes or brackets, a space and opening quotes or brackets (any of them may be empty):
# titles and abbreviations in any case and after other characters, openers, digits
# (ASCII, a non-ASCII decimal, a superscript that is a digit but not decimal), spaces
# that are not " ", "\t" or "\n", and non-ASCII letters (İ and the Kelvin sign
# lower-case to longer or ASCII text; ß is lower-case; ǅ is title case; 𝐀 is outside the
# Basic Multilingual Plane).
WORDS = [
    "", "Mr", "mr", "MR", "Dr", "Mrs", "Messrs", "St", "U.S", "u.s", "Jan", "JAN", "Sept",
    "No", "no", "Nos", "e.g", "i.e", "etc", "Inc", "The", "the", "THE", "He", "he", "Moscow",
    "It", "J", "j", "A", "x", "end", "End", "word", "Élan", "élan", "é", "É", "İ", "İnc",
    "\u212a", "\u212ao", "ß", "ǅ", "0", "5", "1990", "3.1", "\u0663", "\u00b2", "_", "-",
    "x-y", "a.b", "(b", "Thursdays", "\u0663Mr", "\u00b2No", "9Jan", "_St", "-Inc", "x.Dr",
    "\u00e9.u.s", "x-Mr", "1-J", "\U0001d400", "\U0001d400\U0001d41a",
]  # fmt: skip
ENDS = ["", "", ".", ".", ".", "!", "?", "\u2026", "...", "?!", "!."]
CLOSERS = ["", "", "", '"', "'", "\u2019", "\u201d", ")", "]", ')"']
SPACES = ["", " ", " ", " ", "  ", "\n", "\n\n", " \n \t\n", "\t", "\r", "\r\n", "\u00a0",
          "\u2003", "\x0b"]  # fmt: skip
OPENERS = ["", "", "", '"', "'", "\u2018", "\u201c", "(", "["]
ALPHABET = "".join(sorted({c for p in WORDS + ENDS + CLOSERS + SPACES + OPENERS for c in p}))


@st.composite
def texts(draw):
    """Text built of words, ends, quotes and spaces; or any string of their characters."""
    if draw(st.integers(0, 3)) == 0:
        return draw(st.text(alphabet=ALPHABET, max_size=60))
    parts = [st.sampled_from(x) for x in (WORDS, ENDS, CLOSERS, SPACES, OPENERS)]
    pieces = draw(st.lists(st.tuples(*parts), max_size=25))
    return "".join("".join(p) for p in pieces)


FUZZ = settings(max_examples=800, deadline=None, database=None)


@FUZZ
@given(texts())
def test_equal_on_random_text(text):
    _check(text)


@pytest.mark.slow
@settings(FUZZ, max_examples=3000)
@given(texts() | st.text(max_size=80))
def test_equal_on_much_more_random_text(text):
    _check(text)
