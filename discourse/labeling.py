"""Coding sentences at the terminal (``discourse label``): sampling, the keystroke loop, the CSV.

The loop is pure logic with injectable input and output (``read_key`` returns one
key, ``write`` prints text), so it is tested without a terminal.

* **Sampling**: sentences of the store's articles, uniformly at random (reservoir
  sampling, seeded), optionally stratified by source (round-robin over sources), or
  enriched with sentences the model is unsure about (probability closest to the
  frame's threshold, on the logit scale).
* **doc_id** of a stored article: ``<folder>/<file stem>`` when it was ingested from a
  file (the convention of ``corpora/demo/labels.csv``, so coding the demo store resumes
  against that file), else its URL, else ``article:<id>``. See :func:`article_doc_id`.
* **Resumable, never losing work**: each coded sentence is appended to the labels
  CSV and flushed to disk at once; sentences already in the file (same ``doc_id`` and
  ``sent_idx``) are never offered again. Quitting (``q``, Ctrl-C, end of input)
  drops only the sentence being coded.
"""

from __future__ import annotations

import csv
import math
import os
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from discourse.errors import InputError
from discourse.lexicon import Lexicon, Matcher
from discourse.models import Article
from discourse.shared import DEFAULT_SEED
from discourse.stats import Reservoir
from discourse.tokenize import Tokenizer

ReadKey = Callable[[], str]
Write = Callable[[str], None]

YES_KEYS = ("y", "1")
NO_KEYS = ("n", "0", "\r", "\n", " ")
BACK_KEY = "b"
SKIP_KEY = "s"
QUIT_KEYS = ("q", "\x03", "\x04", "")  # q, Ctrl-C, Ctrl-D, end of input
HELP_KEY = "?"
PAGE_KEYS = {">": 1, "]": 1, "<": -1, "[": -1}  # an article's next / previous page
ARTICLE_PAGE = 15  # sentences per page when a whole article is coded
MASK = "[outlet]"  # the outlet's name, hidden in a blind session
HELP = (
    "keys: y or 1 = frame present · n, 0 or Enter = absent · b = back one frame · "
    "s = skip this sentence · q = save and quit · ? = help\n"
    "Code what the sentence does (see the codebook); the lexicon's suggestion is only a "
    "hint and may be wrong."
)
ARTICLE_HELP = (
    "> = next page of the article · < = previous page. A frame is present when the article "
    "uses it anywhere (see the codebook)."
)
_FILE_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm")


def article_doc_id(article: Article) -> str:
    """The ``doc_id`` of a stored article in a labels file.

    ``<folder>/<file stem>`` for an article ingested from its own file (as in
    ``corpora/demo/labels.csv``); otherwise its URL; otherwise ``article:<id>``.
    """
    origin = article.origin or ""
    if origin and not re.search(r":\d+$", origin):
        p = Path(origin)
        if p.suffix.lower() in _FILE_SUFFIXES and p.parent.name:
            return f"{p.parent.name}/{p.stem}"
    if article.url:
        return article.url
    return f"article:{article.id}"


@dataclass
class Candidate:
    """A sentence offered for coding, with its context and the machine suggestions."""

    doc_id: str
    source: str
    sent_idx: int
    text: str
    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    article_id: int | None = None
    suggestion: dict[str, list[str]] = field(default_factory=dict)  # frame -> lexicon terms
    probs: dict[str, float] | None = None  # frame -> classifier probability
    reason: str = "random"  # "random", "uncertain" or "validation"
    margin: float | None = None  # distance to the nearest threshold (logit scale)
    extra: dict[str, object] = field(default_factory=dict)  # more columns (validation design)
    pages: list[str] = field(default_factory=list)  # a whole article to code, page by page


