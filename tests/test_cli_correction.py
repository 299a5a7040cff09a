"""The commands of issue 12: label --validation, evaluate's weighted rates, compare --validation."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from discourse.api import get_lexicon, open_inputs
from discourse.classifier import lexicon_predict, load_labels
from discourse.correction import read_validation, rogan_gladen, weighted_rates
from discourse.labeling import validation_candidates
from discourse.scoring import Scorer

from .conftest import DEMO


@pytest.fixture(scope="module")
def gold():
    gs = load_labels(DEMO / "labels.csv")
    return gs, {(d, i): y for d, i, y in zip(gs.doc_ids, gs.sent_idx, gs.y)}


@pytest.fixture(scope="module")
def coded(tmp_path_factory, gold):
    """A validation sample of the demo corpus drawn and coded through the CLI, coded as
    the demo gold labels say (an oracle coder)."""
    out = tmp_path_factory.mktemp("val") / "val.csv"
    with open_inputs([DEMO], None) as inp:
        cands = validation_candidates(inp.store, Scorer(get_lexicon(None)), 120, seed=11)
    keys = "".join(
        "".join("y" if v else "n" for v in gold[1][(c.doc_id, c.sent_idx)]) for c in cands
    )
    from discourse.cli import main

    mp = pytest.MonkeyPatch()
    mp.setattr("sys.stdin", io.StringIO(keys))
    try:
        code = main(
            ["label", str(DEMO), "-o", str(out), "--validation", "120", "--seed", "11", "-q"]
        )
    finally:
        mp.undo()
    assert code == 0
    return out


def test_label_validation_writes_design_columns(coded, gold):
    with coded.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 120
    frames = gold[0].frames
    for col in ("weight", "stratum", "stratum_size", "method", *[f"pred_{f}" for f in frames]):
        assert col in rows[0]
    # the rows' weights add up to the corpus's sentences
    assert sum(float(r["weight"]) for r in rows) == pytest.approx(len(gold[0]))
    # the recorded calls are the lexicon's
    pred = lexicon_predict(get_lexicon(None), [r["text"] for r in rows], frames)
    assert pred.tolist() == [[int(r[f"pred_{f}"]) for f in frames] for r in rows]


def test_label_validation_refuses_uncertain(run, tmp_path):
    r = run("label", DEMO, "-o", tmp_path / "v.csv", "--validation", "10", "--stratify")
    assert r.code == 1 and r.err.count("\n") == 1 and "--validation" in r.err


def test_evaluate_reports_weighted_sensitivity_and_specificity(run, coded):
    r = run("evaluate", coded, "-f", "json")
    assert r.code == 0, r.err
    res = json.loads(r.out)
    assert res["meta"]["weighted"] is True
    val = read_validation(coded, load_labels(DEMO / "labels.csv").frames)
    j = val.frames.index("threat")
    sens, spec = weighted_rates(val.y[:, j], val.pred[:, j], val.weight)
    rec = next(x for x in res["rates"] if x["frame"] == "threat" and x["method"] == "lexicon")
    assert rec["sensitivity"] == pytest.approx(sens) and rec["specificity"] == pytest.approx(spec)
    assert rec["sensitivity_lo"] <= sens <= rec["sensitivity_hi"]
    table = run("evaluate", coded)
    assert "weighted by the sample design" in table.out and "sensitivity" in table.out
    only = json.loads(run("evaluate", coded, "--method", "lexicon", "-f", "json").out)
    assert {r["method"] for r in only["rates"]} == {"lexicon"}
    bad = run("evaluate", coded, "--method", "classifier")
    assert bad.code == 1 and bad.err.count("\n") == 1 and "need --model" in bad.err


def test_evaluate_on_a_labels_file_is_unweighted(run):
    r = run("evaluate", DEMO / "labels.csv", "-f", "csv")
    assert r.code == 0, r.err
    rows = list(csv.DictReader(io.StringIO(r.out)))
    gs = load_labels(DEMO / "labels.csv")
    pred = lexicon_predict(get_lexicon(None), gs.texts, gs.frames)
    j = gs.frames.index("economic")
    y, p = gs.y[:, j], pred[:, j]
    row = next(x for x in rows if x["frame"] == "economic" and x["method"] == "lexicon")
    assert float(row["sensitivity"]) == pytest.approx(p[y == 1].mean())
    assert float(row["specificity"]) == pytest.approx(1 - p[y == 0].mean())


def test_compare_validation_adds_corrected_fields(run, coded):
    r = run("compare", DEMO, "--validation", coded, "-f", "json", "--boot", "200")
    assert r.code == 0, r.err
    res = json.loads(r.out)
    corr = res["meta"]["corrected_with"]
    assert corr["n"] == 120 and corr["method"] == "lexicon" and len(corr["validation_sha256"]) == 64
    val = read_validation(coded, res["meta"]["frames"])
    for rec in res["records"]:
        assert {"corrected", "corrected_lo", "corrected_hi", "correction"} <= set(rec)
        assert corr["validation_sha256"][:16] in rec["correction"] and "n=120" in rec["correction"]
        if rec["corrected"] is not None:
            assert 0 <= rec["corrected_lo"] <= rec["corrected"] <= rec["corrected_hi"] <= 1
    # a corrected share is Rogan-Gladen on the raw share with the source's own weighted
    # rates shrunk towards the pooled ones (k0 = 10 coded rows), by hand
    rec = next(
        x for x in res["records"] if x["frame"] == "economic" and x["source"] == "Meridian Wire"
    )
    assert "rates=partial" in rec["correction"]
    j = val.frames.index("economic")
    y, p, w = val.y[:, j], val.pred[:, j], val.weight
    pooled = weighted_rates(y, p, w)
    mine = np.array(val.sources) == "Meridian Wire"
    sens_parts, spec_parts = [], []
    for sel, hit, rate, out in (
        (y == 1, p, pooled[0], sens_parts),
        (y == 0, 1 - p, pooled[1], spec_parts),
    ):
        m = mine & sel
        k = 10 * w[m].sum() / m.sum()
        out.append(((w * hit)[m].sum() + k * rate) / (w[m].sum() + k))
    want = rogan_gladen(rec["sentence_share"], sens_parts[0], spec_parts[0])[0]
    assert rec["corrected"] == pytest.approx(want)
    table = run("compare", DEMO, "--validation", coded, "--boot", "200", "--no-chart")
    assert "raw → corrected" in table.out and "→" in table.out


def test_compare_validation_errors_are_one_line(run, tmp_path, coded):
    bad = tmp_path / "bad.csv"
    text = coded.read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    drop = header.index("pred_threat")
    rows = list(csv.reader(io.StringIO("\n".join(text))))
    with bad.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([[c for i, c in enumerate(r) if i != drop] for r in rows])
    r = run("compare", DEMO, "--validation", bad)
    assert r.code == 1 and r.err.count("\n") == 1 and "pred_threat" in r.err
    r = run("compare", DEMO, "--validation", DEMO / "labels.csv")
    assert r.code == 1 and r.err.count("\n") == 1 and "prediction column" in r.err
    r = run("compare", DEMO, "--validation", tmp_path / "missing.csv")
    assert r.code == 1 and "not found" in r.err


def test_compare_refuses_a_sample_of_another_method(run, tmp_path, coded):
    other = tmp_path / "clf.csv"
    other.write_text(coded.read_text(encoding="utf-8").replace(",lexicon,", ",classifier,"))
    r = run("compare", DEMO, "--validation", other)
    assert r.code == 1 and "validates the method 'classifier'" in r.err


@pytest.mark.slow
def test_report_validation_shows_raw_and_corrected(run, tmp_path, coded):
    r = run("report", DEMO, "--validation", coded, "-o", tmp_path / "rep", "--boot", "200", "-q")
    assert r.code == 0, r.err
    folder = tmp_path / "rep" / "all"
    md = (folder / "report.md").read_text(encoding="utf-8")
    assert "raw → corrected" in md and "Findings about shares rest on the corrected" in md
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "raw → corrected" in html and "Findings about shares rest on the corrected" in html
    with (folder / "frames_by_source.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["correction"].startswith("estimator=acc;method=lexicon") for r in rows)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert "corrected" in json.dumps(summary)
    # the same figures as compare
    cmp = json.loads(run("compare", DEMO, "--validation", coded, "-f", "json", "--boot", "200").out)
    by_key = {(x["source"], x["frame"]): x["corrected"] for x in cmp["records"]}
    for row in rows:
        want = by_key[(row["source"], row["frame"])]
        assert (row["corrected"] == "" and want is None) or float(
            row["corrected"]
        ) == pytest.approx(want)


@pytest.mark.slow
def test_classifier_validation_adds_the_probabilistic_correction(run, tmp_path, gold):
    from discourse.classifier import load_model
    from discourse.cli import main
    from discourse.correction import rogan_gladen

    model = tmp_path / "demo"
    frames = ["partnership", "threat"]
    half = tmp_path / "half.csv"  # train on half the articles, validate on the corpus
    with (DEMO / "labels.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    docs = sorted({r["doc_id"] for r in rows})[::2]
    with half.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(
            fh, ["doc_id", "source", "sent_idx", "text", *frames], extrasaction="ignore"
        )
        w.writeheader()
        w.writerows(r for r in rows if r["doc_id"] in docs)
    args = ["train", str(half), "-o", str(model), "--cv", "0", "-q", "--dual"]
    args += ["--frames", ",".join(frames)]
    assert main(args) == 0
    lex = tmp_path / "lex.yaml"
    lex.write_text(_two_frame_lexicon(), encoding="utf-8")
    val = tmp_path / "val.csv"
    with open_inputs([DEMO], None) as inp:
        scorer = Scorer(load_lexicon_path(lex), model=load_model(model), method="classifier")
        cands = validation_candidates(inp.store, scorer, 80, seed=2)
    keys = "".join(
        "".join(
            "y" if gold[1][(c.doc_id, c.sent_idx)][gold[0].frames.index(f)] else "n" for f in frames
        )
        for c in cands
    )
    mp = pytest.MonkeyPatch()
    mp.setattr("sys.stdin", io.StringIO(keys))
    try:
        args = ["label", str(DEMO), "-o", str(val), "--validation", "80", "--seed", "2"]
        args += ["--method", "classifier", "--model", str(model), "--lexicon", str(lex), "-q"]
        assert main(args) == 0
    finally:
        mp.undo()
    sample = read_validation(val, frames)
    assert sample.prob is not None and sample.method == "classifier"
    r = run("compare", DEMO, "--validation", val, "--method", "classifier", "--model", model,
            "--lexicon", lex, "-f", "json", "--boot", "200")  # fmt: skip
    assert r.code == 0, r.err
    res = json.loads(r.out)
    assert "probabilistic" in res["meta"]["corrected_with"]
    # the probabilistic figures, by hand: mean probability, adjusted with mean probabilities
    with open_inputs([DEMO], None) as inp:
        texts = {}
        for art in inp.store.iter_articles():
            for s in scorer.tokenizer.sentences(art.text):
                texts.setdefault(art.source, []).append(s.text)
    mdl = load_model(model)
    j = sample.frames.index("threat")
    pos, neg = sample.y[:, j] == 1, sample.y[:, j] == 0
    w = sample.weight
    tpr = (w[pos] * sample.prob[pos, j]).sum() / w[pos].sum()
    fpr = (w[neg] * sample.prob[neg, j]).sum() / w[neg].sum()
    rec = next(
        x for x in res["records"] if x["frame"] == "threat" and x["source"] == "Meridian Wire"
    )
    probs = mdl.predict_proba(texts["Meridian Wire"])[:, list(mdl.frames_).index("threat")]
    assert rec["pcc"] == pytest.approx(probs.mean(), abs=1e-9)
    if "rates=pooled" in rec["correction"]:
        assert rec["pcc_corrected"] == pytest.approx(rogan_gladen(probs.mean(), tpr, 1 - fpr)[0])
    assert 0 <= rec["pcc_corrected_lo"] <= rec["pcc_corrected_hi"] <= 1
    table = run("compare", DEMO, "--validation", val, "--method", "classifier", "--model", model,
                "--lexicon", lex, "--boot", "200", "--no-chart")  # fmt: skip
    assert "Probabilistic version: mean classifier probability" in table.out


def load_lexicon_path(path):
    from discourse.lexicon import load_lexicon

    return load_lexicon(path)


def _two_frame_lexicon() -> str:
    """The default lexicon cut to the two frames the test model knows."""
    import yaml

    from .conftest import LEXICON

    data = yaml.safe_load(LEXICON.read_text(encoding="utf-8"))
    data["frames"] = {f: data["frames"][f] for f in ("partnership", "threat")}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
