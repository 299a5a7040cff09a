"""The lexicon and a classifier against gold labels: precision, recall, F1, Cohen's
kappa, Krippendorff's alpha, and the worst errors.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from discourse.classifier.estimator import FrameClassifier, text_fingerprint
from discourse.classifier.features import (
    lexicon_hits,
    lexicon_predict,
    neighbour_context,
    resolve_lexicon,
)
from discourse.classifier.labels import LabelSet, load_labels
from discourse.classifier.metrics import cohen_kappa, krippendorff_alpha_nominal, prf
from discourse.classifier.modelfile import load_model
from discourse.classifier.secret import key_path
from discourse.classifier.secret import overlap as keyed_overlap
from discourse.classifier.validation import CORE_FRAMES
from discourse.errors import InputError
from discourse.lexicon import Lexicon, Matcher
from discourse.provenance import provenance
from discourse.shared import Warn

# ---------------------------------------------------------------------- evaluate


@dataclass
class EvalResult:
    frames: list[str]
    metrics: list[dict]  # per frame and method: precision, recall, f1, counts
    agreement: list[dict]  # per frame and pair: kappa, alpha
    errors: list[dict]
    meta: dict
    warnings: list[str] = field(default_factory=list)
    rates: list[dict] = field(default_factory=list)  # sensitivity/specificity, pooled
    source_rates: list[dict] = field(default_factory=list)  # per source where the sample allows

    def with_rates_of(self, method: str | None) -> EvalResult:
        """The result with sensitivity and specificity of one method only (None: all)."""
        if method is None:
            return self
        known = sorted({r["method"] for r in self.rates})
        if method not in known:
            raise InputError(
                f"`method` {method}: no such method evaluated here (evaluated: "
                f"{', '.join(known) or 'none'}); 'classifier' and 'both' need `model`"
            )
        keep = [r for r in self.rates if r["method"] == method]
        by_src = [r for r in self.source_rates if r["method"] == method]
        return replace(self, rates=keep, source_rates=by_src)

    def to_dict(self) -> dict:
        return {
            "meta": self.meta,
            "metrics": self.metrics,
            "rates": self.rates,
            "source_rates": self.source_rates,
            "agreement": self.agreement,
            "errors": self.errors,
            "warnings": self.warnings,
        }


def evaluate(
    gold: Any,
    model: FrameClassifier | str | os.PathLike | None = None,
    lexicon: Lexicon | str | os.PathLike | None = None,
    frames: Sequence[str] | None = None,
    errors: int = 0,
    warn: Warn | None = None,
) -> EvalResult:
    """Lexicon and classifier against gold labels.

    Per frame: precision/recall/F1 of each method; Cohen's kappa and Krippendorff's
    alpha (nominal) for lexicon-gold, classifier-gold, lexicon-classifier, and alpha over
    all three. ``errors=N``: the N worst false positives and false negatives per frame and
    method, with the lexicon's matched terms and the classifier's probability.
    """
    if errors < 0:
        raise InputError(f"`errors` {errors}: give a number of sentences, 0 or more")
    notes: list[str] = []

    def note(msg: str) -> None:
        notes.append(msg)
        if warn:
            warn(msg)

    lex = resolve_lexicon(lexicon)
    if isinstance(model, (str, os.PathLike)):
        model = load_model(model, warn=note)
    if model is None and lex is None:
        raise InputError("nothing to evaluate: give a lexicon or a model")
    if frames is None:
        frames = model.frames_ if model is not None else lex.frame_names
    if isinstance(gold, (str, os.PathLike)):
        from discourse.correction import check_labels_unit

        check_labels_unit(gold, "sentence", "'evaluate' (it scores each row's text)")
    gs = load_labels(gold, frames, require_both_classes=False, warn=note)
    frames = gs.frames
    if model is not None:
        missing = [f for f in frames if f not in model.frames_]
        if missing:
            raise InputError(
                f"the model has no frame '{missing[0]}' (its frames: "
                f"{', '.join(model.frames_)}); choose frames with `frames`"
            )
    meta: dict[str, Any] = {
        "gold": gs.path,
        "gold_sha256": gs.sha256,
        "n_sentences": len(gs),
        "n_docs": gs.n_docs,
        **provenance(lex),
    }
    preds: dict[str, np.ndarray] = {}
    probs = None
    if lex is not None:
        lex_missing = [f for f in frames if f not in lex.frames]
        if lex_missing:
            note(f"the lexicon {lex.name} has no frame {', '.join(lex_missing)}: never present")
        preds["lexicon"] = lexicon_predict(lex, gs.texts, frames)
    if model is not None:
        probs = _classifier_predictions(model, gs, frames, preds, meta, note)
    metrics = _metrics(gs, preds, frames)
    agreement = _agreement(gs, preds, frames)
    errs = _worst_errors(gs, preds, probs, lex, frames, errors) if errors > 0 else []
    rates, source_rates = _design_rates(gold, gs, preds, meta)
    return EvalResult(list(frames), metrics, agreement, errs, meta, notes, rates, source_rates)


def _design_rates(gold, gs: LabelSet, preds: dict[str, np.ndarray], meta: dict) -> tuple:
    """Sensitivity and specificity of each method, weighted by the gold file's ``weight``
    column (a validation sample) or unweighted; pooled, and per source where possible."""
    from discourse.correction import evaluation_rates, read_weights

    weights = read_weights(gold) if isinstance(gold, (str, os.PathLike)) else None
    if weights is not None and len(weights) != len(gs):
        raise InputError(f"{gs.path}: {len(weights)} weights for {len(gs)} rows")
    meta["weighted"] = weights is not None
    if "lexicon" in preds and "classifier" in preds:
        preds = {**preds, "both": preds["lexicon"] | preds["classifier"]}
    pooled = evaluation_rates(gs.frames, gs.y, preds, gs.sources, weights, pooled=True)
    per_source = [
        r for r in evaluation_rates(gs.frames, gs.y, preds, gs.sources, weights)
        if r["source"] != "*"
    ]  # fmt: skip
    return pooled, per_source


def training_overlap(model, texts: list[str]) -> int | None:
    """How many of ``texts`` the model was trained on; None when that cannot be told.

    Keyed digests (:mod:`discourse.classifier.secret`) need this machine's key; the
    unkeyed fingerprints of older model files are read as they are.
    """
    legacy = getattr(model, "training_fingerprints_", None)
    if legacy:
        seen = set(legacy)
        return sum(1 for t in texts if text_fingerprint(t) in seen)
    return keyed_overlap(getattr(model, "training_hmac_", None), texts)


def _classifier_predictions(model, gs: LabelSet, frames, preds: dict, meta: dict, note):
    """The classifier's verdicts into ``preds``, its provenance and overlap into ``meta``;
    returns the probabilities (for the worst errors)."""
    meta.update(model.provenance())
    cols = [model.frames_.index(f) for f in frames]
    ctx = neighbour_context(gs.texts, gs.doc_ids, gs.sent_idx)  # for a model with context
    probs = model.predict_proba(gs.texts, context=ctx)[:, cols]
    thr = np.asarray(model.thresholds_)[cols]
    preds["classifier"] = (probs >= thr).astype(np.int8)
    meta["thresholds"] = {f: round(float(t), 4) for f, t in zip(frames, thr)}
    card = getattr(model, "card_", None) or {}
    trained_on = (card.get("training_data") or {}).get("sha256")
    overlap = training_overlap(model, gs.texts)
    meta["overlap_with_training"] = overlap
    meta["in_sample"] = bool(trained_on and trained_on == gs.sha256)
    if overlap is None and not meta["in_sample"] and getattr(model, "training_hmac_", None):
        note(
            "cannot tell whether gold sentences were in the model's training data: its "
            "sentence fingerprints are keyed with a secret key this machine does not hold "
            f"(DISCOURSE_KEY_FILE, now {key_path()}); evaluate where the model was trained "
            "or on sentences you know it has not seen"
        )
    if meta["in_sample"]:
        note(
            "these gold labels are the model's own training data: the classifier's scores "
            "are in-sample and optimistic; its honest estimate is the cross-validation in "
            "the model card"
        )
    elif overlap and getattr(model, "label_kind_", "") == "lexicon":
        meta["overlap_note"] = (
            "the model saw these sentences with the lexicon's labels, never the gold labels"
        )
    elif overlap:
        note(
            f"{overlap} of the {len(gs)} gold sentences were in the model's training data: "
            "the classifier's scores are optimistic; evaluate on sentences it has not seen"
        )
    return probs


def _metrics(gs: LabelSet, preds: dict, frames) -> list[dict]:
    """Precision, recall and F1 per frame and method, and macro-F1 (core frames, all)."""
    metrics = []
    for j, f in enumerate(frames):
        for m, P in preds.items():
            r = prf(gs.y[:, j], P[:, j])
            metrics.append({"frame": f, "method": m, **r})
    for m in preds:
        vals = [r["f1"] for r in metrics if r["method"] == m and r["frame"] in CORE_FRAMES]
        vals = [v for v in vals if v is not None]
        if vals:
            metrics.append({"frame": "macro (core)", "method": m, "f1": float(np.mean(vals))})
        vals = [r["f1"] for r in metrics if r["method"] == m and r["frame"] in frames]
        vals = [v for v in vals if v is not None]
        if vals:
            metrics.append({"frame": "macro (all)", "method": m, "f1": float(np.mean(vals))})
    return metrics


def _agreement(gs: LabelSet, preds: dict, frames) -> list[dict]:
    """Cohen's kappa and Krippendorff's alpha between each pair of raters, and all three."""
    agreement = []
    raters = {"gold": gs.y, **preds}
    pairs = [("lexicon", "gold"), ("classifier", "gold"), ("lexicon", "classifier")]
    for j, f in enumerate(frames):
        for a, b in pairs:
            if a in raters and b in raters:
                x, z = raters[a][:, j], raters[b][:, j]
                agreement.append(
                    {
                        "frame": f,
                        "raters": f"{a}-{b}",
                        "kappa": cohen_kappa(x, z),
                        "alpha": krippendorff_alpha_nominal([x.tolist(), z.tolist()]),
                        "agree": float((x == z).mean()),
                        "n": len(x),
                    }
                )
        if len(raters) == 3:
            agreement.append(
                {
                    "frame": f,
                    "raters": "lexicon-classifier-gold",
                    "kappa": None,
                    "alpha": krippendorff_alpha_nominal(
                        [r[:, j].tolist() for r in raters.values()]
                    ),
                    "agree": float(
                        (
                            (raters["gold"][:, j] == preds["lexicon"][:, j])
                            & (raters["gold"][:, j] == preds["classifier"][:, j])
                        ).mean()
                    ),
                    "n": len(gs),
                }
            )
    return agreement


def _worst_errors(
    gs: LabelSet,
    preds: dict[str, np.ndarray],
    probs: np.ndarray | None,
    lex: Lexicon | None,
    frames: Sequence[str],
    n: int,
) -> list[dict]:
    matcher = Matcher(lex) if lex is not None else None
    hits_cache: dict[int, dict[str, list[str]]] = {}

    def hits(i: int) -> dict[str, list[str]]:
        if i not in hits_cache:
            hits_cache[i] = lexicon_hits(matcher, gs.texts[i]) if matcher else {}
        return hits_cache[i]

    out = []
    for j, f in enumerate(frames):
        y = gs.y[:, j]
        for m, P in preds.items():
            p = P[:, j]
            for kind, mask in (
                ("false positive", (p == 1) & (y == 0)),
                ("false negative", (p == 0) & (y == 1)),
            ):
                idx = np.flatnonzero(mask)
                if probs is not None:
                    # worst: the classifier most sure of the wrong answer (for its own errors),
                    # or most sure of the right one (for the lexicon's)
                    score = probs[idx, j]
                    wrong_sure = score if kind == "false positive" else -score
                    key = wrong_sure if m == "classifier" else -wrong_sure
                    idx = idx[np.argsort(-key, kind="mergesort")]
                elif kind == "false positive" and matcher is not None:
                    nh = np.array([len(hits(i).get(f, [])) for i in idx])
                    idx = idx[np.argsort(-nh, kind="mergesort")]
                for i in idx[:n]:
                    out.append(
                        {
                            "frame": f,
                            "method": m,
                            "error": kind,
                            "doc_id": gs.doc_ids[i],
                            "sent_idx": gs.sent_idx[i],
                            "line": gs.lines[i],
                            "prob": round(float(probs[i, j]), 4) if probs is not None else None,
                            "lexicon_terms": "; ".join(
                                f"{fr}:{t}" for fr, ts in hits(i).items() for t in ts
                            ),
                            "text": gs.texts[i],
                        }
                    )
    return out


RATE_FIELDS = (
    "sensitivity", "sensitivity_lo", "sensitivity_hi",
    "specificity", "specificity_lo", "specificity_hi", "youden_j",
)  # fmt: skip


def eval_records(res: EvalResult, numeric: bool = False) -> list[dict]:
    """Evaluation as records.

    ``numeric``: one record per frame and method (P, R, F1, counts, and kappa and alpha
    against gold), then the lexicon-classifier agreement; for csv and json.
    Otherwise one row per frame with both methods side by side, for tables.
    """
    if numeric:
        out = []
        for r in res.metrics:
            rec = dict(r)
            a = next(
                (
                    x
                    for x in res.agreement
                    if x["frame"] == r["frame"] and x["raters"] == f"{r['method']}-gold"
                ),
                None,
            )
            if "precision" in rec:
                rec["kappa"] = a["kappa"] if a else None
                rec["alpha"] = a["alpha"] if a else None
                rate = next(
                    (
                        x
                        for x in res.rates
                        if x["frame"] == r["frame"] and x["method"] == r["method"]
                    ),
                    None,
                )
                for k in RATE_FIELDS:
                    rec[k] = rate[k] if rate else None
            out.append(rec)
        for a in res.agreement:
            if not a["raters"].endswith("-gold") or a["raters"].count("-") > 1:
                out.append(
                    {
                        "frame": a["frame"],
                        "method": a["raters"],
                        "kappa": a["kappa"],
                        "alpha": a["alpha"],
                        "agree": a["agree"],
                    }
                )
        return out
    methods = [m for m in ("lexicon", "classifier") if any(r["method"] == m for r in res.metrics)]
    rows = []

    def fmt(v: float | None) -> float | None:
        return None if v is None else round(float(v), 4)

    for f in [*res.frames, "macro (core)", "macro (all)"]:
        row: dict[str, Any] = {"frame": f}
        for m in methods:
            r = next((x for x in res.metrics if x["frame"] == f and x["method"] == m), None)
            if r is None:
                continue
            short = "clf" if m == "classifier" else "lex"
            if "precision" in r:
                row[f"{short} P"] = fmt(r["precision"])
                row[f"{short} R"] = fmt(r["recall"])
            row[f"{short} F1"] = fmt(r["f1"])
            for a in res.agreement:
                if a["frame"] == f and a["raters"] == f"{m}-gold":
                    row[f"{short} κ"] = fmt(a["kappa"])
                    row[f"{short} α"] = fmt(a["alpha"])
        if f in res.frames:
            row["positives"] = next(x["support"] for x in res.metrics if x["frame"] == f)
        if len(row) > 1:
            rows.append(row)
    return rows
