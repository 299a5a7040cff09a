"""Labels files: ``doc_id``, ``text`` and one 0/1 column per frame, validated with one
clear message per problem.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from discourse.classifier.estimator import canonical_json
from discourse.errors import InputError
from discourse.shared import Warn

# sentence_index: the name corpora/realdev/realdev.py writes; read as sent_idx
META_COLUMNS = ("doc_id", "source", "sent_idx", "sentence_index", "text")
MAX_LABELS_BYTES = 200_000_000


# ------------------------------------------------------------------------ labels


@dataclass
class LabelSet:
    """Validated labels: one row per sentence."""

    texts: list[str]
    y: np.ndarray  # (n, n_frames) int8
    frames: list[str]
    doc_ids: list[str]
    sources: list[str]
    sent_idx: list[int | None]
    lines: list[int]
    sha256: str
    path: str = "<labels>"
    kind: str = "gold"  # "gold" (coded by people) or "lexicon" (weak supervision)

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def n_docs(self) -> int:
        return len(set(self.doc_ids))

    def label_counts(self) -> dict[str, dict[str, int]]:
        n = len(self)
        return {
            f: {"positive": int(self.y[:, j].sum()), "negative": int(n - self.y[:, j].sum())}
            for j, f in enumerate(self.frames)
        }

    def subset(self, idx: Sequence[int]) -> LabelSet:
        idx = list(idx)
        return LabelSet(
            texts=[self.texts[i] for i in idx],
            y=self.y[idx],
            frames=self.frames,
            doc_ids=[self.doc_ids[i] for i in idx],
            sources=[self.sources[i] for i in idx],
            sent_idx=[self.sent_idx[i] for i in idx],
            lines=[self.lines[i] for i in idx],
            sha256=self.sha256,
            path=self.path,
            kind=self.kind,
        )


def _label_value(v: Any) -> int | None:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, np.integer)):
        return int(v) if v in (0, 1) else None
    if isinstance(v, (float, np.floating)):
        return int(v) if v in (0.0, 1.0) else None
    if isinstance(v, str):
        s = v.strip()
        if s in ("0", "1"):
            return int(s)
        if s in ("0.0", "1.0"):
            return int(float(s))
    return None


def _show(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v):
        return "empty"
    return repr(v.strip() if isinstance(v, str) else v)


def _read_csv_rows(path: Path) -> tuple[list[str], list[tuple[int, dict]], str]:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(
            f"labels file not found: {path}; give a CSV with doc_id, text and one 0/1 column "
            "per frame (see 'discourse label')"
        ) from None
    if path.is_dir():
        raise InputError(f"{path} is a folder; give the labels CSV file")
    if size > MAX_LABELS_BYTES:
        raise InputError(f"{path}: labels file is larger than {MAX_LABELS_BYTES} bytes")
    raw = path.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: labels file is not UTF-8 text; save it as UTF-8 CSV") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise InputError(f"{path}: labels file is empty; it needs a header row and data rows")
        header = [h.strip() for h in header]
        rows = []
        for rec in reader:
            if not any(c.strip() for c in rec):
                continue
            if len(rec) > len(header):
                raise InputError(
                    f"{path}, line {reader.line_num}: {len(rec)} fields but the header has "
                    f"{len(header)}; quote text that contains commas"
                )
            rows.append((reader.line_num, dict(zip(header, rec))))
    except csv.Error as e:
        raise InputError(f"{path}, line {reader.line_num}: not valid CSV ({e})") from None
    return header, rows, sha


def load_labels(
    source: str | os.PathLike | LabelSet | Any,
    frames: Sequence[str] | None = None,
    require_both_classes: bool = True,
    warn: Warn | None = None,
) -> LabelSet:
    """Read and validate labels: a CSV path, a pandas DataFrame or a list of dicts.

    Columns: ``doc_id`` and ``text`` (required), ``source`` and ``sent_idx`` (optional),
    and one 0/1 column per frame. ``frames`` names the frame columns to use; without
    it, every column not in ``doc_id, source, sent_idx, text`` is a frame.
    Raises :class:`InputError` with the line and value for: a missing column, a value
    that is not 0 or 1, empty text or doc_id, a duplicate row coded differently (a copy
    coded the same is dropped with a warning naming its line), no rows, and (with
    ``require_both_classes``) a frame with one class only.
    """
    if isinstance(source, LabelSet):
        if frames is not None and list(frames) != source.frames:
            idx = [source.frames.index(f) for f in frames if f in source.frames]
            if len(idx) != len(frames):
                missing = [f for f in frames if f not in source.frames][0]
                raise InputError(f"{source.path}: no column for frame '{missing}'")
            source = replace(source, y=source.y[:, idx], frames=list(frames))
        return source
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        header, rows, sha = _read_csv_rows(path)
        where = str(path)
    else:
        if hasattr(source, "to_dict") and hasattr(source, "columns"):  # a pandas DataFrame
            header = [str(c) for c in source.columns]
            records = source.to_dict("records")
        else:
            records = list(source)
            header = []
            for r in records:
                for k in r:
                    if k not in header:
                        header.append(k)
        rows = [(i + 2, r) for i, r in enumerate(records)]  # as if line 1 were a header
        sha = hashlib.sha256(
            canonical_json([[str(r.get(c)) for c in header] for r in records]).encode()
        ).hexdigest()
        where = "<labels>"
    return _validate_labels(header, rows, sha, where, frames, require_both_classes, warn)


def _label_frames(header: list[str], frames, where: str) -> list[str]:
    """The frame columns (given, or every column that is not meta), checked against the header."""
    cols = ", ".join(header) or "none"
    for col, why in (
        ("text", "the sentence itself"),
        (
            "doc_id",
            "the article each sentence comes from, so cross-validation keeps an "
            "article's sentences together",
        ),
    ):
        if col not in header:
            raise InputError(f"{where}: no '{col}' column ({why}); columns found: {cols}")
    if frames is None:
        frames = [c for c in header if c not in META_COLUMNS and c]
        if not frames:
            raise InputError(
                f"{where}: no frame columns; add one 0/1 column per frame besides {cols}"
            )
    frames = list(frames)
    for f in frames:
        if f not in header:
            raise InputError(
                f"{where}: no column for frame '{f}' (columns: {cols}); add a 0/1 column "
                f"'{f}' or choose the frames to use with `frames`"
            )
    return frames


def _label_row(
    rec: dict, idx_col: str | None, where: str, line: int
) -> tuple[str, str, int | None]:
    """doc_id, text and sent_idx (from column ``idx_col``, if any) of one row, checked."""
    doc = rec.get("doc_id")
    doc = "" if doc is None or (isinstance(doc, float) and math.isnan(doc)) else str(doc).strip()
    if not doc:
        raise InputError(
            f"{where}, line {line}: empty doc_id; give every sentence the id of its article"
        )
    text = rec.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InputError(
            f"{where}, line {line}: empty text (doc_id {doc!r}); fill in the sentence "
            "or remove the row"
        )
    idx: int | None = None
    if idx_col is not None:
        raw_idx = rec.get(idx_col)
        try:
            idx = int(str(raw_idx).strip())
        except ValueError:
            raise InputError(
                f"{where}, line {line}: {idx_col} is {_show(raw_idx)}, not a whole number; "
                "give the sentence's position in its article (0, 1, 2, ...)"
            ) from None
    return doc, text, idx


def _frame_value(rec: dict, frame: str, where: str, line: int) -> int:
    """One row's 0/1 code for ``frame``, checked."""
    v = _label_value(rec.get(frame))
    if v is None:
        raise InputError(
            f"{where}, line {line}: frame '{frame}' is {_show(rec.get(frame))}, not 0 or 1; "
            "code every frame as 0 or 1"
        )
    return v


