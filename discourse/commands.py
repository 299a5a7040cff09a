"""The library function behind each command: parse nothing, print nothing, return data.

The CLI parses options, calls one function here (or in :mod:`discourse.evidence`,
:mod:`discourse.classifier`, :mod:`discourse.report`), and renders the result with
:mod:`discourse.render`. Option values are checked here, in the function that
consumes them; messages name parameters in backticks (```n_boot```), which the
CLI shows as its flags (``--boot``).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from discourse import api
from discourse.errors import InputError
from discourse.ingest import IngestOptions, IngestReport, ingest
from discourse.lexicon import Frame, Lexicon
from discourse.models import Article, ArticleScore
from discourse.scoring import Scorer, check_method, score_stream
from discourse.shared import DEFAULT_BOOT, DEFAULT_SEED, Progress, Warn
from discourse.stats import CORRECTIONS, Comparison, check_n_boot, pairwise_from_records
from discourse.store import FileLock, default_db_path, open_store

EXPORT_COLUMNS = ("id", "source", "title", "date", "url", "lang", "author", "text")


def ingest_into(
    db: str | None,
    paths: Sequence[str | Path],
    opts: IngestOptions,
    warn: Warn,
    progress: Progress | None = None,
) -> tuple[IngestReport, str]:
    """Store the articles of ``paths`` in the store ``db`` (the default store if None).

    Parameters
    ----------
    db : str or None
        The store's path; None for ``$DISCOURSE_DB`` or ``./discourse.db``.
    paths : sequence of paths
        Files and folders, read recursively.
    opts : IngestOptions
        Format and column mapping.
    warn, progress : callables
        One-line warnings; the count of files done.

    Returns
    -------
    (IngestReport, str)
        What was added, skipped and why; the store's path.

    Examples
    --------
    >>> report, path = ingest_into(":memory:", ["corpora/demo"], IngestOptions(), print)
    ... # doctest: +SKIP
    """
    path = db or default_db_path()
    with open_store(path) as store, FileLock(path):
        return ingest(store, paths, opts, warn=warn, progress=progress), path


def fetch_into(db: str | None, feeds: Path, *, delay: float, timeout: float, **options):
    """Fetch the feeds listed in ``feeds`` into the store ``db``, holding its lock.

    Parameters
    ----------
    db : str or None
        The store's path (None: the default store).
    feeds : Path
        ``feeds.toml``.
    delay, timeout : float
        Seconds between requests to one host; connect/read timeout per request.
    **options
        ``dry_run``, ``allow_private``, ``warn``, ``progress``
        (see :func:`discourse.http.fetch_feeds`).

    Returns
    -------
    FetchReport
        Per feed: new, already stored, failed with the reason.
    """
    from discourse.http import fetch_feeds

    if delay < 0 or timeout <= 0:
        raise InputError("`delay` must be >= 0 and `timeout` > 0 seconds")
    path = db or default_db_path()
    with open_store(path) as store, FileLock(path):
        return fetch_feeds(store, feeds, delay=delay, timeout=timeout, **options)


def list_articles(db, sources, since, until, limit: int | None) -> list[dict]:
    """Stored articles of a selection: ``id, source, date, title, ...`` per row.

    Parameters
    ----------
    db : str or None
        The store's path.
    sources, since, until
        The selection (see :func:`discourse.api.selection`).
    limit : int or None
        At most this many rows.

    Returns
    -------
    list of dict
    """
    with open_store(db, create=False) as store:
        sel = api.selection(sources, since, until)
        api.check_sources(store, sel)
        return store.list_articles(sel, limit)


def source_stats(db: str | None, total: bool = False) -> list[dict]:
    """Articles, date range and size per source; with ``total``, a TOTAL row at the end.

    Parameters
    ----------
    db : str or None
        The store's path.
    total : bool
        Append a row summing every source.

    Returns
    -------
    list of dict
        ``source, articles, first, last, characters, undated`` per row.
    """
    with open_store(db, create=False) as store:
        rows = store.source_stats()
    if not (total and rows):
        return rows
    tot = {
        "source": "TOTAL",
        "articles": sum(r["articles"] for r in rows),
        "first": min((r["first"] for r in rows if r["first"]), default=None),
        "last": max((r["last"] for r in rows if r["last"]), default=None),
        "characters": sum(r["characters"] or 0 for r in rows),
        "undated": sum(r["undated"] for r in rows),
    }
    return [*rows, tot]


def get_article(db: str | None, article_id: int) -> Article:
    """One stored article; :class:`InputError` when there is none with that id.

    Parameters
    ----------
    db : str or None
        The store's path.
    article_id : int
        The id shown by ``corpus list``.

    Returns
    -------
    Article
    """
    with open_store(db, create=False) as store:
        art = store.get(article_id)
    if art is None:
        raise InputError(f"no article with id {article_id}; see 'discourse corpus list'")
    return art


@contextlib.contextmanager
def _sink(output: Path | None) -> Iterator[IO[str]]:
    if output is None:
        yield sys.stdout
        return
    with open(output, "w", encoding="utf-8", newline="") as fh:
        yield fh


def export_articles(db, sources, since, until, fmt: str, output: Path | None, raw_csv: bool):
    """Write the selection's articles with their text as ``csv`` or ``jsonl`` to ``output``.

    Parameters
    ----------
    db : str or None
        The store's path.
    sources, since, until
        The selection.
    fmt : {"csv", "jsonl", "parquet"}
        The format; CSV cells that a spreadsheet would run are neutralized unless ``raw_csv``;
        ``parquet`` writes a dataset folder partitioned by source and year
        (:func:`discourse.columnar.write_article_dataset`).
    output : Path or None
        The file to write; None for stdout. Nothing is created when the store cannot be opened.
    raw_csv : bool
        Leave formula-like cells as they are.
    """
    from discourse.formats import csv_text, to_json

    cols = list(EXPORT_COLUMNS)
    with open_store(db, create=False) as store:
        sel = api.selection(sources, since, until)
        api.check_sources(store, sel)
        if fmt == "parquet":
            return _export_parquet(store.iter_articles(sel), output)
        with _sink(output) as sink:
            first = True
            for art in store.iter_articles(sel):
                rec = {c: asdict(art)[c] for c in cols}
                if fmt == "jsonl":
                    sink.write(to_json(rec, indent=None) + "\n")
                else:
                    text = csv_text([rec], cols, raw=raw_csv)
                    sink.write(text if first else text.split("\n", 1)[1])
                first = False
            if first and fmt == "csv":
                sink.write(",".join(cols) + "\n")


def _export_parquet(articles, output: Path | None) -> None:
    from discourse import columnar

    if output is None:
        raise InputError("--format parquet writes a dataset folder: add -o FOLDER")
    columnar.pyarrow()  # fails, saying how to install it, before anything is written
    columnar.write_article_dataset(
        ({c: getattr(a, c) for c in EXPORT_COLUMNS} for a in articles), output
    )


def tokenize_target(target: str, db: str | None, engine: str, words: str) -> list[dict]:
    """Sentences and tokens (with character spans) of a file or a stored article id.

    Parameters
    ----------
    target : str
        A text file, or the id of a stored article.
    db : str or None
        The store, for an id.
    engine : {"fast", "punkt"}
        Sentence splitter.
    words : {"fast", "treebank"}
        Word tokenizer.

    Returns
    -------
    list of dict
        Per sentence: ``index, start, end, text, tokens, spans``.
    """
    from discourse.tokenize import Tokenizer

    if engine not in ("fast", "punkt"):
        raise InputError(f"`engine` {engine!r} is not known; use fast or punkt")
    if words not in ("fast", "treebank"):
        raise InputError(f"`words` {words!r} is not known; use fast or treebank")
    text = api.read_one_text(target, db)
    tok = Tokenizer(engine, words)
    out = []
    for s in tok.sentences(text):
        spans = tok.token_spans(s.text)
        out.append(
            {
                "index": s.index,
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "tokens": [s.text[a:b] for a, b in spans],
                "spans": [[s.start + a, s.start + b] for a, b in spans],
            }
        )
    return out


def lexicon_frames(lexicon: str | Path | None, frame: str | None) -> tuple[Lexicon, dict]:
    """A lexicon and its frames (only ``frame`` when given, which must exist).

    Parameters
    ----------
    lexicon : path or None
        The lexicon file; None for the shipped one.
    frame : str or None
        One frame's name.

    Returns
    -------
    (Lexicon, dict of str to Frame)
    """
    lex = api.get_lexicon(lexicon)
    if frame and frame not in lex.frames:
        raise InputError(f"no frame {frame!r} in {lex.name}; frames: {', '.join(lex.frames)}")
    frames: dict[str, Frame] = {frame: lex.frames[frame]} if frame else lex.frames
    return lex, frames


def load_optional_model(model_path: str | Path | None, warn: Warn):
    """The model at ``model_path`` (see :func:`discourse.classifier.load_model`), or None."""
    if model_path is None:
        return None
    from discourse.classifier import load_model

    return load_model(model_path, warn=warn)


def model_options(model_path: str | Path | None, method: str, warn: Warn) -> dict:
    """``model`` and ``method`` as :class:`Scorer` arguments: the method checked, the model loaded.

    Parameters
    ----------
    model_path : path or None
        A model written by ``train``.
    method : {"lexicon", "classifier", "both"}
        What decides that a frame is present.
    warn : callable
        Receives a warning when the model was written by another scikit-learn version.

    Returns
    -------
    dict
        Empty without a model.
    """
    check_method(method, model_path is not None)
    if model_path is None:
        return {}
    return {"model": load_optional_model(model_path, warn), "method": method}


def make_scorer(lexicon: Lexicon, model_path, method: str, warn: Warn) -> Scorer:
    """A :class:`Scorer` for the lexicon, and the model at ``model_path`` if given."""
    return Scorer(lexicon, **model_options(model_path, method, warn))


def score_articles(
    inputs: api.Inputs, scorer: Scorer, keep: bool, workers: int = 1, dask: str | None = None
) -> Iterator[ArticleScore]:
    """Scores of the selected articles; ``keep`` keeps sentences and hits (``--explain``).

    Without ``keep`` the scores come through the one scoring path with the store's
    cache (:func:`discourse.api.scores`); sentences and hits are never cached, so
    with ``keep`` every article is scored afresh.

    Parameters
    ----------
    inputs : Inputs
        An opened selection (:func:`discourse.api.open_selected`).
    scorer : Scorer
    keep : bool
        Keep each article's sentences and hits.
    workers : int
        Scoring processes; the output is the same whatever their number.
    dask : str, optional
        A Dask scheduler's address (or ``"local"``): score there instead
        (:mod:`discourse.cluster`); the same output.

    Yields
    ------
    ArticleScore
    """
    if not keep:
        yield from api.scores(inputs, scorer, inputs.sel, workers=workers, dask=dask)
        return
    arts = inputs.store.iter_articles(inputs.sel)
    yield from score_stream(arts, scorer, True, workers, cluster=api.cluster_pool(dask))


@dataclass
class CompareResult:
    """What ``compare`` shows: the comparison, its provenance, and the pairs if asked for."""

    comparison: Comparison
    meta: dict
    by: tuple[str, ...]
    pairs: list[dict] | None = None


def compare(
    inputs: api.Inputs,
    lexicon: Lexicon,
    sel,
    *,
    by: str = "source",
    n_boot: int = DEFAULT_BOOT,
    seed: int = DEFAULT_SEED,
    workers: int = 1,
    pairwise: bool = False,
    correction: str = "holm",
    scorer: Scorer | None = None,
    progress: Progress | None = None,
    validation: str | Path | None = None,
    dask: str | None = None,
) -> CompareResult:
    """Compare the sources of a selection per frame, and every pair if ``pairwise``.

    Parameters
    ----------
    inputs : Inputs
        Opened inputs (:func:`discourse.api.open_inputs`).
    lexicon : Lexicon
    sel : Selection
    by : {"source", "source,week", "source,month"}
        The groups.
    n_boot, seed : int
        Bootstrap resamples (at least 100) and their seed.
    workers : int
        Processes that score articles not yet in the cache (1 or more).
    pairwise : bool
        Add every pair of sources per frame.
    correction : {"holm", "bh", "none"}
        Multiple-comparison correction for the pairs.
    scorer : Scorer, optional
        With a model, when the classifier decides presence.
    progress : callable, optional
        Receives the count of articles done.
    validation : path, optional
        A coded validation sample of the scorer's method: adds shares corrected for its
        errors (:mod:`discourse.correction`).
    dask : str, optional
        A Dask scheduler's address (or ``"local"``) that scores the articles not yet in
        the cache (:mod:`discourse.cluster`); the same records.

    Returns
    -------
    CompareResult

    Examples
    --------
    >>> with api.open_inputs(["corpora/demo"], None) as inp:  # doctest: +SKIP
    ...     res = compare(inp, api.get_lexicon(None), api.selection())
    """
    from discourse.evidence import pairwise_method

    check_n_boot(n_boot)
    if correction not in CORRECTIONS:
        raise InputError(
            f"`correction` {correction!r} is not known; use one of {', '.join(CORRECTIONS)}"
        )
    if workers < 1:
        raise InputError(f"`workers` {workers}: use 1 or more processes")
    by_t = api.parse_by(by)
    if progress is not None and getattr(progress, "total", 0) is None:
        progress.total = inputs.store.count(sel)  # type: ignore[attr-defined]
    cmp, meta = api.compare_sources(
        inputs, lexicon, sel, by_t, n_boot=n_boot, seed=seed, progress=progress,
        scorer=scorer, workers=workers, validation=validation, dask=dask,
    )  # fmt: skip
    if not pairwise:
        return CompareResult(cmp, meta, by_t)
    pairs = pairwise_from_records(cmp.records, by_t, correction)
    meta = {**meta, "correction": correction, "pairwise": pairwise_method(correction, by_t)}
    return CompareResult(cmp, meta, by_t, pairs)


def frame_list(frames: str | None) -> list[str] | None:
    """``"a,b"`` -> ``["a", "b"]``; None stays None; a list of no names is refused.

    Examples
    --------
    >>> frame_list("partnership, threat")
    ['partnership', 'threat']
    """
    if frames is None:
        return None
    out = [f.strip() for f in frames.split(",") if f.strip()]
    if not out:
        raise InputError(f"`frames` {frames!r} names no frame; e.g. `frames` partnership,threat")
    return out


def code_sentences(
    inputs: api.Inputs,
    output: str | Path,
    lexicon: str | Path | None,
    model_path: str | Path | None,
    read_key,
    write,
    warn: Warn,
    *,
    n: int = 50,
    seed: int = DEFAULT_SEED,
    stratify: bool = False,
    uncertain: float = 0.0,
    frames: str | None = None,
    context: int = 1,
    validation: int = 0,
    method: str = "lexicon",
):
    """``discourse label``: a coding session, or with ``validation`` a validation sample.

    Parameters
    ----------
    inputs : Inputs
        Opened inputs with their selection (``inputs.sel``).
    output : path
        The labels CSV to append to.
    lexicon, model_path : path or None
        The lexicon (None: the default) and an optional model.
    read_key, write : callable
        One key per call; text out.
    warn : callable
        Receives warnings.
    n, seed, stratify, uncertain, frames, context
        As :func:`discourse.labeling.label_session`.
    validation : int
        Above 0: draw (or resume) a validation sample of this size for ``method``
        (:func:`discourse.labeling.validation_session`), coded blind.
    method : {"lexicon", "classifier", "both"}
        The method a validation sample validates.

    Returns
    -------
    SessionReport
    """
    from discourse.labeling import label_session, validation_session

    lex = api.get_lexicon(lexicon)
    if validation:
        scorer = make_scorer(lex, model_path, method, warn)
        return validation_session(
            inputs.store, output, scorer, read_key, write, validation, seed, inputs.sel,
            context, stratify=stratify, uncertain=uncertain,
        )  # fmt: skip
    return label_session(
        inputs.store, output, lex, read_key, write, n=n, seed=seed, sel=inputs.sel,
        stratify=stratify, model=load_optional_model(model_path, warn), uncertain=uncertain,
        frames=frame_list(frames), context=context,
    )  # fmt: skip
