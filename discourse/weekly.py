"""Weekly reports: gather everything a report shows, then write its folder atomically.

:func:`build_report` collects the data of one period (no rendering): provenance,
the comparison of sources (exactly :func:`discourse.api.compare_sources`, so
the numbers equal ``discourse compare --format json`` for the same selection),
headline findings (which outlet leads each frame; what departed from the
trailing weeks by :func:`discourse.evidence.trend`'s rule), distinctive terms
per outlet (:func:`discourse.evidence.keyness`), example sentences with their
matches, trend series for the charts, per-article rows, and how many articles
were scored or read from the store's score cache (:class:`ScoreStats`).

:func:`write_report` renders it (:mod:`discourse.documents`) and writes
``<out>/<period>/`` with ``report.md``, ``report.html``,
``frames_by_source.csv``, ``articles.csv``, ``summary.json`` and one CSV per
outlet under ``outlets/``. Each file is written to a temporary name and renamed
into place, inside a temporary folder that is renamed into place as a whole, so
a killed run leaves either the previous report or the new one, never half of
one. Names derived from data are sanitized and checked to stay inside the
output folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from discourse import __version__, api
from discourse import evidence as ev
from discourse import stats as st
from discourse.dates import now_utc, period_of, week_bounds
from discourse.errors import InputError, StoreError
from discourse.formats import csv_text, to_json
from discourse.lexicon import Lexicon
from discourse.models import Article, ArticleScore
from discourse.scoring import Scorer, ScoreStats, article_row
from discourse.store import FileLock, Selection, Store

REPORT_FILES = ("report.md", "report.html", "frames_by_source.csv", "articles.csv", "summary.json")
OUTLETS_DIR = "outlets"
DISTINCTIVE_Z = 1.96  # a keyness z at or above this is called distinctive
COMPARE_COLUMNS = (
    "frame",
    "n_articles",
    "n_present",
    "prevalence",
    "prevalence_lo",
    "prevalence_hi",
    "hits",
    "tokens",
    "per_1k",
    "per_1k_lo",
    "per_1k_hi",
    "sentence_share",
    "chi2",
    "df",
    "p_value",
    "cramers_v",
    "test_note",
)
CORRECTED_COLUMNS = (
    "corrected", "corrected_lo", "corrected_hi", "corrected_unstable", "correction",
)  # fmt: skip
_PROV_COLUMNS = ("lexicon", "lexicon_version", "lexicon_hash")
_TREND_KEYS = (
    "source",
    "period",
    "frame",
    "n_articles",
    "n_present",
    "prevalence",
    "prevalence_lo",
    "prevalence_hi",
    "per_1k",
    "baseline_rate",
    "p_value",
    "flag",
)


# ---------------------------------------------------------------------- period


@dataclass(frozen=True)
class Period:
    """The stretch of time a report covers, and the folder name it gets."""

    label: str  # "2026-W47", "2026-11", "2026-11-23_2026-11-30", "until-2026-11-22", "all"
    kind: str  # "week" | "month" | "range" | "all"
    since: str | None  # first day, inclusive (None: from the first article)
    until: str | None  # last day, inclusive (None: up to the last article)
    end: str | None = None  # last day for display and trend ranges (``until`` or today)

    @property
    def description(self) -> str:
        span = _span_text(self.since, self.end if self.until is None else self.until)
        if self.kind == "week":
            return f"ISO week {self.label} ({span})"
        if self.kind == "month":
            return f"month {self.label} ({span})"
        if self.kind == "all":
            return "all articles" + (f" up to {self.until}" if self.until else "")
        return span

    @property
    def phrase(self) -> str:
        """The period inside a sentence: "No articles in <phrase>"."""
        if self.kind == "all":
            return "the selection" + (f" up to {self.until}" if self.until else "")
        return self.description

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "kind": self.kind,
            "since": self.since,
            "until": self.until,
            "description": self.description,
        }


def _span_text(a: str | None, b: str | None) -> str:
    if a and b:
        return f"{a} to {b}"
    if a:
        return f"from {a}"
    if b:
        return f"up to {b}"
    return "all dates"


def resolve_period(
    week: str | None = None,
    since: str | None = None,
    until: str | None = None,
    today: date | None = None,
) -> Period:
    """The report period from ``--week`` (``2026-W48``, ``last``, ``this``) or ``--since/--until``.

    ``--since``/``--until`` are read exactly as ``discourse compare`` reads them
    (:func:`discourse.api.selection`), so a report and a comparison given the
    same options cover the same articles.
    """
    today = today or date.today()
    if week is not None and (since or until):
        raise InputError(
            f"--week {week} cannot be combined with --since/--until; give one or the other"
        )
    if week is not None:
        w = week.strip().lower()
        if w in ("last", "this", "current"):
            d = today - timedelta(days=7) if w == "last" else today
            label = period_of(d.isoformat(), "week")
        else:
            label = period_of(week_bounds(week)[0], "week")
        first, last = week_bounds(label)  # type: ignore[arg-type]
        return Period(label, "week", first, last, last)
    sel = api.selection(None, since, until, today)
    s, u = sel.since, sel.until
    if s is None:
        if u is None:
            return Period("all", "all", None, None, None)
        return Period(f"until-{u}", "all", None, u, u)
    end = u or today.isoformat()
    d0, d1 = date.fromisoformat(s), date.fromisoformat(end)
    if d0.weekday() == 0 and d1 == d0 + timedelta(days=6):
        return Period(period_of(s, "week"), "week", s, u, end)  # type: ignore[arg-type]
    nxt = date(d0.year + (d0.month == 12), d0.month % 12 + 1, 1)
    if d0.day == 1 and d1 == nxt - timedelta(days=1):
        return Period(f"{d0.year}-{d0.month:02d}", "month", s, u, end)
    return Period(f"{s}_{end}", "range", s, u, end)


# ------------------------------------------------------------------------ data


@dataclass
class ReportData:
    """Everything a report shows. Lists of flat dicts, JSON-safe (missing values are None)."""

    period: Period
    provenance: dict
    frames: list[str]
    frame_labels: dict[str, str]
    sources: list[str]  # sources with articles in the period
    by: tuple[str, ...]
    compare_meta: dict  # exactly compare_sources' meta
    records: list[dict]  # exactly compare_sources' Comparison.records
    tests: list[dict]  # exactly compare_sources' Comparison.tests
    leaders: list[dict]
    pairwise: list[dict]
    changes: list[dict]  # flagged departures (per source and all sources) in the period
    baseline: list[dict]  # all sources: this period vs the trailing baseline, per frame
    keyness: dict[str, list[dict]]  # source -> top terms
    examples: list[dict]
    trend: list[dict]  # per source, period and frame (plus "all sources")
    trend_periods: list[str]
    focus_periods: list[str]
    trend_meta: dict
    articles: list[dict]
    score_stats: ScoreStats = field(default_factory=ScoreStats)
    notes: list[str] = field(default_factory=list)

    @property
    def n_articles(self) -> int:
        return int(self.compare_meta.get("n_articles") or 0)

    @property
    def empty(self) -> bool:
        return self.n_articles == 0

    @property
    def title(self) -> str:
        return f"Framing report: {self.period.description}"

    def summary(self) -> dict:
        """The content of ``summary.json``."""
        return {
            "title": self.title,
            "period": self.period.to_dict(),
            "provenance": self.provenance,
            "empty": self.empty,
            "notes": self.notes,
            "score_stats": {
                "scored": self.score_stats.scored,
                "cached": self.score_stats.cached,
            },
            "frames": [{"name": f, "label": self.frame_labels.get(f, f)} for f in self.frames],
            "sources": self.sources,
            "headline": {
                "leaders": self.leaders,
                "changes": self.changes,
                "baseline": self.baseline,
            },
            "comparison": {
                "meta": self.compare_meta,
                "records": self.records,
                "tests": self.tests,
            },
            "pairwise": self.pairwise,
            "keyness": self.keyness,
            "examples": self.examples,
            "trend": {
                "meta": self.trend_meta,
                "periods": self.trend_periods,
                "focus_periods": self.focus_periods,
                "records": self.trend,
            },
            "n_article_rows": len(self.articles),
        }


class _CountingScorer(Scorer):
    """A :class:`Scorer` that remembers which articles it actually had to score."""

    def __init__(self, lexicon: Lexicon, model=None, method: str = "lexicon") -> None:
        super().__init__(lexicon, model=model, method=method)
        self.scored_ids: set = set()

    def score_batch(self, articles: list[Article], keep: bool = False) -> list[ArticleScore]:
        for article in articles:
            self.scored_ids.add(article.id if article.id is not None else ("obj", id(article)))
        return super().score_batch(articles, keep)


# ----------------------------------------------------------------------- build


def build_report(
    store: Store,
    lexicon: Lexicon,
    *,
    period: Period | None = None,
    week: str | None = None,
    since: str | None = None,
    until: str | None = None,
    today: date | None = None,
    sources: Sequence[str] | None = None,
    by: str = "source",
    seed: int = st.DEFAULT_SEED,
    n_boot: int = st.DEFAULT_BOOT,
    trailing: int = 4,
    history: int = 12,
    trend_by: str = "week",
    alpha: float = 0.05,
    top_terms: int = 8,
    n_examples: int = 3,
    model_hash: str | None = None,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
    model=None,
    method: str = "lexicon",
    validation: str | os.PathLike | None = None,
) -> ReportData:
    """Gather one report's data from ``store``.

    The period is ``period``, else ``week`` (``2026-W48``, ``last``, ``this``),
    else ``since``/``until`` (as in ``discourse compare``), else all articles.
    ``by`` is the comparison grouping (``source``, ``source,week``,
    ``source,month``); ``seed`` and ``n_boot`` the bootstrap settings (defaults
    equal ``compare``'s). ``trailing`` is the baseline window of the trend
    rule (periods of ``trend_by``); the charts show ``history`` periods before
    the report period. ``progress`` is called with the number of articles
    done; if it has a ``total`` attribute that is None (a
    :class:`discourse.terminal.Progress`), it is set to the number of articles
    to go through.

    On a file store, scores come from the store's score cache where present
    and new scores are added to it, so a second run over an unchanged store
    scores nothing (``score_stats.scored == 0``).
    """
    if trailing < 1:
        raise InputError(f"--trailing {trailing} must be at least 1 period")
    if trend_by not in ("week", "month"):
        raise InputError(f"trend_by {trend_by!r} is not supported; use week or month")
    by_t = api.parse_by(by)
    per = period or resolve_period(week, since, until, today)
    sel = Selection(sources=list(sources) if sources else None, since=per.since, until=per.until)
    inputs = api.Inputs(store)
    api.check_sources(store, sel)
    scorer = _CountingScorer(lexicon, model=model, method=method)
    if model is not None and model_hash is None:
        model_hash = model.model_hash
    frames = list(scorer.frames)
    labels = {f: lexicon.frames[f].label for f in frames}

    # the trend needs the trailing periods before the report period
    trend_sel = sel
    if per.since:
        start = date.fromisoformat(per.since)
        if trend_by == "week":
            start -= timedelta(days=start.weekday() + 7 * max(history, trailing))
        else:
            y, m = start.year, start.month - max(history, trailing)
            while m < 1:
                y, m = y - 1, m + 12
            start = date(y, m, 1)
        trend_sel = Selection(sources=sel.sources, since=start.isoformat(), until=sel.until)
    touched = store.count(trend_sel)

    # 1. fill the score cache once for everything the report reads (file stores)
    if not store.in_memory:
        _set_total(progress, touched)
        for _ in api.scores(inputs, scorer, trend_sel, progress=progress):
            pass
        progress_cmp = None
    else:
        _set_total(progress, store.count(sel))
        progress_cmp = progress

    # 2. the comparison: exactly what `discourse compare` computes
    cmp, cmeta = api.compare_sources(
        inputs, lexicon, sel, by_t, n_boot=n_boot, seed=seed, progress=progress_cmp,
        scorer=scorer, validation=validation,
    )  # fmt: skip

    # 3. per-article rows (from the cache on a file store)
    articles = [article_row(sc, frames) for sc in api.scores(inputs, scorer, sel)]

    # 4. trends: per source and all sources pooled, by evidence.trend's rule
    tr = ev.trend(
        store, lexicon, trend_sel, by=trend_by, window=trailing, alpha=alpha, scorer=scorer
    )
    tr_all = ev.trend(
        store,
        lexicon,
        trend_sel,
        by=trend_by,
        window=trailing,
        alpha=alpha,
        combine=True,
        scorer=scorer,
    )
    trend_periods = _chart_periods(per, trend_sel, tr.meta.get("periods") or [], trend_by)
    focus = _focus_periods(per, tr.meta.get("periods") or [], trend_by)
    shown = set(trend_periods)
    trend_records = [
        {k: r.get(k) for k in _TREND_KEYS}
        for r in tr.records + tr_all.records
        if r["period"] in shown
    ]
    changes = [
        _change(r)
        for r in tr.records + tr_all.records
        if r["period"] in focus and r.get("flag") in ("up", "down")
    ]
    changes.sort(key=lambda c: (c["period"], c["source"] != ev.ALL_SOURCES, c["source"]))
    baseline = [_baseline_row(r) for r in tr_all.records if r["period"] in focus]

    # 5. leaders and pairwise differences, from the comparison's records
    pw = st.pairwise_from_records(cmp.records, by_t, "holm") if cmp.records else []
    leaders = _leaders(cmp.records, cmp.tests, pw, frames, by_t)

    # 6. evidence: distinctive terms and example sentences
    kn = ev.keyness(store, sel, top=top_terms)
    keyness = _top_terms(kn.records, top_terms)
    examples = _examples(store, lexicon, articles, frames, n_examples)

    scored = len(scorer.scored_ids)
    stats = ScoreStats(scored=scored, cached=max(0, touched - scored))
    src_in_period = sorted({r["source"] for r in cmp.records})
    first, last = store.date_range()
    prov = {
        "tool_version": __version__,
        **lexicon.provenance(),
        "lexicon_sha256": lexicon.sha256,
        "model_hash": model_hash,
        "corpus_articles": store.count(),
        "corpus_sources": len(store.sources()),
        "corpus_from": first,
        "corpus_to": last,
        "store": "in memory (from PATHs)" if store.in_memory else os.path.basename(store.path),
        "period": per.label,
        "period_description": per.description,
        "since": per.since,
        "until": per.until,
        "articles_in_period": cmp.n_articles,
        "sources_in_period": len(src_in_period),
        "articles_from": cmp.date_range[0],
        "articles_to": cmp.date_range[1],
        "undated_left_out": cmp.undated_dropped,
        "by": ",".join(by_t),
        "n_boot": n_boot,
        "seed": seed,
        "trend_by": trend_by,
        "trend_window": trailing,
        "trend_rule": tr.meta.get("rule"),
        "generated_at": (now or now_utc()).isoformat(timespec="seconds"),
    }
    notes = []
    if cmp.n_articles == 0:
        notes.append(f"no articles in {per.phrase}; nothing to compare")
    if cmp.undated_dropped:
        n = cmp.undated_dropped
        notes.append(f"{n} undated article{'s' if n != 1 else ''} left out of the comparison")
    notes += [n for n in kn.notes if cmp.n_articles]
    return ReportData(
        period=per,
        provenance=prov,
        frames=frames,
        frame_labels=labels,
        sources=src_in_period,
        by=by_t,
        compare_meta=cmeta,
        records=cmp.records,
        tests=cmp.tests,
        leaders=leaders,
        pairwise=pw,
        changes=changes,
        baseline=baseline,
        keyness=keyness,
        examples=examples,
        trend=trend_records,
        trend_periods=trend_periods,
        focus_periods=focus,
        trend_meta={k: tr.meta.get(k) for k in ("by", "window", "alpha", "min_baseline", "rule")},
        articles=articles,
        score_stats=stats,
        notes=notes,
    )


def _set_total(progress, total: int) -> None:
    if progress is not None and getattr(progress, "total", 0) is None:
        progress.total = total  # type: ignore[attr-defined]


def _chart_periods(
    per: Period, trend_sel: Selection, trend_periods: list[str], by: str
) -> list[str]:
    """Every period from the start of the trend window to the end of the report period."""
    start = trend_sel.since or (_period_start(trend_periods[0], by) if trend_periods else None)
    end = per.until or per.end
    if trend_periods:
        last = _period_end(trend_periods[-1], by)
        end = max(end, last) if end else last
    if not start or not end or start > end:
        return list(trend_periods)
    return ev.periods_between(start, end, by)


def _focus_periods(per: Period, trend_periods: list[str], by: str) -> list[str]:
    """The trend periods the report is about: those overlapping it (the last one if unbounded)."""
    if per.since is None:
        return trend_periods[-1:]
    end = per.until or per.end or per.since
    return ev.periods_between(per.since, end, by)


def _period_start(label: str, by: str) -> str:
    return week_bounds(label)[0] if by == "week" else f"{label}-01"


def _period_end(label: str, by: str) -> str:
    if by == "week":
        return week_bounds(label)[1]
    y, m = int(label[:4]), int(label[5:7])
    nxt = date(y + (m == 12), m % 12 + 1, 1)
    return (nxt - timedelta(days=1)).isoformat()


def _change(r: dict) -> dict:
    return {
        "period": r["period"],
        "source": r["source"],
        "frame": r["frame"],
        "flag": r["flag"],
        "n_present": r["n_present"],
        "n_articles": r["n_articles"],
        "prevalence": r["prevalence"],
        "baseline_rate": r["baseline_rate"],
        "baseline_articles": r["baseline_articles"],
        "baseline_periods": r["baseline_periods"],
        "p_value": r["p_value"],
    }


def _baseline_row(r: dict) -> dict:
    return {**_change(r), "note": r.get("note", "")}


def _leaders(
    records: list[dict], tests: list[dict], pw: list[dict], frames: list[str], by: tuple
) -> list[dict]:
    """Per frame (and period, if grouped by one): the source with the highest prevalence."""
    pkeys = [b for b in by if b != "source"]
    strata: dict[tuple, list[dict]] = {}
    for r in records:
        strata.setdefault((tuple(r[k] for k in pkeys), r["frame"]), []).append(r)
    test_of = {(tuple(t[k] for k in pkeys), t["frame"]): t for t in tests}
    out = []
    for (stratum, f), rows in sorted(
        strata.items(), key=lambda kv: (kv[0][0], frames.index(kv[0][1]))
    ):
        rows = [r for r in rows if r["n_articles"]]
        if not rows:
            continue
        rows.sort(key=lambda r: (-(r["prevalence"] or 0.0), -r["n_articles"], r["source"]))
        top = rows[0]["prevalence"] or 0.0
        tied = [r for r in rows if (r["prevalence"] or 0.0) == top]
        rest = [r for r in rows if (r["prevalence"] or 0.0) < top]
        t = test_of.get((stratum, f), {})
        lead: dict = {
            **dict(zip(pkeys, stratum)),
            "frame": f,
            "leaders": [r["source"] for r in tied] if top > 0 else [],
            "prevalence": top,
            "prevalence_lo": tied[0]["prevalence_lo"],
            "prevalence_hi": tied[0]["prevalence_hi"],
            "n_present": tied[0]["n_present"],
            "n_articles": tied[0]["n_articles"],
            "none": top == 0.0,
            "runner_up": None,
            "runner_ups": [],
            "runner_up_prevalence": None,
            "runner_up_lo": None,
            "runner_up_hi": None,
            "diff_pp": None,
            "diff_lo_pp": None,
            "diff_hi_pp": None,
            "p_adjusted": None,
            "clear": False,
            "chi2_p": t.get("p_value"),
            "cramers_v": t.get("cramers_v"),
            "sources": len(rows),
        }
        if rest and len(tied) == 1:
            second = rest[0]["prevalence"] or 0.0
            runners = [r for r in rest if (r["prevalence"] or 0.0) == second]
            # among outlets tied for second place, compare with the least certain one
            best = None
            for ru in runners:
                p = _pair(pw, pkeys, stratum, f, tied[0]["source"], ru["source"])
                score = -1.0 if p is None or p["p_adjusted"] is None else p["p_adjusted"]
                if best is None or score > best[0]:
                    best = (score, ru, p)
            _, ru, p = best  # type: ignore[misc]
            lead.update(
                {
                    "runner_up": ru["source"],
                    "runner_ups": [r["source"] for r in runners],
                    "runner_up_prevalence": ru["prevalence"],
                    "runner_up_lo": ru["prevalence_lo"],
                    "runner_up_hi": ru["prevalence_hi"],
                }
            )
            if p is not None:
                lead.update(p)
                lead["clear"] = p["p_adjusted"] is not None and p["p_adjusted"] < 0.05
        out.append(lead)
    return out


def _pair(pw: list[dict], pkeys: list[str], stratum: tuple, frame: str, a: str, b: str):
    """The pairwise record of ``a`` against ``b`` (difference as a - b), or None."""
    for p in pw:
        if tuple(p.get(k) for k in pkeys) != stratum or p["frame"] != frame:
            continue
        if {p["source_a"], p["source_b"]} != {a, b}:
            continue
        sign = 1.0 if p["source_a"] == a else -1.0
        lo, hi = p["diff_lo_pp"], p["diff_hi_pp"]
        if lo is not None and hi is not None and sign < 0:
            lo, hi = -hi, -lo
        return {
            "diff_pp": None if p["diff_pp"] is None else sign * p["diff_pp"],
            "diff_lo_pp": lo,
            "diff_hi_pp": hi,
            "p_adjusted": p["p_adjusted"],
        }
    return None


def _top_terms(records: list[dict], top: int) -> dict[str, list[dict]]:
    """Per source: unigrams and bigrams together, highest z first."""
    out: dict[str, list[dict]] = {}
    for r in records:
        out.setdefault(r["source"], []).append(
            {
                "term": r["term"],
                "ngram": r["ngram"],
                "count": r["count"],
                "count_rest": r["count_vs"],
                "per_1k": r["per_1k"],
                "per_1k_rest": r["per_1k_vs"],
                "z": r["z"],
                "distinctive": r["z"] is not None and r["z"] >= DISTINCTIVE_Z,
            }
        )
    for s in out:
        out[s] = sorted(out[s], key=lambda r: (-(r["z"] or 0.0), r["term"]))[:top]
    return dict(sorted(out.items()))


def _examples(
    store: Store, lexicon: Lexicon, articles: list[dict], frames: list[str], n: int
) -> list[dict]:
    """Up to ``n`` example sentences per frame and source: from distinct articles first,
    most recent first; within an article the sentence with the most hits of the frame."""
    if n <= 0:
        return []
    scorer = Scorer(lexicon)
    by_src: dict[str, list[dict]] = {}
    for r in articles:
        by_src.setdefault(r["source"], []).append(r)
    out: list[dict] = []
    for src in sorted(by_src):
        rows = sorted(by_src[src], key=lambda r: (r["date"] or "", r["id"] or 0), reverse=True)
        cache: dict = {}
        for f in frames:
            cands = [r for r in rows if r.get(f"{f}_present")][:n]
            ranked = []
            for r in cands:
                if r["id"] not in cache:
                    art = store.get(r["id"]) if r["id"] is not None else None
                    if art is None:
                        cache[r["id"]] = None
                    else:
                        sc = scorer.score(art, keep=True)
                        cache[r["id"]] = (art, sc, api.hit_char_spans(sc, scorer))
                got = cache[r["id"]]
                if got is None:
                    continue
                art, sc, spans = got
                sents = {s.index: s for s in sc.sentences}
                mine = []
                for idx, items in spans.items():
                    fs = [(a, b, t) for a, b, fr, t in items if fr == f]
                    if fs:
                        mine.append((idx, fs))
                mine.sort(key=lambda m: (-len(m[1]), m[0]))
                ranked.append([(art, sents[idx], fs) for idx, fs in mine])
            picked = []
            depth = 0
            while len(picked) < n and any(len(x) > depth for x in ranked):
                for x in ranked:
                    if len(x) > depth and len(picked) < n:
                        picked.append(x[depth])
                depth += 1
            for art, sent, fs in picked:
                out.append(
                    {
                        "source": src,
                        "frame": f,
                        "article_id": art.id,
                        "date": art.day,
                        "title": art.title,
                        "url": art.url,
                        "sentence": sent.index,
                        "terms": sorted({t for _, _, t in fs}),
                        "segments": segments(sent.text, [(a, b) for a, b, _ in fs]),
                    }
                )
    return out


def segments(text: str, spans: Sequence[tuple[int, int]], context: int = 220) -> list[dict]:
    """A sentence cut into ``{"text", "mark"}`` pieces, marked where ``spans`` are.

    Whitespace runs become one space; very long unmarked lead-ins and tails are
    shortened to ``context`` characters with an ellipsis.
    """
    parts: list[dict] = []
    pos = 0
    for a, b in sorted(spans):
        if a < pos or b <= a:
            continue
        if a > pos:
            parts.append({"text": text[pos:a], "mark": False})
        parts.append({"text": text[a:b], "mark": True})
        pos = b
    if pos < len(text):
        parts.append({"text": text[pos:], "mark": False})
    for p in parts:
        p["text"] = re.sub(r"\s+", " ", p["text"])
    if parts:
        parts[0]["text"] = parts[0]["text"].lstrip()
        parts[-1]["text"] = parts[-1]["text"].rstrip()
        if not parts[0]["mark"] and len(parts[0]["text"]) > context:
            cut = parts[0]["text"][-context:]
            parts[0]["text"] = "…" + cut[cut.find(" ") + 1 :] if " " in cut else "…" + cut
        if not parts[-1]["mark"] and len(parts[-1]["text"]) > context:
            cut = parts[-1]["text"][:context]
            parts[-1]["text"] = (cut[: cut.rfind(" ")] if " " in cut else cut) + "…"
    return [p for p in parts if p["text"]]


# ------------------------------------------------------------------------- run


def run_report(
    paths: Sequence[str | os.PathLike] | None,
    db: str | None,
    out_dir: str | os.PathLike,
    *,
    lexicon: str | os.PathLike | None = None,
    week: str | None = None,
    since: str | None = None,
    until: str | None = None,
    sources: Sequence[str] | None = None,
    raw_csv: bool = False,
    today: date | None = None,
    progress: Callable[[int], None] | None = None,
    warn: Callable[[str], None] | None = None,
    **options,
) -> tuple[Path, ReportData]:
    """What ``discourse report`` does: open the inputs, lock the store, build, write.

    PATHs are read into an in-memory store (no lock needed); otherwise the
    store ``db`` is locked (``<db>.lock``) for the whole run, because the run
    adds to its score cache: a second concurrent run fails at once with
    :class:`~discourse.errors.LockError` (exit code 3). ``options`` go to
    :func:`build_report`. Returns the report folder and the data.
    """
    per = resolve_period(week, since, until, today)  # bad options fail before any I/O
    lex = api.get_lexicon(lexicon)
    with api.open_inputs(paths, db, warn=warn) as inp:
        lock = contextlib.nullcontext() if inp.store.in_memory else FileLock(inp.store.path)
        with lock:
            data = build_report(
                inp.store, lex, period=per, sources=sources, progress=progress, **options
            )
            path = write_report(data, out_dir, raw_csv=raw_csv)
    return path, data


# ----------------------------------------------------------------------- names

_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{d}{i}" for d in ("COM", "LPT") for i in range(1, 10)
}


def safe_name(text: str, fallback: str = "unnamed", max_len: int = 80) -> str:
    """A file or folder name from data: letters, digits, ``.``, ``_`` and ``-`` only.

    No path separators, no leading dot (so never ``.`` or ``..`` or hidden), no
    control characters, at most ``max_len`` characters; ``fallback`` when nothing
    is left. ``../../etc`` becomes ``etc``.
    """
    s = unicodedata.normalize("NFKC", str(text))
    s = re.sub(r"[^\w.-]+", "-", s)
    s = re.sub(r"[-.]*-[-.]*", "-", s)  # "a/../b" -> "a-b"
    s = re.sub(r"\.{2,}", ".", s)
    s = s.strip(".-_")[:max_len].rstrip(".-_")
    if not s:
        return fallback
    if s.split(".")[0].upper() in _WINDOWS_RESERVED:
        s = f"{fallback}-{s}"
    return s


def unique_names(names: Sequence[str], fallback: str = "unnamed") -> dict[str, str]:
    """``{name: safe and unique file stem}`` (case-insensitively unique, for macOS/Windows)."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        stem = base = safe_name(name, fallback)
        i = 2
        while stem.lower() in taken:
            stem = f"{base}-{i}"
            i += 1
        taken.add(stem.lower())
        out[name] = stem
    return out


def inside(root: Path, *parts: str) -> Path:
    """``root/parts...``, refusing any path that would end up outside ``root``."""
    base = root.resolve()
    p = base.joinpath(*parts).resolve()
    if p != base and base not in p.parents:
        raise InputError(f"refusing to write {p}: it is outside the output folder {base}")
    return p


# ----------------------------------------------------------------------- write


def render_files(data: ReportData, raw_csv: bool = False) -> dict[str, str]:
    """Every file of the report folder, rendered in memory: ``{relative path: text}``."""
    from discourse import documents

    prov = {k: data.provenance.get(k) for k in _PROV_COLUMNS}
    lead = {"period": data.period.label}
    corrected = CORRECTED_COLUMNS if data.compare_meta.get("corrected_with") else ()
    cols = ["period", *data.by, *COMPARE_COLUMNS, *corrected, *_PROV_COLUMNS]
    frame_rows = [{**lead, **r, **prov} for r in data.records]
    art_cols = ["period", *_article_columns(data.frames), *_PROV_COLUMNS]
    art_rows = [{**lead, **r, **prov} for r in data.articles]
    stems = unique_names(data.sources, "source")
    files = {
        "report.md": documents.render_markdown(data),
        "report.html": documents.render_html(data),
        "frames_by_source.csv": csv_text(frame_rows, cols, raw=raw_csv),
        "articles.csv": csv_text(art_rows, art_cols, raw=raw_csv),
    }
    for src, stem in stems.items():
        rows = [r for r in art_rows if r["source"] == src]
        files[f"{OUTLETS_DIR}/{stem}.csv"] = csv_text(rows, art_cols, raw=raw_csv)
    summary = data.summary()
    summary["files"] = {
        "report": list(REPORT_FILES),
        "outlets": {src: f"{OUTLETS_DIR}/{stem}.csv" for src, stem in stems.items()},
    }
    summary["raw_csv"] = raw_csv
    files["summary.json"] = to_json(summary) + "\n"
    return files


def _article_columns(frames: Sequence[str]) -> list[str]:
    cols = ["id", "source", "date", "title", "url", "tokens", "sentences"]
    for f in frames:
        cols += [f"{f}_hits", f"{f}_per_1k", f"{f}_present", f"{f}_sentence_share"]
    return [*cols, "dominant"]


def write_report(data: ReportData, out_dir: str | os.PathLike, raw_csv: bool = False) -> Path:
    """Write the report folder ``<out_dir>/<period label>/`` atomically; return its path.

    Everything is rendered first; then, holding a lock on ``out_dir`` (so two
    runs never interleave there; :class:`~discourse.errors.LockError`, exit 3),
    the files are written to temporary names inside a temporary folder next to
    the target and renamed into place, and the folder replaces the previous
    report of the same period in one rename. Leftovers of a killed run are
    cleaned up (or, if it died between the two renames, the previous report is
    put back) by the next run.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"-o {out} is a file; give a folder for the reports")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreError(f"cannot create the report folder {out}: {e.strerror}") from None
    name = safe_name(data.period.label, "report")
    final = inside(out, name)
    files = render_files(data, raw_csv)
    try:
        with FileLock(str(out.resolve() / ".discourse-report")):
            _recover(out.resolve())
            tmp = inside(out, f".{name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
            tmp.mkdir()
            try:
                for rel, text in files.items():
                    atomic_write(inside(tmp, *rel.split("/")), text)
                _fsync_dir(tmp)
                _swap_in(tmp, final)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            _fsync_dir(final.parent)
    except OSError as e:
        raise StoreError(
            f"cannot write the report to {final}: {e.strerror or e}; nothing was changed"
        ) from None
    return final


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to a temporary name beside ``path``, flush it to disk, rename it over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}")
    try:
        with open(tmp, "x", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _swap_in(tmp: Path, final: Path) -> None:
    if final.is_symlink() or (final.exists() and not final.is_dir()):
        raise InputError(f"{final} exists and is not a report folder; move it away first")
    if not final.exists():
        os.rename(tmp, final)
        return
    old = final.with_name(f".{final.name}.old-{secrets.token_hex(4)}")
    os.rename(final, old)
    try:
        os.rename(tmp, final)
    except BaseException:
        os.rename(old, final)
        raise
    shutil.rmtree(old, ignore_errors=True)


_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-[0-9a-f-]+$")


def _recover(out: Path) -> None:
    """Clean up after a killed run (called with the lock held, so nothing else is writing)."""
    for p in sorted(out.iterdir()):
        m = _LEFTOVER.match(p.name)
        if not m or not p.is_dir() or p.is_symlink():
            continue
        target = out / m.group("name")
        if m.group("kind") == "old" and not target.exists():
            os.rename(p, target)  # died between the two renames: put the previous report back
        else:
            shutil.rmtree(p, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
