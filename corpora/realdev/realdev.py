"""Build, verify and use the real-text development set without committing its text.

The sentences of ``corpora/realdev`` are third-party text. The repository holds only facts
about them (URL, site, outlet group, sentence offsets, SHA-1 of the exact sentence text) and
the coders' labels; the text itself lives in the git-ignored folder ``text/`` beside this
file. This script turns collected excerpts into those facts, proves that a folder of text
collected again is the same text, and joins text and labels into the CSV files that
``discourse evaluate`` and ``discourse train`` read.

Usage (from the repository root)::

    python corpora/realdev/realdev.py build     # collected excerpts -> excerpts.csv, sentences.csv
    python corpora/realdev/realdev.py verify    # every SHA-1 checked; exit 1 on any mismatch
    python corpora/realdev/realdev.py packets   # text/coding/*.csv for the coders (git-ignored)
    python corpora/realdev/realdev.py merge-coders  # coders' sheets -> coder_a.csv, coder_b.csv
    python corpora/realdev/realdev.py alpha     # Krippendorff's alpha per frame, coder A vs B
    python corpora/realdev/realdev.py disputes  # text/coding/disputes.csv for the third reading
    python corpora/realdev/realdev.py gold      # agreed codes + adjudicated ones -> gold.csv
    python corpora/realdev/realdev.py labels    # text/{gold,dev,holdout,coder_a,coder_b}.csv

``verify`` must pass before any figure computed on the set is trusted: ``labels`` runs it
first and refuses to write anything if a single sentence differs.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEXT = HERE / "text"
FRAMES = ["partnership", "multilateralism", "anti_hegemonism", "threat", "economic", "history"]
GROUPS = ["prc_state", "ru_state", "western", "global_south", "blog"]
SEED = "realdev-2026"
HOLDOUT_SHARE = 0.2
EXCERPT_FIELDS = [
    "excerpt_id", "group", "site", "outlet", "url", "query", "rank",
    "sha1", "n_chars", "n_sentences", "n_kept", "split", "excluded",
]  # fmt: skip
SENTENCE_FIELDS = ["sid", "excerpt_id", "idx", "start", "end", "sha1", "keep", "drop_reason"]


def sha1(text: str) -> str:
    """SHA-1 of ``text`` encoded as UTF-8, hex."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def read_excerpt(excerpt_id: str, base: Path = HERE) -> str | None:
    """The collected text of one excerpt, trailing white space removed; None if absent."""
    path = base / "text" / "collected" / f"{excerpt_id}.txt"
    if not path.is_file():
        return None
    return path.read_text(encoding="utf-8").rstrip()


# ----------------------------------------------------------------------------- sentences

_LINE = re.compile(r"[^\n]+")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans: each line is a paragraph, split by discourse's sentence tokenizer."""
    from discourse.tokenize import SentenceTokenizer

    splitter = SentenceTokenizer()
    spans = []
    for line in _LINE.finditer(text):
        base = line.start()
        for a, b in splitter.span_tokenize(line.group()):
            spans.append((base + a, base + b))
    return spans


_BOILERPLATE = re.compile(
    r"leave a (reply|comment)|your email address|required fields|all rights reserved|"
    r"copyright|©|subscribe|sign up|newsletter|read more|related (news|articles|stories)|"
    r"click here|follow us|share this|^by [\w .'-]{0,40}$|^photo:|^file photo|"
    r"^\(?(reuters|ap|afp|xinhua|tass)\)?$|cookies?|advertisement|^posted (on|by)|"
    r"https?://|www\.|^updated:?|^published:?|^\d{1,2}:\d{2}|^tags?:|^home\b|^menu\b|log ?in",
    re.IGNORECASE,
)
_ENDS = (".", "!", "?", '"', "”", "’", ":")
_LATIN = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_COMMON = frozenset(
    ("the", "a", "an", "of", "and", "to", "in", "on", "for", "with", "is", "are", "was",
     "were", "that", "this", "by", "as", "at", "from", "has", "have", "it", "its", "be",
     "will", "said", "their", "his", "her", "they", "which", "or", "not", "but", "also")
)  # fmt: skip


