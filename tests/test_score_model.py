"""score/compare with a trained model: probabilities, classifier presence, --method."""

from __future__ import annotations

import json

import pytest

from discourse.classifier import load_model

from .conftest import DATA, DEMO


@pytest.fixture(scope="module")
def model(demo_model):
    return demo_model


def _records(run, *args):
    r = run(*args, "-f", "json")
    assert r.code == 0, r.err
    return json.loads(r.out)


def test_sentence_probabilities_and_article_shares(run, model):
    m = load_model(model)
    thr = dict(zip(m.frames_, m.thresholds_, strict=True))
    path = DATA / "summit_editorial.md"
    sents = _records(run, "score", path, "--model", model, "--by", "sentence")["records"]
    art = _records(run, "score", path, "--model", model)["records"][0]
    for f in m.frames_:
        probs = [s[f"{f}_prob"] for s in sents]
        assert all(0.0 <= p <= 1.0 for p in probs)
        above = sum(p >= thr[f] for p in probs)
        assert art[f"{f}_clf_share"] == pytest.approx(above / len(sents), abs=1e-4)
        assert art[f"{f}_clf_present"] == int(above > 0)
        # the default method is the lexicon: presence still means "a term fired"
        assert art[f"{f}_present"] == int(art[f"{f}_hits"] > 0)


def test_method_chooses_what_present_means(run, model):
    path = DEMO / "atlantic-ledger"
    lex = _records(run, "score", path, "--model", model)["records"]
    clf = _records(run, "score", path, "--model", model, "--method", "classifier")["records"]
    both = _records(run, "score", path, "--model", model, "--method", "both")["records"]
    for a, c, b in zip(lex, clf, both, strict=True):
        for f in ("partnership", "threat"):
            assert c[f"{f}_present"] == c[f"{f}_clf_present"]
            assert b[f"{f}_present"] == int(a[f"{f}_hits"] > 0 or a[f"{f}_clf_present"] == 1)
            assert c[f"{f}_hits"] == a[f"{f}_hits"]  # intensity stays the lexicon's


def test_compare_with_classifier_uses_classifier_presence(run, model):
    data = _records(run, "compare", DEMO, "--model", model, "--method", "classifier", "-q")
    assert data["meta"]["method"] == "classifier" and len(data["meta"]["model_hash"]) == 12
    arts = _records(run, "score", DEMO, "--model", model, "--source", "Meridian Wire")["records"]
    rec = next(
        r for r in data["records"] if r["source"] == "Meridian Wire" and r["frame"] == "threat"
    )
    assert rec["n_present"] == sum(a["threat_clf_present"] for a in arts)


def test_cached_scores_distinguish_models(run, model, db):
    run("ingest", DEMO, "--db", db, "-q")
    plain = _records(run, "compare", "--db", db)["records"]
    clf = _records(run, "compare", "--db", db, "--model", model, "--method", "classifier")
    again = _records(run, "compare", "--db", db, "--model", model, "--method", "classifier")
    assert clf["records"] == again["records"]
    assert plain != clf["records"]
    assert _records(run, "compare", "--db", db)["records"] == plain


def test_method_without_model_is_one_line(run):
    r = run("compare", DEMO, "--method", "classifier")
    assert r.code == 1
    assert (
        r.err == "discourse: error: --method classifier needs a trained model: add --model MODEL\n"
    )
    r = run("compare", DEMO, "--method", "vote")
    assert r.code == 1 and "--method 'vote' is not known" in r.err


@pytest.mark.slow
def test_report_with_model_equals_compare_with_model(run, model, tmp_path):
    args = ["--demo", "--week", "2026-W41", "--model", model, "--method", "both"]
    r = run("report", *args, "-o", tmp_path, "-q")
    assert r.code == 0, r.err
    summary = json.loads((tmp_path / "2026-W41" / "summary.json").read_text(encoding="utf-8"))
    cmp = _records(run, "compare", *args[:1], "--since", "2026-10-05", "--until", "2026-10-11",
                   *args[3:], "-q")  # fmt: skip
    assert summary["comparison"]["records"] == cmp["records"]
    assert summary["comparison"]["meta"]["method"] == "both"
    assert summary["provenance"]["model_hash"] == cmp["meta"]["model_hash"]
