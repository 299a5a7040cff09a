"""Using a model: frame probabilities per sentence and classifier fields per article."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from discourse.classifier.estimator import FrameClassifier

# ------------------------------------------------------------------------- using


def classify_sentences(
    model: FrameClassifier, texts: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """For ``score --model``: (probabilities (n_sentences, n_frames), thresholds (n_frames,)).

    Column j is frame ``model.frames_[j]``; a sentence carries the frame when its
    probability is >= the frame's threshold.
    """
    return model.predict_proba(list(texts)), np.asarray(model.thresholds_)


def classify_articles(
    model: FrameClassifier, sentences_per_article: Sequence[Sequence[str]]
) -> list[np.ndarray]:
    """Probabilities for several articles in one pass (faster than one call per article).

    Returns one array (n_sentences_of_that_article, n_frames) per article, in order.
    A model trained with context reads each sentence with its article's neighbours.
    """
    flat = [t for sents in sentences_per_article for t in sents]
    groups = [a for a, sents in enumerate(sentences_per_article) for _ in sents]
    probs = model.predict_proba(flat, groups=groups) if flat else np.zeros((0, len(model.frames_)))
    out, pos = [], 0
    for sents in sentences_per_article:
        out.append(probs[pos : pos + len(sents)])
        pos += len(sents)
    return out


def sentence_fields(frames: Sequence[str], probs_row: np.ndarray) -> dict[str, float]:
    """Per sentence: ``<frame>_prob`` (rounded to 4 digits)."""
    return {f"{f}_prob": round(float(p), 4) for f, p in zip(frames, probs_row)}


def article_fields(
    frames: Sequence[str], probs: np.ndarray, thresholds: np.ndarray
) -> dict[str, float | int]:
    """Per article: ``<frame>_clf_share`` (share of sentences at or above threshold) and
    ``<frame>_clf_present`` (1 if any sentence is)."""
    out: dict[str, float | int] = {}
    n = probs.shape[0]
    above = probs >= thresholds if n else np.zeros((0, len(frames)), dtype=bool)
    for j, f in enumerate(frames):
        k = int(above[:, j].sum()) if n else 0
        out[f"{f}_clf_share"] = round(k / n, 4) if n else 0.0
        out[f"{f}_clf_present"] = int(k > 0)
    return out
