"""Statistics against independent computations (hand formulas, scipy, statsmodels)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps
from scipy.stats.contingency import association
from statsmodels.stats.proportion import proportion_confint

from discourse.models import Article, RawCounts
from discourse.scoring import build_score
from discourse.stats import bootstrap_rate, chi_square_presence, compare, wilson


def wilson_by_hand(k, n, z=1.959963984540054):
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half


@pytest.mark.parametrize("k, n", [(0, 18), (3, 18), (9, 18), (17, 18), (18, 18), (1, 1), (40, 97)])
def test_wilson_matches_hand_formula_and_statsmodels(k, n):
    lo, hi = wilson(k, n)
    hlo, hhi = wilson_by_hand(k, n)
    slo, shi = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert lo == pytest.approx(hlo, abs=1e-9) and hi == pytest.approx(hhi, abs=1e-9)
    assert lo == pytest.approx(slo, abs=1e-9) and hi == pytest.approx(shi, abs=1e-9)


def test_wilson_empty_group():
    assert wilson(0, 0) == (None, None)


def test_bootstrap_is_seeded_and_resamples_articles():
    rng = np.random.default_rng(1)
    tokens = rng.integers(200, 600, size=60)
    hits = rng.poisson(tokens * rng.choice([0.001, 0.02], size=60))
    a = bootstrap_rate(hits, tokens, n_boot=4000, seed=7)
    assert a == bootstrap_rate(hits, tokens, n_boot=4000, seed=7)
    assert a != bootstrap_rate(hits, tokens, n_boot=4000, seed=8)
    # an independent implementation: scipy's percentile bootstrap of the same
    # statistic with articles (hits, tokens) resampled as pairs
    ref = sps.bootstrap(
        (hits, tokens),
        lambda h, t: 1000 * h.sum() / t.sum(),
        paired=True,
        vectorized=False,
        n_resamples=4000,
        method="percentile",
        random_state=np.random.default_rng(3),
    )
    point = 1000 * hits.sum() / tokens.sum()
    assert a[0] < point < a[1]
    width = a[1] - a[0]
    assert a[0] == pytest.approx(ref.confidence_interval.low, abs=0.08 * width)
    assert a[1] == pytest.approx(ref.confidence_interval.high, abs=0.08 * width)


def test_bootstrap_degenerate():
    assert bootstrap_rate([], []) == (None, None)
    assert bootstrap_rate([0, 0], [0, 0]) == (None, None)
    assert bootstrap_rate([0, 0], [100, 50]) == (0.0, 0.0)


def test_chi_square_by_hand():
    present, totals = [16, 4, 3], [18, 18, 18]
    table = np.array([[16, 2], [4, 14], [3, 15]], dtype=float)
    row, col, n = table.sum(1), table.sum(0), table.sum()
    expected = np.outer(row, col) / n
    chi2 = ((table - expected) ** 2 / expected).sum()
    res = chi_square_presence(present, totals)
    assert res.chi2 == pytest.approx(chi2)
    assert res.df == 2
    assert res.p_value == pytest.approx(sps.chi2.sf(chi2, 2))
    assert res.cramers_v == pytest.approx(math.sqrt(chi2 / n))
    assert res.cramers_v == pytest.approx(association(table.astype(int), method="cramer"))
    assert res.note == ""


def test_chi_square_undefined_cases_are_explained():
    assert chi_square_presence([0, 0], [5, 7]).note == "frame present in no article"
    assert chi_square_presence([5, 7], [5, 7]).note == "frame present in every article"
    assert chi_square_presence([1], [5]).note == "fewer than two groups"
    assert chi_square_presence([1, 0], [5, 0]).note == "fewer than two groups"
    small = chi_square_presence([1, 2], [3, 4])
    assert "expected count below 5" in small.note


def _score(source, day, tokens, hits_a, hits_b=0, sentences=10):
    art = Article(text="", source=source, date=day)
    counts = RawCounts(
        tokens, sentences, [hits_a, hits_b], [min(hits_a, sentences), min(hits_b, sentences)]
    )
    return build_score(art, ["a", "b"], counts)


def test_compare_records_by_hand():
    scores = [
        _score("X", "2026-08-03", 100, 2),
        _score("X", "2026-08-04", 300, 0),
        _score("X", "2026-08-20", 200, 1),
        _score("Y", "2026-08-05", 100, 0),
        _score("Y", "2026-08-06", 100, 0),
    ]
    cmp = compare(scores, ["a", "b"], n_boot=500, seed=1)
    rec = {(r["source"], r["frame"]): r for r in cmp.records}
    x = rec[("X", "a")]
    assert x["n_articles"] == 3 and x["n_present"] == 2
    assert x["prevalence"] == pytest.approx(2 / 3)
    assert (x["prevalence_lo"], x["prevalence_hi"]) == pytest.approx(wilson_by_hand(2, 3))
    assert x["per_1k"] == pytest.approx(1000 * 3 / 600)
    assert x["per_1k_lo"] <= x["per_1k"] <= x["per_1k_hi"]
    assert x["sentence_share"] == pytest.approx(3 / 30)
    y = rec[("Y", "a")]
    assert y["prevalence"] == 0 and y["per_1k"] == 0
    # frame b never fires: test undefined, not NaN
    assert rec[("X", "b")]["chi2"] is None and rec[("X", "b")]["test_note"]
    assert cmp.n_articles == 5 and cmp.date_range == ("2026-08-03", "2026-08-20")


def test_compare_by_source_and_week_tests_within_periods():
    scores = [
        _score("X", "2026-08-03", 100, 2),
        _score("Y", "2026-08-04", 100, 0),
        _score("X", "2026-08-20", 100, 1),
        _score("Z", "2026-08-21", 100, 1),
    ]
    cmp = compare(scores, ["a", "b"], by=("source", "week"), n_boot=200)
    keys = {(r["source"], r["week"]) for r in cmp.records}
    assert keys == {("X", "2026-W32"), ("Y", "2026-W32"), ("X", "2026-W34"), ("Z", "2026-W34")}
    weeks = {(t["week"], t["frame"]) for t in cmp.tests}
    assert ("2026-W32", "a") in weeks and ("2026-W34", "a") in weeks


def test_compare_leaves_out_undated_articles_when_grouping_by_period():
    scores = [_score("X", None, 100, 1), _score("X", "2026-08-04", 100, 0)]
    cmp = compare(scores, ["a", "b"], by=("source", "month"), n_boot=100)
    assert cmp.n_articles == 1 and cmp.undated_dropped == 1
