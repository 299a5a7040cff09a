"""``score PATH...`` streamed: files -> scores -> rows, with memory that stays flat.

The files are not loaded into a store. :func:`discourse.ingest.read_units` cuts them
into units (a JSON Lines record's raw line, a file to read whole) that the worker
processes of :mod:`discourse.workers` read, hash (the dedupe key), score and, for
CSV, TSV and JSON Lines, render as rows (:class:`Task`). This process only checks
each article's digest against those seen (:class:`Digests`, 8 bytes per article;
8 more when a PATH is named twice or lies inside another, see :func:`rereads`),
numbers the articles as a store would (1, 2, ... in input order, duplicates
skipped) and writes the rows in input order, so the output is the same whatever
the number of workers.

Duplicates are dropped as ``ingest`` drops them: the same source and normalized
text, or the same text read again from the same file under another source. What
``ingest`` also does with a duplicate, filling the first copy's empty fields
(date, title, url, author, document variables) from it, is not done here: a row
is written before any later copy is read.
"""

from __future__ import annotations

import hashlib
import os
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

from discourse.errors import InputError
from discourse.formats import id_row, join_id, render_records
from discourse.ingest import (
    IngestOptions,
    IngestReport,
    load_source_map,
    one_line_warn,
    plain_columns,
    read_unit,
    read_units,
    similar_sources,
    unit_record,
)
from discourse.models import Article, ArticleScore, Skip
from discourse.scoring import Scorer, article_row, score_stream, sentence_rows
from discourse.shared import Warn
from discourse.store import Selection, _origin_name, text_hash
from discourse.workers import imap

#: Output formats whose rows the workers render.
ROW_FORMATS = ("csv", "tsv", "jsonl")
CHUNK = 100  # units per task sent to a worker
PIECE = 500  # rows per piece of output


class Digests:
    """A set of 64-bit digests at about 8 bytes each: sorted arrays of ``batch``
    digests, plus a set of the latest ones that becomes such an array when full.

    The arrays are never merged, so memory grows by 8 bytes per digest and no more
    (a merge would briefly hold two copies); a look-up bisects each array (one per
    65,536 articles by default). Two distinct articles share a digest with
    probability about n² / 2⁶⁵ for n articles (3e-8 for a million), which would drop
    one as a duplicate.

    Examples
    --------
    >>> seen = Digests()
    >>> seen.add(7), seen.add(7), 7 in seen, 8 in seen
    (True, False, True, False)
    """

    def __init__(self, batch: int = 1 << 16) -> None:
        self.arrays: list[array] = []
        self.recent: set[int] = set()
        self.batch = batch

    def __contains__(self, digest: int) -> bool:
        if digest in self.recent:
            return True
        for arr in self.arrays:
            i = bisect_left(arr, digest)
            if i < len(arr) and arr[i] == digest:
                return True
        return False

    def add(self, digest: int) -> bool:
        """Add ``digest``; False if it was there already."""
        if digest in self:
            return False
        self.insert(digest)
        return True

    def insert(self, digest: int) -> None:
        """Add ``digest``, known not to be there."""
        self.recent.add(digest)
        if len(self.recent) >= self.batch:
            self.arrays.append(array("Q", sorted(self.recent)))
            self.recent = set()

    def __len__(self) -> int:
        return sum(map(len, self.arrays)) + len(self.recent)


def digest(*parts: str) -> int:
    """A 64-bit digest of ``parts`` (joined by NUL).

    Parameters
    ----------
    *parts : str

    Returns
    -------
    int

    Examples
    --------
    >>> digest("A", "x") == digest("A", "x") != digest("B", "x")
    True
    """
    return int.from_bytes(hashlib.blake2b("\x00".join(parts).encode(), digest_size=8).digest())


@dataclass
class Rows:
    """How workers render ``score``'s rows (``fmt`` one of :data:`ROW_FORMATS`)."""

    fmt: str
    by: str
    explain: bool
    frames: list[str]
    meta_keys: list[str]
    raw_csv: bool = False


