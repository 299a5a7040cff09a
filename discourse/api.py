"""Operations behind the commands: open inputs, score, compare. The CLI calls these.

Commands that take ``PATH...`` load the paths into an in-memory store and run
the same code as on ``--db``, so ``discourse compare corpora/demo`` and
``discourse compare --db my.db`` differ only in where the articles come from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from discourse import __version__
from discourse.dates import parse_when
from discourse.errors import InputError
from discourse.ingest import IngestOptions, IngestReport, ingest
from discourse.lexicon import Lexicon, load_lexicon
from discourse.models import ArticleScore
from discourse.resources import default_lexicon_path
from discourse.scoring import Scorer, ScoreStats, iter_scores
from discourse.shared import DEFAULT_BOOT, DEFAULT_SEED, Warn
from discourse.stats import Comparison, compare, group_key
from discourse.store import Selection, Store, open_store

BY_CHOICES = ("source", "source,week", "source,month")


def get_lexicon(path: str | Path | None) -> Lexicon:
    """The lexicon at ``path``, or the shipped default."""
    return load_lexicon(path if path else default_lexicon_path())


@dataclass
class Inputs:
    store: Store
    ingest_report: IngestReport | None = None
    sel: Selection | None = None  # set by open_selected

    def close(self) -> None:
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
    """PATHs -> an in-memory store holding them; no PATHs -> the store at ``db``."""
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
) -> Inputs:
    """:func:`open_inputs` plus the selection of ``--source/--since/--until``, checked."""
    sel = selection(sources, since, until)
    inputs = open_inputs(paths, db, warn=warn)
    try:
        check_sources(inputs.store, sel)
    except BaseException:
        inputs.close()
        raise
    inputs.sel = sel
    return inputs


def check_sources(store: Store, sel: Selection) -> None:
    if sel.sources:
        known = set(store.sources())
        missing = [s for s in sel.sources if s not in known]
        if missing:
            listing = ", ".join(sorted(known)) or "none"
            raise InputError(f"unknown source {missing[0]!r}; sources in the store: {listing}")


def parse_by(by: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in by.split(",") if p.strip())
    if ",".join(parts) not in BY_CHOICES:
        raise InputError(f"`by` {by!r} is not supported; use one of {', '.join(BY_CHOICES)}")
    return parts


def provenance(lexicon: Lexicon, **extra) -> dict:
    meta = {"tool_version": __version__, **lexicon.provenance()}
    meta.update(extra)
    return meta


def scores(
    inputs: Inputs,
    scorer: Scorer,
    sel: Selection,
    stats: ScoreStats | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
    dask: str | None = None,
) -> Iterator[ArticleScore]:
    """Scores of the selection through the store's cache (the one scoring path), in
    ``workers`` processes or, with ``dask`` (an address or ``"local"``), on a Dask cluster."""
    store = inputs.store
    return iter_scores(
        store.iter_articles(sel),
        scorer,
        store=store,
        use_cache=not store.in_memory,
        stats=stats,
        progress=progress,
        workers=workers,
        cluster=cluster_pool(dask),
    )


def cluster_pool(dask: str | None):
    """The pool factory for ``--dask ADDRESS`` (:func:`discourse.cluster.dask_pool`), or None."""
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
    method), records also get shares corrected for the method's errors."""
    from discourse import correction as corr

    check_sources(inputs.store, sel)
    scorer = scorer or Scorer(lexicon)
    val = collector = None
    if validation is not None:
        val = corr.read_validation(validation, scorer.frames)
        corr.check_method(val, scorer.method)
        collector = corr.CountsCollector(scorer.frames, by, lambda sc: group_key(sc, by))
    stream = scores(inputs, scorer, sel, progress=progress, workers=workers, dask=dask)
    cmp = compare(
        collector.wrap(stream) if collector else stream,
        scorer.frames,
        by=by,
        n_boot=n_boot,
        seed=seed,
    )
    meta = provenance(
        lexicon,
        **{k: v for k, v in scorer.provenance().items() if k in ("method", "model_hash")},
        n_articles=cmp.n_articles,
        n_sources=len({r["source"] for r in cmp.records}),
        date_from=cmp.date_range[0],
        date_to=cmp.date_range[1],
        by=",".join(by),
        since=sel.since,
        until=sel.until,
        n_boot=n_boot,
        seed=seed,
        undated_left_out=cmp.undated_dropped,
        frames=scorer.frames,
    )
    if val is not None:
        fixed = corr.corrected_shares(collector.counts(), val, n_boot=n_boot, seed=seed)
        corr.attach(cmp.records, fixed, val, by)
        meta["corrected_with"] = corr.correction_meta(val, fixed)
        if val.prob is not None and scorer.model is not None:
            counts = probability_counts(inputs.store, scorer, sel, by)
            soft = corr.corrected_shares(counts, val, soft=True, n_boot=n_boot, seed=seed)
            corr.attach_probabilistic(cmp.records, soft, by)
            meta["corrected_with"]["probabilistic"] = (
                "mean classifier probability, adjusted with the mean probability among the "
                "validation sample's frame and non-frame sentences (Bella et al. 2010)"
            )
    return cmp, meta


def probability_counts(
    store: Store, scorer: Scorer, sel: Selection, by: tuple[str, ...], chunk: int = 200
) -> list:
    """Per group: each article's sentence count and the sum of the classifier's
    probabilities over its sentences, per frame (for the probabilistic correction)."""
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

    for art in store.iter_articles(sel):
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
    """The text of a file (front matter removed) or of a stored article id."""
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
    """Per sentence index: (start, end, frame, term) character spans within the sentence."""
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
