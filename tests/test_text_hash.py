"""store.text_hash, the dedupe key stores are keyed on: its fast paths (ASCII text,
whitespace collapsed on the UTF-8 bytes) give the digest of the one formula stores
were filled with, NFC then casefold then ``" ".join(text.split())``, then SHA-256."""

from __future__ import annotations

import hashlib
import sys
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from discourse import store
from discourse.store import text_hash


def formula(text: str) -> str:
    """The rule as it was first written (what every store's keys were made with)."""
    norm = " ".join(unicodedata.normalize("NFC", text).casefold().split())
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


#: every character str.split() splits on, in this Python's Unicode database
SPACES = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
#: letters whose NFC or casefold changes them, and ones that are already folded
LETTERS = "aZé\u0065\u0301\u00c5\u212b\u212a\u00dfẞİıΣσς\ufb01Ǆ\u1e9e\u0130ﬀ中😀-.,'\u2019"

texty = st.text(alphabet=st.sampled_from(SPACES + LETTERS), max_size=60)


def test_the_wide_spaces_are_every_non_ascii_space():
    assert set(store._WIDE_SPACES) == {c for c in SPACES if ord(c) > 127}
    assert {chr(b) for b in store._ASCII_WS} | {" "} == {c for c in SPACES if ord(c) < 128}


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(texty)
def test_same_digest_as_the_formula_on_spaces_and_letters(text):
    assert text_hash(text) == formula(text)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text(max_size=80))
def test_same_digest_as_the_formula_on_any_text(text):
    assert text_hash(text) == formula(text)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=80))
def test_same_digest_as_the_formula_on_ascii(text):
    assert text_hash(text) == formula(text)


def test_each_kind_of_space_and_run_collapses():
    for sp in SPACES:
        for text in (f"A{sp}b", f"{sp}a b{sp}", f"a{sp}{sp} {sp}b", f"é{sp}B{sp * 3}c", sp * 4):
            assert text_hash(text) == formula(text), repr(text)
    assert text_hash("  Mutual \n\n TRUST\t") == text_hash("mutual trust")
    assert text_hash("mutual trust") != text_hash("mutualtrust")
