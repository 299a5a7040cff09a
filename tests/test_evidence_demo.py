"""Smoke checks of the evidence functions on the shipped demo corpus (corpora/demo)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from discourse import evidence as ev
from discourse.api import get_lexicon, open_inputs
from discourse.lexicon import Matcher
from discourse.store import Selection
from discourse.tokenize import tokenize_terms

DEMO = Path(__file__).resolve().parent.parent / "corpora" / "demo"
HARMONY = "Harmony Daily"
ATLANTIC = "The Atlantic Ledger"


@pytest.fixture(scope="module")
def demo():
    inputs = open_inputs([DEMO], None)
    yield inputs.store
    inputs.close()


@pytest.fixture(scope="module")
def lex():
    return get_lexicon(None)


def test_harmony_daily_partnership_keyness_is_partnership_talk(demo, lex):
    res = ev.keyness(demo, sources=[HARMONY], frame="partnership", lexicon=lex, min_count=3, top=10)
    bigrams = [r["term"] for r in res.records if r["ngram"] == 2]
    partnership_talk = {
        "mutual trust",
        "good neighbours",
        "practical cooperation",
        "strategic partners",
        "strategic partnership",
        "comprehensive strategic",
        "mutual benefit",
        "new era",
        "high level",
        "strategic coordination",
    }
    assert len(set(bigrams) & partnership_talk) >= 3, bigrams
    assert all(r["z"] > 0 for r in res.records)
    json.dumps(res.to_dict(), allow_nan=False)


def test_each_outlet_vs_rest_gives_its_own_vocabulary(demo):
    res = ev.keyness(demo, ngram=(1,), min_count=5, top=15)
    by_source: dict[str, set[str]] = {}
    for r in res.records:
        by_source.setdefault(r["source"], set()).add(r["term"])
    assert len(by_source) == 5
    assert "western" in by_source[ATLANTIC] or "officials" in by_source[ATLANTIC]


def test_kwic_frame_hits_are_lexicon_terms(demo, lex):
    res = ev.kwic(demo, "frame:partnership", Selection(sources=[HARMONY]), lexicon=lex)
    assert len(res.records) > 20
    m = Matcher(lex)
    fi = lex.frame_names.index("partnership")
    for r in res.records:
        toks = tokenize_terms(r["keyword"])
        assert any(h[0] == fi for h in m.match(toks)), r["keyword"]
    sample = ev.kwic(demo, "frame:partnership", lexicon=lex, sample=5, seed=1, window=6)
    assert len(sample.records) == 5 and sample.meta["matches"] > 5


def test_pairwise_state_outlet_vs_western_paper(demo, lex):
    res = ev.pairwise(demo, lex, frames=["partnership"])
    row = next(r for r in res.records if {r["source_a"], r["source_b"]} == {HARMONY, ATLANTIC})
    assert row["source_a"] == HARMONY and row["diff_pp"] > 40
    assert row["diff_lo_pp"] > 0 and row["p_adjusted"] < 0.01
    assert len(res.records) == 10  # 5 sources -> 10 pairs


def test_trend_lexicon_stats_and_suggest_run_on_demo(demo, lex):
    tr = ev.trend(demo, lex, by="month", frames=["threat"])
    assert {r["period"] for r in tr.records} == {"2026-08", "2026-09", "2026-10", "2026-11"}
    assert len(tr.records) == 5 * 4
    ls = ev.lexicon_stats(demo, lex)
    assert ls.meta["n_terms"] == sum(len(f.terms) for f in lex.frames.values())
    assert any(r["status"] == "never fires" for r in ls.records)
    sg = ev.suggest(demo, lex, "partnership", top=10)
    terms = {t for f in lex.frames.values() for t in f.terms}
    assert sg.records and not {r["candidate"] for r in sg.records} & terms
    for res in (tr, ls, sg):
        json.dumps(res.to_dict(), allow_nan=False)
