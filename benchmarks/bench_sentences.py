"""Benchmark: the compiled sentence splitter against the Python reference (issue 11).

Generates news-like articles with ``bench_score.make_article`` (deterministic), checks
that both splitters give the same spans, then times both over every article in one
process, in interleaved rounds, and prints the medians (CPU time and wall time) and
the speed-up. Runs on the text as generated (ASCII, 1-byte strings) and on the same
text with curly quotes and a no-break space (2-byte strings, as in much real news).

    python benchmarks/bench_sentences.py                 # 20 MB, 7 rounds
    python benchmarks/bench_sentences.py --mb 5 --rounds 3
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import time
from pathlib import Path


def _articles(mb: float) -> list[str]:
    spec = importlib.util.spec_from_file_location(
        "bench_score", Path(__file__).with_name("bench_score.py")
    )
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    rng = random.Random(42)
    out, size = [], 0
    while size < mb * 1_000_000:
        out.append(gen.make_article(rng))
        size += len(out[-1].encode("utf-8"))
    return out


def _curly(text: str) -> str:
    return text.replace("'", "\u2019").replace(" the ", " the\u00a0", 3) + " \u201cEnd.\u201d"


def _time(split, texts: list[str], clock) -> float:
    t0 = clock()
    for text in texts:
        split(text)
    return clock() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=20.0, help="MB of generated news")
    ap.add_argument("--rounds", type=int, default=7, help="interleaved rounds (medians)")
    args = ap.parse_args()

    from discourse._sentences import sentence_spans as compiled

    from discourse.tokenize import sentence_spans as python

    ascii_texts = _articles(args.mb)
    mb = sum(len(t.encode("utf-8")) for t in ascii_texts) / 1e6
    print(f"{len(ascii_texts)} articles, {mb:.1f} MB, {args.rounds} interleaved rounds, medians")
    for name, texts in (("ascii", ascii_texts), ("curly quotes", [_curly(t) for t in ascii_texts])):
        assert all(compiled(t) == python(t) for t in texts), "the splitters disagree"
        for clock in (time.process_time, time.perf_counter):
            runs: dict[str, list[float]] = {"python": [], "compiled": []}
            for _ in range(args.rounds):
                runs["python"].append(_time(python, texts, clock))
                runs["compiled"].append(_time(compiled, texts, clock))
            py, c = statistics.median(runs["python"]), statistics.median(runs["compiled"])
            kind = "CPU" if clock is time.process_time else "wall"
            print(
                f"{name:<13} {kind:<4}  python {py:.3f} s ({mb / py:4.0f} MB/s)  "
                f"compiled {c:.4f} s ({mb / c:4.0f} MB/s)  {py / c:.1f}x"
            )


if __name__ == "__main__":
    main()
