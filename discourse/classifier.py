"""A trained frame classifier, validated the way content analysts validate coders.

The only module that imports scikit-learn, and the only one that reads or writes
model files.

* :class:`FrameClassifier` — a scikit-learn estimator: word (1-2-gram) and
  character (2-5 ``char_wb``) TF-IDF, optional lexicon hit counts, and one
  class-weighted logistic regression per frame (one-vs-rest, multi-label).
  Text is normalized and tokenized by :mod:`discourse.tokenize`, as everywhere
  else in the tool. Per-frame decision thresholds are chosen inside the
  training data only (grouped inner cross-validation maximizing F1).
* :func:`cross_validate` — k-fold cross-validation grouped by ``doc_id`` (no
  article's sentences in both train and test), next to the lexicon and a
  majority baseline on the same folds.
* :func:`train` / :func:`save_model` / :func:`load_model` — model files are
  plain data: ``MODEL.json`` (parameters, vocabularies, hashes) and
  ``MODEL.npz`` (idf vectors, coefficients, intercepts, thresholds; loaded with
  ``allow_pickle=False``), plus a model card ``MODEL.card.json``. Never pickle.
* :func:`evaluate` — lexicon and classifier against gold labels: precision,
  recall, F1, Cohen's kappa and Krippendorff's alpha, and the worst errors.
* :func:`load_labels` — the labels CSV (``doc_id``, ``text``, one 0/1 column per
  frame), validated with one clear message per problem.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import platform
import random
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import scipy
import sklearn
from scipy import sparse
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from discourse import __version__
from discourse.dates import now_utc
from discourse.errors import InputError, ModelError
from discourse.lexicon import Frame, Lexicon, Matcher, load_lexicon
from discourse.tokenize import WordTokenizer, normalize

Warn = Callable[[str], None]
Progress = Callable[[str], None]

FORMAT = "discourse-frame-classifier"
CARD_FORMAT = "discourse-model-card"
FORMAT_VERSION = 1
CORE_FRAMES = ("partnership", "multilateralism", "anti_hegemonism")
DEFAULT_SEED = 20260804
DEFAULT_K = 5
META_COLUMNS = ("doc_id", "source", "sent_idx", "text")
MAX_LABELS_BYTES = 200_000_000
MAX_MODEL_BYTES = 1_000_000_000
CIRCULAR_WARNING = (
    "CIRCULAR VALIDATION: this model was trained on sentences labelled by the lexicon "
    "(--from-lexicon), so its cross-validated scores measure how well it imitates the "
    "lexicon, not how well it finds frames; judge it only against hand-coded gold labels "
    "with 'discourse evaluate GOLD.csv --model MODEL'"
)
METHODS = ("classifier", "lexicon", "baseline")


# ------------------------------------------------------------------ tokenization

_WORDS = WordTokenizer()


def word_tokens(text: str) -> list[str]:
    """Word tokens of normalized text, as the rest of the tool tokenizes; punctuation dropped.

    Used as the ``tokenizer`` of the word n-gram vectorizer (its ``preprocessor`` is
    :func:`discourse.tokenize.normalize`), so training and prediction see the same tokens
    as the lexicon.
    """
    return [t for t in _WORDS.tokenize(text) if t[0].isalnum()]


def _matcher_tokens(text: str) -> list[str]:
    # the same tokens Tokenizer.sentences() gives the lexicon matcher
    return _WORDS.tokenize(normalize(text))


# ---------------------------------------------------------------------- lexicon


def _resolve_lexicon(lexicon: Lexicon | str | os.PathLike | None) -> Lexicon | None:
    if lexicon is None or isinstance(lexicon, Lexicon):
        return lexicon
    return load_lexicon(lexicon)


def lexicon_hits(matcher: Matcher, text: str) -> dict[str, list[str]]:
    """The lexicon's hits in a sentence: frame -> matched terms (in order)."""
    out: dict[str, list[str]] = {}
    for fi, term, _, _ in matcher.match(_matcher_tokens(text)):
        out.setdefault(matcher.frames[fi], []).append(term)
    return out


def lexicon_predict(lexicon: Lexicon, texts: Sequence[str], frames: Sequence[str]) -> np.ndarray:
    """0/1 matrix (n, len(frames)): the frame is present iff the lexicon fires for it.

    A frame the lexicon does not have is never present.
    """
    matcher = Matcher(lexicon)
    index = {f: i for i, f in enumerate(frames)}
    out = np.zeros((len(texts), len(frames)), dtype=np.int8)
    for r, text in enumerate(texts):
        for fi, _, _, _ in matcher.match(_matcher_tokens(text)):
            j = index.get(matcher.frames[fi])
            if j is not None:
                out[r, j] = 1
    return out


def _lexicon_counts(matcher: Matcher, texts: Sequence[str]) -> sparse.csr_matrix:
    rows, cols, vals = [], [], []
    for r, text in enumerate(texts):
        counts: dict[int, int] = {}
        for fi, _, _, _ in matcher.match(_matcher_tokens(text)):
            counts[fi] = counts.get(fi, 0) + 1
        for fi, c in counts.items():
            rows.append(r)
            cols.append(fi)
            vals.append(math.log1p(c))
    return sparse.csr_matrix(
        (vals, (rows, cols)), shape=(len(texts), len(matcher.frames)), dtype=np.float64
    )


