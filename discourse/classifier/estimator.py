"""The estimator: :class:`FrameClassifier`, a scikit-learn multi-label frame classifier.

Word (1-2-gram) and character (2-5 ``char_wb``) TF-IDF, optional lexicon hit
counts, and one class-weighted logistic regression per frame (one-vs-rest).
Text is normalized and tokenized by :mod:`discourse.tokenize`, as everywhere
else in the tool. Per-frame decision thresholds are chosen inside the training
data only (grouped inner cross-validation maximizing F1).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from discourse.classifier.features import (
    lexicon_counts,
    lexicon_to_data,
    resolve_lexicon,
    word_tokens,
)
from discourse.errors import InputError
from discourse.lexicon import Lexicon, Matcher
from discourse.shared import DEFAULT_SEED
from discourse.tokenize import normalize

# ------------------------------------------------------------------- estimator


def group_kfold(k: int, seed: int) -> GroupKFold:
    """GroupKFold with seeded group shuffling (scikit-learn >= 1.6; plain before)."""
    try:
        return GroupKFold(n_splits=k, shuffle=True, random_state=seed)
    except TypeError:  # scikit-learn < 1.6: no shuffle; folds are still grouped
        return GroupKFold(n_splits=k)


def best_threshold(
    y: np.ndarray, p: np.ndarray, default: float = 0.5
) -> tuple[float, float | None]:
    """The probability cut that maximizes F1 of ``p >= t`` against ``y`` -> (t, F1).

    The cut lies halfway between the lowest probability kept and the highest one left
    out; among equal F1 the highest cut wins. Without both classes: ``(default, None)``.
    """
    y = np.asarray(y).astype(bool)
    p = np.asarray(p, dtype=np.float64)
    pos = int(y.sum())
    if pos == 0 or pos == len(y):
        return default, None
    order = np.argsort(-p, kind="mergesort")
    ps, ys = p[order], y[order]
    tp = np.cumsum(ys)
    fp = np.cumsum(~ys)
    f1 = 2 * tp / (tp + fp + pos)
    distinct = np.r_[ps[1:] != ps[:-1], True]  # a cut can only fall between distinct values
    f1 = np.where(distinct, f1, -1.0)
    i = int(np.argmax(f1))
    lower = ps[i + 1] if i + 1 < len(ps) else 0.0
    return float((ps[i] + lower) / 2), float(f1[i])


class FrameClassifier(BaseEstimator):
    """Multi-label frame classifier: TF-IDF n-grams (+ lexicon hits) -> one LR per frame.

    A scikit-learn estimator: ``__init__`` only stores its parameters, ``fit`` returns
    ``self``, fitted attributes end in ``_``. Per-frame decision thresholds are chosen by
    grouped inner cross-validation on the training data only.

    Parameters
    ----------
    frames : sequence of str, optional
        Names of the columns of ``Y`` (default: ``frame0``, ``frame1``, ...).
    lexicon : Lexicon or path, optional
        Its per-frame hit counts, log(1 + n), become extra features scaled by
        ``lexicon_weight``; None: no lexicon features.
    word_ngrams, char_ngrams : tuple of int
        N-gram ranges of the word and character (``char_wb``) TF-IDF vectorizers.
    min_df : int
        Minimum document frequency of an n-gram (falls back to 1 on tiny data).
    max_features : int or None
        Most n-grams per vectorizer.
    C : float
        Inverse regularization strength of each logistic regression.
    lexicon_weight : float
        Scale of the lexicon features.
    threshold_folds : int
        Inner folds for choosing each frame's threshold (0: 0.5 for every frame).
    random_state : int
        Seed of the inner folds and the solvers.

    Attributes
    ----------
    frames_ : list of str
        The frames, in the order of the columns of ``predict``.
    thresholds_ : list of float
        Per-frame decision thresholds on the probability.

    Examples
    --------
    >>> clf = FrameClassifier(frames=["partnership"], threshold_folds=0)
    >>> texts = ["mutual trust and friendship", "missiles and threats"] * 3
    >>> clf.fit(texts, [[1], [0]] * 3).predict(["friendship and trust"]).tolist()
    [[1]]
    """

    def __init__(
        self,
        frames: Sequence[str] | None = None,
        lexicon: Lexicon | str | os.PathLike | None = None,
        word_ngrams: tuple[int, int] = (1, 2),
        char_ngrams: tuple[int, int] = (2, 5),
        min_df: int = 2,
        max_features: int | None = 200_000,
        C: float = 4.0,
        lexicon_weight: float = 1.0,
        threshold_folds: int = 3,
        random_state: int = DEFAULT_SEED,
    ) -> None:
        self.frames = frames
        self.lexicon = lexicon
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.min_df = min_df
        self.max_features = max_features
        self.C = C
        self.lexicon_weight = lexicon_weight
        self.threshold_folds = threshold_folds
        self.random_state = random_state

    # -- fitting
    def _vectorizers(self, min_df: int) -> tuple[TfidfVectorizer, TfidfVectorizer]:
        word = TfidfVectorizer(**word_config(tuple(self.word_ngrams)), min_df=min_df)
        char = TfidfVectorizer(**char_config(tuple(self.char_ngrams)), min_df=min_df)
        if self.max_features:
            word.set_params(max_features=self.max_features)
            char.set_params(max_features=self.max_features)
        return word, char

    def _fit_state(self, texts: list[str], Y: np.ndarray, lex: Lexicon | None) -> dict:
        state: dict[str, Any] = {}
        for min_df in dict.fromkeys((self.min_df, 1)):
            word, char = self._vectorizers(min_df)
            try:
                Xw = word.fit_transform(texts)
                Xc = char.fit_transform(texts)
                break
            except ValueError:  # empty vocabulary: too few texts for min_df
                continue
        else:
            raise InputError("the training sentences contain no words to learn from")
        state["word"], state["char"] = word, char
        state["matcher"] = Matcher(lex) if lex is not None else None
        X = self._stack(state, Xw, Xc, texts)
        coef = np.zeros((Y.shape[1], X.shape[1]), dtype=np.float64)
        intercept = np.zeros(Y.shape[1], dtype=np.float64)
        for j in range(Y.shape[1]):
            y = Y[:, j]
            if y.min() == y.max():  # one class only in this training set: a constant
                intercept[j] = 30.0 if y[0] else -30.0
                continue
            lr = LogisticRegression(
                C=self.C,
                class_weight="balanced",
                solver="liblinear",
                max_iter=1000,
                random_state=self.random_state,
            )
            lr.fit(X, y)
            coef[j] = lr.coef_[0]
            intercept[j] = lr.intercept_[0]
        state["coef"], state["intercept"] = coef, intercept
        return state

    def _stack(self, state: dict, Xw, Xc, texts: Sequence[str]) -> sparse.csr_matrix:
        blocks = [Xw, Xc]
        if state["matcher"] is not None:
            blocks.append(lexicon_counts(state["matcher"], texts) * float(self.lexicon_weight))
        return sparse.hstack(blocks, format="csr", dtype=np.float64)

    def _proba(self, state: dict, texts: list[str]) -> np.ndarray:
        X = self._stack(
            state, state["word"].transform(texts), state["char"].transform(texts), texts
        )
        return expit(np.asarray(X @ state["coef"].T) + state["intercept"])

    def fit(self, X: Iterable[str], y, groups: Sequence | None = None) -> FrameClassifier:
        texts = _texts(X)
        Y = np.asarray(y)
        if Y.ndim == 1:
            Y = Y.reshape(-1, 1)
        if Y.ndim != 2 or Y.shape[0] != len(texts):
            raise ValueError(f"y must have shape (n_texts, n_frames); got {Y.shape}")
        if not np.isin(Y, (0, 1)).all():
            raise ValueError("y must hold only 0 and 1")
        Y = Y.astype(np.int8)
        if len(texts) < 2:
            raise InputError("need at least 2 sentences to train a classifier")
        frames = (
            list(self.frames)
            if self.frames is not None
            else [f"frame_{j}" for j in range(Y.shape[1])]
        )
        if len(frames) != Y.shape[1]:
            raise ValueError(f"{len(frames)} frame names for {Y.shape[1]} columns of y")
        lex = resolve_lexicon(self.lexicon)
        state = self._fit_state(texts, Y, lex)
        # thresholds: grouped inner cross-validation on this training data only
        g = np.asarray(groups) if groups is not None else np.arange(len(texts))
        n_groups = len(np.unique(g))
        thresholds = np.full(Y.shape[1], 0.5)
        inner_f1: list[float | None] = [None] * Y.shape[1]
        folds = min(int(self.threshold_folds or 0), n_groups)
        if folds >= 2:
            oof = np.zeros(Y.shape, dtype=np.float64)
            splitter = group_kfold(folds, self.random_state)
            for tr, va in splitter.split(texts, groups=g):
                sub = self._fit_state([texts[i] for i in tr], Y[tr], lex)
                oof[va] = self._proba(sub, [texts[i] for i in va])
            for j in range(Y.shape[1]):
                thresholds[j], inner_f1[j] = best_threshold(Y[:, j], oof[:, j])
            self.threshold_method_ = f"max F1, grouped inner {folds}-fold CV on the training data"
        else:
            self.threshold_method_ = "0.5 (too few documents for inner cross-validation)"
        self.frames_ = frames
        self.lexicon_ = lex
        self.word_vectorizer_ = state["word"]
        self.char_vectorizer_ = state["char"]
        self._matcher = state["matcher"]
        self.coef_ = state["coef"]
        self.intercept_ = state["intercept"]
        self.thresholds_ = thresholds
        self.threshold_f1_ = inner_f1
        self.n_train_ = len(texts)
        self.n_groups_ = n_groups
        self.label_counts_ = {f: int(Y[:, j].sum()) for j, f in enumerate(frames)}
        self.training_fingerprints_ = sorted({text_fingerprint(t) for t in texts})
        return self

    # -- prediction
    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError("this FrameClassifier is not fitted yet; call fit() first")

    def _state(self) -> dict:
        return {
            "word": self.word_vectorizer_,
            "char": self.char_vectorizer_,
            "matcher": getattr(self, "_matcher", None),
            "coef": self.coef_,
            "intercept": self.intercept_,
        }

    def predict_proba(self, X: Iterable[str]) -> np.ndarray:
        """Probability of each frame per text: array (n_texts, n_frames)."""
        self._check_fitted()
        texts = _texts(X)
        if not texts:
            return np.zeros((0, len(self.frames_)))
        return self._proba(self._state(), texts)

    def predict(self, X: Iterable[str]) -> np.ndarray:
        """0/1 per text and frame (probability >= the frame's threshold)."""
        return (self.predict_proba(X) >= self.thresholds_).astype(np.int8)

    # -- identity
    @property
    def model_sha256(self) -> str:
        """Hash of everything predictions depend on (not of creation time or versions)."""
        self._check_fitted()
        h = hashlib.sha256(canonical_json(self._content_data()).encode("utf-8"))
        for name, arr in sorted(self._arrays().items()):
            h.update(f"{name}:{arr.dtype.str}:{arr.shape}".encode())
            h.update(np.ascontiguousarray(arr).tobytes())
        return h.hexdigest()

    @property
    def model_hash(self) -> str:
        """Short form of :attr:`model_sha256` (12 hex digits), for provenance."""
        return self.model_sha256[:12]

    @property
    def cache_key(self) -> str:
        """Identifies this model's scores (combine with the tokenizer version)."""
        return f"model:{self.model_sha256[:20]}"

    def provenance(self) -> dict:
        self._check_fitted()
        meta = {"model_hash": self.model_hash, "model_frames": list(self.frames_)}
        if self.lexicon_ is not None:
            meta["model_lexicon"] = f"{self.lexicon_.name} {self.lexicon_.version}"
        return meta

    def _content_data(self) -> dict:
        return {
            "frames": list(self.frames_),
            "params": plain_params(self),
            "vectorizers": {
                "word": _vocab_list(self.word_vectorizer_),
                "char": _vocab_list(self.char_vectorizer_),
            },
            "lexicon": lexicon_to_data(self.lexicon_) if self.lexicon_ is not None else None,
            "threshold_method": self.threshold_method_,
        }

    def _arrays(self) -> dict[str, np.ndarray]:
        return {
            "word_idf": np.asarray(self.word_vectorizer_.idf_, dtype=np.float64),
            "char_idf": np.asarray(self.char_vectorizer_.idf_, dtype=np.float64),
            "coef": np.asarray(self.coef_, dtype=np.float64),
            "intercept": np.asarray(self.intercept_, dtype=np.float64),
            "thresholds": np.asarray(self.thresholds_, dtype=np.float64),
        }


def text_fingerprint(text: str) -> str:
    """A short hash of a sentence (normalized, whitespace collapsed) to spot reuse."""
    norm = " ".join(normalize(text).split())
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:12]


