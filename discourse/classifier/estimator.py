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
    neighbour_context,
    resolve_lexicon,
    word_tokens,
)
from discourse.classifier.secret import training_hmac
from discourse.errors import InputError
from discourse.lexicon import Lexicon, Matcher
from discourse.shared import DEFAULT_SEED
from discourse.tokenize import normalize

# ------------------------------------------------------------------- estimator


def group_kfold(k: int, seed: int) -> GroupKFold:
    """GroupKFold with seeded group shuffling (scikit-learn >= 1.6; plain before).

    Parameters
    ----------
    k : int
        Folds.
    seed : int
        Seed of the shuffling of groups (articles) into folds.

    Returns
    -------
    GroupKFold
        Keeps the sentences of one article (group) in one fold.

    Examples
    --------
    >>> folds = group_kfold(2, 0).split([[0]] * 4, [0, 1, 0, 1], groups=[1, 1, 2, 2])
    >>> sorted(sorted(test.tolist()) for _, test in folds)
    [[0, 1], [2, 3]]
    """
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

    Parameters
    ----------
    y : array of bool or 0/1
        The labels.
    p : array of float
        Predicted probabilities.
    default : float
        The cut returned when ``y`` has one class only.

    Returns
    -------
    (float, float or None)
        The cut and its F1.

    Examples
    --------
    >>> best_threshold(np.array([1, 1, 0, 0]), np.array([0.9, 0.6, 0.4, 0.1]))
    (0.5, 1.0)
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
    context_weight : float
        Off at 0. Above 0, the neighbouring sentences (previous and next of the same
        document, see :func:`neighbour_context`) are a second word TF-IDF block, with
        their lexicon hit counts, both scaled by this weight; ``fit`` and
        ``predict_proba`` then take ``groups`` (the document of each text, texts in
        document order) or an explicit ``context`` (one neighbour string per text).
    calibrate : bool
        Platt scaling per frame, fitted on the out-of-fold scores of the grouped inner
        cross-validation that also chooses the thresholds.
    dual : bool
        liblinear's dual solver (the same optimum, much faster when there are more
        features than sentences).

    ``fit`` also takes ``sample_weight``: rows weighted below the highest weight (e.g.
    extra labels from another corpus) train, but the inner folds hold out and score
    only the full-weight rows, so thresholds and calibration come from those.

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
        context_weight: float = 0.0,
        calibrate: bool = False,
        dual: bool = False,
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
        self.context_weight = context_weight
        self.calibrate = calibrate
        self.dual = dual

    # -- fitting
    def _vectorizers(self, min_df: int) -> tuple[TfidfVectorizer, TfidfVectorizer]:
        word = TfidfVectorizer(**word_config(tuple(self.word_ngrams)), min_df=min_df)
        char = TfidfVectorizer(**char_config(tuple(self.char_ngrams)), min_df=min_df)
        if self.max_features:
            word.set_params(max_features=self.max_features)
            char.set_params(max_features=self.max_features)
        return word, char

    def _fit_state(
        self,
        texts: list[str],
        Y: np.ndarray,
        lex: Lexicon | None,
        context: list[str] | None = None,
        weight: np.ndarray | None = None,
    ) -> dict:
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
        X = self._stack(state, Xw, Xc, texts, context)
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
            if self.dual:
                lr.set_params(dual=True, max_iter=5000)
            lr.fit(X, y, sample_weight=weight)
            coef[j] = lr.coef_[0]
            intercept[j] = lr.intercept_[0]
        state["coef"], state["intercept"] = coef, intercept
        return state

    def _stack(
        self, state: dict, Xw, Xc, texts: Sequence[str], context: Sequence[str] | None
    ) -> sparse.csr_matrix:
        blocks = [Xw, Xc]
        matcher = state["matcher"]
        if matcher is not None:
            blocks.append(lexicon_counts(matcher, texts) * float(self.lexicon_weight))
        cw = float(self.context_weight or 0.0)
        if cw > 0:
            ctx = list(context) if context is not None else [""] * len(texts)
            blocks.append(state["word"].transform(ctx) * cw)
            if matcher is not None:
                blocks.append(lexicon_counts(matcher, ctx) * (cw * float(self.lexicon_weight)))
        return sparse.hstack(blocks, format="csr", dtype=np.float64)

    def _scores(self, state: dict, texts: list[str], context: list[str] | None) -> np.ndarray:
        X = self._stack(
            state, state["word"].transform(texts), state["char"].transform(texts), texts, context
        )
        return np.asarray(X @ state["coef"].T) + state["intercept"]

    def _proba(self, state: dict, texts: list[str], context: list[str] | None) -> np.ndarray:
        z = self._scores(state, texts, context)
        cal = state.get("calibration")
        if cal is not None:
            z = z * cal[:, 0] + cal[:, 1]
        return expit(z)

    def _context(self, texts: list[str], groups, context) -> list[str] | None:
        if not self.context_weight:
            return None
        if context is not None:
            ctx = [str(c) for c in context]
            if len(ctx) != len(texts):
                raise ValueError(f"{len(ctx)} context strings for {len(texts)} texts")
            return ctx
        return neighbour_context(texts, list(groups) if groups is not None else None)

    def fit(
        self,
        X: Iterable[str],
        y,
        groups: Sequence | None = None,
        context: Sequence[str] | None = None,
        sample_weight: Sequence[float] | None = None,
    ) -> FrameClassifier:
        """Fit on texts and a 0/1 matrix ``y`` (n_texts, n_frames); returns self.

        Parameters
        ----------
        X : iterable of str
            The texts (sentences).
        y : array-like of 0/1, shape (n_texts, n_frames)
        groups : sequence, optional
            The document of each text: inner folds keep documents together; with
            ``context_weight``, neighbours are the adjacent texts of the same group.
        context : sequence of str, optional
            An explicit neighbour text per row instead.
        sample_weight : sequence of float, optional
            See the class docstring.

        Returns
        -------
        FrameClassifier
            ``self``, fitted.

        Examples
        --------
        >>> clf = FrameClassifier(frames=["a"], threshold_folds=0)
        >>> clf.fit(["x y", "z w"] * 2, [[1], [0]] * 2) is clf, clf.frames_
        (True, ['a'])
        """
        texts = _texts(X)
        Y = _check_y(y, len(texts))
        frames = (
            list(self.frames)
            if self.frames is not None
            else [f"frame_{j}" for j in range(Y.shape[1])]
        )
        if len(frames) != Y.shape[1]:
            raise ValueError(f"{len(frames)} frame names for {Y.shape[1]} columns of y")
        w = _check_weight(sample_weight, len(texts))
        lex = resolve_lexicon(self.lexicon)
        ctx = self._context(texts, groups, context)
        state = self._fit_state(texts, Y, lex, ctx, w)
        g = np.asarray(groups) if groups is not None else np.arange(len(texts))
        thresholds, inner_f1, calibration, method = self._inner(texts, Y, lex, ctx, w, g)
        self.threshold_method_ = method
        self.frames_ = frames
        self.lexicon_ = lex
        self.word_vectorizer_ = state["word"]
        self.char_vectorizer_ = state["char"]
        self._matcher = state["matcher"]
        self.coef_ = state["coef"]
        self.intercept_ = state["intercept"]
        self.calibration_ = calibration
        self.thresholds_ = thresholds
        self.threshold_f1_ = inner_f1
        self.n_train_ = len(texts)
        self.n_groups_ = len(np.unique(g))
        self.label_counts_ = {f: int(Y[:, j].sum()) for j, f in enumerate(frames)}
        self.training_hmac_ = training_hmac(texts)  # keyed: see discourse.classifier.secret
        return self

    def _inner(
        self,
        texts: list[str],
        Y: np.ndarray,
        lex: Lexicon | None,
        ctx: list[str] | None,
        w: np.ndarray | None,
        g: np.ndarray,
    ) -> tuple[np.ndarray, list, np.ndarray | None, str]:
        """Thresholds (and Platt calibration) from grouped inner cross-validation.

        Only full-weight rows are held out and scored; lower-weight rows train unless
        their document is held out.
        """
        F = Y.shape[1]
        thresholds = np.full(F, 0.5)
        inner_f1: list[float | None] = [None] * F
        primary = np.arange(len(texts)) if w is None else np.flatnonzero(w >= w.max())
        extra = np.setdiff1d(np.arange(len(texts)), primary)
        folds = min(int(self.threshold_folds or 0), len(np.unique(g[primary])))
        if folds < 2:
            return thresholds, inner_f1, None, "0.5 (too few documents for inner cross-validation)"
        z = np.zeros((len(primary), F), dtype=np.float64)
        for tr, va in group_kfold(folds, self.random_state).split(primary, groups=g[primary]):
            held_out = np.isin(g[extra], g[primary[va]])  # an article's extra rows too
            rows = np.r_[primary[tr], extra[~held_out]]
            sub = self._fit_state(
                _take(texts, rows), Y[rows], lex, _take(ctx, rows), None if w is None else w[rows]
            )
            z[va] = self._scores(sub, _take(texts, primary[va]), _take(ctx, primary[va]))
        Yp = Y[primary]
        calibration = None
        if self.calibrate:
            calibration = np.array([platt_scaling(z[:, j], Yp[:, j]) for j in range(F)])
            z = z * calibration[:, 0] + calibration[:, 1]
        p = expit(z)
        for j in range(F):
            thresholds[j], inner_f1[j] = best_threshold(Yp[:, j], p[:, j])
        method = f"max F1, grouped inner {folds}-fold CV on the training data"
        if len(extra):
            method += " (its full-weight rows)"
        if self.calibrate:
            method += "; Platt-calibrated on the same out-of-fold scores"
        return thresholds, inner_f1, calibration, method

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
            "calibration": getattr(self, "calibration_", None),
        }

    def predict_proba(
        self,
        X: Iterable[str],
        groups: Sequence | None = None,
        context: Sequence[str] | None = None,
    ) -> np.ndarray:
        """Probability of each frame per text: array (n_texts, n_frames).

        Parameters
        ----------
        X : iterable of str
        groups, context : optional
            With ``context_weight``, give ``groups`` (document of each text, in
            document order) or ``context``; without either, every sentence is read alone.

        Returns
        -------
        numpy.ndarray of float, shape (n_texts, n_frames)

        Examples
        --------
        >>> clf = FrameClassifier(frames=["a"], threshold_folds=0)
        >>> p = clf.fit(["mutual trust", "missile threat"] * 3, [[1], [0]] * 3).predict_proba(
        ...     ["mutual trust", "missile threat"]
        ... )
        >>> p.shape, bool(p[0, 0] > p[1, 0])
        ((2, 1), True)
        """
        self._check_fitted()
        texts = _texts(X)
        if not texts:
            return np.zeros((0, len(self.frames_)))
        return self._proba(self._state(), texts, self._context(texts, groups, context))

    def predict(
        self,
        X: Iterable[str],
        groups: Sequence | None = None,
        context: Sequence[str] | None = None,
    ) -> np.ndarray:
        """0/1 per text and frame (probability >= the frame's threshold).

        Parameters
        ----------
        X, groups, context
            As :meth:`predict_proba`.

        Returns
        -------
        numpy.ndarray of int8, shape (n_texts, n_frames)

        Examples
        --------
        >>> clf = FrameClassifier(frames=["a"], threshold_folds=0)
        >>> clf.fit(["mutual trust", "missile threat"] * 3, [[1], [0]] * 3).predict(
        ...     ["mutual trust"]
        ... ).tolist()
        [[1]]
        """
        return (self.predict_proba(X, groups, context) >= self.thresholds_).astype(np.int8)

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
        """What a prediction's provenance records of this model.

        Returns
        -------
        dict
            ``model_hash`` (12 hex digits), ``model_frames`` and, with lexicon
            features, ``model_lexicon`` (name and version).

        Examples
        --------
        >>> clf = FrameClassifier(frames=["a"], threshold_folds=0)
        >>> sorted(clf.fit(["x y", "z w"] * 2, [[1], [0]] * 2).provenance())
        ['model_frames', 'model_hash']
        """
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
        out = {
            "word_idf": np.asarray(self.word_vectorizer_.idf_, dtype=np.float64),
            "char_idf": np.asarray(self.char_vectorizer_.idf_, dtype=np.float64),
            "coef": np.asarray(self.coef_, dtype=np.float64),
            "intercept": np.asarray(self.intercept_, dtype=np.float64),
            "thresholds": np.asarray(self.thresholds_, dtype=np.float64),
        }
        if getattr(self, "calibration_", None) is not None:
            out["calibration"] = np.asarray(self.calibration_, dtype=np.float64)
        return out


