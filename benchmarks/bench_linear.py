"""Benchmark: scoring time is linear in text length and in hits (issue 10, item 1).

Scores single-sentence texts of 1, 4 and 16 MB (no sentence punctuation, so the
whole text is one sentence) in one process and prints seconds, MB/s and the time
ratio for each 4x step: linear is ~4x, quadratic would be ~16x.

    python benchmarks/bench_linear.py              # 1, 4, 16 MB
    python benchmarks/bench_linear.py --sizes 1 4  # quicker

Inputs: ``win-win`` repeated (a hit per token), frame phrases repeated (hits of
several frames and phrases), and plain words (no hits).
"""

from __future__ import annotations

import argparse
import time

UNITS = {
    "win-win": "win-win ",
    "frame phrases": "mutual trust and win-win cooperation against hegemonism and a cold war "
    "mentality in a multipolar world ",
    "no hits": "the weather delayed several ships in the harbour today ",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=float, nargs="+", default=[1, 4, 16], help="MB of text")
    args = ap.parse_args()

    from discourse.api import get_lexicon
    from discourse.models import Article
    from discourse.scoring import Scorer

    scorer = Scorer(get_lexicon(None))
    print(f"{'input':<14} {'MB':>5} {'seconds':>8} {'MB/s':>6} {'hits':>9} {'ratio':>6}")
    for name, unit in UNITS.items():
        prev = None
        for mb in args.sizes:
            text = (unit * int(mb * 1_000_000 / len(unit) + 1))[: int(mb * 1_000_000)].strip()
            t0 = time.perf_counter()
            sc = scorer.score(Article(text, "bench"))
            dt = time.perf_counter() - t0
            assert sc.n_sentences == 1
            hits = sum(f.hits for f in sc.frames.values())
            ratio = f"{dt / prev:.1f}x" if prev else ""
            print(f"{name:<14} {mb:>5g} {dt:>8.2f} {mb / dt:>6.1f} {hits:>9} {ratio:>6}")
            prev = dt


if __name__ == "__main__":
    main()
