"""The frame classifier: estimator contract, grouped CV, safe model files, labels, agreement."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from discourse import classifier as C
from discourse.classifier import (
    FrameClassifier,
    article_fields,
    best_threshold,
    classify_sentences,
    cohen_kappa,
    cross_validate,
    evaluate,
    krippendorff_alpha_nominal,
    load_labels,
    load_model,
    save_model,
    sentence_fields,
    train,
)
from discourse.classifier.validation import _splitter
from discourse.errors import InputError, ModelError
from discourse.formats import clean
from discourse.lexicon import load_lexicon
from discourse.shared import DEFAULT_SEED

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "corpora" / "demo" / "labels.csv"
LEXICON = ROOT / "lexicons" / "china-russia-frames.yaml"
FRAMES = ["partnership", "multilateralism", "anti_hegemonism", "threat", "economic", "history"]
HEADER = "doc_id,source,sent_idx,text," + ",".join(FRAMES)


@pytest.fixture(scope="module")
def lex():
    return load_lexicon(LEXICON)


@pytest.fixture(scope="module")
def demo():
    return load_labels(LABELS, FRAMES)


@pytest.fixture(scope="module")
def small(demo):
    """About a quarter of the demo labels: 24 articles, every outlet, every frame."""
    docs = sorted(set(demo.doc_ids))
    keep = set(docs[::4]) | set(d for d in docs if "09-03" in d)  # the history articles
    return demo.subset([i for i, d in enumerate(demo.doc_ids) if d in keep])


@pytest.fixture(scope="module")
def fitted(small, lex):
    m = FrameClassifier(frames=small.frames, lexicon=lex, dual=True)  # same optimum, faster
    return m.fit(small.texts, small.y, groups=small.doc_ids)


@pytest.fixture
def saved(fitted, tmp_path):
    card = {"format": C.CARD_FORMAT, "model_sha256": fitted.model_sha256}
    save_model(fitted, tmp_path / "m", card=card)
    return tmp_path / "m"


def write_labels(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text(header + "\n" + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


# ------------------------------------------------------------------ estimator


def test_estimator_contract(small, lex):
    est = FrameClassifier(frames=small.frames, lexicon=lex, C=2.0, threshold_folds=2)
    # __init__ stores the parameters and nothing else
    assert set(vars(est)) == set(est.get_params())
    assert est.get_params()["C"] == 2.0
    assert est.set_params(C=3.0) is est and est.C == 3.0
    with pytest.raises(NotFittedError):
        est.predict_proba(["anything"])
    idx = list(range(0, len(small), 3))
    part = small.subset(idx)
    assert est.fit(part.texts, part.y, groups=part.doc_ids) is est  # fit returns self
    fitted_attrs = set(vars(est)) - set(est.get_params())
    assert fitted_attrs and all(a.endswith("_") or a.startswith("_") for a in fitted_attrs)
    twin = clone(est)
    assert twin.get_params()["C"] == 3.0
    assert twin.get_params()["lexicon"] is not lex  # deep-copied, still a Lexicon
    assert not hasattr(twin, "coef_")  # clone is unfitted
    proba = est.predict_proba(part.texts[:5])
    assert proba.shape == (5, len(small.frames)) and ((proba >= 0) & (proba <= 1)).all()
    assert set(np.unique(est.predict(part.texts[:5]))) <= {0, 1}
    with pytest.raises(ValueError):
        est.predict_proba("a single string")


def test_lexicon_as_path_param_clones(small):
    est = FrameClassifier(frames=small.frames, lexicon=str(LEXICON), threshold_folds=0)
    part = small.subset(range(0, len(small), 4))
    est.fit(part.texts, part.y)
    assert est.lexicon_.name == "china-russia-frames"
    assert clone(est).lexicon == str(LEXICON)
    assert est.threshold_method_.startswith("0.5")


def test_best_threshold():
    y = np.array([1, 1, 0, 1, 0, 0])
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.2, 0.1])
    t, f1 = best_threshold(y, p)
    assert 0.2 < t <= 0.6 and f1 == pytest.approx(6 / 7)  # cut below 0.6: tp 3, fp 1
    assert best_threshold(np.zeros(4), np.ones(4) / 2) == (0.5, None)


def test_one_class_in_a_training_fold_gives_a_constant(small):
    y = small.y.copy()
    y[:, 0] = 0
    est = FrameClassifier(frames=small.frames, threshold_folds=0).fit(small.texts[:50], y[:50])
    assert (est.predict_proba(small.texts[:3])[:, 0] < 1e-9).all()


# -------------------------------------------------------------- cross-validation


def test_grouped_folds_never_share_a_doc(demo):
    splits, _ = _splitter(demo, 5, DEFAULT_SEED)
    seen = set()
    for tr, te in splits:
        train_docs = {demo.doc_ids[i] for i in tr}
        test_docs = {demo.doc_ids[i] for i in te}
        assert not train_docs & test_docs
        assert not seen & test_docs  # each article is tested once
        seen |= test_docs
        # every frame has positives in every test fold on the demo
        assert (demo.y[te].sum(axis=0) > 0).all()
    assert seen == set(demo.doc_ids)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_grouped_folds_on_random_data(seed):
    rng = np.random.default_rng(seed)
    docs = [f"d{int(i)}" for i in rng.integers(0, 23, size=400)]
    y = (rng.random((400, 3)) < [0.02, 0.2, 0.5]).astype(np.int8)
    for k in (2, 5, 23):
        folds = C.grouped_folds(docs, y, k, seed)
        tested = [docs[i] for _, te in folds for i in te]
        assert sorted(tested) == sorted(docs)  # every sentence tested exactly once
        for tr, te in folds:
            assert len(te) and not {docs[i] for i in tr} & {docs[i] for i in te}


def test_more_folds_than_articles_is_reduced(small):
    few = small.subset(
        [i for i, d in enumerate(small.doc_ids) if d in set(small.doc_ids[:1])]
        + [i for i, d in enumerate(small.doc_ids) if d == small.doc_ids[-1]]
    )
    notes: list[str] = []
    assert C.check_groups(few, 5, notes.append) == 2
    assert "more than the 2 articles; using 2 folds" in notes[0]
    with pytest.raises(InputError, match="at least 2 folds"):
        C.check_groups(few, 1)


def test_thresholds_are_chosen_inside_the_training_fold(small, monkeypatch):
    """No fit (outer or inner) during cross-validation ever sees a test article's text."""
    seen_fits: list[set[str]] = []
    real = FrameClassifier._fit_state

    def spy(self, texts, Y, lex, *rest):
        seen_fits.append(set(texts))
        return real(self, texts, Y, lex, *rest)

    monkeypatch.setattr(FrameClassifier, "_fit_state", spy)
    cv = cross_validate(small, k=3, seed=7, params={"threshold_folds": 2, "dual": True})
    splits, _ = _splitter(small, 3, 7)
    assert len(seen_fits) == 3 * (1 + 2)  # per fold: the fold model + 2 inner fits
    for f, (tr, te) in enumerate(splits):
        test_texts = {small.texts[i] for i in te} - {small.texts[i] for i in tr}
        for fit_texts in seen_fits[3 * f : 3 * f + 3]:
            assert not fit_texts & test_texts
    assert [fold["n_test"] for fold in cv.folds] == [len(te) for _, te in splits]


