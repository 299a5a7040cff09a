"""discourse.evidence on a small in-memory store written here: kwic, keyness, trend,
pairwise, lexicon stats, suggest, and what empty selections give."""

from __future__ import annotations

import json
import math
from collections import Counter

import pytest

from discourse import evidence as ev
from discourse import stats
from discourse.errors import InputError
from discourse.lexicon import parse_lexicon
from discourse.models import Article
from discourse.store import Selection, open_store

LEXICON = """
name: test-frames
version: "0.1"
frames:
  partnership:
    terms: [mutual trust, win-win, friend*]
    exclude: [friendship university]
  anti_hegemonism:
    terms: [hegemon*, power politics]
  threat:
    terms: [threat, alliance, power]
  unused:
    terms: [zebra crossing]
"""

TEXTS = {
    "A1": "The two neighbours pledged mutual trust against any threat. Win-win cooperation "
    "will grow.\n\nHegemonism is rejected.",
    "A2": "Mutual trust deepens between friendly neighbours. Trade rose.",
    "B1": "Sanctions hit trade. The alliance is a threat. She studied at the Friendship "
    "University.",
    "B2": "Hegemonic power politics was denounced. Mutual trust is hollow.",
    "G1": "Undated text about mutual trust.",
}


@pytest.fixture
def lex():
    return parse_lexicon(LEXICON)


@pytest.fixture
def store():
    s = open_store(":memory:")
    s.add_articles(
        [
            Article(TEXTS["A1"], "Alpha", title="a1", date="2026-03-02"),
            Article(TEXTS["A2"], "Alpha", title="a2", date="2026-03-03"),
            Article(TEXTS["B1"], "Beta", title="b1", date="2026-03-04"),
            Article(TEXTS["B2"], "Beta", title="b2", date="2026-03-18"),
            Article(TEXTS["G1"], "Gamma", title="g1"),
        ]
    )
    yield s
    s.close()


def strict_json(result: ev.Evidence) -> None:
    """Serializes as strict JSON: no NaN or Infinity anywhere."""
    json.dumps(result.to_dict(), allow_nan=False)


# ----------------------------------------------------------------- stop words


def test_stopwords_are_shipped_with_the_package():
    from importlib import resources

    assert resources.files("discourse").joinpath("stopwords.txt").is_file()
    words = ev.stopwords()
    assert 180 <= len(words) <= 300
    assert {"the", "of", "and", "'s", "would", "between"} <= words
    assert not {"partnership", "trust", "said", "china", "#"} & words


def test_ngrams_break_at_stop_words_punctuation_numbers_and_masks():
    toks = ["the", "mutual", "trust", ",", "win-win", "cooperation", "in", "2026", "grows"]
    got = list(ev.ngrams(toks, (1, 2), ev.stopwords()))
    assert got == [
        (1, "mutual"),
        (1, "trust"),
        (2, "mutual trust"),
        (1, "win-win"),
        (1, "cooperation"),
        (2, "win-win cooperation"),
        (1, "grows"),
    ]
    masked = list(ev.ngrams(toks, (2,), ev.stopwords(), masked={2}))
    assert masked == [(2, "win-win cooperation")]


# ------------------------------------------------------------------------ kwic


def test_kwic_term_in_sentence_context(store):
    res = ev.kwic(store, "mutual trust")
    assert [r["title"] for r in res.records] == ["a1", "a2", "b2", "g1"]
    first = res.records[0]
    assert first["keyword"] == "mutual trust"
    assert first["left"] == "The two neighbours pledged "
    assert first["right"] == " against any threat."
    assert first["source"] == "Alpha" and first["date"] == "2026-03-02"
    assert first["sentence"] == 0 and first["term"] == "mutual trust"
    for r in res.records:
        assert TEXTS[r["title"].upper()][r["start"] : r["end"]].lower() == "mutual trust"
    assert res.records[1]["keyword"] == "Mutual trust" and res.records[1]["left"] == ""
    assert res.meta["matches"] == 4 and res.meta["context"] == "sentence"
    strict_json(res)


def test_kwic_wildcard_phrase_and_case(store):
    res = ev.kwic(store, "HEGEMON*")
    assert [r["keyword"] for r in res.records] == ["Hegemonism", "Hegemonic"]
    res = ev.kwic(store, "hegemon* power")
    assert [r["keyword"] for r in res.records] == ["Hegemonic power"]


