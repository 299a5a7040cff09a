"""The library function behind each command: parse nothing, print nothing, return data.

The CLI parses options, calls one function here (or in :mod:`discourse.evidence`,
:mod:`discourse.classifier`, :mod:`discourse.report`), and renders the result with
:mod:`discourse.render`. Option values are checked here, in the function that
consumes them; messages name parameters in backticks (```n_boot```), which the
CLI shows as its flags (``--boot``).
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from discourse import api
from discourse.columnar import META_COLUMN
from discourse.errors import InputError
from discourse.ingest import EXPORT_COLUMNS, IngestOptions, IngestReport, ingest
from discourse.lexicon import Frame, Lexicon
from discourse.models import Article, ArticleScore
from discourse.scoring import Scorer, check_method, meta_columns, score_stream
from discourse.shared import DEFAULT_BOOT, DEFAULT_SEED, Progress, Warn
from discourse.stats import CORRECTIONS, Comparison, check_n_boot, pairwise_from_records
from discourse.store import FileLock, Selection, default_db_path, open_store


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
        ``dry_run``, ``allow_private``, ``warn``, ``progress``, ``budget`` (seconds
        for the whole run), ``retry_failed`` (see :func:`discourse.http.fetch_feeds`).

    Returns
    -------
    FetchReport
        Per feed: new, already stored, failed with the reason.
    """
    from discourse.http import fetch_feeds

    if delay < 0 or timeout <= 0:
        raise InputError("`delay` must be >= 0 and `timeout` > 0 seconds")
    budget = options.get("budget")
    if budget is not None and not budget > 0:
        raise InputError(
            f"`budget` {budget:g} is not a time; give the seconds the whole run may take, "
            "e.g. `budget` 1800"
        )
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
    """Write the selection's articles with their text as ``csv``, ``tsv`` or ``jsonl``.

    Each document variable of the selection is a column ``meta.KEY`` after the article's
    fields (empty, or null, where an article lacks it), which ``ingest`` reads back as
    the variable ``KEY``: JSON values in ``jsonl``, text in ``csv``/``tsv`` (lists and
    objects as JSON), typed columns in ``parquet``.

    Parameters
    ----------
    db : str or None
        The store's path.
    sources, since, until
        The selection.
    fmt : {"csv", "tsv", "jsonl", "parquet"}
        The format; CSV cells that a spreadsheet would run are neutralized unless ``raw_csv``;
        ``parquet`` writes a dataset folder partitioned by source and year
        (:func:`discourse.columnar.write_article_dataset`).
    output : Path or None
        The file to write; None for stdout. Nothing is created when the store cannot be opened.
    raw_csv : bool
        Leave formula-like cells as they are.

    Returns
    -------
    int
        How many CSV cells were neutralized (prefixed with ``'``).
    """
    from discourse.formats import DELIMITERS, csv_text, safe_cell, to_json

    changed = 0
    with open_store(db, create=False) as store:
        sel = api.selection(sources, since, until)
        api.check_sources(store, sel)
        if fmt == "parquet":
            return _export_parquet(store.iter_articles(sel), output, store.meta_types(sel))
        keys = store.meta_keys(sel)
        cols = [*EXPORT_COLUMNS, *(f"{META_COLUMN}{k}" for k in keys)]
        with _sink(output) as sink:
            first = True
            for art in store.iter_articles(sel):
                rec = {c: getattr(art, c) for c in EXPORT_COLUMNS}
                rec.update(meta_columns(art, keys))
                if fmt == "jsonl":
                    sink.write(to_json(rec, indent=None) + "\n")
                else:
                    rec.update({k: _cell(v) for k, v in rec.items() if k.startswith(META_COLUMN)})
                    text = csv_text([rec], cols, raw=raw_csv, delimiter=DELIMITERS[fmt])
                    sink.write(text if first else text.split("\n", 1)[1])
                    changed += 0 if raw_csv else sum(safe_cell(v) != v for v in rec.values())
                first = False
            if first and fmt in DELIMITERS:
                sink.write(DELIMITERS[fmt].join(cols) + "\n")
    return changed