def drop_reason(sentence: str) -> str:
    """Why a sentence is not coded ('' if kept): boilerplate, heading, too short, not English."""
    words = _WORD.findall(sentence)
    if len(words) < 4:
        return "short"
    letters = [c for c in sentence if c.isalpha()]
    if letters and sum(bool(_LATIN.match(c)) for c in letters) / len(letters) < 0.9:
        return "not_english"
    if len(words) >= 8 and not any(w.lower() in _COMMON for w in words):
        return "not_english"
    if len(words) < 8 and not sentence.rstrip().endswith(_ENDS):
        return "heading"
    if _BOILERPLATE.search(sentence.strip()):
        return "boilerplate"
    if sentence.rstrip().endswith(("…", "...", "[…]")) and len(words) < 12:
        return "truncated"
    return ""


# ----------------------------------------------------------------------------- build


def _ngrams(text: str, n: int = 6) -> set[tuple[str, ...]]:
    words = [w.lower() for w in _WORD.findall(unicodedata.normalize("NFKC", text))]
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def near_duplicates(texts: dict[str, str], threshold: float = 0.3) -> list[tuple[str, str, float]]:
    """Pairs of excerpts sharing more than ``threshold`` of the smaller one's word 6-grams."""
    grams = {k: _ngrams(v) for k, v in texts.items()}
    keys = sorted(grams)
    out = []
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            small = min(len(grams[a]), len(grams[b]))
            if small == 0:
                continue
            share = len(grams[a] & grams[b]) / small
            if share > threshold:
                out.append((a, b, round(share, 3)))
    return out


def holdout(excerpt_ids: list[str]) -> set[str]:
    """A seeded fifth of the excerpts of each group, chosen by hash: the final check."""
    chosen: set[str] = set()
    by_group: dict[str, list[str]] = {}
    for eid in excerpt_ids:
        by_group.setdefault(eid.rsplit("-", 1)[0], []).append(eid)
    for ids in by_group.values():
        ranked = sorted(ids, key=lambda e: sha1(f"{SEED}:{e}"))
        chosen.update(ranked[: round(len(ranked) * HOLDOUT_SHARE)])
    return chosen


