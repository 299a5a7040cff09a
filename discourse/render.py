"""Per-command renderers: a command's results as table, CSV, JSON, JSON Lines or Markdown.

Built on :mod:`discourse.formats`; the library never imports this module.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from collections.abc import Sequence

from discourse.api import hit_char_spans
from discourse.formats import (
    clip_left,
    clip_right,
    corrected_basis,
    corrected_cell,
    corrected_title,
    fit_text,
    grid,
    md_escape,
    num,
    num_ci,
    p_text,
    pct,
    pct1_ci,
    pct_ci,
    printable,
    render_records,
    signed_pp,
    sparkline,
    table_text,
    to_json,
)
from discourse.models import ArticleScore
from discourse.scoring import Scorer
from discourse.terminal import highlight, table_width


def provenance_line(meta: dict) -> str:
    parts = []
    if meta.get("lexicon"):
        parts.append(
            f"lexicon {meta['lexicon']} {meta.get('lexicon_version', '')} "
            f"({meta.get('lexicon_hash', '')})"
        )
    if meta.get("model_hash"):
        parts.append(f"model {meta['model_hash']}")
    if "n_articles" in meta:
        parts.append(f"{meta['n_articles']} articles")
    if meta.get("n_sources") is not None:  # groups of a document variable with --by meta:KEY
        kind = f"{meta['group']} groups" if meta.get("group") else "sources"
        parts.append(f"{meta['n_sources']} {kind}")
    first, last = meta.get("date_from"), meta.get("date_to")
    if first or last:
        parts.append(f"{first or '?'} to {last or '?'}")
    if meta.get("method") and (meta["method"] != "lexicon" or meta.get("model_hash")):
        parts.append(f"method {meta['method']}")
    parts.append(f"discourse {meta.get('tool_version', '')}")
    return " · ".join(parts)


# ------------------------------------------------------------------ compare


def _compare_rows(groups: dict, frames: list[str]) -> tuple[list, list]:
    """Per group: prevalence cells and intensity cells, each with its interval."""
    prev_rows, rate_rows = [], []
    for key, per in groups.items():
        n = next(iter(per.values()))["n_articles"]
        prev_rows.append(
            [
                *key,
                n,
                *[
                    pct_ci(per[f]["prevalence"], per[f]["prevalence_lo"], per[f]["prevalence_hi"])
                    for f in frames
                ],
            ]
        )
        rate_rows.append(
            [
                *key,
                n,
                *[
                    num_ci(per[f]["per_1k"], per[f]["per_1k_lo"], per[f]["per_1k_hi"], n=n)
                    for f in frames
                ],
            ]
        )
    return prev_rows, rate_rows


def _tests_section(tests: list[dict], keys: list[str], fmt: str) -> list[str]:
    """The chi-square tests table, with its title."""
    tf = "github" if fmt == "md" else "simple"
    period_keys = [k for k in keys if k != "source"]
    esc = _cells(fmt)
    test_rows = []
    for t in tests:
        stat = f"χ²({t['df']}) = {t['chi2']:.2f}" if t["chi2"] is not None else "–"
        v = f"{t['cramers_v']:.2f}" if t["cramers_v"] is not None else "–"
        test_rows.append(
            [
                *[esc(t[k]) for k in period_keys],
                t["frame"],
                t["groups"],
                stat,
                p_text(t["p_value"]),
                v,
                t["test_note"],
            ]
        )
    title = "Across sources: chi-square test of independence on presence, Cramér's V"
    return [
        ("## " if fmt == "md" else "") + title,
        "",
        grid(
            test_rows,
            headers=[*period_keys, "frame", "sources", "chi-square", "p", "V", "note"],
            tablefmt=tf,
            disable_numparse=True,
        ),
    ]


def render_compare(
    cmp_records: list[dict],
    tests: list[dict],
    frames: list[str],
    by: Sequence[str],
    meta: dict,
    fmt: str,
    raw_csv: bool = False,
    chart: bool = False,
) -> str:
    """The compare output: flat records for machines, matrices and tests for people."""
    if fmt in ("csv", "tsv", "json", "jsonl"):
        prov = {k: meta.get(k) for k in ("lexicon", "lexicon_version", "lexicon_hash")}
        recs = [{**r, **prov} for r in cmp_records] if fmt != "json" else cmp_records
        if fmt == "json":
            return to_json({"meta": meta, "records": recs, "tests": tests}) + "\n"
        return render_records(recs, fmt, raw_csv=raw_csv)
    tf = "github" if fmt == "md" else "simple"
    out = [("# " if fmt == "md" else "") + provenance_line(meta), ""]
    keys = list(by)
    esc = _cells(fmt)
    groups: dict[tuple, dict[str, dict]] = {}
    for r in cmp_records:
        groups.setdefault(tuple(esc(r[k]) for k in keys), {})[r["frame"]] = r
    headers = [*keys, "articles", *frames]
    prev_rows, rate_rows = _compare_rows(groups, frames)
    title = "Prevalence: % of articles with the frame [Wilson 95% CI]"
    out += [
        ("## " if fmt == "md" else "") + title,
        "",
        grid(prev_rows, headers=headers, tablefmt=tf, disable_numparse=True),
        "",
    ]
    title = (
        f"Intensity: hits per 1,000 tokens [bootstrap 95% CI over articles, "
        f"{meta.get('n_boot', '')} resamples]"
    )
    out += [
        ("## " if fmt == "md" else "") + title,
        "",
        grid(rate_rows, headers=headers, tablefmt=tf, disable_numparse=True),
        "",
    ]
    if isinstance(meta.get("corrected_with"), dict):
        out += corrected_section(cmp_records, frames, keys, meta["corrected_with"], fmt)
    out += _tests_section(tests, keys, fmt)
    if chart and keys == ["source"]:
        out += ["", prevalence_chart(cmp_records, frames)]
    return "\n".join(out) + "\n"


def prevalence_chart(records: list[dict], frames: list[str], width: int = 30) -> str:
    """A compact unicode bar chart of prevalence by source, one block per frame."""
    lines = ["Prevalence by source (█ = share of articles, ┤ ├ = 95% interval)"]
    sources = sorted({printable(r["source"]) for r in records})
    sw = max((len(s) for s in sources), default=6)
    for f in frames:
        lines.append(f"  {f}")
        for r in (r for r in records if r["frame"] == f):
            p = r["prevalence"] or 0.0
            lo = r["prevalence_lo"] or 0.0
            hi = r["prevalence_hi"] or 0.0
            cells = [" "] * (width + 2)
            fill = round(p * width)
            for i in range(fill):
                cells[i] = "█"
            a, b = round(lo * width), round(hi * width)
            b = max(b, a + 1)  # both ends stay visible when the interval is one cell wide
            cells[a], cells[b] = "┤", "├"  # drawn over the bar where they fall
            src = printable(r["source"])
            lines.append(f"    {src:<{sw}} {''.join(cells)} {pct(r['prevalence'])}")
    return "\n".join(lines)


# ----------------------------------------------------------------- evidence: shared


def _heading(text: str, fmt: str, level: int = 2) -> str:
    return ("#" * level + " " if fmt == "md" else "") + text


def _cells(fmt: str):
    """How data (source names, periods, terms, sentences) enters a table or heading:
    through the one Markdown escaper for ``md``, as it is otherwise."""
    return _md_cell if fmt == "md" else _as_is


def _md_cell(value):
    return md_escape(value) if isinstance(value, str) else value


def _as_is(value):
    return value


def _evidence_machine(
    records: Sequence[dict], meta: dict, fmt: str, raw_csv: bool, **tables: list[dict]
) -> str | None:
    """csv/jsonl: the records; json: meta, records and extra tables. None for table/md."""
    if fmt == "json":
        return to_json({"meta": meta, "records": list(records), **tables}) + "\n"
    if fmt in ("csv", "tsv", "jsonl"):
        return render_records(records, fmt, raw_csv=raw_csv)
    return None


# ------------------------------------------------------------------------ keyness


def render_keyness(records: list[dict], meta: dict, fmt: str, raw_csv: bool = False) -> str:
    """Keyness: one block per source and n-gram size (terms by z, largest first)."""
    machine = _evidence_machine(records, meta, fmt, raw_csv)
    if machine is not None:
        return machine
    tf = "github" if fmt == "md" else "simple"
    out = [_heading(provenance_line(meta), fmt, 1), meta.get("statistic", ""), ""]
    within = f" — within sentences carrying {meta['frame']}" if meta.get("frame") else ""
    stat = {"chi2": "chi2", "lr": "G2"}.get(meta.get("measure", ""), "z")
    last = ["log-odds", "z"] if stat == "z" else [stat, "p"]
    foot = (
        "z > 1.96: the difference would be unusual by chance (about p < 0.05 each)."
        if stat == "z"
        else f"{stat} > 3.84: the difference would be unusual by chance (p < 0.05 each)."
    )
    blocks: dict[tuple, list[dict]] = {}
    for r in records:
        blocks.setdefault((r["source"], r["vs"], r["ngram"]), []).append(r)
    if not blocks:
        out.append(f"(no key terms: nothing passed --min-count with {stat} > 0)")
    esc = _cells(fmt)
    for (source, vs, n), rows in blocks.items():
        vs_text = "the other sources" if vs == "rest" else esc(vs)
        kind = "words" if n == 1 else "bigrams"
        out.append(_heading(printable(f"{esc(source)} vs {vs_text}: key {kind}{within}"), fmt))
        out.append("")
        table = [
            [
                r["rank"],
                esc(r["term"]),
                r["count"],
                r["count_vs"],
                num(r["per_1k"], 2),
                num(r["per_1k_vs"], 2),
                *_keyness_cells(r, stat),
            ]
            for r in rows
        ]
        headers = ["#", "term", "count", "count vs", "per 1k", "per 1k vs", *last]
        out += [grid(table, headers=headers, tablefmt=tf, disable_numparse=True), ""]
    out.append(foot)
    return _fitted("\n".join(out) + "\n", fmt, ("#", "term"))


def _keyness_cells(r: dict, stat: str) -> list[str]:
    if stat == "z":
        return [num(r["log_odds"], 2), num(r["z"], 2)]
    return [num(r[stat], 2), p_text(r["p"])]


# --------------------------------------------------------------------------- kwic


def render_kwic(
    records: list[dict],
    meta: dict,
    fmt: str,
    color: bool = False,
    width: int | None = None,
    raw_csv: bool = False,
) -> str:
    """Keyword in context: aligned columns, the keyword highlighted on a terminal.

    ``table``: one line per hit — source, date, id, left context right-aligned,
    the keyword (bold reverse when ``color``; plain otherwise, the column shows
    it), the right context — fitted to ``width`` (default: the terminal's).
    ``md``: a table with the keyword in bold. csv/json/jsonl: the records.
    """
    machine = _evidence_machine(records, meta, fmt, raw_csv)
    if machine is not None:
        return machine
    if fmt == "md":
        rows = [
            [
                md_escape(r["source"]),
                r["date"] or "",
                r["id"],
                md_escape(r["left"]),
                f"**{md_escape(r['keyword'])}**",
                md_escape(r["right"]),
            ]
            for r in records
        ]
        head = [_heading(provenance_line(meta), fmt, 1), "", ""]
        table = grid(
            rows,
            headers=["source", "date", "id", "left", "keyword", "right"],
            tablefmt="github",
            disable_numparse=True,
        )
        return "\n".join(head) + (table if rows else "(no matches)") + "\n"
    if not records:
        return "(no matches)\n"
    one_line = ("source", "left", "keyword", "right")
    records = [{**r, **{k: printable(r[k]) for k in one_line}} for r in records]
    width = width or shutil.get_terminal_size((120, 24)).columns
    sw = min(max(len(r["source"]) for r in records), 20)
    iw = max(len(str(r["id"])) for r in records)
    kw = min(max(len(r["keyword"]) for r in records), 30)
    prefix = sw + 1 + 10 + 1 + iw + 2
    ctx = max(20, width - prefix - kw - 4)
    lw = ctx // 2
    rw = ctx - lw
    lines = []
    for r in records:
        word = clip_right(r["keyword"], kw)
        shown = highlight(word, [(0, len(word))], True) if color else word
        lines.append(
            f"{clip_right(r['source'], sw):<{sw}} {r['date'] or '':<10} {r['id']:>{iw}}  "
            f"{clip_left(r['left'].strip(), lw)}  {shown}{' ' * (kw - len(word))}  "
            f"{clip_right(r['right'].strip(), rw)}".rstrip()
        )
    return "\n".join(lines) + "\n"


def _trend_sparklines(rows: list[dict], f: str, n: int, fmt: str) -> list[str]:
    """One frame's block: per source, prevalence and intensity sparklines and departures."""
    out = []
    sources = list(dict.fromkeys(r["source"] for r in rows))
    sw = max(len(s) for s in sources)
    top_rate = max((r["per_1k"] or 0.0 for r in rows), default=0.0)
    out.append(_heading(f, fmt, 3))
    out.append(
        f"  {'':<{sw}}  {'prevalence':<{max(n, 10)}}  {'all':>4}   "
        f"{'per 1k':<{max(n, 6)}}  {'all':>5}"
    )
    for s in sources:
        series = [r for r in rows if r["source"] == s]
        prev = sparkline([r["prevalence"] for r in series])
        rate = sparkline([r["per_1k"] if r["n_articles"] else None for r in series], top_rate)
        k = sum(r["n_present"] for r in series)
        m = sum(r["n_articles"] for r in series)
        h = sum(r["hits"] for r in series)
        t = sum(r["tokens"] for r in series)
        all_prev = pct(k / m if m else None)
        all_rate = num(1000.0 * h / t if t else None)
        out.append(
            f"  {s:<{sw}}  {prev:<{max(n, 10)}}  {all_prev:>4}   {rate:<{max(n, 6)}}  {all_rate:>5}"
        )
        marks = "".join(
            "▲" if r["flag"] == "up" else "▼" if r["flag"] == "down" else " " for r in series
        )
        if marks.strip():
            out.append(f"  {'':<{sw}}  {marks.rstrip()}")
    out.append("")
    return out


def render_trend(
    records: list[dict], meta: dict, fmt: str, chart: bool = True, raw_csv: bool = False
) -> str:
    """Trend: per frame, a sparkline per source (prevalence, intensity), flags, flagged periods.

    ``table``: the chart (unless ``chart`` is False) and a table of the flagged
    periods; ``md``: a full table of every period; csv/json/jsonl: the records.
    """
    machine = _evidence_machine(_group_column(records, meta, fmt), meta, fmt, raw_csv)
    if machine is not None:
        return machine
    tf = "github" if fmt == "md" else "simple"
    periods = meta.get("periods", [])
    out = [_heading(provenance_line(meta), fmt, 1), f"Departures: {meta.get('rule', '')}.", ""]
    if not records:
        return "\n".join([*out, "(no dated articles in the selection)"]) + "\n"
    cols = [
        "source",
        "period",
        "frame",
        "n_articles",
        "n_present",
        "prevalence",
        "per_1k",
        "baseline_rate",
        "p_value",
        "flag",
    ]
    corrected = _trend_corrected(records, meta, fmt)
    if fmt == "md":
        rows = [_trend_row(r, md_escape) for r in records]
        return "\n".join(out) + "\n" + grid(rows, headers=cols, tablefmt=tf) + "\n" + corrected
    frames = list(dict.fromkeys(r["frame"] for r in records))
    if chart:
        by = meta.get("by", "period")
        out.append(
            f"One character per {by}, {periods[0] if periods else ''} to "
            f"{periods[-1] if periods else ''}: ▁…█ = 0–100% of articles (prevalence) or 0 to "
            "the frame's highest rate (hits per 1,000 tokens); · = no articles; "
            "▲ ▼ = departure."
        )
        out.append("")
        for f in frames:
            out += _trend_sparklines([r for r in records if r["frame"] == f], f, len(periods), fmt)
    flagged = [r for r in records if r["flag"]]
    if flagged:
        out.append(_heading("Periods that depart from their trailing baseline", fmt))
        out.append("")
        out.append(grid([_trend_row(r) for r in flagged], headers=cols, tablefmt=tf))
    else:
        out.append("No period departs from its trailing baseline.")
    return _fitted("\n".join(out) + "\n", fmt) + corrected


def _trend_corrected(records: list[dict], meta: dict, fmt: str) -> str:
    """With ``trend --validation``: raw → corrected share per source and period, else ''."""
    corr = meta.get("corrected_with")
    if not isinstance(corr, dict):
        return ""
    frames = list(dict.fromkeys(r["frame"] for r in records))
    shown = [r for r in records if r["n_articles"]]
    return "\n" + "\n".join(corrected_section(shown, frames, ["source", "period"], corr, fmt))


def _trend_row(r: dict, esc=_as_is) -> list:
    return [
        esc(r["source"]),
        esc(r["period"]),
        r["frame"],
        r["n_articles"],
        r["n_present"],
        pct(r["prevalence"]),
        num(r["per_1k"]),
        pct(r["baseline_rate"]),
        p_text(r["p_value"]),
        {"up": "▲ up", "down": "▼ down"}.get(r["flag"], r["note"]),
    ]


# ----------------------------------------------------------------------- pairwise


def pairwise_section(records: list[dict], meta: dict, fmt: str) -> str:
    """The pairwise table with its title (also appended to the compare output)."""
    tf = "github" if fmt == "md" else "simple"
    correction = meta.get("correction", "holm")
    title = "Pairwise differences in prevalence (A − B, percentage points)"
    lines = [_heading(title, fmt), "", meta.get("statistic") or meta.get("pairwise", ""), ""]
    if not records:
        return "\n".join([*lines, "(no pairs: fewer than two sources)"])
    period = [k for k in ("week", "month") if k in records[0]]
    p_adj = {"holm": "p (Holm)", "bh": "p (BH)", "none": "p (uncorr.)"}.get(correction, "p adj")
    esc = _cells(fmt)
    rows = [
        [
            *[esc(r[k]) for k in period],
            r["frame"],
            esc(r["source_a"]),
            esc(r["source_b"]),
            pct(r["prevalence_a"]),
            pct(r["prevalence_b"]),
            f"{signed_pp(r['diff_pp'])} [{signed_pp(r['diff_lo_pp'])}, "
            f"{signed_pp(r['diff_hi_pp'])}]"
            if r["diff_pp"] is not None
            else "–",
            r["test"],
            p_text(r["p_value"]),
            p_text(r["p_adjusted"]),
            r["note"],
        ]
        for r in records
    ]
    headers = [*period, "frame", "A", "B", "A %", "B %", "diff pp [95% CI]", "test", "p", p_adj]
    lines.append(grid(rows, headers=[*headers, "note"], tablefmt=tf, disable_numparse=True))
    return "\n".join(lines)


def render_compare_pairwise(
    cmp_records: list[dict],
    tests: list[dict],
    frames: list[str],
    by: Sequence[str],
    meta: dict,
    fmt: str,
    pairwise: list[dict],
    raw_csv: bool = False,
    chart: bool = False,
) -> str:
    """``compare --pairwise``: the compare output with the pairwise table added.

    table/md: the usual output, then the pairwise section; json: the usual
    object plus ``"pairwise"``; csv/jsonl (one table only): the pairwise rows.
    """
    if fmt == "json":
        return (
            to_json({"meta": meta, "records": cmp_records, "tests": tests, "pairwise": pairwise})
            + "\n"
        )
    if fmt in ("csv", "tsv", "jsonl"):
        prov = {k: meta.get(k) for k in ("lexicon", "lexicon_version", "lexicon_hash")}
        return render_records([{**r, **prov} for r in pairwise], fmt, raw_csv=raw_csv)
    main = render_compare(cmp_records, tests, frames, by, meta, fmt, raw_csv=raw_csv, chart=False)
    out = main.rstrip("\n") + "\n\n" + pairwise_section(pairwise, meta, fmt) + "\n"
    if chart and list(by) == ["source"]:
        out += "\n" + prevalence_chart(cmp_records, frames) + "\n"
    return out


# ------------------------------------------------------------------ lexicon stats


def _never_fire_section(records: list[dict], fmt: str) -> list[str]:
    """Lexicon entries that never fire, wrapped per frame (nothing when every entry fires)."""
    out: list[str] = []
    never: dict[str, list[str]] = {}
    for r in records:
        if r["status"] == "never fires":
            label = _cells(fmt)(r["term"]) + (" (exclude)" if r["kind"] == "exclude" else "")
            never.setdefault(r["frame"], []).append(label)
    if never:
        out += [_heading("Never fire", fmt), ""]
        wrap = max(40, shutil.get_terminal_size((100, 24)).columns - 2) if fmt != "md" else 10**6
        for f, ts in never.items():
            out.append(
                textwrap.fill(
                    f"{f} ({len(ts)}): {', '.join(ts)}",
                    width=wrap,
                    initial_indent="  ",
                    subsequent_indent="      ",
                    break_on_hyphens=False,
                )
            )
        out.append("")
    return out


def _cut_terms(rows: list[list], headers: list[str], width: int | None) -> list[str]:
    """Shorten the term cells (column 1) so that the frame, the term and any one other
    column fit ``width``; returns the note lines saying so (none when nothing was cut)."""
    if width is None or not rows:
        return []
    widths = [max(len(str(v)) for v in col) for col in zip(headers, *rows)]
    cap = max(12, width - (widths[0] + 2) - (max(widths[2:]) + 2))
    if widths[1] <= cap:
        return []
    for r in rows:
        if len(r[1]) > cap:
            r[1] = r[1][: cap - 1].rstrip() + "…"
    return [f"(terms over {cap} characters cut with …; --format csv has them whole)", ""]


def render_lexicon_stats(
    records: list[dict],
    overlap: list[dict],
    meta: dict,
    fmt: str,
    raw_csv: bool = False,
) -> str:
    """Lexicon diagnostics: firing terms, generic terms, never-firing terms, overlaps.

    csv/jsonl: one row per term; json: meta, records and ``overlap``.
    """
    machine = _evidence_machine(records, meta, fmt, raw_csv, overlap=overlap)
    if machine is not None:
        return machine
    tf = "github" if fmt == "md" else "simple"
    terms = [r for r in records if r["kind"] == "term"]
    share = meta.get("generic_share", 0.8)
    out = [
        _heading(provenance_line(meta), fmt, 1),
        f"{len(terms)} terms: {meta.get('never_fire', 0)} never fire, {meta.get('generic', 0)} "
        f"fire in at least {share:.0%} of articles (generic), {meta.get('overlap_spans', 0)} "
        "spans counted for two frames.",
        "",
    ]
    firing = sorted((r for r in records if r["hits"]), key=lambda r: (r["frame"], -r["hits"]))
    out += [_heading("Terms that fire", fmt), ""]
    esc = _cells(fmt)
    rows = [
        [
            r["frame"],
            esc(r["term"]) + (" (exclude)" if r["kind"] == "exclude" else ""),
            r["hits"],
            r["articles"],
            pct(r["article_share"]),
            r["sources"],
            f"{esc(r['top_source'])} ({pct(r['top_source_share'])})" if r["top_source"] else "",
            r["status"],
        ]
        for r in firing
    ]
    headers = ["frame", "term", "hits", "articles", "% articles", "sources", "most in", "status"]
    note = _cut_terms(rows, headers, table_width() if fmt == "table" else None)
    out += [
        grid(rows, headers=headers, tablefmt=tf, disable_numparse=True)
        if rows
        else "(no term fires)",
        "",
        *note,
    ]
    generic = [r for r in records if r["status"] == "generic"]
    if generic:
        out += [_heading(f"Generic: fire in at least {share:.0%} of articles", fmt), ""]
        out += [f"  {r['frame']}: {esc(r['term'])} ({pct(r['article_share'])})" for r in generic]
        out.append("")
    out += _never_fire_section(records, fmt)
    out.append(_heading("Spans counted for two frames", fmt))
    out.append("")
    if overlap:
        rows = [
            [
                o["frame_a"],
                esc(o["term_a"]),
                o["frame_b"],
                esc(o["term_b"]),
                o["spans"],
                o["articles"],
            ]
            for o in overlap
        ]
        out.append(
            grid(
                rows,
                headers=["frame A", "term A", "frame B", "term B", "spans", "articles"],
                tablefmt=tf,
                disable_numparse=True,
            )
        )
    else:
        out.append("(none)")
    return _fitted("\n".join(out) + "\n", fmt, ("frame", "term"))


# ---------------------------------------------------------------- lexicon suggest


def excerpt(text: str, phrase: str, width: int) -> str:
    """About ``width`` characters of ``text`` around the first occurrence of ``phrase``."""
    if len(text) <= width:
        return text
    words = [re.escape(w) for w in phrase.split()]
    m = re.search(r"(?<!\w)" + r"\W+".join(words) + r"(?!\w)", text, re.IGNORECASE)
    if m is None:
        return clip_right(text, width)
    start = max(0, min(m.start() - (width - (m.end() - m.start())) // 2, len(text) - width))
    piece = text[start : start + width]
    if start > 0:
        piece = "…" + piece[1:]
    if start + width < len(text):
        piece = piece[:-1] + "…"
    return piece


def render_suggest(records: list[dict], meta: dict, fmt: str, raw_csv: bool = False) -> str:
    """Candidate terms for a frame, best first, with an example sentence each."""
    machine = _evidence_machine(records, meta, fmt, raw_csv)
    if machine is not None:
        return machine
    tf = "github" if fmt == "md" else "simple"
    out = [
        _heading(provenance_line(meta), fmt, 1),
        f"Candidates for {meta.get('frame')}: {meta.get('sentences_in_frame', 0)} sentences "
        f"with the frame vs {meta.get('sentences_other', 0)} without; {meta.get('statistic', '')}.",
        "Review each one against the codebook before adding it to the lexicon.",
        "",
    ]
    if not records:
        m = meta.get("min_count", 1)
        hint = (
            f" at --min-count {m}; a lower --min-count (e.g. {max(1, m // 2)}) may find some"
            if m > 1 and meta.get("sentences_in_frame")
            else ""
        )
        return "\n".join([*out, f"(no candidates{hint})"]) + "\n"
    ex_width = 70 if fmt != "md" else 200
    esc = _cells(fmt)
    rows = [
        [
            esc(r["candidate"]),
            r["count"],
            r["count_other"],
            num(r["z"], 2),
            r["articles"],
            r["sources"],
            esc(r["in_lexicon"]),
            esc(excerpt(r["example"], r["candidate"], ex_width)),
        ]
        for r in records
    ]
    headers = ["candidate", "in frame", "elsewhere", "z", "articles", "sources", "in lexicon as"]
    out.append(grid(rows, headers=[*headers, "example"], tablefmt=tf, disable_numparse=True))
    return _fitted("\n".join(out) + "\n", fmt, ("candidate",))


# ------------------------------------------------------------- classifier output


def render_evaluation(
    meta_in: dict,
    records: list[dict],
    agreement: list[dict],
    error_rows: list[dict],
    errors: int,
    fmt: str,
    rates: Sequence[dict] = (),
    source_rates: Sequence[dict] = (),
) -> str:
    """``discourse evaluate`` for people: scores per frame, sensitivity and specificity,
    agreement, the worst errors."""
    out: list[str] = []
    md = fmt == "md"
    tf = "github" if md else "simple"
    meta = {**meta_in, "tool_version": meta_in.get("tool_version", "")}
    out += [
        ("# " if md else "") + provenance_line(meta),
        f"{meta_in['n_sentences']} gold sentences from {meta_in['n_docs']} articles "
        f"({meta_in['gold']})",
    ]
    if meta_in.get("in_sample"):
        out.append("!! in-sample: the model was trained on these labels; see its card for CV")
    elif meta_in.get("overlap_with_training") and not meta_in.get("overlap_note"):
        out.append(
            f"!! {meta_in['overlap_with_training']} of these sentences were in the model's "
            "training data: its scores are optimistic"
        )
    out += ["", table_text(records, fmt=tf, floatfmt=".2f")]
    if rates:
        out += rates_section(rates, source_rates, bool(meta_in.get("weighted")), md)
    pairs = [
        a for a in agreement if a["raters"] in ("lexicon-classifier", "lexicon-classifier-gold")
    ]
    if pairs:
        out += ["", ("## " if md else "") + "Agreement between lexicon and classifier", ""]
        out.append(
            table_text(
                [
                    {
                        "frame": a["frame"],
                        "raters": a["raters"],
                        "kappa": a["kappa"],
                        "alpha": a["alpha"],
                        "agree": a["agree"],
                    }
                    for a in pairs
                ],
                fmt=tf,
                floatfmt=".2f",
            )
        )
    if error_rows:
        out += ["", ("## " if md else "") + f"Worst errors (up to {errors} per frame and kind)"]
        for e in error_rows:
            prob = f" p={e['prob']:.2f}" if e["prob"] is not None else ""
            terms = f" [lexicon: {e['lexicon_terms']}]" if e["lexicon_terms"] else ""
            idx = e["sent_idx"]
            where = (
                f"{e['doc_id']}#{idx}" if idx is not None else f"{e['doc_id']} (line {e['line']})"
            )
            out.append(
                f"{e['frame']} · {e['method']} {e['error']}{prob}{terms} · {where}\n    {e['text']}"
            )
    return "\n".join(out) + "\n"


def rates_section(rates: Sequence[dict], source_rates: Sequence[dict], weighted: bool, md: bool):
    """Lines: sensitivity and specificity per frame and method (pooled, then per source)."""
    how = (
        "weighted by the sample design (the file's weights)"
        if weighted
        else "unweighted (no weight column: a census or a simple random sample)"
    )
    out = [
        "",
        ("## " if md else "")
        + f"Sensitivity and specificity, {how} [Wilson 95% CI on the effective n]",
        "",
    ]

    def row(r: dict) -> dict:
        j = r["youden_j"]
        return {
            "frame": r["frame"],
            "method": r["method"],
            **({"source": _cells("md" if md else "")(r["source"])} if r["source"] != "*" else {}),
            "sensitivity": pct1_ci(r["sensitivity"], r["sensitivity_lo"], r["sensitivity_hi"]),
            "specificity": pct1_ci(r["specificity"], r["specificity_lo"], r["specificity_hi"]),
            "sens+spec-1": "–" if j is None else f"{j:.2f}" + (" unstable" if j < 0.2 else ""),
            "positives": r["n_pos"],
            "negatives": r["n_neg"],
        }

    tf = "github" if md else "simple"

    def table(recs: Sequence[dict]) -> str:
        rows = [row(r) for r in recs]
        return grid([list(x.values()) for x in rows], list(rows[0]), tf, disable_numparse=True)

    out.append(table(rates))
    if source_rates:
        out += ["", ("## " if md else "") + "Per source (frames with enough coded positives "
                "and negatives in every source)", ""]  # fmt: skip
        out.append(table(source_rates))
    return out


def corrected_section(
    records: Sequence[dict], frames: Sequence[str], keys: Sequence[str], corr: dict, fmt: str
) -> list[str]:
    """Raw and corrected sentence shares side by side, and what the corrected ones rest on."""
    tf = "github" if fmt == "md" else "simple"
    esc = _cells(fmt)
    groups: dict[tuple, dict[str, dict]] = {}
    for r in records:
        groups.setdefault(tuple(esc(r[k]) for k in keys), {})[r["frame"]] = r
    raw = corr.get("corrects", "sentence_share")
    rows = [
        [*key, *[corrected_cell(per.get(f), raw) for f in frames]] for key, per in groups.items()
    ]
    out = [
        ("## " if fmt == "md" else "") + corrected_title(corr),
        "",
        grid(rows, headers=[*keys, *frames], tablefmt=tf, disable_numparse=True),
        "",
        corrected_basis(corr),
    ]
    if any(r.get("pcc") is not None for r in records):

        def soft(r: dict | None) -> str:
            if r is None or r.get("pcc") is None:
                return "–"
            shown = {"sentence_share": r["pcc"], "corrected": r["pcc_corrected"],
                     "corrected_lo": r["pcc_corrected_lo"], "corrected_hi": r["pcc_corrected_hi"],
                     "corrected_unstable": r["pcc_unstable"]}  # fmt: skip
            return corrected_cell(shown)

        rows = [[*key, *[soft(per.get(f)) for f in frames]] for key, per in groups.items()]
        out += [
            "",
            "Probabilistic version: mean classifier probability → adjusted [95% CI]",
            "",
            grid(rows, headers=[*keys, *frames], tablefmt=tf, disable_numparse=True),
        ]
    out += [f"note: {n}" for n in corr.get("notes", [])]
    return [*out, ""]


# ------------------------------------------------------------------ per command


def render_fetch(report, fmt: str, quiet: bool) -> str:
    """``fetch``: the report as JSON, or one summary line per feed (nothing when quiet)."""
    if fmt == "json":
        return to_json(report.as_dict()) + "\n"
    return "" if quiet else "\n".join(report.summary_lines()) + "\n"


def _meta_text(value) -> str:
    return value if isinstance(value, str) else to_json(value, None)


def render_article(art, fmt: str) -> str:
    """``corpus show``: one article with its metadata and document variables, as text or JSON."""
    from dataclasses import asdict

    if fmt == "json":
        return to_json(asdict(art)) + "\n"
    head = [
        f"id:     {art.id}",
        f"source: {printable(art.source)}",
        f"title:  {printable(str(art.title))}",
        f"date:   {art.date or ''}",
        f"url:    {printable(str(art.url))}",
        f"origin: {printable(str(art.origin))}",
        *[f"meta.{printable(str(k))}: {printable(_meta_text(v))}" for k, v in art.meta.items()],
    ]
    return "\n".join(head) + "\n\n" + art.text + "\n"


def render_tokens(sentences: list[dict], fmt: str) -> str:
    """``tokens``: each sentence with its span and its tokens, as text or JSON."""
    if fmt == "json":
        return to_json(sentences) + "\n"
    lines = []
    for s in sentences:
        lines.append(f"[{s['index']}] {s['start']}-{s['end']}: {s['text']}")
        lines.append("    " + " | ".join(s["tokens"]))
    lines.append(f"{len(sentences)} sentences, {sum(len(s['tokens']) for s in sentences)} tokens")
    return "\n".join(lines) + "\n"


def render_lexicon(lex, frames: dict, one_frame: bool, fmt: str) -> str:
    """``lexicon show``: frames with term counts (and one frame's terms), as text or JSON."""
    from dataclasses import asdict

    if fmt == "json":
        return to_json(
            {
                "name": lex.name,
                "version": lex.version,
                "hash": lex.hash,
                "path": lex.path,
                "frames": {k: _frame_data(asdict(v)) for k, v in frames.items()},
            }
        ) + "\n"  # fmt: skip
    lines = [f"{lex.name} {lex.version} ({lex.hash}) — {lex.path}"]
    if lex.description:
        lines.append(lex.description)
    with_near = any(f.near for f in frames.values())
    rows = [
        {
            "frame": f.name,
            "label": f.label,
            "terms": len(f.terms),
            "exclude": len(f.exclude),
            **({"near": len(f.near)} if with_near else {}),  # only for lexicons with rules
            "examples": len(f.match_examples) + len(f.no_match_examples),
        }
        for f in frames.values()
    ]
    lines += ["", table_text(rows)]
    for f in frames.values() if one_frame else ():
        lines += ["", f"{f.name}: {f.description}", "", "terms: " + ", ".join(f.terms)]
        if f.exclude:
            lines.append("exclude: " + ", ".join(f.exclude))
        for r in f.near:
            lines.append(
                f"near:{r.name}: ({', '.join(r.terms_a)}) within {r.window} tokens of "
                f"({', '.join(r.terms_b)})"
            )
    return "\n".join(lines) + "\n"


def _frame_data(data: dict) -> dict:
    """A frame as JSON: ``near`` only when it has proximity rules (output as before them)."""
    if not data.get("near"):
        data.pop("near", None)
    return data


def render_lexicon_test(results: list, verbose: bool) -> str:
    """``lexicon test``: failing examples (and passing ones if ``verbose``), then a count."""
    lines = []
    for r in results:
        if not r.ok or verbose:
            mark = "ok  " if r.ok else "FAIL"
            why = f" (fired: {', '.join(r.terms)})" if r.terms else " (nothing fired)"
            shown = why if not r.ok or r.terms else ""
            lines.append(f"{mark} {r.frame:<16} {r.kind:<8} {r.sentence}{shown}")
    failed = sum(1 for r in results if not r.ok)
    lines.append(f"{len(results) - failed} passed, {failed} failed")
    return "\n".join(lines) + "\n"


def score_texts(inputs, scorer, fmt: str, by: str, explain: bool, color: bool, raw_csv: bool,
                frames=None, workers: int = 1, dask: str | None = None):  # fmt: skip
    """``score``'s output for opened inputs (:func:`discourse.api.open_selected`), in pieces.

    Streamed PATHs written as CSV, TSV or JSON Lines are scored and rendered by the
    workers (:func:`discourse.stream.stream_rows`); everything else is rendered here
    from the scores (:func:`render_score`). The same text either way. For streamed
    PATHs, the document variables (and the selected sources) are found by a first
    pass over the files when the format shows them (:meth:`~discourse.api.Inputs.meta_keys`).

    Parameters
    ----------
    inputs : Inputs
    scorer : Scorer
    fmt : str
        ``table``, ``csv``, ``tsv``, ``json``, ``jsonl`` or ``md``.
    by, explain, color, raw_csv, frames
        As :func:`render_score`.
    workers : int
    dask : str, optional
        A Dask scheduler's address (or ``local``).

    Returns
    -------
    iterator of str
    """
    from discourse import stream
    from discourse.commands import score_articles

    keys = inputs.meta_keys(fmt in (*stream.ROW_FORMATS, "json"), workers)
    if inputs.store is None and fmt in stream.ROW_FORMATS and not dask:
        rows = stream.Rows(fmt, by, explain, frames or scorer.frames, keys, raw_csv)
        return stream.stream_rows(
            inputs.paths, inputs.sel, scorer, rows, workers, inputs.warn, inputs.ingest_report,
            piece=SCORE_CHUNK,
        )  # fmt: skip
    scores = score_articles(inputs, scorer, by == "sentence" or explain, workers, dask)
    return render_score(scores, scorer, fmt, by, explain, color, raw_csv, frames, keys)


def render_score(
    scores,
    scorer,
    fmt: str,
    by: str,
    explain: bool,
    color: bool,
    raw_csv: bool,
    frames=None,
    meta_keys=(),
):
    """``score``: yields the output in pieces (``--explain`` on a terminal streams per article).

    Per article (or per sentence with ``by="sentence"``) as table, CSV, JSON, JSON Lines
    or Markdown; with ``explain`` and ``table``/``md``, every match highlighted instead.
    ``frames`` narrows the per-frame columns (default: the scorer's frames).
    ``meta_keys``: document variables carried as ``meta.KEY`` columns (not in tables).
    """
    from discourse.stream import score_rows

    frames = frames or scorer.frames
    if explain and fmt in ("table", "md"):
        for sc in scores:
            yield "\n".join(explain_lines(sc, scorer, color)) + "\n"
        return
    rows: list[dict] = []
    columns: list[str] | None = None
    for sc in scores:
        rows.extend(score_rows(sc, frames, scorer, by, explain, meta_keys))
        if fmt in ("csv", "tsv", "jsonl") and len(rows) >= SCORE_CHUNK:
            # written as rows come, so memory does not grow with the corpus
            text, columns = _score_chunk(rows, fmt, columns, raw_csv)
            yield text
            rows = []
    if fmt in ("csv", "tsv", "jsonl"):
        if rows or (fmt != "jsonl" and columns is None):
            yield _score_chunk(rows, fmt, columns, raw_csv)[0]
    elif fmt == "json":
        meta = scorer.provenance()
        yield to_json({"meta": meta, "records": rows}) + "\n"
    else:
        text = render_records(rows, fmt, table_columns=_score_columns(scorer, by, frames))
        yield _fitted(text, fmt, ("id", "source", "date", "sent_idx"))


SCORE_CHUNK = 500  # rows per piece of score's csv/jsonl output


def _score_chunk(rows: list[dict], fmt: str, columns: list[str] | None, raw_csv: bool):
    """(text, columns) of a chunk of score rows: the same text as rendering all at once.

    Every row of a run has the same keys, so the first chunk's give the CSV header,
    which only the first chunk writes.
    """
    if fmt == "jsonl":
        return render_records(rows, "jsonl"), columns
    if columns is None:
        columns = list(rows[0]) if rows else None
        return render_records(rows, fmt, columns=columns, raw_csv=raw_csv), columns
    text = render_records(rows, fmt, columns=columns, raw_csv=raw_csv)
    return text.split("\n", 1)[1], columns  # the header went out with the first chunk


def _score_columns(scorer, by: str, frames) -> list[str]:
    per_frame = "_hits" if scorer.method == "lexicon" else "_present"
    cols = [f"{f}{per_frame}" for f in frames]
    if by == "sentence":
        return ["id", "sent_idx", *cols, "terms"]
    return ["id", "source", "date", "tokens", *cols, "dominant"]


def compare_notes(res) -> list[str]:
    """``compare``: a status line for stderr when the selection was empty."""
    if res.comparison.n_articles == 0:
        return ["no articles in the selection; nothing to compare"]
    group = res.meta.get("group")
    if group:
        return [
            f"grouped by the document variable {group[5:]!r}: the source column holds its "
            f"values (in csv/json: the column {group}); '(none)': articles without it"
        ]
    return []


def _group_column(records: list[dict], meta: dict, fmt: str) -> list[dict]:
    """Records for csv/json/jsonl with ``source`` named after the grouping (``meta:KEY``)."""
    group = meta.get("group")
    if not group or fmt not in ("csv", "json", "jsonl"):
        return records
    return [{(group if k == "source" else k): v for k, v in r.items()} for r in records]


#: Row-label columns a table split to fit the terminal repeats in every block.
ROW_KEYS = ("source", "week", "month", "period", "articles", "frame", "A", "B")


def _fitted(text: str, fmt: str, keys: Sequence[str] = ROW_KEYS) -> str:
    """``table`` output fitted to the terminal's width (:func:`discourse.formats.fit_text`)."""
    return fit_text(text, table_width(), keys) if fmt == "table" else text


def render_compare_result(
    res, fmt: str, raw_csv: bool = False, chart: bool = False, width: int | None = None
) -> str:
    """``compare``: :func:`render_compare`, or :func:`render_compare_pairwise` with pairs.

    ``table`` output is fitted to ``width`` (default: the terminal's, see
    :func:`discourse.terminal.table_width`): wider tables are split into blocks of
    frame columns (:func:`discourse.formats.fit_text`).
    """
    cmp = res.comparison
    records = _group_column(cmp.records, res.meta, fmt)
    args = (records, cmp.tests, cmp.frames, res.by, res.meta, fmt)
    if res.pairs is None:
        text = render_compare(*args, raw_csv=raw_csv, chart=chart)
    else:
        text = render_compare_pairwise(*args, res.pairs, raw_csv=raw_csv, chart=chart)
    if fmt != "table":
        return text
    return fit_text(text, width or table_width(), ROW_KEYS)


def render_train(result, lex, fmt: str, from_lexicon: bool) -> str:
    """``train``: the model card (JSON) or the cross-validation table; '' without CV."""
    from discourse.classifier import CIRCULAR_WARNING, cv_records

    card, cvd = result.card, result.cv
    if fmt == "json":
        return to_json(card) + "\n"
    if cvd is None:
        return ""
    if fmt in ("csv", "tsv", "jsonl"):
        return render_records(cv_records(cvd, numeric=True), fmt)
    head = [
        ("# " if fmt == "md" else "")
        + f"lexicon {lex.name} {lex.version} ({lex.hash}) · model {card['model_hash']}",
        f"{cvd.k}-fold cross-validation grouped by doc_id ({cvd.n_docs} articles, "
        f"{cvd.n_sentences} sentences; seed {cvd.seed}): mean ± SD over folds",
        "",
    ]
    if from_lexicon:
        head.insert(0, "!! " + CIRCULAR_WARNING + "\n")
    return "\n".join(head) + "\n" + render_records(cv_records(cvd), fmt)


def render_eval_result(res, fmt: str, errors: int, raw_csv: bool = False) -> str:
    """``evaluate``: scores against gold (and the worst errors) in any data format."""
    from discourse.classifier import eval_records

    if fmt == "json":
        return to_json(res.to_dict()) + "\n"
    if fmt in ("csv", "tsv", "jsonl"):
        recs = res.errors if errors and fmt != "jsonl" else eval_records(res, numeric=True)
        if fmt == "jsonl" and errors:
            recs = [*recs, *({"record": "error", **e} for e in res.errors)]
        return render_records(recs, fmt, raw_csv=raw_csv)
    return render_evaluation(
        res.meta, eval_records(res), res.agreement, res.errors, errors, fmt,
        res.rates, res.source_rates,
    )  # fmt: skip


def explain_lines(score: ArticleScore, scorer: Scorer, color: bool) -> list[str]:
    """Every matched span highlighted in its sentence, with the frame and term that fired."""
    a = score.article
    head = f"== [{a.id}] {printable(a.source)} · {a.day or 'undated'} · {printable(str(a.title))}"
    counts = ", ".join(f"{f} {fs.hits}" for f, fs in score.frames.items() if fs.hits)
    lines = [
        head,
        f"   {score.n_tokens} tokens, {score.n_sentences} sentences; hits: "
        f"{counts or 'none'}; dominant: {score.dominant or '–'}",
    ]
    by_sent = hit_char_spans(score, scorer)
    sents = {s.index: s for s in score.sentences}
    for idx in sorted(by_sent):
        items = by_sent[idx]
        text = sents[idx].text
        lines.append(
            f"  [{idx}] "
            + highlight(text, [(x, y) for x, y, _, _ in items], color).replace("\n", " ")
        )
        fired: dict[str, list[str]] = {}
        for _, _, f, t in items:
            fired.setdefault(f, []).append(t)
        lines.append("       ← " + "; ".join(f"{f}: {', '.join(ts)}" for f, ts in fired.items()))
    lines.append("")
    return lines


def train_notes(result, fmt: str) -> list[str]:
    """``train``: the status lines for stderr after the output (what was written)."""
    notes = []
    if fmt != "json" and result.cv is None:
        notes.append("no cross-validation (--cv 0): the model's accuracy is unknown")
    if result.paths:
        notes.append("wrote " + ", ".join(result.paths.values()))
    else:
        notes.append("no model written (give -o MODEL to save it)")
    return notes


def kwic_notes(meta: dict) -> list[str]:
    """``kwic``: how many hits are shown when not all are (a sample or ``--limit``)."""
    shown, total = meta["shown"], meta["matches"]
    if total is not None and shown < total:
        return [f"{shown} of {total} hits shown"]
    if meta["truncated"]:
        return [f"first {shown} hits shown (--limit)"]
    return []
