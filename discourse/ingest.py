"""Readers for each input format -> Articles; decoding, validation, skip-and-count.

Readers yield :class:`~discourse.models.Article` or :class:`~discourse.models.Skip`
(one bad record never stops a batch). :func:`ingest` writes the articles to a
store and returns an :class:`IngestReport`.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import json
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from discourse.dates import parse_article_date
from discourse.errors import InputError
from discourse.models import Article, Skip
from discourse.shared import Warn

TEXT_EXTS = {".txt", ".text"}
MD_EXTS = {".md", ".markdown"}
JSONL_EXTS = {".jsonl", ".ndjson"}
CSV_EXTS = {".csv"}
HTML_EXTS = {".html", ".htm", ".xhtml"}
FORMATS = ("auto", "txt", "md", "jsonl", "csv", "html")
IGNORE_FILE = ".discourseignore"
DEFAULT_IGNORES = ("README*", "LICENSE*", "CHANGELOG*", IGNORE_FILE)
DEFAULT_MAX_BYTES = 20_000_000
_FRONT_KEYS = ("source", "title", "date", "url", "lang", "author")


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


@dataclass
class IngestReport:
    files: int = 0
    added: int = 0
    duplicates: int = 0
    skipped: list[Skip] = field(default_factory=list)
    undated: int = 0

    @property
    def skip_reasons(self) -> Counter:
        return Counter(s.reason.split(":")[0].split(" (")[0] for s in self.skipped)

    def summary(self) -> str:
        text = f"added {self.added}, duplicates {self.duplicates}, skipped {len(self.skipped)}"
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
            "skip_reasons": dict(self.skip_reasons),
            "skips": [{"origin": s.origin, "reason": s.reason} for s in self.skipped],
        }


def _stderr_warn(msg: str) -> None:
    print(f"warning: {msg}", file=sys.stderr)


# ----------------------------------------------------------------------- decoding


def decode(raw: bytes, origin: str, warn: Warn) -> str | Skip:
    """Bytes -> text: UTF-8 (with or without BOM), else Windows-1252; binary is skipped."""
    if not raw.strip():
        return Skip(origin, "empty file")
    if b"\x00" in raw[:8192]:
        return Skip(origin, "binary file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError:
            return Skip(origin, "undecodable file (neither UTF-8 nor Windows-1252 text)")
        warn(f"{origin}: not valid UTF-8; read as Windows-1252")
    sample = text[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > max(2, len(sample) // 100):
        return Skip(origin, "binary file (control characters)")
    return text


def clean_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text.strip()


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
                meta = yaml.safe_load(head) if head.strip() else {}
            except yaml.YAMLError as e:
                mark = getattr(e, "problem_mark", None)
                line = f" (line {mark.line + 2})" if mark else ""
                problem = getattr(e, "problem", None) or "invalid YAML"
                return Skip(origin, f"bad front matter{line}: {problem}")
            if meta is None:
                meta = {}
            if not isinstance(meta, dict):
                return Skip(origin, "bad front matter: expected 'key: value' lines")
            return meta, "\n".join(lines[i + 1 :]), i + 2
    return Skip(origin, "front matter not closed: the '---' on line 1 has no closing '---' line")


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
    return Article(
        text=body,
        source=forced_source or _meta_str(meta, "source") or source,
        title=title,
        date=date,
        url=_meta_str(meta, "url"),
        lang=_meta_str(meta, "lang") or "en",
        author=_meta_str(meta, "author"),
        origin=origin,
    )


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
    )


def read_jsonl(
    path: Path, source: str, opts: IngestOptions, warn: Warn
) -> Iterator[Article | Skip]:
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            origin = f"{path}:{lineno}"
            if not raw.strip():
                continue
            if len(raw) > opts.max_bytes:
                yield Skip(origin, f"record larger than {opts.max_bytes} bytes")
                continue
            try:
                rec = json.loads(raw.decode("utf-8-sig" if lineno == 1 else "utf-8"))
            except UnicodeDecodeError:
                yield Skip(origin, "invalid JSON: not UTF-8")
                continue
            except json.JSONDecodeError as e:
                yield Skip(origin, f"invalid JSON: {e.msg} (column {e.colno})")
                continue
            if not isinstance(rec, dict):
                yield Skip(origin, "invalid record: expected a JSON object per line")
                continue
            yield _record_article(rec, origin, source, opts, warn)


def read_csv(path: Path, source: str, opts: IngestOptions, warn: Warn) -> Iterator[Article | Skip]:
    text = _read_text(path, opts, warn)
    if isinstance(text, Skip):
        yield text
        return
    csv.field_size_limit(max(opts.max_bytes, 1_000_000))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []
    except csv.Error as e:
        yield Skip(str(path), f"unreadable CSV: {e}")
        return
    if opts.text_col not in header:
        cols = ", ".join(header[:12]) or "none"
        yield Skip(
            str(path),
            f"no column '{opts.text_col}' (columns: {cols}); name the text column with --text-col",
        )
        return
    while True:
        try:
            rec = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            yield Skip(
                f"{path}:{reader.line_num}", f"unreadable CSV row: {e}; rest of file skipped"
            )
            return
        yield _record_article(rec, f"{path}:{reader.line_num}", source, opts, warn)


def read_html(
    path: Path, source: str | None, opts: IngestOptions, warn: Warn
) -> Iterator[Article | Skip]:
    raw = _read_capped(path, opts)
    if isinstance(raw, Skip):
        yield raw
        return
    if not raw.strip():
        yield Skip(str(path), "empty file")
        return
    from discourse.extract import article_from_html

    yield article_from_html(
        raw, origin=str(path), source=opts.source, fallback_source=source, warn=warn
    )


def _read_capped(path: Path, opts: IngestOptions) -> bytes | Skip:
    try:
        size = path.stat().st_size
        if size > opts.max_bytes:
            return Skip(str(path), f"file too large ({size} bytes > --max-bytes {opts.max_bytes})")
        return path.read_bytes()
    except OSError as e:
        return Skip(str(path), f"unreadable file: {e.strerror}")


def _read_text(path: Path, opts: IngestOptions, warn: Warn) -> str | Skip:
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
    if ext in HTML_EXTS:
        return "html"
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


def iter_files(root: Path) -> Iterator[tuple[Path, str]]:
    """Files under a folder with the source their folder gives, skipping ignored ones.

    The source of ``root/<sub>/.../file`` is ``<sub>``; of ``root/file`` it is ``root``'s name.
    Hidden files, README/LICENSE files and patterns listed in ``.discourseignore``
    files are left out.
    """
    patterns: dict[Path, list[str]] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if any(fnmatch.fnmatch(path.name, pat) for pat in DEFAULT_IGNORES):
            continue
        ignored = False
        for parent in [root, *[root.joinpath(*rel.parts[:i]) for i in range(1, len(rel.parts))]]:
            if parent not in patterns:
                patterns[parent] = _ignore_patterns(parent)
            sub = path.relative_to(parent).as_posix()
            if any(
                fnmatch.fnmatch(sub, p) or fnmatch.fnmatch(path.name, p) for p in patterns[parent]
            ):
                ignored = True
                break
        if ignored:
            continue
        source = rel.parts[0] if len(rel.parts) > 1 else (root.resolve().name or "unknown")
        yield path, source


def read_file(
    path: Path, source: str, opts: IngestOptions, warn: Warn, explicit: bool = False
) -> Iterator[Article | Skip]:
    fmt = detect_format(path, opts.fmt)
    if fmt is None:
        if not explicit:
            yield Skip(str(path), f"not an article file ({path.suffix or 'no extension'})")
            return
        fmt = "txt"
    if fmt == "jsonl":
        yield from read_jsonl(path, source, opts, warn)
    elif fmt == "csv":
        yield from read_csv(path, source, opts, warn)
    elif fmt == "html":
        # a page named on its own: the site's name beats the name of the folder it was saved in
        yield from read_html(path, None if explicit else source, opts, warn)
    else:
        text = _read_text(path, opts, warn)
        if isinstance(text, Skip):
            yield text
            return
        yield article_from_text(text, str(path), source, fmt == "md", warn, opts.source)


def read_paths(
    paths: Iterable[str | Path],
    opts: IngestOptions | None = None,
    warn: Warn = _stderr_warn,
    counter: IngestReport | None = None,
) -> Iterator[Article | Skip]:
    """Read files and folders; yields Articles and Skips. Missing paths raise InputError."""
    opts = opts or IngestOptions()
    if opts.fmt not in FORMATS:
        raise InputError(f"--format {opts.fmt!r} is not known; use one of {', '.join(FORMATS)}")
    paths = [Path(p) for p in paths]
    for p in paths:
        if not p.exists():
            raise InputError(f"no such file or folder: {p}")
    for p in paths:
        if p.is_dir():
            for f, source in iter_files(p):
                if counter is not None:
                    counter.files += 1
                yield from read_file(f, opts.source or source, opts, warn)
        else:
            if counter is not None:
                counter.files += 1
            source = opts.source or p.resolve().parent.name or "unknown"
            yield from read_file(p, source, opts, warn, explicit=True)


def ingest(
    store,
    paths: Iterable[str | Path],
    opts: IngestOptions | None = None,
    warn: Warn = _stderr_warn,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 500,
) -> IngestReport:
    """Read ``paths`` into ``store``; one transaction per batch; returns the counts."""
    report = IngestReport()

    def articles() -> Iterator[Article]:
        n = 0
        for item in read_paths(paths, opts, warn, counter=report):
            if isinstance(item, Skip):
                warn(f"{item.origin}: skipped: {item.reason}")
                report.skipped.append(item)
                continue
            if item.date is None:
                report.undated += 1
            n += 1
            if progress is not None and n % 100 == 0:
                progress(n)
            yield item

    report.added, report.duplicates = store.add_articles(articles(), batch_size=batch_size)
    return report
