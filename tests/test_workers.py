"""--workers on every command that scores or counts: the same output with 1 and 2 processes.

Each comparison also checks that the run with 2 workers did start worker processes
(on the demo corpus a full chunk of articles is read, so the pool starts), so the
test cannot pass by running everything in this process.
"""

from __future__ import annotations

import re

import pytest

from discourse import workers
from tests.conftest import DEMO

LABELS = DEMO / "labels.csv"


@pytest.fixture
def pools(monkeypatch):
    """Counts the worker pools started (``discourse.workers.Pool``, which every command uses)."""
    started: list[int] = []
    init = workers.Pool.__init__

    def counting(self, task, n):
        started.append(n)
        init(self, task, n)

    monkeypatch.setattr(workers.Pool, "__init__", counting)
    return started


COMMANDS = {
    "compare": ["compare", DEMO, "--by", "source,month", "-f", "json"],
    "keyness": ["keyness", DEMO, "-f", "json"],
    "keyness_frame": ["keyness", DEMO, "--frame", "threat", "--min-count", "2", "-f", "csv"],
    "kwic": ["kwic", "frame:threat", DEMO, "--window", "4", "-f", "jsonl"],
    "kwic_sample": ["kwic", "partner*", DEMO, "--sample", "7", "-f", "json"],
    "trend": ["trend", DEMO, "--by", "month", "-f", "json"],
    "lexicon_stats": ["lexicon", "stats", DEMO, "-f", "json"],
    "lexicon_suggest": ["lexicon", "suggest", DEMO, "--frame", "partnership", "-f", "json"],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_two_workers_give_the_same_output_as_one(run, pools, name):
    args = COMMANDS[name]
    one = run(*args, "--workers", "1")
    assert one.code == 0, one.err
    assert pools == []
    two = run(*args, "--workers", "2")
    assert two.code == 0, two.err
    assert pools == [2], "the run with --workers 2 started no worker processes"
    assert two.out == one.out
    assert len(one.out) > 500


def test_kwic_limit_stops_the_workers_and_keeps_corpus_order(run, pools):
    one = run("kwic", "partner*", DEMO, "--limit", "5", "-f", "jsonl", "--workers", "1")
    two = run("kwic", "partner*", DEMO, "--limit", "5", "-f", "jsonl", "--workers", "2")
    assert one.code == two.code == 0
    assert two.out == one.out
    assert len(one.out.splitlines()) == 5


@pytest.mark.slow
def test_report_with_two_workers_writes_the_same_files(run, pools, tmp_path):
    out1, out2 = tmp_path / "one", tmp_path / "two"
    args = ["report", "--demo", "-q"]
    env_epoch = {"SOURCE_DATE_EPOCH": "1767225600"}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env_epoch.items():
            mp.setenv(k, v)
        assert run(*args, "-o", out1, "--workers", "1").code == 0
        assert run(*args, "-o", out2, "--workers", "2").code == 0
    assert pools and pools[0] == 2
    files = sorted(p.relative_to(out1) for p in out1.rglob("*") if p.is_file())
    assert len(files) >= 5
    for rel in files:
        assert (out2 / rel).read_bytes() == (out1 / rel).read_bytes(), rel


@pytest.mark.slow
def test_train_cross_validation_folds_in_parallel_give_the_same_result(run, pools):
    args = ["train", LABELS, "--cv", "2", "--frames", "partnership,threat", "-f", "json"]
    args += ["--dual"]  # the same folds and result as the primal solver, at far less CPU
    one = run(*args, "--workers", "1")
    two = run(*args, "--workers", "2")
    assert one.code == two.code == 0, one.err + two.err
    assert pools == [2]

    def strip(text: str) -> str:  # the time of writing and the training time differ
        return re.sub(r'"(created|seconds)": [^,\n]+', "", text)

    assert strip(two.out) == strip(one.out)
    assert '"f1_mean"' in one.out


@pytest.mark.parametrize("cmd", [["keyness"], ["lexicon", "stats"], ["trend"], ["train", LABELS]])
def test_workers_must_be_positive(run, cmd):
    r = run(*cmd, *([] if cmd[0] == "train" else [DEMO]), "--workers", "0")
    assert r.code in (1, 2)
    assert "--workers 0" in r.err


def test_imap_keeps_order_and_small_inputs_stay_in_process(pools):
    def task(xs):
        import os

        return [(x * x, os.getpid()) for x in xs]

    import os

    small = list(workers.imap(range(10), task, workers=2, chunk=4, min_chunk=5))
    assert [v for v, _ in small] == [x * x for x in range(10)]
    assert {pid for _, pid in small} == {os.getpid()} and pools == []
    big = list(workers.imap(range(300), task, workers=2, chunk=10, min_chunk=5))
    assert [v for v, _ in big] == [x * x for x in range(300)]
    assert os.getpid() not in {pid for _, pid in big} and pools == [2]
