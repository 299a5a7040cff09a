"""Validation files: the coded sample, its columns, unit and design checks, reading it."""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from discourse.errors import InputError

MAX_VALIDATION_BYTES = 200 * 1024 * 1024


PRED_PREFIX = "pred_"


PROB_PREFIX = "prob_"


UNITS = ("sentence", "article")  # what a validation file codes: one row per sentence or article


@dataclass
class ValidationSample:
    """Coded sentences of a validation sample, with the method's calls and the design.

    ``y`` and ``pred`` are (n, k) 0/1 arrays (gold and the method's prediction), ``prob``
    an optional (n, k) array of classifier probabilities, ``weight`` the inverse
    inclusion probabilities (n,), ``strata`` an integer stratum code per row.

    Parameters
    ----------
    frames : list of str
    y, pred : ndarray, shape (n, k)
    weight : ndarray, shape (n,)
    strata : ndarray, shape (n,)
    sources : list of str
        Each row's source.
    doc_ids : list of str
        Each row's article, when the file names it.
    prob : ndarray, shape (n, k), optional
    method : str
        The method whose calls ``pred`` holds (``lexicon``, ``classifier``).
    sha256 : str
        The file's hash.
    path : str
        The file, for messages and provenance.
    notes : list of str
        What was adjusted while reading (rescaled weights).
    unit : {"sentence", "article"}
        What one coded row is.
    """

    frames: list[str]
    y: np.ndarray
    pred: np.ndarray
    weight: np.ndarray
    strata: np.ndarray
    sources: list[str]
    doc_ids: list[str] = field(default_factory=list)
    prob: np.ndarray | None = None
    method: str = ""
    sha256: str = ""
    path: str = "<validation>"
    notes: list[str] = field(default_factory=list)
    unit: str = "sentence"  # one coded row per sentence, or per article (``unit`` column)

    def __len__(self) -> int:
        return len(self.weight)

    def provenance(self) -> dict:
        """What the correction rests on: method, the file's hash and size.

        Returns
        -------
        dict
            ``method``, ``validation`` (the path), ``validation_sha256``, ``n``, ``unit``.
        """
        return {
            "method": self.method or "unknown",
            "validation": self.path,
            "validation_sha256": self.sha256,
            "n": len(self),
            "unit": self.unit,
        }


def stratum_label(source: str, pred_row: Sequence[int]) -> str:
    """The stratum of a sentence: its source and whether the method flags any frame.

    Parameters
    ----------
    source : str
    pred_row : sequence of int
        The method's 0/1 call per frame.

    Returns
    -------
    str

    Examples
    --------
    >>> stratum_label("A", [0, 1, 0])
    'A|flagged'
    """
    return f"{source}|{'flagged' if any(int(v) for v in pred_row) else 'unflagged'}"


def _float(v, where: str, line: int, col: str) -> float:
    try:
        x = float(str(v).strip())
    except ValueError:
        x = math.nan
    if not math.isfinite(x):
        raise InputError(f"{where}, line {line}: {col} is {str(v).strip()!r}, not a number")
    return x


def _binary(v, where: str, line: int, col: str) -> int:
    s = str(v).strip() if v is not None else ""
    if s in ("0", "1", "0.0", "1.0"):
        return int(float(s))
    shown = repr(s) if s else "empty"
    raise InputError(f"{where}, line {line}: {col} is {shown}, not 0 or 1; code it 0 or 1")


def _check_columns(header: Sequence[str], frames: list[str], where: str, use_prob: bool) -> None:
    """One-line error for the first column a validation file lacks."""
    cols = ", ".join(header) or "none"
    need = ["source", *frames]
    need += [PRED_PREFIX + f for f in frames] + ["weight"]
    need += [PROB_PREFIX + f for f in frames] if use_prob else []
    for c in need:
        if c in header:
            continue
        if c.startswith(PRED_PREFIX):
            why = (
                f"no prediction column '{c}' (the method's 0/1 call for each coded "
                "sentence, recorded when the sample was drawn); draw the sample with "
                "'discourse label --validation N'"
            )
        elif c.startswith(PROB_PREFIX):
            why = (
                f"no probability column '{c}'; the probabilistic correction needs the "
                "classifier's probability for each coded sentence (draw with `model`)"
            )
        elif c == "weight":
            why = (
                "no 'weight' column (each row's sampling weight, the inverse of its "
                "inclusion probability); draw the sample with 'discourse label --validation N'"
            )
        elif c == "source":
            why = "no 'source' column (the outlet of each coded sentence)"
        else:
            why = f"no column for frame '{c}'; code every frame 0 or 1, or choose `frames`"
        raise InputError(f"{where}: {why} (columns: {cols})")


