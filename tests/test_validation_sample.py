"""`label --validation`: a stratified, weighted, blind, resumable validation sample."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from discourse.api import open_inputs
from discourse.classifier import load_labels
from discourse.correction import read_validation
from discourse.errors import InputError
from discourse.labeling import validation_candidates, validation_session
from discourse.lexicon import load_lexicon
from discourse.scoring import Scorer

from .conftest import DEMO, LEXICON


@pytest.fixture(scope="module")
def demo():
    with open_inputs([DEMO], None) as inp:
        yield inp.store, Scorer(load_lexicon(LEXICON))


@pytest.fixture(scope="module")
def gold():
    gs = load_labels(DEMO / "labels.csv")
    return gs, {(d, i): gs.y[k] for k, (d, i) in enumerate(zip(gs.doc_ids, gs.sent_idx))}


def oracle_keys(cands, gold_map, frames):
    """The keystrokes of a coder who codes exactly as the demo gold labels."""
    out = []
    for c in cands:
        y = gold_map[(c.doc_id, c.sent_idx)]
        out += ["y" if v else "n" for v in y[: len(frames)]]
    return out


def keyboard(keys):
    it = iter(keys)
    return lambda: next(it, "")


def test_sample_is_stratified_with_inverse_probability_weights(demo, gold):
    store, scorer = demo
    cands = validation_candidates(store, scorer, 60, seed=3)
    assert len(cands) == 60 and len({(c.doc_id, c.sent_idx) for c in cands}) == 60
    per = Counter(c.extra["stratum"] for c in cands)
    # 5 sources x flagged/unflagged, 6 rows each
    assert len(per) == 10 and set(per.values()) == {6}
    sizes = {c.extra["stratum"]: c.extra["stratum_size"] for c in cands}
    assert sum(sizes.values()) == len(gold[0])  # every demo sentence is in some stratum
    for c in cands:
        assert float(c.extra["weight"]) == pytest.approx(c.extra["stratum_size"] / 6)
        flagged = any(c.extra[f"pred_{f}"] for f in scorer.frames)
        assert c.extra["stratum"] == f"{c.source}|{'flagged' if flagged else 'unflagged'}"
        assert c.extra["method"] == "lexicon"
    # seeded
    again = validation_candidates(store, scorer, 60, seed=3)
    assert [(c.doc_id, c.sent_idx) for c in again] == [(c.doc_id, c.sent_idx) for c in cands]


def test_blind_resumable_session_gives_a_valid_validation_file(demo, gold, tmp_path):
    store, scorer = demo
    frames = scorer.frames
    out = tmp_path / "val.csv"
    cands = validation_candidates(store, scorer, 40, seed=4)
    keys = oracle_keys(cands, gold[1], frames)
    shown: list[str] = []
    # first session: stop after 15 sentences (end of input)
    r1 = validation_session(
        store, out, scorer, keyboard(keys[: 15 * len(frames)]), shown.append, 40, seed=4
    )
    assert r1.coded == 15 and r1.quit
    text = "".join(shown)
    assert "lexicon:" not in text and "(lexicon" not in text  # blind
    # resumed: the same draw, without the 15 already coded
    r2 = validation_session(
        store, out, scorer, keyboard(keys[15 * len(frames) :]), shown.append, 40, seed=4
    )
    assert r2.coded == 25 and r2.already == 15
    with out.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["doc_id"], int(r["sent_idx"])) for r in rows] == [
        (c.doc_id, c.sent_idx) for c in cands
    ]
    for r, c in zip(rows, cands):
        assert [int(r[f]) for f in frames] == gold[1][(c.doc_id, c.sent_idx)].tolist()
        assert r["pred_threat"] == str(c.extra["pred_threat"])
    val = read_validation(out, frames)
    assert len(val) == 40 and val.method == "lexicon"
    assert sorted(val.weight.tolist()) == pytest.approx(
        sorted(float(c.extra["weight"]) for c in cands)
    )


def test_a_plain_labels_file_is_not_resumed_as_a_validation_sample(demo, tmp_path):
    store, scorer = demo
    out = tmp_path / "labels.csv"
    out.write_text((DEMO / "labels.csv").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(InputError, match=r"no column 'pred_partnership'.*new file"):
        validation_session(store, out, scorer, keyboard([]), lambda s: None, 20)
