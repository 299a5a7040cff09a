"""Benchmark: compare and report on a store of 100,000 generated articles, cold and cached.

It generates (deterministically, with bench_score.py's generator) N articles as
JSON Lines in a temporary folder, ingests them into a store, and copies the
store so that `compare` and `report` each get a first run on a cold score cache.
Then it times, each command in a fresh process (the real CLI):

* ``compare --db`` first run (every article scored) and cached re-run;
* ``report --db`` first run and cached re-run;
* after ingesting ``--add`` new articles: ``compare`` and ``report`` again, and
  the number of articles the report scored (``score_stats`` in its
  ``summary.json``: only the new ones; tests/test_scale.py asserts the same on a
  small store).

Everything it writes goes to a temporary folder, deleted at the end.

    python benchmarks/bench_store.py                    # 100,000 articles, --add 1000
    python benchmarks/bench_store.py --articles 20000 --workers 2
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_score import SOURCES, make_article  # noqa: E402


def generate(path: Path, n: int, seed: int, first: int = 0) -> int:
    """``n`` articles as JSON Lines (ids from ``first``, so added articles are new); bytes."""
    rng = random.Random(seed)
    size = 0
    with path.open("w", encoding="utf-8") as fh:
        for i in range(first, first + n):
            text = f"Dispatch {i}. " + make_article(rng)
            rec = {
                "text": text,
                "source": rng.choice(SOURCES),
                "date": f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}",
                "title": f"Article {i}",
                "url": f"https://bench.example/{i}",
            }
            fh.write(json.dumps(rec) + "\n")
            size += len(text.encode("utf-8"))
    return size


def timed(*args: str) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, its processes and their workers) for one
    ``discourse ARGS`` run in a fresh process (output discarded). On a shared machine the
    CPU seconds vary less with the load than the wall-clock ones."""
    cmd = [sys.executable, "-m", "discourse", *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def report_stats(out: Path) -> dict:
    return json.loads((out / "all" / "summary.json").read_text())["score_stats"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--add", type=int, default=1000, help="articles added before the re-run")
    ap.add_argument("--workers", type=int, default=0, help="--workers (0: the default)")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-store-"))
    wk = ["--workers", str(args.workers)] if args.workers else []
    rows = Rows()
    try:
        src = work / "articles.jsonl"
        size = generate(src, args.articles, args.seed)
        print(f"{args.articles:,} articles, {size / 1e6:.1f} MB of text", file=sys.stderr)
        db_c, db_r = str(work / "compare.db"), str(work / "report.db")
        rows.append(("ingest", timed("ingest", str(src), "--db", db_c, "-q"), ""))
        shutil.copy(db_c, db_r)  # a second store with a cold cache, for report
        cmp_args = ["compare", "--db", db_c, "-f", "json", "-q", *wk]
        rep_args = ["report", "--db", db_r, "-o", str(work / "reports"), "-q", *wk]
        rows.append(("compare, first run", timed(*cmp_args), f"{size / 1e6:.0f} MB"))
        rows.append(("compare, cached re-run", timed(*cmp_args), ""))
        rows.append(("report, first run", timed(*rep_args), str(report_stats(work / "reports"))))
        rows.append(
            ("report, cached re-run", timed(*rep_args), str(report_stats(work / "reports")))
        )
        new = work / "new.jsonl"
        generate(new, args.add, args.seed + 1, first=args.articles)
        for db in (db_c, db_r):
            timed("ingest", str(new), "--db", db, "-q")  # (not shown)
        rows.append((f"compare, +{args.add} new", timed(*cmp_args), ""))
        rows.append(
            (f"report, +{args.add} new", timed(*rep_args), str(report_stats(work / "reports")))
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


class Rows:
    """Prints each timing as it comes (a long run shows its progress)."""

    def __init__(self) -> None:
        print(f"{'step':<28} {'seconds':>8} {'CPU s':>8}  notes", flush=True)

    def append(self, row: tuple[str, tuple[float, float], str]) -> None:
        name, (sec, cpu), note = row
        print(f"{name:<28} {sec:8.1f} {cpu:8.1f}  {note}", flush=True)


if __name__ == "__main__":
    main()
