"""Formatting primitives: strict JSON, safe CSV, text tables, Markdown escaping, numbers.

The only module that imports tabulate.

Rules: JSON is strict (no NaN or Infinity: missing values are ``null``); CSV
cells that a spreadsheet would run as a formula are neutralized unless
``raw``. Nothing here knows a command.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Sequence
from typing import Any

DATA_FORMATS = ("table", "csv", "tsv", "json", "jsonl", "md")
#: Delimited-text formats and their cell separators (TSV: what R's read.delim and pandas read).
DELIMITERS = {"csv": ",", "tsv": "\t"}
#: Formats that carry data byte for byte (``dic``: a LIWC dictionary): never escaped for
#: the terminal.
MACHINE_FORMATS = ("csv", "tsv", "json", "jsonl", "yaml", "dic")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# ------------------------------------------------------------------- primitives


def printable(text: str) -> str:
    """``text`` with every non-printable character escaped (``\\x1b``, ``\\u202e``, ``\\n``).

    The one escaper for text from data shown to people: a control character, line break
    or bidi override in a title, source, file name or term must not move the cursor,
    reorder a line or start a forged line on a terminal.

    Examples
    --------
    >>> print(printable("a\\x1b[2Jb\\nc\\u202e"))
    a\\x1b[2Jb\\nc\\u202e
    """
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


#: The only escape sequences the tool itself writes to stdout (``terminal.highlight``).
_OWN_SGR = re.compile(r"(\x1b\[1;7m|\x1b\[0m)")


def terminal_text(text: str) -> str:
    """Output for a terminal: like :func:`printable`, but line breaks and our highlight kept.

    Applied by the CLI to everything it writes in ``table`` and ``md`` format (never to
    csv/json/jsonl, which keep the data). Fields that must stay on one line (titles,
    sources, table cells) are escaped with :func:`printable` where they are formatted.
    """
    if text.isprintable():
        return text
    parts = _OWN_SGR.split(text)
    return "".join(p if i % 2 else printable_lines(p) for i, p in enumerate(parts))


def printable_lines(text: str) -> str:
    """:func:`printable` on each line: line breaks kept, every other control escaped."""
    return "\n".join(printable(line) for line in text.split("\n"))


def clean(value: Any) -> Any:
    """Make a value strict-JSON-safe, recursively: NaN/Inf -> None, NumPy scalars -> Python.

    The one cleaner for every JSON the tool writes (outputs, reports, model files).

    Examples
    --------
    >>> clean({"a": float("nan"), "b": [1.5, float("inf")]})
    {'a': None, 'b': [1.5, None]}
    """
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        value = value.item()
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
    records: Sequence[dict],
    columns: Sequence[str] | None = None,
    raw: bool = False,
    delimiter: str = ",",
    header: bool = True,
) -> str:
    cols = list(columns) if columns else _columns(records)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n", delimiter=delimiter)
    if header:
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


def id_row(record: dict, fmt: str, raw_csv: bool = False) -> str:
    """A record whose first key is ``id`` (None) as one row of ``fmt`` (csv, tsv or
    jsonl), without the id's value: :func:`join_id` puts it in.

    Parameters
    ----------
    record : dict
    fmt : str
    raw_csv : bool
        Do not neutralize spreadsheet formulas.

    Returns
    -------
    str

    Examples
    --------
    >>> tail = id_row({"id": None, "source": "A"}, "jsonl")
    >>> join_id(7, tail, "jsonl") == render_records([{"id": 7, "source": "A"}], "jsonl")
    True
    """
    if fmt == "jsonl":
        return to_json(record, indent=None)[len('{"id": null') :] + "\n"
    return delimited_row(list(record.values()), DELIMITERS[fmt], raw_csv)


def delimited_row(values: list, delimiter: str = ",", raw: bool = False) -> str:
    """One row of :func:`csv_text` (its ``header=False`` text for one record of these
    values), made without the csv module when no cell needs quoting.

    The csv module quotes a cell only for the delimiter, a quote or a line break in it;
    a plain ``int``, ``float`` or ``bool`` is written as ``str`` gives it. Any other
    cell, or a row of one cell (an empty one is quoted), goes through the csv module.

    Parameters
    ----------
    values : list
        The cells, in order.
    delimiter : str
    raw : bool
        Do not neutralize spreadsheet formulas.

    Returns
    -------
    str

    Examples
    --------
    >>> print(delimited_row([1, 0.5, None, "=A1", "a,b"]), end="")
    1,0.5,,'=A1,"a,b"
    """
    cells = []
    for v in values:
        kind = type(v)
        if v is None:
            cells.append("")
        elif kind is str:
            if not raw and v.startswith(_FORMULA_START):
                v = "'" + v
            if delimiter in v or '"' in v or "\n" in v or "\r" in v:
                break
            cells.append(v)
        elif kind is int or kind is bool or (kind is float and math.isfinite(v)):
            cells.append(str(v))
        elif kind is float:
            cells.append("")
        else:
            break
    else:
        if len(cells) > 1:
            return delimiter.join(cells) + "\n"
    return csv_text([dict(enumerate(values))], range(len(values)), raw, delimiter, header=False)


def join_id(id_: int, tail: str, fmt: str) -> str:
    """A row of :func:`id_row` with its id.

    Parameters
    ----------
    id_ : int
    tail : str
        From :func:`id_row`.
    fmt : str
        The format :func:`id_row` rendered.

    Returns
    -------
    str
    """
    return ('{"id": ' if fmt == "jsonl" else "") + str(id_) + tail


def _columns(records: Sequence[dict]) -> list[str]:
    cols: list[str] = []
    seen = set()
    for r in records:
        for k in r:
            if k not in seen:
                seen.add(k)
                cols.append(k)
    return cols


_MD_SPECIAL = re.compile(r"([\\`*\[\]|])")
_MD_TAG = re.compile(r"<(?=[A-Za-z/!?])")


def md_escape(text: Any) -> str:
    r"""Text from data, made inert in Markdown: the one Markdown escaper.

    One line; no emphasis, code span, link, table-cell break or HTML tag can start in it
    (``*``, a backtick, ``[``, ``]``, ``|``, a backslash, and a ``<`` that could open a
    tag are backslash-escaped). Used by ``--format md`` and by the report's Markdown.

    Examples
    --------
    >>> md_escape("friend* of [steel] | <b>")
    'friend\\* of \\[steel\\] \\| \\<b>'
    """
    s = printable(re.sub(r"\s+", " ", str(text if text is not None else "")))
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return _MD_TAG.sub(r"\\<", s)


def grid(
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str] | str = (),
    tablefmt: str = "simple",
    disable_numparse: bool = False,
    **options: Any,
) -> str:
    """Rows as a text table (tabulate's ``simple``, ``github``, ... formats).

    Parameters
    ----------
    rows : sequence of sequences
        The table body.
    headers : sequence of str
        Column headings.
    tablefmt : str
        A tabulate table format: ``simple`` for the terminal, ``github`` for Markdown.
    disable_numparse : bool
        Keep numeric-looking text as it is (no re-formatting or right-alignment).
    **options
        Further tabulate options (``floatfmt``, ``colalign``).

    Returns
    -------
    str
        The table, without a final newline.

    Examples
    --------
    >>> print(grid([["a", 1]], headers=["x", "n"]))
    x      n
    ---  ---
    a      1
    """
    from tabulate import tabulate  # here: commands that write no table never load it

    return tabulate(
        [[printable(c) if isinstance(c, str) else c for c in row] for row in rows],
        headers=[printable(str(h)) for h in headers] if not isinstance(headers, str) else headers,
        tablefmt=tablefmt,
        disable_numparse=disable_numparse,
        **options,
    )


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
    from tabulate import tabulate

    return tabulate(
        rows,
        headers=[printable(str(h)) for h in headers or cols],
        tablefmt=fmt,
        floatfmt=floatfmt,
        disable_numparse=False,
    )


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, str):
        return printable(v)
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
    """Render flat records in a data format (``table|csv|tsv|json|jsonl|md``)."""
    if fmt in DELIMITERS:
        return csv_text(records, columns, raw=raw_csv, delimiter=DELIMITERS[fmt])
    if fmt == "json":
        return to_json({"meta": meta or {}, "records": list(records)}) + "\n"
    if fmt == "jsonl":
        return "".join(to_json(r, indent=None) + "\n" for r in records)
    if fmt == "md":
        cells = [
            {k: md_escape(v) if isinstance(v, str) else v for k, v in r.items()} for r in records
        ]
        return table_text(cells, table_columns or columns, fmt="github") + "\n"
    return table_text(records, table_columns or columns) + "\n"


# ------------------------------------------------------------ fitting the width

_RULE = re.compile(r"^-+(  -+)*$")


def fit_text(text: str, width: int | None, keys: Sequence[str] = ()) -> str:
    """Text with ``simple`` tables, made to fit ``width`` columns (None: as it is).

    A table wider than ``width`` is split into blocks of its columns, one under the
    other, each block repeating the table's leading columns whose headings are in
    ``keys`` (the row labels: source, period, articles ...). Other lines longer than
    ``width`` are wrapped (at `` · `` separators first). The cells are cut by the
    column spans of the table's rule line, so alignment is kept.

    Examples
    --------
    >>> t = grid([["a", 1, 2]], headers=["source", "first", "second"])
    >>> print(fit_text(t, 16, keys=["source"]))
    source      first
    --------  -------
    a               1
    <BLANKLINE>
    source      second
    --------  --------
    a                2
    """
    if width is None:
        return text
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if i + 1 < len(lines) and lines[i] and _RULE.match(lines[i + 1]):
            end = i + 2
            while end < len(lines) and lines[end].strip():
                end += 1
            out += _split_table(lines[i:end], width, keys)
            i = end
            continue
        out += _wrap(lines[i], width)
        i += 1
    return "\n".join(out)


def _split_table(lines: list[str], width: int, keys: Sequence[str]) -> list[str]:
    if max(len(ln) for ln in lines) <= width:
        return lines
    spans = [m.span() for m in re.finditer(r"-+", lines[1])]
    heads = [lines[0][a:b].strip() for a, b in spans]
    keep = 0
    while keep < len(spans) - 1 and heads[keep] in keys:
        keep += 1
    room = width - sum(b - a + 2 for a, b in spans[:keep])
    blocks = _pack(spans[keep:], room)
    while room > 1 and len(_pack(spans[keep:], room - 1)) == len(blocks):
        room -= 1  # the same number of blocks, more evenly filled
    blocks = _pack(spans[keep:], room)
    out: list[str] = []
    for block in blocks:
        cols = spans[:keep] + block
        out += ["  ".join(ln[a:b].ljust(b - a) for a, b in cols).rstrip() for ln in lines]
        out.append("")
    return out[:-1]


def _pack(spans: list[tuple[int, int]], room: int) -> list[list[tuple[int, int]]]:
    """Column spans in blocks of at most ``room`` characters (at least one column each)."""
    blocks: list[list[tuple[int, int]]] = [[]]
    for a, b in spans:
        used = sum(y - x + 2 for x, y in blocks[-1])
        if blocks[-1] and used + b - a > room:
            blocks.append([])
        blocks[-1].append((a, b))
    return blocks


def _wrap(line: str, width: int) -> list[str]:
    if len(line) <= width:
        return [line]
    if " · " in line and all(len(part) <= width for part in line.split(" · ")):
        out = [""]
        for part in line.split(" · "):
            if out[-1] and len(out[-1]) + 3 + len(part) > width:
                out.append("")
            out[-1] = f"{out[-1]} · {part}" if out[-1] else part
        return out
    import textwrap

    return textwrap.wrap(line, width, break_on_hyphens=False) or [line]


# --------------------------------------------------------------- formatting


def pct(x: float | None, digits: int = 0) -> str:
    return "–" if x is None else f"{100 * x:.{digits}f}%"


def pct_ci(x: float | None, lo: float | None, hi: float | None) -> str:
    if x is None:
        return "–"
    return f"{100 * x:.0f}% [{100 * lo:.0f}–{100 * hi:.0f}]"


def pct1_ci(x: float | None, lo: float | None, hi: float | None) -> str:
    """A share and its interval in percent with one decimal: ``36.3% [30.3–42.7]``."""
    if x is None or lo is None or hi is None:
        return "–" if x is None else f"{100 * x:.1f}%"
    return f"{100 * x:.1f}% [{100 * lo:.1f}–{100 * hi:.1f}]"


CORRECTED_TITLE = (
    "Sentence share: raw → corrected for the method's errors [bootstrap 95% CI over "
    "articles and the validation sample]"
)


CORRECTED_TITLE_ARTICLE = (
    "Article share (prevalence): raw → corrected for the method's errors [bootstrap 95% CI "
    "over articles and the validation sample]"
)


def corrected_title(corr: dict) -> str:
    """The corrected table's title: sentence shares, or article shares (an article sample)."""
    return CORRECTED_TITLE_ARTICLE if corr.get("unit") == "article" else CORRECTED_TITLE


def corrected_cell(r: dict | None, raw_key: str = "sentence_share") -> str:
    """A record's raw and corrected shares: ``10.2% → 31.5% [18–61]`` (``!``: unstable).

    ``raw_key``: the raw figure corrected, ``sentence_share`` or (article sample) ``prevalence``.
    """
    if r is None:
        return "–"
    raw = pct(r.get(raw_key), 1)
    if r.get("corrected") is None:
        return f"{raw} → –"
    ci = f"[{100 * r['corrected_lo']:.0f}–{100 * r['corrected_hi']:.0f}]"
    flag = " !" if r.get("corrected_unstable") else ""
    return f"{raw} → {pct(r['corrected'], 1)} {ci}{flag}"


def corrected_basis(corr: dict) -> str:
    """One sentence: what the corrected figures rest on and which figure findings rest on."""
    return (
        f"Corrected with {corr.get('n')} validated {corr.get('unit', 'sentence')}s "
        f"({corr.get('validation')}, "
        f"sha256 {str(corr.get('validation_sha256', ''))[:12]}, method {corr.get('method')}). "
        "Findings about shares rest on the corrected figures; "
        f"! marks unstable ones (sensitivity + specificity − 1 < {corr.get('unstable_below')}), "
        f"which rest on neither: code more {corr.get('unit', 'sentence')}s."
    )


def num_ci(
    x: float | None, lo: float | None, hi: float | None, digits: int = 1, n: int | None = None
) -> str:
    """A number and its interval: ``9.1 [6.6–11.8]``; ``17.2 (n=1)`` from one article.

    An interval resampled from a single article is a point, not an interval: it is
    printed as the number of articles instead of a degenerate ``[17.2–17.2]``.
    """
    if x is None:
        return "–"
    if n == 1:
        return f"{x:.{digits}f} (n=1)"
    if lo is None or hi is None:
        return f"{x:.{digits}f}"
    return f"{x:.{digits}f} [{lo:.{digits}f}–{hi:.{digits}f}]"


def p_text(p: float | None) -> str:
    if p is None:
        return "–"
    if p < 0.001:
        return "<0.001"
    return f"{p:.3f}"


def num(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def signed_pp(x: float | None) -> str:
    return "–" if x is None else f"{x:+.0f}"


def clip_left(text: str, width: int) -> str:
    """The last ``width`` characters, with '…' when cut; right-aligned."""
    if width <= 0:
        return ""
    if len(text) > width:
        text = "…" + text[len(text) - width + 1 :]
    return text.rjust(width)


def clip_right(text: str, width: int) -> str:
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: width - 1] + "…"


# --------------------------------------------------------------------- sparkline

_SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float | None], top: float = 1.0) -> str:
    """One character per value: ▁ (0) to █ (``top``); '·' for a missing value."""
    out = []
    for v in values:
        if v is None:
            out.append("·")
        else:
            share = 0.0 if top <= 0 else max(0.0, min(1.0, v / top))
            out.append(_SPARK[min(len(_SPARK) - 1, int(share * len(_SPARK)))])
    return "".join(out)
