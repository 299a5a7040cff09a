"""Shared fixtures: run the CLI in-process and capture its output."""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from discourse.cli import main
from discourse.store import set_lock_wait

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "corpora" / "demo"
LEXICON = ROOT / "lexicons" / "china-russia-frames.yaml"
DATA = Path(__file__).resolve().parent / "data"


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def _no_terminal_width(monkeypatch):
    """Every test starts without COLUMNS/LINES, whatever ran before it in this process (a
    golden case, a test that fits tables to 80 columns): tests that want a width set it."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)


@pytest.fixture(scope="session", autouse=True)
def _fingerprint_key(tmp_path_factory):
    """Models' keyed sentence fingerprints use a test key, never the user's own key file."""
    old = os.environ.get("DISCOURSE_KEY_FILE")
    os.environ["DISCOURSE_KEY_FILE"] = str(tmp_path_factory.mktemp("key") / "fingerprint.key")
    yield
    if old is None:
        os.environ.pop("DISCOURSE_KEY_FILE", None)
    else:
        os.environ["DISCOURSE_KEY_FILE"] = old


@pytest.fixture
def run(capsys, monkeypatch):
    """Run ``discourse ARGS...`` in-process; returns exit code, stdout and stderr."""
    monkeypatch.delenv("DISCOURSE_DB", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")

    def _run(*args: str) -> Result:
        capsys.readouterr()
        try:
            code = main([str(a) for a in args])
        finally:
            set_lock_wait(None)  # --wait is process-wide: do not leak it into the next run
        cap = capsys.readouterr()
        return Result(code, cap.out, cap.err)

    return _run


def built_once(tmp_path_factory, name: str, build: Callable[[Path], None]) -> Path:
    """A folder that ``build(folder)`` fills once per test run, shared by the xdist workers.

    The first worker to ask builds it (under a lock, in a temporary folder renamed into
    place); the others wait for it and reuse it. Callers must not change it: copy it first.
    Without xdist it is built in this process's temporary folder, once per session.
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, shared by its workers (popen-gw0, popen-gw1 ...)
    folder = root / f"built-once-{name}"
    with open(root / f"built-once-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not folder.is_dir():
            tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
            build(tmp)
            tmp.rename(folder)
    return folder


@pytest.fixture(scope="session")
def demo_model(tmp_path_factory) -> Path:
    """A model of every frame trained once per session on the demo labels (no CV).

    ``--dual``: liblinear's dual solver reaches the same optimum about six times
    faster on these few sentences and many n-grams; the default (primal) path is
    trained in tests/test_classifier.py and the golden cases.
    """

    def build(folder: Path) -> None:
        args = ["train", str(DEMO / "labels.csv"), "-o", str(folder / "demo"), "--cv", "0"]
        assert main([*args, "--dual", "-q"]) == 0

    return built_once(tmp_path_factory, "demo-model", build) / "demo"


@pytest.fixture
def db(tmp_path) -> str:
    return str(tmp_path / "test.db")


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


#: The longest tests of a CI run (``--durations``), longest first. They start first, so
#: the xdist workers (``--dist worksteal``) share the rest and finish together instead of
#: one worker running the 20-fold race alone at the end of the run.
LONGEST = (
    "tests/test_io_race.py::test_report_compare_and_ingest_race_20_times",
    "tests/test_io_faults.py::test_kill_during_ingest_25_times",
    "tests/test_correction.py::test_simulation_500_samples_unbiased_and_95_percent_coverage",
    "tests/test_workers.py::test_train_cross_validation_folds_in_parallel_give_the_same_result",
    "tests/test_classifier.py::test_real_five_fold_cv_on_the_demo",
)


def pytest_collection_modifyitems(config, items):
    """Slow tests run in CI (``CI`` set) or when asked for with ``-m``; else they are skipped.

    The README's test command is the same locally and in CI: locally it takes about
    200 s of CPU time (the README gives the last measurement), CI runs everything.
    The :data:`LONGEST` tests are moved to the front (a stable sort: the rest keep their
    order, so each module's fixtures are still set up once per worker).
    """
    rank = {nodeid: i for i, nodeid in enumerate(LONGEST)}
    items.sort(key=lambda item: rank.get(item.nodeid, len(rank)))
    if config.getoption("markexpr") or os.environ.get("CI", "").lower() not in ("", "0", "false"):
        return
    skip = pytest.mark.skip(reason="slow: runs in CI (CI=true) or with -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