def score_rows(
    score: ArticleScore, frames: list[str], scorer: Scorer, by: str, explain: bool, meta_keys=()
) -> list[dict]:
    """``score``'s rows of one article: one, or one per sentence with ``by="sentence"``.

    Parameters
    ----------
    score : ArticleScore
        Scored with ``keep`` for sentence rows and ``explain``.
    frames : list of str
        The per-frame columns.
    scorer : Scorer
    by : str
        ``article`` or ``sentence``.
    explain : bool
        Add each article row's hits (``hits``: frame, term, sentence).
    meta_keys : sequence of str
        Document variables carried as ``meta.KEY`` columns.

    Returns
    -------
    list of dict

    Examples
    --------
    >>> from discourse.lexicon import load_lexicon
    >>> from discourse.resources import default_lexicon_path
    >>> scorer = Scorer(load_lexicon(default_lexicon_path()))
    >>> sc = scorer.score(Article("They pledged mutual trust.", "X"), keep=True)
    >>> score_rows(sc, ["partnership"], scorer, "article", True)[0]["hits"]
    [{'frame': 'partnership', 'term': 'mutual trust', 'sentence': 0}]
    """
    if by == "sentence":
        return sentence_rows(score, frames, scorer, meta_keys)
    row = article_row(score, frames, meta_keys)
    if explain:
        row["hits"] = [
            {"frame": h.frame, "term": h.term, "sentence": h.sentence} for h in score.hits
        ]
    return [row]


@dataclass
class Task:
    """What a worker does with a chunk of units (:func:`discourse.ingest.read_units`).

    It reads each unit and returns, per unit, a list of entries in order:
    ``("w", message)`` for a warning, ``("s", skip)`` for a skipped record, and
    ``("a", source, selected, digest, origin_digest, undated, payload)`` per
    article. ``mode`` decides the payload: ``keys`` (the article's document
    variables; no digests), ``article`` (the article), ``score`` (its score,
    without the text) or ``rows`` (its rendered rows, :func:`rendered`). Only
    selected articles are scored.
    """

    mode: str
    sel: Selection
    opts: IngestOptions = field(default_factory=IngestOptions)
    scorer: Scorer | None = None
    keep: bool = False
    rows: Rows | None = None
    origins: bool = True  # digest the origins too (see :func:`rereads`)

    def __post_init__(self) -> None:
        self.smap = load_source_map(self.opts.source_map)

    def __call__(self, units: list) -> list:
        if self.mode == "keys" and not self.sel.sources:
            return self._keys(units)
        out: list[list] = []
        todo: list[tuple[list, Article]] = []
        for unit in units:
            entries: list = []
            for item in read_unit(unit, self.opts, partial(_note, entries)):
                if isinstance(item, Skip):
                    entries.append(("s", item))
                    continue
                entry = self._entry(item)
                entries.append(entry)
                if entry[2] and self.mode in ("score", "rows"):
                    todo.append((entry, item))
            out.append(entries)
        if todo:
            scores = self.scorer.score_batch([a for _, a in todo], self.keep)
            for (entry, _), sc in zip(todo, scores):
                sc.article.text = ""  # not sent back
                entry[6] = rendered(sc, self.scorer, self.rows) if self.rows else sc
        return out

    def _keys(self, units: list) -> list:
        """:func:`survey`'s pass when no source is selected: once a chunk has an article
        (enough for the check that the files have one), a JSON record whose keys are all
        article fields (:func:`~discourse.ingest.plain_columns`) has no document
        variables to report, so it is only parsed, never read into an article."""
        out: list[list] = []
        plain = plain_columns(self.opts)
        found = False
        for unit in units:
            rec = unit_record(unit) if found else None
            if isinstance(rec, dict) and rec.keys() <= plain:
                out.append([])
                continue
            entries: list = []
            for item in read_unit(unit, self.opts, partial(_note, entries), rec):
                entries.append(("s", item) if isinstance(item, Skip) else self._entry(item))
            found = found or any(e[0] == "a" for e in entries)
            out.append(entries)
        return out

    def _entry(self, art: Article) -> list:
        if self.smap:
            art.source = self.smap.get(art.source, art.source)
        ok = self.sel.admits(art.source, art.day)
        undated = art.date is None
        if self.mode == "keys":
            return ["a", art.source, ok, 0, 0, undated, tuple(art.meta) if ok else ()]
        h = text_hash(art.text)
        origin = digest(_origin_name(art.origin), h) if art.origin and self.origins else 0
        payload = art if self.mode == "article" and ok else None
        return ["a", art.source, ok, digest(art.source, h), origin, undated, payload]


def _note(entries: list, msg: str) -> None:
    entries.append(("w", msg))


def rendered(score: ArticleScore, scorer: Scorer, rows: Rows) -> tuple[tuple | None, list[str]]:
    """(columns, rows) of one article's score rows rendered in ``rows.fmt`` without the
    id, which the main process adds (:func:`discourse.formats.join_id`).

    Parameters
    ----------
    score : ArticleScore
    scorer : Scorer
    rows : Rows

    Returns
    -------
    (tuple of str or None, list of str)
        The columns (None without a row) and the rendered rows.
    """
    records = score_rows(score, rows.frames, scorer, rows.by, rows.explain, rows.meta_keys)
    for r in records:
        r["id"] = None
    cols = tuple(records[0]) if records else None
    # the same object as the last equal columns: a chunk's results pickle them once
    last = _last_columns[0]
    if cols == last:
        cols = last
    else:
        _last_columns[0] = cols
    return cols, [id_row(r, rows.fmt, rows.raw_csv) for r in records]


