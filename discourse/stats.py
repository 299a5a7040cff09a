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

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from discourse.dates import period_of
from discourse.errors import InputError
from discourse.models import ArticleScore
from discourse.shared import DEFAULT_BOOT, DEFAULT_SEED


class _OnFirstUse:
    """A module imported on first use: ``scipy.stats`` takes about a second to import
    and NumPy a fifth, and commands that only score (``discourse score``) need neither."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str):
        return getattr(import_module(self._name), attr)


np = _OnFirstUse("numpy")
sps = _OnFirstUse("scipy.stats")

CONF = 0.95
MIN_BOOT = 100


def check_n_boot(n_boot: int) -> None:
    """Refuse too few bootstrap resamples (fewer than :data:`MIN_BOOT`).

    Parameters
    ----------
    n_boot : int
        Bootstrap resamples for the intensity intervals.

    Raises
    ------
    InputError
        When ``n_boot`` is below 100; the message names the parameter in backticks.

    Examples
    --------
    >>> check_n_boot(2000)
    """
    if n_boot < MIN_BOOT:
        raise InputError(
            f"`n_boot` {n_boot} is too few resamples; use at least {MIN_BOOT} "
            f"(default {DEFAULT_BOOT})"
        )


def wilson(k: int, n: int, conf: float = CONF) -> tuple[float, float] | tuple[None, None]:
    """Wilson score interval for k successes in n trials; (None, None) when n == 0.

    Parameters
    ----------
    k, n : int
        Successes (articles with the frame) and trials (articles).
    conf : float
        Confidence level.

    Returns
    -------
    (float, float) or (None, None)
        Lower and upper bound, as shares.

    Examples
    --------
    >>> tuple(round(x, 4) for x in wilson(8, 10))
    (0.4902, 0.9433)
    """
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

    Parameters
    ----------
    hits, tokens : sequence of float
        Per article: frame hits and tokens.
    n_boot : int
        Resamples.
    seed : int
        Seed of the resampling (the same seed, the same interval).
    conf : float
        Confidence level.
    scale : float
        Per how many tokens (1,000: hits per 1,000 tokens).

    Returns
    -------
    (float, float) or (None, None)
        Lower and upper bound; Nones without articles or tokens.

    Examples
    --------
    >>> bootstrap_rate([2, 0, 1], [100, 300, 200], n_boot=200, seed=1)
    (0.0, 12.5)
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
    """A chi-square test of independence on presence (groups x present/absent).

    Parameters
    ----------
    chi2 : float or None
        The statistic; None when the table cannot be tested (one group, no variation).
    df : int or None
        Degrees of freedom.
    p_value : float or None
    cramers_v : float or None
        Cramér's V, the effect size (0 none, 1 presence fully set by the group).
    n : int
        Articles in the table.
    min_expected : float or None
        The smallest expected cell count.
    note : str
        Why to read p with care (expected counts below 5), or why there is no test.
    """

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

    Parameters
    ----------
    present, totals : sequence of int
        Per group: articles with the frame, and all articles.

    Returns
    -------
    ChiSquare
        Statistic, degrees of freedom, p-value, Cramér's V, n, the smallest
        expected count and a note.

    Examples
    --------
    >>> t = chi_square_presence([8, 2], [10, 10])
    >>> t.chi2, t.df, round(t.p_value, 4), t.cramers_v
    (7.2, 1, 0.0073, 0.6)
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
    """The raw counts of one (group, frame): what prevalence, intensity and share derive from.

    Parameters
    ----------
    n_articles : int
        Articles in the group.
    n_present : int
        Articles in which the frame is present.
    hits : list of int
        The frame's hits, one entry per article (resampled by the bootstrap).
    tokens : list of int
        Tokens, one entry per article, aligned with ``hits``.
    sentences : int
        Sentences in the group.
    sentences_with : int
        Sentences that carry the frame.
    """

    n_articles: int = 0
    n_present: int = 0
    hits: list[int] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    sentences: int = 0
    sentences_with: int = 0


@dataclass
class Comparison:
    """The result of :func:`compare`: one record per (group, frame) and the tests.

    Parameters
    ----------
    frames : list of str
        The frames, in the lexicon's order.
    by : tuple of str
        The grouping (``("source",)``, ``("source", "month")``, ...).
    records : list of dict
        Prevalence, intensity and sentence share, with intervals, per (group, frame).
    tests : list of dict
        A chi-square test (:class:`ChiSquare`) per frame (and period).
    n_articles : int
        Articles compared.
    date_range : (str or None, str or None)
        The first and last day of the articles.
    n_boot : int
        Bootstrap resamples behind the intensity intervals.
    seed : int
        The bootstrap's seed.
    undated_dropped : int
        Undated articles left out of a grouping by period.
    """

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
    """The group of a scored article: its source and/or period, in the order of ``by``.

    Parameters
    ----------
    score : ArticleScore
    by : tuple of str
        ``source``, ``week`` and/or ``month``.

    Returns
    -------
    tuple or None
        None for an undated article when ``by`` has a period.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from discourse.models import Article
    >>> sc = SimpleNamespace(article=Article("", "X", date="2026-08-04"))
    >>> group_key(sc, ("source", "month")), group_key(sc, ("source", "week"))
    (('X', '2026-08'), ('X', '2026-W32'))
    """
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


NO_VALUE = "(none)"  # the group of articles without the document variable grouped by


def meta_label(meta: dict, key: str) -> str:
    """The group an article falls in when grouped by its document variable ``key``.

    Parameters
    ----------
    meta : dict
        The article's document variables.
    key : str
        The variable grouped by.

    Returns
    -------
    str
        Its value as text (other JSON values as JSON), or ``(none)`` without one.

    Examples
    --------
    >>> meta_label({"country": "FR", "n": 2}, "country"), meta_label({}, "country")
    ('FR', '(none)')
    """
    value = meta.get(key)
    if value is None or value == "":
        return NO_VALUE
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def by_meta(articles: Iterable, key: str | None) -> Iterable:
    """``articles`` with the source replaced by the value of ``key`` (``--by meta:KEY``).

    Parameters
    ----------
    articles : iterable of Article
        Changed in place as they pass.
    key : str or None
        The document variable; None passes the articles through unchanged.

    Yields
    ------
    Article
        Each article, its ``source`` set to :func:`meta_label` of ``key``.

    Examples
    --------
    >>> from discourse.models import Article
    >>> arts = [Article("a", "S", meta={"country": "FR"}), Article("b", "S")]
    >>> [a.source for a in by_meta(arts, "country")]
    ['FR', '(none)']
    """
    if key is None:
        yield from articles
        return
    for art in articles:
        art.source = meta_label(art.meta, key)
        yield art


@dataclass
class Aggregate:
    """Per-(group, frame) counts of a stream of scores, and what was left out.

    Parameters
    ----------
    groups : dict of tuple to dict of str to GroupFrame
        The counts, by group key (see :func:`group_key`) and frame.
    n : int
        Articles counted.
    undated : int
        Undated articles left out of a grouping by period.
    first, last : str or None
        The first and last day seen.
    """

    groups: dict[tuple, dict[str, GroupFrame]]
    n: int = 0
    undated: int = 0
    first: str | None = None
    last: str | None = None


def aggregate(
    scores: Iterable[ArticleScore], frames: Sequence[str], key: Callable[[ArticleScore], Any]
) -> Aggregate:
    """One pass over ``scores``: per group (``key(score)``) and frame, the counts.

    Used by :func:`compare`, :func:`discourse.evidence.trend` and
    :func:`discourse.evidence.pairwise` (and so by the report).

    Parameters
    ----------
    scores : iterable of ArticleScore
        Consumed once; only per-article counts are kept (not texts).
    frames : sequence of str
        The frames to count.
    key : callable
        The group of a score (a tuple); None leaves it out (counted as undated).

    Returns
    -------
    Aggregate
        ``groups[key][frame]`` is a :class:`GroupFrame`; ``first``/``last`` the date range
        of the counted articles.

    Examples
    --------
    >>> aggregate([], ["threat"], lambda sc: (sc.article.source,)).groups
    {}
    """
    agg = Aggregate({})
    for sc in scores:
        k = key(sc)
        if k is None:
            agg.undated += 1
            continue
        agg.n += 1
        day = sc.article.day
        if day:
            agg.first = day if agg.first is None or day < agg.first else agg.first
            agg.last = day if agg.last is None or day > agg.last else agg.last
        g = agg.groups.setdefault(k, {f: GroupFrame() for f in frames})
        for f in frames:
            fs = sc.frames[f]
            gf = g[f]
            gf.n_articles += 1
            gf.n_present += int(fs.present)
            gf.hits.append(fs.hits)
            gf.tokens.append(sc.n_tokens)
            gf.sentences += sc.n_sentences
            gf.sentences_with += fs.sentences_with
    return agg


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

    Parameters
    ----------
    scores : iterable of ArticleScore
    frames : list of str
    by : tuple of str
        ``("source",)``, ``("source", "week")`` or ``("source", "month")``.
    n_boot, seed : int
        Bootstrap resamples for the intensity intervals, and their seed.

    Returns
    -------
    Comparison
        Flat records (one per group and frame, each carrying its frame's test) and tests.

    Examples
    --------
    >>> from discourse.models import Article, RawCounts
    >>> from discourse.scoring import build_score
    >>> def art(src, hits):
    ...     return build_score(Article("", src), ["a"], RawCounts(100, 5, [hits], [hits]))
    >>> cmp = compare([art("X", 1), art("X", 0), art("Y", 2)], ["a"], n_boot=200)
    >>> [(r["source"], r["n_articles"], r["prevalence"]) for r in cmp.records]
    [('X', 2, 0.5), ('Y', 1, 1.0)]
    """
    agg = aggregate(scores, frames, lambda sc: group_key(sc, by))
    records = []
    for key in sorted(agg.groups):
        for fi, f in enumerate(frames):
            rec = dict(zip(by, key))
            rec.update(_group_record(agg.groups[key][f], f, _sub_seed(seed, key, fi), n_boot))
            records.append(rec)
    tests = _presence_tests(agg.groups, frames, by)
    # attach each frame's test to its records (flat output, one record per group and frame)
    period_keys = [b for b in by if b != "source"]
    index = {(tuple(t[p] for p in period_keys), t["frame"]): t for t in tests}
    for rec in records:
        t = index[(tuple(rec[p] for p in period_keys), rec["frame"])]
        for k in ("chi2", "df", "p_value", "cramers_v", "test_note"):
            rec[k] = t[k]
    first_last = (agg.first, agg.last)
    return Comparison(frames, by, records, tests, agg.n, first_last, n_boot, seed, agg.undated)


