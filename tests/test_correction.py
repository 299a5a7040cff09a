"""Corrected shares: the estimator and the weighted error rates against hand computation,
one-line errors for bad validation files, a simulation of bias and coverage, and the demo
corpus (a coded validation sample against the rest of the coded corpus as truth)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from discourse.correction import (
    SourceCounts,
    allocate,
    corrected_shares,
    draw_stratified,
    error_rates,
    kish_neff,
    required_positives,
    rogan_gladen,
    rogan_gladen_array,
    sample_from_arrays,
    shrunk_rates,
    stratum_label,
    validation_from_rows,
    weighted_rates,
    wilson_neff,
)
from discourse.errors import InputError

from .conftest import DEMO

HEADER = ["doc_id", "source", "f", "pred_f", "weight", "stratum_size"]


def rows_of(records):
    """(line, dict) pairs as a CSV reader gives them: values as text, line 1 the header."""
    return [
        (i + 2, {k: (v if isinstance(v, str) else repr(v)) for k, v in r.items()})
        for i, r in enumerate(records)
    ]


def small_sample(weight_flagged=2.0, weight_unflagged=10.0):
    """Stratum A|flagged: 4 rows (3 true positives); A|unflagged: 6 rows (1 positive)."""
    recs = []
    for y in (1, 1, 1, 0):
        recs.append({"doc_id": "d", "source": "A", "f": y, "pred_f": 1, "weight": weight_flagged})
    for y in (1, 0, 0, 0, 0, 0):
        recs.append({"doc_id": "d", "source": "A", "f": y, "pred_f": 0, "weight": weight_unflagged})
    return recs


# ------------------------------------------------------------------ the estimator


def test_rogan_gladen_by_hand():
    p, unstable = rogan_gladen(0.30, 0.80, 0.90)
    assert p == pytest.approx((0.30 + 0.90 - 1) / (0.80 + 0.90 - 1))
    assert p == pytest.approx(0.2 / 0.7) and not unstable
    # below the false-positive floor: clipped to 0; above the ceiling: clipped to 1
    assert rogan_gladen(0.05, 0.8, 0.9) == (0.0, False)
    assert rogan_gladen(0.95, 0.8, 0.9) == (1.0, False)
    # J = 0.15 < 0.2: computed but flagged
    p, unstable = rogan_gladen(0.5, 0.55, 0.60)
    assert unstable and p == pytest.approx((0.5 + 0.6 - 1) / 0.15)
    # no better than chance: no estimate
    assert rogan_gladen(0.4, 0.5, 0.5) == (None, True)


def test_rogan_gladen_array_matches_scalar():
    rng = np.random.default_rng(3)
    q, se, sp = rng.random(200), rng.uniform(0.3, 1, 200), rng.uniform(0.3, 1, 200)
    arr = rogan_gladen_array(q, se, sp)
    for i in range(200):
        p, _ = rogan_gladen(q[i], se[i], sp[i])
        assert (p is None and np.isnan(arr[i])) or arr[i] == pytest.approx(p)


def test_weighted_rates_by_hand():
    # flagged stratum weight 2, unflagged weight 10:
    # sens = 2*3 / (2*3 + 10*1) = 6/16; spec = 10*5 / (2*1 + 10*5) = 50/52
    recs = small_sample()
    y = np.array([r["f"] for r in recs])
    p = np.array([r["pred_f"] for r in recs])
    w = np.array([r["weight"] for r in recs])
    sens, spec = weighted_rates(y, p, w)
    assert sens == pytest.approx(6 / 16) and spec == pytest.approx(50 / 52)
    # unweighted, the same data would say 3/4 and 5/6: the design matters
    assert weighted_rates(y, p, np.ones_like(w)) == (pytest.approx(3 / 4), pytest.approx(5 / 6))
    # integer weights act like replicated rows
    rep = np.repeat(np.arange(len(y)), w.astype(int))
    assert weighted_rates(y[rep], p[rep], np.ones(len(rep))) == (
        pytest.approx(sens),
        pytest.approx(spec),
    )


def test_kish_and_wilson_on_effective_n():
    assert kish_neff(np.array([2.0, 2, 2, 10])) == pytest.approx(16**2 / (4 * 3 + 100))
    assert kish_neff(np.ones(7)) == pytest.approx(7)
    # with equal weights the interval is the ordinary Wilson interval
    for k, n in [(0, 12), (3, 12), (12, 12), (40, 97)]:
        lo, hi = wilson_neff(k / n, n)
        slo, shi = proportion_confint(k, n, alpha=0.05, method="wilson")
        assert lo == pytest.approx(slo, abs=1e-9) and hi == pytest.approx(shi, abs=1e-9)


def test_error_rates_records_weighted_sens_spec_and_intervals():
    val = validation_from_rows(HEADER[:5], rows_of(small_sample()), ["f"])
    (r,) = error_rates(val, min_pos=1, min_neg=1)
    assert r["source"] == "A" and r["sensitivity"] == pytest.approx(6 / 16)
    assert r["specificity"] == pytest.approx(50 / 52)
    ne = (2 * 3 + 10) ** 2 / (4 * 3 + 100)
    assert r["n_eff_pos"] == pytest.approx(ne)
    assert (r["sensitivity_lo"], r["sensitivity_hi"]) == pytest.approx(wilson_neff(6 / 16, ne))
    assert r["youden_j"] == pytest.approx(6 / 16 + 50 / 52 - 1)
    # too few positives for the source's own rates: pooled, and the note says why
    (r,) = error_rates(val)
    assert r["source"] == "*" and "pooled" in r["note"] and "'A'" in r["note"]


def test_probabilistic_rates_are_mean_probabilities():
    recs = small_sample(1.0, 1.0)
    probs = [0.9, 0.7, 0.5, 0.4, 0.3, 0.2, 0.1, 0.1, 0.0, 0.2]
    for r, pr in zip(recs, probs):
        r["prob_f"] = pr
    val = validation_from_rows([*HEADER[:5], "prob_f"], rows_of(recs), ["f"], use_prob=True)
    (r,) = error_rates(val, min_pos=1, min_neg=1, soft=True)
    # true positives: rows 0, 1, 2, 4; negatives: 3, 5..9
    assert r["sensitivity"] == pytest.approx((0.9 + 0.7 + 0.5 + 0.3) / 4)
    assert r["specificity"] == pytest.approx(1 - (0.4 + 0.2 + 0.1 + 0.1 + 0.0 + 0.2) / 6)


def test_shrunk_rates_by_hand():
    # source rows: 3 positives of weight 2 (2 flagged), 4 negatives of weight 5 (1 flagged)
    y = np.array([1, 1, 1, 0, 0, 0, 0])
    p = np.array([1, 1, 0, 1, 0, 0, 0])
    w = np.array([2.0, 2, 2, 5, 5, 5, 5])
    sens, spec = shrunk_rates(y, p, w, (0.8, 0.9), 10)
    # k = 10 x mean weight: 20 for positives, 50 for negatives
    assert sens == pytest.approx((2 * 2 + 20 * 0.8) / (6 + 20))
    assert spec == pytest.approx((3 * 5 + 50 * 0.9) / (20 + 50))
    # no coded positive: the pooled rate; k0 = 0: the source's own rates
    assert shrunk_rates(np.zeros(3), np.zeros(3), np.ones(3), (0.7, 0.9), 10)[0] == 0.7
    assert shrunk_rates(y, p, w, (0.8, 0.9), 0) == pytest.approx(weighted_rates(y, p, w))


def test_required_positives_follow_the_delta_method():
    n_pos, n_neg = required_positives(0.2, 0.4, 0.98, 0.05)
    z, j = 1.959963984540054, 0.38
    assert n_pos == math.ceil(2 * (z * 0.2 / (j * 0.05)) ** 2 * 0.4 * 0.6)
    assert n_neg == math.ceil(2 * (z * 0.8 / (j * 0.05)) ** 2 * 0.98 * 0.02)
    # a weaker method (smaller J) needs more
    assert required_positives(0.2, 0.3, 0.98, 0.05)[0] > n_pos


# --------------------------------------------------------------------- the design


def test_allocation_is_equal_capped_and_complete():
    alloc = allocate({"a": 1000, "b": 1000, "c": 7, "d": 0}, 100)
    assert alloc["c"] == 7 and alloc["d"] == 0 and sum(alloc.values()) == 100
    assert abs(alloc["a"] - alloc["b"]) <= 1
    assert allocate({"a": 3, "b": 2}, 50) == {"a": 3, "b": 2}


def test_draw_stratified_weights_are_inverse_inclusion_probabilities():
    labels = ["A|flagged"] * 20 + ["A|unflagged"] * 180 + ["B|unflagged"] * 50
    idx, w, sizes = draw_stratified(labels, 30, seed=5)
    assert len(set(idx.tolist())) == 30
    picked = [labels[i] for i in idx]
    for h, big_n in sizes.items():
        n_h = picked.count(h)
        assert n_h == 10
        assert all(wt == pytest.approx(big_n / n_h) for wt, lab in zip(w, picked) if lab == h)
    # the weights add up to the population
    assert w.sum() == pytest.approx(len(labels))
    again = draw_stratified(labels, 30, seed=5)
    assert (again[0] == idx).all()
    assert stratum_label("A", [0, 0]) == "A|unflagged" and stratum_label("A", [0, 1]) == "A|flagged"


# ---------------------------------------------------------- bad validation files


def test_no_prediction_column_is_one_line():
    header = ["doc_id", "source", "f", "weight"]
    recs = [{k: v for k, v in r.items() if k != "pred_f"} for r in small_sample()]
    with pytest.raises(InputError) as e:
        validation_from_rows(header, rows_of(recs), ["f"], where="val.csv")
    msg = str(e.value)
    assert "\n" not in msg and "val.csv" in msg and "'pred_f'" in msg
    assert "label --validation" in msg


def test_frame_with_no_positive_is_one_line():
    recs = small_sample()
    for r in recs:
        r["f"] = 0
    with pytest.raises(InputError) as e:
        validation_from_rows(HEADER[:5], rows_of(recs), ["f"], where="val.csv")
    msg = str(e.value)
    assert "\n" not in msg and "frame 'f' has no positive" in msg and "sensitivity" in msg


def test_weights_that_differ_within_a_stratum():
    recs = small_sample()
    recs[5]["weight"] = 11.0
    with pytest.raises(InputError) as e:
        validation_from_rows(HEADER[:5], rows_of(recs), ["f"], where="val.csv")
    msg = str(e.value)
    assert "\n" not in msg and "'A|unflagged'" in msg and "same weight" in msg
    assert "lines 6 and 7" in msg


def test_weights_below_one_or_standing_for_more_than_the_stratum():
    recs = small_sample(weight_flagged=0.5)
    with pytest.raises(InputError, match=r"line 2: weight 0.5 is below 1"):
        validation_from_rows(HEADER[:5], rows_of(recs), ["f"], where="val.csv")
    recs = small_sample()
    for r in recs:
        r["stratum_size"] = 8 if r["pred_f"] else 60  # flagged: 4 rows x 2 = 8, fine
    for r in recs[4:]:
        r["stratum_size"] = 50  # unflagged: 6 rows x 10 = 60 > 50
    with pytest.raises(InputError) as e:
        validation_from_rows(HEADER, rows_of(recs), ["f"], where="val.csv")
    assert "do not match the sample design" in str(e.value) and "'A|unflagged'" in str(e.value)


def test_partly_coded_strata_are_rescaled_with_a_note():
    recs = small_sample()
    for r in recs:
        r["stratum_size"] = 8 if r["pred_f"] else 120  # 12 drawn at weight 10, 6 coded
    val = validation_from_rows(HEADER, rows_of(recs), ["f"])
    assert val.weight[:4] == pytest.approx([2.0] * 4)
    assert val.weight[4:] == pytest.approx([20.0] * 6)
    assert any("coded only in part" in n for n in val.notes)


def test_bad_values_name_the_line():
    recs = small_sample()
    recs[2]["pred_f"] = "yes"
    with pytest.raises(InputError, match=r"line 4: pred_f is 'yes', not 0 or 1"):
        validation_from_rows(HEADER[:5], rows_of(recs), ["f"])
    recs = small_sample()
    recs[0]["weight"] = "heavy"
    with pytest.raises(InputError, match=r"line 2: weight is 'heavy', not a number"):
        validation_from_rows(HEADER[:5], rows_of(recs), ["f"])


# -------------------------------------------------------------- the bootstrap


def test_corrected_shares_point_estimate_and_seeded_interval():
    val = validation_from_rows(HEADER[:5], rows_of(small_sample()), ["f"])
    sent = np.array([10, 12, 8, 10])
    flagged = np.array([[2], [3], [1], [2]])
    recs = corrected_shares([SourceCounts("A", sent, flagged)], val, n_boot=400, seed=9)
    (r,) = recs
    q = 8 / 40
    assert r["raw"] == pytest.approx(q)
    expected, _ = rogan_gladen(q, 6 / 16, 50 / 52)
    assert r["corrected"] == pytest.approx(expected)
    assert r["corrected_lo"] <= r["corrected"] <= r["corrected_hi"]
    # one source: partial pooling shrinks its rates towards themselves
    assert r["raw_lo"] <= q <= r["raw_hi"] and r["rates_scope"] == "partial"
    (r0,) = corrected_shares([SourceCounts("A", sent, flagged)], val, n_boot=400, shrink=0)
    assert r0["rates_scope"] == "pooled" and r0["corrected"] == pytest.approx(expected)
    again = corrected_shares([SourceCounts("A", sent, flagged)], val, n_boot=400, seed=9)
    assert again == recs
    other = corrected_shares([SourceCounts("A", sent, flagged)], val, n_boot=400, seed=10)
    assert other[0]["corrected_lo"] != r["corrected_lo"]


# ------------------------------------------------------------------- simulation


def simulate(rng, shares, sens, spec, n_art=150, sent=10, n_val=300, conc=8.0):
    """A corpus with known shares (articles are clusters: their own share ~ Beta) and a
    method with known error rates; a validation sample drawn stratified from it."""
    counts, ys, ps, srcs = [], [], [], []
    for s, pi in shares.items():
        a = rng.beta(pi * conc, (1 - pi) * conc, size=n_art)
        y = (rng.random((n_art, sent)) < a[:, None]).astype(np.int8)
        hit = rng.random(y.shape)
        p = np.where(y == 1, hit < sens, hit > spec).astype(np.int8)
        counts.append(SourceCounts(s, np.full(n_art, sent), p.sum(1)[:, None]))
        ys.append(y.ravel())
        ps.append(p.ravel())
        srcs += [s] * y.size
    y, p = np.concatenate(ys), np.concatenate(ps)
    labels = [stratum_label(s, [v]) for s, v in zip(srcs, p)]
    idx, w, sizes = draw_stratified(labels, n_val, seed=int(rng.integers(1 << 31)))
    recs = [
        {"source": srcs[k], "f": int(y[k]), "pred_f": int(p[k]), "weight": float(w[i]),
         "stratum_size": sizes[labels[k]]}
        for i, k in enumerate(idx)
    ]  # fmt: skip
    val = validation_from_rows(
        ["source", "f", "pred_f", "weight", "stratum_size"], rows_of(recs), ["f"]
    )
    return counts, val


def run_simulation(n_sim, n_boot, seed=1):
    shares, sens, spec = {"A": 0.15, "B": 0.35}, 0.6, 0.95
    rng = np.random.default_rng(seed)
    est = {s: [] for s in shares}
    cover = {s: 0 for s in shares}
    raw_cover = {s: 0 for s in shares}
    for r in range(n_sim):
        counts, val = simulate(rng, shares, sens, spec)
        for rec in corrected_shares(counts, val, n_boot=n_boot, seed=r):
            s, pi = rec["source"], shares[rec["source"]]
            est[s].append(rec["corrected"])
            cover[s] += rec["corrected_lo"] <= pi <= rec["corrected_hi"]
            raw_cover[s] += rec["raw_lo"] <= pi <= rec["raw_hi"]
    out = {}
    for s, pi in shares.items():
        e = np.array(est[s])
        out[s] = {
            "true": pi,
            "mean": e.mean(),
            "mcse": e.std(ddof=1) / math.sqrt(n_sim),
            "coverage": cover[s] / n_sim,
            "raw_coverage": raw_cover[s] / n_sim,
        }
        print(
            f"source {s}: true {pi:.3f}, mean corrected {e.mean():.4f} "
            f"(MC s.e. {out[s]['mcse']:.4f}), coverage {out[s]['coverage']:.3f}, "
            f"raw coverage {out[s]['raw_coverage']:.3f}"
        )
    return out


def test_simulation_small_unbiased_and_covers():
    res = run_simulation(n_sim=60, n_boot=400)
    for r in res.values():
        assert abs(r["mean"] - r["true"]) < 3.5 * r["mcse"]
        assert r["coverage"] >= 0.85
        assert r["raw_coverage"] < r["coverage"]


@pytest.mark.slow
def test_simulation_500_samples_unbiased_and_95_percent_coverage():
    res = run_simulation(n_sim=500, n_boot=1000)
    for r in res.values():
        assert abs(r["mean"] - r["true"]) < 3 * r["mcse"]
        assert 0.93 <= r["coverage"] <= 0.97
        assert r["raw_coverage"] < 0.9  # the raw share misses: the method misses 40%


# -------------------------------------------------------------------- demo corpus


def demo_validation(n_val=300, seed=20260804):
    """A stratified validation sample of the demo corpus, weighted for the rest of it.

    The rest is the truth, so a coded row of stratum h stands for the ``N_h - n_h``
    sentences of h that were not drawn: weight ``N_h / n_h - 1``.
    """
    from discourse.api import get_lexicon
    from discourse.classifier import lexicon_predict, load_labels

    gs = load_labels(DEMO / "labels.csv")
    pred = lexicon_predict(get_lexicon(None), gs.texts, gs.frames)
    labels = [stratum_label(s, p) for s, p in zip(gs.sources, pred)]
    idx, w, sizes = draw_stratified(labels, n_val, seed=seed)
    for i, k in enumerate(idx):
        assert w[i] == pytest.approx(sizes[labels[k]] / sum(labels[j] == labels[k] for j in idx))
    val = sample_from_arrays(
        gs.frames, gs.y[idx], pred[idx], [gs.sources[k] for k in idx], w - 1.0,
        [labels[k] for k in idx],
    )  # fmt: skip
    return gs, pred, idx, val


def test_demo_corrected_shares_closer_to_truth_than_raw():
    gs, pred, idx, val = demo_validation()
    assert len(val) <= 300
    rest = np.setdiff1d(np.arange(len(gs)), idx)
    docs, src = np.array(gs.doc_ids), np.array(gs.sources)
    counts, truth = [], {}
    for s in sorted(set(gs.sources)):
        m = rest[src[rest] == s]
        truth[s] = gs.y[m].mean(axis=0)
        ids = sorted(set(docs[m]))
        sent = np.array([(docs[m] == d).sum() for d in ids])
        flagged = np.array([pred[m][docs[m] == d].sum(axis=0) for d in ids])
        counts.append(SourceCounts(s, sent, flagged))
    recs = corrected_shares(counts, val, n_boot=500)
    err_raw = [abs(r["raw"] - truth[r["source"]][gs.frames.index(r["frame"])]) for r in recs]
    err_cor = [abs(r["corrected"] - truth[r["source"]][gs.frames.index(r["frame"])]) for r in recs]
    mae_raw, mae_cor = float(np.mean(err_raw)), float(np.mean(err_cor))
    print(f"demo, {len(val)} validated sentences: MAE raw {mae_raw:.4f}, corrected {mae_cor:.4f}")
    assert len(recs) == 5 * len(gs.frames)
    assert mae_cor < mae_raw