@pytest.mark.slow
def test_cross_validation_is_reproducible(small, lex):
    half = small.subset(range(0, len(small), 2))
    params = {"threshold_folds": 2, "dual": True}
    a = cross_validate(half, k=3, seed=11, lexicon=lex, params=params)
    b = cross_validate(half, k=3, seed=11, lexicon=lex, params=params)
    assert a.summary == b.summary and a.folds == b.folds
    same, _ = _splitter(half, 3, 11)
    other, _ = _splitter(half, 3, 12)
    assert [te.tolist() for _, te in other] != [te.tolist() for _, te in same]
    assert [len(te) for _, te in same] == [f["n_test"] for f in a.folds]
    methods = {r["method"] for r in a.summary}
    assert methods == {"classifier", "lexicon", "baseline"}
    base = [r for r in a.summary if r["method"] == "baseline"]
    assert all(r["f1_mean"] == 0.0 and r["precision_mean"] is None for r in base)
    assert a.macro_f1("classifier", "core")[0] is not None
    rows = C.cv_records(a)
    assert rows[-2]["frame"] == "macro-F1 (core)" and "±" in rows[0]["clf F1"]
    json.dumps(a.to_dict(), allow_nan=False)  # strict JSON


@pytest.mark.slow
def test_real_five_fold_cv_on_the_demo(demo, lex):
    # dual=True: the same optimum as the default primal solver (the same macro F1 to the
    # last digit here) in a seventh of the CPU; the primal path is trained by other tests
    cv = cross_validate(demo, k=5, lexicon=lex, params={"dual": True})
    import csv

    with LABELS.open(encoding="utf-8") as fh:
        n_docs = len({r["doc_id"] for r in csv.DictReader(fh)})
    assert cv.k == 5 and cv.n_docs == n_docs >= 80
    clf, _ = cv.macro_f1("classifier", "core")
    lexf, _ = cv.macro_f1("lexicon", "core")
    assert clf > lexf > 0.3
    for r in cv.summary:
        if r["method"] != "baseline":
            assert r["f1_sd"] is not None and r["f1_folds"] == 5