def _group_record(gf: GroupFrame, frame: str, sub_seed: int, n_boot: int) -> dict:
    """Prevalence (Wilson), intensity (bootstrap over articles), sentence share of one cell."""
    lo, hi = wilson(gf.n_present, gf.n_articles)
    tok = sum(gf.tokens)
    # a distinct, reproducible stream per group and frame (sub_seed)
    blo, bhi = bootstrap_rate(gf.hits, gf.tokens, n_boot=n_boot, seed=sub_seed)
    return {
        "frame": frame,
        "n_articles": gf.n_articles,
        "n_present": gf.n_present,
        "prevalence": gf.n_present / gf.n_articles if gf.n_articles else None,
        "prevalence_lo": lo,
        "prevalence_hi": hi,
        "hits": sum(gf.hits),
        "tokens": tok,
        "per_1k": 1000.0 * sum(gf.hits) / tok if tok else None,
        "per_1k_lo": blo,
        "per_1k_hi": bhi,
        "sentence_share": gf.sentences_with / gf.sentences if gf.sentences else None,
    }


def _presence_tests(groups: dict, frames: Sequence[str], by: tuple[str, ...]) -> list[dict]:
    """Chi-square tests of presence across sources, per frame within each period."""
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
    return tests


def _sub_seed(seed: int, key: tuple, frame_index: int) -> int:
    import zlib

    return (
        seed * 1_000_003 + zlib.crc32("\x1f".join(map(str, key)).encode()) * 31 + frame_index
    ) % (2**63)


