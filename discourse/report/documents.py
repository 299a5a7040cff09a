"""Report documents: Markdown for mail, one self-contained HTML file with charts.

The only module that imports jinja2 and matplotlib, both lazily (inside
functions) so the command line starts fast. Article titles, sentences, source
names and URLs are data from the outside: in HTML they go through Jinja2 with
autoescaping, URLs become links only for ``http``/``https``, and the page
carries a Content-Security-Policy that forbids scripts and network loads; in
Markdown they are backslash-escaped so they never become markup or links.
Charts are SVG drawn by matplotlib's object API (no pyplot, no GUI backend,
no global state), inlined in the page (text as SVG text, escaped by matplotlib).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import logging
import math
import re
import warnings
from collections.abc import Iterator, Sequence
from functools import lru_cache
from importlib import resources

from discourse.formats import (
    corrected_basis,
    corrected_cell,
    corrected_title,
    md_escape,
    num_ci,
    p_text,
    pct,
    pct_ci,
    table_text,
)
from discourse.report.data import ReportData

# colour-blind-safe colours for outlets (Okabe-Ito and Tol), in order; repeats after ten
PALETTE = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#882255",
    "#999933",
    "#44AA99",
    "#AA4499",
)
ALL_COLOR = "#111111"
# no scripts, no network: the page can load nothing, run nothing, submit nothing
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'none'; base-uri 'none'"
)
_SAFE_URL = re.compile(r"^https?://[^\s\"'<>\\`]+$", re.I)


# ------------------------------------------------------------------ helpers


class Data(str):
    """Text that comes from articles, sources or a lexicon file: escaped in Markdown.

    (In HTML everything is escaped by Jinja2 anyway.)"""


def safe_url(url: str | None) -> str | None:
    """``url`` if it is a plain ``http``/``https`` URL, else None (never ``javascript:``)."""
    if not url:
        return None
    u = url.strip()
    return u if _SAFE_URL.match(u) else None


def _md(text) -> str:
    """Markdown for a piece of text: data escaped, our own text as is (one line)."""
    if isinstance(text, Data):
        return md_escape(text)
    return re.sub(r"\s+", " ", str(text))


def colors(sources: Sequence[str]) -> dict[str, str]:
    return {s: c for s, c in zip(sources, itertools.cycle(PALETTE))}


def frame_title(data: ReportData, f: str) -> Data:
    label = data.frame_labels.get(f, f)
    return Data(label if label == f else f"{label} ({f})")


def _pp(x: float | None, unit: bool = True) -> str:
    if x is None:
        return "–"
    return f"{x:+.0f}{' pp' if unit else ''}".replace("-", "−")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _stratum(d: dict, data: ReportData) -> str:
    keys = [b for b in data.by if b != "source"]
    return " · ".join(str(d[k]) for k in keys if d.get(k))


def when(iso: str | None) -> str:
    """``2026-11-28T07:32:56+00:00`` -> ``2026-11-28 07:32 UTC`` (as is when not ISO)."""
    from datetime import datetime, timezone

    try:
        t = datetime.fromisoformat(str(iso))
    except (TypeError, ValueError):
        return str(iso or "")
    if t.tzinfo is not None:
        t = t.astimezone(timezone.utc)
        return t.strftime("%Y-%m-%d %H:%M UTC")
    return t.strftime("%Y-%m-%d %H:%M")


def _window(data: ReportData) -> tuple[int, str]:
    return int(data.trend_meta.get("window") or 0), data.trend_meta.get("by") or "week"


# ---------------------------------------------------------- headline findings
#
# Sentences as runs of (text, strong): the same words in Markdown and HTML.

Runs = list[tuple[str, bool]]


def leader_runs(data: ReportData, lead: dict) -> Runs:
    """One headline sentence: which outlet leads a frame, by how much, and how sure."""
    pre = _stratum(lead, data)
    runs: Runs = []
    if pre:
        runs.append((pre + " · ", True))
    runs += [(frame_title(data, lead["frame"]), True), (": ", False)]
    if lead["none"]:
        return [*runs, ("no outlet used this frame in the period.", False)]
    ci = pct_ci(lead["prevalence"], lead["prevalence_lo"], lead["prevalence_hi"])
    names = lead["leaders"]
    if len(names) > 1:
        for i, n in enumerate(names):
            if i:
                runs.append((" and " if i == len(names) - 1 else ", ", False))
            runs.append((Data(n), True))
        same_n = len({r["n_articles"] for r in data.records if r["source"] in names}) == 1
        each = f", {lead['n_present']} of {_plural(lead['n_articles'], 'article')} each"
        return [*runs, (f" lead together: {ci}{each if same_n else ''}.", False)]
    frac = f"{lead['n_present']} of {_plural(lead['n_articles'], 'article')}"
    runs += [(Data(names[0]), True), (f" leads with {ci} ({frac})", False)]
    if lead["runner_up"] is None:
        if lead["sources"] == 1:
            return [*runs, ("; it is the only outlet in the period.", False)]
        return [*runs, ("; no other outlet used the frame.", False)]
    rci = pct_ci(lead["runner_up_prevalence"], lead["runner_up_lo"], lead["runner_up_hi"])
    others = lead.get("runner_ups") or [lead["runner_up"]]
    runs.append(("; next ", False))
    if len(others) > 3:
        runs.append((f"{len(others)} outlets", True))
    else:
        for i, n in enumerate(others):
            if i:
                runs.append((" and " if i == len(others) - 1 else ", ", False))
            runs.append((Data(n), True))
    runs.append((f" with {rci}" + (" each" if len(others) > 1 else "") + ".", False))
    if lead["diff_pp"] is not None:
        diff = (
            f"{_pp(lead['diff_pp'])} "
            f"[{_pp(lead['diff_lo_pp'], False)} to {_pp(lead['diff_hi_pp'], False)}]"
        )
        p = p_text(lead["p_adjusted"])
        k = lead["sources"]
        pairs = _plural(k * (k - 1) // 2, "pair")
        runs.append(
            (
                f" Difference {diff}; p {'' if '<' in p else '= '}{p} after Holm correction "
                f"over the {pairs} of outlets: ",
                False,
            )
        )
        runs.append(("a clear lead." if lead["clear"] else "not a clear lead.", lead["clear"]))
    return runs


def change_runs(data: ReportData, c: dict) -> Runs:
    """One headline sentence: a frame that departed from its trailing baseline."""
    who = "All outlets" if c["source"] == "all sources" else Data(c["source"])
    window, unit = _window(data)
    p = p_text(c.get("p_adjusted", c["p_value"]))
    how = " (Holm-adjusted)" if "p_adjusted" in c else ""
    return [
        (f"{c['period']} · ", False),
        (who, True),
        (" · ", False),
        (frame_title(data, c["frame"]), False),
        (": ", False),
        ("▲ up" if c["flag"] == "up" else "▼ down", True),
        (
            f" — {c['n_present']} of {_plural(c['n_articles'], 'article')} "
            f"({pct(c['prevalence'])}) against {pct(c['baseline_rate'])} in the previous "
            f"{_plural(window, unit)} ({_plural(c['baseline_articles'], 'article')}); "
            f"p {'' if '<' in p else '= '}{p}{how}.",
            False,
        ),
    ]


def baseline_rows(data: ReportData) -> list[list]:
    """All outlets pooled: each frame in the period against its trailing baseline."""
    rows = []
    for r in data.baseline:
        change = {"up": "▲ up", "down": "▼ down"}.get(r["flag"], "")
        rows.append(
            [
                frame_title(data, r["frame"]),
                r["period"],
                f"{r['n_present']}/{r['n_articles']} ({pct(r['prevalence'])})"
                if r["n_articles"]
                else "no articles",
                f"{pct(r['baseline_rate'])} of {r['baseline_articles']}"
                if r["baseline_articles"]
                else "–",
                p_text(r["p_value"] if r.get("p_adjusted") is None else r["p_adjusted"]),
                change or r.get("note") or "no departure",
            ]
        )
    return rows


def baseline_headers(data: ReportData) -> list[str]:
    window, unit = _window(data)
    p = "p (Holm)" if any(r.get("p_adjusted") is not None for r in data.baseline) else "p"
    return ["frame", "period", "this period", f"previous {_plural(window, unit)}", p, "change"]


def comparison_rows(data: ReportData) -> tuple[list[str], list[list], list[list], list[list]]:
    """Headers, prevalence rows, intensity rows, test rows (display strings)."""
    keys = list(data.by)
    groups: dict[tuple, dict[str, dict]] = {}
    for r in data.records:
        groups.setdefault(tuple(r[k] for k in keys), {})[r["frame"]] = r
    headers = [*keys, "articles", *data.frames]
    prev, rate = [], []
    for key, per in groups.items():
        n = next(iter(per.values()))["n_articles"]
        cells_p, cells_r = [], []
        for f in data.frames:
            r = per.get(f)
            cells_p.append(
                pct_ci(r["prevalence"], r["prevalence_lo"], r["prevalence_hi"]) if r else "–"
            )
            cells_r.append(num_ci(r["per_1k"], r["per_1k_lo"], r["per_1k_hi"], n=n) if r else "–")
        lead = [Data(v) if k == "source" else v for k, v in zip(keys, key)]
        prev.append([*lead, n, *cells_p])
        rate.append([*lead, n, *cells_r])
    pkeys = [k for k in keys if k != "source"]
    tests = []
    for t in data.tests:
        stat = f"χ²({t['df']}) = {t['chi2']:.2f}" if t["chi2"] is not None else "–"
        v = f"{t['cramers_v']:.2f}" if t["cramers_v"] is not None else "–"
        tests.append(
            [*[t[k] for k in pkeys], t["frame"], t["groups"], stat, p_text(t["p_value"]), v]
            + [t["test_note"]]
        )
    return headers, prev, rate, tests


def test_headers(data: ReportData) -> list[str]:
    return [*[k for k in data.by if k != "source"], "frame", "outlets", "chi-square", "p", "V"] + [
        "note"
    ]


def provenance_items(data: ReportData) -> list[tuple[str, str]]:
    p = data.provenance
    in_period = f"{p['articles_in_period']} from {_plural(p['sources_in_period'], 'outlet')}"
    if p.get("articles_from"):
        in_period += f" ({p['articles_from']} to {p['articles_to']})"
    corpus = f"{p['corpus_articles']} articles from {_plural(p['corpus_sources'], 'outlet')}"
    if p.get("corpus_from"):
        corpus += f", {p['corpus_from']} to {p['corpus_to']}"
    items: list[tuple[str, str]] = [
        ("Period", p["period_description"]),
        ("Articles in the period", in_period),
        ("Corpus", corpus),
        ("Store", Data(p["store"])),
        (
            "Lexicon",
            Data(f"{p['lexicon']} {p['lexicon_version']} (sha256 {p['lexicon_sha256']})"),
        ),
        ("Model", Data(p["model_hash"]) if p.get("model_hash") else "none (lexicon only)"),
        (
            "Statistics",
            "Wilson 95% intervals for prevalence; bootstrap 95% intervals over articles for "
            f"intensity ({p['n_boot']} resamples, seed {p['seed']}); chi-square test with "
            "Cramér's V across outlets; leader against runner-up: Newcombe interval, "
            "Holm-adjusted p",
        ),
        ("Trend rule", p.get("trend_rule") or "–"),
        (
            "Scoring work",
            f"{data.score_stats.scored} articles scored, {data.score_stats.cached} read from "
            "the score cache",
        ),
        ("Generated", f"{when(p['generated_at'])} by discourse {p['tool_version']}"),
    ]
    if p.get("undated_left_out"):
        items.insert(2, ("Undated articles left out", str(p["undated_left_out"])))
    return items


def empty_text(data: ReportData) -> str:
    p = data.provenance
    text = f"There is nothing to compare. The store holds {p['corpus_articles']} articles"
    if p.get("corpus_from"):
        text += f" from {p['corpus_from']} to {p['corpus_to']}"
    return text + "."


# ------------------------------------------------------------------ Markdown


def _md_runs(runs: Runs) -> str:
    out = []
    for strong, group in itertools.groupby(runs, key=lambda r: r[1]):
        text = "".join(_md(t) for t, _ in group)
        if strong:
            core = text.strip()
            text = text.replace(core, f"**{core}**", 1) if core else text
        out.append(text)
    return "".join(out)


def _md_cell(c) -> str:
    return _md(c).replace("|", "\\|") if not isinstance(c, Data) else md_escape(c)


def _md_table(headers: Sequence[str], rows: Sequence[Sequence]) -> str:
    cols = list(range(len(headers)))
    recs = [dict(zip(cols, (_md_cell(c) for c in r))) for r in rows]
    return table_text(recs, columns=cols, fmt="github", headers=[_md_cell(h) for h in headers])


def corrected_rows(data: ReportData) -> tuple[list[str], list[list]]:
    """Headers and rows of raw → corrected sentence shares (empty without ``--validation``)."""
    if not data.compare_meta.get("corrected_with"):
        return [], []
    keys = list(data.by)
    groups: dict[tuple, dict[str, dict]] = {}
    for r in data.records:
        groups.setdefault(tuple(r[k] for k in keys), {})[r["frame"]] = r
    raw = data.compare_meta["corrected_with"].get("corrects", "sentence_share")
    rows = [
        [*[Data(v) if k == "source" else v for k, v in zip(keys, key)],
         *[corrected_cell(per.get(f), raw) for f in data.frames]]
        for key, per in groups.items()
    ]  # fmt: skip
    return [*keys, *data.frames], rows


def corrected_md(data: ReportData) -> list[str]:
    """Raw and corrected sentence shares side by side (with ``--validation``), else nothing."""
    headers, rows = corrected_rows(data)
    if not headers:
        return []
    corr = data.compare_meta["corrected_with"]
    out = [f"### {corrected_title(corr)}", "", _md_table(headers, rows), ""]
    out += [md_escape(corrected_basis(corr)), ""]
    return out + [f"> Note: {md_escape(n)}" for n in corr.get("notes", [])] + [""]


def _md_evidence(data: ReportData) -> list[str]:
    """Distinctive terms per outlet, then example sentences per frame and outlet."""
    out: list[str] = []
    for src in data.sources:
        terms = data.keyness.get(src, [])
        shown = ", ".join(
            (f"**{md_escape(t['term'])}**" if t["distinctive"] else md_escape(t["term"]))
            + f" (z {t['z']:.1f})"
            for t in terms
        )
        out.append(f"- **{md_escape(src)}**: {shown or 'no distinctive terms (too few words)'}")
    out += [
        "",
        "### Example sentences",
        "",
        "Matches of the frame's terms are in **bold**.",
        "",
    ]
    for f in data.frames:
        exs = [e for e in data.examples if e["frame"] == f]
        out += [f"#### {_md(frame_title(data, f))}", ""]
        if not exs:
            out += ["No sentence in the period carries this frame.", ""]
        for src in data.sources:
            mine = [e for e in exs if e["source"] == src]
            if not mine:
                continue
            out += [f"**{md_escape(src)}**", ""]
            for i, e in enumerate(mine, 1):
                text = "".join(
                    f"**{md_escape(seg['text'])}**" if seg["mark"] else md_escape(seg["text"])
                    for seg in e["segments"]
                )
                url = safe_url(e["url"])
                meta = f"{md_escape(e['title'] or 'untitled')}, {e['date'] or 'undated'}"
                out.append(f"{i}. {text}  ")
                out.append(f"   — _{meta}_" + (f" <{url}>" if url else ""))
            out.append("")
    return out


def render_markdown(data: ReportData) -> str:
    """The report for a mail client: headline findings first, then the comparison table,
    then the evidence (distinctive terms, example sentences with matches in **bold**),
    the articles and the provenance."""
    p = data.provenance
    window, unit = _window(data)
    out = [f"# {_md(data.title)}", ""]
    out += [
        f"{p['articles_in_period']} articles from {_plural(p['sources_in_period'], 'outlet')}"
        f" · lexicon {md_escape(p['lexicon'])} {md_escape(p['lexicon_version'])}"
        f" ({p['lexicon_hash']}) · generated {when(p['generated_at'])}",
        "",
    ]
    if data.empty:
        out += [f"**No articles in {_md(data.period.phrase)}.** {empty_text(data)}", ""]
    else:
        out += [f"> Note: {md_escape(n)}" for n in data.notes]
        out += [""] if data.notes else []

    out += ["## Headline findings", ""]
    if data.leaders:
        out += [
            "**Which outlet leads each frame** (share of its articles with the frame, "
            "Wilson 95% interval):",
            "",
        ]
        out += [f"- {_md_runs(leader_runs(data, lead))}" for lead in data.leaders]
        out.append("")
    out += [f"**What changed against the previous {_plural(window, unit)}:**", ""]
    if data.empty:
        out.append("- Nothing to compare: no articles in this period.")
    elif data.changes:
        out += [f"- {_md_runs(change_runs(data, c))}" for c in data.changes]
    else:
        out.append(f"- No frame departed from its trailing {window}-{unit} baseline.")
    out.append("")
    if data.baseline and not data.empty:
        out += ["All outlets together:", ""]
        out += [_md_table(baseline_headers(data), baseline_rows(data)), ""]
    out += [f"_Rule: {_md(data.trend_meta.get('rule') or '')}._", ""]

    if not data.empty:
        headers, prev, rate, tests = comparison_rows(data)
        out += [
            "## Comparison",
            "",
            "### Prevalence: % of articles with the frame [Wilson 95% CI]",
            "",
            _md_table(headers, prev),
            "",
            "### Intensity: hits per 1,000 tokens "
            f"[bootstrap 95% CI over articles, {p['n_boot']} resamples]",
            "",
            _md_table(headers, rate),
            "",
            *corrected_md(data),
            "### Across outlets: chi-square test of independence on presence, Cramér's V",
            "",
            _md_table(test_headers(data), tests),
            "",
            "## Evidence",
            "",
            "### Distinctive terms per outlet",
            "",
            "Log-odds ratio with informative Dirichlet prior, each outlet against the others; "
            "**bold** terms reach z ≥ 1.96, the others are the strongest candidates.",
            "",
        ]
        out += _md_evidence(data)
        out += [f"## Articles ({len(data.articles)})", ""]
        rows = [
            [a["date"] or "", Data(a["source"]), Data(a["title"] or "untitled"), a["dominant"]]
            for a in data.articles
        ]
        out += [_md_table(["date", "outlet", "title", "dominant frame"], rows), ""]
    out += ["## Provenance", ""]
    out += [f"- {k}: {_md(v)}" for k, v in provenance_items(data)]
    out.append("")
    return "\n".join(out)


# ------------------------------------------------------------------- charts


@contextlib.contextmanager
def _matplotlib() -> Iterator[None]:
    """Quiet matplotlib's logger (cache-folder and font-cache notices would break ``-q``)
    and set the chart style for the duration."""
    log = logging.getLogger("matplotlib")
    old = log.level
    log.setLevel(logging.ERROR)
    try:
        import matplotlib

        style = {
            "svg.fonttype": "none",  # text as <text> (escaped by matplotlib), not glyph paths
            "svg.hashsalt": "discourse",
            "text.parse_math": False,
            "text.usetex": False,
            "font.family": "sans-serif",
            "font.size": 10,
            "xtick.labelsize": 9.5,
            "ytick.labelsize": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.edgecolor": "#555555",
            "xtick.color": "#333333",
            "ytick.color": "#333333",
        }
        with (
            matplotlib.rc_context({k: v for k, v in style.items() if k in matplotlib.rcParams}),
            warnings.catch_warnings(),
        ):
            # No font that ships has every script's glyphs (CJK, Hangul ...). Text stays
            # SVG text, drawn by the reader's fonts; only the width estimate is off, so the
            # missing-glyph warning (mailed by cron from ``report -q``) is noise here.
            warnings.filterwarnings(
                "ignore", message=r"Glyph \d+ .* missing from", category=UserWarning
            )
            yield
    finally:
        log.setLevel(old)


def _short(s: str, n: int = 26) -> str:
    s = " ".join(str(s).split())
    return s if len(s) <= n else s[: n - 1] + "…"


_ID_RE = re.compile(r'\bid="([^"]+)"')


def _svg(fig, prefix: str, label: str) -> str:
    """Figure -> inline ``<svg>`` text: no XML prolog, unique ids, scales with its container."""
    from markupsafe import escape

    buf = io.StringIO()
    fig.set_layout_engine(None)  # laid out already (tight_layout): savefig draws once
    fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    ids = set(_ID_RE.findall(svg))
    for old in sorted(ids, key=len, reverse=True):
        new = f"{prefix}-{old}"
        svg = svg.replace(f'id="{old}"', f'id="{new}"')
        svg = svg.replace(f'"#{old}"', f'"#{new}"').replace(f"url(#{old})", f"url(#{new})")
    head_end = svg.index(">")
    head = svg[:head_end]
    head = re.sub(r'\s(width|height)="[^"]*"', "", head)
    head += f' class="chart" role="img" aria-label="{escape(label)}"'
    return head + svg[head_end:]


def prevalence_chart(data: ReportData, frame: str, cmap: dict[str, str], prefix: str) -> str:
    """Horizontal bars: share of each outlet's articles with the frame, Wilson interval bars."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    rows = [r for r in data.records if r["frame"] == frame and r["n_articles"]]
    if "source" in data.by and len(data.by) > 1:
        return ""
    rows.sort(key=lambda r: data.sources.index(r["source"]))
    n = len(rows)
    fig = Figure(figsize=(4.8, 0.32 * n + 0.5))
    ax = fig.subplots()
    ys = list(range(n))[::-1]
    vals = [100 * (r["prevalence"] or 0.0) for r in rows]
    lo = [v - 100 * (r["prevalence_lo"] or 0.0) for v, r in zip(vals, rows)]
    hi = [100 * (r["prevalence_hi"] or 0.0) - v for v, r in zip(vals, rows)]
    ax.barh(ys, vals, height=0.62, color=[cmap[r["source"]] for r in rows], alpha=0.85)
    ax.errorbar(vals, ys, xerr=[lo, hi], fmt="none", ecolor="#222222", elinewidth=1, capsize=3)
    ax.set_yticks(ys, labels=[_short(r["source"]) for r in rows])
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0)
    for y, r in zip(ys, rows):
        ax.text(
            101.5,
            y,
            f"{r['n_present']}/{r['n_articles']}",
            va="center",
            fontsize=9,
            color="#444444",
            clip_on=False,
        )
    fig.tight_layout(pad=0.36)
    label = f"{frame_title(data, frame)}: share of articles by outlet, with 95% intervals"
    return _svg(fig, prefix, label)


