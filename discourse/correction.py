"""Shares corrected for measurement error: validation samples, error rates, corrected shares.

A lexicon or classifier misses some frame sentences and flags some that are not.
When a researcher codes a *validation sample* of sentences by hand, the method's
sensitivity (share of true frame sentences it flags) and specificity (share of
non-frame sentences it leaves alone) can be estimated, and the share it reports
(``q``) corrected for them. Pure functions over arrays; numpy and scipy only.

* **Design.** The validation sample is stratified (by source and by what the method
  predicts) and each coded row carries its sampling weight: the inverse of its
  inclusion probability, ``N_h / n_h`` for a stratum of ``N_h`` sentences of which
  ``n_h`` were coded. Every estimate from the sample is weighted, so oversampling
  the sentences the method flags does not bias anything.
* **Error rates**: design-weighted sensitivity and specificity per frame, per source
  when every source has enough coded positives and negatives of the frame, else
  pooled over sources (with a note). Interval: Wilson's score interval on Kish's
  effective sample size ``(sum w)^2 / sum w^2`` of the positives (negatives).
* **Correction**: the adjusted classify-and-count (Rogan & Gladen 1978; Forman 2008)
  ``p = (q + spec - 1) / (sens + spec - 1)``, clipped to [0, 1] and flagged
  *unstable* when ``sens + spec - 1 < 0.2`` (the correction then divides by a small,
  noisy number). With calibrated classifier probabilities the same formula on soft
  counts gives the probabilistic version (PCC and adjusted PCC, Bella et al. 2010):
  ``q`` is the mean probability, ``sens`` the mean probability among true positives,
  ``1 - spec`` the mean probability among true negatives.
* **Interval**: a seeded percentile bootstrap that resamples both the articles of
  each source (clusters of sentences, so ``q`` carries its sampling error) and the
  validation sample (rows within their strata, so ``sens`` and ``spec`` carry theirs).
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import stats as sps

from discourse.errors import InputError
from discourse.shared import DEFAULT_BOOT, DEFAULT_SEED

UNSTABLE_J = 0.2  # Youden's J = sens + spec - 1 below this: the correction is unstable
MIN_POS = 10  # coded positives (and negatives) a source needs for its own error rates
MIN_NEG = 10
# partial pooling: a source's error rates are shrunk towards the pooled ones as if the pooled
# rate had been seen in this many more coded rows of the source (0: the all-or-nothing rule)
SHRINK = 10.0
CONF = 0.95
MAX_VALIDATION_BYTES = 200 * 1024 * 1024
PRED_PREFIX = "pred_"
PROB_PREFIX = "prob_"


# ----------------------------------------------------------------------- the sample


@dataclass
class ValidationSample:
    """Coded sentences of a validation sample, with the method's calls and the design.

    ``y`` and ``pred`` are (n, k) 0/1 arrays (gold and the method's prediction), ``prob``
    an optional (n, k) array of classifier probabilities, ``weight`` the inverse
    inclusion probabilities (n,), ``strata`` an integer stratum code per row.
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

    def __len__(self) -> int:
        return len(self.weight)

    def provenance(self) -> dict:
        """What the correction rests on: method, the file's hash and size."""
        return {
            "method": self.method or "unknown",
            "validation": self.path,
            "validation_sha256": self.sha256,
            "n": len(self),
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
                "classifier's probability for each coded sentence (draw with --model)"
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
    check_classes(y, frames, weight, where)
    return ValidationSample(
        frames, y, pred, weight, strata, sources, docs, prob,
        method="+".join(sorted(methods)), sha256=sha256, path=where, notes=notes,
    )  # fmt: skip


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


def check_classes(y: np.ndarray, frames: Sequence[str], weight: np.ndarray, where: str) -> None:
    """One-line error for a frame with no coded positive (or no negative)."""
    n = len(y)
    for j, f in enumerate(frames):
        pos = int(y[:, j].sum())
        if pos == 0 or pos == n:
            which, other = ("positive", "with") if pos == 0 else ("negative", "without")
            raise InputError(
                f"{where}: frame '{f}' has no {which} among the {n} coded sentences, so the "
                f"method's {'sensitivity' if pos == 0 else 'specificity'} cannot be "
                f"estimated; code more sentences {other} it, or leave the frame out "
                "with `frames`"
            )


def read_validation(
    path: str | Path, frames: Sequence[str], use_prob: bool | None = None
) -> ValidationSample:
    """Read a validation CSV (see :func:`validation_from_rows` for the columns).

    ``use_prob``: read the ``prob_<frame>`` columns (None: when every frame has one).
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


def allocate(sizes: Mapping[str, int], n: int) -> dict[str, int]:
    """Sample size per stratum: ``n`` split equally over strata, capped at their size.

    A stratum smaller than its share is taken whole and the rest is shared by the
    others (water-filling), so every non-empty stratum gets rows while ``n`` allows.
    With strata source x flagged/unflagged this oversamples what the method flags.

    Parameters
    ----------
    sizes : mapping of str to int
        Rows available per stratum.
    n : int
        The sample size.

    Returns
    -------
    dict of str to int

    Examples
    --------
    >>> allocate({"A|flagged": 3, "A|unflagged": 50, "B|flagged": 20}, 30)
    {'A|flagged': 3, 'A|unflagged': 14, 'B|flagged': 13}
    """
    alloc = {h: 0 for h in sizes}
    remaining = min(int(n), sum(max(0, int(v)) for v in sizes.values()))
    open_ = sorted(h for h in sizes if sizes[h] > 0)
    while remaining > 0 and open_:
        share = max(1, remaining // len(open_))
        for h in open_:
            take = min(share, sizes[h] - alloc[h], remaining)
            alloc[h] += take
            remaining -= take
        open_ = [h for h in open_ if alloc[h] < sizes[h]]
    return alloc


def draw_stratified(
    strata: Sequence[str], n: int, seed: int = DEFAULT_SEED
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """A stratified random sample of ``n`` items, seeded.

    Parameters
    ----------
    strata : sequence of str
        Each item's stratum.
    n : int
        Sample size (allocated by :func:`allocate`).
    seed : int
        Random seed.

    Returns
    -------
    tuple of (ndarray, ndarray, dict)
        The chosen indices (in random order, so a sample coded in part is a random part of
        each stratum), their weights ``N_h / n_h`` (inverse inclusion probabilities), and
        ``N_h`` per stratum.
    """
    labels = np.asarray(list(strata), dtype=object)
    names = sorted(set(labels.tolist()))
    sizes = {h: int((labels == h).sum()) for h in names}
    alloc = allocate(sizes, n)
    rng = np.random.default_rng(seed)
    idx, wts = [], []
    for h in names:
        if alloc[h] == 0:
            continue
        members = np.flatnonzero(labels == h)
        take = rng.choice(members, size=alloc[h], replace=False)
        idx.append(take)
        wts.append(np.full(alloc[h], sizes[h] / alloc[h]))
    if not idx:
        return np.zeros(0, dtype=np.int64), np.zeros(0), sizes
    order = rng.permutation(sum(len(i) for i in idx))
    return np.concatenate(idx)[order], np.concatenate(wts)[order], sizes


# ------------------------------------------------------------------ error rates


def kish_neff(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` (0 for no weights).

    Parameters
    ----------
    weights : numpy.ndarray
        Sampling weights.

    Returns
    -------
    float

    Examples
    --------
    >>> round(kish_neff(np.array([1.0, 1.0, 2.0, 4.0])), 4)  # 8^2 / 22
    2.9091
    """
    w = np.asarray(weights, dtype=float)
    s2 = float((w * w).sum())
    return float(w.sum()) ** 2 / s2 if s2 > 0 else 0.0


def wilson_neff(p: float, n_eff: float, conf: float = CONF) -> tuple[float, float]:
    """Wilson score interval for a proportion ``p`` estimated from ``n_eff`` (real) trials.

    Parameters
    ----------
    p : float
        The (weighted) proportion.
    n_eff : float
        Effective number of trials (:func:`kish_neff`).
    conf : float
        Confidence level.

    Returns
    -------
    (float, float)

    Examples
    --------
    >>> tuple(round(x, 4) for x in wilson_neff(0.8, 10))  # as wilson(8, 10)
    (0.4902, 0.9433)
    """
    if n_eff <= 0:
        return 0.0, 1.0
    z = float(sps.norm.ppf(0.5 + conf / 2))
    denom = 1 + z * z / n_eff
    centre = (p + z * z / (2 * n_eff)) / denom
    half = z * math.sqrt(max(p * (1 - p), 0.0) / n_eff + z * z / (4 * n_eff * n_eff)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def weighted_rates(y, pred, weight) -> tuple[float | None, float | None]:
    """Design-weighted sensitivity and specificity of ``pred`` (0/1 or probabilities).

    Parameters
    ----------
    y : array of 0/1
        Gold labels of one frame.
    pred : array
        The method's 0/1 calls, or its probabilities (the probabilistic rates).
    weight : array
        Sampling weights (inverse inclusion probabilities).

    Returns
    -------
    tuple of (float or None, float or None)
        ``sum w y pred / sum w y`` and ``sum w (1-y)(1-pred) / sum w (1-y)``; None where
        there is no positive (negative).
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(pred, dtype=float)
    w = np.asarray(weight, dtype=float)
    wp, wn = (w * y).sum(), (w * (1 - y)).sum()
    sens = float((w * y * p).sum() / wp) if wp > 0 else None
    spec = float((w * (1 - y) * (1 - p)).sum() / wn) if wn > 0 else None
    return sens, spec


def _scope(val: ValidationSample, j: int, min_pos: int, min_neg: int) -> tuple[bool, str]:
    """Per source (True) when every source has enough positives and negatives of frame j."""
    src = np.array(val.sources)
    y = val.y[:, j]
    for s in sorted(set(val.sources)):
        m = src == s
        pos, neg = int(y[m].sum()), int(m.sum() - y[m].sum())
        if pos < min_pos or neg < min_neg:
            return False, (
                f"frame '{val.frames[j]}': pooled over sources ({s!r} has {pos} coded "
                f"positives and {neg} negatives; its own rates need {min_pos} and {min_neg})"
            )
    return True, ""


def error_rates(
    val: ValidationSample,
    min_pos: int = MIN_POS,
    min_neg: int = MIN_NEG,
    soft: bool = False,
    conf: float = CONF,
    pooled: bool = False,
    shrink: float = 0.0,
) -> list[dict]:
    """Weighted sensitivity and specificity per frame (and source), with Wilson intervals.

    Parameters
    ----------
    val : ValidationSample
        The coded sample.
    min_pos, min_neg : int
        Coded positives and negatives every source needs for per-source rates.
    soft : bool
        The probabilistic rates (mean probability among positives, negatives).
    conf : float
        Confidence level.
    pooled : bool
        Pooled rates only.
    shrink : float
        Partial pooling strength; 0 for the rule below.

    Returns
    -------
    list of dict
        Per frame and source: ``sensitivity``, ``specificity`` with ``_lo``/``_hi``,
        ``youden_j``, ``unstable``, ``n_pos``, ``n_neg``, ``n_eff_pos``, ``n_eff_neg``,
        ``note``.

    Notes
    -----

    One record per frame and source (``source`` is ``"*"`` for rates pooled over
    sources, used for every source when some source has fewer than ``min_pos``
    positives or ``min_neg`` negatives of the frame; the record's ``note`` says so;
    ``pooled``: pooled rates only, without a note).
    ``soft``: the probabilistic rates from ``val.prob``. Intervals: Wilson on Kish's
    effective number of positives (negatives). ``shrink`` > 0: partial pooling instead,
    every source's own rates shrunk towards the pooled ones as if the pooled rate had been
    seen in ``shrink`` more coded rows of the source (see :func:`shrunk_rates`).
    """
    calls = val.prob if soft else val.pred
    if calls is None:
        raise InputError(f"{val.path}: no classifier probabilities for the probabilistic rates")
    src = np.array(val.sources)
    out = []
    for j, f in enumerate(val.frames):
        per_source, note = (False, "") if pooled else _scope(val, j, min_pos, min_neg)
        if shrink > 0 and not pooled:
            per_source, note = True, ""
        groups = sorted(set(val.sources)) if per_source else ["*"]
        for s in groups:
            m = (src == s) if s != "*" else np.ones(len(val), dtype=bool)
            y, p, w = val.y[m, j], calls[m, j], val.weight[m]
            sens, spec = weighted_rates(y, p, w)
            if shrink > 0 and s != "*":
                pool = weighted_rates(val.y[:, j], calls[:, j], val.weight)
                sens, spec = shrunk_rates(y, p, w, pool, shrink)
            ne_pos, ne_neg = kish_neff(w[y == 1]), kish_neff(w[y == 0])
            s_lo, s_hi = wilson_neff(sens, ne_pos, conf) if sens is not None else (None, None)
            c_lo, c_hi = wilson_neff(spec, ne_neg, conf) if spec is not None else (None, None)
            j_val = sens + spec - 1 if sens is not None and spec is not None else None
            out.append(
                {
                    "frame": f, "source": s, "sensitivity": sens, "sensitivity_lo": s_lo,
                    "sensitivity_hi": s_hi, "specificity": spec, "specificity_lo": c_lo,
                    "specificity_hi": c_hi, "youden_j": j_val,
                    "unstable": j_val is None or j_val < UNSTABLE_J,
                    "n_pos": int(y.sum()), "n_neg": int(len(y) - y.sum()),
                    "n_eff_pos": ne_pos, "n_eff_neg": ne_neg, "note": note,
                }
            )  # fmt: skip
    return out


def shrunk_rates(y, pred, weight, pooled: tuple, k0: float) -> tuple[float | None, float | None]:
    """A source's weighted rates shrunk towards the pooled rates (partial pooling).

    ``sens = (sum w y p + k sens_pooled) / (sum w y + k)`` with ``k = k0`` times the
    source's mean weight of a positive row (so the pooled rate counts as ``k0`` more coded
    positives); the same for specificity with the negatives. A source without coded
    positives (negatives) gets the pooled rate.
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(pred, dtype=float)
    w = np.asarray(weight, dtype=float)
    out = []
    for mask, hit, rate in ((y == 1, p, pooled[0]), (y == 0, 1 - p, pooled[1])):
        n = int(mask.sum())
        if rate is None:
            out.append(None)
            continue
        if n == 0:
            out.append(float(rate))
            continue
        k = k0 * w[mask].sum() / n
        out.append(float(((w * hit)[mask].sum() + k * rate) / (w[mask].sum() + k)))
    return out[0], out[1]


# ------------------------------------------------------------------- estimator


def rogan_gladen(q: float, sens: float, spec: float) -> tuple[float | None, bool]:
    """Adjusted classify-and-count: ``(q + spec - 1) / (sens + spec - 1)`` clipped to [0, 1].

    Parameters
    ----------
    q : float
        The share of items the method flags (or the mean probability).
    sens, spec : float
        The method's sensitivity and specificity.

    Returns
    -------
    tuple of (float or None, bool)
        The corrected share, None when ``sens + spec - 1 <= 0`` (the method is no better
        than chance); and whether it is unstable (``sens + spec - 1 < 0.2``).

    Examples
    --------
    >>> p, unstable = rogan_gladen(0.3, 0.8, 0.9)
    >>> round(p, 4), unstable
    (0.2857, False)
    """
    j = sens + spec - 1
    if j <= 0:
        return None, True
    return float(min(1.0, max(0.0, (q + spec - 1) / j))), j < UNSTABLE_J


def rogan_gladen_array(q, sens, spec) -> np.ndarray:
    """Vectorised :func:`rogan_gladen`: NaN where ``sens + spec - 1 <= 0``; clipped.

    Parameters
    ----------
    q, sens, spec : array-like
        Raw shares, sensitivities and specificities.

    Returns
    -------
    numpy.ndarray
        ``(q + spec - 1) / (sens + spec - 1)``, clipped to [0, 1].

    Examples
    --------
    >>> rogan_gladen_array(np.array([0.3, 0.1]), np.array([0.8, 0.5]), np.array([0.9, 0.5]))
    array([0.28571429,        nan])
    """
    q, sens, spec = (np.asarray(a, dtype=float) for a in (q, sens, spec))
    j = sens + spec - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(j > 0, (q + spec - 1) / np.where(j > 0, j, 1.0), np.nan)
    return np.clip(p, 0.0, 1.0)


def required_positives(
    share: float, sens: float, spec: float, halfwidth: float, conf: float = CONF
) -> tuple[int, int]:
    """Coded positives and negatives for a corrected share to within ``± halfwidth``.

    By the delta method, ``Var(p) ~ [Var(q) + p^2 Var(sens) + (1-p)^2 Var(spec)] / J^2``
    with ``J = sens + spec - 1``; counting only the validation sample's part, each term
    gets half the allowed variance: ``n_pos >= 2 (z p / (J h))^2 sens (1 - sens)`` and
    ``n_neg >= 2 (z (1-p) / (J h))^2 spec (1 - spec)``.

    Parameters
    ----------
    share : float
        The expected corrected share ``p``.
    sens, spec : float
        The method's expected sensitivity and specificity.
    halfwidth : float
        The wanted half-width ``h`` of the interval.
    conf : float
        Confidence level.

    Returns
    -------
    (int, int)
        Coded positives and negatives needed.

    Examples
    --------
    >>> required_positives(0.2, 0.8, 0.95, 0.05)
    (35, 167)
    """
    z = float(sps.norm.ppf(0.5 + conf / 2))
    j = sens + spec - 1
    if j <= 0:
        raise ValueError("sens + spec - 1 must be positive")
    n_pos = 2 * (z * share / (j * halfwidth)) ** 2 * sens * (1 - sens)
    n_neg = 2 * (z * (1 - share) / (j * halfwidth)) ** 2 * spec * (1 - spec)
    return math.ceil(n_pos), math.ceil(n_neg)


# --------------------------------------------------------------- corrected shares


@dataclass
class SourceCounts:
    """Per-article counts of one source (or group): what the correction needs of a corpus.

    ``sentences`` (m,) sentences per article; ``flagged`` (m, k) sentences the method
    flags per article and frame; ``prob_sum`` (m, k) the sum of the classifier's
    probabilities over each article's sentences (for the probabilistic version).
    """

    source: str
    sentences: np.ndarray
    flagged: np.ndarray
    prob_sum: np.ndarray | None = None
    key: tuple = ()  # the group (source, or source and period); () means (source,)


def probability_source_counts(
    source: str, key: tuple, sentences: Sequence[int], prob_sums: Sequence, k: int
) -> SourceCounts:
    """A group's :class:`SourceCounts` for the probabilistic correction, from lists."""
    n = len(sentences)
    return SourceCounts(
        source, np.asarray(sentences, dtype=float), np.zeros((n, k)),
        np.asarray(prob_sums, dtype=float).reshape(n, k), key=key,
    )  # fmt: skip


def _seed_for(seed: int, name: str) -> np.random.Generator:
    import zlib

    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])


