"""Rendering: terminal tables (tabulate), CSV, JSON, JSON Lines, Markdown; sole user of tabulate.

Rules: JSON is strict (no NaN or Infinity: missing values are ``null``); CSV
cells that a spreadsheet would run as a formula are neutralized unless
``raw_csv``; colour only on a terminal and never when ``NO_COLOR`` is set.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import sys
from collections.abc import Iterable, Sequence
from typing import IO, Any

from tabulate import tabulate

DATA_FORMATS = ("table", "csv", "json", "jsonl", "md")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# ------------------------------------------------------------------- primitives


def clean(value: Any) -> Any:
    """Make a value JSON-safe: NaN/Inf -> None, recursively."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def to_json(obj: Any, indent: int | None = 2) -> str:
    return json.dumps(clean(obj), ensure_ascii=False, indent=indent, allow_nan=False)


def safe_cell(value: Any) -> Any:
    """Neutralize a text cell a spreadsheet would treat as a formula (prefix a quote)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_text(
    records: Sequence[dict], columns: Sequence[str] | None = None, raw: bool = False
) -> str:
    cols = list(columns) if columns else _columns(records)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in records:
        row = []
        for c in cols:
            v = r.get(c)
            v = "" if v is None else v
            if isinstance(v, float) and not math.isfinite(v):
                v = ""
            row.append(v if raw else safe_cell(v))
        w.writerow(row)
    return buf.getvalue()


def _columns(records: Sequence[dict]) -> list[str]:
    cols: list[str] = []
    seen = set()
    for r in records:
        for k in r:
            if k not in seen:
                seen.add(k)
                cols.append(k)
    return cols


def table_text(
    records: Sequence[dict],
    columns: Sequence[str] | None = None,
    fmt: str = "simple",
    floatfmt: str = ".3g",
    headers: Sequence[str] | None = None,
) -> str:
    if not records:
        return "(no rows)"
    cols = list(columns) if columns else _columns(records)
    rows = [[_cell(r.get(c)) for c in cols] for r in records]
    return tabulate(
        rows, headers=list(headers or cols), tablefmt=fmt, floatfmt=floatfmt, disable_numparse=False
    )


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, float) and not math.isfinite(v):
        return ""
    return v


def render_records(
    records: Sequence[dict],
    fmt: str,
    columns: Sequence[str] | None = None,
    meta: dict | None = None,
    raw_csv: bool = False,
    table_columns: Sequence[str] | None = None,
) -> str:
    """Render flat records in a data format (``table|csv|json|jsonl|md``)."""
    if fmt == "csv":
        return csv_text(records, columns, raw=raw_csv)
    if fmt == "json":
        return to_json({"meta": meta or {}, "records": list(records)}) + "\n"
    if fmt == "jsonl":
        return "".join(to_json(r, indent=None) + "\n" for r in records)
    if fmt == "md":
        return table_text(records, table_columns or columns, fmt="github") + "\n"
    return table_text(records, table_columns or columns) + "\n"


def write(text: str, out: IO[str] | None = None) -> None:
    out = out or sys.stdout
    try:
        out.write(text)
        out.flush()
    except BrokenPipeError:  # e.g. piped into head
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(0) from None


# ----------------------------------------------------------------------- colour


def use_color(stream: IO[str] | None = None) -> bool:
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def highlight(text: str, spans: Iterable[tuple[int, int]], color: bool) -> str:
    """Mark character spans: bold reverse on a terminal, ``[[...]]`` otherwise."""
    out, pos = [], 0
    for a, b in sorted(spans):
        if a < pos:
            continue
        out.append(text[pos:a])
        seg = text[a:b]
        out.append(f"\x1b[1;7m{seg}\x1b[0m" if color else f"[[{seg}]]")
        pos = b
    out.append(text[pos:])
    return "".join(out)


# ------------------------------------------------------------------- progress


class Progress:
    """A one-line progress counter on stderr, only on a terminal and when not quiet."""

    def __init__(self, label: str, total: int | None = None, enabled: bool | None = None) -> None:
        self.label = label
        self.total = total
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._shown = False

    def __call__(self, done: int) -> None:
        if not self.enabled:
            return
        if self.total:
            pct = 100 * done / self.total
            width = 30
            fill = int(width * min(done, self.total) / self.total)
            bar = "█" * fill + "░" * (width - fill)
            msg = f"\r{self.label} {bar} {done}/{self.total} ({pct:.0f}%)"
        else:
            msg = f"\r{self.label} {done}"
        sys.stderr.write(msg)
        sys.stderr.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


# --------------------------------------------------------------- formatting


def pct(x: float | None, digits: int = 0) -> str:
    return "–" if x is None else f"{100 * x:.{digits}f}%"


def pct_ci(x: float | None, lo: float | None, hi: float | None) -> str:
    if x is None:
        return "–"
    return f"{100 * x:.0f}% [{100 * lo:.0f}–{100 * hi:.0f}]"


def num_ci(x: float | None, lo: float | None, hi: float | None, digits: int = 1) -> str:
    if x is None:
        return "–"
    if lo is None or hi is None:
        return f"{x:.{digits}f}"
    return f"{x:.{digits}f} [{lo:.{digits}f}–{hi:.{digits}f}]"


def p_text(p: float | None) -> str:
    if p is None:
        return "–"
    if p < 0.001:
        return "<0.001"
    return f"{p:.3f}"


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
    if meta.get("n_sources") is not None:
        parts.append(f"{meta['n_sources']} sources")
    first, last = meta.get("date_from"), meta.get("date_to")
    if first or last:
        parts.append(f"{first or '?'} to {last or '?'}")
    if meta.get("method"):
        parts.append(f"method {meta['method']}")
    parts.append(f"discourse {meta.get('tool_version', '')}")
    return " · ".join(parts)


# ------------------------------------------------------------------ compare


def render_compare(
    cmp_records: list[dict],
    tests: list[dict],
    frames: list[str],
    by: Sequence[str],
    meta: dict,
    fmt: str,
    raw_csv: bool = False,
    chart: bool = False,
    labels: dict[str, str] | None = None,
) -> str:
    """The compare output: flat records for machines, matrices and tests for people."""
    if fmt in ("csv", "json", "jsonl"):
        prov = {k: meta.get(k) for k in ("lexicon", "lexicon_version", "lexicon_hash")}
        recs = [{**r, **prov} for r in cmp_records] if fmt != "json" else cmp_records
        if fmt == "json":
            return to_json({"meta": meta, "records": recs, "tests": tests}) + "\n"
        return render_records(recs, fmt, raw_csv=raw_csv)
    tf = "github" if fmt == "md" else "simple"
    out = [("# " if fmt == "md" else "") + provenance_line(meta), ""]
    keys = list(by)
    groups: dict[tuple, dict[str, dict]] = {}
    for r in cmp_records:
        groups.setdefault(tuple(r[k] for k in keys), {})[r["frame"]] = r
    headers = [*keys, "articles", *frames]
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
                    num_ci(per[f]["per_1k"], per[f]["per_1k_lo"], per[f]["per_1k_hi"])
                    for f in frames
                ],
            ]
        )
    title = "Prevalence: % of articles with the frame [Wilson 95% CI]"
    out += [
        ("## " if fmt == "md" else "") + title,
        "",
        tabulate(prev_rows, headers=headers, tablefmt=tf, disable_numparse=True),
        "",
    ]
    title = (
        f"Intensity: hits per 1,000 tokens [bootstrap 95% CI over articles, "
        f"{meta.get('n_boot', '')} resamples]"
    )
    out += [
        ("## " if fmt == "md" else "") + title,
        "",
        tabulate(rate_rows, headers=headers, tablefmt=tf, disable_numparse=True),
        "",
    ]
    period_keys = [k for k in keys if k != "source"]
    test_rows = []
    for t in tests:
        stat = f"χ²({t['df']}) = {t['chi2']:.2f}" if t["chi2"] is not None else "–"
        v = f"{t['cramers_v']:.2f}" if t["cramers_v"] is not None else "–"
        test_rows.append(
            [
                *[t[k] for k in period_keys],
                t["frame"],
                t["groups"],
                stat,
                p_text(t["p_value"]),
                v,
                t["test_note"],
            ]
        )
    title = "Across sources: chi-square test of independence on presence, Cramér's V"
    out += [
        ("## " if fmt == "md" else "") + title,
        "",
        tabulate(
            test_rows,
            headers=[*period_keys, "frame", "sources", "chi-square", "p", "V", "note"],
            tablefmt=tf,
            disable_numparse=True,
        ),
    ]
    if chart and keys == ["source"]:
        out += ["", prevalence_chart(cmp_records, frames)]
    return "\n".join(out) + "\n"


def prevalence_chart(records: list[dict], frames: list[str], width: int = 30) -> str:
    """A compact unicode bar chart of prevalence by source, one block per frame."""
    lines = ["Prevalence by source (█ = share of articles, ┤ ├ = 95% interval)"]
    sources = sorted({r["source"] for r in records})
    sw = max((len(s) for s in sources), default=6)
    for f in frames:
        lines.append(f"  {f}")
        for r in (r for r in records if r["frame"] == f):
            p = r["prevalence"] or 0.0
            lo = r["prevalence_lo"] or 0.0
            hi = r["prevalence_hi"] or 0.0
            cells = [" "] * (width + 1)
            fill = round(p * width)
            for i in range(fill):
                cells[i] = "█"
            a, b = round(lo * width), round(hi * width)
            if cells[a] == " ":
                cells[a] = "┤"
            if cells[b] == " ":
                cells[b] = "├"
            lines.append(f"    {r['source']:<{sw}} {''.join(cells)} {pct(r['prevalence'])}")
    return "\n".join(lines)
