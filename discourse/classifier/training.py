"""Training: labels (hand-coded, or the lexicon's for weak supervision) -> cross-validated
model, model card and model files.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from discourse.classifier.estimator import FrameClassifier, canonical_json, plain_params
from discourse.classifier.features import neighbour_context, resolve_lexicon
from discourse.classifier.labels import LabelSet, load_labels
from discourse.classifier.modelfile import CARD_FORMAT, FORMAT_VERSION, save_model, versions
from discourse.classifier.validation import (
    DEFAULT_K,
    CVResult,
    check_groups,
    cross_validate,
)
from discourse.dates import now_utc
from discourse.errors import InputError, UsageError
from discourse.lexicon import Lexicon, Matcher
from discourse.provenance import lexicon_record
from discourse.shared import DEFAULT_SEED, Note, Warn

CIRCULAR_WARNING = (
    "CIRCULAR VALIDATION: this model was trained on sentences labelled by the lexicon "
    "(--from-lexicon), so its cross-validated scores measure how well it imitates the "
    "lexicon, not how well it finds frames; judge it only against hand-coded gold labels "
    "with 'discourse evaluate GOLD.csv --model MODEL'"
)


# ------------------------------------------------------------------------- train


@dataclass
class TrainResult:
    model: FrameClassifier
    card: dict
    cv: CVResult | None
    labels: LabelSet
    paths: dict = field(default_factory=dict)


def lexicon_labels(
    store,
    lexicon: Lexicon,
    sel=None,
    max_sentences: int = 50_000,
    seed: int = DEFAULT_SEED,
    frames: Sequence[str] | None = None,
) -> LabelSet:
    """Weak supervision: label the store's sentences with the lexicon (present iff it fires).

    At most ``max_sentences`` sentences, taken article by article in a seeded random
    order. ``doc_id`` is the article id.
    """
    from discourse.tokenize import Tokenizer

    tok = Tokenizer()
    frames = list(frames) if frames else lexicon.frame_names
    missing = [f for f in frames if f not in lexicon.frames]
    if missing:
        raise InputError(f"the lexicon {lexicon.name} has no frame '{missing[0]}'")
    matcher = Matcher(lexicon)
    col = {f: j for j, f in enumerate(frames)}
    ids = [r["id"] for r in store.list_articles(sel)]
    random.Random(seed).shuffle(ids)
    texts, docs, sources, sidx, rows = [], [], [], [], []
    for aid in ids:
        art = store.get(aid)
        if art is None:
            continue
        for s in tok.sentences(art.text):
            y = [0] * len(frames)
            for fi, _, _, _ in matcher.match(s.tokens):
                j = col.get(matcher.frames[fi])
                if j is not None:
                    y[j] = 1
            texts.append(" ".join(s.text.split()))
            docs.append(f"article:{aid}")
            sources.append(art.source)
            sidx.append(s.index)
            rows.append(y)
        if len(texts) >= max_sentences:
            break
    if not texts:
        raise InputError("the store has no articles to label; ingest some first")
    y = np.asarray(rows, dtype=np.int8).reshape(len(texts), len(frames))
    sha = hashlib.sha256(
        canonical_json(
            {"lexicon": lexicon.sha256, "docs": sorted(set(docs)), "n": len(texts)}
        ).encode()
    ).hexdigest()
    where = f"<store, labelled by lexicon {lexicon.name} {lexicon.version}>"
    for j, f in enumerate(frames):
        pos = int(y[:, j].sum())
        if pos in (0, len(texts)):
            raise InputError(
                f"the lexicon never {'fires' if pos == 0 else 'misses'} for frame '{f}' in "
                f"{len(texts)} sentences, so there is nothing to learn; leave it out with `frames`"
            )
    ls = LabelSet(texts, y, frames, docs, sources, sidx, list(range(len(texts))), sha, where)
    ls.kind = "lexicon"
    return ls


def train(
    labels_path: str | os.PathLike | None,
    out_path: str | os.PathLike | None,
    lexicon: Lexicon | str | os.PathLike | None = None,
    k: int = DEFAULT_K,
    seed: int = DEFAULT_SEED,
    from_lexicon: bool = False,
    store=None,
    frames: Sequence[str] | None = None,
    params: dict | None = None,
    lexicon_features: bool = True,
    max_sentences: int = 50_000,
    sel=None,
    warn: Warn | None = None,
    progress: Note | None = None,
    extra: str | os.PathLike | None = None,
    extra_weight: float = 1.0,
    workers: int = 1,
) -> TrainResult:
    """Cross-validate (grouped by doc_id), fit on all labels, write model + card.

    With ``from_lexicon``, the labels are the lexicon's own verdicts on the store's
    sentences (weak supervision): the card marks the validation as circular, and the
    lexicon is not used as a feature (the model would just copy it).
    Without ``out_path`` nothing is written. ``extra``: a second labels file added to
    the training data with weight ``extra_weight`` (e.g. the demo labels beside the
    real-text set); cross-validation only ever tests the sentences of ``labels_path``.
    ``workers``: cross-validation folds fitted at once (the same result as one at a time).
    """
    lex = resolve_lexicon(lexicon)
    warn = warn or (lambda m: None)
    if from_lexicon:
        if lex is None:
            raise InputError("`from_lexicon` needs a lexicon")
        if store is None:
            raise InputError("`from_lexicon` labels the store's sentences: give `db`")
        ls = lexicon_labels(store, lex, sel, max_sentences, seed, frames)
        lexicon_features = False
        warn(CIRCULAR_WARNING)
    else:
        if labels_path is None:
            raise InputError("give a labels CSV (or `from_lexicon`)")
        names = frames if frames else (lex.frame_names if lex else None)
        ls = load_labels(labels_path, names, warn=warn)
    k = check_groups(ls, k, warn)
    if not 0 < extra_weight <= 10:
        raise InputError(f"`extra_weight` {extra_weight} is out of range; give a weight in (0, 10]")
    extra_set = load_labels(extra, ls.frames, warn=warn) if extra is not None else None
    cv = None
    if k >= 2:
        cv = cross_validate(
            ls,
            k=k,
            seed=seed,
            lexicon=lex,
            params=params,
            lexicon_features=lexicon_features,
            progress=progress,
            warn=warn,
            circular=from_lexicon,
            extra=extra_set,
            extra_weight=extra_weight,
            workers=workers,
        )
    if progress:
        progress(f"fitting the final model on all {len(ls)} sentences")
    model = FrameClassifier(
        frames=ls.frames,
        lexicon=lex if lexicon_features else None,
        **{"random_state": seed, **(params or {})},
    )
    _fit_final(model, ls, extra_set, extra_weight)
    model.label_kind_ = ls.kind  # "gold" or "lexicon" (weak supervision)
    card = build_card(model, ls, cv, lex, from_lexicon, labels_path, seed)
    if extra_set is not None:
        card["training_data"]["extra"] = _extra_card(extra, extra_set, extra_weight)
    model.card_ = card
    paths = save_model(model, out_path, card) if out_path is not None else {}
    return TrainResult(model, card, cv, ls, paths)


def _extra_card(path: Any, extra: LabelSet, weight: float) -> dict:
    return {
        "path": str(path),
        "sha256": extra.sha256,
        "n_sentences": len(extra),
        "n_docs": extra.n_docs,
        "weight": float(weight),
        "label_counts": extra.label_counts(),
    }


def _fit_final(
    model: FrameClassifier, ls: LabelSet, extra: LabelSet | None, extra_weight: float
) -> None:
    texts, y, docs = list(ls.texts), ls.y, list(ls.doc_ids)
    ctx = neighbour_context(ls.texts, ls.doc_ids, ls.sent_idx)
    weight = None
    if extra is not None:
        texts += extra.texts
        y = np.vstack([y, extra.y])
        docs += [f"extra:{d}" for d in extra.doc_ids]
        ctx += neighbour_context(extra.texts, extra.doc_ids, extra.sent_idx)
        weight = np.r_[np.ones(len(ls)), np.full(len(extra), float(extra_weight))]
    model.fit(texts, y, groups=docs, context=ctx, sample_weight=weight)


def build_card(
    model: FrameClassifier,
    labels: LabelSet,
    cv: CVResult | None,
    lexicon: Lexicon | None,
    circular: bool,
    labels_path: Any,
    seed: int,
) -> dict:
    card: dict[str, Any] = {
        "format": CARD_FORMAT,
        "format_version": FORMAT_VERSION,
        "model_hash": model.model_hash,
        "model_sha256": model.model_sha256,
        "created": now_utc().isoformat(timespec="seconds"),
        "frames": list(model.frames_),
        "training_data": {
            "kind": "weak supervision: sentences labelled by the lexicon"
            if circular
            else "hand-coded labels",
            "path": str(labels_path) if labels_path is not None and not circular else labels.path,
            "sha256": labels.sha256,
            "n_sentences": len(labels),
            "n_docs": labels.n_docs,
            "label_counts": labels.label_counts(),
        },
        "circular_validation": circular,
        "warning": CIRCULAR_WARNING if circular else None,
        "pipeline": {
            "features": "word 1-2-gram TF-IDF + char_wb 2-5-gram TF-IDF (sublinear tf, "
            "discourse.tokenize normalization and word tokens)"
            + (" + lexicon hit counts log(1+n) per frame" if model.lexicon_ is not None else "")
            + (
                " + the neighbouring sentences' word TF-IDF and lexicon counts, weighted "
                f"{model.context_weight:g}"
                if model.context_weight
                else ""
            ),
            "classifier": "one-vs-rest logistic regression per frame, class_weight=balanced",
            "params": plain_params(model),
            "n_features": int(model.coef_.shape[1]),
        },
        "thresholds": {f: round(float(t), 4) for f, t in zip(model.frames_, model.thresholds_)},
        "threshold_method": model.threshold_method_,
        "seed": seed,
        "cross_validation": cv.to_dict() if cv is not None else None,
        "lexicon": lexicon_record(lexicon),
        "lexicon_features": model.lexicon_ is not None,
        "versions": versions(),
    }
    if cv is None:
        card["cross_validation_note"] = (
            "not cross-validated (--cv 0): no honest estimate of accuracy"
        )
    return card


def recipe_params(context: float = 0.0, calibrate: bool = False, dual: bool = False) -> dict:
    """The :class:`FrameClassifier` parameters of ``discourse train``'s recipe options.

    Parameters
    ----------
    context : float
        ``context_weight``, from 0 (each sentence alone) to 10.
    calibrate : bool
        Platt-calibrate the probabilities in the inner folds.
    dual : bool
        Use liblinear's dual solver.

    Returns
    -------
    dict
        Only the options that are on, so a default model keeps its parameters and hash.
    """
    if not 0 <= context <= 10:
        raise InputError(f"`context` {context} is out of range; give a weight from 0 to 10")
    params = {"context_weight": float(context), "calibrate": calibrate, "dual": dual}
    return {k: v for k, v in params.items() if v}


def train_from(
    labels_path: str | os.PathLike | None,
    out_path: str | os.PathLike | None,
    *,
    from_lexicon: bool = False,
    db: str | None = None,
    max_sentences: int = 50_000,
    **options,
) -> TrainResult:
    """:func:`train` on a labels file, or (``from_lexicon``) on the sentences of the store ``db``.

    Parameters
    ----------
    labels_path : path or None
        Hand-coded labels; exactly one of ``labels_path`` and ``from_lexicon``.
    out_path : path or None
        Write the model here (nothing is written without it).
    from_lexicon : bool
        Weak supervision: the lexicon labels the store's sentences (circular validation).
    db : str or None
        The store, with ``from_lexicon``.
    max_sentences : int
        With ``from_lexicon``, use at most this many sentences (at least 10).
    **options
        Passed to :func:`train` (``lexicon``, ``k``, ``seed``, ``frames``, ``warn``, ...).

    Returns
    -------
    TrainResult

    Examples
    --------
    >>> res = train_from("corpora/demo/labels.csv", None, k=0)  # doctest: +SKIP
    """
    if from_lexicon and labels_path is not None:
        raise UsageError("give LABELS.csv or `from_lexicon`, not both")
    if not from_lexicon and labels_path is None:
        raise UsageError("give a labels file (LABELS.csv) or `from_lexicon` to train on")
    if max_sentences < 10:
        raise InputError(f"`max_sentences` {max_sentences} is too few; use at least 10")
    if from_lexicon and options.get("extra") is not None:
        raise InputError("`extra` adds hand-coded labels; it does not go with `from_lexicon`")
    if not from_lexicon:
        return train(labels_path, out_path, max_sentences=max_sentences, **options)
    from discourse.store import open_store

    with open_store(db, create=False) as store:
        return train(
            labels_path, out_path, from_lexicon=True, store=store, max_sentences=max_sentences,
            **options,
        )  # fmt: skip
