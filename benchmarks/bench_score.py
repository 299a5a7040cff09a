"""Benchmark: load + tokenize + score with the default lexicon, streaming from the store.

It generates (deterministically) a corpus of news-like text, ingests it into a
temporary store, then scores every article from the store several times, each
run in a fresh process so that its peak memory (max RSS) is its own. It prints
MB/s and articles/s as medians over the runs, and the peak memory of scoring
the full corpus and half of it (memory must not grow with the corpus).

    python benchmarks/bench_score.py            # 24 MB, 5 runs
    python benchmarks/bench_score.py --mb 60 --runs 3
    python benchmarks/bench_score.py --workers 2   # also: 1 vs 2 scoring processes

The text is synthetic: sentences assembled from a fixed vocabulary and stock
phrases written for this benchmark, so that the lexicon fires at a realistic rate.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUBJECTS = [
    "The foreign minister",
    "Officials in Beijing",
    "The Kremlin spokesman",
    "Analysts",
    "A senior diplomat",
    "The central bank",
    "The ministry",
    "Mr. Wang",
    "Dr. Petrova",
    "Customs data",
    "The U.S. Treasury",
    "Western officials",
    "The two sides",
    "Trade negotiators",
    "The delegation",
    "The state news agency",
]
VERBS = [
    "said",
    "noted",
    "argued",
    "announced",
    "stressed",
    "warned",
    "reported",
    "added",
    "claimed",
    "insisted",
    "confirmed",
    "suggested",
]
OBJECTS = [
    "that bilateral trade rose 3.1% to $162.4 billion in the first eight months",
    "that the comprehensive strategic partnership of coordination had reached a new height",
    "that win-win cooperation and mutual trust would guide the next stage of relations",
    "that true multilateralism and the UN Charter must remain the basis of global governance",
    "that the SCO and BRICS offered a platform for a multipolar world",
    "that hegemonism and power politics had no place in the 21st century",
    "that small cliques and bloc confrontation revived a Cold War mentality",
    "that unilateral sanctions and long-arm jurisdiction violated international law",
    "that the joint exercise was a show of force by an authoritarian axis",
    "that Russia's growing dependence on China made it the junior partner",
    "that the pipeline would deliver 38 bcm of gas a year from 2031",
    "that the anniversary of victory in the Second World War united the two peoples",
    "that the meeting lasted three hours and ended without a statement",
    "that the delegation would travel to Minsk on Wednesday",
    "that the figures would be published on Oct. 13",
    "that the weather had delayed the arrival of several ships",
    "that the summit agenda included energy, finance and transport",
    "that the exchange rate stayed stable through the quarter",
]
TAILS = [
    "",
    " on Tuesday",
    " in a statement",
    " at a briefing in Moscow",
    " after the talks",
    " according to people familiar with the matter",
    " in an interview",
]
SOURCES = [
    "Alpha Daily",
    "Beta Courier",
    "Gamma Ledger",
    "Delta Wire",
    "Epsilon Voice",
    "Zeta Times",
    "Eta Herald",
    "Theta Post",
]


def make_article(rng: random.Random) -> str:
    paras = []
    for _ in range(rng.randint(4, 8)):
        sents = []
        for _ in range(rng.randint(2, 4)):
            subject, verb = rng.choice(SUBJECTS), rng.choice(VERBS)
            sents.append(f"{subject} {verb} {rng.choice(OBJECTS)}{rng.choice(TAILS)}.")
        paras.append(" ".join(sents))
    return "\n\n".join(paras)


def generate(path: Path, mb: float, seed: int = 42) -> tuple[int, int]:
    rng = random.Random(seed)
    target = int(mb * 1_000_000)
    size = n = 0
    with path.open("w", encoding="utf-8") as fh:
        while size < target:
            text = make_article(rng)
            day = f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"
            rec = {
                "text": text,
                "source": rng.choice(SOURCES),
                "date": day,
                "title": f"Article {n}",
                "url": f"https://bench.example/{n}",
            }
            fh.write(json.dumps(rec) + "\n")
            size += len(text.encode("utf-8"))
            n += 1
    return n, size


def child_score_workers(db: str, workers: int) -> dict:
    """The same work through the store-scoring pipeline (iter_scores) with N processes."""
    from discourse.api import get_lexicon
    from discourse.scoring import Scorer, iter_scores
    from discourse.store import Selection, open_store

    scorer = Scorer(get_lexicon(None))
    store = open_store(db, create=False)
    size = sum(r["characters"] or 0 for r in store.source_stats())
    t0 = time.perf_counter()
    n = hits = 0
    arts = store.iter_articles(Selection(), order="id")
    for sc in iter_scores(arts, scorer, store=None, use_cache=False, workers=workers):
        hits += sum(f.hits for f in sc.frames.values())
        n += 1
    dt = time.perf_counter() - t0
    return {"seconds": dt, "articles": n, "bytes": size, "hits": hits}


def child_score(db: str, limit: int | None) -> dict:
    """Stream articles from the store, tokenize and score each; report time and peak RSS."""
    from discourse.api import get_lexicon
    from discourse.scoring import Scorer
    from discourse.store import Selection, open_store

    scorer = Scorer(get_lexicon(None))
    store = open_store(db, create=False)
    sel = Selection()
    t0 = time.perf_counter()
    n = size = hits = 0
    for art in store.iter_articles(sel, order="id"):
        if limit is not None and n >= limit:
            break
        size += len(art.text.encode("utf-8"))
        sc = scorer.score(art)
        hits += sum(f.hits for f in sc.frames.values())
        n += 1
    dt = time.perf_counter() - t0
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": dt, "articles": n, "bytes": size, "hits": hits, "max_rss_mb": rss_kb / 1024}


def run_child(db: str, limit: int | None = None, workers: int = 0) -> dict:
    cmd = [sys.executable, __file__, "--child", db]
    if limit is not None:
        cmd += ["--limit", str(limit)]
    if workers:
        cmd += ["--workers", str(workers)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=24.0, help="corpus size in MB of text")
    ap.add_argument("--runs", type=int, default=5, help="scoring runs (median reported)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    ap.add_argument(
        "--workers",
        type=int,
        default=0,
        help="also time the pipeline with 1 and this many processes",
    )
    args = ap.parse_args()
    if args.child:
        if args.workers:
            print(json.dumps(child_score_workers(args.child, args.workers)))
        else:
            print(json.dumps(child_score(args.child, args.limit)))
        return

    from discourse.ingest import IngestOptions, ingest
    from discourse.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "bench.jsonl"
        t0 = time.perf_counter()
        n, size = generate(corpus, args.mb)
        print(
            f"generated {n} articles, {size / 1e6:.1f} MB of text in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        db = str(Path(tmp) / "bench.db")
        t0 = time.perf_counter()
        with open_store(db) as store:
            rep = ingest(store, [corpus], IngestOptions(), warn=lambda m: None)
        dt = time.perf_counter() - t0
        print(f"ingest: {rep.added} articles in {dt:.1f} s = {size / 1e6 / dt:.1f} MB/s")
        runs = [run_child(db) for _ in range(args.runs)]
        secs = [r["seconds"] for r in runs]
        med = statistics.median(secs)
        mbs = [r["bytes"] / 1e6 / r["seconds"] for r in runs]
        aps = [r["articles"] / r["seconds"] for r in runs]
        print(f"score (load from store + tokenize + score), {args.runs} runs in fresh processes:")
        print(f"  seconds   median {med:.2f}  (min {min(secs):.2f}, max {max(secs):.2f})")
        print(
            f"  MB/s      median {statistics.median(mbs):.1f}  "
            f"(min {min(mbs):.1f}, max {max(mbs):.1f})"
        )
        print(f"  articles/s median {statistics.median(aps):.0f}")
        print(f"  hits      {runs[0]['hits']} in {runs[0]['articles']} articles")
        half = run_child(db, limit=n // 2)
        full_rss = statistics.median(r["max_rss_mb"] for r in runs)
        print(
            f"peak memory (max RSS): full corpus {full_rss:.0f} MB, half corpus "
            f"{half['max_rss_mb']:.0f} MB (ratio {full_rss / half['max_rss_mb']:.2f}; "
            "streaming keeps it flat)"
        )
        if args.workers > 1:
            for w in (1, args.workers):
                rs = [run_child(db, workers=w) for _ in range(args.runs)]
                mbs = statistics.median(r["bytes"] / 1e6 / r["seconds"] for r in rs)
                label = f"{w} process{'es' if w > 1 else ''}"
                print(
                    f"pipeline (iter_scores) with {label}: median {mbs:.1f} MB/s, {args.runs} runs"
                )


if __name__ == "__main__":
    main()