def _lexicon_to_data(lex: Lexicon) -> dict:
    return {
        "name": lex.name,
        "version": lex.version,
        "language": lex.language,
        "sha256": lex.sha256,
        "frames": {
            n: {"label": f.label, "terms": list(f.terms), "exclude": list(f.exclude)}
            for n, f in lex.frames.items()
        },
    }


def _lexicon_from_data(data: dict, where: str) -> Lexicon:
    frames = {}
    for name, fd in data["frames"].items():
        terms, exclude = fd["terms"], fd.get("exclude", [])
        if not all(isinstance(t, str) for t in [*terms, *exclude]):
            raise ModelError(f"{where}: the embedded lexicon has a term that is not text")
        frames[str(name)] = Frame(
            name=str(name),
            label=str(fd.get("label", name)),
            description="",
            terms=list(terms),
            exclude=list(exclude),
        )
    lex = Lexicon(
        name=str(data["name"]),
        version=str(data["version"]),
        language=str(data.get("language", "en")),
        description="",
        frames=frames,
        path=f"{where} (embedded)",
    )
    if lex.sha256 != data.get("sha256"):
        raise ModelError(
            f"{where}: the embedded lexicon does not match its hash; the file was changed: "
            "retrain the model or copy it again"
        )
    return lex


# ------------------------------------------------------------------- estimator


def _group_kfold(k: int, seed: int) -> GroupKFold:
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

    ``fit(texts, Y, groups=None)`` takes sentence texts, a 0/1 matrix ``Y`` of shape
    (n, n_frames) and optionally the document of each sentence; the per-frame
    thresholds are then chosen by grouped inner cross-validation on that training data
    (``threshold_folds`` folds). ``predict_proba`` -> (n, n_frames); ``predict`` -> 0/1.

    Parameters: ``frames`` (names of Y's columns), ``lexicon`` (a Lexicon or the path
    of a lexicon file; its per-frame hit counts, log(1+n), become extra features scaled
    by ``lexicon_weight``; None: no lexicon features), n-gram ranges, ``min_df``,
    ``max_features`` (per vectorizer), ``C`` (inverse regularization),
    ``threshold_folds``, ``random_state``.
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
        word = TfidfVectorizer(**_word_config(tuple(self.word_ngrams)), min_df=min_df)
        char = TfidfVectorizer(**_char_config(tuple(self.char_ngrams)), min_df=min_df)
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
            blocks.append(_lexicon_counts(state["matcher"], texts) * float(self.lexicon_weight))
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
        lex = _resolve_lexicon(self.lexicon)
        state = self._fit_state(texts, Y, lex)
        # thresholds: grouped inner cross-validation on this training data only
        g = np.asarray(groups) if groups is not None else np.arange(len(texts))
        n_groups = len(np.unique(g))
        thresholds = np.full(Y.shape[1], 0.5)
        inner_f1: list[float | None] = [None] * Y.shape[1]
        folds = min(int(self.threshold_folds or 0), n_groups)
        if folds >= 2:
            oof = np.zeros(Y.shape, dtype=np.float64)
            splitter = _group_kfold(folds, self.random_state)
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
        h = hashlib.sha256(_canonical(self._content_data()).encode("utf-8"))
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
            "params": _plain_params(self),
            "vectorizers": {
                "word": _vocab_list(self.word_vectorizer_),
                "char": _vocab_list(self.char_vectorizer_),
            },
            "lexicon": _lexicon_to_data(self.lexicon_) if self.lexicon_ is not None else None,
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


def _word_config(ngrams: tuple[int, int]) -> dict:
    return {
        "preprocessor": normalize,
        "tokenizer": word_tokens,
        "token_pattern": None,
        "lowercase": False,
        "ngram_range": ngrams,
        "sublinear_tf": True,
        "dtype": np.float64,
    }


def _char_config(ngrams: tuple[int, int]) -> dict:
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


def _plain_params(est: FrameClassifier) -> dict:
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


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


# ------------------------------------------------------------------------ labels


@dataclass
class LabelSet:
    """Validated labels: one row per sentence."""

    texts: list[str]
    y: np.ndarray  # (n, n_frames) int8
    frames: list[str]
    doc_ids: list[str]
    sources: list[str]
    sent_idx: list[int | None]
    lines: list[int]
    sha256: str
    path: str = "<labels>"
    kind: str = "gold"  # "gold" (coded by people) or "lexicon" (weak supervision)

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def n_docs(self) -> int:
        return len(set(self.doc_ids))

    def label_counts(self) -> dict[str, dict[str, int]]:
        n = len(self)
        return {
            f: {"positive": int(self.y[:, j].sum()), "negative": int(n - self.y[:, j].sum())}
            for j, f in enumerate(self.frames)
        }

    def subset(self, idx: Sequence[int]) -> LabelSet:
        idx = list(idx)
        return LabelSet(
            texts=[self.texts[i] for i in idx],
            y=self.y[idx],
            frames=self.frames,
            doc_ids=[self.doc_ids[i] for i in idx],
            sources=[self.sources[i] for i in idx],
            sent_idx=[self.sent_idx[i] for i in idx],
            lines=[self.lines[i] for i in idx],
            sha256=self.sha256,
            path=self.path,
            kind=self.kind,
        )