def _check_both_classes(y, frames, where: str, require: bool, warn: Warn | None) -> None:
    """A frame coded 0 (or 1) everywhere cannot be learned or measured."""
    for j, f in enumerate(frames):
        pos = int(y[:, j].sum())
        if pos in (0, len(y)):
            only = "0" if pos == 0 else "1"
            msg = (
                f"{where}: frame '{f}' is {only} in all {len(y)} rows (one class only), so "
                f"there is nothing to learn or measure; code some sentences "
                f"{'with' if pos == 0 else 'without'} it or leave it out with `frames`"
            )
            if require:
                raise InputError(msg)
            if warn:
                warn(msg)


def _validate_labels(
    header: list[str],
    rows: list[tuple[int, dict]],
    sha: str,
    where: str,
    frames: Sequence[str] | None,
    require_both_classes: bool,
    warn: Warn | None,
) -> LabelSet:
    frames = _label_frames(header, frames, where)
    if not rows:
        raise InputError(f"{where}: no data rows; code some sentences first")
    texts, doc_ids, sources, sidx, lines, codes = [], [], [], [], [], []
    seen: dict[tuple, int] = {}
    idx_col = next((c for c in ("sent_idx", "sentence_index") if c in header), None)
    for line, rec in rows:
        doc, text, idx = _label_row(rec, idx_col, where, line)
        row = [_frame_value(rec, f, where, line) for f in frames]
        key = (doc, idx) if idx_col is not None else (doc, " ".join(text.split()))
        if key in seen:
            first = seen[key]
            what = f"sentence {idx}" if idx_col is not None else "the same text"
            if codes[first] != row or texts[first].split() != text.split():
                differ = ", coded differently" if codes[first] != row else ""
                raise InputError(
                    f"{where}, lines {lines[first]} and {line}: duplicate row (doc_id {doc!r}, "
                    f"{what}){differ}; keep one"
                )
            if warn:
                warn(
                    f"{where}, line {line}: a copy of line {lines[first]} (doc_id {doc!r}, "
                    f"{what}), coded the same; dropped, one copy kept"
                )
            continue
        seen[key] = len(texts)
        texts.append(text.strip())
        doc_ids.append(doc)
        src = rec.get("source")
        sources.append("" if src is None or not isinstance(src, str) else src.strip())
        sidx.append(idx)
        lines.append(line)
        codes.append(row)
    y = np.array(codes, dtype=np.int8).reshape(len(codes), len(frames))
    _check_both_classes(y, frames, where, require_both_classes, warn)
    return LabelSet(texts, y, frames, doc_ids, sources, sidx, lines, sha, where)
