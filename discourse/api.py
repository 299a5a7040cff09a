"""Operations behind the commands: open inputs, score, compare. The CLI calls these.

Commands that take ``PATH...`` load the paths into an in-memory store and run
the same code as on ``--db``, so ``discourse compare corpora/demo`` and
``discourse compare --db my.db`` differ only in where the articles come from.
``score`` streams its PATHs instead (``open_selected(..., stream=True)``,
:mod:`discourse.stream`), so its memory does not grow with them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path

from discourse.dates import parse_when
from discourse.errors import InputError
from discourse.ingest import IngestOptions, IngestReport, ingest
from discourse.lexicon import Lexicon, load_lexicon
from discourse.models import ArticleScore
from discourse.provenance import provenance
from discourse.resources import default_lexicon_path
from discourse.scoring import Scorer, ScoreStats, iter_scores
from discourse.shared import DEFAULT_BOOT, DEFAULT_SEED, Warn
from discourse.stats import Comparison, by_meta, compare, group_key
from discourse.store import Selection, Store, open_store

BY_CHOICES = ("source", "source,week", "source,month")


def get_lexicon(path: str | Path | None) -> Lexicon:
    """The lexicon at ``path``, or the shipped default.

    Parameters
    ----------
    path : str, Path or None
        A lexicon YAML file; None (or "") for the shipped ``china-russia-frames``.

    Returns
    -------
    Lexicon

    Examples
    --------
    >>> lex = get_lexicon(None)
    >>> lex.name, "partnership" in lex.frame_names
    ('china-russia-frames', True)
    """
    return load_lexicon(path if path else default_lexicon_path())


@dataclass
class Inputs:
    """The articles a command works on: a store (in memory for PATHs) and how it was filled.

    A context manager: leaving the ``with`` block closes the store.

    Parameters
    ----------
    store : Store or None
        The store to read (and, for ``--db``, to cache scores in); None for streamed PATHs.
    ingest_report : IngestReport, optional
        What reading the PATHs gave (None for a store on disk).
    sel : Selection, optional
        The checked selection, set by :func:`open_selected`.
    paths : sequence of str or Path, optional
        With ``store`` None: the PATHs, streamed (:mod:`discourse.stream`).
    warn : callable, optional
        Receives the streamed PATHs' warnings.

    Examples
    --------
    >>> with open_inputs(["corpora/demo/harmony-daily"], None) as inputs:
    ...     inputs.store.count(), inputs.ingest_report.added
    (24, 24)
    """

    store: Store | None  # None: PATHs streamed (open_selected's ``stream``)
    ingest_report: IngestReport | None = None
    sel: Selection | None = None  # set by open_selected
    paths: Sequence[str | Path] | None = None  # the streamed PATHs
    warn: Warn | None = None

    def meta_keys(self, need: bool = True, workers: int = 1) -> list[str]:
        """The selection's document variables, sorted (for ``meta.KEY`` columns).

        For streamed PATHs they take a first pass over the files
        (:func:`discourse.stream.survey`), which also checks the selection's
        sources: it is made when ``need`` is true or sources are selected.

        Parameters
        ----------
        need : bool
            The output shows the keys (else only the check is made, if any).
        workers : int
            Processes for the first pass.

        Returns
        -------
        list of str
        """
        if self.store is not None:
            return self.store.meta_keys(self.sel)
        if not need and not (self.sel and self.sel.sources):
            return []
        from discourse.stream import survey

        keys = survey(self.paths, self.sel or Selection(), workers)
        return keys if need else []

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    def __enter__(self) -> Inputs:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_inputs(
    paths: Sequence[str | Path] | None,
    db: str | None,
    opts: IngestOptions | None = None,
    warn: Warn | None = None,
) -> Inputs:
    """PATHs -> an in-memory store holding them; no PATHs -> the store at ``db``.

    Parameters
    ----------
    paths : sequence of str or Path, optional
        Files and folders to read (as ``discourse ingest`` does); empty or None: use ``db``.
    db : str or None
        The store's path when there are no ``paths`` (None: ``DISCOURSE_DB`` or
        ``./discourse.db``); it must exist.
    opts : IngestOptions, optional
        How to read the ``paths``.
    warn : callable, optional
        Receives one line per skipped file or record (default: silent).

    Returns
    -------
    Inputs
        Close it (or use it in a ``with`` block).

    Raises
    ------
    InputError
        No article could be read from ``paths``.
    StoreError
        ``db`` is missing or not a discourse store.

    Examples
    --------
    >>> with open_inputs(["corpora/demo"], None) as inputs:
    ...     len(inputs.store.sources())
    5
    """
    if paths:
        store = open_store(":memory:")
        try:
            report = ingest(store, paths, opts, warn=warn or (lambda m: None))
        except BaseException:
            store.close()
            raise
        if report.added == 0 and report.duplicates == 0:
            store.close()
            raise InputError(
                f"no articles could be read from {', '.join(map(str, paths))} ({report.summary()})"
            )
        return Inputs(store, report)
    return Inputs(open_store(db, create=False))


def selection(
    sources: Sequence[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    today: date | None = None,
) -> Selection:
    """Which articles to use: sources and a date range, checked.

    Parameters
    ----------
    sources : sequence of str, optional
        Source names (None: all).
    since, until : str, optional
        ``YYYY-MM-DD``, ``YYYY-MM``, ``today`` or a span back from today (``7d``,
        ``4w``, ``3m``, ``1y``); both ends included.
    today : date, optional
        What spans count back from (default: today).

    Returns
    -------
    Selection

    Examples
    --------
    >>> from datetime import date
    >>> # 4w: 28 calendar days ending today, today included
    >>> sel = selection(["Harmony Daily"], since="4w", today=date(2026, 11, 30))
    >>> sel.sources, sel.since, sel.until
    (['Harmony Daily'], '2026-11-03', None)
    """
    s = parse_when(since, today, "`since`")
    u = parse_when(until, today, "`until`")
    if s and u and s > u:
        raise InputError(f"`since` {since} is after `until` {until}; swap them")
    return Selection(sources=list(sources) if sources else None, since=s, until=u)


def open_selected(
    paths: Sequence[str | Path] | None,
    db: str | None,
    sources: Sequence[str] | None,
    since: str | None,
    until: str | None,
    warn: Warn | None = None,
    stream: bool = False,
) -> Inputs:
    """:func:`open_inputs` plus the selection of ``sources``, ``since`` and ``until``, checked.

    Parameters
    ----------
    paths, db, warn
        As :func:`open_inputs`.
    sources, since, until
        As :func:`selection`; every source must be in the store.
    stream : bool
        PATHs are not loaded into a store but streamed (:mod:`discourse.stream`,
        ``score``); their checks come with the stream.

    Returns
    -------
    Inputs
        With ``sel`` set.

    Examples
    --------
    >>> with open_selected(["corpora/demo"], None, ["Meridian Wire"], None, None) as inputs:
    ...     inputs.store.count(inputs.sel)
    24
    """
    sel = selection(sources, since, until)
    if stream and paths:
        return Inputs(None, IngestReport(), sel=sel, paths=paths, warn=warn)
    inputs = open_inputs(paths, db, warn=warn)
    try:
        check_sources(inputs.store, sel)
    except BaseException:
        inputs.close()
        raise
    inputs.sel = sel
    return inputs


def check_sources(store: Store, sel: Selection) -> None:
    """Refuse a selection that names a source the store does not hold.

    Parameters
    ----------
    store : Store
    sel : Selection

    Returns
    -------
    None
        Raises :class:`InputError` (listing the store's sources) for an unknown source.

    Examples
    --------
    >>> with open_inputs(["corpora/demo/harmony-daily"], None) as inputs:
    ...     check_sources(inputs.store, selection(["Harmony Daily"]))
    ...     check_sources(inputs.store, selection(["Nobody"]))
    Traceback (most recent call last):
    discourse.errors.InputError: unknown source 'Nobody'; sources in the store: Harmony Daily
    """
    if sel.sources:
        known = set(store.sources())
        missing = [s for s in sel.sources if s not in known]
        if missing:
            listing = ", ".join(sorted(known)) or "none"
            raise InputError(f"unknown source {missing[0]!r}; sources in the store: {listing}")


def parse_by(by: str) -> tuple[str, ...]:
    """``--by``: ``source`` or ``meta:KEY`` (a document variable), optionally ``,week``
    or ``,month``, as a tuple of keys; e.g. ``("meta:country", "month")``.

    Parameters
    ----------
    by : str
        One of :data:`BY_CHOICES`, or ``meta:KEY`` in the source's place; spaces
        around the commas are ignored.

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> parse_by("source, month")
    ('source', 'month')
    """
    parts = tuple(p.strip() for p in by.split(",") if p.strip())
    internal, key = split_by(parts)
    if ",".join(internal) not in BY_CHOICES or key == "":
        raise InputError(
            f"`by` {by!r} is not supported; use one of {', '.join(BY_CHOICES)}, or meta:KEY "
            "(a document variable) in place of source, e.g. meta:country,month"
        )
    return parts


def split_by(by: tuple[str, ...]) -> tuple[tuple[str, ...], str | None]:
    """A grouping as the statistics see it: a document variable's value stands in the
    source's place.

    Parameters
    ----------
    by : tuple of str
        From :func:`parse_by`.

    Returns
    -------
    (tuple of str, str or None)
        The grouping with ``source`` for ``meta:KEY``, and ``KEY`` (None without one).

    Examples
    --------
    >>> split_by(("meta:country", "month"))
    (('source', 'month'), 'country')
    >>> split_by(("source",))
    (('source',), None)
    """
    if by and by[0].startswith("meta:"):
        return ("source", *by[1:]), by[0][5:].strip()
    return tuple(by), None


def scores(
    inputs: Inputs,
    scorer: Scorer,
    sel: Selection,
    stats: ScoreStats | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
    group: str | None = None,
    dask: str | None = None,
) -> Iterator[ArticleScore]:
    """The one scoring path: each selected article's scores, from the cache where it can.

    Parameters
    ----------
    inputs : Inputs
    scorer : Scorer
        The lexicon (and model) and method to score with.
    sel : Selection
    stats : ScoreStats, optional
        Counts articles scored and read from the cache.
    progress : callable, optional
        Receives the number of articles done so far.
    workers : int
        Scoring processes (the output is the same for any number).
    group : str, optional
        A document variable whose value stands in the source's place.
    dask : str, optional
        A Dask scheduler's address (or ``"local"``): score there (:mod:`discourse.cluster`).

    Returns
    -------
    iterator of ArticleScore
        In the store's order; a store on disk caches fresh scores as they come.
        With ``group`` (a document variable), each article's source is replaced by
        the variable's value.

    Examples
    --------
    >>> with open_inputs(["corpora/demo/harmony-daily"], None) as inputs:
    ...     scored = list(scores(inputs, Scorer(get_lexicon(None)), selection()))
    >>> len(scored), scored[0].frames["partnership"].present
    (24, True)
    """
    store = inputs.store
    return iter_scores(  # cached articles' texts are not read (iter_scores reads the others')
        by_meta(store.iter_articles(sel, text=store.in_memory), group),
        scorer,
        store=store,
        use_cache=not store.in_memory,
        stats=stats,
        progress=progress,
        workers=workers,
        cluster=cluster_pool(dask),
    )


def cluster_pool(dask: str | None):
    """The pool factory for ``--dask ADDRESS`` (:func:`discourse.cluster.dask_pool`).

    Parameters
    ----------
    dask : str or None
        A scheduler's address, ``"local"``, or None.

    Returns
    -------
    callable or None
        ``factory(scorer, keep)`` making the pool; None without ``dask`` (local processes).

    Examples
    --------
    >>> cluster_pool(None) is None
    True
    """
    if not dask:
        return None
    from discourse.cluster import dask_pool

    return dask_pool(dask)


def compare_sources(
    inputs: Inputs,
    lexicon: Lexicon,
    sel: Selection,
    by: tuple[str, ...],
    n_boot: int = DEFAULT_BOOT,
    seed: int = DEFAULT_SEED,
    progress: Callable[[int], None] | None = None,
    scorer: Scorer | None = None,
    workers: int = 1,
    validation: str | Path | None = None,
    dask: str | None = None,
) -> tuple[Comparison, dict]:
    """Compare groups; with ``validation`` (a coded validation sample of the scorer's
    method), records also get shares corrected for the method's errors: the sentence
    share, or the article share (prevalence) when the sample codes whole articles.
    ``by`` may group by a document variable (``meta:KEY``) instead of the source.

    Parameters
    ----------
    inputs, sel, progress, workers, dask
        As :func:`scores`.
    lexicon : Lexicon
    by : tuple of str
        The grouping, from :func:`parse_by`.
    n_boot, seed : int
        Bootstrap resamples for the intervals, and their seed.
    scorer : Scorer, optional
        Default: the lexicon alone.
    validation : str or Path, optional
        A coded validation sample (``discourse label --validation N``).

    Returns
    -------
    (Comparison, dict)
        The comparison and its provenance (:func:`discourse.provenance.provenance`).

    Examples
    --------
    >>> with open_inputs(["corpora/demo"], None) as inputs:
    ...     cmp, meta = compare_sources(inputs, get_lexicon(None), selection(), ("source",))
    ...     meta["n_articles"], meta["n_sources"], len(cmp.records) == 5 * len(meta["frames"])
    (120, 5, True)
    """
    from discourse import correction as corr

    check_sources(inputs.store, sel)
    user_by = by
    by, group = split_by(by)
    scorer = scorer or Scorer(lexicon)
    val = collector = None
    if validation is not None:
        val = corr.read_validation(validation, scorer.frames)
        corr.check_method(val, scorer.method)
        collector = corr.CountsCollector(scorer.frames, by, partial(group_key, by=by), val.unit)
    stream = scores(inputs, scorer, sel, progress=progress, workers=workers, group=group, dask=dask)
    stream = collector.wrap(stream) if collector else stream
    cmp = compare(stream, scorer.frames, by=by, n_boot=n_boot, seed=seed)
    meta = provenance(
        lexicon,
        method=scorer.method,
        model=scorer.model,
        n_articles=cmp.n_articles,
        n_sources=len({r["source"] for r in cmp.records}),
        date_from=cmp.date_range[0],
        date_to=cmp.date_range[1],
        by=",".join(user_by),
        since=sel.since,
        until=sel.until,
        n_boot=n_boot,
        seed=seed,
        undated_left_out=cmp.undated_dropped,
        frames=scorer.frames,
    )
    if group is not None:
        meta["group"] = f"meta:{group}"
    if val is not None:
        prob = (inputs, scorer, sel, group) if scorer.model is not None else None
        meta["corrected_with"] = _correct(cmp, collector, val, by, prob, n_boot, seed)
    return cmp, meta


def _correct(cmp, collector, val, by, prob, n_boot: int, seed: int) -> dict:
    """Corrected shares on a comparison's records, and probabilistic ones when ``prob``
    (inputs, scorer, selection, group of a model) is given and the validation sample
    carries probabilities; returns the correction's meta."""
    from discourse import correction as corr

    fixed = corr.corrected_shares(collector.counts(), val, n_boot=n_boot, seed=seed)
    corr.attach(cmp.records, fixed, val, by)
    out = corr.correction_meta(val, fixed)
    if val.prob is not None and prob is not None:
        inputs, scorer, sel, group = prob
        counts = probability_counts(inputs.store, scorer, sel, by, group=group)
        soft = corr.corrected_shares(counts, val, soft=True, n_boot=n_boot, seed=seed)
        corr.attach_probabilistic(cmp.records, soft, by)
        out["probabilistic"] = PROBABILISTIC
    return out


#: How ``compare --validation`` corrects with a model's probabilities.
PROBABILISTIC = (
    "mean classifier probability, adjusted with the mean probability among the "
    "validation sample's frame and non-frame sentences (Bella et al. 2010)"
)


def probability_counts(
    store: Store,
    scorer: Scorer,
    sel: Selection,
    by: tuple[str, ...],
    chunk: int = 200,
    group: str | None = None,
) -> list:
    """Per group: each article's sentence count and the sum of the classifier's
    probabilities over its sentences, per frame (for the probabilistic correction).

    Parameters
    ----------
    store : Store
    scorer : Scorer
        Must hold a model.
    sel : Selection
    by : tuple of str
        The grouping; it includes ``source``.
    chunk : int
        Articles classified at a time.

    Returns
    -------
    list of SourceCounts
        One per group, sorted by group key.

    Examples
    --------
    >>> counts = probability_counts(store, scorer, sel, ("source",))  # doctest: +SKIP
    >>> counts[0].source  # doctest: +SKIP
    'Harmony Daily'
    """
    from types import SimpleNamespace

    from discourse.classifier import classify_articles
    from discourse.correction import probability_source_counts

    cols = [list(scorer.model.frames_).index(f) for f in scorer.frames]
    groups: dict[tuple, tuple[list, list]] = {}
    batch: list = []

    def flush() -> None:
        sents = [[s.text for s in scorer.tokenizer.sentences(a.text)] for a in batch]
        for art, ss, probs in zip(batch, sents, classify_articles(scorer.model, sents)):
            key = group_key(SimpleNamespace(article=art), by)
            if key is not None:
                n, sums = groups.setdefault(key, ([], []))
                n.append(len(ss))
                sums.append(probs[:, cols].sum(axis=0).tolist())
        batch.clear()

    for art in by_meta(store.iter_articles(sel), group):
        batch.append(art)
        if len(batch) >= chunk:
            flush()
    flush()
    si = by.index("source")
    return [
        probability_source_counts(key[si], key, n, sums, len(cols))
        for key, (n, sums) in sorted(groups.items())
    ]


def read_one_text(target: str, db: str | None) -> str:
    """The text of a file (front matter removed) or of a stored article id.

    Parameters
    ----------
    target : str
        A file path, or the id of an article in the store at ``db``.
    db : str or None
        The store for an id.

    Returns
    -------
    str

    Examples
    --------
    >>> path = "corpora/demo/harmony-daily/2026-08-04-china-russia-fm-talks-moscow.md"
    >>> text = read_one_text(path, None)
    >>> text.startswith("---"), text[:6]
    (False, 'MOSCOW')
    """
    from discourse.ingest import IngestOptions, read_file
    from discourse.models import Skip

    p = Path(target)
    if p.is_file():
        for item in read_file(
            p, p.parent.name, IngestOptions(), warn=lambda m: None, explicit=True
        ):
            if isinstance(item, Skip):
                raise InputError(f"{item.origin}: {item.reason}")
            return item.text
        raise InputError(f"{target}: no article text found")
    if target.isdigit():
        with open_store(db, create=False) as store:
            art = store.get(int(target))
        if art is None:
            raise InputError(f"no article with id {target}; see 'discourse corpus list'")
        return art.text
    raise InputError(f"{target!r} is neither a file nor an article id")


def hit_char_spans(
    score: ArticleScore, scorer: Scorer
) -> dict[int, list[tuple[int, int, str, str]]]:
    """Per sentence index: (start, end, frame, term) character spans within the sentence.

    Parameters
    ----------
    score : ArticleScore
        Scored with ``keep=True`` (it holds its sentences and hits).
    scorer : Scorer
        The scorer that produced it (its tokenizer gives the spans).

    Returns
    -------
    dict
        Sentence index -> list of ``(start, end, frame, term)``.

    Examples
    --------
    >>> from discourse.models import Article
    >>> scorer = Scorer(get_lexicon(None))
    >>> sc = scorer.score(Article("They pledged mutual trust.", "X"), keep=True)
    >>> hit_char_spans(sc, scorer)
    {0: [(13, 25, 'partnership', 'mutual trust')]}
    """
    by_sent: dict[int, list] = {}
    spans_cache: dict[int, list[tuple[int, int]]] = {}
    sents = {s.index: s for s in score.sentences}
    for h in score.hits:
        s = sents[h.sentence]
        if h.sentence not in spans_cache:
            spans_cache[h.sentence] = scorer.tokenizer.token_spans(s.text)
        spans = spans_cache[h.sentence]
        if h.tok_end - 1 < len(spans):
            a, b = spans[h.tok_start][0], spans[h.tok_end - 1][1]
            by_sent.setdefault(h.sentence, []).append((a, b, h.frame, h.term))
    return by_sent
