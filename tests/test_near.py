"""Proximity rules (``near:``): matching, explanation, validation with line numbers."""

from __future__ import annotations

import hashlib
import json
import random

import pytest

from discourse.classifier.features import lexicon_from_data, lexicon_to_data
from discourse.errors import LexiconError
from discourse.lexicon import convert, parse_lexicon
from discourse.models import Article
from discourse.scoring import Scorer
from tests.conftest import write

LEX = """name: near-test
version: "1"
frames:
  partnership:
    terms: ["friendship"]
    exclude: ["not close"]
    near:
      - name: close_ties
        terms_a: ["relationship", "ties", "relations"]
        terms_b: ["close*", "warm"]
        window: 3
  threat:
    terms: ["threat"]
"""


NEAR_BLOCK = LEX[LEX.index("    near:\n") : LEX.index("  threat:")]


def hits(text: str, lexicon: str = LEX) -> list[tuple[str, str, int, int, int]]:
    lex = parse_lexicon(lexicon)
    fast = Scorer(lex).score(Article(text, "s"), keep=True)
    ref = Scorer(lex, engine="reference").score(Article(text, "s"), keep=True)
    got = [(h.frame, h.term, h.sentence, h.tok_start, h.tok_end) for h in fast.hits]
    assert got == [(h.frame, h.term, h.sentence, h.tok_start, h.tok_end) for h in ref.hits]
    return got


@pytest.mark.parametrize(
    "text, expected",
    [
        # either order; the span covers both ends; gap = tokens between the two
        ("Relations are warm.", [(0, 3)]),
        ("Warm relations.", [(0, 2)]),
        ("The relationship is closer than ever.", [(1, 4)]),
        ("Ties are, by all accounts, close.", []),  # 5 tokens between: beyond window 3
        ("Ties, they say, are close.", []),  # 4 tokens between
        ("Ties are said to be close.", []),
        ("Ties are very close.", [(0, 4)]),  # 2 tokens between
        # each occurrence counts once; pairs form left to right
        ("Close ties, close ties.", [(0, 2), (3, 5)]),
        ("Close close ties.", [(0, 3)]),
        ("Ties and relations are warm.", [(0, 5)]),  # the earliest waiting partner in reach
        # one sentence only
        ("Ties matter. Close, they are.", []),
        # an end that overlaps an exclude of the frame does not count
        ("Ties are not close.", []),
    ],
)
def test_proximity_matching(text, expected):
    got = [(a, b) for f, term, _, a, b in hits(text) if term == "near:close_ties"]
    assert got == expected


def test_proximity_hits_count_with_the_frame_and_alongside_terms():
    lex = parse_lexicon(LEX)
    sc = Scorer(lex).score(Article("Friendship and warm ties. A threat.", "s"))
    assert sc.frames["partnership"].hits == 2  # the term and the rule
    assert sc.frames["partnership"].sentences_with == 1
    assert sc.frames["threat"].hits == 1


def test_proximity_fast_and_reference_paths_agree_on_random_text():
    rng = random.Random(5)
    words = [
        "ties",
        "relations",
        "close",
        "closer",
        "warm",
        "not",
        "the",
        "are",
        "very",
        "and",
        ",",
        ".",
        "Friendship",
        "threat",
    ]
    for _ in range(400):
        hits(" ".join(rng.choice(words) for _ in range(rng.randint(1, 40))))


def test_explain_highlights_both_ends(run, tmp_path):
    lex = write(tmp_path / "lex.yaml", LEX)
    doc = write(tmp_path / "a" / "one.md", "Officials said relations are warm again.\n")
    r = run("score", doc, "--lexicon", lex, "--explain")
    assert r.code == 0, r.err
    assert "[[relations are warm]]" in r.out
    assert "partnership: near:close_ties" in r.out


def test_kwic_frame_shows_proximity_hits(run, tmp_path):
    lex = write(tmp_path / "lex.yaml", LEX)
    doc = write(tmp_path / "a" / "one.md", "Officials said relations are warm again.\n")
    r = run("kwic", "frame:partnership", doc, "--lexicon", lex, "--format", "json")
    assert r.code == 0, r.err
    recs = json.loads(r.out)["records"]
    assert [(x["keyword"], x["term"]) for x in recs] == [("relations are warm", "near:close_ties")]