def _tick_labels(periods: list[str]) -> list[str]:
    """``W35`` or ``11`` per period; the year under the first label and where it changes."""
    out, year = [], None
    for p in periods:
        y, rest = p[:4], p[5:]
        out.append(rest if y == year else f"{rest}\n{y}")
        year = y
    return out


def _trend_series(data: ReportData, frame: str) -> tuple[dict[str, list[float]], set]:
    """Per source, the frame's prevalence (%) per chart period (NaN: no articles); and the
    (source, period index, flag) of the listed changes (Holm-adjusted, as in the text)."""
    idx = {p: i for i, p in enumerate(data.trend_periods)}
    series: dict[str, list[float]] = {}
    for r in data.trend:
        if r["frame"] != frame or r["period"] not in idx:
            continue
        ys = series.setdefault(r["source"], [math.nan] * len(idx))
        if r["prevalence"] is not None:
            ys[idx[r["period"]]] = 100 * r["prevalence"]
    flags = {
        (c["source"], idx[c["period"]], c["flag"])
        for c in data.changes
        if c["frame"] == frame and c["period"] in idx
    }
    return series, flags


def _trend_figure(data: ReportData, outlets: Sequence[str], cmap: dict[str, str]):
    """The trend chart's frame-independent part, laid out once: one panel per outlet (its
    title, the axes' ticks and limits), the report's period shaded. Returns (fig, axes)."""
    from matplotlib.figure import Figure

    periods = data.trend_periods
    ncols = min(3, max(1, len(outlets)))
    nrows = max(1, math.ceil(len(outlets) / ncols))
    fig = Figure(figsize=(6.0, 1.45 * nrows + 0.35))
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    focus = [i for i, p in enumerate(periods) if p in data.focus_periods]
    step = max(1, math.ceil(len(periods) / 4))
    ticks = list(range(len(periods)))[::-1][::step][::-1]
    for k, ax in enumerate(axes):
        if k >= len(outlets):
            ax.set_visible(False)
            continue
        if focus:
            ax.axvspan(min(focus) - 0.5, max(focus) + 0.5, color="#fff1b8", zorder=0, lw=0)
        ax.set_title(_short(outlets[k], 30), fontsize=9, loc="left", color="#333333")
        ax.set_ylim(-4, 104)
        ax.set_yticks([0, 50, 100], labels=["0%", "50%", "100%"])
        ax.set_xticks(ticks, labels=_tick_labels([periods[i] for i in ticks]))
        ax.set_xlim(-0.6, len(periods) - 0.4)
        ax.grid(axis="y", color="#e3e3e3", linewidth=0.6)
        ax.set_axisbelow(True)
    fig.tight_layout(pad=0.3, h_pad=0.6, w_pad=0.6)
    return fig, axes