def test_fewer_than_two_articles_refuses(tmp_path):
    rows = [f"a,S,{i},sentence number {i} here,{i % 2},0,0,0,0,{1 - i % 2}" for i in range(6)]
    p = write_labels(tmp_path / "one.csv", rows)
    with pytest.raises(InputError, match=r"one article \(doc_id 'a'\).*at least 2 articles"):
        train(p, None, k=2, frames=["partnership", "history"])


# ------------------------------------------------------------------ model files


def test_save_load_round_trip_is_identical(fitted, saved, small):
    model = load_model(saved, warn=pytest.fail)
    texts = small.texts + ["Shoulder to shoulder, the two neighbours stand together."]
    assert np.array_equal(model.predict_proba(texts), fitted.predict_proba(texts))
    assert np.array_equal(model.predict(texts), fitted.predict(texts))
    assert np.array_equal(model.thresholds_, fitted.thresholds_)
    assert model.model_hash == fitted.model_hash and len(model.model_hash) == 12
    assert model.frames_ == fitted.frames_
    assert model.lexicon_.sha256 == fitted.lexicon_.sha256
    # the same model by its .json path, and a model saved twice hashes the same
    assert load_model(str(saved) + ".json", warn=pytest.fail).model_hash == fitted.model_hash


def test_model_files_are_plain_data(saved):
    body = json.loads(Path(str(saved) + ".json").read_text(encoding="utf-8"))
    assert body["format"] == C.FORMAT and body["versions"]["scikit-learn"] == sklearn.__version__
    with np.load(str(saved) + ".npz", allow_pickle=False) as z:
        for name in z.files:
            assert z[name].dtype == np.float64
    src = "".join(p.read_text(encoding="utf-8") for p in Path(C.__file__).parent.glob("*.py"))
    assert not re.search(r"^\s*(import|from)\s+(pickle|joblib|dill|cloudpickle)", src, re.M)
    assert "allow_pickle=True" not in src


def _rewrite_json(saved: Path, change) -> None:
    jp = Path(str(saved) + ".json")
    body = json.loads(jp.read_text(encoding="utf-8"))
    change(body)
    jp.write_text(json.dumps(body), encoding="utf-8")


def test_tampered_npz(saved):
    npz = Path(str(saved) + ".npz")
    data = bytearray(npz.read_bytes())
    data[len(data) // 2] ^= 0xFF
    npz.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"m\.npz does not match m\.json .*changed or truncated"):
        load_model(saved)