def word_config(ngrams: tuple[int, int]) -> dict:
    return {
        "preprocessor": normalize,
        "tokenizer": word_tokens,
        "token_pattern": None,
        "lowercase": False,
        "ngram_range": ngrams,
        "sublinear_tf": True,
        "dtype": np.float64,
    }


def char_config(ngrams: tuple[int, int]) -> dict:
    return {
        "analyzer": "char_wb",
        "preprocessor": normalize,
        "lowercase": False,
        "ngram_range": ngrams,
        "sublinear_tf": True,
        "dtype": np.float64,
    }


def _vocab_list(vec: TfidfVectorizer) -> list[str]:
    vocab = vec.vocabulary_
    out = [""] * len(vocab)
    for term, i in vocab.items():
        out[i] = term
    return out


def plain_params(est: FrameClassifier) -> dict:
    p = est.get_params()
    p.pop("lexicon", None)
    p.pop("frames", None)
    for k in ("word_ngrams", "char_ngrams"):
        p[k] = [int(x) for x in p[k]]
    return p


def _texts(X: Iterable[str]) -> list[str]:
    if isinstance(X, str):
        raise ValueError("expected a list of texts, got a single string")
    texts = list(X)
    for t in texts:
        if not isinstance(t, str):
            raise ValueError(f"expected texts (str), got {type(t).__name__}")
    return texts


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