def _validation_replicates(val: ValidationSample, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, n) bootstrap weights: rows resampled with replacement within each stratum."""
    rng = _seed_for(seed, "\x00validation")
    reps = np.zeros((n_boot, len(val)))
    for h in np.unique(val.strata):
        idx = np.flatnonzero(val.strata == h)
        counts = rng.multinomial(len(idx), np.full(len(idx), 1.0 / len(idx)), size=n_boot)
        reps[:, idx] = counts
    return reps * val.weight[None, :]


def _rate_replicates(wrep: np.ndarray, y: np.ndarray, p: np.ndarray) -> tuple:
    """Bootstrap replicates of weighted (sens, spec) for one frame within one scope."""
    with np.errstate(invalid="ignore", divide="ignore"):
        sens = (wrep @ (y * p)) / (wrep @ y)
        spec = (wrep @ ((1 - y) * (1 - p))) / (wrep @ (1 - y))
    return sens, spec


def _shrunk_replicates(wrep, y, p, w, pool: tuple, k0: float) -> tuple:
    """Bootstrap replicates of :func:`shrunk_rates` (the pooled rates resampled too)."""
    out = []
    for mask, hit, rate in ((y == 1, p, pool[0]), (y == 0, 1 - p, pool[1])):
        n = int(mask.sum())
        if n == 0:
            out.append(rate)
            continue
        k = k0 * w[mask].sum() / n
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append((wrep[:, mask] @ hit[mask] + k * rate) / (wrep[:, mask].sum(axis=1) + k))
    return out[0], out[1]


def _share_replicates(c: SourceCounts, num: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, k) replicates of the share ``sum num / sum sentences``, resampling articles."""
    rng = _seed_for(seed, "|".join(map(str, c.key or (c.source,))))
    m = len(c.sentences)
    out = np.empty((n_boot, num.shape[1]))
    block = max(1, min(n_boot, 4_000_000 // max(m, 1)))
    for start in range(0, n_boot, block):
        b = min(block, n_boot - start)
        counts = rng.multinomial(m, np.full(m, 1.0 / m), size=b).astype(float)
        den = counts @ c.sentences
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start : start + b] = (counts @ num) / den[:, None]
    return out


def corrected_shares(
    counts: Sequence[SourceCounts],
    val: ValidationSample,
    soft: bool = False,
    n_boot: int = DEFAULT_BOOT,
    seed: int = DEFAULT_SEED,
    min_pos: int = MIN_POS,
    min_neg: int = MIN_NEG,
    conf: float = CONF,
    shrink: float = SHRINK,
) -> list[dict]:
    """Raw and corrected sentence shares per source and frame, with bootstrap intervals.

    Parameters
    ----------
    counts : sequence of SourceCounts
        Per group (source, or source and period): each article's sentence count and
        flagged sentences (or probability sums) per frame.
    val : ValidationSample
        The coded validation sample of the same method.
    soft : bool
        The probabilistic version (needs ``prob_sum`` and ``val.prob``).
    n_boot, seed : int
        Bootstrap resamples and seed.
    min_pos, min_neg : int
        Coded positives and negatives every source needs for its own rates (``shrink=0``).
    conf : float
        Confidence level of the intervals.
    shrink : float
        Partial pooling strength (pseudo-rows), see :func:`shrunk_rates`.

    Returns
    -------
    list of dict
        One record per group and frame: ``raw``, ``raw_lo``, ``raw_hi``, ``corrected``,
        ``corrected_lo``, ``corrected_hi``, ``sensitivity``, ``specificity``,
        ``youden_j``, ``unstable``, ``rates_scope`` (source, partial or pooled),
        ``undefined_share``, ``note``, ``estimator`` (acc or pacc), counts.

    Notes
    -----
    ``soft=False``: adjusted classify-and-count from the method's 0/1 calls;
    ``soft=True``: probabilistic classify-and-count (raw: mean probability) adjusted with
    the probabilistic rates. Interval: percentile bootstrap over replicates that resample
    the source's articles and the validation rows within strata (independently);
    replicates where ``sens + spec - 1 <= 0`` are left out and counted in
    ``undefined_share``. ``raw_lo``/``raw_hi``: the same bootstrap of the raw share alone.
    ``shrink``: each source's rates partially pooled (:func:`shrunk_rates`, also in every
    replicate); 0 for the rule of :func:`error_rates` (own rates when every source has
    ``min_pos`` positives and ``min_neg`` negatives, else pooled).
    """
    if soft and (val.prob is None or any(c.prob_sum is None for c in counts)):
        raise InputError("the probabilistic correction needs classifier probabilities")
    calls = (val.prob if soft else val.pred).astype(float)
    rates = {
        (r["frame"], r["source"]): r
        for r in error_rates(val, min_pos, min_neg, soft, conf, shrink=shrink)
    }
    for r in error_rates(val, soft=soft, conf=conf, pooled=True):
        if (r["frame"], r["source"]) not in rates:  # for sources the sample lacks
            r["note"] = f"frame '{r['frame']}': pooled rates for sources the sample lacks"
            rates[(r["frame"], "*")] = r
    boot_rates = _boot_rates(val, calls, rates, n_boot, seed, shrink)
    alpha = (1 - conf) / 2
    out = []
    for c in counts:
        num = (c.prob_sum if soft else c.flagged).astype(float)
        total = float(np.sum(c.sentences))
        q_boot = _share_replicates(c, num, n_boot, seed) if total > 0 else None
        for j, f in enumerate(val.frames):
            key = (f, c.source) if (f, c.source) in rates else (f, "*")
            r = rates[key]
            scope = "pooled" if key[1] == "*" else ("partial" if shrink else "source")
            rec = _record(c, f, r, "pacc" if soft else "acc", scope, total)
            out.append(rec)
            if q_boot is None or r["sensitivity"] is None or r["specificity"] is None:
                continue
            q = float(num[:, j].sum() / total)
            _fill(rec, q, q_boot[:, j], r, boot_rates[key], alpha)
    return out


def _record(c: SourceCounts, frame: str, r: dict, estimator: str, scope: str, total) -> dict:
    """A corrected-share record before its figures are filled in."""
    return {
        "source": c.source, "key": c.key or (c.source,), "frame": frame,
        "estimator": estimator, "n_articles": len(c.sentences), "n_sentences": int(total),
        "raw": None, "raw_lo": None, "raw_hi": None, "corrected": None,
        "corrected_lo": None, "corrected_hi": None,
        "sensitivity": r["sensitivity"], "specificity": r["specificity"],
        "youden_j": r["youden_j"], "unstable": r["unstable"], "rates_scope": scope,
        "undefined_share": None, "note": r["note"],
    }  # fmt: skip


def _boot_rates(val, calls, rates: dict, n_boot: int, seed: int, shrink: float) -> dict:
    """Bootstrap replicates of (sens, spec) for every (frame, source or "*") in ``rates``."""
    wrep = _validation_replicates(val, n_boot, seed)
    src = np.array(val.sources)
    y_all = val.y.astype(float)
    out: dict[tuple[str, str], tuple] = {}
    for f, s in rates:
        j = val.frames.index(f)
        m = (src == s) if s != "*" else np.ones(len(val), dtype=bool)
        out[(f, s)] = _rate_replicates(wrep[:, m], y_all[m, j], calls[m, j])
        if shrink > 0 and s != "*":
            pool = _rate_replicates(wrep, y_all[:, j], calls[:, j])
            out[(f, s)] = _shrunk_replicates(
                wrep[:, m], y_all[m, j], calls[m, j], val.weight[m], pool, shrink
            )
    return out


def _fill(rec: dict, q: float, q_boot, rates: dict, boot: tuple, alpha: float) -> None:
    """A record's raw share, corrected share and their percentile intervals."""
    rec["raw"] = q
    rec["raw_lo"], rec["raw_hi"] = (float(v) for v in np.quantile(q_boot, [alpha, 1 - alpha]))
    rec["corrected"], _ = rogan_gladen(q, rates["sensitivity"], rates["specificity"])
    p_b = rogan_gladen_array(q_boot, boot[0], boot[1])
    ok = ~np.isnan(p_b)
    rec["undefined_share"] = float(1 - ok.mean())
    if ok.any():
        lo, hi = np.quantile(p_b[ok], [alpha, 1 - alpha])
        rec["corrected_lo"], rec["corrected_hi"] = float(lo), float(hi)
    if rec["undefined_share"] > 0.05:
        rec["unstable"] = True


# ------------------------------------------------------ attaching to comparisons


class CountsCollector:
    """Collects per-article counts from a stream of article scores as it flows past.

    ``wrap(scores)`` yields the scores unchanged (so :func:`discourse.stats.compare` can
    consume them) and keeps, per group (``by``: source, or source and period, as given by
    ``group_key(score)``; None leaves a score out), each article's sentence count and the
    sentences the method flagged per frame.
    """

    def __init__(
        self,
        frames: Sequence[str],
        by: tuple[str, ...] = ("source",),
        group_key: Callable[[object], tuple | None] | None = None,
    ) -> None:
        self.frames = list(frames)
        self.by = by
        self.group_key = group_key or (lambda sc: (sc.article.source,))
        self._groups: dict[tuple, tuple[list[int], list[list[int]]]] = {}

    def wrap(self, scores):
        for sc in scores:
            key = self.group_key(sc)
            if key is not None:
                sent, flagged = self._groups.setdefault(key, ([], []))
                sent.append(sc.n_sentences)
                flagged.append([sc.frames[f].sentences_with for f in self.frames])
            yield sc

    def counts(self) -> list[SourceCounts]:
        """One :class:`SourceCounts` per group, its ``source`` the group's source."""
        out = []
        si = self.by.index("source")
        for key in sorted(self._groups):
            sent, flagged = self._groups[key]
            out.append(
                SourceCounts(
                    key[si], np.asarray(sent, dtype=float),
                    np.asarray(flagged, dtype=float).reshape(len(sent), len(self.frames)),
                    key=key,
                )
            )  # fmt: skip
        return out


def correction_label(val: ValidationSample, estimator: str, scope: str) -> str:
    """The ``correction`` field: what a corrected figure rests on, in one line."""
    return (
        f"estimator={estimator};method={val.method or 'unknown'};"
        f"validation_sha256={val.sha256[:16]};n={len(val)};rates={scope}"
    )


def attach(
    records: list[dict], corrected: list[dict], val: ValidationSample, by: tuple[str, ...]
) -> list[dict]:
    """Add ``corrected``, ``corrected_lo``, ``corrected_hi``, ``corrected_unstable`` and
    ``correction`` to comparison records (matched on the group key and frame)."""
    index = {(tuple(c["key"]), c["frame"]): c for c in corrected}
    for rec in records:
        c = index.get((tuple(rec[b] for b in by), rec["frame"]))
        if c is None:
            continue
        rec["corrected"] = c["corrected"]
        rec["corrected_lo"] = c["corrected_lo"]
        rec["corrected_hi"] = c["corrected_hi"]
        rec["corrected_unstable"] = bool(c["unstable"])
        rec["correction"] = correction_label(val, c["estimator"], c["rates_scope"])
    return records


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


def evaluation_rates(
    frames: Sequence[str],
    y: np.ndarray,
    preds: Mapping[str, np.ndarray],
    sources: Sequence[str],
    weight: np.ndarray | None = None,
    min_pos: int = MIN_POS,
    min_neg: int = MIN_NEG,
    pooled: bool = False,
) -> list[dict]:
    """Sensitivity and specificity of each method against gold labels, with intervals.

    ``preds`` maps a method name to its (n, k) 0/1 calls; ``weight`` the rows' sampling
    weights (None: every row weighs 1). Records as :func:`error_rates`, plus ``method``.
    """
    out = []
    for method, pred in preds.items():
        val = sample_from_arrays(frames, y, pred, sources, weight, method=method)
        rates = error_rates(val, min_pos, min_neg, pooled=pooled)
        out += [{"method": method, **r} for r in rates]
    return out


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


def attach_probabilistic(
    records: list[dict], corrected: list[dict], by: tuple[str, ...]
) -> list[dict]:
    """Add the probabilistic figures to comparison records: ``pcc`` (mean probability),
    ``pcc_corrected`` (adjusted), ``pcc_corrected_lo``/``_hi`` and ``pcc_unstable``."""
    index = {(tuple(c["key"]), c["frame"]): c for c in corrected}
    for rec in records:
        c = index.get((tuple(rec[b] for b in by), rec["frame"]))
        if c is None:
            continue
        rec["pcc"] = c["raw"]
        rec["pcc_corrected"] = c["corrected"]
        rec["pcc_corrected_lo"] = c["corrected_lo"]
        rec["pcc_corrected_hi"] = c["corrected_hi"]
        rec["pcc_unstable"] = bool(c["unstable"])
    return records


def correction_meta(val: ValidationSample, corrected: Sequence[dict]) -> dict:
    """What the corrected figures rest on, for a command's provenance."""
    notes = list(val.notes)
    for r in corrected:
        if r["note"] and r["note"] not in notes:
            notes.append(r["note"])
    scopes = {r["rates_scope"] for r in corrected}
    if "partial" in scopes:
        notes.append(
            "each source's sensitivity and specificity are its own, shrunk towards the "
            f"pooled ones as if those had been seen in {SHRINK:g} more coded sentences"
        )
    return {
        **val.provenance(),
        "estimator": "adjusted classify-and-count (Rogan-Gladen), clipped to [0, 1]",
        "interval": "percentile bootstrap over articles and validation rows within strata",
        "unstable_below": UNSTABLE_J,
        "n_unstable": sum(1 for r in corrected if r["unstable"]),
        "notes": notes,
    }