def _label_value(v: Any) -> int | None:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, np.integer)):
        return int(v) if v in (0, 1) else None
    if isinstance(v, (float, np.floating)):
        return int(v) if v in (0.0, 1.0) else None
    if isinstance(v, str):
        s = v.strip()
        if s in ("0", "1"):
            return int(s)
        if s in ("0.0", "1.0"):
            return int(float(s))
    return None


def _show(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v):
        return "empty"
    return repr(v.strip() if isinstance(v, str) else v)


def _read_csv_rows(path: Path) -> tuple[list[str], list[tuple[int, dict]], str]:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(
            f"labels file not found: {path}; give a CSV with doc_id, text and one 0/1 column "
            "per frame (see 'discourse label')"
        ) from None
    if path.is_dir():
        raise InputError(f"{path} is a folder; give the labels CSV file")
    if size > MAX_LABELS_BYTES:
        raise InputError(f"{path}: labels file is larger than {MAX_LABELS_BYTES} bytes")
    raw = path.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: labels file is not UTF-8 text; save it as UTF-8 CSV") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise InputError(f"{path}: labels file is empty; it needs a header row and data rows")
        header = [h.strip() for h in header]
        rows = []
        for rec in reader:
            if not any(c.strip() for c in rec):
                continue
            if len(rec) > len(header):
                raise InputError(
                    f"{path}, line {reader.line_num}: {len(rec)} fields but the header has "
                    f"{len(header)}; quote text that contains commas"
                )
            rows.append((reader.line_num, dict(zip(header, rec))))
    except csv.Error as e:
        raise InputError(f"{path}, line {reader.line_num}: not valid CSV ({e})") from None
    return header, rows, sha


def load_labels(
    source: str | os.PathLike | LabelSet | Any,
    frames: Sequence[str] | None = None,
    require_both_classes: bool = True,
    warn: Warn | None = None,
) -> LabelSet:
    """Read and validate labels: a CSV path, a pandas DataFrame or a list of dicts.

    Columns: ``doc_id`` and ``text`` (required), ``source`` and ``sent_idx`` (optional),
    and one 0/1 column per frame. ``frames`` names the frame columns to use; without
    it, every column not in ``doc_id, source, sent_idx, text`` is a frame.
    Raises :class:`InputError` with the line and value for: a missing column, a value
    that is not 0 or 1, empty text or doc_id, a duplicate row, no rows, and (with
    ``require_both_classes``) a frame with one class only.
    """
    if isinstance(source, LabelSet):
        if frames is not None and list(frames) != source.frames:
            idx = [source.frames.index(f) for f in frames if f in source.frames]
            if len(idx) != len(frames):
                missing = [f for f in frames if f not in source.frames][0]
                raise InputError(f"{source.path}: no column for frame '{missing}'")
            source = replace(source, y=source.y[:, idx], frames=list(frames))
        return source
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        header, rows, sha = _read_csv_rows(path)
        where = str(path)
    else:
        if hasattr(source, "to_dict") and hasattr(source, "columns"):  # a pandas DataFrame
            header = [str(c) for c in source.columns]
            records = source.to_dict("records")
        else:
            records = list(source)
            header = []
            for r in records:
                for k in r:
                    if k not in header:
                        header.append(k)
        rows = [(i + 2, r) for i, r in enumerate(records)]  # as if line 1 were a header
        sha = hashlib.sha256(
            _canonical([[str(r.get(c)) for c in header] for r in records]).encode()
        ).hexdigest()
        where = "<labels>"
    return _validate_labels(header, rows, sha, where, frames, require_both_classes, warn)