def _cell(value):
    """A document variable as a CSV cell: text as it is, other JSON values as JSON."""
    return (
        value if value is None or isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    )


def _export_parquet(articles, output: Path | None, meta_types: dict[str, set[str]]) -> None:
    from discourse import columnar

    if output is None:
        raise InputError("`fmt` parquet writes a dataset folder: add `output` FOLDER")
    columnar.pyarrow()  # fails, saying how to install it, before anything is written
    columnar.write_article_dataset(
        ({**{c: getattr(a, c) for c in EXPORT_COLUMNS}, "meta": a.meta} for a in articles),
        output,
        meta_types=meta_types,
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
    if inputs.store is None:  # PATHs, streamed
        from discourse.stream import stream_scores

        pool = api.cluster_pool(dask)
        yield from stream_scores(
            inputs.paths, inputs.sel, scorer, keep, workers, inputs.warn, inputs.ingest_report, pool
        )
        return
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
    frames: str | None = None,
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
        The groups; ``meta:KEY`` in place of ``source`` groups by a document variable
        (articles without it form the group ``(none)``).
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
    frames : str, optional
        Comma-separated frames to keep (``--frames``); the numbers are those of the full run.
    dask : str, optional
        A Dask scheduler (or ``"local"``) scoring what the cache lacks; the same records.

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
    shown = pick_frames(frames, (scorer.frames if scorer is not None else lexicon.frame_names))
    if progress is not None and getattr(progress, "total", 0) is None:
        progress.total = inputs.store.count(sel)  # type: ignore[attr-defined]
    cmp, meta = api.compare_sources(
        inputs, lexicon, sel, by_t, n_boot=n_boot, seed=seed, progress=progress,
        scorer=scorer, workers=workers, validation=validation, dask=dask,
    )  # fmt: skip
    by_t = cmp.by  # a document variable's values stand in the source's place
    if not pairwise:
        return narrow_compare(CompareResult(cmp, meta, by_t), shown)
    pairs = pairwise_from_records(cmp.records, by_t, correction)
    meta = {**meta, "correction": correction, "pairwise": pairwise_method(correction, by_t)}
    return narrow_compare(CompareResult(cmp, meta, by_t, pairs), shown)


def pick_frames(frames: str | None, known: Sequence[str]) -> list[str] | None:
    """``--frames "a,b"`` checked against the known frames; None means every frame.

    Parameters
    ----------
    frames : str or None
        Comma-separated frame names, in the order to show them.
    known : sequence of str
        The frames of the lexicon (or model).

    Returns
    -------
    list of str or None

    Raises
    ------
    InputError
        One line naming the unknown frame and listing the known ones.

    Examples
    --------
    >>> pick_frames("threat,partnership", ["partnership", "threat", "economic"])
    ['threat', 'partnership']
    """
    names = frame_list(frames)
    for f in names or ():
        if f not in known:
            raise InputError(f"`frames`: no frame {f!r}; known frames: {', '.join(known)}")
    return list(dict.fromkeys(names)) if names else None


def narrow_compare(res: CompareResult, frames: Sequence[str] | None) -> CompareResult:
    """The comparison with only ``frames`` (every statistic is per frame, so none changes)."""
    if not frames:
        return res
    keep = set(frames)
    cmp = res.comparison
    cmp = replace(
        cmp,
        frames=list(frames),
        records=[r for r in cmp.records if r["frame"] in keep],
        tests=[t for t in cmp.tests if t["frame"] in keep],
    )
    pairs = None if res.pairs is None else [p for p in res.pairs if p["frame"] in keep]
    meta = {**res.meta, "frames": list(frames)} if "frames" in res.meta else res.meta
    return replace(res, comparison=cmp, pairs=pairs, meta=meta)


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
    unit: str = "sentence",
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
    unit : {"sentence", "article"}
        What a validation sample codes: sentences, or whole articles.

    Returns
    -------
    SessionReport
    """
    from discourse.labeling import label_session, validation_session

    lex = api.get_lexicon(lexicon)
    if unit != "sentence" and not validation:
        raise InputError(f"`unit` {unit} applies to a validation sample; add `validation` N")
    if validation:
        scorer = make_scorer(lex, model_path, method, warn)
        return validation_session(
            inputs.store, output, scorer, read_key, write, validation, seed, inputs.sel,
            context, stratify=stratify, uncertain=uncertain, unit=unit,
        )  # fmt: skip
    return label_session(
        inputs.store, output, lex, read_key, write, n=n, seed=seed, sel=inputs.sel,
        stratify=stratify, model=load_optional_model(model_path, warn), uncertain=uncertain,
        frames=frame_list(frames), context=context,
    )  # fmt: skip


# ------------------------------------------------------ corpus rm, set, rename-source

EDIT_FIELDS = ("source", "title", "date", "url")


@dataclass
class EditResult:
    """What ``corpus rm|set|rename-source`` changed, or would change (``done`` False)."""

    rows: list[dict]  # the articles concerned: id, source, date, title
    done: bool
    summary: str


def _edit_selection(store, ids, sources, since, until) -> list[dict]:
    """The articles named by ``ids`` and/or the selection; refuses an empty request."""
    if not ids and not (sources or since or until):
        raise InputError(
            "name the articles: give IDs, or a selection with `source`, `since` or `until` "
            "(to empty the whole store, delete its file)"
        )
    sel = api.selection(sources, since, until)
    api.check_sources(store, sel)
    if ids:
        known = set(store.ids(Selection(ids=list(ids))))
        missing = [i for i in ids if i not in known]
        if missing:
            raise InputError(f"no article with id {missing[0]}; see 'discourse corpus list'")
        sel.ids = list(ids)
    return store.list_articles(sel)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _confirmed(rows: list[dict], yes: bool, dry_run: bool, verb: str) -> str | None:
    """None when the edit may go ahead, else the dry run's summary: more than one
    article needs ``yes`` (like ``git clean -f``); ``dry_run`` always only shows."""
    if not rows:
        return "no article matches; nothing changed"
    if dry_run or (len(rows) > 1 and not yes):
        hint = "" if dry_run else "; add --yes to do it"
        return f"dry run: nothing changed; {_plural(len(rows), 'article')} would be {verb}{hint}"
    return None


def _edit(db, selection: tuple, yes: bool, dry_run: bool, verb: str, apply):
    """Open the store under its lock, select the articles (ids, sources, since, until),
    and ``apply(store, ids)`` when :func:`_confirmed` allows it: (rows, result, refusal)."""
    path = db or default_db_path()
    with open_store(path, create=False) as store, FileLock(path):
        rows = _edit_selection(store, *selection)
        refused = _confirmed(rows, yes, dry_run, verb)
        if refused:
            return rows, None, refused
        return rows, apply(store, [r["id"] for r in rows]), None


def remove_articles(
    db, ids, sources=None, since=None, until=None, *, yes=False, dry_run=False
) -> EditResult:
    """``corpus rm``: delete articles (and their cached scores) in one transaction.

    Parameters
    ----------
    db : str or None
        The store's path.
    ids : list of int or None
        Article ids; combined with the selection when both are given.
    sources, since, until
        The selection (see :func:`discourse.api.selection`).
    yes : bool
        Needed to remove more than one article; without it, a dry run.
    dry_run : bool
        Only show what would be removed.

    Returns
    -------
    EditResult
    """
    rows, done, refused = _edit(db, (ids, sources, since, until), yes, dry_run, "removed",
                                lambda store, chosen: store.remove(chosen))  # fmt: skip
    if refused:
        return EditResult(rows, False, refused)
    arts, cached = done
    return EditResult(
        rows, True, f"removed {_plural(arts, 'article')} and {_plural(cached, 'cached score')}"
    )


def parse_assignments(items: Sequence[str]) -> tuple[list[int], dict[str, object]]:
    """``corpus set`` arguments: article ids and ``FIELD=VALUE`` assignments.

    Fields: ``source``, ``title``, ``date`` (ISO; empty: undated), ``url`` and
    ``meta.KEY`` (empty: remove the document variable).

    Examples
    --------
    >>> parse_assignments(["12", "date=2026-11-03", "meta.country=FR"])
    ([12], {'date': '2026-11-03', 'meta.country': 'FR'})
    """
    from discourse.dates import parse_article_date

    ids: list[int] = []
    changes: dict[str, object] = {}
    for item in items:
        if "=" not in item:
            if not item.strip().isdigit():
                raise InputError(f"{item!r} is neither an article id nor FIELD=VALUE")
            ids.append(int(item))
            continue
        key, _, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if key not in EDIT_FIELDS and not (key.startswith("meta.") and len(key) > 5):
            raise InputError(f"cannot set {key!r}; fields: {', '.join(EDIT_FIELDS)}, meta.KEY")
        if key == "date" and value:
            parsed = parse_article_date(value)
            if parsed is None:
                raise InputError(f"date={value!r} is not a date; use YYYY-MM-DD (empty: undated)")
            value = parsed
        if key == "source" and not value:
            raise InputError("source= is empty; give the new source's name")
        changes[key] = value if value or key in ("title", "url") else None
    if not changes:
        raise InputError("nothing to set; give FIELD=VALUE, e.g. date=2026-11-03")
    return ids, changes


def set_fields(
    db, items, sources=None, since=None, until=None, *, yes=False, dry_run=False
) -> EditResult:
    """``corpus set``: change fields of articles in one transaction (see :func:`parse_assignments`).

    The cached scores of the changed articles are dropped; an article moved to a source
    that already holds its text is merged into that one.

    Parameters
    ----------
    db : str or None
        The store's path.
    items : sequence of str
        Article ids and ``FIELD=VALUE`` assignments.
    sources, since, until
        The selection.
    yes, dry_run : bool
        As :func:`remove_articles`.

    Returns
    -------
    EditResult
    """
    ids, changes = parse_assignments(items)
    rows, out, refused = _edit(db, (ids, sources, since, until), yes, dry_run, "changed",
                               lambda store, chosen: store.update(chosen, changes))  # fmt: skip
    if refused:
        return EditResult(rows, False, refused)
    what = ", ".join(f"{k}={v if v is not None else ''}" for k, v in changes.items())
    return EditResult(rows, True, _edit_summary(out, f"set {what}"))


def _edit_summary(out: dict, head: str) -> str:
    text = f"{head} on {_plural(out['changed'], 'article')}"
    if out["merged"]:
        text += (
            f"; {_plural(out['merged'], 'article')} merged into the same text already "
            "stored under the new source"
        )
    return text + f"; {_plural(out['cached'], 'cached score')} dropped"


def rename_source(db, old: str, new: str, *, dry_run: bool = False) -> EditResult:
    """``corpus rename-source``: every article of source ``old`` moves to ``new``.

    One transaction; an article whose text ``new`` already holds is merged into it.
    No ``--yes`` is needed: the command names exactly what it changes.

    Parameters
    ----------
    db : str or None
        The store's path.
    old, new : str
        The source's current and new name.
    dry_run : bool
        Only show what would be renamed.

    Returns
    -------
    EditResult
    """
    if not new.strip():
        raise InputError("the new source name is empty")
    path = db or default_db_path()
    with open_store(path, create=False) as store, FileLock(path):
        rows = _edit_selection(store, None, [old], None, None)
        if dry_run:
            return EditResult(rows, False, _confirmed(rows, False, True, "renamed") or "")
        out = store.update([r["id"] for r in rows], {"source": new.strip()})
    return EditResult(rows, True, _edit_summary(out, f"renamed '{old}' to '{new.strip()}'"))