@pytest.mark.parametrize(
    "old, new, line, message",
    [
        ("window: 3", "window: -1", 11, "window of rule 'close_ties' must be a whole number"),
        ("window: 3", "window: 2.5", 11, "whole number of tokens from 0 to 100"),
        ("window: 3", "window: yes", 11, "got the boolean True"),
        ("window: 3", "window: 101", 11, "from 0 to 100"),
        ('terms_b: ["close*", "warm"]', "terms_b: []", 10, "terms_b is empty"),
        ('"warm"', '"*warm"', 10, "'*' is allowed only at the end of a word"),
        ('"warm"', '"wa*rm"', 10, "'*' is allowed only at the end of a word"),
        ('"warm"', '"ties"', 10, "is in both terms_a and terms_b"),
        ('"warm"', '"close*"', 10, "duplicate term"),
        ("window: 3", "window: 3\n        within: 2", 12, "unknown key 'within'"),
        ("        window: 3\n", "", 8, "has no 'window:'"),
        ("name: close_ties", "name: Close Ties", 8, "must be lower-case letters"),
        (NEAR_BLOCK, "    near: []\n", 7, "'near' of frame 'partnership' must be a list"),
        (NEAR_BLOCK, "    near: close\n", 7, "'near' of frame 'partnership' must be a list"),
        (NEAR_BLOCK, "    near:\n      - close\n", 8, "must be a mapping"),
    ],
)
def test_proximity_validation_names_the_line(old, new, line, message):
    assert old in LEX
    with pytest.raises(LexiconError) as e:
        parse_lexicon(LEX.replace(old, new, 1), "my.yaml")
    assert f"my.yaml, line {line}:" in str(e.value)
    assert message in str(e.value)


def test_duplicate_rule_names_are_refused():
    rule = LEX.split("    near:\n")[1].split("  threat:")[0]
    with pytest.raises(LexiconError, match=r"line 12: duplicate rule name 'close_ties'"):
        parse_lexicon(LEX.replace(rule, rule + rule), "my.yaml")


def test_lexicon_hash_covers_rules_and_is_unchanged_without_them():
    with_rules = parse_lexicon(LEX)
    wider = parse_lexicon(LEX.replace("window: 3", "window: 4"))
    without = parse_lexicon(LEX.replace(NEAR_BLOCK, ""))
    assert len({with_rules.sha256, wider.sha256, without.sha256}) == 3
    # without rules, the hash (part of the score cache key) is computed as before rules
    canon = {
        "name": without.name,
        "version": without.version,
        "frames": {n: {"terms": f.terms, "exclude": f.exclude} for n, f in without.frames.items()},
    }
    blob = json.dumps(canon, sort_keys=True, ensure_ascii=False).encode("utf-8")
    assert without.sha256 == hashlib.sha256(blob).hexdigest()


def test_model_files_carry_the_rules():
    lex = parse_lexicon(LEX)
    back = lexicon_from_data(json.loads(json.dumps(lexicon_to_data(lex))), "m.json")
    assert back.frames["partnership"].near == lex.frames["partnership"].near
    assert back.sha256 == lex.sha256


def test_convert_refuses_a_discourse_lexicon_instead_of_dropping_rules(tmp_path):
    src = write(tmp_path / "mine.yaml", LEX)
    with pytest.raises(LexiconError, match="already a discourse lexicon.*proximity rules"):
        convert(src)


def test_lexicon_show_lists_the_rules(run, tmp_path):
    lex = write(tmp_path / "lex.yaml", LEX)
    r = run("lexicon", "show", lex, "--frame", "partnership")
    assert r.code == 0, r.err
    assert "near:close_ties: (relationship, ties, relations) within 3 tokens of" in r.out


def test_lexicon_stats_counts_each_rule(run, tmp_path):
    lex = write(tmp_path / "lex.yaml", LEX)
    write(tmp_path / "a" / "one.md", "Officials said relations are warm again. Warm ties.\n")
    r = run("lexicon", "stats", tmp_path / "a", "--lexicon", lex, "--format", "json")
    assert r.code == 0, r.err
    recs = {(x["kind"], x["term"]): x["hits"] for x in json.loads(r.out)["records"]}
    assert recs[("near", "near:close_ties")] == 2
    assert recs[("term", "friendship")] == 0