def validation_from_rows(
    header: Sequence[str],
    rows: Sequence[tuple[int, Mapping]],
    frames: Sequence[str],
    where: str = "<validation>",
    sha256: str = "",
    use_prob: bool = False,
) -> ValidationSample:
    """Check and read the rows of a validation file.

    Parameters
    ----------
    header : sequence of str
        The file's columns.
    rows : sequence of (int, mapping)
        ``(line number, {column: value})`` pairs, as a CSV reader gives them.
    frames : sequence of str
        The frames to read.
    where : str
        The file's name, for messages.
    sha256 : str
        The file's hash, for provenance.
    use_prob : bool
        Also read ``prob_<frame>`` columns.

    Returns
    -------
    ValidationSample

    Notes
    -----

    Columns: ``source``, one gold 0/1 column per frame, ``pred_<frame>`` (the method's
    0/1 call), ``weight`` (inverse inclusion probability), optionally ``stratum``,
    ``stratum_size`` (sentences in the stratum), ``prob_<frame>``, ``method``, ``doc_id``.
    Raises :class:`InputError` (one line) for a missing column, a bad value, a frame
    with no coded positive or negative, and weights that do not match the design.
    """
    frames = list(frames)
    _check_columns(header, frames, where, use_prob)
    if not rows:
        raise InputError(f"{where}: no coded rows; code the validation sample first")
    n, k = len(rows), len(frames)
    y = np.zeros((n, k), dtype=np.int8)
    pred = np.zeros((n, k), dtype=np.int8)
    prob = np.zeros((n, k)) if use_prob else None
    w = np.zeros(n)
    size = np.full(n, np.nan)
    sources, docs, labels, lines, methods = [], [], [], [], set()
    for i, (line, rec) in enumerate(rows):
        for j, f in enumerate(frames):
            y[i, j] = _binary(rec.get(f), where, line, f"frame '{f}'")
            pred[i, j] = _binary(rec.get(PRED_PREFIX + f), where, line, PRED_PREFIX + f)
            if prob is not None:
                p = _float(rec.get(PROB_PREFIX + f), where, line, PROB_PREFIX + f)
                if not 0.0 <= p <= 1.0:
                    raise InputError(
                        f"{where}, line {line}: {PROB_PREFIX + f} is {p}, not a probability"
                    )
                prob[i, j] = p
        w[i] = _float(rec.get("weight"), where, line, "weight")
        if "stratum_size" in header:
            size[i] = _float(rec.get("stratum_size"), where, line, "stratum_size")
        src = str(rec.get("source") or "").strip()
        sources.append(src)
        docs.append(str(rec.get("doc_id") or "").strip())
        stratum = str(rec.get("stratum") or "").strip() if "stratum" in header else ""
        labels.append(stratum or stratum_label(src, pred[i]))
        lines.append(line)
        if rec.get("method"):
            methods.add(str(rec["method"]).strip())
    strata, names = _codes(labels)
    weight, notes = check_design(w, strata, names, size, lines, where)
    unit = file_unit(header, rows, where)
    check_classes(y, frames, weight, where, unit)
    return ValidationSample(
        frames, y, pred, weight, strata, sources, docs, prob,
        method="+".join(sorted(methods)), sha256=sha256, path=where, notes=notes, unit=unit,
    )  # fmt: skip


