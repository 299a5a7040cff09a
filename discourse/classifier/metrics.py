"""Agreement metrics: precision/recall/F1, Cohen's kappa, Krippendorff's alpha (nominal)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

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


def mean_sd(values: Sequence[float | None]) -> tuple[float | None, float | None, int]:
    vals = [v for v in values if v is not None]
    if not vals:
        return None, None, 0
    mean = float(np.mean(vals))
    sd = float(np.std(vals, ddof=1)) if len(vals) > 1 else None
    return mean, sd, len(vals)
