"""Lexicon loading, validation (one clear message with a line number) and matching."""

from __future__ import annotations

import pytest

from discourse.errors import LexiconError
from discourse.lexicon import Matcher, convert_liwc, load_lexicon, parse_lexicon, run_examples
from discourse.tokenize import Tokenizer

from .conftest import LEXICON, write

CORE = ("partnership", "multilateralism", "anti_hegemonism")
CONTRAST = ("threat", "economic", "history")


def lex(frames_yaml: str) -> str:
    return f"name: t\nversion: '1.0'\nframes:\n{frames_yaml}"


def hits(lexicon, text):
    m = Matcher(lexicon)
    out = []
    for s in Tokenizer().sentences(text):
        for fi, term, a, b in m.match(s.tokens):
            out.append((m.frames[fi], term, " ".join(s.tokens[a:b])))
    return out


# ----------------------------------------------------------------- the shipped lexicon


def test_shipped_lexicon_meets_the_issue():
    lx = load_lexicon(LEXICON)
    assert list(lx.frames)[:6] == [*CORE, *CONTRAST]
    for f in CORE:
        assert len(lx.frames[f].terms) >= 40, f
    for f in CONTRAST:
        assert len(lx.frames[f].terms) >= 20, f
    for f in lx.frames.values():
        assert len(f.match_examples) >= 5, f.name
        assert len(f.no_match_examples) >= 3, f.name
    assert any("partnership for peace" in e.lower() for e in lx.frames["partnership"].exclude)


def test_every_proximity_rule_of_the_shipped_lexicon_has_an_example_it_decides():
    """Each near: rule fires on at least one match example; without the rule that example
    would not fire its frame (so the example tests the rule, not the word list)."""
    lx = load_lexicon(LEXICON)
    rules = [(f.name, r) for f in lx.frames.values() for r in f.near]
    assert len(rules) >= 5
    results = run_examples(lx)
    for fname, rule in rules:
        deciding = [
            r
            for r in results
            if r.frame == fname
            and r.kind == "match"
            and r.ok
            and all(t.startswith(f"near:{rule.name}") for t in r.terms)
        ]
        assert deciding, f"no match example of {fname} fires only through near:{rule.name}"