def test_kwic_window_crosses_sentences_and_collapses_whitespace(store):
    res = ev.kwic(store, "win-win", window=3)
    (r,) = res.records
    assert r["left"] == "any threat. "
    assert r["right"] == " cooperation will grow"
    res = ev.kwic(store, "hegemonism", window=2)
    assert res.records[0]["left"] == "grow. "  # the blank line became one space
    assert res.records[0]["right"] == " is rejected"
    res = ev.kwic(store, "win-win", window=0)
    assert res.records[0]["left"] == "" and res.records[0]["right"] == ""


def test_kwic_frame_pattern_lists_counted_hits(store, lex):
    res = ev.kwic(store, "frame:anti_hegemonism", lexicon=lex)
    assert [(r["keyword"], r["term"]) for r in res.records] == [
        ("Hegemonism", "hegemon*"),
        ("Hegemonic", "hegemon*"),
        ("power politics", "power politics"),
    ]
    assert all(r["frame"] == "anti_hegemonism" for r in res.records)
    # the excluded span does not count
    res = ev.kwic(store, "frame:partnership", lexicon=lex)
    assert "Friendship" not in [r["keyword"] for r in res.records]
    assert "friendly" in [r["keyword"] for r in res.records]
    assert res.meta["lexicon"] == "test-frames"


def test_kwic_selection_sample_and_limit(store):
    res = ev.kwic(store, "mutual trust", Selection(sources=["Beta"]))
    assert [r["title"] for r in res.records] == ["b2"]
    res = ev.kwic(store, "mutual trust", Selection(since="2026-03-03"))
    assert [r["title"] for r in res.records] == ["a2", "b2"]
    everything = [r["title"] for r in ev.kwic(store, "mutual trust").records]
    one = ev.kwic(store, "mutual trust", sample=2, seed=5)
    again = ev.kwic(store, "mutual trust", sample=2, seed=5)
    assert one.records == again.records
    titles = [r["title"] for r in one.records]
    assert len(titles) == 2 and set(titles) <= set(everything)
    assert titles == sorted(titles, key=everything.index)  # corpus order kept
    seeds = {
        tuple(r["title"] for r in ev.kwic(store, "trust", sample=2, seed=s).records)
        for s in range(30)
    }
    assert len(seeds) > 1  # the seed matters
    assert len(ev.kwic(store, "mutual trust", sample=10).records) == 4
    lim = ev.kwic(store, "mutual trust", limit=2)
    assert [r["title"] for r in lim.records] == ["a1", "a2"]
    assert lim.meta["truncated"] is True and lim.meta["matches"] is None


def test_kwic_bad_patterns(store, lex):
    with pytest.raises(InputError, match="a word of only"):  # globs ('*gemon') are patterns now
        ev.kwic(store, "mutual *")
    with pytest.raises(InputError, match="no words"):
        ev.kwic(store, "   ")
    with pytest.raises(InputError, match="no frame 'nope'"):
        ev.kwic(store, "frame:nope", lexicon=lex)
    with pytest.raises(InputError, match="`window`"):
        ev.kwic(store, "trust", window=-1)


def test_kwic_no_match_is_readable(store):
    res = ev.kwic(store, "zebra")
    assert res.records == [] and res.meta["matches"] == 0
    assert res.notes == ["no match for 'zebra' in the selection"]


# --------------------------------------------------------------------- keyness


