"""The ``report`` command: a period's report folder (Markdown, HTML, CSV, JSON).

The modules follow the data: :mod:`~discourse.report.data` (what a report shows),
:mod:`~discourse.report.build` (gather it from a store),
:mod:`~discourse.report.documents` (Markdown and HTML; templates in ``templates/``),
:mod:`~discourse.report.files` (the folder, written atomically) and
:mod:`~discourse.report.run` (what the command does, in order).
"""

from __future__ import annotations

from discourse.report.build import build_report, resolve_period
from discourse.report.data import Period, ReportData
from discourse.report.files import REPORT_FILES, render_files, write_report
from discourse.report.run import run_report

__all__ = [
    "REPORT_FILES",
    "Period",
    "ReportData",
    "build_report",
    "render_files",
    "resolve_period",
    "run_report",
    "write_report",
]