def _validate_labels(
    header: list[str],
    rows: list[tuple[int, dict]],
    sha: str,
    where: str,
    frames: Sequence[str] | None,
    require_both_classes: bool,
    warn: Warn | None,
) -> LabelSet:
    cols = ", ".join(header) or "none"
    for col, why in (
        ("text", "the sentence itself"),
        (
            "doc_id",
            "the article each sentence comes from, so cross-validation keeps an "
            "article's sentences together",
        ),
    ):
        if col not in header:
            raise InputError(f"{where}: no '{col}' column ({why}); columns found: {cols}")
    if frames is None:
        frames = [c for c in header if c not in META_COLUMNS and c]
        if not frames:
            raise InputError(
                f"{where}: no frame columns; add one 0/1 column per frame besides {cols}"
            )
    frames = list(frames)
    for f in frames:
        if f not in header:
            raise InputError(
                f"{where}: no column for frame '{f}' (columns: {cols}); add a 0/1 column "
                f"'{f}' or choose the frames to use with --frames"
            )
    if not rows:
        raise InputError(f"{where}: no data rows; code some sentences first")
    texts, doc_ids, sources, sidx, lines = [], [], [], [], []
    y = np.zeros((len(rows), len(frames)), dtype=np.int8)
    seen: dict[tuple, int] = {}
    has_idx = "sent_idx" in header
    for r, (line, rec) in enumerate(rows):
        doc = rec.get("doc_id")
        doc = (
            "" if doc is None or (isinstance(doc, float) and math.isnan(doc)) else str(doc).strip()
        )
        if not doc:
            raise InputError(
                f"{where}, line {line}: empty doc_id; give every sentence the id of its article"
            )
        text = rec.get("text")
        if not isinstance(text, str) or not text.strip():
            raise InputError(
                f"{where}, line {line}: empty text (doc_id {doc!r}); fill in the sentence "
                "or remove the row"
            )
        idx: int | None = None
        if has_idx:
            raw_idx = rec.get("sent_idx")
            try:
                idx = int(str(raw_idx).strip())
            except ValueError:
                raise InputError(
                    f"{where}, line {line}: sent_idx is {_show(raw_idx)}, not a whole number; "
                    "give the sentence's position in its article (0, 1, 2, ...)"
                ) from None
        for j, f in enumerate(frames):
            v = _label_value(rec.get(f))
            if v is None:
                raise InputError(
                    f"{where}, line {line}: frame '{f}' is {_show(rec.get(f))}, not 0 or 1; "
                    "code every frame as 0 or 1"
                )
            y[r, j] = v
        key = (doc, idx) if has_idx else (doc, " ".join(text.split()))
        if key in seen:
            what = f"sentence {idx}" if has_idx else "the same text"
            differ = (y[seen[key][0]] != y[r]).any()
            raise InputError(
                f"{where}, lines {seen[key][1]} and {line}: duplicate row (doc_id {doc!r}, "
                f"{what}){', coded differently' if differ else ''}; keep one"
            )
        seen[key] = (r, line)
        texts.append(text.strip())
        doc_ids.append(doc)
        src = rec.get("source")
        sources.append("" if src is None or not isinstance(src, str) else src.strip())
        sidx.append(idx)
        lines.append(line)
    for j, f in enumerate(frames):
        pos = int(y[:, j].sum())
        if pos in (0, len(rows)):
            only = "0" if pos == 0 else "1"
            msg = (
                f"{where}: frame '{f}' is {only} in all {len(rows)} rows (one class only), so "
                f"there is nothing to learn or measure; code some sentences "
                f"{'with' if pos == 0 else 'without'} it or leave it out with --frames"
            )
            if require_both_classes:
                raise InputError(msg)
            if warn:
                warn(msg)
    return LabelSet(texts, y, frames, doc_ids, sources, sidx, lines, sha, where)


# ----------------------------------------------------------------- metrics


def prf(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, Any]:
    """Precision, recall, F1 from counts; an undefined value (0/0) is None."""
    t = np.asarray(y_true).astype(bool)
    p = np.asarray(y_pred).astype(bool)
    tp = int((t & p).sum())
    fp = int((~t & p).sum())
    fn = int((t & ~p).sum())
    return {
        "precision": tp / (tp + fp) if tp + fp else None,
        "recall": tp / (tp + fn) if tp + fn else None,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "support": int(t.sum()),
        "predicted": int(p.sum()),
    }


def krippendorff_alpha_nominal(data: Any) -> float | None:
    """Krippendorff's alpha for nominal data; ``data`` is coders x units.

    Missing values are None or NaN. Units coded by fewer than two coders are left out.
    Returns None when alpha is undefined (fewer than two pairable values, or every
    value the same). Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability".
    """
    rows = [list(r) for r in data]
    if not rows:
        return None
    n_units = max(len(r) for r in rows)

    def missing(v: Any) -> bool:
        return v is None or (isinstance(v, float) and math.isnan(v))

    values = sorted({v for r in rows for v in r if not missing(v)}, key=repr)
    index = {v: i for i, v in enumerate(values)}
    counts = np.zeros((n_units, len(values)))
    for r in rows:
        for u, v in enumerate(r):
            if not missing(v):
                counts[u, index[v]] += 1
    m = counts.sum(axis=1)
    keep = m >= 2
    counts, m = counts[keep], m[keep]
    if counts.size == 0:
        return None
    w = counts / (m - 1)[:, None]
    coinc = counts.T @ w - np.diag(w.sum(axis=0))  # o_ck: pairable value pairs within units
    n_c = coinc.sum(axis=1)
    n = n_c.sum()
    disagree = coinc.sum() - np.trace(coinc)
    expected = n**2 - (n_c**2).sum()
    if n <= 1 or expected == 0:
        return None
    return float(1 - (n - 1) * disagree / expected)


def cohen_kappa(a: Sequence, b: Sequence) -> float | None:
    """Cohen's kappa (scikit-learn); None when undefined (both raters constant and equal)."""
    from sklearn.metrics import cohen_kappa_score

    a, b = np.asarray(a), np.asarray(b)
    if len(a) == 0:
        return None
    if len(np.unique(np.r_[a, b])) < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k = cohen_kappa_score(a, b)
    return float(k) if math.isfinite(k) else None