@pytest.mark.parametrize("path", sorted((LEXICON.parent).glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_lexicon_passes_its_examples(path):
    results = run_examples(load_lexicon(path))
    failed = [(r.frame, r.kind, r.sentence, r.terms) for r in results if not r.ok]
    assert results and not failed


# ----------------------------------------------------------------------- validation


def test_yaml_syntax_error_names_the_line(tmp_path):
    p = write(tmp_path / "bad.yaml", lex("  a:\n    terms: [x, y\n    label: z\n"))
    with pytest.raises(LexiconError, match=r"bad\.yaml, line \d+: YAML error"):
        load_lexicon(p)


@pytest.mark.parametrize("word", ["no", "yes", "on", "off", "true", "null"])
def test_unquoted_yaml_booleans_are_rejected_with_a_hint(word):
    with pytest.raises(LexiconError, match=rf"line 7: .*not text.*quote it: .{word}.") as e:
        parse_lexicon(lex(f"  a:\n    terms:\n      - sovereignty\n      - {word}\n"))
    assert "\n" not in str(e.value)


def test_quoted_no_is_fine():
    lx = parse_lexicon(lex("  a:\n    terms: ['no', sovereignty]\n"))
    assert lx.frames["a"].terms == ["no", "sovereignty"]


def test_duplicate_term_is_rejected():
    with pytest.raises(LexiconError, match=r"line 7: duplicate term 'Win-Win' in frame 'a'"):
        parse_lexicon(lex("  a:\n    terms:\n      - win-win\n      - Win-Win\n"))


def test_empty_frame_is_rejected():
    with pytest.raises(LexiconError, match=r"frame 'a' is empty"):
        parse_lexicon(lex("  a:\n"))
    with pytest.raises(LexiconError, match=r"terms is empty"):
        parse_lexicon(lex("  a:\n    terms: []\n"))


def test_python_object_tag_is_refused():
    text = lex("  a:\n    terms: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(LexiconError, match=r"line 5: YAML error: unsupported YAML tag"):
        parse_lexicon(text)


def test_wildcard_only_at_word_end():
    with pytest.raises(LexiconError, match=r"only at the end of a word"):
        parse_lexicon(lex("  a:\n    terms: ['he*gemony']\n"))


def test_unknown_key_and_bad_frame_name():
    with pytest.raises(LexiconError, match=r"unknown key 'term'"):
        parse_lexicon(lex("  a:\n    term: [x]\n"))
    with pytest.raises(LexiconError, match=r"frame name 'Bad Name'"):
        parse_lexicon(lex("  Bad Name:\n    terms: [x]\n"))


def test_version_must_be_text():
    with pytest.raises(LexiconError, match=r"'version' must be text"):
        parse_lexicon("name: t\nversion: 1.2\nframes:\n  a:\n    terms: [x]\n")


def test_missing_file_is_one_line(tmp_path):
    with pytest.raises(LexiconError, match="lexicon not found"):
        load_lexicon(tmp_path / "nope.yaml")


# ------------------------------------------------------------------------- matching


def test_phrases_wildcards_longest_match_and_excludes():
    lx = parse_lexicon(
        lex(
            "  p:\n"
            "    terms: [partnership, strategic partnership, friend* of steel, win-win]\n"
            "    exclude: [partnership for peace]\n"
            "  m:\n"
            "    terms: [UN, multipolar*]\n"
        )
    )
    found = hits(lx, "A strategic partnership and friends of steel pursue win-win aims at the UN.")
    assert ("p", "strategic partnership", "strategic partnership") in found
    assert ("p", "partnership", "partnership") not in found  # longest match wins
    assert ("p", "friend* of steel", "friends of steel") in found
    assert ("p", "win-win", "win-win") in found
    assert ("m", "UN", "un") in found
    assert hits(lx, "NATO's Partnership for Peace began in 1994.") == []
    assert hits(lx, "A multipolarity of views.") == [("m", "multipolar*", "multipolarity")]
    # hyphenated terms match hyphenated text only, not the spaced form
    assert hits(lx, "a win win game") == []


def test_one_span_may_count_for_several_frames():
    lx = parse_lexicon(lex("  a:\n    terms: [unipolar world]\n  b:\n    terms: [unipolar*]\n"))
    frames = sorted(f for f, _, _ in hits(lx, "They reject a unipolar world."))
    assert frames == ["a", "b"]


def test_hash_changes_with_terms_not_comments():
    a = parse_lexicon(lex("  a:\n    terms: [x]\n"))
    b = parse_lexicon("# a comment\n" + lex("  a:\n    terms: [x]  # note\n"))
    c = parse_lexicon(lex("  a:\n    terms: [x, y]\n"))
    assert a.hash == b.hash != c.hash


# ----------------------------------------------------------------------- conversion

LIWC = """%
1\tpartnership
2\tThreat Words
%
friend*\t1
win-win\t1
mutual trust\t1
axis\t2
menac*\t2\t1
like\t(02 134)125/464
"""


def test_convert_liwc():
    frames, warnings = convert_liwc(LIWC, "x.dic")
    assert frames["partnership"]["terms"] == ["friend*", "win-win", "mutual trust", "menac*"]
    assert frames["threat_words"]["terms"] == ["axis", "menac*"]
    assert any("line 10" in w and "conditional" in w for w in warnings)


def test_convert_cli_writes_a_loadable_lexicon(run, tmp_path):
    dic = write(tmp_path / "frames.dic", LIWC)
    out = tmp_path / "frames.yaml"
    r = run("lexicon", "convert", dic, "-o", out)
    assert r.code == 0, r.err
    lx = load_lexicon(out)
    assert set(lx.frames) == {"partnership", "threat_words"}
    assert run("lexicon", "check", out).code == 0


def test_convert_rejects_non_liwc(run, tmp_path):
    bad = write(tmp_path / "x.dic", "just words\n")
    r = run("lexicon", "convert", bad)
    assert r.code == 1
    assert r.err.startswith("discourse: error: ") and r.err.count("\n") == 1