@dataclass
class SessionReport:
    path: str
    coded: int = 0
    skipped: int = 0
    offered: int = 0
    quit: bool = False
    already: int = 0  # sentences in the file before the session
    positives: dict[str, int] = field(default_factory=dict)
    unit: str = "sentence"  # what is coded: sentences, or whole articles

    def summary(self) -> str:
        total = self.already + self.coded
        how = "stopped" if self.quit else "done"
        s = "" if self.coded == 1 else "s"
        return (
            f"{how}: coded {self.coded} {self.unit}{s} this session ({self.skipped} skipped); "
            f"{total} in {self.path}"
        )


# ------------------------------------------------------------------- labels file


def read_progress(
    path: str | os.PathLike, frames: Sequence[str]
) -> tuple[set[tuple[str, int]], list[str] | None]:
    """(doc_id, sent_idx) pairs already coded in ``path``, and its header (None: no file).

    The file must have ``doc_id``, ``sent_idx``, ``text`` and a column per frame.
    """
    p = Path(path)
    read = _read_coded(p, "labels")
    if read is None:
        return set(), None
    header, records = read
    need = ["doc_id", "sent_idx", "text", *frames]
    missing = [c for c in need if c not in header]
    if missing:
        raise InputError(
            f"{p}: no column '{missing[0]}' (columns: {', '.join(header)}); code into "
            "a new file, or choose the file's frames with `frames`"
        )
    di, si = header.index("doc_id"), header.index("sent_idx")
    done = set()
    for line, rec in records:
        if len(rec) > max(di, si) and rec[di].strip():
            try:
                done.add((rec[di].strip(), int(rec[si])))
            except ValueError:
                raise InputError(
                    f"{p}, line {line}: sent_idx is {rec[si]!r}, not a whole number"
                ) from None
    return done, header


def _read_coded(p: Path, kind: str) -> tuple[list[str], list[tuple[int, list[str]]]] | None:
    """A coded CSV being resumed: (stripped header, (line number, record) per row), or None
    when there is no file yet; a folder, non-UTF-8 text or broken CSV is one-line error."""
    if not p.exists() or p.stat().st_size == 0:
        return None
    if p.is_dir():
        raise InputError(f"{p} is a folder; give the {kind} CSV file to append to")
    try:
        with p.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            header = [h.strip() for h in next(reader, [])]
            return header, [(reader.line_num, rec) for rec in reader]
    except UnicodeDecodeError:
        raise InputError(f"{p} is not UTF-8 text; give a {kind} CSV") from None
    except csv.Error as e:
        raise InputError(f"{p}: not valid CSV ({e})") from None


