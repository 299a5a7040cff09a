"""Cross-validation grouped by ``doc_id``: no article's sentences in both training and
test folds; the classifier next to the lexicon and a majority baseline on the same folds.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from discourse.classifier.estimator import FrameClassifier, group_kfold
from discourse.classifier.features import lexicon_predict, neighbour_context, resolve_lexicon
from discourse.classifier.labels import LabelSet, load_labels
from discourse.classifier.metrics import mean_sd, prf
from discourse.errors import InputError
from discourse.lexicon import Lexicon
from discourse.provenance import lexicon_record
from discourse.shared import DEFAULT_SEED, Note, Warn
from discourse.workers import imap

CORE_FRAMES = ("partnership", "multilateralism", "anti_hegemonism")
DEFAULT_K = 5
METHODS = ("classifier", "lexicon", "baseline")


# ---------------------------------------------------------------- cross-validation


@dataclass
class CVResult:
    """Grouped k-fold cross-validation of classifier, lexicon and majority baseline."""

    frames: list[str]
    k: int
    seed: int
    splitter: str
    n_sentences: int
    n_docs: int
    folds: list[dict]  # per fold: sizes, positives, thresholds
    per_fold: list[dict]  # per fold, frame and method: precision, recall, f1, counts
    summary: list[dict]  # per frame and method: mean and SD over folds, pooled scores
    macro: list[dict]  # per method: macro-F1 over core frames and over all frames
    core_frames: list[str]
    lexicon: dict | None = None
    circular: bool = False
    seconds: float = 0.0

    def macro_f1(self, method: str, which: str = "core") -> tuple[float | None, float | None]:
        for r in self.macro:
            if r["method"] == method and r["frames"] == which:
                return r["f1_mean"], r["f1_sd"]
        return None, None

    def to_dict(self) -> dict:
        return {
            "scheme": f"{self.k}-fold cross-validation grouped by doc_id ({self.splitter}); "
            "thresholds chosen inside each training fold",
            "k": self.k,
            "seed": self.seed,
            "n_sentences": self.n_sentences,
            "n_docs": self.n_docs,
            "sd": "sample standard deviation across folds (ddof=1)",
            "undefined": "a score that is 0/0 in a fold (e.g. precision with no predicted "
            "positives) is left out of that frame's mean; n_folds says how many folds count",
            "circular": self.circular,
            "core_frames": self.core_frames,
            "lexicon": self.lexicon,
            "summary": self.summary,
            "macro_f1": self.macro,
            "folds": self.folds,
            "per_fold": self.per_fold,
            "seconds": round(self.seconds, 2),
        }


def grouped_folds(
    doc_ids: Sequence[str], y: np.ndarray, k: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """k folds of whole articles, stratified on the frames (multi-label), seeded.

    Iterative stratification over articles, after Sechidis, Tsoumakas & Vlahavas (2011):
    articles are taken rarest frame first (random order within a frame, from ``seed``);
    each goes to the fold where it most reduces the shortfall of positives per frame and
    of sentences, relative to 1/k of the totals (sum of squares).
    Every article is in exactly one test fold; each fold's positives of each frame come
    close to 1/k of the total, so no test fold misses a rare frame that the data allow.
    """
    rng = np.random.default_rng(seed)
    docs = list(dict.fromkeys(doc_ids))
    index = {d: i for i, d in enumerate(docs)}
    g = np.array([index[d] for d in doc_ids])
    n_docs, n_frames = len(docs), y.shape[1]
    counts = np.zeros((n_docs, n_frames + 1))
    np.add.at(counts, (g, slice(0, n_frames)), y)
    np.add.at(counts, (g, n_frames), 1)
    totals = counts[:, :n_frames].sum(axis=0)
    need = np.tile(counts.sum(axis=0) / k, (k, 1))
    rarest = np.where(counts[:, :n_frames] > 0, totals, np.inf).argmin(axis=1)
    has_pos = counts[:, :n_frames].sum(axis=1) > 0
    key_total = np.where(has_pos, totals[rarest], np.inf)
    order = np.lexsort((rng.random(n_docs), key_total))
    weight = 1.0 / np.maximum(need[0], 1e-9) ** 2
    fold_of = np.empty(n_docs, dtype=int)
    for d in order:
        # the fold where this article most reduces the relative squared shortfall
        gain = (need * (counts[d] * weight)).sum(axis=1)
        f = np.lexsort((rng.random(k), -gain))[0]
        fold_of[d] = f
        need[f] -= counts[d]
    sample_fold = fold_of[g]
    out = []
    for f in range(k):
        out.append((np.flatnonzero(sample_fold != f), np.flatnonzero(sample_fold == f)))
    return out


def _splitter(labels: LabelSet, k: int, seed: int):
    splits = grouped_folds(labels.doc_ids, labels.y, k, seed)
    if any(len(te) == 0 for _, te in splits):  # cannot happen with k <= articles; be safe
        gkf = group_kfold(k, seed)
        return list(gkf.split(labels.texts, groups=labels.doc_ids)), "GroupKFold"
    return splits, "articles stratified on frames (iterative stratification)"


def check_groups(labels: LabelSet, k: int, warn: Warn | None = None) -> int:
    """The number of folds to use; refuses (InputError) with fewer than 2 documents."""
    n_docs = labels.n_docs
    if n_docs < 2:
        raise InputError(
            f"{labels.path}: all {len(labels)} sentences come from one article (doc_id "
            f"{labels.doc_ids[0]!r}); training needs sentences from at least 2 articles, "
            "because grouped cross-validation and threshold selection hold whole articles out"
        )
    if k == 1 or k < 0:
        raise InputError(f"`cv` {k}: use at least 2 folds (or 0 to skip cross-validation)")
    if k > n_docs:
        if warn:
            warn(f"`cv` {k} is more than the {n_docs} articles; using {n_docs} folds")
        k = n_docs
    return k


def cross_validate(
    labels: Any,
    frames: Sequence[str] | None = None,
    k: int = DEFAULT_K,
    seed: int = DEFAULT_SEED,
    lexicon: Lexicon | str | os.PathLike | None = None,
    params: dict | None = None,
    lexicon_features: bool = True,
    core_frames: Sequence[str] = CORE_FRAMES,
    progress: Note | None = None,
    warn: Warn | None = None,
    circular: bool = False,
    extra: Any = None,
    extra_weight: float = 1.0,
    workers: int = 1,
) -> CVResult:
    """Grouped k-fold CV: per frame P/R/F1 (mean ± SD over folds) of the classifier, the
    lexicon (present iff it fires) and a majority baseline, all on the same test folds.

    ``labels``: a path, LabelSet, DataFrame or list of dicts. ``params``: extra
    :class:`FrameClassifier` parameters. With ``lexicon_features``, the lexicon's hit
    counts are classifier features too. Folds keep each ``doc_id`` in one fold. ``extra``:
    more labels added to every training fold (weight ``extra_weight``), never tested.
    ``workers``: folds fitted at once, each in a process (the same result as one at a time).
    """
    import time

    t0 = time.perf_counter()
    ls = load_labels(labels, frames)
    lex = resolve_lexicon(lexicon)
    k = check_groups(ls, k, warn)
    if k < 2:
        raise InputError("cross-validation needs k >= 2 folds")
    splits, splitter = _splitter(ls, k, seed)
    core = [f for f in core_frames if f in ls.frames]
    lex_pred = lexicon_predict(lex, ls.texts, ls.frames) if lex is not None else None
    est_params = {"random_state": seed, **(params or {})}
    fold_fit = _FoldFitter(ls, lex if lexicon_features else None, est_params, extra, extra_weight)
    per_fold: list[dict] = []
    folds: list[dict] = []
    pooled: dict[str, list[np.ndarray]] = {m: [] for m in METHODS}
    pooled_true: list[np.ndarray] = []
    fitted = imap(splits, partial(_cv_folds, ls, fold_fit), min(workers, k), chunk=1, min_chunk=1)
    for fi, ((tr, te), (thresholds, preds, Yt)) in enumerate(zip(splits, fitted)):
        if progress:
            progress(f"fold {fi + 1}/{k}: training on {len(tr)} sentences, testing on {len(te)}")
        if lex_pred is not None:
            preds["lexicon"] = lex_pred[te]
        pooled_true.append(Yt)
        for m, P in preds.items():
            pooled[m].append(P)
            for j, f in enumerate(ls.frames):
                per_fold.append({"fold": fi + 1, "frame": f, "method": m, **prf(Yt[:, j], P[:, j])})
        folds.append(_fold_record(ls, fi, tr, te, Yt, thresholds))
    methods = [m for m in METHODS if pooled[m]]
    summary = _cv_summary(ls.frames, methods, per_fold, pooled, np.vstack(pooled_true))
    macro = _cv_macro(methods, per_fold, core, ls.frames, k)
    return CVResult(
        frames=ls.frames,
        k=k,
        seed=seed,
        splitter=splitter,
        n_sentences=len(ls),
        n_docs=ls.n_docs,
        folds=folds,
        per_fold=per_fold,
        summary=summary,
        macro=macro,
        core_frames=core,
        lexicon=lexicon_record(lex),
        circular=circular,
        seconds=time.perf_counter() - t0,
    )


def _fold_record(ls: LabelSet, fi: int, tr, te, Yt, thresholds) -> dict:
    return {
        "fold": fi + 1,
        "n_train": len(tr),
        "n_test": len(te),
        "test_docs": len({ls.doc_ids[i] for i in te}),
        "test_positives": {f: int(Yt[:, j].sum()) for j, f in enumerate(ls.frames)},
        "thresholds": {f: round(float(t), 4) for f, t in zip(ls.frames, thresholds)},
    }


def _cv_folds(ls: LabelSet, fold_fit: _FoldFitter, splits: list) -> list:
    """(thresholds, verdicts, true labels) of each (train, test) split (see :func:`_cv_fold`)."""
    out = []
    for tr, te in splits:
        est, preds, yt = _cv_fold(ls, tr, te, fold_fit)
        out.append((est.thresholds_, preds, yt))
    return out


def _cv_fold(ls: LabelSet, tr, te, fold_fit: _FoldFitter):
    """Fit on the training fold; the classifier's and the majority baseline's verdicts."""
    train_docs = {ls.doc_ids[i] for i in tr}
    assert not train_docs & {ls.doc_ids[i] for i in te}, "an article is in train and test"
    est, pred = fold_fit(tr, te)
    preds = {"classifier": pred}
    majority = (ls.y[tr].mean(axis=0) > 0.5).astype(np.int8)
    preds["baseline"] = np.tile(majority, (len(te), 1))
    return est, preds, ls.y[te]


def _cv_summary(frames, methods, per_fold, pooled, all_true) -> list[dict]:
    """Per frame and method: P/R/F1 mean ± SD over folds, and F1 pooled over folds."""
    summary = []
    for f_i, f in enumerate(frames):
        for m in methods:
            rows = [r for r in per_fold if r["frame"] == f and r["method"] == m]
            rec: dict[str, Any] = {"frame": f, "method": m}
            for s in ("precision", "recall", "f1"):
                mean, sd, n = mean_sd([r[s] for r in rows])
                rec[f"{s}_mean"], rec[f"{s}_sd"], rec[f"{s}_folds"] = mean, sd, n
            pool = prf(all_true[:, f_i], np.vstack(pooled[m])[:, f_i])
            rec["f1_pooled"] = pool["f1"]
            rec["support"] = pool["support"]
            rec["predicted"] = pool["predicted"]
            summary.append(rec)
    return summary


def _cv_macro(methods, per_fold, core, frames, k: int) -> list[dict]:
    """Macro-F1 per method over the core frames and over all frames (mean ± SD over folds)."""
    macro = []
    for m in methods:
        for which, fs in (("core", core), ("all", frames)):
            if not fs:
                continue
            per = []
            for fi in range(k):
                vals = [
                    r["f1"]
                    for r in per_fold
                    if r["fold"] == fi + 1 and r["method"] == m and r["frame"] in fs
                ]
                vals = [v for v in vals if v is not None]
                per.append(float(np.mean(vals)) if vals else None)
            mean, sd, n = mean_sd(per)
            macro.append(
                {
                    "method": m,
                    "frames": which,
                    "f1_mean": mean,
                    "f1_sd": sd,
                    "n_folds": n,
                    "frame_list": list(fs),
                }
            )
    return macro


class _FoldFitter:
    """Fits the classifier on one training fold (plus any extra labels) and predicts the
    test fold, each sentence read with its neighbours from the full labels."""

    def __init__(self, ls: LabelSet, lex, est_params: dict, extra: Any, extra_weight: float):
        self.ls, self.lex, self.params = ls, lex, est_params
        self.ctx = neighbour_context(ls.texts, ls.doc_ids, ls.sent_idx)
        self.extra = load_labels(extra, ls.frames) if extra is not None else None
        self.extra_weight = float(extra_weight)
        if self.extra is not None:
            ex = self.extra
            self.extra_ctx = neighbour_context(ex.texts, ex.doc_ids, ex.sent_idx)
            self.extra_docs = [f"extra:{d}" for d in ex.doc_ids]

    def __call__(self, tr: np.ndarray, te: np.ndarray) -> tuple[FrameClassifier, np.ndarray]:
        ls = self.ls
        texts = [ls.texts[i] for i in tr]
        y = ls.y[tr]
        groups = [ls.doc_ids[i] for i in tr]
        ctx = [self.ctx[i] for i in tr]
        weight = None
        if self.extra is not None:
            texts += self.extra.texts
            y = np.vstack([y, self.extra.y])
            groups += self.extra_docs
            ctx += self.extra_ctx
            weight = np.r_[np.ones(len(tr)), np.full(len(self.extra), self.extra_weight)]
        est = FrameClassifier(frames=ls.frames, lexicon=self.lex, **self.params)
        est.fit(texts, y, groups=groups, context=ctx, sample_weight=weight)
        pred = est.predict([ls.texts[i] for i in te], context=[self.ctx[i] for i in te])
        return est, pred


def _pm(mean: float | None, sd: float | None) -> str:
    if mean is None:
        return "–"
    return f"{mean:.2f} ± {sd:.2f}" if sd is not None else f"{mean:.2f}"


def cv_records(cv: CVResult, numeric: bool = False) -> list[dict]:
    """CV results as flat records, one per frame (plus macro rows).

    ``numeric``: one record per frame and method with numbers (for csv/json);
    otherwise one row per frame with "mean ± SD" cells per method (for tables).
    """
    if numeric:
        out = [dict(r) for r in cv.summary]
        for r in cv.macro:
            out.append(
                {
                    "frame": f"macro ({r['frames']})",
                    "method": r["method"],
                    "f1_mean": r["f1_mean"],
                    "f1_sd": r["f1_sd"],
                    "f1_folds": r["n_folds"],
                }
            )
        return out
    methods = [m for m in METHODS if any(r["method"] == m for r in cv.summary)]
    rows = []
    for f in cv.frames:
        row: dict[str, Any] = {"frame": f}
        for m in methods:
            r = next(x for x in cv.summary if x["frame"] == f and x["method"] == m)
            if m == "baseline":
                row["baseline F1"] = _pm(r["f1_mean"], r["f1_sd"])
                continue
            short = "clf" if m == "classifier" else "lex"
            row[f"{short} P"] = _pm(r["precision_mean"], r["precision_sd"])
            row[f"{short} R"] = _pm(r["recall_mean"], r["recall_sd"])
            row[f"{short} F1"] = _pm(r["f1_mean"], r["f1_sd"])
        row["positives"] = next(x["support"] for x in cv.summary if x["frame"] == f)
        rows.append(row)
    for which in ("core", "all"):
        row = {"frame": f"macro-F1 ({which})"}
        found = False
        for m in methods:
            mean, sd = cv.macro_f1(m, which)
            if mean is None:
                continue
            found = True
            key = {"classifier": "clf F1", "lexicon": "lex F1", "baseline": "baseline F1"}[m]
            row[key] = _pm(mean, sd)
        if found:
            rows.append(row)
    return rows
