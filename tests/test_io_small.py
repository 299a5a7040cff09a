"""Issue 10's small items: glyph warnings, control characters in terms, one Unicode rule."""

from __future__ import annotations

import json
import sqlite3
import unicodedata
import warnings

import pytest

from discourse.errors import LexiconError
from discourse.lexicon import parse_lexicon

from .conftest import write

LEX = "name: t\nversion: '1'\nlanguage: en\nframes:\n  a:\n    label: A\n    terms:\n      - ok\n"


@pytest.mark.parametrize(
    "term, code",
    [
        ('"bad\\0term"', "U+0000"),
        ('"line\\nbreak"', "U+000A"),
        ('"esc\\e[2J"', "U+001B"),
        ('"rtl\\u202Eok"', "U+202E"),
        ('"isolate\\u2066x"', "U+2066"),
        ('"c1\\x9bx"', "U+009B"),
        ('"tab\\tx"', "U+0009"),
    ],
)
def test_a_term_with_a_control_character_is_refused_with_file_and_line(term, code):
    with pytest.raises(LexiconError) as e:
        parse_lexicon(LEX + f"      - {term}\n", "l.yaml")
    msg = str(e.value)
    assert msg.startswith("l.yaml, line 9: term ") and code in msg
    assert msg.isprintable()


def test_control_characters_are_refused_in_exclude_and_near_terms_too():
    bad = '"x\\ny"'
    with pytest.raises(LexiconError, match=r"l.yaml, line 10: exclude .*U\+000A"):
        parse_lexicon(LEX + f"    exclude:\n      - {bad}\n", "l.yaml")


def test_plain_unicode_terms_are_still_accepted():
    lex = parse_lexicon(
        LEX + "      - café\n      - 中国\n      - zero\u200dwidth joiner\n", "l.yaml"
    )
    assert lex.frames["a"].terms == ["ok", "café", "中国", "zero\u200dwidth joiner"]


def test_name_no_suggests_quoting_the_text_as_written():
    with pytest.raises(LexiconError, match=r'quote it, e.g. name: "no"') as e:
        parse_lexicon("name: no\nversion: '1'\nframes:\n  a:\n    terms: [x]\n", "l.yaml")
    assert '"False"' not in str(e.value)


# ----------------------------------------------------------- one normalization rule


def test_dedupe_uses_the_same_normalization_as_storing_and_matching(run, tmp_path):
    """NFC and case folding: an NFD copy, an upper-case copy, a copy with the ligature ﬁ
    (casefold gives fi) are duplicates; a compatibility variant that case folding keeps
    (fullwidth letters) is a different text, as it is for matching."""
    base = "The café signed a fine deal on win-win terms."
    nfd = unicodedata.normalize("NFD", base)
    assert nfd != base
    recs = [
        base,
        nfd,  # same text in NFD: stored as NFC, so a duplicate
        base.upper(),  # case-folded: a duplicate
        base.replace("fine", "\ufb01ne"),  # ligature: casefold folds it, a duplicate
        base.replace("The", "\uff34\uff48\uff45"),  # fullwidth: NFKC would fold it; not we
    ]
    path = write(
        tmp_path / "a.jsonl", "".join(json.dumps({"source": "S", "text": t}) + "\n" for t in recs)
    )
    r = run("ingest", path, "--db", tmp_path / "t.db")
    assert r.code == 0, r.err
    assert "added 2, duplicates 3" in r.err
    # ... and matching agrees: the fullwidth word is not the plain word
    out = run("kwic", "the", "--db", tmp_path / "t.db", "--format", "json").out
    assert len(json.loads(out)["records"]) == 1


def test_stores_keyed_the_old_way_are_rekeyed_on_open(run, tmp_path):
    """A store written with NFKC keys is migrated, so re-ingesting the same text adds nothing."""
    import hashlib

    from discourse.store import _MIGRATIONS, SCHEMA_VERSION

    text = "The café deal costs \u00bd of the \uff34otal."  # NFKC folds ½ and Ｔ; NFC does not
    path = write(tmp_path / "a.jsonl", json.dumps({"source": "S", "text": text}) + "\n")
    db = tmp_path / "t.db"
    old = hashlib.sha256(
        " ".join(unicodedata.normalize("NFKC", text).casefold().split()).encode()
    ).hexdigest()
    with sqlite3.connect(db) as c:  # a store as schema 2 wrote it
        c.executescript(_MIGRATIONS[1])
        c.executescript(_MIGRATIONS[2])
        c.execute(
            "INSERT INTO articles (source, text, text_hash, added_at) VALUES ('S', ?, ?, 'x')",
            (text, old),
        )
        c.execute("PRAGMA user_version = 2")
    r = run("ingest", path, "--db", db)
    assert "added 0, duplicates 1" in r.err, r.err
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert c.execute("SELECT text_hash FROM articles").fetchone()[0] != old


# -------------------------------------------------------------- report glyphs


def test_report_charts_raise_no_glyph_warnings_for_cjk_sources_and_keep_the_label(run, tmp_path):
    recs = [
        {"source": "人民日报", "text": "They pledged win-win cooperation.", "date": "2026-01-05"},
        {"source": "조선일보", "text": "A threat of hegemony.", "date": "2026-01-06"},
    ]
    path = write(tmp_path / "a.jsonl", "".join(json.dumps(r) + "\n" for r in recs))
    db = tmp_path / "t.db"
    assert run("ingest", path, "--db", db).code == 0
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        r = run("report", "--db", db, "-o", tmp_path / "rep", "-q")
    assert r.code == 0 and r.err == ""
    assert not [w for w in seen if "Glyph" in str(w.message)], [str(w.message) for w in seen]
    html = next((tmp_path / "rep").rglob("report.html")).read_text(encoding="utf-8")
    assert "<svg" in html and "人民日报" in html.split("<svg", 1)[1]