def test_consistently_tampered_arrays_fail_the_content_hash(saved):
    npz = Path(str(saved) + ".npz")
    with np.load(npz, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["thresholds"] = arrays["thresholds"] * 0 + 0.01
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    npz.write_bytes(buf.getvalue())
    sha = hashlib.sha256(buf.getvalue()).hexdigest()
    _rewrite_json(saved, lambda b: b.update(npz_sha256=sha))
    with pytest.raises(ModelError, match="does not match its hash"):
        load_model(saved)


def test_object_arrays_are_refused(saved):
    npz = Path(str(saved) + ".npz")
    buf = io.BytesIO()
    np.savez(buf, coef=np.array([{"x": 1}], dtype=object))
    npz.write_bytes(buf.getvalue())
    sha = hashlib.sha256(buf.getvalue()).hexdigest()
    _rewrite_json(saved, lambda b: b.update(npz_sha256=sha))
    with pytest.raises(ModelError, match="not the arrays of a discourse model|not a usable"):
        load_model(saved)


def test_tampered_vocabulary(saved):
    _rewrite_json(saved, lambda b: b["vectorizers"]["word"].__setitem__(0, "zzz-new"))
    with pytest.raises(ModelError, match="does not match its hash"):
        load_model(saved)


def test_truncated_json(saved):
    jp = Path(str(saved) + ".json")
    jp.write_bytes(jp.read_bytes()[:500])
    with pytest.raises(ModelError, match=r"not a valid model file: not JSON \(line \d+\)"):
        load_model(saved)


def test_foreign_json_and_missing_files(saved, tmp_path):
    foreign = tmp_path / "other.json"
    foreign.write_text('{"name": "something else"}', encoding="utf-8")
    with pytest.raises(ModelError, match="not a discourse model file"):
        load_model(foreign)
    shutil.copy(str(saved) + ".card.json", tmp_path / "card.json")  # a card named like a model
    with pytest.raises(ModelError, match="is a model card, not the model"):
        load_model(tmp_path / "card.json")
    with pytest.raises(ModelError, match=r"no model at .*nothing\.json; train one"):
        load_model(tmp_path / "nothing")
    Path(str(saved) + ".npz").unlink()
    with pytest.raises(ModelError, match="m.npz is missing"):
        load_model(saved)


def test_version_mismatch_warns(saved):
    _rewrite_json(saved, lambda b: b["versions"].update({"scikit-learn": "0.0.1"}))
    seen: list[str] = []
    model = load_model(saved, warn=seen.append)
    assert model.model_hash
    assert len(seen) == 1
    assert "scikit-learn 0.0.1" in seen[0] and f"scikit-learn {sklearn.__version__}" in seen[0]


def test_newer_format_is_refused(saved):
    _rewrite_json(saved, lambda b: b.update(format_version=99))
    with pytest.raises(ModelError, match="format version 99.*upgrade discourse"):
        load_model(saved)


# ------------------------------------------------------------------------ labels

GOOD = [
    "a,S,0,We are friends of steel.,1,0,0,0,0,0",
    "a,S,1,The UN must be reformed.,0,1,0,0,0,1",
    "b,S,0,Hegemony is over.,0,0,1,1,1,0",
]


@pytest.mark.parametrize(
    ("header", "rows", "message"),
    [
        (HEADER.replace(",history", ""), [r[:-2] for r in GOOD], "no column for frame 'history'"),
        (HEADER.replace("doc_id,", ""), [r[2:] for r in GOOD], "no 'doc_id' column"),
        (
            HEADER,
            [*GOOD, "b,S,1,Trade grew.,0,0,0,0,2,0"],
            r"line 5: frame 'economic' is '2', not 0 or 1",
        ),
        (
            HEADER,
            [*GOOD, "b,S,1,Trade grew.,0,0,0,0,,0"],
            r"line 5: frame 'economic' is empty, not 0 or 1",
        ),
        (HEADER, [*GOOD, "b,S,1,  ,0,0,0,0,1,0"], r"line 5: empty text"),
        (HEADER, [*GOOD, ",S,1,Trade grew.,0,0,0,0,1,0"], r"line 5: empty doc_id"),
        (
            HEADER,
            [*GOOD, "a,S,1,Another sentence.,0,1,0,0,0,1"],
            r"lines 3 and 5: duplicate row \(doc_id 'a', sentence 1\); keep one",
        ),
        (
            HEADER,
            [*GOOD, "a,S,1,The UN must be reformed.,0,0,0,0,0,1"],
            r"duplicate row .*, coded differently; keep one",
        ),
        (HEADER, [*GOOD, "b,S,x,Trade grew.,0,0,0,0,1,0"], r"line 5: sent_idx is 'x'"),
        (
            HEADER,
            [r[:-1] + "0" for r in GOOD],
            r"frame 'history' is 0 in all 3 rows \(one class only\)",
        ),
        (HEADER, [], "no data rows"),
    ],
)
def test_bad_labels(tmp_path, header, rows, message):
    p = write_labels(tmp_path / "labels.csv", rows, header)
    with pytest.raises(InputError, match=message):
        load_labels(p, FRAMES)


def test_labels_from_records_and_dataframe():
    recs = list(csv.DictReader(io.StringIO(HEADER + "\n" + "\n".join(GOOD))))
    ls = load_labels(recs, FRAMES)
    assert ls.y.shape == (3, 6) and ls.n_docs == 2
    import pandas as pd

    df = pd.DataFrame(recs)
    df[FRAMES] = df[FRAMES].astype(int)
    assert (load_labels(df, FRAMES).y == ls.y).all()
    df.loc[1, "threat"] = 5
    with pytest.raises(InputError, match="line 3: frame 'threat' is 5"):
        load_labels(df, FRAMES)


def test_labels_file_errors(tmp_path):
    with pytest.raises(InputError, match="labels file not found"):
        load_labels(tmp_path / "missing.csv")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(InputError, match="not UTF-8"):
        load_labels(tmp_path / "bin.csv")


def test_frames_default_to_non_meta_columns(tmp_path):
    p = write_labels(tmp_path / "l.csv", GOOD)
    ls = load_labels(p)
    assert ls.frames == FRAMES
    two = load_labels(ls, ["threat", "partnership"])
    assert two.frames == ["threat", "partnership"] and two.y[:, 1].tolist() == [1, 0, 0]
    with pytest.raises(InputError, match="no column for frame 'nope'"):
        load_labels(ls, ["nope"])


# -------------------------------------------------------------------- agreement


def test_cohen_kappa_textbook_value():
    # 50 items: both yes 20, A yes/B no 5, A no/B yes 10, both no 15 -> po .7, pe .5, kappa .4
    a = [1] * 20 + [1] * 5 + [0] * 10 + [0] * 15
    b = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert cohen_kappa([0, 0, 0], [0, 0, 0]) is None


def test_krippendorff_alpha_literature_values():
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": nominal example
    # with 4 coders, 12 units and missing values: alpha = 0.743
    n = None
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
        [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n],
    ]
    assert krippendorff_alpha_nominal(data) == pytest.approx(0.743, abs=5e-4)
    # ... and the binary example with two observers and 10 units: alpha = 0.095
    binary = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]
    assert krippendorff_alpha_nominal(binary) == pytest.approx(0.095, abs=5e-4)
    assert krippendorff_alpha_nominal([[1, 0, 1], [1, 0, 1]]) == 1.0
    assert krippendorff_alpha_nominal([[1, 1], [1, 1]]) is None  # no variation
    assert krippendorff_alpha_nominal([[1, float("nan")], [None, 0]]) is None  # nothing pairable