def file_unit(header: Sequence[str], rows: Sequence[tuple[int, Mapping]], where: str) -> str:
    """What a validation file codes, from its ``unit`` column: sentence (no column) or article.

    Every row must name the same unit; an unknown or mixed unit is a one-line error.

    Parameters
    ----------
    header : sequence of str
        The file's columns.
    rows : sequence of (int, mapping)
        (line number, row) pairs.
    where : str
        The file, for the message.

    Returns
    -------
    str
        ``sentence`` or ``article``.

    Raises
    ------
    InputError
        An unknown unit, or both in one file.

    Examples
    --------
    >>> file_unit(["text"], [], "v.csv"), file_unit(["unit"], [(2, {"unit": "Article"})], "v.csv")
    ('sentence', 'article')
    """
    if "unit" not in header:
        return "sentence"
    seen: dict[str, int] = {}
    for line, rec in rows:
        u = str(rec.get("unit") or "").strip().lower() or "sentence"
        if u not in UNITS:
            raise InputError(
                f"{where}, line {line}: unit is {u!r}; a validation file codes "
                "sentences or articles (unit 'sentence' or 'article')"
            )
        seen.setdefault(u, line)
    if len(seen) > 1:
        raise InputError(
            f"{where}: rows code both sentences (line {seen['sentence']}) and articles "
            f"(line {seen['article']}); keep one unit per validation file"
        )
    return next(iter(seen), "sentence")


def check_unit(val: ValidationSample, unit: str, what: str) -> None:
    """One-line error when the validation file codes another unit than the one corrected.

    Parameters
    ----------
    val : ValidationSample
        The coded sample (its ``unit``: sentence or article).
    unit : str
        The unit whose share is being corrected or evaluated.
    what : str
        What is being done, for the message (e.g. "the sentence shares of 'evaluate'").
    """
    if val.unit == unit:
        return
    other = "label --validation N" + (" --unit article" if unit == "article" else "")
    raise InputError(
        f"{val.path} codes whole {val.unit}s (unit {val.unit}), but {what} needs a "
        f"validation sample of {unit}s; draw one with 'discourse {other}'"
    )