def text_fingerprint(text: str) -> str:
    """A short unkeyed hash of a sentence (normalized, whitespace collapsed).

    Model files no longer store these (anyone could test a guessed sentence against
    them; see :mod:`discourse.classifier.secret`); kept to read older model files.

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        12 hex digits of SHA-256; equal for texts that differ only in spacing.

    Examples
    --------
    >>> text_fingerprint("Mutual  trust.") == text_fingerprint("Mutual trust.")
    True
    """
    norm = " ".join(normalize(text).split())
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:12]


def word_config(ngrams: tuple[int, int]) -> dict:
    """The word n-gram TF-IDF settings (shared by training and model loading).

    Parameters
    ----------
    ngrams : (int, int)
        Smallest and largest n.

    Returns
    -------
    dict
        Keyword arguments of ``TfidfVectorizer``.
    """
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
    """The character n-gram (within words) TF-IDF settings.

    Parameters
    ----------
    ngrams : (int, int)
        Smallest and largest n.

    Returns
    -------
    dict
        Keyword arguments of ``TfidfVectorizer``.
    """
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


# parameters added after model format 1 was fixed: written only when not at their
# default, so that a model trained without them keeps its hash
_OPTIONAL_PARAMS = {"context_weight": 0.0, "calibrate": False, "dual": False}