# ---------------------------------------------------------------------------- evidence
#
# Pairwise prevalence differences, keyness and trend departures (issue 4). Pure
# functions over counts: no I/O, no rendering. Undefined values are ``None``,
# never NaN, so every result serializes to strict JSON.

CORRECTIONS = ("holm", "bh", "none")
_FISHER_BELOW = 5.0  # smallest expected cell count for the z test; below it, Fisher's exact test


def newcombe_diff(
    k1: int, n1: int, k2: int, n2: int, conf: float = CONF
) -> tuple[float, float, float] | tuple[None, None, None]:
    """Difference of proportions ``k1/n1 - k2/n2`` with Newcombe's hybrid score interval.

    Newcombe (1998), method 10: the interval is built from the two Wilson score
    intervals (l1, u1) and (l2, u2)::

        lower = d - sqrt((p1 - l1)^2 + (u2 - p2)^2)
        upper = d + sqrt((u1 - p1)^2 + (p2 - l2)^2)

    It stays inside [-1, 1] and behaves with small counts and proportions of 0
    or 1 (where the Wald interval collapses). Matches statsmodels'
    ``confint_proportions_2indep(..., method="newcomb")``. Returns Nones when a
    group is empty.

    Parameters
    ----------
    k1, n1, k2, n2 : int
        Successes and trials of each group.
    conf : float
        Confidence level.

    Returns
    -------
    (float, float, float) or (None, None, None)
        The difference, its lower and its upper bound.

    Examples
    --------
    >>> [round(x, 4) for x in newcombe_diff(8, 10, 2, 10)]
    [0.6, 0.1618, 0.8027]
    """
    if n1 <= 0 or n2 <= 0:
        return None, None, None
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1, conf)
    l2, u2 = wilson(k2, n2, conf)
    d = p1 - p2
    lo = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, max(-1.0, lo), min(1.0, hi)