def _codes(labels: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    names = sorted(set(labels))
    index = {s: i for i, s in enumerate(names)}
    return np.array([index[s] for s in labels], dtype=np.int64), names


def check_design(
    weight: np.ndarray,
    strata: np.ndarray,
    names: Sequence[str],
    size: np.ndarray,
    lines: Sequence[int],
    where: str,
) -> tuple[np.ndarray, list[str]]:
    """Check the weights against the stratified design; return the weights to use.

    Every weight is an inverse inclusion probability, so at least 1, and the same for
    every row of a stratum. With ``stratum_size`` (``N_h``, NaN when absent) the coded
    rows of a stratum cannot stand for more sentences than it has (``w * m_h <= N_h``);
    when fewer rows were coded than drawn (a session stopped early), the weights are
    rescaled to ``N_h / m_h`` and a note says so.

    Parameters
    ----------
    weight, strata, size : ndarray, shape (n,)
        Each row's weight, stratum code (an index into ``names``) and ``stratum_size``.
    names : sequence of str
        The strata's names, for messages.
    lines : sequence of int
        Each row's line in the file ``where``, for messages.
    where : str

    Returns
    -------
    (ndarray, list of str)
        The weights to use and notes on what was rescaled (else :class:`InputError`).
    """
    out = weight.astype(float).copy()
    notes: list[str] = []
    bad = np.flatnonzero(out < 1.0 - 1e-9)
    if len(bad):
        i = int(bad[0])
        raise InputError(
            f"{where}, line {lines[i]}: weight {out[i]:g} is below 1, so it is not an "
            "inverse inclusion probability; give each row N_h / n_h of its stratum"
        )
    rescaled = 0
    for h, name in enumerate(names):
        idx = np.flatnonzero(strata == h)
        wh = out[idx]
        if not np.allclose(wh, wh[0], rtol=1e-6):
            raise InputError(
                f"{where}, lines {lines[idx[0]]} and {lines[idx[np.argmax(wh != wh[0])]]}: "
                f"stratum {name!r} has different weights ({wh[0]:g}, "
                f"{wh[wh != wh[0]][0]:g}); a stratified sample gives every row of a "
                "stratum the same weight, N_h / n_h"
            )
        sz = size[idx]
        if np.isnan(sz).all():
            continue
        if np.isnan(sz).any() or not np.allclose(sz, sz[0]):
            raise InputError(
                f"{where}, line {lines[idx[0]]}: stratum {name!r} has different or missing "
                "stratum_size values; every row of a stratum records the same N_h"
            )
        m, big_n = len(idx), float(sz[0])
        if m > big_n + 1e-9 or wh[0] * m > big_n * (1 + 1e-6):
            raise InputError(
                f"{where}: stratum {name!r} has {m} coded rows of weight {wh[0]:g} "
                f"(standing for {wh[0] * m:g} sentences) but only {big_n:g} sentences; "
                "the weights do not match the sample design"
            )
        if wh[0] * m < big_n * (1 - 1e-6):
            out[idx] = big_n / m
            rescaled += 1
    if rescaled:
        notes.append(
            f"{rescaled} strata were coded only in part: their weights are N_h / (rows coded)"
        )
    return out, notes


def check_classes(
    y: np.ndarray, frames: Sequence[str], weight: np.ndarray, where: str, unit: str = "sentence"
) -> None:
    """One-line error for a frame with no coded positive (or no negative).

    Parameters
    ----------
    y : ndarray, shape (n, k)
        Gold 0/1 labels.
    frames : sequence of str
    weight : ndarray
        The rows' weights (not used by the check).
    where : str
        The file, for the message.
    unit : str
        What a row is, for the message.

    Raises
    ------
    InputError
        Naming the first frame whose sensitivity or specificity cannot be estimated.
    """
    n = len(y)
    for j, f in enumerate(frames):
        pos = int(y[:, j].sum())
        if pos == 0 or pos == n:
            which, other = ("positive", "with") if pos == 0 else ("negative", "without")
            raise InputError(
                f"{where}: frame '{f}' has no {which} among the {n} coded {unit}s, so the "
                f"method's {'sensitivity' if pos == 0 else 'specificity'} cannot be "
                f"estimated; code more {unit}s {other} it, or leave the frame out "
                "with `frames`"
            )


def read_validation(
    path: str | Path, frames: Sequence[str], use_prob: bool | None = None
) -> ValidationSample:
    """Read a validation CSV (see :func:`validation_from_rows` for the columns).

    ``use_prob``: read the ``prob_<frame>`` columns (None: when every frame has one).

    Parameters
    ----------
    path : path
        The coded CSV (at most :data:`MAX_VALIDATION_BYTES`, UTF-8).
    frames : sequence of str
        The frames to read.
    use_prob : bool, optional

    Returns
    -------
    ValidationSample
        With the file's SHA-256.

    Raises
    ------
    InputError
        A missing, oversized, undecodable or invalid file, in one line.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(
            f"validation file not found: {p}; draw and code one with "
            "'discourse label --validation N'"
        )
    if p.stat().st_size > MAX_VALIDATION_BYTES:
        raise InputError(f"{p}: validation file is larger than {MAX_VALIDATION_BYTES} bytes")
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{p}: not UTF-8 text; save the validation file as UTF-8 CSV") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader, [])]
        rows = [
            (reader.line_num, dict(zip(header, rec)))
            for rec in reader
            if any(c.strip() for c in rec)
        ]
    except csv.Error as e:
        raise InputError(f"{p}, line {reader.line_num}: not valid CSV ({e})") from None
    sha = hashlib.sha256(raw).hexdigest()
    if use_prob is None:
        use_prob = all(PROB_PREFIX + f in header for f in frames)
    return validation_from_rows(header, rows, frames, str(p), sha, use_prob)


def sample_from_arrays(
    frames: Sequence[str],
    y: np.ndarray,
    pred: np.ndarray,
    sources: Sequence[str],
    weight: np.ndarray | None = None,
    strata: Sequence[str] | None = None,
    method: str = "",
    path: str = "<gold>",
    sha256: str = "",
) -> ValidationSample:
    """A :class:`ValidationSample` from arrays: gold ``y``, the method's ``pred``.

    Without ``weight`` every row weighs 1 (a census or a simple random sample, such as a
    labels file coded in full); ``strata`` default to source x flagged.

    Parameters
    ----------
    frames : sequence of str
    y, pred : ndarray, shape (n, k)
        Gold labels and the method's calls, 0/1.
    sources : sequence of str
        Each row's source.
    weight : ndarray, optional
    strata : sequence of str, optional
        Each row's stratum name.
    method, path, sha256 : str
        For provenance.

    Returns
    -------
    ValidationSample

    Examples
    --------
    >>> v = sample_from_arrays(["f"], np.array([[1], [0]]), np.array([[1], [1]]), ["A", "A"])
    >>> len(v), v.weight.tolist(), v.strata.tolist()
    (2, [1.0, 1.0], [0, 0])
    """
    pred = np.asarray(pred, dtype=np.int8)
    labels = list(strata) if strata is not None else [
        stratum_label(s, p) for s, p in zip(sources, pred)
    ]  # fmt: skip
    codes, _ = _codes(labels)
    w = np.ones(len(pred)) if weight is None else np.asarray(weight, dtype=float)
    return ValidationSample(
        list(frames), np.asarray(y, dtype=np.int8), pred, w, codes, list(sources),
        method=method, path=path, sha256=sha256,
    )  # fmt: skip


def check_method(val: ValidationSample, method: str) -> None:
    """The validation sample must validate the method whose shares are corrected.

    Parameters
    ----------
    val : ValidationSample
    method : str
        The scoring method of the shares to correct.

    Returns
    -------
    None
        Raises :class:`InputError` naming `method` when the two differ.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> val = SimpleNamespace(path="val.csv", method="lexicon")
    >>> check_method(val, "lexicon")
    >>> check_method(val, "both")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    discourse.errors.InputError: val.csv validates the method 'lexicon', not 'both'; ...
    """
    if val.method and method and val.method != method:
        raise InputError(
            f"{val.path} validates the method '{val.method}', not '{method}'; use "
            f"`method` {val.method}, or draw a validation sample for {method} with "
            f"'discourse label --validation N --method {method}'"
        )


def read_weights(path: str | Path) -> np.ndarray | None:
    r"""The ``weight`` column of a labels CSV in row order (blank rows skipped), or None.

    A labels file coded in full (or a simple random sample) has no weights; a validation
    sample drawn by ``discourse label --validation`` has one per row.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    numpy.ndarray or None

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "val.csv"
    >>> _ = p.write_text("text,threat,weight\nA.,1,2.5\nB.,0,1\n")
    >>> read_weights(p)
    array([2.5, 1. ])
    """
    p = Path(path)
    try:
        with p.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = [h.strip() for h in next(reader, [])]
            if "weight" not in header:
                return None
            wi = header.index("weight")
            out = []
            for rec in reader:
                if not any(c.strip() for c in rec):
                    continue
                v = rec[wi] if wi < len(rec) else ""
                out.append(_float(v, str(p), reader.line_num, "weight"))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None  # the labels loader reports what is wrong with the file
    w = np.asarray(out)
    if (w < 1.0 - 1e-9).any():
        raise InputError(
            f"{p}: a weight is below 1, so it is not an inverse inclusion probability; "
            "give each row N_h / n_h of its stratum"
        )
    return w


def check_labels_unit(path: str | Path, unit: str, what: str) -> None:
    """One-line error when a labels file codes another unit (its ``unit`` column) than ``unit``.

    A file that cannot be read is left to the labels loader, which reports what is wrong.

    Parameters
    ----------
    path : path
        The labels or gold file.
    unit : str
        The unit the command needs (``sentence`` or ``article``).
    what : str
        What is being done, for the message (see :func:`check_unit`).

    Raises
    ------
    InputError
        The file codes the other unit.
    """
    p = Path(path)
    try:
        with p.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = [h.strip() for h in next(reader, [])]
            if "unit" not in header:
                found = "sentence"
            else:
                rows = [(reader.line_num, dict(zip(header, r))) for r in reader if any(r)]
                found = file_unit(header, rows, str(p))
    except (OSError, UnicodeDecodeError, csv.Error):
        return
    if found != unit:
        stub = ValidationSample([], np.zeros((0, 0)), np.zeros((0, 0)), np.zeros(0),
                                np.zeros(0), [], path=str(p), unit=found)  # fmt: skip
        check_unit(stub, unit, what)
