"""Issue 12, second part: validation samples of whole articles and corrected article
prevalence, corrected trends, blind coding (no outlet shown), and units that do not match."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from discourse.api import get_lexicon, open_inputs
from discourse.classifier import load_labels
from discourse.correction import (
    SourceCounts,
    check_unit,
    corrected_shares,
    read_validation,
    rogan_gladen,
    validation_from_rows,
)
from discourse.errors import InputError
from discourse.labeling import (
    _render,
    validation_article_candidates,
    validation_candidates,
    validation_session,
)
from discourse.scoring import Scorer

from .conftest import DEMO

HEADER = ["doc_id", "source", "unit", "f", "pred_f", "weight"]


def article_rows(unit="article"):
    """Source A, stratum flagged: 4 articles (3 with the frame), weight 2; unflagged: 6
    articles (1 with the frame), weight 5. As a CSV reader gives them."""
    recs = [(y, 1, 2.0) for y in (1, 1, 1, 0)] + [(y, 0, 5.0) for y in (1, 0, 0, 0, 0, 0)]
    return [
        (i + 2, {"doc_id": f"d{i}", "source": "A", "unit": unit, "f": str(y),
                 "pred_f": str(p), "weight": str(w)})
        for i, (y, p, w) in enumerate(recs)
    ]  # fmt: skip


def test_article_sample_is_read_with_its_unit_and_corrected_by_hand():
    val = validation_from_rows(HEADER, article_rows(), ["f"])
    assert val.unit == "article" and val.provenance()["unit"] == "article"
    # by hand: sens = (2*3) / (2*3 + 5*1) = 6/11; spec = (5*5) / (2*1 + 5*5) = 25/27
    sens, spec = 6 / 11, 25 / 27
    # 8 articles of source A, the method finds the frame in 3 of them
    flagged = np.array([[1], [0], [1], [0], [0], [1], [0], [0]], dtype=float)
    counts = SourceCounts("A", np.ones(8), flagged, unit="article")
    (r,) = corrected_shares([counts], val, n_boot=300, seed=5, shrink=0)
    assert r["raw"] == pytest.approx(3 / 8)
    assert r["sensitivity"] == pytest.approx(sens) and r["specificity"] == pytest.approx(spec)
    assert r["corrected"] == pytest.approx((3 / 8 + spec - 1) / (sens + spec - 1))
    assert r["n_articles"] == 8
    assert r["corrected_lo"] <= r["corrected"] <= r["corrected_hi"]


def test_groups_share_the_validation_replicates():
    """Two periods whose article shares cannot vary in the bootstrap (every article has the
    same share) get the same interval only if every replicate resamples the validation
    sample once for both: the periods are compared on the same error rates."""
    val = validation_from_rows(HEADER, article_rows("sentence"), ["f"])
    sent, flagged = np.full(6, 10.0), np.full((6, 1), 3.0)
    groups = [SourceCounts("A", sent, flagged, key=("A", p)) for p in ("2026-01", "2026-02")]
    a, b = corrected_shares(groups, val, n_boot=300, seed=3, shrink=0)
    assert a["raw_lo"] == a["raw_hi"] == pytest.approx(0.3)
    assert a["corrected_lo"] < a["corrected_hi"]
    assert (a["corrected_lo"], a["corrected_hi"]) == (b["corrected_lo"], b["corrected_hi"])


def test_units_that_do_not_match_are_one_line_errors():
    val = validation_from_rows(HEADER, article_rows(), ["f"])
    counts = SourceCounts("A", np.full(3, 5.0), np.ones((3, 1)))  # sentence counts
    with pytest.raises(InputError, match=r"codes whole articles .*validation sample of sentences"):
        corrected_shares([counts], val, n_boot=50)
    sent_val = validation_from_rows(HEADER[:2] + HEADER[3:], article_rows(), ["f"])
    assert sent_val.unit == "sentence"
    with pytest.raises(InputError, match=r"--unit article") as e:
        check_unit(sent_val, "article", "correcting article shares")
    assert "\n" not in str(e.value)
    mixed = article_rows()
    mixed[3][1]["unit"] = "sentence"
    with pytest.raises(InputError, match=r"sentences \(line 5\) and articles \(line 2\); keep"):
        validation_from_rows(HEADER, mixed, ["f"])
    bad = article_rows()
    bad[0][1]["unit"] = "paragraph"
    with pytest.raises(InputError, match=r"line 2: unit is 'paragraph'"):
        validation_from_rows(HEADER, bad, ["f"])


# ------------------------------------------------------------------ the demo corpus


@pytest.fixture(scope="module")
def gold():
    """The demo gold labels and, per article, whether any of its sentences has the frame."""
    gs = load_labels(DEMO / "labels.csv")
    per_doc: dict[str, np.ndarray] = {}
    for d, y in zip(gs.doc_ids, gs.y):
        per_doc[d] = np.maximum(per_doc.get(d, np.zeros_like(y)), y)
    return gs, {(d, i): y for d, i, y in zip(gs.doc_ids, gs.sent_idx, gs.y)}, per_doc


@pytest.fixture(scope="module")
def demo():
    with open_inputs([DEMO], None) as inp:
        yield inp.store, Scorer(get_lexicon(None))


@pytest.fixture(scope="module")
def coded_articles(tmp_path_factory, gold, demo):
    """A validation sample of 30 demo articles drawn and coded through the CLI, coded as
    the demo gold labels say (an oracle coder), paging forward once in every article."""
    out = tmp_path_factory.mktemp("val") / "articles.csv"
    cands = validation_article_candidates(demo[0], demo[1], 30, seed=7)
    keys = "".join(">" + "".join("y" if v else "n" for v in gold[2][c.doc_id]) for c in cands)
    from discourse.cli import main

    mp = pytest.MonkeyPatch()
    mp.setattr("sys.stdin", io.StringIO(keys))
    try:
        code = main(["label", str(DEMO), "-o", str(out), "--validation", "30", "--unit",
                     "article", "--seed", "7", "-q"])  # fmt: skip
    finally:
        mp.undo()
    assert code == 0
    return out


def test_article_sample_is_stratified_and_weighted_by_articles(demo, gold, coded_articles):
    store, scorer = demo
    n_articles = len(gold[2])
    with coded_articles.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 30 and len({r["doc_id"] for r in rows}) == 30
    assert {r["unit"] for r in rows} == {"article"}
    # the weights stand for every article of the corpus, once
    assert sum(float(r["weight"]) for r in rows) == pytest.approx(n_articles)
    sizes = {r["stratum"]: int(r["stratum_size"]) for r in rows}
    assert sum(sizes.values()) == n_articles
    for r in rows:
        assert [int(r[f]) for f in scorer.frames] == gold[2][r["doc_id"]].tolist()
        flagged = any(int(r[f"pred_{f}"]) for f in scorer.frames)
        assert r["stratum"] == f"{r['source']}|{'flagged' if flagged else 'unflagged'}"
    # pred_<frame> is whether the lexicon finds the frame anywhere in the article
    arts = {c.doc_id: c for c in validation_article_candidates(store, scorer, 30, seed=7)}
    from discourse.labeling import article_doc_id

    for art in store.iter_articles():
        doc = article_doc_id(art)
        if doc in arts:
            (sc,) = scorer.score_batch([art])
            expect = [int(sc.frames[f].present) for f in scorer.frames]
            assert [arts[doc].extra[f"pred_{f}"] for f in scorer.frames] == expect


def test_article_session_pages_and_resumes(demo, gold, tmp_path):
    store, scorer = demo
    out = tmp_path / "a.csv"
    cands = validation_article_candidates(store, scorer, 6, seed=2)
    long = next(c for c in cands if len(c.pages) > 1)
    shown: list[str] = []
    keys = iter([">", ">", "<", "q"])
    first = cands.index(long)
    before = [k for c in cands[:first] for k in "y" * len(scorer.frames)]
    keys = iter([*before, ">", "<", "q"])
    r = validation_session(
        store, out, scorer, lambda: next(keys, ""), shown.append, 6, seed=2, unit="article"
    )
    text = "".join(shown)
    assert r.coded == first and r.unit == "article" and "article" in r.summary()
    assert f"page 2 of {len(long.pages)}" in text and text.count("page 1 of") >= 2
    keys2 = iter("n" * len(scorer.frames) * (6 - first))
    r2 = validation_session(
        store, out, scorer, lambda: next(keys2, ""), shown.append, 6, seed=2, unit="article"
    )
    assert r2.already == first and r2.coded == 6 - first
    with pytest.raises(InputError, match=r"codes whole articles .*`unit` article"):
        validation_session(store, out, scorer, lambda: "", shown.append, 6, seed=2)


def hand_rates(val, j, src):
    """A source's partially pooled sensitivity and specificity, written out by hand:
    (sum w hit + k pooled) / (sum w + k), k = 10 x the mean weight of its rows of that class."""
    y, p, w = val.y[:, j].astype(float), val.pred[:, j].astype(float), val.weight
    m = np.array(val.sources) == src
    out = []
    for cls, hit in ((1, p), (0, 1 - p)):
        pool = (w * hit)[y == cls].sum() / w[y == cls].sum()
        sel = m & (y == cls)
        if not sel.any():
            out.append(pool)
            continue
        k = 10 * w[sel].mean()
        out.append(((w * hit)[sel].sum() + k * pool) / (w[sel].sum() + k))
    return out


def test_compare_corrects_article_prevalence_from_an_article_sample(run, coded_articles):
    r = run("compare", DEMO, "--validation", coded_articles, "-f", "json")
    assert r.code == 0, r.err
    res = json.loads(r.out)
    corr = res["meta"]["corrected_with"]
    assert corr["unit"] == "article" and corr["corrects"] == "prevalence" and corr["n"] == 30
    val = read_validation(coded_articles, res["meta"]["frames"])
    checked = 0
    for rec in res["records"]:
        assert "unit=article" in rec["correction"]
        j = val.frames.index(rec["frame"])
        sens, spec = hand_rates(val, j, rec["source"])
        expect, _ = rogan_gladen(rec["prevalence"], sens, spec)
        if expect is not None and rec["corrected"] is not None:
            assert rec["corrected"] == pytest.approx(expect)
            checked += 1
    assert checked >= 20
    table = run("compare", DEMO, "--validation", coded_articles)
    assert "Article share (prevalence): raw → corrected" in table.out
    assert "validated articles" in table.out


@pytest.mark.slow
def test_report_shows_corrected_article_shares(run, coded_articles, tmp_path):
    r = run("report", DEMO, "--validation", coded_articles, "-o", tmp_path, "--since", "2000-01-01")
    assert r.code == 0, r.err
    (md,) = tmp_path.glob("*/report.md")
    text = md.read_text(encoding="utf-8")
    assert "Article share (prevalence): raw → corrected" in text
    assert "Corrected with 30 validated articles" in text and "code more articles" in text


def test_evaluate_refuses_an_article_sample(run, coded_articles):
    r = run("evaluate", coded_articles)
    assert r.code == 1 and r.err.count("\n") == 1
    assert "codes whole articles" in r.err and "label --validation N" in r.err


def test_unit_article_needs_validation(run, tmp_path):
    r = run("label", DEMO, "-o", tmp_path / "x.csv", "--unit", "article")
    assert r.code == 1 and r.err.count("\n") == 1 and "--validation" in r.err


# ------------------------------------------------------------------------- trend


def test_trend_corrects_each_period_with_shared_rates(demo, coded_articles):
    from discourse import evidence

    store, scorer = demo
    res = evidence.trend(store, scorer.lexicon, by="month", validation=coded_articles, n_boot=200)
    val = read_validation(coded_articles, scorer.frames)
    assert res.meta["corrected_with"]["unit"] == "article"
    checked = 0
    for rec in res.records:
        if not rec["n_articles"]:
            assert rec.get("corrected") is None
            continue
        sens, spec = hand_rates(val, val.frames.index(rec["frame"]), rec["source"])
        expect, _ = rogan_gladen(rec["prevalence"], sens, spec)
        if expect is not None and rec["corrected"] is not None:
            assert rec["corrected"] == pytest.approx(expect)
            assert rec["corrected_lo"] <= rec["corrected_hi"]
            checked += 1
    assert checked >= 20


def test_trend_with_a_sentence_sample_corrects_the_sentence_share(run, demo, gold, tmp_path):
    store, scorer = demo
    out = tmp_path / "val.csv"
    cands = validation_candidates(store, scorer, 80, seed=1)
    keys = iter(
        [k for c in cands for k in ("y" if v else "n" for v in gold[1][(c.doc_id, c.sent_idx)])]
    )
    validation_session(store, out, scorer, lambda: next(keys, ""), lambda s: None, 80, seed=1)
    r = run("trend", DEMO, "--by", "month", "--validation", out, "-f", "json")
    assert r.code == 0, r.err
    res = json.loads(r.out)
    assert res["meta"]["corrected_with"]["corrects"] == "sentence_share"
    with_share = [x for x in res["records"] if x["n_articles"]]
    assert with_share and all(x["sentence_share"] is not None for x in with_share)
    assert all("unit=sentence" in x["correction"] for x in with_share)
    table = run("trend", DEMO, "--by", "month", "--validation", out)
    assert "Sentence share: raw → corrected" in table.out


# ------------------------------------------------------------------- blind coding


def test_blind_coding_hides_the_outlet(demo):
    store, scorer = demo
    cands = validation_candidates(store, scorer, 40, seed=4)
    cands += validation_article_candidates(store, scorer, 10, seed=4)
    masked = 0
    for c in cands:
        shown = _render(c, 1, len(cands), scorer.frames, None, blind=True)
        assert c.source.lower() not in shown.lower(), shown
        assert c.doc_id not in shown
        masked += "[outlet]" in shown
        # the same sentence in an ordinary (not blind) session names its outlet
        if not c.pages:
            assert c.source in _render(c, 1, len(cands), scorer.frames, None, blind=False)
    assert masked  # some texts name their own outlet (datelines), and it is hidden


def test_rows_that_weigh_nothing_borrow_the_pooled_rates():
    """A source whose coded positives all weigh 0 (a stratum drawn whole, when the target is
    the rest of the corpus) gets the pooled sensitivity, not 0/0."""
    from discourse.correction import shrunk_rates

    y, p, w = np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0]), np.array([0.0, 0.0, 2.0, 2.0])
    sens, spec = shrunk_rates(y, p, w, (0.6, 0.9), 10.0)
    assert sens == pytest.approx(0.6)
    # negatives: (2*1 + 2*1 + k*0.9) / (4 + k), k = 10 * mean weight 2 = 20
    assert spec == pytest.approx((4 + 20 * 0.9) / (4 + 20))
