"""Benchmark (issue 11): ``discourse score FILE`` streamed, memory and who does the work.

Generates a news-like JSONL corpus (bench_score.py's ``generate``) and its first
half, then runs ``discourse score FILE --format csv`` on each with 1 and 2 workers,
each in a fresh process, and prints per run: wall seconds, MB/s of article text,
the CPU seconds of the main process and of its workers, and the peak memory (max
RSS) of the main process and of the largest worker. The main process should do
little with workers (it only checks digests, numbers and writes rows), and peak
memory should not grow with the corpus (within 10% from half to full).

    python benchmarks/bench_stream.py --mb 20                     # 20 MB and its half
    python benchmarks/bench_stream.py --mb 1000 --workers 2 --dir /tmp/big
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

#: Runs ``discourse`` in this process and reports its own and its workers' usage.
CHILD = """
import atexit, json, resource, runpy, sys, time
t0 = time.perf_counter()
def report():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"wall": time.perf_counter() - t0,
                      "main_cpu": s.ru_utime + s.ru_stime, "main_rss": s.ru_maxrss / 1024,
                      "workers_cpu": c.ru_utime + c.ru_stime, "worker_rss": c.ru_maxrss / 1024}),
          file=sys.stderr)
atexit.register(report)
sys.argv = ["discourse", *sys.argv[1:]]
runpy.run_module("discourse", run_name="__main__")
"""


def run(path: Path, workers: int) -> dict:
    """One ``score`` run in a fresh process; its usage figures."""
    cmd = [sys.executable, "-c", CHILD, "score", str(path), "-f", "csv", "-q"]
    with open(os.devnull, "w") as out:
        res = subprocess.run(
            [*cmd, "--workers", str(workers)], stdout=out, stderr=subprocess.PIPE, text=True
        )
    if res.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{res.stderr}")
    return json.loads(res.stderr.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=20.0, help="corpus size in MB of text")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--no-half", action="store_true", help="only the full corpus")
    ap.add_argument("--dir", help="where to write the corpus (default: a temporary folder)")
    args = ap.parse_args()
    from bench_score import generate

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        full, half = Path(tmp) / "full.jsonl", Path(tmp) / "half.jsonl"
        n, size = generate(full, args.mb)
        corpora = [("full", full, size)]
        if not args.no_half:
            generate(half, args.mb / 2)  # the same seed: the first half of the full corpus
            half_size = sum(len(json.loads(x)["text"].encode()) for x in half.open())
            corpora.insert(0, ("half", half, half_size))
        print(f"corpus: {n} articles, {size / 1e6:.1f} MB of text")
        print("corpus  workers   wall s   MB/s   main CPU s  workers CPU s  main MB  worker MB")
        for name, path, nbytes in corpora:
            for w in args.workers:
                r = run(path, w)
                print(
                    f"{name:6}  {w:7}  {r['wall']:7.1f}  {nbytes / 1e6 / r['wall']:5.1f}  "
                    f"{r['main_cpu']:11.2f}  {r['workers_cpu']:13.2f}  {r['main_rss']:7.1f}  "
                    f"{r['worker_rss']:9.1f}"
                )


if __name__ == "__main__":
    main()
