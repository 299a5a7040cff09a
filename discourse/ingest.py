"""Readers for each input format -> Articles; decoding, validation, skip-and-count.

Readers yield :class:`~discourse.models.Article` or :class:`~discourse.models.Skip`
(one bad record never stops a batch). :func:`ingest` writes the articles to a
store and returns an :class:`IngestReport`.
"""

from __future__ import annotations

import csv
import fnmatch
import functools
import io
import json
import math
import os
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from discourse import safeyaml
from discourse.columnar import META_COLUMN  # meta.KEY, as export and score write it
from discourse.dates import parse_article_date
from discourse.errors import InputError
from discourse.formats import clean, printable
from discourse.models import Article, Skip
from discourse.shared import Warn
from discourse.store import DuplicateNotes, meta_json

TEXT_EXTS = {".txt", ".text"}
MD_EXTS = {".md", ".markdown"}
JSONL_EXTS = {".jsonl", ".ndjson"}
CSV_EXTS = {".csv"}
TSV_EXTS = {".tsv", ".tab"}
HTML_EXTS = {".html", ".htm", ".xhtml"}
FORMATS = ("auto", "txt", "md", "jsonl", "csv", "tsv", "html", "parquet")
IGNORE_FILE = ".discourseignore"
DEFAULT_IGNORES = ("README*", "LICENSE*", "CHANGELOG*", IGNORE_FILE)
DEFAULT_MAX_BYTES = 20_000_000
_FRONT_KEYS = ("source", "title", "date", "url", "lang", "author")
#: the columns of a ``corpus export`` file; in a record that has them all, ``id`` is the
#: exporting store's id, not a document variable (the new store gives its own)
EXPORT_COLUMNS = ("id", "source", "title", "date", "url", "lang", "author", "text")
#: a file name's leading ISO date: 2026-11-03-un-talks.txt
_NAME_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?=[-_ .T]|$)")
#: column names that look like a date column (for the hint when --date-col is missing)
_DATE_LIKE = re.compile(r"date|publish|pubdate|issued|created|timestamp|datetime|^time$", re.I)


@dataclass
class IngestOptions:
    source: str | None = None
    fmt: str = "auto"
    text_col: str = "text"
    source_col: str = "source"
    title_col: str = "title"
    date_col: str = "date"
    url_col: str = "url"
    author_col: str = "author"
    lang_col: str = "lang"
    max_bytes: int = DEFAULT_MAX_BYTES
    source_map: str | os.PathLike | dict | None = None  # --source-map FILE, or {from: to}


@dataclass
class IngestReport:
    files: int = 0
    added: int = 0
    duplicates: int = 0
    skipped: list[Skip] = field(default_factory=list)
    undated: int = 0
    notes: DuplicateNotes = field(default_factory=DuplicateNotes)

    @property
    def skip_reasons(self) -> Counter:
        return Counter(s.reason.split(":")[0].split(" (")[0] for s in self.skipped)

    def summary(self) -> str:
        text = f"added {self.added}, duplicates {self.duplicates}"
        if self.notes.filled:
            filled = ", ".join(f"{n} {k}" for k, n in sorted(self.notes.filled.items()))
            text += f" (empty fields filled in: {filled})"
        text += f", skipped {len(self.skipped)}"
        if self.skipped:
            reasons = ", ".join(f"{r}: {n}" for r, n in self.skip_reasons.most_common())
            text += f" ({reasons})"
        text += f" — from {self.files} file{'s' if self.files != 1 else ''}"
        if self.undated:
            text += f"; {self.undated} without a readable date"
        return text

    def as_dict(self) -> dict:
        return {
            "files": self.files,
            "added": self.added,
            "duplicates": self.duplicates,
            "skipped": len(self.skipped),
            "undated": self.undated,
            "filled": dict(self.notes.filled),
            "skip_reasons": dict(self.skip_reasons),
            "skips": [{"origin": s.origin, "reason": s.reason} for s in self.skipped],
        }


def _stderr_warn(msg: str) -> None:
    print(f"warning: {msg}", file=sys.stderr)


def one_line_warn(warn: Warn) -> Warn:
    """``warn`` that always receives one printable line (idempotent)."""
    if getattr(warn, "_one_line", False):
        return warn

    def safe(msg: str) -> None:
        warn(printable(msg))

    safe._one_line = True  # type: ignore[attr-defined]
    return safe


# ----------------------------------------------------------------------- decoding


_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def _line_of(data: bytes | str, pos: int) -> int:
    return data.count(b"\n" if isinstance(data, bytes) else "\n", 0, pos) + 1


