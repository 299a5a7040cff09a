"""Fault injection in SQLite's manner (issue 10): kill an ingest at random points and make
SQLite fail with BUSY, FULL or I/O errors mid-batch; the store must pass
``PRAGMA integrity_check`` and every batch must be all or nothing.

The default run kills 3 times and injects a handful of faults; the slow run (CI) kills
25 times and injects at many more points.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from discourse import store as store_mod
from discourse.errors import DiscourseError, LockError, StoreError
from discourse.ingest import IngestOptions, ingest
from discourse.store import open_store

BATCH = 100
N = 1000
# the killed ingests: 10 of the store's 500-article batches, time enough to kill mid-batch
KILL_N = 5_000


def _corpus(path, n: int = N):
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({"text": f"Article {i}: " + "mutual trust and partners. " * 20,
                                 "source": f"s{i % 4}"}) + "\n")  # fmt: skip
    return path


def _state(db: str) -> tuple[str, int]:
    """The integrity check and the number of articles (0 for a store killed before its
    schema was committed: SQLite rolled the schema back, the file is still a sound store)."""
    con = sqlite3.connect(db)
    try:
        check = con.execute("PRAGMA integrity_check").fetchone()[0]
        schema = con.execute("SELECT 1 FROM sqlite_master WHERE name = 'articles'").fetchone()
        return check, con.execute("SELECT count(*) FROM articles").fetchone()[0] if schema else 0
    finally:
        con.close()


# ------------------------------------------------------------------ kill -9


def _until_exists(path: str, proc: subprocess.Popen) -> float:
    while not os.path.exists(path) and proc.poll() is None:
        time.sleep(0.005)
    return time.monotonic()


def _kill_runs(tmp_path, kills: int, seed: int) -> None:
    rnd = random.Random(seed)
    src = _corpus(tmp_path / "big.jsonl", KILL_N)
    env = {**os.environ, "NO_COLOR": "1", "DISCOURSE_DB": ""}
    cmd = [sys.executable, "-m", "discourse", "ingest", str(src), "-q", "--wait", "60"]
    db = str(tmp_path / "calibrate.db")
    proc = subprocess.Popen([*cmd, "--db", db], env=env)
    t0 = _until_exists(db, proc)
    proc.wait()
    writing = time.monotonic() - t0  # from the store's creation to the end
    kept = []
    for k in range(kills):
        db = str(tmp_path / f"k{k}.db")
        proc = subprocess.Popen([*cmd, "--db", db], env=env, stderr=subprocess.DEVNULL)
        _until_exists(db, proc)
        time.sleep(rnd.uniform(0, 0.9) * writing)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        check, count = _state(db)
        assert check == "ok", f"kill {k}: {check}"
        assert count % 500 == 0 or count == KILL_N, f"kill {k}: {count} is a partial batch"
        kept.append(count)
        # and the store is usable: a rerun completes it
        r = subprocess.run([*cmd, "--db", db], env=env, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert _state(db) == ("ok", KILL_N)
    print(f"articles kept after each kill: {kept}")


@pytest.mark.slow
def test_kill_during_ingest_keeps_whole_batches(tmp_path):
    _kill_runs(tmp_path, 3, seed=1)


@pytest.mark.slow
def test_kill_during_ingest_25_times(tmp_path):
    _kill_runs(tmp_path, 25, seed=2)


# --------------------------------------------------------- injected SQLite errors


def _inject(monkeypatch, errname: str, at: int, times: int = 1):
    """Make the ``at``-th INSERT (and ``times - 1`` after it) fail with ``errname``."""
    real = store_mod._Cursor.execute
    state = {"n": 0, "left": times}

    def execute(self, sql, params=()):
        if sql.startswith("INSERT"):
            state["n"] += 1
            if state["n"] >= at and state["left"]:
                state["left"] -= 1
                e = sqlite3.OperationalError(f"injected {errname}")
                e.sqlite_errorname = errname
                return self._guard(_raise, e)
        return real(self, sql, params)

    monkeypatch.setattr(store_mod._Cursor, "execute", execute)
    return state


def _raise(e):
    raise e


def _ingest(db, src):
    with open_store(db) as s:
        s.busy_wait = 2.0
        return ingest(s, [src], IngestOptions(), warn=lambda m: None, batch_size=BATCH)


@pytest.mark.parametrize(
    "errname, error",
    [
        ("SQLITE_FULL", StoreError),
        ("SQLITE_IOERR_WRITE", StoreError),
        ("SQLITE_IOERR_FSYNC", StoreError),
        ("SQLITE_CORRUPT", StoreError),
        ("SQLITE_BUSY", LockError),  # busy past the retry budget: exit code 3
    ],
)
def test_injected_errors_leave_whole_batches(tmp_path, monkeypatch, errname, error):
    rnd = random.Random(errname)
    src = _corpus(tmp_path / "a.jsonl")
    points = rnd.sample(range(1, N), 3 if "BUSY" not in errname else 1)
    if os.environ.get("CI"):
        points = rnd.sample(range(1, N), 15 if "BUSY" not in errname else 3)
    for k, at in enumerate(points):
        db = str(tmp_path / f"{k}.db")
        with monkeypatch.context() as m:
            _inject(m, errname, at, times=10**9 if "BUSY" in errname else 1)
            with pytest.raises(error) as exc:
                _ingest(db, src)
        assert "\n" not in str(exc.value)
        assert exc.value.exit_code == (3 if "BUSY" in errname else 1)
        check, count = _state(db)
        assert check == "ok"
        assert count == (at - 1) // BATCH * BATCH  # every batch before the fault, none after
        report = _ingest(db, src)  # the fault gone, a rerun completes the store
        assert report.added == N - count and _state(db) == ("ok", N)


def test_transient_busy_is_retried_and_nothing_is_lost(tmp_path, monkeypatch):
    src = _corpus(tmp_path / "a.jsonl")
    db = str(tmp_path / "s.db")
    state = _inject(monkeypatch, "SQLITE_BUSY_SNAPSHOT", at=250, times=4)
    report = _ingest(db, src)
    assert state["left"] == 0  # the faults happened
    assert report.added == N and _state(db) == ("ok", N)


def test_real_disk_full_via_max_page_count(tmp_path):
    src = _corpus(tmp_path / "a.jsonl")
    db = str(tmp_path / "s.db")
    with open_store(db) as s:
        pages = s.conn.execute("PRAGMA page_count").fetchone()[0]
        s.conn.execute(f"PRAGMA max_page_count = {pages + 60}")
        with pytest.raises(StoreError, match="cannot grow") as exc:
            ingest(s, [src], IngestOptions(), warn=lambda m: None, batch_size=BATCH)
        assert isinstance(exc.value, DiscourseError) and "\n" not in str(exc.value)
    check, count = _state(db)
    assert check == "ok"
    assert 0 < count < N and count % BATCH == 0