def test_keyness_from_the_store_equals_hand_counts():
    s = open_store(":memory:")
    s.add_articles(
        [Article("Apples apples and pears.", "Red"), Article("The pears, plums!", "Blue")]
    )
    res = ev.keyness(s, sources=["Red"], ngram=(1,), min_count=1, top=0)
    # Red: apples 2, pears 1 (n = 3); Blue: pears 1, plums 1 (n = 2); prior = sum, a0 = 5
    # apples: log((2+2)/(3+5-2-2)) - log((0+2)/(2+5-0-2)) = log(2.5); se^2 = 1/4 + 1/2
    (row,) = res.records  # pears has z < 0 for Red, so only apples is key
    assert row["term"] == "apples" and row["count"] == 2 and row["count_vs"] == 0
    assert row["log_odds"] == pytest.approx(math.log(2.5))
    assert row["z"] == pytest.approx(math.log(2.5) / math.sqrt(0.75))
    assert row["vs"] == "rest" and row["rank"] == 1 and row["ngram"] == 1
    big = ev.keyness(s, sources=["Red"], ngram=(2,), min_count=1, top=0)
    # "and" breaks "apples pears" and the comma "pears plums": Blue has no bigram at all
    assert big.records == [] and big.meta["content_tokens"] == {"Blue": None, "Red": None}
    s.add_articles([Article("Sweet plums.", "Blue")])
    big = ev.keyness(s, sources=["Red"], ngram=(2,), min_count=1, top=0)
    assert [r["term"] for r in big.records] == ["apples apples"]
    s.close()


def test_keyness_within_frame_sentences(store, lex):
    res = ev.keyness(
        store, sources=["Alpha"], frame="partnership", lexicon=lex, ngram=(1,), min_count=1, top=0
    )
    alpha = Counter(
        ["two", "neighbours", "pledged", "mutual", "trust", "threat", "win-win"]
        + ["cooperation", "grow", "mutual", "trust", "deepens", "friendly", "neighbours"]
    )
    rest = Counter(["mutual", "trust", "hollow", "undated", "text", "mutual", "trust"])
    expected = [r for r in stats.log_odds_dirichlet(alpha, rest, alpha + rest) if r["z"] > 0]
    assert [(r["term"], r["z"]) for r in res.records] == [
        (r["term"], pytest.approx(r["z"])) for r in expected
    ]
    assert res.records[0]["term"] == "neighbours"
    assert res.meta["sentences"] == {"Alpha": 3, "Beta": 1, "Gamma": 1}
    assert res.records[0]["frame"] == "partnership"


def test_keyness_each_source_vs_rest_and_vs_one(store):
    res = ev.keyness(store, ngram=(1,), min_count=1)
    assert {r["source"] for r in res.records} == {"Alpha", "Beta", "Gamma"}
    res = ev.keyness(store, sources=["Alpha"], vs="Beta", ngram=(1, 2), min_count=1)
    assert {r["vs"] for r in res.records} == {"Beta"}
    assert {r["ngram"] for r in res.records} == {1, 2}
    res = ev.keyness(store, vs="Beta", ngram=(1,), min_count=1)
    assert "Beta" not in {r["source"] for r in res.records}
    extra = ev.keyness(store, ngram=(1,), min_count=1, top=0, extra_stopwords=["Neighbours"])
    assert "neighbours" not in {r["term"] for r in extra.records}


def test_keyness_input_errors(store, lex):
    with pytest.raises(InputError, match="unknown source 'Delta'"):
        ev.keyness(store, sources=["Delta"])
    with pytest.raises(InputError, match="`vs` 'Alpha' is also a `source`"):
        ev.keyness(store, sources=["Alpha"], vs="Alpha")
    with pytest.raises(InputError, match="no frame"):
        ev.keyness(store, frame="nope", lexicon=lex)
    with pytest.raises(InputError, match="needs a lexicon"):
        ev.keyness(store, frame="partnership")
    with pytest.raises(InputError, match="`ngram`"):
        ev.keyness(store, ngram=(3,))


def test_keyness_frame_that_never_fires(store, lex):
    res = ev.keyness(store, frame="unused", lexicon=lex, min_count=1)
    assert res.records == []
    assert any("Alpha: no sentences carrying unused" in n for n in res.notes)
    strict_json(res)


# ----------------------------------------------------------------------- trend


def test_trend_fills_empty_periods_and_sources(store, lex):
    res = ev.trend(store, lex, by="week", frames=["partnership"])
    assert res.meta["periods"] == ["2026-W10", "2026-W11", "2026-W12"]
    assert res.meta["undated_left_out"] == 1
    rows = {(r["source"], r["period"]): r for r in res.records}
    assert len(rows) == 9  # Alpha, Beta, Gamma x three weeks
    a10 = rows[("Alpha", "2026-W10")]
    assert (a10["n_articles"], a10["n_present"], a10["prevalence"]) == (2, 2, 1.0)
    lo, hi = stats.wilson(2, 2)
    assert (a10["prevalence_lo"], a10["prevalence_hi"]) == (lo, hi)
    assert a10["hits"] == 4
    assert a10["per_1k"] == pytest.approx(1000 * 4 / a10["tokens"])
    a11 = rows[("Alpha", "2026-W11")]
    assert a11["n_articles"] == 0 and a11["prevalence"] is None and a11["per_1k"] is None
    assert a11["note"] == "no articles" and a11["flag"] == ""
    assert all(rows[("Gamma", p)]["n_articles"] == 0 for p in res.meta["periods"])
    assert "binomial" in res.meta["rule"]
    assert res.notes == ["1 undated article left out"]
    strict_json(res)