def two_proportion_test(k1: int, n1: int, k2: int, n2: int) -> tuple[float | None, str]:
    """Two-sided p-value for equal proportions, and the test used (``"z"`` or ``"fisher"``).

    The pooled two-proportion z test (the same as Pearson's chi-square on the
    2x2 table without continuity correction) when every expected cell count is
    at least 5; otherwise Fisher's exact test (``scipy.stats.fisher_exact``,
    two-sided). A frame present in no article (or in every article) of both
    groups gives Fisher's p = 1. ``(None, "")`` when a group is empty.

    Parameters
    ----------
    k1, n1, k2, n2 : int
        Articles with the frame and all articles, of each group.

    Returns
    -------
    (float or None, str)
        The p-value and ``"z"``, ``"fisher"`` or ``""``.

    Examples
    --------
    >>> p, test = two_proportion_test(8, 10, 2, 10)
    >>> round(p, 4), test
    (0.0073, 'z')
    """
    if n1 <= 0 or n2 <= 0:
        return None, ""
    n = n1 + n2
    k = k1 + k2
    min_expected = min(n1, n2) * min(k, n - k) / n
    if min_expected >= _FISHER_BELOW:
        p = k / n
        se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
        z = (k1 / n1 - k2 / n2) / se
        return float(2 * sps.norm.sf(abs(z))), "z"
    res = sps.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]], alternative="two-sided")
    return float(min(1.0, res.pvalue)), "fisher"


def adjust_pvalues(pvalues: Sequence[float | None], method: str = "holm") -> list[float | None]:
    """Correct a family of p-values for multiple comparisons; ``None`` entries stay ``None``.

    ``holm``: Holm's step-down method (controls the family-wise error rate);
    ``bh``: Benjamini-Hochberg (controls the false discovery rate);
    ``none``: unchanged. The family is the non-None entries. The results equal
    ``statsmodels.stats.multitest.multipletests(p, method="holm"|"fdr_bh")``.

    Parameters
    ----------
    pvalues : sequence of float or None
    method : {"holm", "bh", "none"}

    Returns
    -------
    list of float or None
        In the order of ``pvalues``.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, None, 0.03])
    [0.03, 0.06, None, 0.06]
    >>> adjust_pvalues([0.01, 0.04, None, 0.03], "bh")
    [0.03, 0.04, None, 0.04]
    """
    if method not in CORRECTIONS:
        raise ValueError(f"unknown correction {method!r}; use one of {', '.join(CORRECTIONS)}")
    idx = [i for i, p in enumerate(pvalues) if p is not None]
    out: list[float | None] = list(pvalues)
    m = len(idx)
    if method == "none" or m == 0:
        return out
    order = sorted(idx, key=lambda i: pvalues[i])  # type: ignore[arg-type, return-value]
    if method == "holm":
        running = 0.0
        for rank, i in enumerate(order):  # rank 0 = smallest p
            running = max(running, min(1.0, (m - rank) * pvalues[i]))  # type: ignore[operator]
            out[i] = running
    else:  # Benjamini-Hochberg: step-up, cumulative minimum from the largest p down
        running = 1.0
        for rank in range(m - 1, -1, -1):
            i = order[rank]
            running = min(running, m * pvalues[i] / (rank + 1))  # type: ignore[operator]
            out[i] = running
    return out


