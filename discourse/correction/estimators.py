"""Error rates and the estimator: weighted sensitivity and specificity, partial pooling,
Rogan-Gladen (adjusted classify-and-count) and the sample-size rule of thumb."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from scipy import stats as sps

from discourse.correction.sample import ValidationSample, sample_from_arrays
from discourse.errors import InputError

UNSTABLE_J = 0.2  # Youden's J = sens + spec - 1 below this: the correction is unstable


MIN_POS = 10  # coded positives (and negatives) a source needs for its own error rates


MIN_NEG = 10


# partial pooling: a source's error rates are shrunk towards the pooled ones as if the pooled
# rate had been seen in this many more coded rows of the source (0: the all-or-nothing rule)
SHRINK = 10.0


CONF = 0.95


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

    Parameters
    ----------
    y : array of 0/1
        The source's gold labels for one frame.
    pred : array of 0/1
        The method's calls on the same rows.
    weight : array of float
        The rows' sampling weights.
    pooled : (float or None, float or None)
        The pooled sensitivity and specificity.
    k0 : float
        How many coded rows the pooled rate counts as.

    Returns
    -------
    (float or None, float or None)
        Sensitivity and specificity (None where the pooled rate is None).

    Examples
    --------
    >>> shrunk_rates([1, 1, 0, 0], [1, 0, 0, 0], [1, 1, 1, 1], (0.9, 0.8), 2.0)
    (0.7, 0.9)
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
        if n == 0 or w[mask].sum() <= 0:  # no coded row (or all weigh 0): pooled
            out.append(float(rate))
            continue
        k = k0 * w[mask].sum() / n
        out.append(float(((w * hit)[mask].sum() + k * rate) / (w[mask].sum() + k)))
    return out[0], out[1]


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

    Parameters
    ----------
    frames : sequence of str
    y : ndarray, shape (n, k)
        Gold 0/1 labels.
    preds : mapping of str to ndarray
        Method name -> its (n, k) 0/1 calls.
    sources : sequence of str
        Each row's source.
    weight : ndarray, optional
        The rows' sampling weights.
    min_pos, min_neg : int
        Coded positives and negatives every source needs for per-source rates.
    pooled : bool
        Pooled rates only.

    Returns
    -------
    list of dict
        The records of :func:`error_rates` for each method, with ``method``.
    """
    out = []
    for method, pred in preds.items():
        val = sample_from_arrays(frames, y, pred, sources, weight, method=method)
        rates = error_rates(val, min_pos, min_neg, pooled=pooled)
        out += [{"method": method, **r} for r in rates]
    return out
