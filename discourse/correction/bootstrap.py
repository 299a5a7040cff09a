"""Corrected shares with bootstrap intervals: per-article counts of each group, replicates
that resample articles and the validation rows (shared by every group), the records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from discourse.correction.estimators import (
    CONF,
    MIN_NEG,
    MIN_POS,
    SHRINK,
    error_rates,
    rogan_gladen,
    rogan_gladen_array,
)
from discourse.correction.sample import ValidationSample, check_unit
from discourse.errors import InputError
from discourse.shared import DEFAULT_BOOT, DEFAULT_SEED


@dataclass
class SourceCounts:
    """Per-article counts of one source (or group): what the correction needs of a corpus.

    ``sentences`` (m,) sentences per article; ``flagged`` (m, k) sentences the method
    flags per article and frame; ``prob_sum`` (m, k) the sum of the classifier's
    probabilities over each article's sentences (for the probabilistic version).
    ``unit`` "article": each article counts once (``sentences`` all 1, ``flagged`` 0/1
    whether the method finds the frame in the article), so the share is article prevalence.

    Parameters
    ----------
    source : str
        The group's source.
    sentences : ndarray, shape (m,)
    flagged : ndarray, shape (m, k)
    prob_sum : ndarray, shape (m, k), optional
    key : tuple
        The group key (source, or source and period); ``()`` means ``(source,)``.
    unit : {"sentence", "article"}
    """

    source: str
    sentences: np.ndarray
    flagged: np.ndarray
    prob_sum: np.ndarray | None = None
    key: tuple = ()  # the group (source, or source and period); () means (source,)
    unit: str = "sentence"


def probability_source_counts(
    source: str, key: tuple, sentences: Sequence[int], prob_sums: Sequence, k: int
) -> SourceCounts:
    """A group's :class:`SourceCounts` for the probabilistic correction, from lists.

    Parameters
    ----------
    source : str
        The group's source.
    key : tuple
        The group key.
    sentences : sequence of int
        Sentences per article.
    prob_sums : sequence
        Per article, the sum of the classifier's probabilities over its sentences, one
        per frame (``m * k`` numbers in all).
    k : int
        Frames.

    Returns
    -------
    SourceCounts
        With ``flagged`` all zero (the probabilistic correction does not use it).

    Examples
    --------
    >>> c = probability_source_counts("A", ("A",), [3, 2], [[1.5, 0.2], [0.4, 1.0]], 2)
    >>> c.prob_sum.shape, c.sentences.tolist()
    ((2, 2), [3.0, 2.0])
    """
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
        if n == 0 or w[mask].sum() <= 0:  # no coded row (or all weigh 0): pooled
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
    Article prevalence: counts and sample of unit "article" (see the module's notes).
    """
    _check_counts(counts, val, soft)
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


def _check_counts(counts: Sequence[SourceCounts], val: ValidationSample, soft: bool) -> None:
    """One-line errors: no probabilities for the soft version; counts of another unit."""
    if soft and (val.prob is None or any(c.prob_sum is None for c in counts)):
        raise InputError("the probabilistic correction needs classifier probabilities")
    for c in counts:
        check_unit(val, c.unit, f"correcting {c.unit} shares")


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
