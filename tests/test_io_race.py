"""Issue 10 item 3, the "Done when": ``report`` while ``compare`` and ``ingest`` run on the
same store completes (busy writes are retried, the lock is waited for), raced 20 times.

The default run races twice; the slow run (CI) 20 times.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest

from discourse.ingest import IngestOptions, ingest
from discourse.store import open_store

from .conftest import DEMO, write


def _start(*args: str) -> subprocess.Popen:
    env = {**os.environ, "NO_COLOR": "1", "DISCOURSE_DB": ""}
    return subprocess.Popen(
        [sys.executable, "-m", "discourse", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _race(tmp_path, rounds: int) -> None:
    db = str(tmp_path / "race.db")
    with open_store(db) as s:
        ingest(s, [DEMO], IngestOptions(), warn=lambda m: None)
    for i in range(rounds):
        new = tmp_path / f"new{i}" / "wire"
        for j in range(5):
            write(new / f"{j}.md", f"---\ndate: 2026-11-2{j}\n---\nRound {i} article {j}: "
                  "the partners praised mutual trust and a win-win partnership.\n")  # fmt: skip
        procs = {
            "report": _start(
                "report",
                "--db",
                db,
                "--since",
                "2026-08-01",
                "--until",
                "2026-11-30",
                "-o",
                str(tmp_path / "reports"),
                "--wait",
                "300",
                "-q",
                "--boot",
                "100",
            ),  # fmt: skip
            "compare": _start("compare", "--db", db, "--format", "csv"),
            "ingest": _start("ingest", str(new.parent), "--db", db, "--wait", "300", "-q"),
        }
        for name, p in procs.items():
            out, err = p.communicate(timeout=600)
            assert p.returncode == 0, f"round {i}: {name} exited {p.returncode}: {err[-500:]}"
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    n_new = con.execute("SELECT count(*) FROM articles WHERE source = 'wire'").fetchone()[0]
    assert n_new == 5 * rounds
    con.close()


@pytest.mark.slow
def test_report_compare_and_ingest_race_twice(tmp_path):
    _race(tmp_path, 2)


@pytest.mark.slow
def test_report_compare_and_ingest_race_20_times(tmp_path):
    _race(tmp_path, 20)