_last_columns: list = [None]


def _silent(msg: str) -> None:
    pass


def records(
    paths, task: Task, workers: int, report: IngestReport, warn: Warn | None = None
) -> Iterator[tuple[int, object]]:
    """(id, payload) of each selected article of ``paths`` in input order, numbered and
    deduplicated as a store would; ``report`` is filled as they come.

    The errors a store's loading raises up front (nothing readable, an unknown
    source) come at the end; :func:`survey` raises them before any output.

    Parameters
    ----------
    paths : sequence of str or Path
    task : Task
        What the workers do; its ``mode`` decides the payloads.
    workers : int
    report : IngestReport
    warn : callable, optional
        Receives the warnings, in input order.

    Yields
    ------
    (int, object)
    """
    warn = one_line_warn(warn or _silent)
    seen, origins = Digests(), Digests()
    counts: Counter = Counter()
    elsewhere = 0
    task.origins = rereads(paths)
    units = read_units(paths, task.opts, counter=report)
    for entries in imap(units, task, workers, CHUNK):
        for e in entries:
            if e[0] == "w":
                warn(e[1])
            elif e[0] == "s":
                warn(f"{e[1].origin}: skipped: {e[1].reason}")
                report.skipped.append(e[1])
            else:
                _, source, ok, key, origin, undated, payload = e
                report.undated += undated
                counts[source] += 0
                new = key not in seen
                if not new or (origin and origin in origins):
                    report.duplicates += 1
                    elsewhere += new
                    continue
                seen.insert(key)
                if origin:
                    origins.insert(origin)
                counts[source] += 1
                report.added += 1
                if ok:
                    yield report.added, payload
    _finish(paths, task.sel, report, counts, elsewhere, warn)


def rereads(paths) -> bool:
    """Whether a file may be read twice: a PATH named twice, or inside another.

    Only then can an article be one read before from the same file (and line)
    under another source, which a store counts as a duplicate; so only then are
    the origins' digests computed and kept (8 more bytes per article).

    Examples
    --------
    >>> rereads(["a", "b/c.jsonl"]), rereads(["a", "./a/c.jsonl"]), rereads(["a", "a"])
    (False, True, True)
    """
    names = [os.path.normpath(str(p)) for p in paths]
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            for x, y in ((a, b), (b, a)):
                if x in (y, ".") or y.startswith(x.rstrip(os.sep) + os.sep):
                    return True
    return False


def _finish(paths, sel: Selection, report: IngestReport, counts: Counter, elsewhere, warn) -> None:
    """The checks and warnings of loading a store, at the end of the stream."""
    _check_read(paths, report)
    _check_known(sel, {s for s, n in counts.items() if n})
    if elsewhere:
        warn(
            f"{elsewhere} article{'s' * (elsewhere != 1)} read again from the same file "
            f"under another source {'were' if elsewhere != 1 else 'was'} left out as "
            "duplicates"
        )
    added = {s: n for s, n in counts.items() if n}
    for msg in similar_sources(added, counts):
        warn(msg)


def _check_read(paths, report: IngestReport) -> None:
    if report.added == 0 and report.duplicates == 0:
        raise InputError(
            f"no articles could be read from {', '.join(map(str, paths))} ({report.summary()})"
        )


def _check_known(sel: Selection, known: set[str]) -> None:
    missing = [s for s in sel.sources or () if s not in known]
    if missing:
        listing = ", ".join(sorted(known)) or "none"
        raise InputError(f"unknown source {missing[0]!r}; sources in the store: {listing}")


def survey(paths, sel: Selection, workers: int = 1, opts: IngestOptions | None = None) -> list[str]:
    """A first pass over ``paths``: the selection's document variables, and the checks.

    CSV output needs every ``meta.KEY`` column in its header, before the first row,
    so the files are read twice: here the records are only parsed (no hashing, no
    scoring; a record without document variables is not even read into an article,
    see :meth:`Task._keys`) and nothing is kept but the sources and keys seen. The
    keys are those of every selected record, duplicates included, as a store's
    would be (a duplicate adds its keys to the first copy).

    Parameters
    ----------
    paths : sequence of str or Path
    sel : Selection
    workers : int
        Processes, used only when sources are selected: otherwise the pass is mostly
        JSON parsing, and feeding the workers would cost this process about as much
        as parsing (measured: 0.2 s with 2 workers against 0.1 s alone on 20 MB).
    opts : IngestOptions, optional

    Returns
    -------
    list of str
        The keys, sorted.

    Raises
    ------
    InputError
        No article can be read, or a selected source is not in the files.
    """
    report, keys, sources = IngestReport(), set(), set()
    task = Task("keys", sel, opts or IngestOptions())
    workers = workers if sel.sources else 1
    for entries in imap(read_units(paths, task.opts, report), task, workers, CHUNK):
        for e in entries:
            if e[0] == "s":
                report.skipped.append(e[1])
            elif e[0] == "a":
                report.added += 1
                sources.add(e[1])
                keys.update(e[6])
    _check_read(paths, report)
    _check_known(sel, sources)
    return sorted(keys)


