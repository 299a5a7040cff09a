"""The classifier's real-text recipe: neighbouring-sentence context, Platt calibration and
thresholds chosen in inner folds, extra down-weighted labels, and their model files."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit
from sklearn.base import clone

from discourse.classifier import (
    FrameClassifier,
    best_threshold,
    classify_articles,
    cross_validate,
    load_labels,
    load_model,
    neighbour_context,
    platt_scaling,
    save_model,
)
from discourse.classifier.estimator import group_kfold
from discourse.errors import ModelError

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "corpora" / "demo" / "labels.csv"
LEXICON = ROOT / "lexicons" / "china-russia-frames.yaml"
FRAMES = ["partnership", "multilateralism", "anti_hegemonism", "threat", "economic", "history"]


@pytest.fixture(scope="module")
def demo():
    return load_labels(LABELS, FRAMES)


@pytest.fixture(scope="module")
def small(demo):
    docs = sorted(set(demo.doc_ids))
    keep = set(docs[::5])
    return demo.subset([i for i, d in enumerate(demo.doc_ids) if d in keep])


# ------------------------------------------------------------------ context


def test_neighbour_context_follows_positions_within_each_document():
    texts = ["b1", "a0", "b0", "a1", "a2", "c0"]
    docs = ["b", "a", "b", "a", "a", "c"]
    pos = [1, 0, 0, 1, 2, 0]
    ctx = neighbour_context(texts, docs, pos)
    assert ctx == ["b0", "a1", "b1", "a0 a2", "a1", ""]
    # without positions, the order of appearance within a document counts
    assert neighbour_context(texts, docs) == ["b0", "a1", "b1", "a0 a2", "a1", ""]
    assert neighbour_context(["x", "y"], None) == ["", ""]


def _toy():
    """The middle sentence's label depends only on its neighbours' words."""
    texts, y, docs = [], [], []
    for d in range(40):
        friendly = d % 2 == 0
        word = "friendship and trust" if friendly else "weather and rain"
        texts += [f"Officials spoke about {word}.", "Both sides said so.", f"More on {word}."]
        y += [[0], [int(friendly)], [0]]
        docs += [f"d{d}"] * 3
    return texts, np.array(y), docs


def test_context_lets_the_model_read_a_sentence_through_its_neighbours():
    texts, y, docs = _toy()
    kw = {"frames": ["partnership"], "min_df": 1, "threshold_folds": 0, "C": 10.0}
    with_ctx = FrameClassifier(context_weight=1.0, **kw).fit(texts, y, groups=docs)
    alone = FrameClassifier(**kw).fit(texts, y, groups=docs)
    test = ["Officials spoke about friendship and trust.", "Both sides said so.", "x."]
    test += ["Officials spoke about weather and rain.", "Both sides said so.", "x."]
    groups = ["t1"] * 3 + ["t2"] * 3
    p = with_ctx.predict_proba(test, groups=groups)[:, 0]
    assert p[1] > 0.5 > p[4]  # the same sentence, told apart by its neighbours
    q = alone.predict_proba(test, groups=groups)[:, 0]
    assert q[1] == pytest.approx(q[4])  # without context they are the same input
    # explicit context equals context from groups; without either, no context at all
    ctx = neighbour_context(test, groups)
    assert np.allclose(with_ctx.predict_proba(test, context=ctx)[:, 0], p)
    assert with_ctx.predict_proba(test)[1, 0] == pytest.approx(
        with_ctx.predict_proba(["Both sides said so."], context=[""])[0, 0]
    )
    n_word = len(with_ctx.word_vectorizer_.vocabulary_)
    n_char = len(with_ctx.char_vectorizer_.vocabulary_)
    assert with_ctx.coef_.shape == (1, 2 * n_word + n_char)


def test_scoring_articles_reads_neighbours_within_each_article_only():
    texts, y, docs = _toy()
    m = FrameClassifier(frames=["partnership"], min_df=1, threshold_folds=0, context_weight=1.0)
    m.fit(texts, y, groups=docs)
    arts = [["Talk of friendship and trust.", "Both sides said so."], ["Both sides said so."]]
    got = classify_articles(m, arts)
    want = m.predict_proba([*arts[0], *arts[1]], context=["Both sides said so.", arts[0][0], ""])
    assert np.allclose(np.vstack(got), want)
    assert got[0][1, 0] > got[1][0, 0]  # the friendly neighbour lifts only its own article


def test_context_weight_zero_leaves_the_model_unchanged(small):
    a = FrameClassifier(frames=small.frames, threshold_folds=0, random_state=3, dual=True)
    b = clone(a).set_params(context_weight=0.0)
    a.fit(small.texts, small.y, groups=small.doc_ids)
    b.fit(small.texts, small.y, groups=small.doc_ids, context=["zzz"] * len(small))
    assert a.model_sha256 == b.model_sha256
    assert "context_weight" not in a._content_data()["params"]  # old model hashes stay


# -------------------------------------------------------------- calibration


def test_platt_scaling_matches_statsmodels_logit():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(7)
    z = rng.normal(size=400) * 2
    y = (rng.random(400) < expit(0.6 * z - 1.0)).astype(int)
    a, b = platt_scaling(z, y)
    res = sm.Logit(y, sm.add_constant(z)).fit(disp=0)
    assert b == pytest.approx(res.params[0], abs=1e-3)
    assert a == pytest.approx(res.params[1], abs=1e-3)
    assert platt_scaling(z, np.zeros(400)) == (1.0, 0.0)


def _replicate_inner(model, texts, Y, groups, ctx, w):
    """The thresholds and calibration, recomputed by hand from the inner folds."""
    primary = np.flatnonzero(w >= w.max())
    extra = np.setdiff1d(np.arange(len(texts)), primary)
    g = np.asarray(groups)
    z = np.zeros((len(primary), Y.shape[1]))
    splitter = group_kfold(model.threshold_folds, model.random_state)
    for tr, va in splitter.split(primary, groups=g[primary]):
        rows = np.r_[primary[tr], extra[~np.isin(g[extra], g[primary[va]])]]
        sub = clone(model).set_params(threshold_folds=0, calibrate=False)
        sub.fit(
            [texts[i] for i in rows],
            Y[rows],
            groups=g[rows],
            context=[ctx[i] for i in rows],
            sample_weight=w[rows],
        )
        va_rows = primary[va]
        p = sub.predict_proba([texts[i] for i in va_rows], context=[ctx[i] for i in va_rows])
        z[va] = np.log(p) - np.log1p(-p)
        assert not set(g[va_rows]) & set(g[rows])  # a held-out article never trains
    return primary, z


def test_thresholds_and_calibration_come_from_inner_folds_only(small):
    texts, Y, docs = small.texts, small.y, small.doc_ids
    ctx = neighbour_context(texts, docs, small.sent_idx)
    w = np.where(np.arange(len(texts)) % 4 == 0, 0.3, 1.0)  # a quarter are "extra" rows
    m = FrameClassifier(
        frames=small.frames, lexicon=LEXICON, context_weight=0.5, calibrate=True, dual=True
    )
    m.fit(texts, Y, groups=docs, context=ctx, sample_weight=w)
    primary, z = _replicate_inner(m, texts, Y, docs, ctx, w)
    for j in range(Y.shape[1]):
        a, b = platt_scaling(z[:, j], Y[primary, j])
        assert m.calibration_[j] == pytest.approx([a, b], rel=1e-4, abs=1e-4)
        t, f1 = best_threshold(Y[primary, j], expit(a * z[:, j] + b))
        assert m.thresholds_[j] == pytest.approx(t, abs=1e-4)
    assert "Platt" in m.threshold_method_ and "full-weight" in m.threshold_method_


@pytest.mark.slow
def test_calibrated_probabilities_match_base_rates_better(small):
    # class_weight=balanced inflates probabilities; calibration brings them back
    kw = {"frames": small.frames, "dual": True}
    raw, cal = FrameClassifier(**kw), FrameClassifier(calibrate=True, **kw)  # fitted below
    docs = sorted(set(small.doc_ids))
    test = [i for i, d in enumerate(small.doc_ids) if d in set(docs[::3])]
    train_rows = [i for i in range(len(small)) if i not in set(test)]
    sub = small.subset(train_rows)
    raw = clone(raw).fit(sub.texts, sub.y, groups=sub.doc_ids)
    cal = clone(cal).fit(sub.texts, sub.y, groups=sub.doc_ids)
    T = small.subset(test)
    brier_raw = np.mean((raw.predict_proba(T.texts) - T.y) ** 2)
    brier_cal = np.mean((cal.predict_proba(T.texts) - T.y) ** 2)
    assert brier_cal < brier_raw
    # the thresholds follow the calibrated scale, so the 0/1 calls barely move
    agree = (raw.predict(T.texts) == cal.predict(T.texts)).mean()
    assert agree > 0.9


# ------------------------------------------------------------ model files


@pytest.mark.slow
def test_recipe_model_round_trips_and_checks_its_calibration(small, tmp_path):
    ctx = neighbour_context(small.texts, small.doc_ids, small.sent_idx)
    m = FrameClassifier(
        frames=small.frames, lexicon=LEXICON, context_weight=0.5, calibrate=True, dual=True
    ).fit(small.texts, small.y, groups=small.doc_ids, context=ctx)
    save_model(m, tmp_path / "m")
    back = load_model(tmp_path / "m", warn=lambda msg: None)
    assert back.model_sha256 == m.model_sha256
    assert back.get_params()["context_weight"] == 0.5 and back.get_params()["calibrate"]
    got = back.predict_proba(small.texts, groups=small.doc_ids)
    assert np.array_equal(got, m.predict_proba(small.texts, context=ctx))
    # the arrays are plain float64, loadable without pickle
    with np.load(tmp_path / "m.npz", allow_pickle=False) as z:
        assert z["calibration"].shape == (len(small.frames), 2)
    # a calibration array in a model trained without calibration is refused
    plain = FrameClassifier(frames=small.frames, threshold_folds=0).fit(small.texts, small.y)
    save_model(plain, tmp_path / "p")
    body = json.loads((tmp_path / "p.json").read_text())
    with np.load(tmp_path / "p.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    assert "calibration" not in arrays
    arrays["calibration"] = np.zeros((len(small.frames), 2))
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    (tmp_path / "p.npz").write_bytes(buf.getvalue())
    body["npz_sha256"] = hashlib.sha256(buf.getvalue()).hexdigest()
    (tmp_path / "p.json").write_text(json.dumps(body))
    with pytest.raises(ModelError, match="calibration"):
        load_model(tmp_path / "p", warn=lambda msg: None)
    assert zipfile.is_zipfile(tmp_path / "m.npz")


# ----------------------------------------------------- CV, labels and the CLI


@pytest.mark.slow
def test_extra_labels_train_but_are_never_tested(small, demo):
    docs = sorted(set(demo.doc_ids))
    other = demo.subset([i for i, d in enumerate(demo.doc_ids) if d in set(docs[2::5])])
    assert not set(other.doc_ids) & set(small.doc_ids)
    cv = cross_validate(
        small, k=3, params={"dual": True, "threshold_folds": 2}, extra=other, extra_weight=0.3
    )
    assert sum(f["n_test"] for f in cv.folds) == len(small)
    assert all(f["n_train"] + f["n_test"] == len(small) for f in cv.folds)


def test_sentence_index_column_is_read_as_sent_idx(tmp_path):
    p = tmp_path / "l.csv"
    p.write_text(
        "text,doc_id,sentence_index,source,partnership,threat\n"
        "Second.,a,2,x,1,0\nFirst.,a,1,x,0,1\nOther.,b,1,y,1,0\n",
        encoding="utf-8",
    )
    ls = load_labels(p)
    assert ls.frames == ["partnership", "threat"]
    assert ls.sent_idx == [2, 1, 1]
    assert neighbour_context(ls.texts, ls.doc_ids, ls.sent_idx) == ["First.", "Second.", ""]


@pytest.mark.slow
def test_cli_train_with_the_recipe_writes_a_card_naming_the_extra_labels(run, tmp_path, small):
    rows = ["doc_id,source,sent_idx,text," + ",".join(FRAMES)]
    for i in range(len(small)):
        text = small.texts[i].replace('"', '""')
        vals = ",".join(str(int(v)) for v in small.y[i])
        rows.append(f'{small.doc_ids[i]},{small.sources[i]},{small.sent_idx[i]},"{text}",{vals}')
    lab = tmp_path / "lab.csv"
    lab.write_text("\n".join(rows) + "\n", encoding="utf-8")
    r = run(
        "train",
        lab,
        "--cv",
        "0",
        "-o",
        tmp_path / "m",
        "--context",
        "0.5",
        "--calibrate",
        "--dual",
        "--extra",
        LABELS,
        "--extra-weight",
        "0.3",
        "-q",
    )
    assert r.code == 0, r.err
    card = json.loads((tmp_path / "m.card.json").read_text())
    extra = card["training_data"]["extra"]
    assert extra["weight"] == 0.3 and extra["n_sentences"] == len(load_labels(LABELS))
    assert len(extra["sha256"]) == 64
    assert card["pipeline"]["params"]["context_weight"] == 0.5
    r = run("train", lab, "--cv", "0", "--context", "-1")
    assert r.code == 1 and "--context -1" in r.err and "\n" not in r.err.strip()