# --------------------------------------------------------------- train, evaluate


def test_train_writes_model_and_card_and_evaluate_flags_in_sample(small, lex, tmp_path):
    lab = tmp_path / "small.csv"
    with lab.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["doc_id", "source", "sent_idx", "text", *FRAMES])
        for i in range(0, len(small), 2):
            w.writerow(
                [
                    small.doc_ids[i],
                    small.sources[i],
                    small.sent_idx[i],
                    small.texts[i],
                    *small.y[i].tolist(),
                ]
            )
    res = train(lab, tmp_path / "models" / "m", lexicon=lex, k=2, seed=3)
    card = json.loads((tmp_path / "models" / "m.card.json").read_text(encoding="utf-8"))
    assert card["model_hash"] == res.model.model_hash
    assert card["training_data"]["sha256"] == hashlib.sha256(lab.read_bytes()).hexdigest()
    assert card["frames"] == FRAMES and card["circular_validation"] is False
    assert set(card["versions"]) >= {"python", "scikit-learn", "numpy", "discourse"}
    assert card["lexicon"]["hash"] == lex.hash
    assert card["cross_validation"]["k"] == 2 and card["thresholds"].keys() == set(FRAMES)
    assert card["training_data"]["label_counts"]["history"]["positive"] > 0
    notes: list[str] = []
    ev = evaluate(lab, model=tmp_path / "models" / "m", lexicon=lex, errors=2, warn=notes.append)
    assert ev.meta["in_sample"] is True and "in-sample" in notes[0]
    methods = {(r["frame"], r["method"]) for r in ev.metrics}
    assert ("threat", "lexicon") in methods and ("threat", "classifier") in methods
    pairs = {a["raters"] for a in ev.agreement}
    assert pairs == {
        "lexicon-gold",
        "classifier-gold",
        "lexicon-classifier",
        "lexicon-classifier-gold",
    }
    fps = [e for e in ev.errors if e["method"] == "classifier" and e["error"] == "false positive"]
    for frame in {e["frame"] for e in fps}:
        probs = [e["prob"] for e in fps if e["frame"] == frame]
        assert probs == sorted(probs, reverse=True) and len(probs) <= 2
    lex_fp = [e for e in ev.errors if e["method"] == "lexicon" and e["error"] == "false positive"]
    assert lex_fp and all(f"{e['frame']}:" in e["lexicon_terms"] for e in lex_fp)
    json.dumps(clean(ev.to_dict()), allow_nan=False)
    assert C.eval_records(ev)[0]["frame"] == "partnership"