def pairwise_prevalence(
    counts: Sequence[tuple[str, int, int]],
    correction: str = "holm",
    conf: float = CONF,
) -> list[dict]:
    """Every pair of groups: difference in prevalence (percentage points), interval, p-values.

    ``counts`` holds ``(group, present, n)`` in the order pairs should be formed
    (A vs B for A listed before B; the difference is A - B). One call is one
    correction family (all pairs within one frame). Interval: Newcombe's hybrid
    score interval (:func:`newcombe_diff`); test: :func:`two_proportion_test`;
    correction: :func:`adjust_pvalues`. Pairs with an empty group have Nones and
    a note and are left out of the family.

    Parameters
    ----------
    counts : sequence of (str, int, int)
    correction : {"holm", "bh", "none"}
    conf : float
        Confidence level of the intervals.

    Returns
    -------
    list of dict
        Per pair: the groups, their counts and prevalences, ``diff_pp`` with its
        interval, ``test``, ``p_value``, ``p_adjusted``, ``correction`` and ``note``.

    Examples
    --------
    >>> rows = pairwise_prevalence([("A", 8, 10), ("B", 2, 10), ("C", 5, 10)])
    >>> [(r["group_a"], r["group_b"], round(r["diff_pp"]), r["test"]) for r in rows]
    [('A', 'B', 60, 'z'), ('A', 'C', 30, 'fisher'), ('B', 'C', -30, 'fisher')]
    """
    if correction not in CORRECTIONS:
        raise ValueError(f"unknown correction {correction!r}; use one of {', '.join(CORRECTIONS)}")
    rows = []
    for i in range(len(counts)):
        for j in range(i + 1, len(counts)):
            (ga, ka, na), (gb, kb, nb) = counts[i], counts[j]
            d, lo, hi = newcombe_diff(ka, na, kb, nb, conf)
            p, test = two_proportion_test(ka, na, kb, nb)
            empty = [g for g, n in ((ga, na), (gb, nb)) if n <= 0]
            rows.append(
                {
                    "group_a": ga,
                    "group_b": gb,
                    "n_a": na,
                    "present_a": ka,
                    "prevalence_a": ka / na if na > 0 else None,
                    "n_b": nb,
                    "present_b": kb,
                    "prevalence_b": kb / nb if nb > 0 else None,
                    "diff_pp": None if d is None else 100.0 * d,
                    "diff_lo_pp": None if lo is None else 100.0 * lo,
                    "diff_hi_pp": None if hi is None else 100.0 * hi,
                    "test": test,
                    "p_value": p,
                    "p_adjusted": None,
                    "correction": correction,
                    "note": ("no articles from " + " or ".join(empty)) if empty else "",
                }
            )
    adjusted = adjust_pvalues([r["p_value"] for r in rows], correction)
    for r, p in zip(rows, adjusted):
        r["p_adjusted"] = p
    return rows


def pairwise_from_records(
    records: Sequence[dict],
    by: Sequence[str] = ("source",),
    correction: str = "holm",
    conf: float = CONF,
) -> list[dict]:
    """Pairwise source differences from :func:`compare` records (``Comparison.records``).

    One correction family per frame (and per period when ``by`` has one). Every
    source seen in the records takes part in every period, so a source with no
    articles in a period gives rows with Nones and a note rather than no rows.
    Output keys: the period key (if any), ``frame``, ``source_a``, ``source_b``
    and the fields of :func:`pairwise_prevalence`.

    Parameters
    ----------
    records : sequence of dict
        Records with ``source``, ``frame``, ``n_present``, ``n_articles`` (and the
        period keys of ``by``).
    by : sequence of str
        The grouping of the records.
    correction : str
        The multiple-comparison correction (see :data:`CORRECTIONS`).
    conf : float
        Confidence level of the intervals.

    Returns
    -------
    list of dict
        One row per (period, frame, pair of sources).

    Examples
    --------
    >>> recs = [{"source": "A", "frame": "f", "n_present": 8, "n_articles": 10},
    ...         {"source": "B", "frame": "f", "n_present": 2, "n_articles": 10}]
    >>> (row,) = pairwise_from_records(recs)
    >>> row["source_a"], row["source_b"], row["frame"]
    ('A', 'B', 'f')
    """
    period_keys = [b for b in by if b != "source"]
    sources = sorted({r["source"] for r in records})
    strata: dict[tuple, dict[str, tuple[int, int]]] = {}
    frames: list[str] = []
    for r in records:
        if r["frame"] not in frames:
            frames.append(r["frame"])
        key = (tuple(r[p] for p in period_keys), r["frame"])
        strata.setdefault(key, {})[r["source"]] = (r["n_present"], r["n_articles"])
    out = []
    for stratum, frame in sorted(strata, key=lambda k: (k[0], frames.index(k[1]))):
        have = strata[(stratum, frame)]
        counts = [(s, *have.get(s, (0, 0))) for s in sources]
        for row in pairwise_prevalence(counts, correction, conf):
            rec = dict(zip(period_keys, stratum))
            rec["frame"] = frame
            rec["source_a"] = row.pop("group_a")
            rec["source_b"] = row.pop("group_b")
            rec.update(row)
            out.append(rec)
    return out


# ------------------------------------------------------------------------ keyness