def test_trend_by_month_combined(store, lex):
    res = ev.trend(store, lex, by="month", combine=True)
    assert {r["source"] for r in res.records} == {ev.ALL_SOURCES}
    part = next(r for r in res.records if r["frame"] == "partnership")
    assert (part["period"], part["n_articles"], part["n_present"]) == ("2026-03", 4, 3)


# -------------------------------------------------------------------- pairwise


def test_pairwise_from_the_store(store, lex):
    res = ev.pairwise(store, lex, frames=["partnership"], correction="holm")
    assert [(r["source_a"], r["source_b"]) for r in res.records] == [
        ("Alpha", "Beta"),
        ("Alpha", "Gamma"),
        ("Beta", "Gamma"),
    ]
    ab = res.records[0]
    assert (ab["present_a"], ab["n_a"], ab["present_b"], ab["n_b"]) == (2, 2, 1, 2)
    assert ab["diff_pp"] == pytest.approx(50.0)
    assert ab["test"] == "fisher" and ab["p_value"] == pytest.approx(1.0)
    assert "Holm" in res.meta["statistic"] and "Newcombe" in res.meta["statistic"]
    with pytest.raises(InputError, match="`correction`"):
        ev.pairwise(store, lex, correction="sidak")


def test_pairwise_by_week_has_rows_for_absent_sources(store, lex):
    res = ev.pairwise(store, lex, by=("source", "week"), frames=["threat"], correction="bh")
    w12 = [r for r in res.records if r["week"] == "2026-W12"]
    assert len(w12) == 1 and w12[0]["n_a"] == 0 and "no articles from Alpha" in w12[0]["note"]
    assert res.meta["undated_left_out"] == 1
    strict_json(res)


# --------------------------------------------------------------- lexicon stats


def test_lexicon_stats_counts_never_generic_and_overlap(store, lex):
    res = ev.lexicon_stats(store, lex)
    rows = {(r["frame"], r["kind"], r["term"]): r for r in res.records}
    mt = rows[("partnership", "term", "mutual trust")]
    assert (mt["hits"], mt["articles"], mt["sources"]) == (4, 4, 3)
    assert mt["article_share"] == pytest.approx(0.8) and mt["status"] == "generic"
    assert mt["top_source"] == "Alpha" and mt["top_source_share"] == pytest.approx(0.5)
    friend = rows[("partnership", "term", "friend*")]
    assert friend["hits"] == 1  # "friendly"; "Friendship University" is excluded
    ex = rows[("partnership", "exclude", "friendship university")]
    assert ex["hits"] == 1 and ex["status"] == ""
    zebra = rows[("unused", "term", "zebra crossing")]
    assert zebra["hits"] == 0 and zebra["status"] == "never fires"
    assert zebra["top_source"] is None and zebra["top_source_share"] is None
    assert rows[("threat", "term", "threat")]["hits"] == 2
    assert res.tables["overlap"] == [
        {
            "frame_a": "anti_hegemonism",
            "term_a": "power politics",
            "frame_b": "threat",
            "term_b": "power",
            "spans": 1,
            "articles": 1,
        }
    ]
    assert res.meta["never_fire"] == 1 and res.meta["generic"] == 1
    strict_json(res)
    looser = ev.lexicon_stats(store, lex, generic_share=0.9)
    assert looser.meta["generic"] == 0


# --------------------------------------------------------------------- suggest