def plain_params(est: FrameClassifier) -> dict:
    """An estimator's parameters as a model file records them (and hashes them).

    Parameters
    ----------
    est : FrameClassifier

    Returns
    -------
    dict
        JSON-ready parameters without the lexicon and frames; parameters added after
        model format 1 only when not at their default, so older models keep their hash.
    """
    p = est.get_params()
    p.pop("lexicon", None)
    p.pop("frames", None)
    for k, default in _OPTIONAL_PARAMS.items():
        if k in p and p[k] == default:
            del p[k]
    for k in ("word_ngrams", "char_ngrams"):
        p[k] = [int(x) for x in p[k]]
    return p


def _check_y(y, n: int) -> np.ndarray:
    Y = np.asarray(y)
    if Y.ndim == 1:
        Y = Y.reshape(-1, 1)
    if Y.ndim != 2 or Y.shape[0] != n:
        raise ValueError(f"y must have shape (n_texts, n_frames); got {Y.shape}")
    if not np.isin(Y, (0, 1)).all():
        raise ValueError("y must hold only 0 and 1")
    if n < 2:
        raise InputError("need at least 2 sentences to train a classifier")
    return Y.astype(np.int8)


def _check_weight(sample_weight, n: int) -> np.ndarray | None:
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.shape != (n,) or not np.isfinite(w).all() or (w <= 0).any():
        raise ValueError(f"sample_weight must be {n} positive numbers, one per text")
    return w


