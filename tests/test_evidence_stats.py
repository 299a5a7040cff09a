"""The evidence statistics in discourse.stats, each against an independent computation.

Independent means: statsmodels (when installed), or a hand-worked example whose
numbers are written out here from the textbook formula, not from our code.
"""

from __future__ import annotations

import json
import math
import random

import pytest

from discourse import stats

Z95 = 1.959963984540054  # normal quantile for a 95% interval


def wilson_by_hand(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Closed-form Wilson score interval (no continuity correction)."""
    centre = (k + z * z / 2) / (n + z * z)
    half = z / (n + z * z) * math.sqrt(k * (n - k) / n + z * z / 4)
    return centre - half, centre + half


def binom_two_sided_by_hand(k: int, n: int, p: float) -> float:
    """Exact two-sided binomial p: total probability of outcomes no more likely than k."""
    probs = [math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(n + 1)]
    return min(1.0, sum(q for q in probs if q <= probs[k] * (1 + 1e-7)))


def fisher_two_sided_by_hand(a: int, b: int, c: int, d: int) -> float:
    """Fisher's exact test on [[a, b], [c, d]]: sum of hypergeometric tables no likelier."""
    r1, c1, n = a + b, a + c, a + b + c + d

    def prob(x: int) -> float:
        return math.comb(r1, x) * math.comb(n - r1, c1 - x) / math.comb(n, c1)

    lo, hi = max(0, c1 - (n - r1)), min(r1, c1)
    p_obs = prob(a)
    return min(1.0, sum(prob(x) for x in range(lo, hi + 1) if prob(x) <= p_obs * (1 + 1e-7)))


# ------------------------------------------------------------------- Newcombe


@pytest.mark.parametrize(
    "k1,n1,k2,n2", [(16, 18, 4, 18), (3, 7, 9, 11), (0, 10, 0, 12), (10, 10, 0, 5), (1, 50, 30, 40)]
)
def test_newcombe_by_hand(k1, n1, k2, n2):
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_by_hand(k1, n1)
    l2, u2 = wilson_by_hand(k2, n2)
    lo = (p1 - p2) - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = (p1 - p2) + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    d, got_lo, got_hi = stats.newcombe_diff(k1, n1, k2, n2)
    assert d == pytest.approx(p1 - p2)
    assert got_lo == pytest.approx(lo, abs=1e-9)
    assert got_hi == pytest.approx(hi, abs=1e-9)


@pytest.mark.parametrize(
    "k1,n1,k2,n2", [(16, 18, 4, 18), (3, 7, 9, 11), (0, 10, 0, 12), (10, 10, 0, 5), (7, 9, 7, 9)]
)
def test_newcombe_matches_statsmodels(k1, n1, k2, n2):
    import statsmodels.stats.proportion as sm

    lo, hi = sm.confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff")
    _, got_lo, got_hi = stats.newcombe_diff(k1, n1, k2, n2)
    assert got_lo == pytest.approx(float(lo), abs=1e-9)
    assert got_hi == pytest.approx(float(hi), abs=1e-9)


def test_newcombe_empty_group_gives_nones():
    assert stats.newcombe_diff(0, 0, 3, 5) == (None, None, None)
    assert stats.newcombe_diff(3, 5, 0, 0) == (None, None, None)


# -------------------------------------------------------------- two proportions


def test_z_test_by_hand_and_statsmodels():
    # 30/60 vs 20/70: pooled p = 50/130, z = (0.5 - 2/7) / sqrt(p(1-p)(1/60 + 1/70))
    p = 50 / 130
    z = (0.5 - 20 / 70) / math.sqrt(p * (1 - p) * (1 / 60 + 1 / 70))
    expected = math.erfc(abs(z) / math.sqrt(2))
    got, test = stats.two_proportion_test(30, 60, 20, 70)
    assert test == "z"
    assert got == pytest.approx(expected, rel=1e-9)
    import statsmodels.stats.proportion as sm

    _, p_sm = sm.proportions_ztest([30, 20], [60, 70])
    assert got == pytest.approx(float(p_sm), rel=1e-9)


@pytest.mark.parametrize(
    "k1,n1,k2,n2", [(1, 10, 6, 10), (0, 4, 4, 4), (2, 3, 0, 5), (4, 18, 1, 18)]
)
def test_fisher_for_small_counts_by_hand(k1, n1, k2, n2):
    got, test = stats.two_proportion_test(k1, n1, k2, n2)
    assert test == "fisher"
    assert got == pytest.approx(fisher_two_sided_by_hand(k1, n1 - k1, k2, n2 - k2), rel=1e-9)


def test_frame_that_never_fires_gives_p_one_not_nan():
    assert stats.two_proportion_test(0, 18, 0, 18) == (1.0, "fisher")
    assert stats.two_proportion_test(18, 18, 12, 12) == (1.0, "fisher")
    assert stats.two_proportion_test(0, 0, 0, 18) == (None, "")


# ------------------------------------------------------------------ corrections


def test_corrections_hand_worked():
    p = [0.01, 0.04, None, 0.03, 0.2, 0.001]
    # Holm, m = 5, sorted 0.001 0.01 0.03 0.04 0.2 -> x5 x4 x3 x2 x1 = .005 .04 .09 .08 .2,
    # then running maximum: .005 .04 .09 .09 .2
    holm = stats.adjust_pvalues(p, "holm")
    assert holm[2] is None
    assert holm == pytest.approx([0.04, 0.09, None, 0.09, 0.2, 0.005])
    # BH: p * m / rank = .005 .025 .05 .05 .2, then running minimum from the top
    bh = stats.adjust_pvalues(p, "bh")
    assert bh == pytest.approx([0.025, 0.05, None, 0.05, 0.2, 0.005])
    assert stats.adjust_pvalues(p, "none") == p
    assert stats.adjust_pvalues([None, None], "holm") == [None, None]
    with pytest.raises(ValueError):
        stats.adjust_pvalues([0.1], "bonferroni")


@pytest.mark.parametrize("method,sm_method", [("holm", "holm"), ("bh", "fdr_bh")])
def test_corrections_match_statsmodels(method, sm_method):
    import statsmodels.stats.multitest as mt

    rng = random.Random(7)
    for _ in range(20):
        p = [rng.random() ** 3 for _ in range(rng.randint(1, 15))]
        expected = mt.multipletests(p, method=sm_method)[1]
        assert stats.adjust_pvalues(p, method) == pytest.approx(list(expected), abs=1e-12)


def test_bh_matches_scipy():
    from scipy.stats import false_discovery_control

    p = [0.2, 0.001, 0.04, 0.03, 0.5, 0.012]
    assert stats.adjust_pvalues(p, "bh") == pytest.approx(list(false_discovery_control(p)))


# -------------------------------------------------------------------- pairwise


def test_pairwise_prevalence_family_and_fields():
    rows = stats.pairwise_prevalence(
        [("A", 16, 18), ("B", 4, 18), ("C", 14, 18), ("D", 0, 0)], correction="holm"
    )
    assert [(r["group_a"], r["group_b"]) for r in rows] == [
        ("A", "B"),
        ("A", "C"),
        ("A", "D"),
        ("B", "C"),
        ("B", "D"),
        ("C", "D"),
    ]
    ab = rows[0]
    assert ab["diff_pp"] == pytest.approx(100 * (16 / 18 - 4 / 18))
    assert ab["diff_lo_pp"] < ab["diff_pp"] < ab["diff_hi_pp"]
    # the empty group: Nones, a note, and left out of the family
    ad = rows[2]
    assert ad["diff_pp"] is None and ad["p_value"] is None and ad["p_adjusted"] is None
    assert "no articles from D" in ad["note"]
    tested = [r["p_value"] for r in rows if r["p_value"] is not None]
    assert len(tested) == 3
    assert [r["p_adjusted"] for r in rows if r["p_value"] is not None] == pytest.approx(
        stats.adjust_pvalues(tested, "holm")
    )
    json.dumps(rows, allow_nan=False)
    with pytest.raises(ValueError):
        stats.pairwise_prevalence([("A", 1, 2)], correction="sidak")


def test_pairwise_from_records_fills_missing_sources_per_period():
    records = [
        {"source": "A", "month": "2026-08", "frame": "f", "n_articles": 4, "n_present": 3},
        {"source": "B", "month": "2026-08", "frame": "f", "n_articles": 4, "n_present": 1},
        {"source": "A", "month": "2026-09", "frame": "f", "n_articles": 5, "n_present": 5},
    ]
    rows = stats.pairwise_from_records(records, ("source", "month"), "bh")
    assert [(r["month"], r["source_a"], r["source_b"]) for r in rows] == [
        ("2026-08", "A", "B"),
        ("2026-09", "A", "B"),
    ]
    assert rows[0]["p_value"] is not None
    assert rows[1]["n_b"] == 0 and rows[1]["diff_pp"] is None
    assert rows[1]["note"] == "no articles from B"
    json.dumps(rows, allow_nan=False)


# ---------------------------------------------------------------------- keyness


def test_log_odds_hand_worked():
    a = {"win": 3, "the": 2}
    b = {"win": 1, "the": 4, "war": 2}
    # prior = a + b: win 4, the 6, war 2; a0 = 12; n_a = 5, n_b = 7
    # win: (3+4)/(5+12-3-4) = 7/10; (1+4)/(7+12-1-4) = 5/14
    win_delta = math.log(7 / 10) - math.log(5 / 14)
    win_se = math.sqrt(1 / 7 + 1 / 5)
    # war: (0+2)/(5+12-0-2) = 2/15; (2+2)/(7+12-2-2) = 4/15
    war_delta = math.log(2 / 15) - math.log(4 / 15)
    war_se = math.sqrt(1 / 2 + 1 / 4)
    rows = {r["term"]: r for r in stats.log_odds_dirichlet(a, b)}
    assert rows["win"]["log_odds"] == pytest.approx(win_delta)
    assert rows["win"]["z"] == pytest.approx(win_delta / win_se)
    assert rows["war"]["z"] == pytest.approx(war_delta / war_se)
    assert rows["win"]["per_1k_a"] == pytest.approx(600.0)
    assert rows["war"]["count_a"] == 0 and rows["war"]["count_b"] == 2
    ordered = [r["term"] for r in stats.log_odds_dirichlet(a, b)]
    assert ordered[0] == "win" and ordered[-1] == "war"


def test_log_odds_prior_size_min_count_and_empty():
    a = {"x": 4, "y": 1}
    b = {"x": 1, "y": 4}
    # prior rescaled to a0 = 2: alpha = 1 for both terms (background 5 each out of 10)
    # x: (4+1)/(5+2-4-1) = 5/2; (1+1)/(5+2-1-1) = 2/5
    rows = {r["term"]: r for r in stats.log_odds_dirichlet(a, b, prior_size=2)}
    assert rows["x"]["log_odds"] == pytest.approx(math.log(5 / 2) - math.log(2 / 5))
    assert rows["x"]["se"] == pytest.approx(math.sqrt(1 / 5 + 1 / 2))
    assert stats.log_odds_dirichlet({"x": 1, "y": 9}, {"y": 3}, min_count=2)[0]["term"] == "y"
    assert stats.log_odds_dirichlet({}, b) == []
    assert stats.log_odds_dirichlet(a, {}) == []


def test_keyness_groups_is_each_against_the_rest():
    counts = {"A": {"p": 5, "q": 1}, "B": {"p": 1, "q": 4}, "C": {"q": 2, "r": 3}}
    res = stats.keyness_groups(counts)
    background = {"p": 6, "q": 7, "r": 3}
    rest_a = {"p": 1, "q": 6, "r": 3}
    assert res["A"] == stats.log_odds_dirichlet(counts["A"], rest_a, background)
    vs = stats.keyness_groups(counts, focus=["A"], vs="B")
    assert vs["A"] == stats.log_odds_dirichlet(counts["A"], counts["B"], background)
    assert stats.keyness_groups({"A": {}, "B": {"p": 1}}, focus=["A"]) == {"A": []}


# ------------------------------------------------------------------------ trend


def test_trend_binomial_against_hand_computation():
    series = [(1, 4), (1, 4), (1, 4), (1, 4), (5, 5)]
    rows = stats.trend_departures(series, window=4)
    last = rows[-1]
    p0 = (4 + 0.5) / (16 + 1)
    assert last["baseline_articles"] == 16 and last["baseline_periods"] == 4
    assert last["baseline_rate"] == pytest.approx(0.25)
    assert last["expected"] == pytest.approx(5 * p0)
    assert last["p_value"] == pytest.approx(binom_two_sided_by_hand(5, 5, p0), rel=1e-9)
    assert last["flag"] == "up"
    assert rows[0]["note"] == "no baseline" and rows[0]["p_value"] is None
    assert all(r["flag"] == "" for r in rows[:-1])


def test_trend_drop_is_flagged_down_and_window_is_trailing():
    series = [(0, 5), (5, 5), (5, 5), (5, 5), (5, 5), (0, 6)]
    rows = stats.trend_departures(series, window=3)
    assert rows[-1]["baseline_articles"] == 15  # only the previous three periods
    assert rows[-1]["flag"] == "down"
    p0 = 15.5 / 16
    assert rows[-1]["p_value"] == pytest.approx(binom_two_sided_by_hand(0, 6, p0), rel=1e-9)


def test_trend_small_counts_do_not_flag():
    # a z-score on a trailing SD of 0 would call this infinite; the binomial test does not
    rows = stats.trend_departures([(0, 1), (0, 1), (0, 1), (1, 1)], window=4, min_baseline=3)
    assert rows[-1]["p_value"] == pytest.approx(0.125)  # p0 = 0.5 / 4
    assert rows[-1]["flag"] == ""
    rows = stats.trend_departures([(0, 1), (1, 1)], window=4, min_baseline=3)
    assert rows[-1]["p_value"] is None
    assert "too small" in rows[-1]["note"]


def test_trend_empty_periods_are_readable():
    rows = stats.trend_departures([(0, 0), (0, 0), (2, 3), (0, 0)], window=2)
    assert [r["note"] for r in rows] == ["no articles", "no articles", "no baseline", "no articles"]
    assert rows[3]["baseline_rate"] == pytest.approx(2 / 3)
    assert stats.trend_departures([]) == []
    json.dumps(rows, allow_nan=False)