class LabelWriter:
    """Appends coded sentences to a labels CSV, flushing each row to disk."""

    def __init__(
        self,
        path: str | os.PathLike,
        frames: Sequence[str],
        header: list[str] | None,
        extra: Sequence[str] = (),
        base: Sequence[str] = ("doc_id", "source", "sent_idx", "text"),
    ):
        self.path = Path(path)
        self.frames = list(frames)
        if self.path.parent and not self.path.parent.exists():
            raise InputError(f"cannot write {self.path}: folder {self.path.parent} does not exist")
        new = header is None
        self.header = header or [*base, *self.frames, *extra]
        needs_newline = False
        if not new:
            with self.path.open("rb") as fh:
                fh.seek(-1, os.SEEK_END)
                needs_newline = fh.read(1) not in (b"\n", b"\r")
        self._fh = self.path.open("a", encoding="utf-8", newline="")
        self._w = csv.writer(self._fh, lineterminator="\n")
        if needs_newline:
            self._fh.write("\n")
        if new:
            self._w.writerow(self.header)
            self._sync()

    def _sync(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def write(self, cand: Candidate, codes: dict[str, int]) -> None:
        values = {
            "doc_id": cand.doc_id,
            "source": cand.source,
            "sent_idx": cand.sent_idx,
            "text": cand.text,
            **cand.extra,
            **codes,
        }
        self._w.writerow(["" if values.get(c) is None else values.get(c, "") for c in self.header])
        self._sync()

    def close(self) -> None:
        self._fh.close()


# ---------------------------------------------------------------------- sampling


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def _candidate(art, doc: str, sents: list, s, context: int, matcher) -> Candidate:
    """A sentence to code, with its neighbours and the lexicon's suggestion."""
    lo, hi = max(0, s.index - context), s.index + context + 1
    cand = Candidate(
        doc_id=doc,
        source=art.source,
        sent_idx=s.index,
        text=" ".join(s.text.split()),
        before=[" ".join(x.text.split()) for x in sents[lo : s.index]],
        after=[" ".join(x.text.split()) for x in sents[s.index + 1 : hi]],
        article_id=art.id,
    )
    if matcher is not None:
        for fi, term, _, _ in matcher.match(s.tokens):
            cand.suggestion.setdefault(matcher.frames[fi], []).append(term)
    return cand


def sample_candidates(
    store,
    lexicon: Lexicon | None,
    n: int,
    seed: int = DEFAULT_SEED,
    sel=None,
    stratify: bool = False,
    model=None,
    uncertain: float = 0.0,
    exclude: set[tuple[str, int]] | None = None,
    context: int = 1,
    pool_factor: int = 5,
    min_words: int = 1,
) -> list[Candidate]:
    """Up to ``n`` sentences of the store to code, seeded and reproducible.

    ``stratify``: the same number from each source (round-robin). ``model`` and
    ``uncertain`` (0-1): that share of the sample is the sentences whose probability is
    closest to the frame's threshold (in a random pool of ``pool_factor * n``).
    ``exclude``: (doc_id, sent_idx) pairs already coded.
    """
    if n <= 0:
        return []
    if not 0.0 <= uncertain <= 1.0:
        raise InputError(f"`uncertain` {uncertain}: give a share between 0 and 1")
    if uncertain > 0 and model is None:
        raise InputError(
            "`uncertain` needs a model (`model` MODEL) to know what it is unsure about"
        )
    rng = random.Random(seed)
    exclude = exclude or set()
    tok = Tokenizer()
    matcher = Matcher(lexicon) if lexicon is not None else None
    pool_size = n * (pool_factor if model is not None and uncertain > 0 else 1)
    reservoirs: dict[str, Reservoir] = {}
    for art in store.iter_articles(sel, order="id"):
        doc = article_doc_id(art)
        sents = tok.sentences(art.text)
        key = art.source if stratify else ""
        for s in sents:
            if (doc, s.index) in exclude:
                continue
            if sum(1 for t in s.tokens if t[:1].isalnum()) < min_words:
                continue
            res = reservoirs.setdefault(key, Reservoir(pool_size, rng))
            slot = res.slot()
            if slot is not None:
                res.items[slot] = _candidate(art, doc, sents, s, context, matcher)
    pools = {k: v.items for k, v in sorted(reservoirs.items())}
    for v in pools.values():
        rng.shuffle(v)
    if model is not None:
        allc = [c for v in pools.values() for c in v]
        if allc:
            # a model trained with context reads each sentence with its two neighbours
            ctx = [" ".join([*c.before[-1:], *c.after[:1]]) for c in allc]
            probs = model.predict_proba([c.text for c in allc], context=ctx)
            thr = model.thresholds_
            for c, row in zip(allc, probs):
                c.probs = {f: float(p) for f, p in zip(model.frames_, row)}
                c.margin = min(abs(_logit(p) - _logit(t)) for p, t in zip(row, thr))
    chosen: list[Candidate] = []
    taken: set[int] = set()
    n_unc = round(n * uncertain) if model is not None else 0
    if n_unc:
        allc = [c for v in pools.values() for c in v]
        for c in sorted(allc, key=lambda c: c.margin)[:n_unc]:
            c.reason = "uncertain"
            chosen.append(c)
            taken.add(id(c))
    # the rest: random, round-robin over sources when stratified
    queues = [[c for c in v if id(c) not in taken] for v in pools.values()]
    while len(chosen) < n and any(queues):
        for q in queues:
            if q and len(chosen) < n:
                chosen.append(q.pop())
    if n_unc:
        rng.shuffle(chosen)  # do not show all the hard cases first
    return chosen


# ---------------------------------------------------------------------- session


def _mask(text: str, source: str) -> str:
    """``text`` with the outlet's name hidden (blind coding): whole words, case-insensitive."""
    if not source.strip():
        return text
    return re.sub(rf"(?<!\w){re.escape(source.strip())}(?!\w)", MASK, text, flags=re.I)


def _page(cand: Candidate, page: int) -> str:
    """One page of an article being coded whole, with where it is in the article."""
    n = len(cand.pages)
    more = "; > next page, < previous" if n > 1 else ""
    return f"  page {page + 1} of {n}{more}\n{cand.pages[page]}"


def _render(
    cand: Candidate, pos: int, total: int, frames: Sequence[str], thresholds, blind: bool = False
) -> str:
    if cand.pages:  # a whole article (validation sample by article): always blind
        head = f"[{pos}/{total}] article · {cand.extra.get('n_sentences', '?')} sentences"
        return _mask(f"\n{head}\n{_page(cand, 0)}\n", cand.source)
    # blind (a validation sample): neither the outlet nor the doc_id (which names it)
    where = "" if blind else f"{cand.source} · {cand.doc_id} · "
    lines = [
        "",
        f"[{pos}/{total}] {where}sentence {cand.sent_idx}"
        + (" · the model is unsure" if cand.reason == "uncertain" else ""),
    ]
    for b in cand.before:
        lines.append(f"    {b}")
    lines.append(f"  > {cand.text}")
    for a in cand.after:
        lines.append(f"    {a}")
    if blind:  # a validation sample: the coder must not see what the method says
        return _mask("\n".join(lines) + "\n", cand.source)
    sug = [f"{f} ({', '.join(cand.suggestion[f])})" for f in frames if f in cand.suggestion]
    lines.append("  lexicon: " + ("; ".join(sug) if sug else "no frame"))
    if cand.probs is not None:
        parts = []
        for f in frames:
            if f in cand.probs:
                t = thresholds.get(f) if thresholds else None
                mark = "*" if t is not None and cand.probs[f] >= t else ""
                parts.append(f"{f} {cand.probs[f]:.2f}{mark}")
        lines.append("  model:   " + ", ".join(parts) + "   (* = at or above threshold)")
    return "\n".join(lines) + "\n"


def run_session(
    candidates: Sequence[Candidate],
    frames: Sequence[str],
    writer: LabelWriter,
    read_key: ReadKey,
    write: Write,
    labels: dict[str, str] | None = None,
    thresholds: dict[str, float] | None = None,
    report: SessionReport | None = None,
    blind: bool = False,
) -> SessionReport:
    """The coding loop: one keystroke per frame, one CSV row per coded sentence.

    ``blind``: show neither the lexicon's suggestion nor the model's probabilities, nor
    the outlet (for a validation sample, whose codes must not lean on the method they
    validate, nor on what the coder expects of an outlet). A candidate with ``pages`` is a
    whole article: ``>`` and ``<`` page through it at any prompt.
    """
    report = report or SessionReport(str(writer.path))
    labels = labels or {}
    width = max((len(f) for f in frames), default=8)
    total = len(candidates)
    help_text = (
        HELP.split("\n")[0] + "\nCode what the sentence does (see the codebook)." if blind else HELP
    )
    if any(c.pages for c in candidates):
        help_text = HELP.split("\n")[0] + "\n" + ARTICLE_HELP
    write(help_text + "\n")
    try:
        for pos, cand in enumerate(candidates, 1):
            report.offered += 1
            write(_render(cand, pos, total, frames, thresholds, blind))
            codes: dict[str, int] = {}
            j = page = 0
            skipped = False
            while j < len(frames):
                f = frames[j]
                hint = "lexicon: yes" if f in cand.suggestion else "lexicon: no"
                hint = "" if blind else f" ({hint})"
                label = labels.get(f, "")
                write(f"  {f:<{width}}  {label[:40]:<40} [y/n]{hint} ")
                key = read_key()
                key = key.lower() if key not in ("\r", "\n") else key
                if key in QUIT_KEYS:
                    write("quit\n")
                    report.quit = True
                    return report
                if key in YES_KEYS or key in NO_KEYS:
                    codes[f] = 1 if key in YES_KEYS else 0
                    write(("yes" if codes[f] else "no") + "\n")
                    j += 1
                elif key == BACK_KEY:
                    write("back\n")
                    j = max(0, j - 1)
                elif key == SKIP_KEY:
                    write("skipped\n")
                    skipped = True
                    break
                elif key in PAGE_KEYS and cand.pages:
                    page = min(max(0, page + PAGE_KEYS[key]), len(cand.pages) - 1)
                    write("\n" + _mask(_page(cand, page), cand.source) + "\n")
                else:
                    write(("" if key == HELP_KEY else f"key {key!r}? ") + help_text + "\n")
            if skipped:
                report.skipped += 1
                continue
            writer.write(cand, codes)
            report.coded += 1
            for f, v in codes.items():
                report.positives[f] = report.positives.get(f, 0) + v
            write(f"  saved ({report.already + report.coded} in {writer.path.name})\n")
    except KeyboardInterrupt:
        write("\ninterrupted\n")
        report.quit = True
    return report


def label_session(
    store,
    labels_path: str | os.PathLike,
    lexicon: Lexicon | None,
    read_key: ReadKey,
    write: Write,
    n: int = 50,
    seed: int = DEFAULT_SEED,
    sel=None,
    stratify: bool = False,
    model=None,
    uncertain: float = 0.0,
    frames: Sequence[str] | None = None,
    context: int = 1,
) -> SessionReport:
    """Sample sentences from the store, code them at the terminal, append to ``labels_path``.

    Resumable: sentences already in the file are not offered again. Frames: ``frames``,
    else the model's, else the lexicon's.
    """
    if n < 1:
        raise InputError(f"`sample` {n}: give at least 1")
    if context < 0:
        raise InputError(f"`context` {context}: give 0 or more")
    if frames is None:
        if model is not None:
            frames = list(model.frames_)
        elif lexicon is not None:
            frames = lexicon.frame_names
        else:
            raise InputError("give a lexicon, a model or `frames`: which frames to code?")
    frames = list(frames)
    done, header = read_progress(labels_path, frames)
    candidates = sample_candidates(
        store,
        lexicon,
        n,
        seed=seed,
        sel=sel,
        stratify=stratify,
        model=model,
        uncertain=uncertain,
        exclude=done,
        context=context,
    )
    report = SessionReport(str(labels_path), already=len(done))
    if not candidates:
        write("nothing left to code in this selection\n")
        return report
    writer = LabelWriter(labels_path, frames, header)
    labels = {f: lexicon.frames[f].label for f in frames if lexicon and f in lexicon.frames}
    thresholds = None
    if model is not None:
        thresholds = {f: float(t) for f, t in zip(model.frames_, model.thresholds_)}
    try:
        return run_session(candidates, frames, writer, read_key, write, labels, thresholds, report)
    finally:
        writer.close()


# ------------------------------------------------------------- validation sample

VALIDATION_COLUMNS = ("method", "stratum", "stratum_size", "weight")


def _population(store, scorer, sel, chunk: int = 200):
    """Every sentence of the selection: its key, source, the method's calls and probabilities."""
    from discourse.scoring import sentence_rows

    frames = scorer.frames
    keys: list[tuple[str, int]] = []
    sources: list[str] = []
    preds: list[list[int]] = []
    probs: list[list[float]] = []
    batch: list[Article] = []

    def flush() -> None:
        for sc in scorer.score_batch(batch, keep=True):
            doc = article_doc_id(sc.article)
            for row in sentence_rows(sc, frames, scorer):
                keys.append((doc, row["sent_idx"]))
                sources.append(sc.article.source)
                preds.append([row[f"{f}_present"] for f in frames])
                if scorer.model is not None:
                    probs.append([row.get(f"{f}_prob", math.nan) for f in frames])
        batch.clear()

    for art in store.iter_articles(sel, order="id"):
        batch.append(art)
        if len(batch) >= chunk:
            flush()
    if batch:
        flush()
    return keys, sources, preds, probs


def validation_candidates(
    store,
    scorer,
    n: int,
    seed: int = DEFAULT_SEED,
    sel=None,
    exclude: set[tuple[str, int]] | None = None,
    context: int = 1,
) -> list[Candidate]:
    """A validation sample of ``n`` sentences, stratified by source x the method's call.

    Every sentence of the selection is scored with ``scorer`` (its method: lexicon,
    classifier or both); the strata are source x (flags any frame / flags none), the
    sample is split equally over strata (capped at their size), seeded. Each candidate
    carries, in ``extra``, the method's 0/1 call per frame (``pred_<frame>``), the
    probabilities (``prob_<frame>``, with a model), the method, its stratum, the
    stratum's size ``N_h`` and its weight ``N_h / n_h``. The draw does not depend on
    ``exclude`` (sentences already coded are only left out of what is offered), so a
    session resumed with the same ``n`` and ``seed`` continues the same sample.
    """
    from discourse.correction import draw_stratified, stratum_label

    keys, sources, preds, probs = _population(store, scorer, sel)
    labels = [stratum_label(s, p) for s, p in zip(sources, preds)]
    idx, weights, sizes = draw_stratified(labels, n, seed=seed)
    frames = scorer.frames
    chosen: dict[tuple[str, int], tuple[int, dict]] = {}
    for pos, (i, w) in enumerate(zip(idx.tolist(), weights.tolist())):
        extra: dict[str, object] = {f"pred_{f}": int(v) for f, v in zip(frames, preds[i])}
        if probs:
            extra.update({f"prob_{f}": round(float(v), 6) for f, v in zip(frames, probs[i])})
        extra.update(
            method=scorer.method, stratum=labels[i], stratum_size=sizes[labels[i]],
            weight=f"{w:.12g}",
        )  # fmt: skip
        chosen[keys[i]] = (pos, extra)
    docs = {d for d, _ in chosen}
    out: list[tuple[int, Candidate]] = []
    for art in store.iter_articles(sel, order="id"):
        doc = article_doc_id(art)
        if doc not in docs:
            continue
        sents = scorer.tokenizer.sentences(art.text)
        for s in sents:
            if (doc, s.index) not in chosen or (doc, s.index) in (exclude or set()):
                continue
            pos, extra = chosen[(doc, s.index)]
            lo, hi = max(0, s.index - context), s.index + context + 1
            cand = Candidate(
                doc_id=doc, source=art.source, sent_idx=s.index, text=" ".join(s.text.split()),
                before=[" ".join(x.text.split()) for x in sents[lo : s.index]],
                after=[" ".join(x.text.split()) for x in sents[s.index + 1 : hi]],
                article_id=art.id, reason="validation", extra=extra,
            )  # fmt: skip
            out.append((pos, cand))
    return [c for _, c in sorted(out, key=lambda t: t[0])]


def _article_population(store, scorer, sel, chunk: int = 200):
    """Every article of the selection: doc_id, source and whether the method finds each frame."""
    docs: list[str] = []
    sources: list[str] = []
    preds: list[list[int]] = []
    batch: list[Article] = []

    def flush() -> None:
        for sc in scorer.score_batch(batch):
            docs.append(article_doc_id(sc.article))
            sources.append(sc.article.source)
            preds.append([int(sc.frames[f].present) for f in scorer.frames])
        batch.clear()

    for art in store.iter_articles(sel, order="id"):
        batch.append(art)
        if len(batch) >= chunk:
            flush()
    flush()
    return docs, sources, preds


def article_candidate(art: Article, doc: str, tokenizer, extra: dict) -> Candidate:
    """A whole article to code: its sentences numbered, in pages of :data:`ARTICLE_PAGE`."""
    sents = [" ".join(s.text.split()) for s in tokenizer.sentences(art.text)]
    lines = [f"  {i:>3}  {t}" for i, t in enumerate(sents)]
    pages = ["\n".join(lines[i : i + ARTICLE_PAGE]) for i in range(0, len(lines), ARTICLE_PAGE)]
    title = " ".join((art.title or "").split()) or (sents[0] if sents else "")
    return Candidate(
        doc_id=doc, source=art.source, sent_idx=None, text=title, article_id=art.id,
        reason="validation", extra={**extra, "n_sentences": len(sents)}, pages=pages or [""],
    )  # fmt: skip


def validation_article_candidates(
    store,
    scorer,
    n: int,
    seed: int = DEFAULT_SEED,
    sel=None,
    exclude: set[str] | None = None,
) -> list[Candidate]:
    """A validation sample of ``n`` whole articles, stratified by source x the method's call.

    As :func:`validation_candidates`, one level up: the strata are source x (the method
    finds some frame in the article / none), the weights ``N_h / n_h`` count articles,
    and ``pred_<frame>`` is whether the method finds the frame in the article (what
    ``compare`` counts in its article share). ``exclude``: doc_ids already coded.
    """
    from discourse.correction import draw_stratified, stratum_label

    docs, sources, preds = _article_population(store, scorer, sel)
    labels = [stratum_label(s, p) for s, p in zip(sources, preds)]
    idx, weights, sizes = draw_stratified(labels, n, seed=seed)
    chosen: dict[str, tuple[int, dict]] = {}
    for pos, (i, w) in enumerate(zip(idx.tolist(), weights.tolist())):
        extra: dict[str, object] = {f"pred_{f}": v for f, v in zip(scorer.frames, preds[i])}
        extra.update(
            unit="article", method=scorer.method, stratum=labels[i],
            stratum_size=sizes[labels[i]], weight=f"{w:.12g}",
        )  # fmt: skip
        chosen[docs[i]] = (pos, extra)
    out: list[tuple[int, Candidate]] = []
    for art in store.iter_articles(sel, order="id"):
        doc = article_doc_id(art)
        if doc in chosen and doc not in (exclude or set()):
            pos, extra = chosen[doc]
            out.append((pos, article_candidate(art, doc, scorer.tokenizer, extra)))
    return [c for _, c in sorted(out, key=lambda t: t[0])]


def _header(path: str | os.PathLike) -> list[str]:
    """The columns of an existing CSV file ([] when there is none or it cannot be read)."""
    p = Path(path)
    try:
        with p.open(encoding="utf-8-sig", newline="") as fh:
            return [h.strip() for h in next(csv.reader(fh), [])]
    except (OSError, UnicodeDecodeError, csv.Error):
        return []  # read_progress says what is wrong with it


def read_article_progress(
    path: str | os.PathLike, frames: Sequence[str]
) -> tuple[set[str], list[str] | None]:
    """doc_ids already coded in an article validation file, and its header (None: no file).

    A file that codes sentences (no ``unit`` column of articles) is refused in one line.
    """
    p = Path(path)
    read = _read_coded(p, "validation")
    if read is None:
        return set(), None
    header, records = read
    rows = [dict(zip(header, rec)) for _, rec in records if any(c.strip() for c in rec)]
    if "unit" not in header or any((r.get("unit") or "").strip() != "article" for r in rows):
        raise InputError(
            f"{p} codes sentences, not whole articles (unit article); code the article "
            "sample into a new file"
        )
    missing = [c for c in ("doc_id", "source", *frames) if c not in header]
    if missing:
        raise InputError(f"{p}: no column '{missing[0]}'; code the article sample into a new file")
    return {(r.get("doc_id") or "").strip() for r in rows}, header


def validation_columns(frames: Sequence[str], with_probs: bool) -> list[str]:
    """The columns a validation file adds to a labels file, in order."""
    cols = [f"pred_{f}" for f in frames]
    cols += [f"prob_{f}" for f in frames] if with_probs else []
    return [*cols, *VALIDATION_COLUMNS]


def validation_session(
    store,
    labels_path: str | os.PathLike,
    scorer,
    read_key: ReadKey,
    write: Write,
    n: int,
    seed: int = DEFAULT_SEED,
    sel=None,
    context: int = 1,
    stratify: bool = False,
    uncertain: float = 0.0,
    unit: str = "sentence",
) -> SessionReport:
    """Draw (or resume) a validation sample and code it blind; append to ``labels_path``.

    The file is a labels file plus the columns of :func:`validation_columns`. The coder
    sees neither the lexicon's suggestion nor the model's probabilities, nor the outlet.
    ``unit="article"``: whole articles (:func:`article_validation_session`).
    """
    if n < 1:
        raise InputError(f"`validation` {n}: give a sample size, 1 or more")
    if stratify or uncertain:
        raise InputError(
            "`validation` draws its own stratified sample; leave out `uncertain` and `stratify`"
        )
    if unit not in ("sentence", "article"):
        raise InputError(f"`unit` {unit!r} is not known; use sentence or article")
    if unit == "article":
        return article_validation_session(store, labels_path, scorer, read_key, write, n, seed, sel)
    frames = list(scorer.frames)
    if "unit" in _header(labels_path):
        raise InputError(
            f"{labels_path} codes whole articles (unit article), not sentences; add "
            "`unit` article to resume it, or code the sentence sample into a new file"
        )
    done, header = read_progress(labels_path, frames)
    extra = validation_columns(frames, scorer.model is not None)
    if header is not None:
        missing = [c for c in extra if c not in header]
        if missing:
            raise InputError(
                f"{labels_path}: no column '{missing[0]}', so it is not a validation sample "
                f"of this method ({scorer.method}); code the validation sample into a new file"
            )
    candidates = validation_candidates(store, scorer, n, seed, sel, done, context)
    report = SessionReport(str(labels_path), already=len(done))
    if not candidates:
        write("nothing left to code in this validation sample\n")
        return report
    writer = LabelWriter(labels_path, frames, header, extra=extra)
    lex = scorer.lexicon
    labels = {f: lex.frames[f].label for f in frames if f in lex.frames}
    try:
        return run_session(candidates, frames, writer, read_key, write, labels, None, report, True)
    finally:
        writer.close()


ARTICLE_COLUMNS = ("unit", "n_sentences", "method", "stratum", "stratum_size", "weight")


def article_validation_session(
    store,
    labels_path: str | os.PathLike,
    scorer,
    read_key: ReadKey,
    write: Write,
    n: int,
    seed: int = DEFAULT_SEED,
    sel=None,
) -> SessionReport:
    """Draw (or resume) a validation sample of whole articles, code it blind, append.

    One row per article: ``doc_id``, ``source``, ``text`` (its title, else its first
    sentence), one 0/1 column per frame (present anywhere in the article),
    ``pred_<frame>`` and the columns of :data:`ARTICLE_COLUMNS` (``unit`` is "article").
    The session shows the article's sentences page by page, without the outlet.
    """
    frames = list(scorer.frames)
    done, header = read_article_progress(labels_path, frames)
    candidates = validation_article_candidates(store, scorer, n, seed, sel, done)
    report = SessionReport(str(labels_path), already=len(done), unit="article")
    if not candidates:
        write("nothing left to code in this validation sample\n")
        return report
    extra = [*(f"pred_{f}" for f in frames), *ARTICLE_COLUMNS]
    base = ("doc_id", "source", "text")
    writer = LabelWriter(labels_path, frames, header, extra=extra, base=base)
    lex = scorer.lexicon
    labels = {f: lex.frames[f].label for f in frames if f in lex.frames}
    try:
        return run_session(candidates, frames, writer, read_key, write, labels, None, report, True)
    finally:
        writer.close()
