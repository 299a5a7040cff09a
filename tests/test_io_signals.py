"""Ctrl-C (issue 10, item 14): one line on stderr, exit 130, no worker traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import DEMO, ROOT

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def _interrupt_when_workers_run(args: list[str], tmp_path) -> subprocess.CompletedProcess:
    """Start ``discourse ARGS`` in its own process group; Ctrl-C the group once it has workers."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "discourse", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while proc.poll() is None and len(_children(proc.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "finished before its workers could be interrupted"
    time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: the whole foreground group
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def _big_corpus(tmp_path: Path, copies: int = 40) -> Path:
    """The demo articles many times over (each copy made distinct, so none is a duplicate):
    enough work that two workers are still busy when the Ctrl-C arrives, on a quiet machine too."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(DEMO.rglob("*.md"))]
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(copies):
            for j, t in enumerate(texts):
                rec = {"source": f"s{j % 5}", "text": f"{t}\n\nCopy {i}."}
                fh.write(json.dumps(rec) + "\n")
    return path


def test_ctrl_c_with_workers_is_one_line_and_exit_130(tmp_path):
    big = _big_corpus(tmp_path)
    r = _interrupt_when_workers_run(
        ["score", str(big), "--workers", "2", "--format", "csv"], tmp_path
    )
    assert r.returncode == 130, r.stderr
    assert r.stderr.startswith("discourse: interrupted;"), r.stderr
    assert r.stderr.count("\n") == 1, r.stderr  # no traceback from a worker or the main process
    assert "Traceback" not in r.stderr


def test_ctrl_c_in_process_is_reported_not_silent(run, monkeypatch):
    """typer turns KeyboardInterrupt into a silent exit 130; the CLI must still say so."""

    def interrupted(*a, **k):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)  # the handler raises before this ends

    monkeypatch.setattr("discourse.commands.source_stats", interrupted)
    r = run("corpus", "stats", "--db", "x.db")
    assert r.code == 130
    assert (
        r.err
        == "discourse: interrupted; what was committed before stays, nothing partial was stored\n"
    )
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


@pytest.mark.slow
def test_ctrl_c_while_workers_start_never_breaks_the_pool(tmp_path):
    """The race of issue 10: Ctrl-C between a worker's fork and its initializer gave a
    worker traceback (and BrokenProcessPool, exit 70) in about one run in three."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    big = _big_corpus(tmp_path, copies=10)
    for _ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-m", "discourse", "score", str(big), "--workers", "2", "-f", "csv"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while proc.poll() is None and not _children(proc.pid) and time.monotonic() < deadline:
            pass  # no sleep: interrupt the moment the first worker exists
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
        err = proc.communicate(timeout=120)[1]
        assert proc.returncode == 130, err
        assert err.startswith("discourse: interrupted;") and err.count("\n") == 1, err