def stream_rows(
    paths, sel: Selection, scorer: Scorer, rows: Rows, workers: int = 1,
    warn: Warn | None = None, report: IngestReport | None = None,
    opts: IngestOptions | None = None, piece: int = PIECE,
) -> Iterator[str]:  # fmt: skip
    """``score PATH... --format csv|tsv|jsonl``: the output, in pieces of rows.

    The workers read, score and render; this process numbers the rows and writes them.
    The text is the same as :func:`discourse.render.render_score` gives for the same
    scores in the same order.

    Parameters
    ----------
    paths : sequence of str or Path
    sel : Selection
    scorer : Scorer
    rows : Rows
        The format, grouping, columns and document variables (from :func:`survey`).
    workers : int
    warn : callable, optional
    report : IngestReport, optional
        Filled as the files are read.
    opts : IngestOptions, optional
    piece : int
        Rows per piece (each piece is a row group of ``--format parquet``).

    Yields
    ------
    str
    """
    keep = rows.by == "sentence" or rows.explain
    task = Task("rows", sel, opts or IngestOptions(), scorer, keep, rows)
    report = report if report is not None else IngestReport()
    header = None
    buf: list[str] = []
    n = 0
    for i, (cols, tails) in records(paths, task, workers, report, warn):
        if header is None and cols is not None:
            header = render_records([], rows.fmt, columns=list(cols), raw_csv=rows.raw_csv)
            buf.append(header)
        buf.extend(join_id(i, t, rows.fmt) for t in tails)
        n += len(tails)
        if n >= piece:
            yield "".join(buf)
            buf, n = [], 0
    if header is None:
        buf.append(render_records([], rows.fmt, raw_csv=rows.raw_csv))
    if buf:
        yield "".join(buf)


def stream_scores(
    paths, sel: Selection, scorer: Scorer, keep: bool = False, workers: int = 1,
    warn: Warn | None = None, report: IngestReport | None = None,
    cluster: Callable | None = None, opts: IngestOptions | None = None,
) -> Iterator[ArticleScore]:  # fmt: skip
    """The scores of the selected articles of ``paths``, in input order (no store).

    Read and scored in ``workers`` processes; with ``cluster`` (``--dask``) this
    process reads the articles and the cluster scores them.

    Parameters
    ----------
    paths : sequence of str or Path
    sel : Selection
    scorer : Scorer
    keep : bool
        Keep sentences and hits.
    workers : int
    warn : callable, optional
    report : IngestReport, optional
    cluster : callable, optional
        A pool factory (:func:`discourse.cluster.dask_pool`).
    opts : IngestOptions, optional

    Yields
    ------
    ArticleScore
        With the ids a store would give, without the text.
    """
    report = report if report is not None else IngestReport()
    if cluster is not None:
        arts = stream_articles(paths, sel, report, warn, opts)
        yield from score_stream(arts, scorer, keep, workers, cluster=cluster)
        return
    task = Task("score", sel, opts or IngestOptions(), scorer, keep)
    for i, sc in records(paths, task, workers, report, warn):
        sc.article.id = i
        yield sc


def stream_articles(
    paths, sel: Selection, report: IngestReport, warn: Warn | None = None,
    opts: IngestOptions | None = None,
) -> Iterator[Article]:  # fmt: skip
    """The selected articles of ``paths`` in input order, numbered and deduplicated as a
    store would (read in this process).

    Parameters
    ----------
    paths : sequence of str or Path
    sel : Selection
    report : IngestReport
        Filled as the files are read.
    warn : callable, optional
    opts : IngestOptions, optional

    Yields
    ------
    Article

    Examples
    --------
    >>> from discourse.ingest import IngestReport
    >>> arts = list(stream_articles(["corpora/demo"], Selection(), IngestReport()))
    >>> len(arts), arts[0].id, arts[-1].id
    (120, 1, 120)
    """
    task = Task("article", sel, opts or IngestOptions())
    for i, art in records(paths, task, 1, report, warn):
        art.id = i
        yield art