def test_suggest_candidates_for_a_frame(store, lex):
    res = ev.suggest(store, lex, "partnership", min_count=1, top=0)
    cands = {r["candidate"]: r for r in res.records}
    top = res.records[0]
    assert top["candidate"] == "neighbours" and top["count"] == 2 and top["count_other"] == 0
    assert top["articles"] == 2 and top["sources"] == 1
    assert "neighbours" in top["example"].lower() and top["example_id"] is not None
    # the frame's own hits are masked, stop words left out
    assert not {"mutual", "trust", "mutual trust", "friendly", "win-win", "the"} & set(cands)
    # a word another frame already has is marked, not hidden
    assert cands["threat"]["in_lexicon"] == "threat"
    assert res.meta["sentences_in_frame"] == 5
    strict_json(res)
    with pytest.raises(InputError, match="no frame"):
        ev.suggest(store, lex, "nope")


def test_suggest_frame_that_never_fires(store, lex):
    res = ev.suggest(store, lex, "unused")
    assert res.records == []
    assert res.notes == ["frame unused fires in no sentence of the selection; nothing to suggest"]


# --------------------------------------------------------------- empty selection


def test_every_function_is_readable_on_an_empty_selection(store, lex):
    empty = Selection(since="2030-01-01")
    results = [
        ev.keyness(store, empty),
        ev.kwic(store, "trust", empty),
        ev.trend(store, lex, empty),
        ev.pairwise(store, lex, empty),
        ev.lexicon_stats(store, lex, empty),
        ev.suggest(store, lex, "partnership", empty),
    ]
    for res in results:
        strict_json(res)
        assert res.notes, res.meta
        assert res.meta["n_articles"] == 0
    assert results[2].records == [] and results[3].records == []
    assert all(r["status"] == "" and r["article_share"] is None for r in results[4].records)


def test_parse_ngram_and_progress(store):
    assert ev.parse_ngram("1,2") == (1, 2)
    assert ev.parse_ngram("2") == (2,)
    assert ev.parse_ngram(" 2, 1 ") == (1, 2)
    for bad in ("3", "", "1,x", "0"):
        with pytest.raises(InputError, match="`ngram`"):
            ev.parse_ngram(bad)
    seen: list[int] = []
    ev.keyness(store, min_count=1, progress=seen.append)
    assert seen == [5]


def test_counts_must_be_sensible(store, lex):
    with pytest.raises(InputError, match="`min_count`"):
        ev.keyness(store, min_count=0)
    with pytest.raises(InputError, match="`top`"):
        ev.suggest(store, lex, "partnership", top=-1)
    with pytest.raises(InputError, match="`alpha`"):
        ev.trend(store, lex, alpha=1.5)
    with pytest.raises(InputError, match="`generic_share`"):
        ev.lexicon_stats(store, lex, generic_share=0)


def _keyness_reference(tokenizer, sizes, stop, text):
    """_keyness_art's counts the plain way: ngrams over each of Tokenizer.sentences."""
    grams = {n: Counter() for n in sizes}
    sents = tokenizer.sentences(text)
    for sent in sents:
        for n, gram in ev.ngrams(sent.tokens, sizes, stop):
            grams[n][gram] += 1
    return len(sents), grams


@pytest.mark.parametrize("sizes", [(1,), (2,), (1, 2)])
@pytest.mark.parametrize("engines", [("fast", "fast"), ("punkt", "treebank")])
def test_keyness_counts_from_flat_tokens_equal_the_sentence_path(sizes, engines):
    """Same sentences, same n-grams, same counts and the same key order (ties keep it)."""
    import random
    from pathlib import Path

    from discourse.tokenize import Tokenizer
    from tests.conftest import DEMO
    from tests.test_engine import _bench_generator

    tokenizer = Tokenizer(*engines)
    stop = ev.stopwords()
    rng = random.Random(7)
    texts = [_bench_generator().make_article(rng) for _ in range(15)]
    texts += [p.read_text(encoding="utf-8") for p in sorted(Path(DEMO).rglob("*.md"))[:40]]
    texts += ["", "Straße STRASSE.\x00 The U.S. and E.U. met; 3.5% rose.", "Win-win! Cold war."]
    for text in texts:
        n, got = ev._all_grams(tokenizer, sizes, stop, text)
        n_ref, ref = _keyness_reference(tokenizer, sizes, stop, text)
        assert n == n_ref
        assert {k: list(v.items()) for k, v in got.items()} == {
            k: list(v.items()) for k, v in ref.items()
        }