def _mean_sd(values: Sequence[float | None]) -> tuple[float | None, float | None, int]:
    vals = [v for v in values if v is not None]
    if not vals:
        return None, None, 0
    mean = float(np.mean(vals))
    sd = float(np.std(vals, ddof=1)) if len(vals) > 1 else None
    return mean, sd, len(vals)


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
        gkf = _group_kfold(k, seed)
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
        raise InputError(f"--cv {k}: use at least 2 folds (or 0 to skip cross-validation)")
    if k > n_docs:
        if warn:
            warn(f"--cv {k} is more than the {n_docs} articles; using {n_docs} folds")
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
    progress: Progress | None = None,
    warn: Warn | None = None,
    circular: bool = False,
) -> CVResult:
    """Grouped k-fold CV: per frame P/R/F1 (mean ± SD over folds) of the classifier, the
    lexicon (present iff it fires) and a majority baseline, all on the same test folds.

    ``labels``: a path, LabelSet, DataFrame or list of dicts. ``params``: extra
    :class:`FrameClassifier` parameters. With ``lexicon_features``, the lexicon's hit
    counts are classifier features too. Folds keep each ``doc_id`` in one fold.
    """
    import time

    t0 = time.perf_counter()
    ls = load_labels(labels, frames)
    lex = _resolve_lexicon(lexicon)
    k = check_groups(ls, k, warn)
    if k < 2:
        raise InputError("cross-validation needs k >= 2 folds")
    splits, splitter = _splitter(ls, k, seed)
    core = [f for f in core_frames if f in ls.frames]
    lex_pred = lexicon_predict(lex, ls.texts, ls.frames) if lex is not None else None
    est_params = {"random_state": seed, **(params or {})}
    per_fold: list[dict] = []
    folds: list[dict] = []
    pooled: dict[str, list[np.ndarray]] = {m: [] for m in METHODS}
    pooled_true: list[np.ndarray] = []
    for fi, (tr, te) in enumerate(splits):
        if progress:
            progress(f"fold {fi + 1}/{k}: training on {len(tr)} sentences, testing on {len(te)}")
        train_docs = {ls.doc_ids[i] for i in tr}
        assert not train_docs & {ls.doc_ids[i] for i in te}, "an article is in train and test"
        est = FrameClassifier(
            frames=ls.frames, lexicon=lex if lexicon_features else None, **est_params
        )
        est.fit([ls.texts[i] for i in tr], ls.y[tr], groups=[ls.doc_ids[i] for i in tr])
        Yt = ls.y[te]
        preds = {"classifier": est.predict([ls.texts[i] for i in te])}
        majority = (ls.y[tr].mean(axis=0) > 0.5).astype(np.int8)
        preds["baseline"] = np.tile(majority, (len(te), 1))
        if lex_pred is not None:
            preds["lexicon"] = lex_pred[te]
        pooled_true.append(Yt)
        for m, P in preds.items():
            pooled[m].append(P)
            for j, f in enumerate(ls.frames):
                per_fold.append({"fold": fi + 1, "frame": f, "method": m, **prf(Yt[:, j], P[:, j])})
        folds.append(
            {
                "fold": fi + 1,
                "n_train": len(tr),
                "n_test": len(te),
                "test_docs": len({ls.doc_ids[i] for i in te}),
                "test_positives": {f: int(Yt[:, j].sum()) for j, f in enumerate(ls.frames)},
                "thresholds": {f: round(float(t), 4) for f, t in zip(ls.frames, est.thresholds_)},
            }
        )
    methods = [m for m in METHODS if pooled[m]]
    all_true = np.vstack(pooled_true)
    summary = []
    for f_i, f in enumerate(ls.frames):
        for m in methods:
            rows = [r for r in per_fold if r["frame"] == f and r["method"] == m]
            rec: dict[str, Any] = {"frame": f, "method": m}
            for s in ("precision", "recall", "f1"):
                mean, sd, n = _mean_sd([r[s] for r in rows])
                rec[f"{s}_mean"], rec[f"{s}_sd"], rec[f"{s}_folds"] = mean, sd, n
            pool = prf(all_true[:, f_i], np.vstack(pooled[m])[:, f_i])
            rec["f1_pooled"] = pool["f1"]
            rec["support"] = pool["support"]
            rec["predicted"] = pool["predicted"]
            summary.append(rec)
    macro = []
    for m in methods:
        for which, fs in (("core", core), ("all", ls.frames)):
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
            mean, sd, n = _mean_sd(per)
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
        lexicon=_lex_meta(lex),
        circular=circular,
        seconds=time.perf_counter() - t0,
    )


def _lex_meta(lex: Lexicon | None) -> dict | None:
    if lex is None:
        return None
    return {"name": lex.name, "version": lex.version, "hash": lex.hash, "sha256": lex.sha256}


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


# ------------------------------------------------------------------- model files