def _take(seq: Sequence | None, rows: np.ndarray) -> list | None:
    return None if seq is None else [seq[i] for i in rows]


def platt_scaling(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling: (a, b) so that ``expit(a * score + b)`` is a calibrated probability.

    Parameters
    ----------
    scores : array
        Decision scores (log-odds) of held-out rows.
    y : array
        Their 0/1 labels.

    Returns
    -------
    tuple of float
        Slope and intercept of a logistic regression of ``y`` on ``scores`` (nearly
        unregularized); ``(1.0, 0.0)``, no change, when ``y`` has one class only.
    """
    y = np.asarray(y).astype(int)
    if y.min() == y.max():
        return 1.0, 0.0
    lr = LogisticRegression(C=1e6, solver="lbfgs", max_iter=1000)
    lr.fit(np.asarray(scores, dtype=np.float64).reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def _texts(X: Iterable[str]) -> list[str]:
    if isinstance(X, str):
        raise ValueError("expected a list of texts, got a single string")
    texts = list(X)
    for t in texts:
        if not isinstance(t, str):
            raise ValueError(f"expected texts (str), got {type(t).__name__}")
    return texts


def canonical_json(obj: Any) -> str:
    """One spelling of ``obj`` as JSON (keys sorted, no spaces), for hashing.

    Parameters
    ----------
    obj : JSON-ready value

    Returns
    -------
    str

    Examples
    --------
    >>> canonical_json({"b": 1, "a": [1, "é"]})
    '{"a":[1,"é"],"b":1}'
    """
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