def _collected_meta(base: Path) -> list[dict]:
    metas = []
    for path in sorted((base / "text" / "collected").glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    metas.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    sys.exit(f"{path}:{n}: not JSON ({exc.msg}); fix the line")
    return metas


def _previous_splits(base: Path) -> dict[str, str]:
    """The split of every excerpt already in excerpts.csv: a rebuild never moves one."""
    path = base / "excerpts.csv"
    return {e["excerpt_id"]: e["split"] for e in _read(path)} if path.exists() else {}


def build(base: Path = HERE, new_split: str | None = None) -> None:
    """Collected excerpts -> excerpts.csv and sentences.csv (facts only).

    Excerpts already listed keep their split. New ones all go to ``new_split`` when it is
    given (a fresh hold-out collected later); otherwise a seeded fifth of each group goes to
    ``holdout`` and the rest to ``dev``.
    """
    metas = [m for m in _collected_meta(base) if read_excerpt(m["id"], base) is not None]
    texts = {m["id"]: read_excerpt(m["id"], base) for m in metas}
    dups = near_duplicates(texts)
    excluded = {b: f"near-duplicate of {a} ({s:.0%} shared 6-grams)" for a, b, s in dups}
    kept_ids = [m["id"] for m in metas if m["id"] not in excluded]
    previous = _previous_splits(base)
    held = holdout([e for e in kept_ids if e not in previous])
    excerpts, sentences = [], []
    for m in metas:
        eid, text = m["id"], texts[m["id"]]
        rows, seen = [], set()
        spans = sentence_spans(text)
        for idx, (a, b) in enumerate(spans):
            s = text[a:b]
            reason = "excerpt_excluded" if eid in excluded else drop_reason(s)
            if not reason and s in seen:
                reason = "repeat"
            if not reason and idx == len(spans) - 1 and not s.endswith(_ENDS):
                reason = "truncated"  # the excerpt ends mid-sentence
            seen.add(s)
            rows.append(
                {"sid": f"{eid}:{idx}", "excerpt_id": eid, "idx": idx, "start": a, "end": b,
                 "sha1": sha1(s), "keep": int(not reason), "drop_reason": reason}
            )  # fmt: skip
        sentences += rows
        excerpts.append(
            {"excerpt_id": eid, "group": m["group"], "site": m["site"],
             "outlet": m.get("outlet", ""), "url": m["url"], "query": m["query"],
             "rank": m.get("rank", ""), "sha1": sha1(text), "n_chars": len(text),
             "n_sentences": len(rows), "n_kept": sum(r["keep"] for r in rows),
             "split": previous.get(eid) or new_split or ("holdout" if eid in held else "dev"),
             "excluded": excluded.get(eid, "")}
        )  # fmt: skip
    _write(base / "excerpts.csv", EXCERPT_FIELDS, excerpts)
    _write(base / "sentences.csv", SENTENCE_FIELDS, sentences)
    _summary(excerpts, sentences, dups)


def _summary(excerpts: list[dict], sentences: list[dict], dups: list) -> None:
    live = [e for e in excerpts if not e["excluded"]]
    groups = Counter(e["group"] for e in live)
    print(
        f"{len(live)} excerpts ({len(excerpts) - len(live)} excluded as near-duplicates), "
        f"{len({e['site'] for e in live})} sites, "
        f"{sum(int(s['keep']) for s in sentences)} coded sentences of {len(sentences)}"
    )
    print("per group:", ", ".join(f"{g} {groups.get(g, 0)}" for g in GROUPS))
    print("dropped:", dict(Counter(s["drop_reason"] for s in sentences if not s["keep"])))
    for a, b, s in dups:
        print(f"near-duplicate: {b} repeats {a} ({s:.0%})")


def _write(path: Path, fields: list[str], rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# ----------------------------------------------------------------------------- verify


def verified_sentences(base: Path = HERE) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Text of every committed sentence whose SHA-1 matches, and the problems found.

    Returns ``(texts, problems)``: ``texts`` maps sid to sentence text; ``problems`` maps
    ``missing_excerpt``, ``changed_excerpt`` and ``changed_sentence`` to lists of ids.
    """
    problems: dict[str, list[str]] = {"missing_excerpt": [], "changed_excerpt": [],
                                      "changed_sentence": []}  # fmt: skip
    excerpts = {e["excerpt_id"]: e for e in _read(base / "excerpts.csv")}
    cache: dict[str, str | None] = {}
    texts = {}
    for s in _read(base / "sentences.csv"):
        eid = s["excerpt_id"]
        if eid not in cache:
            cache[eid] = read_excerpt(eid, base)
            if cache[eid] is None:
                problems["missing_excerpt"].append(eid)
            elif sha1(cache[eid]) != excerpts[eid]["sha1"]:
                problems["changed_excerpt"].append(eid)
        text = cache[eid]
        if text is None:
            continue
        chunk = text[int(s["start"]) : int(s["end"])]
        if sha1(chunk) == s["sha1"]:
            texts[s["sid"]] = chunk
        else:
            problems["changed_sentence"].append(s["sid"])
    return texts, problems


def verify(base: Path = HERE) -> int:
    """Check every SHA-1; print a summary; 0 when every sentence is verified."""
    texts, problems = verified_sentences(base)
    total = len(_read(base / "sentences.csv"))
    print(f"verified {len(texts)} of {total} sentences")
    for kind, ids in problems.items():
        if ids:
            print(f"{kind}: {len(ids)} ({', '.join(ids[:10])}{' …' if len(ids) > 10 else ''})")
    return 0 if len(texts) == total else 1


# ----------------------------------------------------------------------------- coding


def _neighbours(rows: list[dict], i: int, texts: dict[str, str]) -> tuple[str, str]:
    """The sentences before and after ``rows[i]`` in the same excerpt ('' at its edges)."""
    eid = rows[i]["excerpt_id"]
    prev = texts[rows[i - 1]["sid"]] if i > 0 and rows[i - 1]["excerpt_id"] == eid else ""
    last = i + 1 >= len(rows) or rows[i + 1]["excerpt_id"] != eid
    return prev, "" if last else texts[rows[i + 1]["sid"]]


def packets(n_parts: int = 2) -> None:
    """Coding sheets for the coders: kept sentences with neighbours, no outlet shown."""
    texts, problems = verified_sentences()
    if any(problems.values()):
        sys.exit("verify failed: collect the text again before coding")
    rows = _read(HERE / "sentences.csv")
    done = _coded_by_both()
    sheet = []
    for i, r in enumerate(rows):
        if r["keep"] == "1" and r["sid"] not in done:
            prev, nxt = _neighbours(rows, i, texts)
            sheet.append({"sid": r["sid"], "previous": prev, "sentence": texts[r["sid"]],
                          "next": nxt})  # fmt: skip
    out = TEXT / "coding"
    first = len(list(out.glob("sheet-*.csv"))) + 1  # earlier rounds' sheets stay as they are
    size = -(-len(sheet) // n_parts)
    for p in range(n_parts):
        part = sheet[p * size : (p + 1) * size]
        path = out / f"sheet-{first + p}.csv"
        _write(path, ["sid", "previous", "sentence", "next"], part)
        print(f"{path}: {len(part)} sentences")


def _coded_by_both() -> set[str]:
    """Sids that both coders' merged files already hold (an earlier round)."""
    paths = [HERE / "coder_a.csv", HERE / "coder_b.csv"]
    if not all(p.exists() for p in paths):
        return set()
    return set(_labels(paths[0])) & set(_labels(paths[1]))


def _labels(path: Path) -> dict[str, dict[str, int]]:
    out = {}
    for n, r in enumerate(_read(path), 2):
        try:
            out[r["sid"]] = {f: int(r[f]) for f in FRAMES}
        except (KeyError, ValueError, TypeError):
            sys.exit(f"{path}:{n}: needs sid and 0/1 in every frame column")
    return out


def alpha() -> None:
    """Krippendorff's alpha (nominal) per frame between the two coders, and raw agreement."""
    from discourse.classifier import krippendorff_alpha_nominal

    a, b = _labels(HERE / "coder_a.csv"), _labels(HERE / "coder_b.csv")
    common = sorted(set(a) & set(b))
    print(f"{len(common)} sentences coded by both (A {len(a)}, B {len(b)})")
    print(f"{'frame':17} {'alpha':>6} {'agree':>6} {'A+':>5} {'B+':>5} {'both':>5}")
    for f in FRAMES:
        xa = [a[s][f] for s in common]
        xb = [b[s][f] for s in common]
        al = krippendorff_alpha_nominal([xa, xb])
        agree = sum(x == y for x, y in zip(xa, xb)) / len(common)
        both = sum(x and y for x, y in zip(xa, xb))
        print(f"{f:17} {al:6.3f} {agree:6.3f} {sum(xa):5d} {sum(xb):5d} {both:5d}")


def labels() -> None:
    """Join verified text with labels: the CSV files discourse evaluate/train read."""
    texts, problems = verified_sentences()
    if any(problems.values()):
        sys.exit("verify failed: refusing to write labels from text that is not the coded text")
    excerpts = {e["excerpt_id"]: e for e in _read(HERE / "excerpts.csv")}
    fields = ["text", "doc_id", "sentence_index", "source", *FRAMES]
    for name in ("gold", "coder_a", "coder_b"):
        path = HERE / f"{name}.csv"
        if not path.exists():
            continue
        coded = _labels(path)
        rows: dict[str, list[dict]] = {"all": []}
        for sid, lab in coded.items():
            eid, idx = sid.rsplit(":", 1)
            e = excerpts[eid]
            row = {"text": texts[sid], "doc_id": eid, "sentence_index": idx,
                   "source": e["group"], **lab}  # fmt: skip
            rows["all"].append(row)
            rows.setdefault(e["split"], []).append(row)
        suffix = "" if name == "gold" else f"_{name}"
        for part, prs in rows.items():
            stem = "gold" if part == "all" else part
            _write(TEXT / f"{stem}{suffix}.csv", fields, prs)
        sizes = ", ".join(f"{part} {len(prs)}" for part, prs in rows.items() if part != "all")
        print(f"{name}: {len(rows['all'])} sentences ({sizes}) -> {TEXT}")


def merge_coders() -> None:
    """Coders' sheets (text/coding/out/<coder>-sheet-*.csv) -> coder_a.csv, coder_b.csv."""
    order = [r["sid"] for r in _read(HERE / "sentences.csv") if r["keep"] == "1"]
    for coder in ("A", "B"):
        coded: dict[str, dict[str, int]] = {}
        for path in sorted((TEXT / "coding" / "out").glob(f"{coder}-sheet-*.csv")):
            coded.update(_labels(path))
        rows = [{"sid": sid, **coded[sid]} for sid in order if sid in coded]
        _write(HERE / f"coder_{coder.lower()}.csv", ["sid", *FRAMES], rows)
        print(f"coder {coder}: {len(rows)} of {len(order)} sentences")


def disputes() -> None:
    """A sheet of every (sentence, frame) the coders disagree on, for the third reading."""
    texts, _ = verified_sentences()
    a, b = _labels(HERE / "coder_a.csv"), _labels(HERE / "coder_b.csv")
    decided = set(_adjudicated())
    rows = _read(HERE / "sentences.csv")
    index = {r["sid"]: i for i, r in enumerate(rows)}
    sheet = []
    for sid in sorted(set(a) & set(b), key=index.get):
        frames = [f for f in FRAMES if a[sid][f] != b[sid][f] and (sid, f) not in decided]
        if not frames:
            continue
        prev, nxt = _neighbours(rows, index[sid], texts)
        agreed = [f for f in FRAMES if a[sid][f] == b[sid][f] == 1]
        sheet.append({"sid": sid, "disputed": " ".join(frames), "agreed_present": " ".join(agreed),
                      "previous": prev, "sentence": texts[sid], "next": nxt})  # fmt: skip
    fields = ["sid", "disputed", "agreed_present", "previous", "sentence", "next"]
    _write(TEXT / "coding" / "disputes.csv", fields, sheet)
    print(f"{len(sheet)} sentences with {sum(len(r['disputed'].split()) for r in sheet)} "
          f"disputed frame codes -> {TEXT / 'coding' / 'disputes.csv'}")  # fmt: skip


def _adjudicated() -> dict[tuple[str, str], int]:
    """The third reading's decisions so far: (sid, frame) -> 0/1."""
    path = TEXT / "coding" / "out" / "adjudicated.csv"
    decided: dict[tuple[str, str], int] = {}
    if not path.exists():
        return decided
    for n, r in enumerate(_read(path), 2):
        if r.get("frame") not in FRAMES or r.get("present") not in ("0", "1"):
            sys.exit(f"adjudicated.csv:{n}: needs sid, a frame name and present 0/1")
        decided[(r["sid"], r["frame"])] = int(r["present"])
    return decided


def gold() -> None:
    """Agreed codes plus the third reading's decisions (text/coding/out/adjudicated.csv)."""
    a, b = _labels(HERE / "coder_a.csv"), _labels(HERE / "coder_b.csv")
    decided = _adjudicated()
    rows, missing = [], []
    for sid in a:
        if sid not in b:
            continue
        row = {"sid": sid}
        for f in FRAMES:
            if a[sid][f] == b[sid][f]:
                row[f] = a[sid][f]
            elif (sid, f) in decided:
                row[f] = decided[(sid, f)]
            else:
                missing.append(f"{sid}/{f}")
        rows.append(row)
    if missing:
        sys.exit(f"{len(missing)} disputed codes not adjudicated, e.g. {', '.join(missing[:5])}")
    _write(HERE / "gold.csv", ["sid", *FRAMES], rows)
    print(
        f"gold: {len(rows)} sentences, {len(decided)} adjudicated codes; positives: "
        + ", ".join(f"{f} {sum(r[f] for r in rows)}" for f in FRAMES)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    steps = ["build", "verify", "packets", "merge-coders", "alpha", "disputes", "gold", "labels"]
    parser.add_argument("step", choices=steps)
    parser.add_argument("--parts", type=int, default=2, help="coding sheets (packets)")
    parser.add_argument("--new-split", help="build: put every new excerpt in this split")
    args = parser.parse_args(argv)
    if args.step == "verify":
        return verify()
    if args.step == "packets":
        packets(args.parts)
    elif args.step == "build":
        build(new_split=args.new_split)
    else:
        steps = {"merge-coders": merge_coders, "alpha": alpha,
                 "disputes": disputes, "gold": gold, "labels": labels}  # fmt: skip
        steps[args.step]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
