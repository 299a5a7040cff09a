"""scoring: the one scoring path gives the same scores fresh and from the store's cache."""

from __future__ import annotations

from discourse import api
from discourse.ingest import ingest
from discourse.scoring import Scorer, ScoreStats, article_row
from discourse.store import open_store

from .conftest import DEMO


def test_cached_scores_equal_fresh_scores(tmp_path):
    lex = api.get_lexicon(None)
    path = str(tmp_path / "s.db")
    with open_store(path) as store:
        ingest(store, [DEMO / "harmony-daily"], warn=lambda m: None)
    rows = []
    for _ in range(2):
        stats = ScoreStats()
        with api.open_inputs(None, path) as inp:
            scorer = Scorer(lex)
            sel = api.selection()
            rows.append(
                [article_row(sc, scorer.frames) for sc in api.scores(inp, scorer, sel, stats)]
            )
        if not rows[1:]:
            assert stats.scored > 0 and stats.cached == 0
    assert stats.scored == 0 and stats.cached == len(rows[0])
    assert rows[0] == rows[1]


def test_article_row_counts_agree_with_hits():
    lex = api.get_lexicon(None)
    with api.open_inputs([DEMO / "harmony-daily"], None) as inp:
        scorer = Scorer(lex)
        for sc in scorer.score_batch(list(inp.store.iter_articles(api.selection())), keep=True):
            row = article_row(sc, scorer.frames)
            for f in scorer.frames:
                hits = sum(1 for h in sc.hits if h.frame == f)
                assert row[f"{f}_hits"] == hits
                assert row[f"{f}_present"] == int(hits > 0) or scorer.method != "lexicon"


def test_a_malformed_cache_entry_is_rescored(tmp_path):
    lex = api.get_lexicon(None)
    path = str(tmp_path / "s.db")
    with open_store(path) as store:
        ingest(store, [DEMO / "harmony-daily"], warn=lambda m: None)
        ids = [a.id for a in store.iter_articles(api.selection())]
        scorer = Scorer(lex)
        store.put_scores(scorer.key, [(ids[0], {"t": 5}), (ids[1], {"h": [1]})])
    stats = ScoreStats()
    with api.open_inputs(None, path) as inp:
        n = sum(1 for _ in api.scores(inp, Scorer(lex), api.selection(), stats))
    assert n == len(ids) and stats.scored == len(ids) and stats.cached == 0