def test_evaluate_counts_sentences_seen_in_training(fitted, small, lex, tmp_path):
    p = tmp_path / "mixed.csv"
    with p.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER.split(","))
        for i in range(3):  # three sentences the model was trained on
            w.writerow(
                [small.doc_ids[i], "S", small.sent_idx[i], small.texts[i], *small.y[i].tolist()]
            )
        for row in csv.reader(GOOD):  # three it has not seen
            w.writerow(["new-" + row[0], *row[1:]])
    notes: list[str] = []
    ev = evaluate(p, model=fitted, lexicon=lex, warn=notes.append)
    assert ev.meta["overlap_with_training"] == 3 and ev.meta["in_sample"] is False
    assert any("3 of the 6 gold sentences were in the model's training data" in n for n in notes)


def test_evaluate_lexicon_only(lex, tmp_path):
    p = write_labels(tmp_path / "g.csv", [*GOOD, "c,S,0,Mutual trust keeps growing.,1,0,0,0,0,0"])
    ev = evaluate(p, lexicon=lex)
    r = next(x for x in ev.metrics if x["frame"] == "partnership" and x["method"] == "lexicon")
    assert r["support"] == 2 and r["tp"] == 2 and r["precision"] == 1.0


@pytest.mark.slow
def test_from_lexicon_is_marked_circular(lex):
    from discourse.api import open_inputs

    notes: list[str] = []
    with open_inputs([ROOT / "corpora" / "demo" / "meridian-wire"], None) as inp:
        res = train(
            None,
            None,
            lexicon=lex,
            k=2,
            from_lexicon=True,
            store=inp.store,
            max_sentences=300,
            warn=notes.append,
        )
    assert res.card["circular_validation"] is True and "CIRCULAR" in res.card["warning"]
    assert res.cv.circular and res.model.lexicon_ is None  # the lexicon is not a feature
    assert any("CIRCULAR VALIDATION" in n for n in notes)
    assert res.labels.kind == "lexicon" and res.labels.doc_ids[0].startswith("article:")
    # its training texts overlap the gold, but it never saw gold labels: no warning
    gold_notes: list[str] = []
    ev = evaluate(LABELS, model=res.model, lexicon=lex, warn=gold_notes.append)
    assert ev.meta["overlap_with_training"] > 0 and not gold_notes
    assert "never the gold labels" in ev.meta["overlap_note"]


# ------------------------------------------------------------------ using a model


def test_score_helpers(fitted):
    texts = ["China and Russia are friends of steel.", "The weather was fine.", "x"]
    probs, thr = classify_sentences(fitted, texts)
    assert probs.shape == (3, len(fitted.frames_)) and thr.shape == (len(fitted.frames_),)
    row = sentence_fields(fitted.frames_, probs[0])
    assert set(row) == {f"{f}_prob" for f in fitted.frames_}
    art = article_fields(fitted.frames_, probs, thr)
    share = art["partnership_clf_share"]
    assert share == round(float((probs[:, 0] >= thr[0]).mean()), 4)
    assert art["partnership_clf_present"] == int(share > 0)
    empty = article_fields(fitted.frames_, np.zeros((0, len(thr))), thr)
    assert empty["partnership_clf_share"] == 0.0 and empty["partnership_clf_present"] == 0
    assert fitted.cache_key.startswith("model:") and fitted.provenance()["model_hash"]
    batched = C.classify_articles(fitted, [texts[:2], [], texts[2:]])
    assert [b.shape[0] for b in batched] == [2, 0, 1]
    assert np.array_equal(np.vstack(batched), probs)


# ------------------------------------------------------------------------- CLI


def test_cli_train_and_evaluate(run, tmp_path, small):
    lab = tmp_path / "l.csv"
    with lab.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["doc_id", "source", "sent_idx", "text", *FRAMES])
        for i in range(0, len(small), 3):
            w.writerow(
                [
                    small.doc_ids[i],
                    small.sources[i],
                    small.sent_idx[i],
                    small.texts[i],
                    *small.y[i].tolist(),
                ]
            )
    r = run("train", lab, "-o", tmp_path / "m", "--cv", "2")
    assert r.code == 0, r.err
    assert "macro-F1 (core)" in r.out and "±" in r.out and "wrote" in r.err
    r = run("evaluate", lab, "--model", tmp_path / "m", "--format", "json")
    assert r.code == 0 and json.loads(r.out)["meta"]["in_sample"] is True
    r = run("evaluate", lab, "--model", tmp_path / "nothing")
    assert r.code == 1 and "discourse: error: no model at" in r.err
    r = run("train", tmp_path / "missing.csv")
    assert r.code == 1 and "labels file not found" in r.err
