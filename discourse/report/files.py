"""The report folder: file names from data, rendering every file, writing the folder atomically.

:func:`write_report` renders a :class:`ReportData` (:mod:`discourse.report.documents`)
and writes ``<out>/<period>/`` with ``report.md``, ``report.html``,
``frames_by_source.csv``, ``articles.csv``, ``summary.json`` and one CSV per
outlet under ``outlets/``. Each file is written to a temporary name and renamed
into place, inside a temporary folder that is renamed into place as a whole, so
a killed run leaves either the previous report or the new one, never half of
one. Names derived from data are sanitized and checked to stay inside the
output folder.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from discourse.atomic import atomic_write
from discourse.errors import InputError, StoreError
from discourse.formats import csv_text, to_json
from discourse.report.data import ReportData
from discourse.report.documents import render_html, render_markdown
from discourse.store import FileLock

REPORT_FILES = ("report.md", "report.html", "frames_by_source.csv", "articles.csv", "summary.json")
OUTLETS_DIR = "outlets"
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
_PROV_COLUMNS = ("lexicon", "lexicon_version", "lexicon_hash")


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
    prov = {k: data.provenance.get(k) for k in _PROV_COLUMNS}
    lead = {"period": data.period.label}
    cols = ["period", *data.by, *COMPARE_COLUMNS, *_PROV_COLUMNS]
    frame_rows = [{**lead, **r, **prov} for r in data.records]
    art_cols = ["period", *_article_columns(data.frames), *_PROV_COLUMNS]
    art_rows = [{**lead, **r, **prov} for r in data.articles]
    stems = unique_names(data.sources, "source")
    files = {
        "report.md": render_markdown(data),
        "report.html": render_html(data),
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
