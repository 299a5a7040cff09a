"""Benchmark: are corrected shares closer to the truth than raw ones, on a coded corpus?

Takes a labels file in which every sentence of a corpus is coded (``doc_id``, ``source``,
``text``, one 0/1 column per frame), e.g. ``corpora/demo/labels.csv`` or the real-text
development set's ``corpora/realdev/text/dev.csv``. For each of several seeds it draws a
validation sample (at most ``--n`` sentences, stratified by source x whether the lexicon
flags the sentence, as ``discourse label --validation`` does), treats the remaining
sentences as the truth, and compares, over sources x frames:

With the rest as the truth, the sample's weights are ``N_h / n_h - 1``: a coded row
stands for the sentences of its stratum that were *not* drawn (the flagged strata are
oversampled, so the rest has fewer flagged sentences than the corpus). ``--truth-all``
takes the whole corpus as the truth instead.

* the raw lexicon sentence shares and the corrected shares against the true shares:
  mean absolute error, and Spearman's rho of the source x frame shares;
* how often the corrected 95% interval covers the true share.

    python benchmarks/bench_correction.py                      # demo corpus, 20 seeds
    python benchmarks/bench_correction.py corpora/realdev/text/dev.csv --seeds 10
    python benchmarks/bench_correction.py --unit article --n 40   # article prevalence

``--unit article``: the same with whole articles (``label --validation N --unit article``):
an article has a frame when a coder marked any of its sentences, the method flags it when
it flags any of its sentences, and the shares are article shares (prevalence).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy import stats as sps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from discourse.api import get_lexicon  # noqa: E402
from discourse.classifier import lexicon_predict, load_labels  # noqa: E402
from discourse.correction import (  # noqa: E402
    SHRINK,
    SourceCounts,
    corrected_shares,
    draw_stratified,
    sample_from_arrays,
    stratum_label,
)


def one_run(
    gs, pred, n_val: int, seed: int, n_boot: int, truth_all: bool = False, shrink: float = SHRINK
) -> dict:
    labels = [stratum_label(s, p) for s, p in zip(gs.sources, pred)]
    idx, w, sizes = draw_stratified(labels, n_val, seed=seed)
    if not truth_all:
        # the target is the rest of the corpus: a coded row of stratum h stands for the
        # N_h - n_h sentences of h that were not drawn, not for all N_h
        w = np.array([wi - 1.0 for wi in w])
    val = sample_from_arrays(
        gs.frames, gs.y[idx], pred[idx], [gs.sources[i] for i in idx], w, [labels[i] for i in idx]
    )
    rest = np.arange(len(gs)) if truth_all else np.setdiff1d(np.arange(len(gs)), idx)
    docs, src = np.array(gs.doc_ids), np.array(gs.sources)
    counts, truth = [], {}
    for s in sorted(set(gs.sources)):
        m = rest[src[rest] == s]
        truth[s] = gs.y[m].mean(axis=0)
        ids, inv = np.unique(docs[m], return_inverse=True)
        sent = np.bincount(inv, minlength=len(ids)).astype(float)
        flagged = np.stack(
            [
                np.bincount(inv, weights=pred[m][:, j], minlength=len(ids))
                for j in range(len(gs.frames))
            ],
            axis=1,
        )
        counts.append(SourceCounts(s, sent, flagged))
    recs = corrected_shares(counts, val, n_boot=n_boot, seed=seed, shrink=shrink)
    undefined = sum(r["corrected"] is None for r in recs)  # sens + spec - 1 <= 0
    recs = [r for r in recs if r["corrected"] is not None]
    t = np.array([truth[r["source"]][gs.frames.index(r["frame"])] for r in recs])
    raw = np.array([r["raw"] for r in recs])
    cor = np.array([r["corrected"] for r in recs])
    lo = np.array([r["corrected_lo"] for r in recs])
    hi = np.array([r["corrected_hi"] for r in recs])
    return {
        "mae_raw": float(np.abs(raw - t).mean()),
        "mae_corrected": float(np.abs(cor - t).mean()),
        "rho_raw": float(sps.spearmanr(raw, t).statistic),
        "rho_corrected": float(sps.spearmanr(cor, t).statistic),
        "coverage": float(((lo <= t) & (t <= hi)).mean()),
        "unstable": int(sum(r["unstable"] for r in recs)),
        "n_val": len(val),
        "undefined": undefined,
    }


class Articles:
    """A labels set rolled up to articles: y and pred are 1 when any sentence has them."""

    def __init__(self, gs, pred):
        docs = list(dict.fromkeys(gs.doc_ids))
        index = {d: i for i, d in enumerate(docs)}
        rows = np.array([index[d] for d in gs.doc_ids])
        self.frames, self.doc_ids = gs.frames, docs
        self.y = np.zeros((len(docs), len(gs.frames)), dtype=np.int8)
        self.pred = np.zeros_like(self.y)
        np.maximum.at(self.y, rows, gs.y.astype(np.int8))
        np.maximum.at(self.pred, rows, pred.astype(np.int8))
        src = dict(zip(gs.doc_ids, gs.sources))
        self.sources = [src[d] for d in docs]

    def __len__(self) -> int:
        return len(self.doc_ids)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("labels", nargs="?", default=str(ROOT / "corpora" / "demo" / "labels.csv"))
    ap.add_argument("--n", type=int, default=300, help="validation sample size")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--boot", type=int, default=1000)
    ap.add_argument(
        "--shrink", type=float, default=SHRINK, help="partial pooling (0: own or pooled rates)"
    )
    ap.add_argument(
        "--truth-all",
        action="store_true",
        help="Truth and raw shares over the whole corpus (the validation sample included), "
        "as when a researcher validates a sample of the corpus being compared; default: "
        "over the sentences not in the sample",
    )
    ap.add_argument("--unit", choices=("sentence", "article"), default="sentence")
    args = ap.parse_args(argv)
    lex = get_lexicon(None)
    gs = load_labels(args.labels, frames=lex.frame_names)
    pred = lexicon_predict(lex, gs.texts, gs.frames)
    if args.unit == "article":
        gs = Articles(gs, pred)
        pred = gs.pred
    runs = [
        one_run(gs, pred, args.n, seed, args.boot, args.truth_all, args.shrink)
        for seed in range(1, args.seeds + 1)
    ]
    print(f"{args.labels}: {len(gs)} {args.unit}s, {len(set(gs.sources))} sources, "
          f"{len(gs.frames)} frames; validation samples of {runs[0]['n_val']}, "
          f"{len(runs)} seeds")  # fmt: skip
    for k in ("mae_raw", "mae_corrected", "rho_raw", "rho_corrected", "coverage"):
        v = np.array([r[k] for r in runs])
        print(f"  {k:<14} mean {v.mean():.4f}  (min {v.min():.4f}, max {v.max():.4f})")
    better = sum(r["mae_corrected"] < r["mae_raw"] for r in runs)
    print(f"  corrected closer than raw in {better} of {len(runs)} samples; "
          f"unstable figures per sample: {np.mean([r['unstable'] for r in runs]):.1f}, "
          f"undefined (left out): {np.mean([r['undefined'] for r in runs]):.1f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
