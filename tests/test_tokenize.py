"""The tokenizer's deliberate decisions, each a test that could fail."""

from __future__ import annotations

import pytest
from nltk.tokenize.api import TokenizerI

from discourse.tokenize import (
    PunktSentenceTokenizer,
    SentenceTokenizer,
    Tokenizer,
    WordTokenizer,
    tokenize_terms,
)


def sents(text: str) -> list[str]:
    return [s.text for s in Tokenizer().sentences(text)]


def test_implements_nltk_interface():
    assert isinstance(WordTokenizer(), TokenizerI)
    assert isinstance(SentenceTokenizer(), TokenizerI)


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Mr. Wang met Dr. Li in Moscow. They talked.",
            ["Mr. Wang met Dr. Li in Moscow.", "They talked."],
        ),
        (
            "U.S. officials said so. The talks ended.",
            ["U.S. officials said so.", "The talks ended."],
        ),
        (
            "Talks ended on Jan. 5 in Beijing. Both left.",
            ["Talks ended on Jan. 5 in Beijing.", "Both left."],
        ),
        ("No. 1 priority is trade. It grew.", ["No. 1 priority is trade.", "It grew."]),
        (
            "The envoy left the U.S. The ministry said so.",
            ["The envoy left the U.S.", "The ministry said so."],
        ),
        ("He met J. Smith. She did not.", ["He met J. Smith.", "She did not."]),
        ("“We agree.” The minister smiled.", ["“We agree.”", "The minister smiled."]),
        ("Is it over? Yes! It is.", ["Is it over?", "Yes!", "It is."]),
        ("It rose 3.1% in 2025. Exports fell.", ["It rose 3.1% in 2025.", "Exports fell."]),
        ("A heading\n\nThe body starts here.", ["A heading", "The body starts here."]),
        (
            "Figures, e.g. exports, rose. Imports fell.",
            ["Figures, e.g. exports, rose.", "Imports fell."],
        ),
    ],
)
def test_sentence_boundaries(text, expected):
    assert sents(text) == expected


def test_sentence_spans_point_into_text():
    text = "  First one.  Second one here.\n\nThird."
    for a, b in SentenceTokenizer().span_tokenize(text):
        assert text[a:b] == text[a:b].strip() and text[a:b]
    assert [text[a:b] for a, b in SentenceTokenizer().span_tokenize(text)] == [
        "First one.",
        "Second one here.",
        "Third.",
    ]


def test_words_hyphens_possessives_dashes_quotes():
    toks = WordTokenizer().tokenize(
        "China’s win-win, people-to-people ties — China–Russia “friends”"
    )
    assert toks == [
        "China",
        "’s",
        "win-win",
        ",",
        "people-to-people",
        "ties",
        "—",
        "China",
        "–",
        "Russia",
        "“",
        "friends",
        "”",
    ]


def test_word_spans_match_tokens():
    text = "The U.S. and the U.N. traded 1,000.5 tonnes; don't panic."
    spans = list(WordTokenizer().span_tokenize(text))
    assert [text[a:b] for a, b in spans] == WordTokenizer().tokenize(text)
    assert "U.S." in WordTokenizer().tokenize(text)
    assert "1,000.5" in WordTokenizer().tokenize(text)
    assert "don't" in WordTokenizer().tokenize(text)


def test_normalized_tokens_for_matching():
    (s,) = Tokenizer().sentences("Win‑win and China’s “Partnership”.")
    # non-breaking hyphen -> '-', curly apostrophe -> "'", lower case
    assert s.tokens == ["win-win", "and", "china", "'s", '"', "partnership", '"', "."]


def test_term_tokenization_keeps_wildcard():
    assert tokenize_terms("Friend* of steel") == ["friend*", "of", "steel"]
    assert tokenize_terms("win-win") == ["win-win"]


def test_punkt_engine_uses_shipped_abbreviations_without_download():
    text = "Mr. Wang met U.S. officials. The talks ended."
    spans = list(PunktSentenceTokenizer().span_tokenize(text))
    assert [text[a:b] for a, b in spans] == ["Mr. Wang met U.S. officials.", "The talks ended."]


def test_treebank_engine_selectable():
    t = Tokenizer(words="treebank")
    (s,) = t.sentences("The talks ended.")
    assert s.tokens == ["the", "talks", "ended", "."]


def test_length_changing_lowercase_keeps_tokens_aligned():
    # "İ".lower() is two characters; the tokens must still come from the right sentence
    text = "İstanbul hosted talks. Ankara said win-win."
    sents = Tokenizer().sentences(text)
    assert [s.text for s in sents] == ["İstanbul hosted talks.", "Ankara said win-win."]
    assert sents[1].tokens == ["ankara", "said", "win-win", "."]
