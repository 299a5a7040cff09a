"""Benchmark (issue 11): discourse end to end against the tools a researcher would use.

In one run, with interleaved rounds (each round runs every contender once, in
turn, each in a fresh process), on a generated news corpus (see bench_score.py):

* ``discourse score FILE.jsonl`` (1 and 2 workers) and ``discourse score --db``,
  end to end: start-up, reading, scoring, CSV output; and ``score FILE`` with the
  compiled accelerator turned off (``DISCOURSE_PURE=1``: what a pure-Python
  install runs);
* ``discourse compare --db`` with 1 and 2 workers; like ``score --db``, on a fresh
  copy of the store each time (``score --db`` fills the score cache, which would
  let later runs skip the scoring);
* the spaCy peer: a blank English pipeline with a sentencizer and a PhraseMatcher
  over the same terms, counting hits per frame and sentence (``pip install
  '.[bench]'``; left out when spaCy is missing);
* the floor: reading the JSONL and a plain regex tokenization, nothing else.

It prints median MB/s (of article text) per contender, ratios to the spaCy peer
and to the floor, the same in CPU time (user + system seconds of the process and
its workers: on a shared, loaded machine wall-clock figures are depressed, CPU
time much less), and the peak memory (max RSS) of ``score`` on the full and the
half corpus.

    python benchmarks/bench_throughput.py              # 20 MB, 5 rounds
    python benchmarks/bench_throughput.py --mb 5 --rounds 3
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def spacy_peer(path: str) -> int:
    """The ~20-line script a researcher would write with spaCy. Returns the hit count."""
    import spacy
    from spacy.matcher import PhraseMatcher

    from discourse.api import get_lexicon

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    for name, frame in get_lexicon(None).frames.items():
        matcher.add(name, [nlp.make_doc(t.replace("*", "")) for t in frame.terms])
    hits = 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            doc = nlp(json.loads(line)["text"])
            per_sentence: dict[tuple[int, int], int] = {}
            for match_id, start, _ in matcher(doc):
                key = (match_id, doc[start].sent.start)
                per_sentence[key] = per_sentence.get(key, 0) + 1
            hits += sum(per_sentence.values())
    return hits


def regex_floor(path: str) -> int:
    """Read the JSONL and tokenize with one plain regex: the floor for any pipeline."""
    word = re.compile(r"\w+|[^\w\s]")
    n = 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            n += len(word.findall(json.loads(line)["text"]))
    return n


PURE = "DISCOURSE_PURE=1"  # a command's first element: run it with the accelerator off


def run(cmd: list[str], setup=None) -> tuple[float, float, float]:
    """Run ``cmd`` in a fresh process; (wall seconds, its max RSS in MB, CPU seconds of it
    and its workers).

    The process is started with posix_spawn, not fork: Linux keeps a process's
    peak RSS across exec, so a forked child would report at least this
    process's own memory.
    """
    if setup:
        setup()
    env = dict(os.environ)
    # as installed: the modules' bytecode cached (compiled once in main()), not
    # compiled again at every start
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if cmd[0] == PURE:
        cmd, env["DISCOURSE_PURE"] = cmd[1:], "1"
    with tempfile.TemporaryFile() as err:
        actions = [
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_DUP2, err.fileno(), 2),
        ]
        t0 = time.perf_counter()
        pid = os.posix_spawn(cmd[0], cmd, env, file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        dt = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            raise SystemExit(f"failed: {' '.join(cmd)}\n{err.read().decode(errors='replace')}")
    return dt, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=20.0, help="corpus size in MB of text")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds (medians)")
    ap.add_argument("--peer", choices=["spacy", "regex"], help=argparse.SUPPRESS)
    ap.add_argument("path", nargs="?", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.peer:
        print((spacy_peer if args.peer == "spacy" else regex_floor)(args.path))
        return

    import compileall

    from bench_score import generate

    import discourse
    from discourse.speedups import ext

    print(f"accelerator: {'compiled' if ext else 'NOT BUILT (pure Python)'}")
    # pip compiles an installed package's modules; an editable checkout may not have
    # them compiled yet (or PYTHONDONTWRITEBYTECODE kept them from being cached)
    compileall.compile_dir(Path(discourse.__file__).parent, quiet=1)

    exe = [sys.executable, "-m", "discourse"]
    with tempfile.TemporaryDirectory() as tmp:
        full, half = Path(tmp) / "full.jsonl", Path(tmp) / "half.jsonl"
        n, size = generate(full, args.mb)
        with full.open() as src, half.open("w") as dst:  # the first half of the same corpus
            dst.writelines(line for i, line in enumerate(src) if i < n // 2)
        half_size = sum(len(json.loads(x)["text"].encode()) for x in half.open())
        print(f"corpus: {n} articles, {size / 1e6:.1f} MB of text; half: {half_size / 1e6:.1f} MB")
        clean, half_db = Path(tmp) / "clean.db", Path(tmp) / "half.db"
        subprocess.run([*exe, "ingest", str(full), "--db", str(clean), "-q"], check=True)
        subprocess.run([*exe, "ingest", str(half), "--db", str(half_db), "-q"], check=True)
        db, half_run = Path(tmp) / "run.db", Path(tmp) / "half_run.db"

        def fresh_db() -> None:  # a store without cached scores: every run scores afresh
            shutil.copyfile(clean, db)

        def fresh_half() -> None:
            shutil.copyfile(half_db, half_run)

        csv = ["--format", "csv", "-q"]
        tasks = {
            "score FILE, 1 worker": ([*exe, "score", str(full), *csv, "--workers", "1"], None),
            "score FILE, 2 workers": ([*exe, "score", str(full), *csv, "--workers", "2"], None),
            "score FILE, pure Python": (
                [PURE, *exe, "score", str(full), *csv, "--workers", "1"],
                None,
            ),
            "score --db, 1 worker": (
                [*exe, "score", "--db", str(db), *csv, "--workers", "1"],
                fresh_db,
            ),  # fmt: skip
            "compare --db, 1 worker": (
                [*exe, "compare", "--db", str(db), *csv, "--workers", "1", "--boot", "200"],
                fresh_db,
            ),
            "compare --db, 2 workers": (
                [*exe, "compare", "--db", str(db), *csv, "--workers", "2", "--boot", "200"],
                fresh_db,
            ),
            "regex floor": ([sys.executable, __file__, "--peer", "regex", str(full)], None),
        }
        # find_spec, not import: this process must stay small, as a spawned process's
        # peak RSS starts at its parent's (Linux keeps it across exec)
        if importlib.util.find_spec("spacy") is not None:
            tasks["spaCy peer"] = ([sys.executable, __file__, "--peer", "spacy", str(full)], None)
        else:
            print("spaCy is not installed (pip install '.[bench]'): the peer is left out")
        half_tasks = {
            "score FILE, 1 worker": ([*exe, "score", str(half), *csv, "--workers", "1"], None),
            "score --db, 1 worker": (
                [*exe, "score", "--db", str(half_run), *csv, "--workers", "1"],
                fresh_half,
            ),
        }
        times: dict[str, list[float]] = {k: [] for k in tasks}
        cpu: dict[str, list[float]] = {k: [] for k in tasks}
        rss: dict[str, list[float]] = {k: [] for k in tasks}
        half_rss: dict[str, list[float]] = {k: [] for k in half_tasks}
        for r in range(args.rounds):
            for name, (cmd, setup) in tasks.items():
                dt, mb, cpu_s = run(cmd, setup)
                times[name].append(dt)
                cpu[name].append(cpu_s)
                rss[name].append(mb)
            for name, (cmd, setup) in half_tasks.items():
                half_rss[name].append(run(cmd, setup)[1])
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
        mbs = {k: size / 1e6 / statistics.median(v) for k, v in times.items()}
        cpu_mbs = {k: size / 1e6 / statistics.median(v) for k, v in cpu.items()}
        peer, floor = mbs.get("spaCy peer"), mbs["regex floor"]
        cpu_peer, cpu_floor = cpu_mbs.get("spaCy peer"), cpu_mbs["regex floor"]
        print(
            f"\n{'contender':<26} {'median s':>9} {'MB/s':>7} {'x peer':>7} {'x floor':>8} "
            f"{'CPU s':>7} {'CPU MB/s':>9} {'x peer':>7} {'x floor':>8}"
        )
        for k in tasks:
            xp = f"{mbs[k] / peer:.2f}" if peer else "-"
            cxp = f"{cpu_mbs[k] / cpu_peer:.2f}" if cpu_peer else "-"
            print(
                f"{k:<26} {statistics.median(times[k]):>9.2f} {mbs[k]:>7.1f} {xp:>7} "
                f"{mbs[k] / floor:>8.2f} {statistics.median(cpu[k]):>7.2f} {cpu_mbs[k]:>9.1f} "
                f"{cxp:>7} {cpu_mbs[k] / cpu_floor:>8.2f}"
            )
        print(
            "(CPU: user + system seconds of the process and its workers, medians; on a loaded"
            " machine\n the CPU columns are the fairer comparison, and with 2 workers the wall"
            " time cannot go below half the CPU time)"
        )
        print("\npeak RSS (median max RSS), full and half corpus:")
        for k in half_tasks:
            full_rss, h = statistics.median(rss[k]), statistics.median(half_rss[k])
            print(f"  {k:<24} full {full_rss:.0f} MB, half {h:.0f} MB ({full_rss / h - 1:+.0%})")
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  (a spawned process's peak RSS cannot be below this process's: {own:.0f} MB)")
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
