"""Statistics: pure functions over per-article numbers. No I/O, no rendering.

* prevalence: share of articles in which a frame is present, with a Wilson
  95% interval (``scipy.stats.binomtest(...).proportion_ci(method="wilson")``);
* intensity: hits per 1,000 tokens (pooled: sum of hits / sum of tokens) with a
  percentile bootstrap interval that resamples *articles*, seeded;
* sentence share: sentences carrying the frame / all sentences;
* across groups: Pearson chi-square test of independence on presence
  (``scipy.stats.chi2_contingency``, no continuity correction) and Cramér's V.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats as sps

from discourse.dates import period_of
from discourse.models import ArticleScore

DEFAULT_BOOT = 2000
DEFAULT_SEED = 20260804
CONF = 0.95


def wilson(k: int, n: int, conf: float = CONF) -> tuple[float, float] | tuple[None, None]:
    """Wilson score interval for k successes in n trials; (None, None) when n == 0."""
    if n == 0:
        return None, None
    ci = sps.binomtest(k, n).proportion_ci(confidence_level=conf, method="wilson")
    return float(ci.low), float(ci.high)


def bootstrap_rate(
    hits: Sequence[float],
    tokens: Sequence[float],
    n_boot: int = DEFAULT_BOOT,
    seed: int = DEFAULT_SEED,
    conf: float = CONF,
    scale: float = 1000.0,
) -> tuple[float, float] | tuple[None, None]:
    """Percentile bootstrap interval for ``scale * sum(hits) / sum(tokens)``, resampling articles.

    Resamples are drawn in blocks so memory stays bounded for large groups.
    """
    h = np.asarray(hits, dtype=float)
    t = np.asarray(tokens, dtype=float)
    n = len(h)
    if n == 0 or t.sum() == 0:
        return None, None
    rng = np.random.default_rng(seed)
    out = np.empty(n_boot)
    block = max(1, min(n_boot, 4_000_000 // max(n, 1)))
    for start in range(0, n_boot, block):
        m = min(block, n_boot - start)
        idx = rng.integers(0, n, size=(m, n))
        th = t[idx].sum(axis=1)
        hh = h[idx].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start : start + m] = np.where(th > 0, scale * hh / np.where(th > 0, th, 1), 0.0)
    alpha = (1 - conf) / 2
    lo, hi = np.quantile(out, [alpha, 1 - alpha])
    return float(lo), float(hi)


@dataclass
class ChiSquare:
    chi2: float | None
    df: int | None
    p_value: float | None
    cramers_v: float | None
    n: int
    min_expected: float | None
    note: str = ""


def chi_square_presence(present: Sequence[int], totals: Sequence[int]) -> ChiSquare:
    """Chi-square test of independence of frame presence and group (k x 2 table).

    ``present[i]`` articles of group ``i`` (out of ``totals[i]``) carry the frame.
    Undefined cases (one group, frame in no or in every article) return Nones and a note.
    """
    pres = np.asarray(present, dtype=float)
    tot = np.asarray(totals, dtype=float)
    keep = tot > 0
    pres, tot = pres[keep], tot[keep]
    n = int(tot.sum())
    if len(tot) < 2:
        return ChiSquare(None, None, None, None, n, None, "fewer than two groups")
    table = np.column_stack([pres, tot - pres])
    if table[:, 0].sum() == 0:
        return ChiSquare(None, None, None, None, n, None, "frame present in no article")
    if table[:, 1].sum() == 0:
        return ChiSquare(None, None, None, None, n, None, "frame present in every article")
    res = sps.chi2_contingency(table, correction=False)
    chi2 = float(res.statistic)
    k = min(table.shape) - 1
    v = math.sqrt(chi2 / (n * k)) if n and k else None
    min_exp = float(np.min(res.expected_freq))
    note = "expected count below 5 in some cells; read p with care" if min_exp < 5 else ""
    return ChiSquare(chi2, int(res.dof), float(res.pvalue), v, n, min_exp, note)


# -------------------------------------------------------------------- comparison


@dataclass
class GroupFrame:
    n_articles: int = 0
    n_present: int = 0
    hits: list[int] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    sentences: int = 0
    sentences_with: int = 0


@dataclass
class Comparison:
    frames: list[str]
    by: tuple[str, ...]
    records: list[dict]
    tests: list[dict]
    n_articles: int
    date_range: tuple[str | None, str | None]
    n_boot: int
    seed: int
    undated_dropped: int = 0


def group_key(score: ArticleScore, by: tuple[str, ...]) -> tuple | None:
    key = []
    for b in by:
        if b == "source":
            key.append(score.article.source)
        else:
            p = period_of(score.article.day, b)
            if p is None:
                return None
            key.append(p)
    return tuple(key)


def compare(
    scores: Iterable[ArticleScore],
    frames: list[str],
    by: tuple[str, ...] = ("source",),
    n_boot: int = DEFAULT_BOOT,
    seed: int = DEFAULT_SEED,
) -> Comparison:
    """Per group (source, or source and period) and frame: prevalence, intensity, tests.

    Consumes the stream once, keeping only per-article counts (not texts).
    Tests compare sources within each period (or overall when ``by`` is source only).
    """
    groups: dict[tuple, dict[str, GroupFrame]] = {}
    n = 0
    undated = 0
    first = last = None
    for sc in scores:
        key = group_key(sc, by)
        if key is None:
            undated += 1
            continue
        n += 1
        day = sc.article.day
        if day:
            first = day if first is None or day < first else first
            last = day if last is None or day > last else last
        g = groups.setdefault(key, {f: GroupFrame() for f in frames})
        for f in frames:
            fs = sc.frames[f]
            gf = g[f]
            gf.n_articles += 1
            gf.n_present += int(fs.present)
            gf.hits.append(fs.hits)
            gf.tokens.append(sc.n_tokens)
            gf.sentences += sc.n_sentences
            gf.sentences_with += fs.sentences_with
    records = []
    for key in sorted(groups):
        g = groups[key]
        for fi, f in enumerate(frames):
            gf = g[f]
            lo, hi = wilson(gf.n_present, gf.n_articles)
            tok = sum(gf.tokens)
            per_1k = 1000.0 * sum(gf.hits) / tok if tok else None
            # a distinct, reproducible stream per group and frame
            sub_seed = _sub_seed(seed, key, fi)
            blo, bhi = bootstrap_rate(gf.hits, gf.tokens, n_boot=n_boot, seed=sub_seed)
            rec = dict(zip(by, key))
            rec.update(
                {
                    "frame": f,
                    "n_articles": gf.n_articles,
                    "n_present": gf.n_present,
                    "prevalence": gf.n_present / gf.n_articles if gf.n_articles else None,
                    "prevalence_lo": lo,
                    "prevalence_hi": hi,
                    "hits": sum(gf.hits),
                    "tokens": tok,
                    "per_1k": per_1k,
                    "per_1k_lo": blo,
                    "per_1k_hi": bhi,
                    "sentence_share": gf.sentences_with / gf.sentences if gf.sentences else None,
                }
            )
            records.append(rec)
    tests = []
    period_keys = [b for b in by if b != "source"]
    strata: dict[tuple, list[tuple]] = {}
    for key in groups:
        stratum = tuple(v for b, v in zip(by, key) if b != "source")
        strata.setdefault(stratum, []).append(key)
    for stratum in sorted(strata):
        keys = sorted(strata[stratum])
        for f in frames:
            cs = chi_square_presence(
                [groups[k][f].n_present for k in keys], [groups[k][f].n_articles for k in keys]
            )
            t = dict(zip(period_keys, stratum))
            t.update(
                {
                    "frame": f,
                    "chi2": cs.chi2,
                    "df": cs.df,
                    "p_value": cs.p_value,
                    "cramers_v": cs.cramers_v,
                    "test_n": cs.n,
                    "min_expected": cs.min_expected,
                    "test_note": cs.note,
                    "groups": len(keys),
                }
            )
            tests.append(t)
    # attach each frame's test to its records (flat output, one record per group and frame)
    index = {(tuple(t[p] for p in period_keys), t["frame"]): t for t in tests}
    for rec in records:
        t = index[(tuple(rec[p] for p in period_keys), rec["frame"])]
        for k in ("chi2", "df", "p_value", "cramers_v", "test_note"):
            rec[k] = t[k]
    return Comparison(frames, by, records, tests, n, (first, last), n_boot, seed, undated)


def _sub_seed(seed: int, key: tuple, frame_index: int) -> int:
    import zlib

    return (
        seed * 1_000_003 + zlib.crc32("\x1f".join(map(str, key)).encode()) * 31 + frame_index
    ) % (2**63)
