"""The report command's orchestration: open the inputs, lock the store, build, write."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from discourse import api
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
    **options,
) -> tuple[Path, ReportData]:
    """What ``discourse report`` does: open the inputs, lock the store, build, write.

    PATHs are read into an in-memory store (no lock needed); otherwise the
    store ``db`` is locked (``<db>.lock``) for the whole run, because the run
    adds to its score cache: a second concurrent run fails at once with
    :class:`~discourse.errors.LockError` (exit code 3). ``options`` go to
    :func:`build_report`. Returns the report folder and the data.
    """
    check_n_boot(options.get("n_boot", DEFAULT_BOOT))
    per = resolve_period(week, since, until, today)  # bad options fail before any I/O
    lex = api.get_lexicon(lexicon)
    with api.open_inputs(paths, db, warn=warn) as inp:
        lock = contextlib.nullcontext() if inp.store.in_memory else FileLock(inp.store.path)
        with lock:
            data = build_report(
                inp.store, lex, period=per, sources=sources, progress=progress, **options
            )
            path = write_report(data, out_dir, raw_csv=raw_csv)
    return path, data
