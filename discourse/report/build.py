"""Gather everything a report shows (no rendering, no files).

:func:`build_report` collects the data of one period: provenance,
the comparison of sources (exactly :func:`discourse.api.compare_sources`, so
the numbers equal ``discourse compare --format json`` for the same selection),
headline findings (which outlet leads each frame; what departed from the
trailing weeks by :func:`discourse.evidence.trend`'s rule), distinctive terms
per outlet (:func:`discourse.evidence.keyness`), example sentences with their
matches, trend series for the charts, per-article rows, and how many articles
were scored or read from the store's score cache (:class:`ScoreStats`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta

from discourse import api
from discourse import evidence as ev
from discourse import stats as st
from discourse.dates import (
    month_end,
    now_utc,
    period_end,
    period_of,
    period_start,
    periods_before,
    periods_between,
    week_bounds,
)
from discourse.errors import InputError
from discourse.lexicon import Lexicon
from discourse.provenance import provenance
from discourse.report.data import Period, ReportData
from discourse.scoring import Scorer, ScoreStats, article_row
from discourse.shared import DEFAULT_BOOT, DEFAULT_SEED
from discourse.store import Selection, Store

DISTINCTIVE_Z = 1.96  # a keyness z at or above this is called distinctive
_TREND_META = ("by", "window", "alpha", "min_baseline", "rule")
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
            f"`week` {week} cannot be combined with `since`/`until`; give one or the other"
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
    if d0.day == 1 and d1 == month_end(d0.year, d0.month):
        return Period(f"{d0.year}-{d0.month:02d}", "month", s, u, end)
    return Period(f"{s}_{end}", "range", s, u, end)


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
    seed: int = DEFAULT_SEED,
    n_boot: int = DEFAULT_BOOT,
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
    workers: int = 1,
) -> ReportData:
    """Gather one report's data from ``store``.

    The period is ``period``, else ``week`` (``2026-W48``, ``last``, ``this``),
    else ``since``/``until`` (as in ``discourse compare``), else all articles.
    ``by`` is the comparison grouping (``source``, ``source,week``, ``source,month``;
    ``meta:KEY`` for a document variable's values); ``seed`` and ``n_boot`` the
    bootstrap settings (defaults equal ``compare``'s). ``trailing`` is the baseline
    window of the trend rule (periods of ``trend_by``); the charts show ``history``
    periods before the report period. ``progress`` is called with the number of
    articles done; if it has a ``total`` attribute that is None (a
    :class:`discourse.terminal.Progress`), it is set to the number of articles
    to go through.

    On a file store, scores come from (and go to) the store's score cache, so a
    second run over an unchanged store scores nothing (``score_stats.scored == 0``).
    """
    by_t, group = api.split_by(user_by := api.parse_by(by))  # meta:KEY stands for source
    per = period or resolve_period(week, since, until, today)
    sel, trend_sel = _selections(per, sources, trend_by, max(history, trailing), trailing)
    inputs = api.Inputs(store)
    api.check_sources(store, sel)
    scorer = Scorer(lexicon, model=model, method=method)
    frames = list(scorer.frames)
    touched = store.count(trend_sel)
    prog, scored, rows = _fill_cache(inputs, scorer, sel, trend_sel, touched, progress, workers)
    cmp, cmeta = api.compare_sources(inputs, lexicon, sel, user_by, n_boot=n_boot, seed=seed,
        progress=prog, scorer=scorer, validation=validation, workers=workers)  # fmt: skip
    articles = rows if rows is not None else _article_rows(inputs, scorer, sel, workers)
    trends = _trends(store, lexicon, per, trend_sel, trend_by, trailing, alpha, scorer, group)
    pw = st.pairwise_from_records(cmp.records, by_t, "holm") if cmp.records else []
    kn = ev.keyness(store, sel, top=top_terms, workers=workers)
    settings = {"by": ",".join(user_by), "n_boot": n_boot, "seed": seed, "trend_by": trend_by,
                "trend_window": trailing, "trend_rule": trends["trend_meta"]["rule"]}  # fmt: skip
    model_hash = model_hash or getattr(model, "model_hash", None)
    return ReportData(
        period=per,
        provenance=_provenance(store, lexicon, per, cmp, model_hash, settings, now),
        frames=frames,
        frame_labels={f: lexicon.frames[f].label for f in frames},
        sources=sorted({r["source"] for r in cmp.records}),
        by=by_t,
        compare_meta=cmeta,
        records=cmp.records,
        tests=cmp.tests,
        leaders=_leaders(cmp.records, cmp.tests, pw, frames, by_t),
        pairwise=pw,
        keyness=_top_terms(kn.records, top_terms),
        examples=_examples(store, lexicon, articles, frames, n_examples),
        articles=articles,
        score_stats=ScoreStats(scored=scored, cached=max(0, touched - scored)),
        notes=_notes(per, cmp, kn) + ([_group_note(group)] if group else []),
        **trends,
    )


def _group_note(group: str) -> str:
    return (
        f"Grouped by the document variable '{group}': where the report says outlet, read "
        f"the value of '{group}' ('(none)': articles without it)."
    )


def _selections(per: Period, sources, trend_by: str, back: int, trailing: int):
    """The report period's selection, and the trend's (``back`` periods earlier)."""
    if trailing < 1:
        raise InputError(f"`trailing` {trailing} must be at least 1 period")
    if trend_by not in ("week", "month"):
        raise InputError(f"trend_by {trend_by!r} is not supported; use week or month")
    sel = Selection(sources=list(sources) if sources else None, since=per.since, until=per.until)
    if not per.since:
        return sel, sel
    start = periods_before(per.since, trend_by, back)
    return sel, Selection(sources=sel.sources, since=start, until=sel.until)


def _fill_cache(inputs, scorer, sel, trend_sel, touched: int, progress, workers: int = 1):
    """Fill the score cache once for everything the report reads (file stores), scoring
    in ``workers`` processes.

    Returns the progress callback the comparison should use (None when done here), the
    number of articles scored afresh (an in-memory store has no cache: every article
    the report reads is scored), and, when the trend reads the report's own selection
    (no period), the article rows (:func:`article_row`) of this pass, so that they need
    no pass of their own (else None).
    """
    store = inputs.store
    if store.in_memory:
        _set_total(progress, store.count(sel))
        return progress, touched, None
    _set_total(progress, touched)
    stats = ScoreStats()
    rows: list[dict] | None = [] if trend_sel is sel else None
    frames = list(scorer.frames)
    for sc in api.scores(inputs, scorer, trend_sel, stats, progress=progress, workers=workers):
        if rows is not None:
            rows.append(article_row(sc, frames))
    return None, stats.scored, rows


def _article_rows(inputs, scorer, sel, workers: int) -> list[dict]:
    frames = list(scorer.frames)
    return [article_row(sc, frames) for sc in api.scores(inputs, scorer, sel, workers=workers)]


def _trends(
    store, lexicon, per: Period, trend_sel, trend_by, trailing, alpha, scorer, group=None
) -> dict:
    """Trends per source (or value of the document variable ``group``) and all sources
    pooled (by evidence.trend's rule), for ReportData."""
    kw = {"by": trend_by, "window": trailing, "alpha": alpha, "scorer": scorer}
    by_group = f"{trend_by},meta:{group}" if group else trend_by
    tr = ev.trend(store, lexicon, trend_sel, **{**kw, "by": by_group})
    tr_all = ev.trend(store, lexicon, trend_sel, combine=True, **kw)
    trend_periods = _chart_periods(per, trend_sel, tr.meta.get("periods") or [], trend_by)
    focus = _focus_periods(per, tr.meta.get("periods") or [], trend_by)
    shown = set(trend_periods)
    both = tr.records + tr_all.records
    tested = _adjusted([r for r in both if r["period"] in focus], alpha)
    changes = [c for c in tested if c["flag"] in ("up", "down")]
    changes.sort(key=lambda c: (c["period"], c["source"] != ev.ALL_SOURCES, c["source"]))
    meta = {k: tr.meta.get(k) for k in _TREND_META}
    meta["rule"] = (meta.get("rule") or "") + CORRECTION_NOTE.format(m=len(tested), alpha=alpha)
    adj = {(c["period"], c["source"], c["frame"]): c for c in tested}
    return {
        "trend": [{k: r.get(k) for k in _TREND_KEYS} for r in both if r["period"] in shown],
        "trend_periods": trend_periods,
        "focus_periods": focus,
        "changes": changes,
        "baseline": [
            {**_baseline_row(r), **_adj_fields(adj.get((r["period"], r["source"], r["frame"])))}
            for r in tr_all.records
            if r["period"] in focus
        ],
        "trend_meta": meta,
    }


#: How "What changed" treats its many tests (appended to the trend rule in the report).
CORRECTION_NOTE = (
    "; in this report the p-values of the period's {m} tests (every outlet and all "
    "outlets together, every frame) are Holm-adjusted, and a change is shown only when "
    "the adjusted p < {alpha}, so that the chance of even one false alarm among them "
    "stays below {alpha}; each period is tested whole (every article of the week or "
    "month, also those outside the report's own dates)"
)


def _adjusted(records: list[dict], alpha: float) -> list[dict]:
    """The tested records as changes, with Holm-adjusted p-values (``p_adjusted``); the
    flag is kept only when the adjusted p is below ``alpha``.

    Holm rather than Benjamini-Hochberg: each line of "What changed" is read as a
    finding on its own, so the family-wise error rate is the promise to keep (as for the
    leaders' and ``compare --pairwise``'s default).
    """
    tested = [_change(r) for r in records if r.get("p_value") is not None]
    for c, p in zip(tested, st.adjust_pvalues([c["p_value"] for c in tested], "holm")):
        c["p_adjusted"] = p
        if c["flag"] in ("up", "down") and not p < alpha:
            c["flag"] = None
    return tested


def _adj_fields(c: dict | None) -> dict:
    return {"flag": c["flag"], "p_adjusted": c["p_adjusted"]} if c else {"p_adjusted": None}


def _provenance(store, lexicon, per: Period, cmp, model_hash, settings: dict, now) -> dict:
    """What produced the report: tool, lexicon, model, corpus, period, settings, time."""
    first, last = store.date_range()
    return provenance(
        lexicon,
        lexicon_sha256=lexicon.sha256,
        model_hash=model_hash,
        corpus_articles=store.count(),
        corpus_sources=len(store.sources()),
        corpus_from=first,
        corpus_to=last,
        store="in memory (from PATHs)" if store.in_memory else os.path.basename(store.path),
        period=per.label,
        period_description=per.description,
        since=per.since,
        until=per.until,
        articles_in_period=cmp.n_articles,
        sources_in_period=len({r["source"] for r in cmp.records}),
        articles_from=cmp.date_range[0],
        articles_to=cmp.date_range[1],
        undated_left_out=cmp.undated_dropped,
        **settings,
        generated_at=(now or now_utc()).isoformat(timespec="seconds"),
    )


def _notes(per: Period, cmp, kn) -> list[str]:
    notes = []
    if cmp.n_articles == 0:
        notes.append(f"no articles in {per.phrase}; nothing to compare")
    if cmp.undated_dropped:
        n = cmp.undated_dropped
        notes.append(f"{n} undated article{'s' if n != 1 else ''} left out of the comparison")
    return notes + [n for n in kn.notes if cmp.n_articles]


def _set_total(progress, total: int) -> None:
    if progress is not None and getattr(progress, "total", 0) is None:
        progress.total = total  # type: ignore[attr-defined]


def _chart_periods(
    per: Period, trend_sel: Selection, trend_periods: list[str], by: str
) -> list[str]:
    """Every period from the start of the trend window, or of the first period with dated
    articles when that is later (a young store: no run of empty periods), to the end of
    the report period."""
    start = trend_sel.since or (period_start(trend_periods[0], by) if trend_periods else None)
    if start and trend_periods:
        start = max(start, period_start(trend_periods[0], by))
    end = per.until or per.end
    if trend_periods:
        last = period_end(trend_periods[-1], by)
        end = max(end, last) if end else last
    if not start or not end or start > end:
        return list(trend_periods)
    return periods_between(start, end, by)


def _focus_periods(per: Period, trend_periods: list[str], by: str) -> list[str]:
    """The trend periods the report is about: those overlapping it (the last one if unbounded)."""
    if per.since is None:
        return trend_periods[-1:]
    end = per.until or per.end or per.since
    return periods_between(per.since, end, by)


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