def log_odds_dirichlet(
    counts_a: dict[str, int],
    counts_b: dict[str, int],
    prior: dict[str, float] | None = None,
    prior_size: float | None = None,
    min_count: int = 1,
    floor: float = 0.01,
) -> list[dict]:
    """Log-odds ratio with informative Dirichlet prior (Monroe, Colaresi & Quinn 2008).

    For each term ``w`` with counts ``y_a``, ``y_b`` in corpora of ``n_a``,
    ``n_b`` tokens, and prior pseudo-counts ``α_w`` summing to ``α0``::

        δ_w = log((y_a + α_w) / (n_a + α0 - y_a - α_w))
            - log((y_b + α_w) / (n_b + α0 - y_b - α_w))
        σ²_w ≈ 1 / (y_a + α_w) + 1 / (y_b + α_w)          (the paper's eq. 20)
        z_w = δ_w / σ_w

    ``prior`` is the background count of each term (default: ``counts_a +
    counts_b``, i.e. the corpus being compared); with ``prior_size`` the prior is
    rescaled so that ``α0 = prior_size`` (smaller = weaker prior). A term absent
    from the prior gets ``floor``. Terms whose ``y_a + y_b`` is below
    ``min_count`` are left out. Rows are sorted by ``z``, largest first
    (positive: used more in A). Empty corpora give ``[]``.

    Parameters
    ----------
    counts_a, counts_b : dict of str to int
        Term counts of the two corpora (their sums are ``n_a`` and ``n_b``).
    prior, prior_size, min_count, floor : as above

    Returns
    -------
    list of dict
        ``term``, ``count_a``, ``count_b``, ``per_1k_a``, ``per_1k_b``, ``log_odds``,
        ``se`` and ``z`` per term (example: :func:`keyness_groups`).
    """
    n_a = sum(counts_a.values())
    n_b = sum(counts_b.values())
    if n_a <= 0 or n_b <= 0:
        return []
    if prior is None:
        prior = {}
        for c in (counts_a, counts_b):
            for w, y in c.items():
                prior[w] = prior.get(w, 0) + y  # type: ignore[index]
    total = float(sum(prior.values()))
    scale = prior_size / total if prior_size and total > 0 else 1.0
    vocab = set(counts_a) | set(counts_b)
    alpha = {w: v * scale for w, v in prior.items() if v > 0}
    for w in vocab:
        if alpha.get(w, 0.0) <= 0:
            alpha[w] = floor
    a0 = sum(alpha.values())
    rows = []
    for w in vocab:
        ya, yb = counts_a.get(w, 0), counts_b.get(w, 0)
        if ya + yb < min_count:
            continue
        aw = alpha[w]
        rest_a = n_a + a0 - ya - aw
        rest_b = n_b + a0 - yb - aw
        if rest_a <= 0 or rest_b <= 0:  # a one-word vocabulary: nothing to compare
            continue
        delta = math.log((ya + aw) / rest_a) - math.log((yb + aw) / rest_b)
        se = math.sqrt(1.0 / (ya + aw) + 1.0 / (yb + aw))
        rows.append(
            {
                "term": w,
                "count_a": ya,
                "count_b": yb,
                "per_1k_a": 1000.0 * ya / n_a,
                "per_1k_b": 1000.0 * yb / n_b,
                "log_odds": delta,
                "se": se,
                "z": delta / se,
            }
        )
    rows.sort(key=lambda r: (-r["z"], r["term"]))
    return rows


KEYNESS_MEASURES = ("logodds", "chi2", "lr")
_EPSILON = 1e-9  # quanteda's keyness.cpp adds it inside the logarithms of G²


def _yates_delta(a: float, b: float, c: float, d: float) -> float:
    """quanteda's Yates rule: 0.5 when ``|ad - bc| >= N/2`` and an expected count is below 5."""
    n = a + b + c + d
    small = min((a + b) * (a + c), (a + b) * (b + d), (a + c) * (c + d), (c + d) * (b + d)) / n
    return 0.5 if abs(a * d - b * c) >= n / 2 and small < 5 else 0.0


def keyness_2x2(a: float, b: float, n_a: float, n_b: float, measure: str = "chi2") -> float:
    """Signed chi-square or likelihood-ratio G² of a term's 2x2 table, as quanteda computes it.

    The table is ``[[a, b], [n_a - a, n_b - b]]``: the term's count in the target and
    the reference, and the rest of their tokens. As in quanteda.textstats'
    ``textstat_keyness`` (``keyness.cpp``, correction ``"default"``), Yates' continuity
    correction (0.5) applies when ``|ad - bc| >= N/2`` and some expected count is below
    5 — to the chi-square numerator, and for G² to the four cells; the statistic is
    positive when the target uses the term more than expected (``a > E``), else negative.

    Parameters
    ----------
    a, b : float
        The term's count in the target and in the reference.
    n_a, n_b : float
        All tokens of the target and of the reference (``n_a >= a``, ``n_b >= b``).
    measure : {"chi2", "lr"}
        Pearson's chi-square or the likelihood-ratio statistic G².

    Returns
    -------
    float
        The signed statistic (1 degree of freedom); 0.0 for a table with an empty margin.

    Examples
    --------
    >>> round(keyness_2x2(30, 10, 1000, 1000), 3)
    10.204
    """
    c, d = n_a - a, n_b - b
    n = a + b + c + d
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    if n <= 0 or margins == 0:
        return 0.0
    sign = 1.0 if a > (a + b) * (a + c) / n else -1.0
    delta = _yates_delta(a, b, c, d)
    if measure == "chi2":
        return sign * n * (abs(a * d - b * c) - n * delta) ** 2 / margins
    shift = delta if a * d - b * c > 0 else -delta
    aa, bb, cc, dd = a - shift, b + shift, c + shift, d - shift
    g2 = 2 * (
        aa * math.log(aa / ((aa + bb) * (aa + cc) / n) + _EPSILON)
        + bb * math.log(bb / ((aa + bb) * (bb + dd) / n) + _EPSILON)
        + cc * math.log(cc / ((aa + cc) * (cc + dd) / n) + _EPSILON)
        + dd * math.log(dd / ((bb + dd) * (cc + dd) / n) + _EPSILON)
    )
    return sign * g2


