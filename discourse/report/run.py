"""The report command's orchestration: open the inputs, lock the store, build, write."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from discourse import api
from discourse.commands import pick_frames
from discourse.report.build import build_report, resolve_period
from discourse.report.data import ReportData
from discourse.report.files import write_report
from discourse.shared import DEFAULT_BOOT
from discourse.stats import check_n_boot
from discourse.store import FileLock

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
    frames: str | None = None,
    **options,
) -> tuple[Path, ReportData]:
    """What ``discourse report`` does: open the inputs, lock the store, build, write.

    PATHs are read into an in-memory store (no lock needed); otherwise the
    store ``db`` is locked (``<db>.lock``) while the report's data are read,
    because the run adds to its score cache: a second concurrent run fails at once
    with :class:`~discourse.errors.LockError` (exit code 3). The charts and files
    are rendered and written after the store's lock is released (the output
    folder has its own lock), so concurrent runs wait only for the reading.
    ``options`` go to :func:`build_report`. ``frames`` (``"a,b"``) narrows the
    report's tables to those frames (:func:`narrow_report`). Returns the report
    folder and the data.
    """
    check_n_boot(options.get("n_boot", DEFAULT_BOOT))
    per = resolve_period(week, since, until, today)  # bad options fail before any I/O
    lex = api.get_lexicon(lexicon)
    shown = pick_frames(frames, lex.frame_names)
    with api.open_inputs(paths, db, warn=warn) as inp:
        lock = contextlib.nullcontext() if inp.store.in_memory else FileLock(inp.store.path)
        with lock:
            data = build_report(
                inp.store, lex, period=per, sources=sources, progress=progress, **options
            )
    data = narrow_report(data, shown)
    path = write_report(data, out_dir, raw_csv=raw_csv)
    return path, data


def narrow_report(data: ReportData, frames: Sequence[str] | None) -> ReportData:
    """The report with only ``frames``: every per-frame row of another frame left out.

    Every statistic is computed per frame (pairwise corrections within a frame), so the
    numbers kept are those of the full report; articles.csv keeps every frame's columns.

    Parameters
    ----------
    data : ReportData
    frames : sequence of str or None
        The frames to keep, in order; None keeps the report as it is.

    Returns
    -------
    ReportData
    """
    if not frames:
        return data
    keep = set(frames)
    changed: dict = {"frames": list(frames)}
    changed["frame_labels"] = {f: data.frame_labels[f] for f in frames}
    for f in dataclasses.fields(data):
        value = getattr(data, f.name)
        if f.name.endswith("_meta") and isinstance(value, dict) and "frames" in value:
            changed[f.name] = {**value, "frames": list(frames)}
        if f.name in ("articles", "frames") or not isinstance(value, list):
            continue  # articles.csv keeps every frame's columns
        changed[f.name] = [
            r for r in value if not isinstance(r, dict) or r.get("frame", frames[0]) in keep
        ]
    return dataclasses.replace(data, **changed)