def model_paths(path: str | os.PathLike) -> tuple[Path, Path, Path]:
    """(MODEL.json, MODEL.npz, MODEL.card.json) for a model base path.

    ``models/demo``, ``models/demo.json`` and ``models/demo.npz`` all name the same model;
    an existing folder holds ``model.json`` etc.
    """
    p = Path(path)
    name = p.name
    if p.is_dir():
        base = p / "model"
    elif name.endswith(".card.json"):
        base = p.with_name(name[: -len(".card.json")])
    elif name.endswith((".json", ".npz")):
        base = p.with_name(name.rsplit(".", 1)[0])
    else:
        base = p
    return (
        base.with_name(base.name + ".json"),
        base.with_name(base.name + ".npz"),
        base.with_name(base.name + ".card.json"),
    )


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; model files are for sharing
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _json_bytes(obj: Any) -> bytes:
    return (json.dumps(_clean(obj), ensure_ascii=False, indent=1, allow_nan=False) + "\n").encode(
        "utf-8"
    )


def _clean(v: Any) -> Any:
    if isinstance(v, (float, np.floating)):
        v = float(v)
        return v if math.isfinite(v) else None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "discourse": __version__,
    }


def save_model(model: FrameClassifier, path: str | os.PathLike, card: dict | None = None) -> dict:
    """Write MODEL.npz, MODEL.json (and MODEL.card.json if ``card``). No pickle.

    Each file is written to a temporary file and renamed into place. Returns the paths.
    """
    model._check_fitted()
    jpath, npath, cpath = model_paths(path)
    try:
        jpath.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ModelError(f"cannot create the folder {jpath.parent}: {e.strerror}") from None
    buf = io.BytesIO()
    np.savez_compressed(buf, **model._arrays())
    npz = buf.getvalue()
    body = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created": now_utc().isoformat(timespec="seconds"),
        "versions": versions(),
        "model_sha256": model.model_sha256,
        "npz_sha256": hashlib.sha256(npz).hexdigest(),
        "npz_file": npath.name,
        **model._content_data(),
        "fit": {
            "n_train": model.n_train_,
            "n_groups": model.n_groups_,
            "label_counts": model.label_counts_,
            "threshold_f1": model.threshold_f1_,
            "training_fingerprints": model.training_fingerprints_,
            "label_kind": getattr(model, "label_kind_", "unspecified"),
        },
    }
    try:
        _atomic_write(npath, npz)
        _atomic_write(jpath, _json_bytes(body))
        if card is not None:
            _atomic_write(cpath, _json_bytes(card))
    except OSError as e:
        raise ModelError(f"cannot write the model to {jpath.parent}: {e.strerror}") from None
    out = {"json": str(jpath), "npz": str(npath)}
    if card is not None:
        out["card"] = str(cpath)
    return out


def _default_warn(msg: str) -> None:
    warnings.warn(msg, UserWarning, stacklevel=3)


def load_model(path: str | os.PathLike, warn: Warn | None = None) -> FrameClassifier:
    """Rebuild a fitted :class:`FrameClassifier` from MODEL.json + MODEL.npz (no pickle).

    Raises :class:`ModelError` (one line) for a missing, truncated, tampered or foreign
    file; warns (via ``warn``) when the model was written by another scikit-learn version.
    """
    warn = warn or _default_warn
    jpath, npath, _ = model_paths(path)
    if not jpath.exists():
        raise ModelError(
            f"no model at {jpath}; train one with 'discourse train LABELS.csv -o "
            f"{jpath.with_suffix('')}'"
        )
    try:
        if jpath.stat().st_size > MAX_MODEL_BYTES:
            raise ModelError(f"{jpath}: larger than {MAX_MODEL_BYTES} bytes; not a model file")
        raw = jpath.read_bytes()
    except OSError as e:
        raise ModelError(f"cannot read the model {jpath}: {e.strerror}") from None
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        where = f" (line {e.lineno})" if isinstance(e, json.JSONDecodeError) else ""
        raise ModelError(
            f"{jpath} is not a valid model file: not JSON{where}, perhaps truncated or "
            "corrupted; copy it again or retrain with 'discourse train'"
        ) from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        if isinstance(body, dict) and body.get("format") == CARD_FORMAT:
            raise ModelError(
                f"{jpath} is a model card, not the model; give the model path without "
                f"'.card.json' (e.g. {jpath.name[: -len('.card.json')]})"
            )
        raise ModelError(
            f'{jpath} is not a discourse model file (no "format": "{FORMAT}"); give the '
            "MODEL.json written by 'discourse train'"
        )
    fv = body.get("format_version")
    if not isinstance(fv, int) or fv > FORMAT_VERSION:
        raise ModelError(
            f"{jpath} has model format version {fv!r}; this discourse reads version "
            f"{FORMAT_VERSION}: upgrade discourse or retrain the model"
        )
    if not npath.exists():
        raise ModelError(f"{npath} is missing; a model is MODEL.json + MODEL.npz: copy both")
    try:
        npz = npath.read_bytes()
    except OSError as e:
        raise ModelError(f"cannot read {npath}: {e.strerror}") from None
    actual = hashlib.sha256(npz).hexdigest()
    expected = body.get("npz_sha256")
    if actual != expected:
        raise ModelError(
            f"{npath} does not match {jpath.name} (sha256 {actual[:12]}, expected "
            f"{str(expected)[:12]}): the file was changed or truncated; copy both files "
            "again or retrain"
        )
    arrays = _read_npz(npz, npath)
    wrote = (body.get("versions") or {}).get("scikit-learn")
    if wrote != sklearn.__version__:
        warn(
            f"model {jpath} was written with scikit-learn {wrote}, this is scikit-learn "
            f"{sklearn.__version__}; predictions may differ slightly: retrain to be sure"
        )
    try:
        model = _rebuild(body, arrays, str(jpath))
    except ModelError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as e:
        raise ModelError(
            f"{jpath} is not a usable model file ({type(e).__name__}: {e}); retrain it"
        ) from None
    if model.model_sha256 != body.get("model_sha256"):
        raise ModelError(
            f"{jpath}: its content does not match its hash (model_sha256); the file was "
            "changed: copy it again or retrain"
        )
    card = load_card(jpath)
    if card is not None and card.get("model_sha256") != model.model_sha256:
        warn(f"the model card beside {jpath} describes another model; it was ignored")
        card = None
    model.card_ = card
    return model