def keyness_tests(
    counts_a: dict[str, int], counts_b: dict[str, int], measure: str = "chi2", min_count: int = 1
) -> list[dict]:
    """Per term, quanteda's signed chi-square or G² (:func:`keyness_2x2`) with its p-value.

    Parameters
    ----------
    counts_a, counts_b : dict
        Term counts of the target and of the reference.
    measure : {"chi2", "lr"}
        The statistic.
    min_count : int
        Leave out terms whose two counts together are below this.

    Returns
    -------
    list of dict
        ``term, count_a, count_b, per_1k_a, per_1k_b, stat, p``, sorted by ``stat``,
        largest first; ``p`` is ``1 - pchisq(|stat|, 1)``. Empty corpora give ``[]``.
    """
    n_a, n_b = sum(counts_a.values()), sum(counts_b.values())
    if n_a <= 0 or n_b <= 0:
        return []
    rows = []
    for w in set(counts_a) | set(counts_b):
        ya, yb = counts_a.get(w, 0), counts_b.get(w, 0)
        if ya + yb < min_count:
            continue
        stat = keyness_2x2(ya, yb, n_a, n_b, measure)
        rows.append(
            {
                "term": w,
                "count_a": ya,
                "count_b": yb,
                "per_1k_a": 1000.0 * ya / n_a,
                "per_1k_b": 1000.0 * yb / n_b,
                "stat": stat,
                "p": float(sps.chi2.sf(abs(stat), 1)),
            }
        )
    rows.sort(key=lambda r: (-r["stat"], r["term"]))
    return rows


def keyness_groups(
    counts: dict[str, dict[str, int]],
    focus: Sequence[str] | None = None,
    vs: str | None = None,
    prior_size: float | None = None,
    min_count: int = 1,
    measure: str = "logodds",
) -> dict[str, list[dict]]:
    """Keyness of each focus group against the rest of the groups (or against group ``vs``).

    The prior is the combined counts of *all* groups in ``counts`` (the whole
    selection), the same for every comparison. Returns ``{group: rows}`` with
    rows as in :func:`log_odds_dirichlet` (``_a`` = the group, ``_b`` = the
    comparison) — or, with ``measure`` ``"chi2"`` or ``"lr"``, as in
    :func:`keyness_tests` (no prior); a group with no tokens, or with nothing to
    compare against, maps to ``[]``.

    Parameters
    ----------
    counts : dict of str to dict of str to int
        Term counts per group.
    focus : sequence of str, optional
        The groups to describe (default: all).
    vs : str, optional
        Compare against this group instead of the rest.
    prior_size, min_count
        As :func:`log_odds_dirichlet`.

    Returns
    -------
    dict of str to list of dict

    Examples
    --------
    >>> k = keyness_groups({"A": {"trust": 10, "war": 1}, "B": {"trust": 2, "war": 9}})
    >>> [r["term"] for r in k["A"]], [r["term"] for r in k["B"]]
    (['trust', 'war'], ['war', 'trust'])
    """
    background: dict[str, int] = {}
    for c in counts.values():
        for w, y in c.items():
            background[w] = background.get(w, 0) + y
    out: dict[str, list[dict]] = {}
    for g in focus if focus is not None else list(counts):
        mine = counts.get(g, {})
        if vs is not None and vs != "rest":
            other: dict[str, int] = counts.get(vs, {})
        else:
            other = {w: y - mine.get(w, 0) for w, y in background.items()}
            other = {w: y for w, y in other.items() if y > 0}
        if measure == "logodds":
            out[g] = log_odds_dirichlet(mine, other, background, prior_size, min_count)
        else:
            out[g] = keyness_tests(mine, other, measure, min_count)
    return out


# -------------------------------------------------------------------------- trend