def trend_chart(
    data: ReportData,
    frame: str,
    cmap: dict[str, str],
    prefix: str,
    figures: dict | None = None,
) -> str:
    """Small multiples: one panel per outlet (its colour) over all outlets (grey), so that
    the lines never tangle; the report's period shaded, listed changes marked ▲/▼.

    ``figures`` (outlets -> figure) lets the frames of one report share the panels, which
    are the same for every frame: only the lines are drawn anew (they are removed after).
    """
    periods = data.trend_periods
    if not periods:
        return ""
    series, flags = _trend_series(data, frame)
    everyone = series.pop("all sources", None)
    outlets = tuple([s for s in cmap if s in series] + sorted(set(series) - set(cmap)))
    figures = {} if figures is None else figures
    if outlets not in figures:
        figures[outlets] = _trend_figure(data, outlets, cmap)
    fig, axes = figures[outlets]
    x = list(range(len(periods)))
    drawn = []
    for ax, src in zip(axes, outlets):
        if everyone is not None:
            drawn += ax.plot(x, everyone, color=ALL_COLOR, lw=1.0, alpha=0.45, zorder=2)
        color = cmap.get(src, "#888888")
        drawn += ax.plot(x, series[src], color=color, lw=1.6, marker="o", ms=2.6, zorder=3)
        for who, i, flag in flags:
            if who in (src, "all sources"):
                y = (series[src] if who == src else everyone)[i]
                drawn.append(ax.scatter([i], [y], marker="^" if flag == "up" else "v", s=55,
                             zorder=6, color=color if who == src else ALL_COLOR,
                             edgecolors="#000000", linewidths=0.8))  # fmt: skip
    label = (
        f"{frame_title(data, frame)}: share of articles per {_window(data)[1]}, "
        "one panel per outlet over all outlets (grey)"
    )
    try:
        return _svg(fig, prefix, label)
    finally:
        for artist in drawn:
            artist.remove()