_ARRAY_NAMES = ("word_idf", "char_idf", "coef", "intercept", "thresholds")


def _read_npz(data: bytes, npath: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            names = set(z.files)
            if names != set(_ARRAY_NAMES):
                raise ModelError(
                    f"{npath} holds {sorted(names)}, not the arrays of a discourse model"
                )
            out = {}
            for n in _ARRAY_NAMES:
                a = z[n]
                if a.dtype != np.float64:
                    raise ModelError(f"{npath}: array {n} is {a.dtype}, expected float64")
                out[n] = a
            return out
    except ModelError:
        raise
    except (ValueError, OSError, zipfile.BadZipFile, EOFError, KeyError) as e:
        raise ModelError(
            f"{npath} is not a usable model array file ({e}); copy it again or retrain"
        ) from None


def _rebuild(body: dict, arrays: dict[str, np.ndarray], where: str) -> FrameClassifier:
    frames = [str(f) for f in body["frames"]]
    params = dict(body["params"])
    params["word_ngrams"] = tuple(params["word_ngrams"])
    params["char_ngrams"] = tuple(params["char_ngrams"])
    lex = _lexicon_from_data(body["lexicon"], where) if body.get("lexicon") else None
    model = FrameClassifier(frames=frames, lexicon=lex, **params)
    vocabs = body["vectorizers"]
    vecs = []
    for kind, cfg, idf in (
        ("word", _word_config(params["word_ngrams"]), arrays["word_idf"]),
        ("char", _char_config(params["char_ngrams"]), arrays["char_idf"]),
    ):
        terms = vocabs[kind]
        if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
            raise ModelError(f"{where}: the {kind} vocabulary is not a list of strings")
        if len(set(terms)) != len(terms) or idf.shape != (len(terms),):
            raise ModelError(f"{where}: the {kind} vocabulary does not match its idf vector")
        vec = TfidfVectorizer(**cfg, vocabulary={t: i for i, t in enumerate(terms)})
        vec.idf_ = idf
        vecs.append(vec)
    n_lex = len(lex.frames) if lex is not None else 0
    n_feat = len(vocabs["word"]) + len(vocabs["char"]) + n_lex
    F = len(frames)
    for name, shape in (
        ("coef", (F, n_feat)),
        ("intercept", (F,)),
        ("thresholds", (F,)),
    ):
        if arrays[name].shape != shape:
            raise ModelError(
                f"{where}: array {name} has shape {arrays[name].shape}, expected {shape}"
            )
    model.frames_ = frames
    model.lexicon_ = lex
    model.word_vectorizer_, model.char_vectorizer_ = vecs
    model._matcher = Matcher(lex) if lex is not None else None
    model.coef_ = arrays["coef"]
    model.intercept_ = arrays["intercept"]
    model.thresholds_ = arrays["thresholds"]
    model.threshold_method_ = str(body.get("threshold_method", ""))
    fit = body.get("fit") or {}
    model.n_train_ = fit.get("n_train")
    model.n_groups_ = fit.get("n_groups")
    model.label_counts_ = fit.get("label_counts")
    model.threshold_f1_ = fit.get("threshold_f1")
    model.label_kind_ = str(fit.get("label_kind", "unspecified"))
    fps = fit.get("training_fingerprints") or []
    model.training_fingerprints_ = [str(x) for x in fps] if isinstance(fps, list) else []
    return model


def load_card(path: str | os.PathLike) -> dict | None:
    """The model card beside a model, or None if there is none."""
    _, _, cpath = model_paths(path)
    try:
        card = json.loads(cpath.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return card if isinstance(card, dict) and card.get("format") == CARD_FORMAT else None


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
    """
    flat = [t for sents in sentences_per_article for t in sents]
    probs = model.predict_proba(flat) if flat else np.zeros((0, len(model.frames_)))
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
        _canonical({"lexicon": lexicon.sha256, "docs": sorted(set(docs)), "n": len(texts)}).encode()
    ).hexdigest()
    where = f"<store, labelled by lexicon {lexicon.name} {lexicon.version}>"
    for j, f in enumerate(frames):
        pos = int(y[:, j].sum())
        if pos in (0, len(texts)):
            raise InputError(
                f"the lexicon never {'fires' if pos == 0 else 'misses'} for frame '{f}' in "
                f"{len(texts)} sentences, so there is nothing to learn; leave it out with --frames"
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
    progress: Progress | None = None,
) -> TrainResult:
    """Cross-validate (grouped by doc_id), fit on all labels, write model + card.

    With ``from_lexicon``, the labels are the lexicon's own verdicts on the store's
    sentences (weak supervision): the card marks the validation as circular, and the
    lexicon is not used as a feature (the model would just copy it).
    Without ``out_path`` nothing is written.
    """
    lex = _resolve_lexicon(lexicon)
    warn = warn or (lambda m: None)
    if from_lexicon:
        if lex is None:
            raise InputError("--from-lexicon needs a lexicon")
        if store is None:
            raise InputError("--from-lexicon labels the store's sentences: give --db")
        ls = lexicon_labels(store, lex, sel, max_sentences, seed, frames)
        lexicon_features = False
        warn(CIRCULAR_WARNING)
    else:
        if labels_path is None:
            raise InputError("give a labels CSV (or --from-lexicon)")
        ls = load_labels(labels_path, frames if frames else (lex.frame_names if lex else None))
    k = check_groups(ls, k, warn)
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
        )
    if progress:
        progress(f"fitting the final model on all {len(ls)} sentences")
    model = FrameClassifier(
        frames=ls.frames,
        lexicon=lex if lexicon_features else None,
        **{"random_state": seed, **(params or {})},
    )
    model.fit(ls.texts, ls.y, groups=ls.doc_ids)
    model.label_kind_ = ls.kind  # "gold" or "lexicon" (weak supervision)
    card = build_card(model, ls, cv, lex, from_lexicon, labels_path, seed)
    model.card_ = card
    paths = save_model(model, out_path, card) if out_path is not None else {}
    return TrainResult(model, card, cv, ls, paths)


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
            + (" + lexicon hit counts log(1+n) per frame" if model.lexicon_ is not None else ""),
            "classifier": "one-vs-rest logistic regression per frame, class_weight=balanced",
            "params": _plain_params(model),
            "n_features": int(model.coef_.shape[1]),
        },
        "thresholds": {f: round(float(t), 4) for f, t in zip(model.frames_, model.thresholds_)},
        "threshold_method": model.threshold_method_,
        "seed": seed,
        "cross_validation": cv.to_dict() if cv is not None else None,
        "lexicon": _lex_meta(lexicon),
        "lexicon_features": model.lexicon_ is not None,
        "versions": versions(),
    }
    if cv is None:
        card["cross_validation_note"] = (
            "not cross-validated (--cv 0): no honest estimate of accuracy"
        )
    return card


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
    notes: list[str] = []

    def note(msg: str) -> None:
        notes.append(msg)
        if warn:
            warn(msg)

    lex = _resolve_lexicon(lexicon)
    if isinstance(model, (str, os.PathLike)):
        model = load_model(model, warn=note)
    if model is None and lex is None:
        raise InputError("nothing to evaluate: give a lexicon or a model")
    if frames is None:
        frames = model.frames_ if model is not None else lex.frame_names
    gs = load_labels(gold, frames, require_both_classes=False, warn=note)
    frames = gs.frames
    if model is not None:
        missing = [f for f in frames if f not in model.frames_]
        if missing:
            raise InputError(
                f"the model has no frame '{missing[0]}' (its frames: "
                f"{', '.join(model.frames_)}); choose frames with --frames"
            )
    meta: dict[str, Any] = {
        "gold": gs.path,
        "gold_sha256": gs.sha256,
        "n_sentences": len(gs),
        "n_docs": gs.n_docs,
        "tool_version": __version__,
    }
    preds: dict[str, np.ndarray] = {}
    probs = None
    if lex is not None:
        meta.update(lex.provenance())
        lex_missing = [f for f in frames if f not in lex.frames]
        if lex_missing:
            note(f"the lexicon {lex.name} has no frame {', '.join(lex_missing)}: never present")
        preds["lexicon"] = lexicon_predict(lex, gs.texts, frames)
    if model is not None:
        meta.update(model.provenance())
        cols = [model.frames_.index(f) for f in frames]
        probs = model.predict_proba(gs.texts)[:, cols]
        thr = np.asarray(model.thresholds_)[cols]
        preds["classifier"] = (probs >= thr).astype(np.int8)
        meta["thresholds"] = {f: round(float(t), 4) for f, t in zip(frames, thr)}
        card = getattr(model, "card_", None) or {}
        trained_on = (card.get("training_data") or {}).get("sha256")
        seen = set(getattr(model, "training_fingerprints_", None) or ())
        overlap = sum(1 for t in gs.texts if text_fingerprint(t) in seen)
        meta["overlap_with_training"] = overlap
        meta["in_sample"] = bool(trained_on and trained_on == gs.sha256)
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
    errs = _worst_errors(gs, preds, probs, lex, frames, errors) if errors > 0 else []
    rates, source_rates = _design_rates(gold, gs, preds, meta, note)
    return EvalResult(list(frames), metrics, agreement, errs, meta, notes, rates, source_rates)


def _design_rates(gold, gs: LabelSet, preds: dict[str, np.ndarray], meta: dict, note) -> tuple:
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