TREND_RULE = (
    "a period is flagged when the exact two-sided binomial test of its count of articles "
    "with the frame, against the trailing baseline rate of the previous {window} periods "
    "((K + 0.5) / (N + 1) from K of N baseline articles), gives p < {alpha}; periods "
    "without articles or with fewer than {min_baseline} baseline articles are not tested"
)


def trend_departures(
    series: Sequence[tuple[int, int]],
    window: int = 4,
    alpha: float = 0.05,
    min_baseline: int = 3,
) -> list[dict]:
    """Flag periods whose prevalence departs from the trailing baseline (binomial test).

    ``series`` is ``(present, n_articles)`` per period, in time order, with empty
    periods included as ``(0, 0)``. For period ``t`` the baseline is the
    previous ``window`` periods pooled: ``K`` articles with the frame out of
    ``N``. If ``n_t > 0`` and ``N >= min_baseline``, the period's count ``k_t``
    is tested with an exact two-sided binomial test
    (``scipy.stats.binomtest(k_t, n_t, p0)``) against
    ``p0 = (K + 0.5) / (N + 1)`` — the baseline rate shrunk slightly toward
    one half so that a baseline of all-absent or all-present does not make any
    single different article "impossible". ``flag`` is ``"up"`` or ``"down"``
    when ``p < alpha``, else ``""``. The test is exact, so one or two articles
    in a period can never produce a flag on their own unless the baseline is
    large and extreme. Each period is tested separately (no multiplicity
    correction): at ``alpha = 0.05`` about one stable period in twenty is
    flagged by chance.

    Parameters
    ----------
    series : sequence of (int, int)
        ``(present, n_articles)`` per period, in time order.
    window : int
        Periods in the trailing baseline.
    alpha : float
        Flag below this p-value.
    min_baseline : int
        Articles the baseline needs before a period is tested.

    Returns
    -------
    list of dict
        One per period: ``baseline_periods`` (periods with articles in the
        window), ``baseline_articles`` (N), ``baseline_rate`` (K/N, or None),
        ``expected`` (n_t · p0), ``p_value``, ``flag`` and ``note``.

    Examples
    --------
    >>> rows = trend_departures([(1, 10), (2, 10), (1, 10), (1, 10), (9, 10)])
    >>> [r["flag"] for r in rows]
    ['', '', '', '', 'up']
    """
    out = []
    for t, (k, n) in enumerate(series):
        base = series[max(0, t - window) : t]
        big_k = sum(b[0] for b in base)
        big_n = sum(b[1] for b in base)
        rec: dict = {
            "baseline_periods": sum(1 for b in base if b[1] > 0),
            "baseline_articles": big_n,
            "baseline_rate": big_k / big_n if big_n else None,
            "expected": None,
            "p_value": None,
            "flag": "",
            "note": "",
        }
        if n <= 0:
            rec["note"] = "no articles"
        elif t == 0 or big_n == 0:
            rec["note"] = "no baseline"
        elif big_n < min_baseline:
            rec["note"] = f"baseline of {big_n} article{'s' if big_n != 1 else ''} is too small"
        else:
            p0 = (big_k + 0.5) / (big_n + 1)
            p = float(sps.binomtest(k, n, p0).pvalue)
            rec["expected"] = n * p0
            rec["p_value"] = min(1.0, p)
            if p < alpha:
                rec["flag"] = "up" if k / n > p0 else "down"
        out.append(rec)
    return out


class Reservoir:
    """A uniform random sample of at most ``size`` items of a stream (Algorithm R).

    Parameters
    ----------
    size : int
        The most items kept.
    rng : random.Random
        The source of randomness (seeded by the caller, so a sample is reproducible).

    Examples
    --------
    >>> import random
    >>> r = Reservoir(2, random.Random(1))
    >>> for x in "abcde":
    ...     r.add(x)
    >>> len(r.items), r.seen
    (2, 5)
    """

    def __init__(self, size: int, rng) -> None:
        self.size = size
        self.rng = rng
        self.items: list = []
        self.seen = 0

    def slot(self) -> int | None:
        """Where the stream's next item goes in :attr:`items`; None when it is not kept.

        A caller that builds items lazily asks first and builds only kept ones.

        Returns
        -------
        int or None
            The index to write the item at.
        """
        self.seen += 1
        if len(self.items) < self.size:
            self.items.append(None)
            return len(self.items) - 1
        j = self.rng.randrange(self.seen)
        return j if j < self.size else None

    def add(self, item) -> None:
        """Offer the stream's next item.

        Parameters
        ----------
        item : object
            Kept (replacing an earlier one when full) with probability size/seen.
        """
        i = self.slot()
        if i is not None:
            self.items[i] = item