# --------------------------------------------------------------------- HTML


def _package_text(name: str) -> str:
    """A template file shipped in the package (``discourse/report/templates/``)."""
    return resources.files("discourse.report").joinpath("templates", name).read_text("utf-8")


@lru_cache(maxsize=1)
def _template():
    from jinja2 import Environment, StrictUndefined

    env = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)
    return env.from_string(_package_text("report.html.j2"))


def render_html(data: ReportData) -> str:
    """One self-contained HTML file: findings, charts (inline SVG), tables, evidence, provenance."""
    from markupsafe import Markup

    cmap = colors(data.sources + sorted({r["source"] for r in data.trend} - set(data.sources)))
    cmap.pop("all sources", None)
    prevalence_charts, trend_charts = [], []
    with _matplotlib():
        if not data.empty:
            for i, f in enumerate(data.frames):
                svg = prevalence_chart(data, f, cmap, f"p{i}")
                if svg:
                    prevalence_charts.append({"caption": frame_title(data, f), "svg": Markup(svg)})
        if any(r["n_articles"] for r in data.trend):
            figures: dict = {}  # the frames share the panels
            for i, f in enumerate(data.frames):
                svg = trend_chart(data, f, cmap, f"t{i}", figures)
                if svg:
                    trend_charts.append({"caption": frame_title(data, f), "svg": Markup(svg)})
    headers, prev, rate, tests = comparison_rows(data)
    corr_headers, corr_rows = corrected_rows(data)
    corr = data.compare_meta.get("corrected_with") or {}
    window, unit = _window(data)
    example_frames = []
    for f in data.frames:
        outlets = []
        for src in data.sources:
            exs = [
                {**e, "link": safe_url(e["url"])}
                for e in data.examples
                if e["frame"] == f and e["source"] == src
            ]
            if exs:
                outlets.append((src, exs))
        example_frames.append({"title": frame_title(data, f), "outlets": outlets})
    legend_sources = [s for s in cmap if any(r["source"] == s for r in data.trend)]
    return _template().render(
        title=data.title,
        corrected_title=corrected_title(corr),
        corrected_headers=corr_headers,
        corrected_rows=corr_rows,
        corrected_basis=corrected_basis(corr) if corr else "",
        corrected_notes=corr.get("notes", []),
        generated=when(data.provenance.get("generated_at")),
        css=Markup(_package_text("report.css")),
        prov=data.provenance,
        period=data.period.phrase,
        n_outlets=_plural(data.provenance["sources_in_period"], "outlet"),
        empty=data.empty,
        notes=[] if data.empty else data.notes,
        leaders=[leader_runs(data, lead) for lead in data.leaders],
        changes=[change_runs(data, c) for c in data.changes],
        baseline_headers=baseline_headers(data),
        baseline_rows=baseline_rows(data),
        baseline_num_cols={1, 2, 3, 4},
        window_text=_plural(window, unit),
        window_dash=f"{window}-{unit}",
        empty_text=empty_text(data),
        unit=unit,
        rule=data.trend_meta.get("rule") or "",
        prevalence_charts=prevalence_charts,
        trend_charts=trend_charts,
        legend=[(s, cmap[s]) for s in legend_sources],
        all_color=ALL_COLOR,
        headers=headers,
        prev_rows=prev,
        rate_rows=rate,
        test_headers=test_headers(data),
        test_rows=tests,
        num_cols=set(range(len(data.by), len(headers))),
        test_num_cols={len(data.by) + i for i in range(4)},
        csp=CSP,
        keyness=[(s, data.keyness.get(s, [])) for s in data.sources],
        example_frames=example_frames,
        articles=[{**a, "link": safe_url(a["url"])} for a in data.articles],
        provenance=provenance_items(data),
    )