def decode(raw: bytes, origin: str, warn: Warn) -> tuple[str, str] | Skip:
    """Bytes -> (text, encoding used), decided once per file; binary is skipped.

    A byte-order mark decides (UTF-8, UTF-16, UTF-32). Otherwise UTF-8; a file that
    is not valid UTF-8 is read as UTF-8 with its invalid bytes replaced (U+FFFD) when
    it holds more valid UTF-8 characters than invalid bytes (one stray byte does not
    turn the whole file into mojibake), else as Windows-1252. NULs late in a text
    file are removed with a warning; NULs near the start mean a binary file.
    """
    if not raw.strip():
        return Skip(origin, "empty file")
    bom = next((codec for mark, codec in _BOMS if raw.startswith(mark)), None)
    if bom is None and b"\x00" in raw[:8192]:
        return Skip(origin, "binary file (contains NUL bytes)")
    if bom is not None:
        text = raw.decode(bom, errors="replace")
        encoding = "utf-8" if bom == "utf-8-sig" else bom
        bad = text.count("\ufffd") - raw.decode(bom, errors="ignore").count("\ufffd")
        if bad:
            warn(f"{origin}: {bad} invalid {encoding} sequence(s) replaced by U+FFFD")
            encoding += f" ({bad} replaced)"
    else:
        decoded = _decode_unmarked(raw, origin, warn)
        if isinstance(decoded, Skip):
            return decoded
        text, encoding = decoded
    if "\x00" in text:
        warn(
            f"{origin}:{_line_of(text, text.index(chr(0)))}: "
            f"{text.count(chr(0))} NUL character(s) removed"
        )
        text = text.replace("\x00", "")
    sample = text[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > max(2, len(sample) // 100):
        return Skip(origin, "binary file (control characters)")
    return text, encoding


def _decode_unmarked(raw: bytes, origin: str, warn: Warn) -> tuple[str, str] | Skip:
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        first = e.start
    lenient = raw.decode("utf-8", errors="replace")
    bad = lenient.count("\ufffd") - raw.decode("utf-8", errors="ignore").count("\ufffd")
    good = sum(1 for ch in lenient if ord(ch) > 127 and ch != "\ufffd")
    if good >= bad:
        warn(
            f"{origin}:{_line_of(raw, first)}: {bad} invalid UTF-8 byte(s) "
            "replaced by U+FFFD (the rest of the file is UTF-8)"
        )
        return lenient, f"utf-8 ({bad} replaced)"
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        return Skip(origin, "undecodable file (neither UTF-8 nor Windows-1252 text)")
    line = _line_of(raw, first)
    warn(f"{origin}: not UTF-8 (first invalid byte on line {line}); read as Windows-1252")
    return text, "cp1252"


def clean_text(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text).strip()


# ------------------------------------------------------------------- txt and md


def split_front_matter(text: str, origin: str) -> tuple[dict, str, int] | Skip:
    """Return (front matter, body, body's first line number) or a Skip."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text, 1
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            head = "\n".join(lines[1:i])
            try:
                meta = _front_matter(head) if head.strip() else {}
            except safeyaml.YamlError as e:
                line = f" (line {e.line + 1})" if e.line else ""
                return Skip(origin, f"bad front matter{line}: {e.problem}")
            if meta is None:
                meta = {}
            if not isinstance(meta, dict):
                return Skip(origin, "bad front matter: expected 'key: value' lines")
            return meta, "\n".join(lines[i + 1 :]), i + 2
    return Skip(origin, "front matter not closed: the '---' on line 1 has no closing '---' line")


def _front_matter(head: str):
    """The front matter's data; a key beyond the article fields keeps its scalar value
    as written (``country: NO`` is the text NO, not YAML 1.1's false; ``code: 007``
    stays 007), as a CSV cell would."""
    data, root = safeyaml.load_with_nodes(head)
    if not isinstance(data, dict) or not isinstance(root, safeyaml.MappingNode):
        return data
    for key_node, value_node in root.value:
        name = key_node.value if isinstance(key_node, safeyaml.ScalarNode) else None
        if name not in data or name in _FRONT_KEYS:
            continue
        if isinstance(value_node, safeyaml.ScalarNode) and data[name] is not None:
            data[name] = value_node.value
    return data


def _meta_str(meta: dict, key: str) -> str:
    v = meta.get(key)
    if v is None:
        return ""
    return str(v).strip()


def article_from_text(
    text: str, origin: str, source: str, is_md: bool, warn: Warn, forced_source: str | None = None
) -> Article | Skip:
    fm = split_front_matter(text, origin)
    if isinstance(fm, Skip):
        return fm
    meta, body, _ = fm
    body = clean_text(body)
    title = _meta_str(meta, "title")
    if is_md and body.startswith("# "):
        first, _, rest = body.partition("\n")
        if not title:
            title = first[2:].strip()
        body = rest.strip()
    if not body:
        return Skip(origin, "empty text (nothing after the front matter)")
    raw_date = meta.get("date")
    date = parse_article_date(raw_date)
    if raw_date not in (None, "") and date is None:
        warn(f"{origin}: unreadable date {str(raw_date)!r}; stored without a date")
    elif raw_date in (None, ""):
        date = name_date(origin)
    return Article(
        text=body,
        source=forced_source or _meta_str(meta, "source") or source,
        title=title,
        date=date,
        url=_meta_str(meta, "url"),
        lang=_meta_str(meta, "lang") or "en",
        author=_meta_str(meta, "author"),
        origin=origin,
        meta=doc_vars(meta, _FRONT_KEYS),
    )


def name_date(origin: str) -> str | None:
    """The date a file's name starts with (``2026-11-03-un-talks.txt``), or None.

    Parameters
    ----------
    origin : str
        The file's path.

    Returns
    -------
    str or None
        ``YYYY-MM-DD`` when the name starts with a valid ISO date.
    """
    m = _NAME_DATE.match(Path(origin).name)
    return parse_article_date(m.group(1)) if m else None


def doc_vars(record: dict, known: Iterable[str]) -> dict:
    """The document variables of a record: every key not in ``known``, as JSON values.

    Empty values are left out (an article without the key); dates and other values
    YAML builds become text. A key ``meta.KEY`` (the column ``corpus export`` and
    ``score`` write) is the variable ``KEY``, and wins over a plain ``KEY``.

    Parameters
    ----------
    record : dict
        A front matter, JSON object or CSV row.
    known : iterable of str
        Keys that are article fields (text, source, title, ...).

    Returns
    -------
    dict
    """
    skip = set(known)
    out = {}
    for key, value in record.items():
        key = str(key).replace("\x00", "").strip()
        if key.startswith(META_COLUMN) and key != META_COLUMN:
            key = key[len(META_COLUMN) :].strip()  # meta.KEY: the variable KEY, whatever KEY is
        elif key in skip or f"{META_COLUMN}{key}" in record:
            continue  # an article field, or a plain column that meta.KEY overrides
        if not key or value is None:
            continue
        if isinstance(value, str):
            value = value.replace("\x00", "").strip()
        elif isinstance(value, float) and not math.isfinite(value):
            continue  # JSON's NaN/Infinity: not a value JSON can store
        elif not isinstance(value, (bool, int, float)):
            value = clean(json.loads(json.dumps(value, default=str)))  # NaN -> null
        if value != "":
            out[key] = value
    return out


# -------------------------------------------------------------------- jsonl, csv


def _record_article(
    rec: dict, origin: str, source: str, opts: IngestOptions, warn: Warn
) -> Article | Skip:
    text = rec.get(opts.text_col)
    if not isinstance(text, str) or not text.strip():
        if opts.text_col not in rec:
            return Skip(origin, f"no '{opts.text_col}' field; name the text field with --text-col")
        return Skip(origin, "empty text")

    def get(col: str) -> str:
        v = rec.get(col)
        return "" if v is None else str(v).strip()

    raw_date = rec.get(opts.date_col)
    date = parse_article_date(raw_date)
    if raw_date not in (None, "") and date is None:
        warn(f"{origin}: unreadable date {str(raw_date)!r}; stored without a date")
    return Article(
        text=clean_text(text),
        source=opts.source or get(opts.source_col) or source,
        title=get(opts.title_col),
        date=date,
        url=get(opts.url_col),
        lang=get(opts.lang_col) or "en",
        author=get(opts.author_col),
        origin=origin,
        meta={} if rec.keys() <= plain_columns(opts) else doc_vars(rec, _mapped_cols(opts, rec)),
    )


def _mapped_cols(opts: IngestOptions, rec: dict | None = None) -> tuple[str, ...]:
    cols = (opts.text_col, opts.source_col, opts.title_col, opts.date_col, opts.url_col,
            opts.author_col, opts.lang_col)  # fmt: skip
    if rec is not None and all(c in rec for c in EXPORT_COLUMNS):
        cols += ("id",)  # a record of `corpus export`: its id is the old store's
    return cols


def date_hint(columns: Iterable[str], opts: IngestOptions, origin: str, warn: Warn) -> None:
    """Warn when the date column is missing, naming date-like columns (``published``).

    Parameters
    ----------
    columns : iterable of str
        The CSV header, or the first JSON record's keys.
    opts : IngestOptions
        ``date_col`` is the expected column.
    origin : str
        The file, for the message.
    warn : callable
        Receives the one-line hint.
    """
    columns = [str(c) for c in columns]
    if opts.date_col in columns:
        return
    likely = [c for c in columns if _DATE_LIKE.search(c) and c not in _mapped_cols(opts)]
    if likely:
        warn(
            f"{origin}: no column '{opts.date_col}', so its articles are stored undated; "
            f"'{likely[0]}' looks like a date column: name it with `date_col` {likely[0]}"
        )
    elif opts.date_col != "date":
        cols = ", ".join(columns[:12]) or "none"
        warn(f"{origin}: no column '{opts.date_col}' (columns: {cols}); articles stored undated")


def read_jsonl(
    path: Path, source: str, opts: IngestOptions, warn: Warn
) -> Iterator[Article | Skip]:
    hinted = False
    with path.open("rb") as fh:
        for lineno, raw in _bounded_lines(fh, opts.max_bytes):
            origin = f"{path}:{lineno}"
            if raw is None:
                yield Skip(origin, f"record larger than --max-bytes {opts.max_bytes} bytes")
                continue
            if not raw.strip():
                continue
            rec = _json_record(raw, lineno, origin)
            if isinstance(rec, Skip):
                yield rec
                continue
            if not hinted:
                date_hint(rec, opts, str(path), warn)
                hinted = True
            art = _record_article(rec, origin, source, opts, warn)
            if isinstance(art, Article):
                art.encoding = "utf-8"
            yield art


def read_parquet(
    path: Path, source: str, opts: IngestOptions, warn: Warn
) -> Iterator[Article | Skip]:
    """Articles of a Parquet file, one per row, columns mapped as for JSONL; in a dataset of
    ``corpus export --format parquet`` the source comes from the ``source=`` folder."""
    from discourse.columnar import read_parquet_rows

    for i, rec in enumerate(read_parquet_rows(path), 1):
        yield _record_article(rec, f"{path}:{i}", source, opts, warn)


def _bounded_lines(fh, limit: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line) of a binary file; None for a line longer than ``limit`` bytes,
    which is skipped over in chunks, never held in memory whole."""
    lineno = 0
    while True:
        raw = fh.readline(limit + 1)
        if not raw:
            return
        lineno += 1
        if len(raw) <= limit or raw.endswith(b"\n") and len(raw) == limit + 1:
            yield lineno, raw
            continue
        while not raw.endswith(b"\n"):  # discard the rest of the long line
            raw = fh.readline(1 << 20)
            if not raw:
                break
        yield lineno, None


def _json_record(raw: bytes, lineno: int, origin: str) -> dict | Skip:
    try:
        rec = json.loads(raw.decode("utf-8-sig" if lineno == 1 else "utf-8"))
    except UnicodeDecodeError as e:
        return Skip(origin, f"invalid JSON: not UTF-8 (byte {e.start + 1})")
    except json.JSONDecodeError as e:
        return Skip(origin, f"invalid JSON: {e.msg} (column {e.colno})")
    except RecursionError:
        return Skip(origin, "invalid JSON: nested too deeply")
    except ValueError as e:  # e.g. an integer of thousands of digits
        return Skip(origin, f"invalid JSON: {str(e).split(';')[0][:100]}")
    if not isinstance(rec, dict):
        return Skip(origin, "invalid record: expected a JSON object per line")
    return rec


MAX_CSV_RESTARTS = 100


def read_csv(
    path: Path, source: str, opts: IngestOptions, warn: Warn, delimiter: str = ","
) -> Iterator[Article | Skip]:
    """CSV rows -> articles. A bad row is skipped with its line; an unclosed quote
    skips the line it opens on and reading resumes on the next line. ``delimiter``
    ``"\t"`` reads TSV (as ``--format tsv`` writes it)."""
    decoded = _read_text(path, opts, warn)
    if isinstance(decoded, Skip):
        yield decoded
        return
    text, encoding = decoded
    csv.field_size_limit(max(opts.max_bytes, 1_000_000))
    lines = io.StringIO(text, newline="").readlines()
    try:
        header = next(csv.reader(lines[:1], delimiter=delimiter), [])
    except csv.Error as e:
        yield Skip(f"{path}:1", f"unreadable CSV header: {e}")
        return
    if opts.text_col not in header:
        cols = ", ".join(header[:12]) or "none"
        yield Skip(
            str(path),
            f"no column '{opts.text_col}' (columns: {cols}); name the text column with --text-col",
        )
        return
    date_hint(header, opts, str(path), warn)
    for lineno, row in _csv_rows(lines, 1, path, delimiter):
        origin = f"{path}:{lineno}"
        if isinstance(row, Skip):
            yield row
            continue
        rec = {h: (row[i] if i < len(row) else None) for i, h in enumerate(header)}
        art = _record_article(rec, origin, source, opts, warn)
        if isinstance(art, Article):
            art.encoding = encoding
        yield art


def _csv_rows(
    lines: list[str], pos: int, path: Path, delimiter: str = ","
) -> Iterator[tuple[int, list[str] | Skip]]:
    """(first line number, row or Skip) of the rows from ``lines[pos:]`` (strict quoting)."""
    restarts = 0
    while pos < len(lines):
        reader = csv.reader(iter(lines[pos:]), strict=True, delimiter=delimiter)
        while True:
            before = reader.line_num
            start = pos + before + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                if pos + reader.line_num < len(lines) or "end of data" not in str(e):
                    yield start, Skip(f"{path}:{start}", f"unreadable CSV row: {e}")
                    continue
                restarts += 1
                if restarts > MAX_CSV_RESTARTS:
                    yield (
                        start,
                        Skip(
                            f"{path}:{start}",
                            f"more than {MAX_CSV_RESTARTS} unclosed quotes; rest of file skipped",
                        ),
                    )
                    return
                yield (
                    start,
                    Skip(
                        f"{path}:{start}",
                        "unclosed quote: the quoted field opened on this line never ends; "
                        "line skipped, reading on from the next line",
                    ),
                )
                pos = start  # 0-based index of the line after it
                break
            if row:
                yield start, row


def read_html(
    path: Path, source: str | None, opts: IngestOptions, warn: Warn, site_first: bool = False
) -> Iterator[Article | Skip]:
    """A saved page's article. ``source`` is the outlet folder it was found in; with
    ``site_first`` (a page in a flat folder of saved pages) the page's own site name
    comes first and the folder's name only when the page names no site."""
    raw = _read_capped(path, opts)
    if isinstance(raw, Skip):
        yield raw
        return
    if not raw.strip():
        yield Skip(str(path), "empty file")
        return
    from discourse.extract import article_from_html

    art = article_from_html(
        raw, origin=str(path), source=opts.source, fallback_source=None if site_first else source,
        warn=warn, default_source=source if site_first else None,
    )  # fmt: skip
    if isinstance(art, Article) and art.date is None:
        art.date = name_date(str(path))
    yield art


def _read_capped(path: Path, opts: IngestOptions) -> bytes | Skip:
    try:
        size = path.stat().st_size
        if size > opts.max_bytes:
            return Skip(str(path), f"file too large ({size} bytes > --max-bytes {opts.max_bytes})")
        return path.read_bytes()
    except OSError as e:
        return Skip(str(path), f"unreadable file: {e.strerror}")


def _read_text(path: Path, opts: IngestOptions, warn: Warn) -> tuple[str, str] | Skip:
    raw = _read_capped(path, opts)
    return raw if isinstance(raw, Skip) else decode(raw, str(path), warn)


# ---------------------------------------------------------------------- walking


def detect_format(path: Path, fmt: str) -> str | None:
    if fmt != "auto":
        return fmt
    ext = path.suffix.lower()
    if ext in TEXT_EXTS:
        return "txt"
    if ext in MD_EXTS:
        return "md"
    if ext in JSONL_EXTS:
        return "jsonl"
    if ext in CSV_EXTS:
        return "csv"
    if ext in TSV_EXTS:
        return "tsv"
    if ext in HTML_EXTS:
        return "html"
    if ext == ".parquet":  # a file of `corpus export --format parquet` (needs pyarrow)
        return "parquet"
    return None


def _ignore_patterns(folder: Path) -> list[str]:
    f = folder / IGNORE_FILE
    if not f.is_file():
        return []
    try:
        lines = f.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def iter_files(root: Path) -> Iterator[tuple[Path, str] | Skip]:
    """Files under a folder with the source their folder gives, skipping ignored ones.

    The source of ``root/<sub>/.../file`` is ``<sub>``; of ``root/file`` it is ``root``'s name.
    Hidden files, README/LICENSE files and patterns listed in ``.discourseignore``
    files are left out. Symbolic links are never followed out of ``root``: a linked
    file is read only if it resolves inside ``root``; a linked folder is not walked.
    Each refused link is a :class:`Skip` (so it is warned about and counted).
    """
    patterns: dict[Path, list[str]] = {}
    real_root = root.resolve()
    found: list[tuple[Path, bool]] = []  # (path, is a symlink)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for d in dirnames:
            if (here / d).is_symlink():
                found.append((here / d, True))
        found += [(here / f, (here / f).is_symlink()) for f in filenames if not f.startswith(".")]
    for path, is_link in sorted(found):
        rel = path.relative_to(root)
        if _ignored(path, root, rel, patterns):
            continue
        source = rel.parts[0] if len(rel.parts) > 1 else (real_root.name or "unknown")
        if is_link:
            skip = _link_skip(path, real_root)
            if skip is not None:
                yield skip
                continue
        elif not path.is_file():
            continue
        yield path, source


def _ignored(path: Path, root: Path, rel: Path, patterns: dict[Path, list[str]]) -> bool:
    if any(fnmatch.fnmatch(path.name, pat) for pat in DEFAULT_IGNORES):
        return True
    for parent in [root, *[root.joinpath(*rel.parts[:i]) for i in range(1, len(rel.parts))]]:
        if parent not in patterns:
            patterns[parent] = _ignore_patterns(parent)
        sub = path.relative_to(parent).as_posix()
        if any(fnmatch.fnmatch(sub, p) or fnmatch.fnmatch(path.name, p) for p in patterns[parent]):
            return True
    return False


def _link_skip(path: Path, real_root: Path) -> Skip | None:
    """None if the link may be read (a file inside the folder), else why it is skipped."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return Skip(str(path), "broken symbolic link (its target does not exist)")
    inside = target == real_root or real_root in target.parents
    if target.is_dir():
        if inside:
            return Skip(
                str(path),
                f"linked folder not followed (it points inside the ingested folder, to {target}, "
                "whose files are read there)",
            )
        return Skip(
            str(path),
            f"linked folder not followed (it points outside the ingested folder, to {target}); "
            "to ingest it, name it on the command line",
        )
    if not inside:
        return Skip(
            str(path),
            f"symbolic link to a file outside the ingested folder ({target}) not read; "
            "to ingest it, name it on the command line",
        )
    return None if target.is_file() else Skip(str(path), "link to something that is not a file")


def read_file(
    path: Path,
    source: str,
    opts: IngestOptions,
    warn: Warn,
    explicit: bool = False,
    flat: bool = False,
) -> Iterator[Article | Skip]:
    """One file's articles and skips; a record that cannot be stored is a skip, never a crash.

    ``explicit``: the file was named on the command line; ``flat``: it lies directly in
    the folder named (no outlet subfolder), where a saved page's site name beats the
    folder's name.
    """
    fmt = detect_format(path, opts.fmt)
    if fmt is None:
        if not explicit:
            yield Skip(str(path), f"not an article file ({path.suffix or 'no extension'})")
            return
        fmt = "txt"
    items = _read_format(path, fmt, source, opts, warn, explicit, flat)
    try:
        for item in items:
            yield _checked(item, warn)
    except (ValueError, RecursionError, UnicodeError, MemoryError) as e:
        # a reader failed on a record it should have caught: skip the rest of this file only
        msg = str(e).splitlines()[0][:120] if str(e) else type(e).__name__
        yield Skip(str(path), f"unreadable file ({type(e).__name__}: {msg}); rest of file skipped")


def _read_format(
    path: Path, fmt: str, source: str, opts: IngestOptions, warn: Warn, explicit: bool, flat: bool
) -> Iterator[Article | Skip]:
    if fmt == "jsonl":
        yield from read_jsonl(path, source, opts, warn)
    elif fmt == "parquet":
        yield from read_parquet(path, source, opts, warn)
    elif fmt in ("csv", "tsv"):
        yield from read_csv(path, source, opts, warn, "\t" if fmt == "tsv" else ",")
    elif fmt == "html":
        # a page named on its own: the site's name beats the name of the folder it was saved in
        # in a flat folder of saved pages, the site's name beats the folder's name
        yield from read_html(path, None if explicit else source, opts, warn, site_first=flat)
    else:
        decoded = _read_text(path, opts, warn)
        if isinstance(decoded, Skip):
            yield decoded
            return
        text, encoding = decoded
        art = article_from_text(text, str(path), source, fmt == "md", warn, opts.source)
        if isinstance(art, Article):
            art.encoding = encoding
        yield art


_TEXT_FIELDS = ("text", "source", "title", "date", "url", "lang", "author")


def _checked(item: Article | Skip, warn: Warn) -> Article | Skip:
    """Refuse what the store cannot hold (lone surrogates); remove NULs with a warning."""
    if isinstance(item, Skip):
        return item
    for name in _TEXT_FIELDS:
        value = getattr(item, name)
        if not value:
            continue
        try:
            value.isascii() or value.encode("utf-8")  # ASCII holds no lone surrogate
        except UnicodeEncodeError as e:
            bad = value[e.start]
            return Skip(
                item.origin,
                f"invalid text in '{name}': lone surrogate U+{ord(bad):04X} "
                "(not a character; fix the escape in the file)",
            )
        if "\x00" in value:
            warn(f"{item.origin}: {value.count(chr(0))} NUL character(s) removed from '{name}'")
            setattr(item, name, value.replace("\x00", ""))
    if not item.text.strip():
        return Skip(item.origin, "empty text")
    try:
        item.meta and meta_json(item.meta).encode("utf-8")
    except (UnicodeEncodeError, ValueError):
        return Skip(item.origin, "invalid text in a document variable (a lone surrogate)")
    return item


def read_paths(
    paths: Iterable[str | Path],
    opts: IngestOptions | None = None,
    warn: Warn = _stderr_warn,
    counter: IngestReport | None = None,
) -> Iterator[Article | Skip]:
    """Read files and folders; yields Articles and Skips. Missing paths raise InputError.

    Sources named in ``opts.source_map`` are renamed as they are read.
    """
    opts = opts or IngestOptions()
    warn = one_line_warn(warn)
    if opts.fmt not in FORMATS:
        raise InputError(f"`fmt` {opts.fmt!r} is not known; use one of {', '.join(FORMATS)}")
    smap = load_source_map(opts.source_map)
    paths = [Path(p) for p in paths]
    for p in paths:
        if not p.exists():
            raise InputError(f"no such file or folder: {p}")
    for item in _read_all(paths, opts, warn, counter):
        if smap and isinstance(item, Article):
            item.source = smap.get(item.source, item.source)
        yield item


def _read_all(paths: list[Path], opts: IngestOptions, warn: Warn, counter) -> Iterator:
    for p in paths:
        if p.is_dir():
            for entry in iter_files(p):
                if counter is not None:
                    counter.files += 1
                if isinstance(entry, Skip):
                    yield entry
                    continue
                f, source = entry
                yield from read_file(f, opts.source or source, opts, warn, flat=f.parent == p)
        else:
            if counter is not None:
                counter.files += 1
            source = opts.source or p.resolve().parent.name or "unknown"
            yield from read_file(p, source, opts, warn, explicit=True)


def read_units(
    paths: Iterable[str | Path],
    opts: IngestOptions | None = None,
    counter: IngestReport | None = None,
) -> Iterator[tuple]:
    """:func:`read_paths` in pieces another process can read (:func:`read_unit`), in order.

    A unit is ``("line", path, source, lineno, raw)`` for a JSON Lines record (raw
    bytes, None when longer than ``max_bytes``), ``("file", path, source, explicit,
    flat)`` for a file read whole, ``("item", article_or_skip)`` for what this process
    read itself (CSV and Parquet files, refused links) and ``("warn", message)`` for a
    warning of that reading or a JSON Lines file's date hint, placed before the record
    it comes with. Reading every unit with :func:`read_unit` gives what
    :func:`read_paths` yields, and the same warnings in the same order (source map aside).

    Parameters
    ----------
    paths : iterable of str or Path
    opts : IngestOptions, optional
    counter : IngestReport, optional
        Counts the files.

    Yields
    ------
    tuple
    """
    opts = opts or IngestOptions()
    if opts.fmt not in FORMATS:
        raise InputError(f"`fmt` {opts.fmt!r} is not known; use one of {', '.join(FORMATS)}")
    paths = [Path(p) for p in paths]
    for p in paths:
        if not p.exists():
            raise InputError(f"no such file or folder: {p}")
    for p in paths:
        entries = iter_files(p) if p.is_dir() else [(p, None)]
        for entry in entries:
            if counter is not None:
                counter.files += 1
            if isinstance(entry, Skip):
                yield ("item", entry)
                continue
            f, source = entry
            explicit = source is None
            if explicit:
                source = opts.source or p.resolve().parent.name or "unknown"
            else:
                source = opts.source or source
            yield from _file_units(f, source, opts, explicit, flat=f.parent == p)


def _file_units(
    path: Path, source: str, opts: IngestOptions, explicit: bool, flat: bool
) -> Iterator[tuple]:
    fmt = detect_format(path, opts.fmt)
    if fmt in ("csv", "parquet"):  # read here; the warnings go with the records, in order
        notes: list[str] = []
        for item in read_file(path, source, opts, notes.append, explicit, flat):
            yield from (("warn", m) for m in notes)
            notes.clear()
            yield ("item", item)
        yield from (("warn", m) for m in notes)
        return
    if fmt != "jsonl":
        yield ("file", str(path), source, explicit, flat)
        return
    hinted = False
    with path.open("rb") as fh:
        for lineno, raw in _bounded_lines(fh, opts.max_bytes):
            if raw is not None and not raw.strip():
                continue
            if not hinted and raw is not None:
                rec = _json_record(raw, lineno, f"{path}:{lineno}")
                if isinstance(rec, dict):
                    hints: list[str] = []
                    date_hint(rec, opts, str(path), hints.append)
                    yield from (("warn", m) for m in hints)
                    hinted = True
            yield ("line", str(path), source, lineno, raw)


def read_unit(
    unit: tuple, opts: IngestOptions, warn: Warn, rec: dict | Skip | None = None
) -> list[Article | Skip]:
    """The articles and skips of one unit of :func:`read_units` (in any process).

    Parameters
    ----------
    unit : tuple
    opts : IngestOptions
    warn : callable
        Receives the warnings of reading the unit (a ``"warn"`` unit's message too).
    rec : dict or Skip, optional
        A ``line`` unit's record, parsed already (:func:`unit_record`).

    Returns
    -------
    list of Article or Skip
    """
    kind = unit[0]
    if kind == "item":
        return [unit[1]]
    if kind == "warn":
        warn(unit[1])
        return []
    if kind == "file":
        _, path, source, explicit, flat = unit
        return list(read_file(Path(path), source, opts, warn, explicit, flat))
    _, path, source, lineno, raw = unit
    origin = f"{path}:{lineno}"
    if raw is None:
        return [Skip(origin, f"record larger than --max-bytes {opts.max_bytes} bytes")]
    if rec is None:
        rec = _json_record(raw, lineno, origin)
    if isinstance(rec, Skip):
        return [rec]
    try:
        art = _record_article(rec, origin, source, opts, warn)
        if isinstance(art, Article):
            art.encoding = "utf-8"
        return [_checked(art, warn)]
    except (ValueError, RecursionError, UnicodeError, MemoryError) as e:
        msg = str(e).splitlines()[0][:120] if str(e) else type(e).__name__
        return [Skip(origin, f"unreadable record ({type(e).__name__}: {msg})")]


def unit_record(unit: tuple) -> dict | Skip | None:
    """The JSON record of a ``line`` unit of :func:`read_units`, parsed as
    :func:`read_unit` parses it (to hand it back to :func:`read_unit`).

    Parameters
    ----------
    unit : tuple

    Returns
    -------
    dict, Skip or None
        The record; a Skip if the line is not a JSON object; None for the other
        units and for a line over ``max_bytes``.
    """
    if unit[0] != "line" or unit[4] is None:
        return None
    return _json_record(unit[4], unit[3], f"{unit[1]}:{unit[3]}")


def plain_columns(opts: IngestOptions) -> frozenset[str]:
    """Keys that are article fields and nothing else: a record with no other key has no
    document variables (:func:`doc_vars` gives ``{}``), whatever its values.

    Parameters
    ----------
    opts : IngestOptions
        Its column names (those :func:`doc_vars` would read as variables, such as
        ``meta.x`` or names with outer spaces, are left out).

    Returns
    -------
    frozenset of str

    Examples
    --------
    >>> sorted(plain_columns(IngestOptions()))
    ['author', 'date', 'lang', 'source', 'text', 'title', 'url']
    """
    return _plain(_mapped_cols(opts))


@functools.lru_cache(maxsize=16)
def _plain(cols: tuple[str, ...]) -> frozenset[str]:
    return frozenset(
        c for c in cols if c == c.replace("\x00", "").strip() and not c.startswith(META_COLUMN)
    )


def load_source_map(spec: str | os.PathLike | dict | None) -> dict[str, str]:
    """``--source-map FILE``: source names to rename at ingest, ``{from: to}``.

    A CSV file with the columns ``from,to``, or a YAML file mapping each name to its
    new name (``mountain-tribune: Mountain Tribune``) or listing ``{from, to}`` pairs.

    Parameters
    ----------
    spec : path, dict or None
        The file (or the mapping itself).

    Returns
    -------
    dict of str to str
        Empty without a map.
    """
    if spec is None or isinstance(spec, dict):
        return dict(spec or {})
    path = Path(spec)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(
            f"`source_map` {path}: cannot read it ({e}); give a CSV or YAML file"
        ) from None
    pairs = (
        _map_pairs_csv(text, path) if path.suffix.lower() == ".csv" else _map_pairs_yaml(text, path)
    )
    out: dict[str, str] = {}
    for i, (a, b) in enumerate(pairs, start=1):
        a, b = str(a or "").strip(), str(b or "").strip()
        if not a or not b:
            raise InputError(
                f"`source_map` {path}: entry {i} has an empty name; each needs from and to"
            )
        out[a] = b
    return out


def _map_pairs_csv(text: str, path: Path) -> list[tuple[str, str]]:
    rows = list(csv.reader(io.StringIO(text)))
    head = [h.strip().lower() for h in rows[0]] if rows else []
    if "from" not in head or "to" not in head:
        raise InputError(
            f"`source_map` {path}: the first line must name the columns from,to "
            f"(found: {', '.join(head) or 'nothing'})"
        )
    i, j = head.index("from"), head.index("to")
    return [(r[i], r[j]) if len(r) > max(i, j) else ("", "") for r in rows[1:] if any(r)]


def _map_pairs_yaml(text: str, path: Path) -> list[tuple[str, str]]:
    try:
        data = safeyaml.parse(text)
    except safeyaml.YamlError as e:
        raise InputError(f"`source_map` {path}: {e}") from None
    if isinstance(data, dict):
        return [_map_names(path, i, k, v) for i, (k, v) in enumerate(data.items(), 1)]
    if isinstance(data, list) and all(isinstance(d, dict) for d in data):
        return [_map_names(path, i, d.get("from"), d.get("to")) for i, d in enumerate(data, 1)]
    raise InputError(
        f"`source_map` {path}: expected 'old name: new name' lines (YAML) or a CSV "
        "with the columns from,to"
    )


def _map_names(path: Path, i: int, old: object, new: object) -> tuple[str, str]:
    """One YAML entry of a source map, refused unless both names are non-empty text."""
    for name, value in (("old", old), ("new", new)):
        if isinstance(value, str) and value.strip():
            continue
        kinds = {list: "a list", dict: "a mapping", bool: "true/false", str: "empty"}
        kind = kinds.get(type(value), "empty" if value is None else f"a number ({value})")
        label = repr(old) if isinstance(old, str) else f"entry {i}"
        raise InputError(
            f"`source_map` {path}: {label}: the {name} name is {kind}, not a source name; "
            "write one 'old name: new name' line per source, quoting names YAML reads "
            "otherwise ('2026': '2026 Daily', 'NO': Norway Today)"
        )
    return old.strip(), new.strip()  # type: ignore[union-attr]


def source_key(name: str) -> str:
    """What is left of a source name without case, spaces and punctuation."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", name).casefold() if ch.isalnum())


def similar_sources(counts: dict[str, int], touched: Iterable[str]) -> list[str]:
    """One warning per group of source names that differ only in case, spaces or punctuation.

    Parameters
    ----------
    counts : dict of str to int
        Articles per source in the store.
    touched : iterable of str
        The sources of this run; only groups with one of them are reported.

    Returns
    -------
    list of str
        Messages naming each variant with its article count and the command that merges them.
    """
    groups: dict[str, list[str]] = {}
    for name in sorted(counts):
        groups.setdefault(source_key(name), []).append(name)
    touched = set(touched)
    out = []
    for names in groups.values():
        if len(names) < 2 or not touched.intersection(names):
            continue
        names.sort(key=lambda n: (-counts[n], n))
        listing = ", ".join(f"'{n}' ({counts[n]} article{'s' * (counts[n] != 1)})" for n in names)
        out.append(
            f"sources that differ only in case, spaces or punctuation: {listing}; "
            f"merge them with: discourse corpus rename-source '{names[1]}' '{names[0]}' "
            "(or map names at ingest with --source-map FILE)"
        )
    return out


def ingest(
    store,
    paths: Iterable[str | Path],
    opts: IngestOptions | None = None,
    warn: Warn = _stderr_warn,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 500,
) -> IngestReport:
    """Read ``paths`` into ``store``; one transaction per batch; returns the counts.

    Afterwards, warns about source names of this run that differ from another stored
    one only in case, spaces or punctuation, and about texts already stored under
    another source.
    """
    report = IngestReport()
    warn = one_line_warn(warn)
    touched: set[str] = set()

    def articles() -> Iterator[Article]:
        n = 0
        for item in read_paths(paths, opts, warn, counter=report):
            if isinstance(item, Skip):
                warn(f"{item.origin}: skipped: {item.reason}")
                report.skipped.append(item)
                continue
            if item.date is None:
                report.undated += 1
            touched.add(item.source)
            n += 1
            if progress is not None and n % 100 == 0:
                progress(n)
            yield item

    o = opts or IngestOptions()
    columns = {"date": o.date_col, "title": o.title_col, "url": o.url_col, "author": o.author_col}
    report.added, report.duplicates = store.add_articles(
        articles(), batch_size=batch_size, notes=report.notes, columns=columns
    )
    for (old, new), n in sorted(report.notes.elsewhere.items()):
        warn(
            f"{n} article{'s' * (n != 1)} already stored under the source '{old}' "
            f"{'were' if n != 1 else 'was'} not stored again as '{new}'; to rename the source: "
            f"discourse corpus rename-source '{old}' '{new}'"
        )
    if touched:
        for msg in similar_sources(store.source_counts(), touched):
            warn(msg)
    return report
