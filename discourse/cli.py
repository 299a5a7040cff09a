"""The command-line interface: a typer app. Each command parses, calls the library, renders.

Exit codes: 0 ok; 1 a DiscourseError (bad input, missing file, corrupt model);
2 usage error; 3 another run holds the lock.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from discourse import __version__
from discourse.errors import DiscourseError, InputError
from discourse.shared import DEFAULT_BOOT, DEFAULT_SEED

app = typer.Typer(
    name="discourse",
    help=(
        "How do different outlets frame the same story? Ingest articles, score framing with "
        "transparent lexicons, compare outlets with honest statistics.\n\n"
        "Example: discourse compare corpora/demo"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
corpus_app = typer.Typer(
    help="What is stored: list, stats, show, export.\n\n"
    "Example: discourse corpus stats --db discourse.db",
    no_args_is_help=True,
)
lexicon_app = typer.Typer(
    help="Lexicon files: show, check, test, convert, stats, suggest.\n\n"
    "Example: discourse lexicon test",
    no_args_is_help=True,
)
app.add_typer(corpus_app, name="corpus")
app.add_typer(lexicon_app, name="lexicon")

# ------------------------------------------------------------------ options

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="DISCOURSE_DB",
        show_envvar=True,
        help="Article store (SQLite file). Default: ./discourse.db.",
    ),
]
PathsArg = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Files or folders to analyse directly (in memory). "
        "Without PATHs, the store (--db) is used.",
        show_default=False,
    ),
]
FormatOpt = Annotated[
    str, typer.Option("--format", "-f", help="Output: table, csv, json, jsonl or md.")
]
LexiconOpt = Annotated[
    Path | None,
    typer.Option(
        "--lexicon",
        "-l",
        help="Lexicon YAML file. Default: the shipped china-russia-frames lexicon.",
    ),
]
SinceOpt = Annotated[
    str | None, typer.Option("--since", help="From this date (YYYY-MM-DD) or span (7d, 4w, 3m).")
]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Up to this date, inclusive.")]
SourceOpt = Annotated[
    list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable).")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No warnings or summaries.")]
DemoOpt = Annotated[
    bool, typer.Option("--demo", help="Use the bundled demo corpus (fictional outlets) as PATH.")
]


def _paths(paths: list[Path] | None, demo: bool) -> list[Path] | None:
    if demo:
        from discourse.resources import demo_corpus_path

        return [demo_corpus_path(), *(paths or [])]
    return paths


# ---------------------------------------------------------- EVIDENCE OPTIONS

RawCsvOpt = Annotated[bool, typer.Option(help="Do not neutralize spreadsheet formulas.")]
NgramOpt = Annotated[str, typer.Option("--ngram", help="Unigrams (1), bigrams (2) or both (1,2).")]
MinCountOpt = Annotated[
    int, typer.Option("--min-count", help="Leave out terms seen fewer times than this.")
]


def _progress(label: str, quiet: bool):
    from discourse.terminal import Progress

    return Progress(label, enabled=None if not quiet else False)


def _notes(result, quiet: bool) -> None:
    for note in result.notes:
        _info(note, quiet)


FramesOpt = Annotated[
    str | None,
    typer.Option(
        "--frames", help="Comma-separated frames to use (default: the lexicon's or the model's)."
    ),
]
ModelOpt = Annotated[
    Path | None,
    typer.Option("--model", "-m", help="Model written by 'discourse train' (MODEL or MODEL.json)."),
]


MethodOpt = Annotated[
    str,
    typer.Option(
        "--method",
        help="What decides that a frame is present: lexicon, classifier (needs --model) or both.",
    ),
]


def _scorer(lex, model_path, method: str, quiet: bool):
    from discourse.scoring import Scorer

    return Scorer(lex, **_model_options(model_path, method, quiet))


def _model_options(model_path, method: str, quiet: bool) -> dict:
    """--model/--method as Scorer arguments (the model loaded once, the method checked)."""
    from discourse.scoring import check_method

    check_method(method, model_path is not None)
    if model_path is None:
        return {}
    from discourse.classifier import load_model

    return {"model": load_model(model_path, warn=_warn(quiet)), "method": method}


def _warn(quiet: bool):
    def warn(msg: str) -> None:
        if not quiet:
            print(f"warning: {msg}", file=sys.stderr)

    return warn


def _info(msg: str, quiet: bool = False) -> None:
    if not quiet:
        print(msg, file=sys.stderr)


def _check_format(fmt: str, allowed=("table", "csv", "json", "jsonl", "md")) -> str:
    if fmt not in allowed:
        raise InputError(f"--format {fmt!r} is not supported here; use one of {', '.join(allowed)}")
    return fmt


def _out(text: str) -> None:
    from discourse.terminal import write

    write(text)


def _version_cb(value: bool) -> None:
    if value:
        print(f"discourse {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version_cb, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """How do different outlets frame the same story?"""


# ------------------------------------------------------------------- ingest


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (recursively).")],
    db: DbOpt = None,
    source: Annotated[
        str | None,
        typer.Option(help="Source name for every article (overrides folder and front matter)."),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="auto, txt, md, jsonl, csv or html.")
    ] = "auto",
    text_col: Annotated[str, typer.Option(help="JSONL/CSV: field holding the text.")] = "text",
    source_col: Annotated[
        str, typer.Option(help="JSONL/CSV: field holding the source.")
    ] = "source",
    title_col: Annotated[str, typer.Option(help="JSONL/CSV: field holding the title.")] = "title",
    date_col: Annotated[str, typer.Option(help="JSONL/CSV: field holding the date.")] = "date",
    url_col: Annotated[str, typer.Option(help="JSONL/CSV: field holding the URL.")] = "url",
    max_bytes: Annotated[int, typer.Option(help="Skip files larger than this.")] = 20_000_000,
    quiet: QuietOpt = False,
) -> None:
    """Store articles from files and folders (txt, md, jsonl, csv, html).

    A folder's subfolders name the sources (corpus/<source>/...), unless --source or
    the front matter says otherwise. Re-running adds nothing twice.

    Example: discourse ingest corpora/demo --db discourse.db
    """
    from discourse.ingest import IngestOptions
    from discourse.ingest import ingest as do_ingest
    from discourse.store import FileLock, default_db_path, open_store
    from discourse.terminal import Progress

    opts = IngestOptions(
        source=source,
        fmt=fmt,
        text_col=text_col,
        source_col=source_col,
        title_col=title_col,
        date_col=date_col,
        url_col=url_col,
        max_bytes=max_bytes,
    )
    path = db or default_db_path()
    with open_store(path) as store, FileLock(path):
        prog = Progress("ingesting", enabled=None if not quiet else False)
        report = do_ingest(store, paths, opts, warn=_warn(quiet), progress=prog)
        prog.close()
    _info(f"{report.summary()} -> {path}", quiet)
    if report.skipped and report.added == 0 and report.duplicates == 0:
        raise typer.Exit(1)


@app.command()
def fetch(
    feeds: Annotated[
        Path, typer.Option("--feeds", help="TOML file listing [[feed]] source and url.")
    ] = Path("feeds.toml"),
    db: DbOpt = None,
    dry_run: Annotated[
        bool, typer.Option(help="List what would be fetched; store nothing.")
    ] = False,
    allow_private: Annotated[
        bool, typer.Option(help="Allow loopback and private addresses (testing only).")
    ] = False,
    delay: Annotated[float, typer.Option(help="Seconds between requests to one host.")] = 1.0,
    timeout: Annotated[
        float, typer.Option(help="Connect/read timeout per request, seconds.")
    ] = 20.0,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    quiet: QuietOpt = False,
) -> None:
    """Fetch RSS/Atom feeds and their new articles into the store (the only network command).

    Each feed's new entries are downloaded, reduced to their main text and stored;
    URLs already stored are not fetched again. Exits 1 only if every feed failed.

    Example: discourse fetch --feeds feeds.toml --db news.db --dry-run
    """
    from discourse.formats import to_json
    from discourse.http import fetch_feeds
    from discourse.store import FileLock, default_db_path, open_store

    _check_format(fmt, ("text", "json"))
    if delay < 0 or timeout <= 0:
        raise InputError("--delay must be >= 0 and --timeout > 0 seconds")
    path = db or default_db_path()
    progress = None if quiet or not sys.stderr.isatty() else (lambda m: _info(m))
    with open_store(path) as store, FileLock(path):
        report = fetch_feeds(
            store,
            feeds,
            dry_run=dry_run,
            allow_private=allow_private,
            delay=delay,
            timeout=timeout,
            warn=_warn(quiet),
            progress=progress,
        )
    if fmt == "json":
        _out(to_json(report.as_dict()) + "\n")
    elif not quiet:
        _out("\n".join(report.summary_lines()) + "\n")
    if report.all_failed:
        raise typer.Exit(1)


# ------------------------------------------------------------------- corpus


@corpus_app.command("list")
def corpus_list(
    db: DbOpt = None,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    limit: Annotated[int | None, typer.Option(help="At most this many rows.")] = None,
    fmt: FormatOpt = "table",
) -> None:
    """List stored articles: id, source, date, title.

    Example: discourse corpus list --source "Harmony Daily" --limit 10
    """
    from discourse.api import check_sources, selection
    from discourse.formats import render_records
    from discourse.store import open_store

    _check_format(fmt)
    with open_store(db, create=False) as store:
        sel = selection(source, since, until)
        check_sources(store, sel)
        rows = store.list_articles(sel, limit)
    _out(render_records(rows, fmt, table_columns=["id", "source", "date", "title"]))


@corpus_app.command("stats")
def corpus_stats(db: DbOpt = None, fmt: FormatOpt = "table") -> None:
    """Articles, date range and size per source.

    Example: discourse corpus stats
    """
    from discourse.formats import render_records
    from discourse.store import open_store

    _check_format(fmt)
    with open_store(db, create=False) as store:
        rows = store.source_stats()
    if fmt == "table" and rows:
        total = {
            "source": "TOTAL",
            "articles": sum(r["articles"] for r in rows),
            "first": min((r["first"] for r in rows if r["first"]), default=None),
            "last": max((r["last"] for r in rows if r["last"]), default=None),
            "characters": sum(r["characters"] or 0 for r in rows),
            "undated": sum(r["undated"] for r in rows),
        }
        rows = [*rows, total]
    _out(render_records(rows, fmt))


@corpus_app.command("show")
def corpus_show(
    article_id: Annotated[int, typer.Argument(metavar="ID", help="Article id (see corpus list).")],
    db: DbOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Show one stored article with its metadata.

    Example: discourse corpus show 12
    """
    from dataclasses import asdict

    from discourse.formats import to_json
    from discourse.store import open_store

    _check_format(fmt, ("text", "json"))
    with open_store(db, create=False) as store:
        art = store.get(article_id)
    if art is None:
        raise InputError(f"no article with id {article_id}; see 'discourse corpus list'")
    if fmt == "json":
        _out(to_json(asdict(art)) + "\n")
        return
    head = [
        f"id:     {art.id}",
        f"source: {art.source}",
        f"title:  {art.title}",
        f"date:   {art.date or ''}",
        f"url:    {art.url}",
        f"origin: {art.origin}",
    ]
    _out("\n".join(head) + "\n\n" + art.text + "\n")


@corpus_app.command("export")
def corpus_export(
    db: DbOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv or jsonl.")] = "jsonl",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    raw_csv: Annotated[bool, typer.Option(help="Do not neutralize spreadsheet formulas.")] = False,
) -> None:
    """Export stored articles with their text, as CSV or JSON Lines.

    Example: discourse corpus export --format csv -o articles.csv
    """
    from dataclasses import asdict

    from discourse.api import check_sources, selection
    from discourse.formats import csv_text, to_json
    from discourse.store import open_store

    _check_format(fmt, ("csv", "jsonl"))
    cols = ["id", "source", "title", "date", "url", "lang", "author", "text"]
    with open_store(db, create=False) as store:
        sel = selection(source, since, until)
        check_sources(store, sel)
        sink = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout  # noqa: SIM115
        try:
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
        finally:
            if output:
                sink.close()


# ------------------------------------------------------------------- tokens


@app.command()
def tokens(
    target: Annotated[
        str, typer.Argument(metavar="FILE|ID", help="A text file, or the id of a stored article.")
    ],
    db: DbOpt = None,
    engine: Annotated[str, typer.Option(help="Sentence splitter: fast or punkt (NLTK).")] = "fast",
    words: Annotated[str, typer.Option(help="Word tokenizer: fast or treebank (NLTK).")] = "fast",
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Show the sentences and tokens of a file or stored article (teaching, debugging).

    Example: discourse tokens corpora/demo/meridian-wire/2026-08-04-wang-lavrov-moscow-talks.md
    """
    from discourse.api import read_one_text
    from discourse.formats import to_json
    from discourse.tokenize import Tokenizer

    _check_format(fmt, ("text", "json"))
    if engine not in ("fast", "punkt"):
        raise InputError(f"--engine {engine!r} is not known; use fast or punkt")
    if words not in ("fast", "treebank"):
        raise InputError(f"--words {words!r} is not known; use fast or treebank")
    text = read_one_text(target, db)
    tok = Tokenizer(engine, words)
    out = []
    for s in tok.sentences(text):
        spans = tok.token_spans(s.text)
        toks = [s.text[a:b] for a, b in spans]
        out.append(
            {
                "index": s.index,
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "tokens": toks,
                "spans": [[s.start + a, s.start + b] for a, b in spans],
            }
        )
    if fmt == "json":
        _out(to_json(out) + "\n")
        return
    lines = []
    for s in out:
        lines.append(f"[{s['index']}] {s['start']}-{s['end']}: {s['text']}")
        lines.append("    " + " | ".join(s["tokens"]))
    lines.append(f"{len(out)} sentences, {sum(len(s['tokens']) for s in out)} tokens")
    _out("\n".join(lines) + "\n")


# ------------------------------------------------------------------ lexicon

LexArg = Annotated[
    Path | None,
    typer.Argument(help="Lexicon YAML file (default: the shipped lexicon).", show_default=False),
]


@lexicon_app.command("show")
def lexicon_show(
    lexicon: LexArg = None,
    frame: Annotated[str | None, typer.Option(help="Only this frame, with all its terms.")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Show a lexicon: frames, term counts, descriptions (and terms with --frame).

    Example: discourse lexicon show --frame partnership
    """
    from dataclasses import asdict

    from discourse.api import get_lexicon
    from discourse.formats import table_text, to_json

    _check_format(fmt, ("text", "json"))
    lex = get_lexicon(lexicon)
    if frame and frame not in lex.frames:
        raise InputError(f"no frame {frame!r} in {lex.name}; frames: {', '.join(lex.frames)}")
    frames = {frame: lex.frames[frame]} if frame else lex.frames
    if fmt == "json":
        _out(
            to_json(
                {
                    "name": lex.name,
                    "version": lex.version,
                    "hash": lex.hash,
                    "path": lex.path,
                    "frames": {k: asdict(v) for k, v in frames.items()},
                }
            )
            + "\n"
        )
        return
    lines = [f"{lex.name} {lex.version} ({lex.hash}) — {lex.path}"]
    if lex.description:
        lines.append(lex.description)
    lines.append("")
    rows = [
        {
            "frame": f.name,
            "label": f.label,
            "terms": len(f.terms),
            "exclude": len(f.exclude),
            "examples": len(f.match_examples) + len(f.no_match_examples),
        }
        for f in frames.values()
    ]
    lines.append(table_text(rows))
    for f in frames.values():
        if frame:
            lines += ["", f"{f.name}: {f.description}", "", "terms: " + ", ".join(f.terms)]
            if f.exclude:
                lines.append("exclude: " + ", ".join(f.exclude))
    _out("\n".join(lines) + "\n")


@lexicon_app.command("check")
def lexicon_check(lexicon: LexArg = None) -> None:
    """Validate a lexicon file (YAML, terms, duplicates); exit 1 with the line if invalid.

    Example: discourse lexicon check my-lexicon.yaml
    """
    from discourse.api import get_lexicon

    lex = get_lexicon(lexicon)
    n_terms = sum(len(f.terms) for f in lex.frames.values())
    print(f"ok: {lex.name} {lex.version} ({lex.hash}): {len(lex.frames)} frames, {n_terms} terms")


@lexicon_app.command("test")
def lexicon_test(
    lexicon: LexArg = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="List passing examples too.")
    ] = False,
) -> None:
    """Run the lexicon's example sentences: 'match' must fire its frame, 'no_match' must not.

    Example: discourse lexicon test lexicons/china-russia-frames.yaml
    """
    from discourse.api import get_lexicon
    from discourse.lexicon import run_examples

    lex = get_lexicon(lexicon)
    results = run_examples(lex)
    failed = [r for r in results if not r.ok]
    for r in results:
        if not r.ok or verbose:
            mark = "ok  " if r.ok else "FAIL"
            why = f" (fired: {', '.join(r.terms)})" if r.terms else " (nothing fired)"
            print(
                f"{mark} {r.frame:<16} {r.kind:<8} {r.sentence}{why if not r.ok or r.terms else ''}"
            )
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        raise typer.Exit(1)
    if not results:
        print("warning: the lexicon has no examples to test", file=sys.stderr)


@lexicon_app.command("convert")
def lexicon_convert(
    source_file: Annotated[
        Path, typer.Argument(metavar="FILE", help="LIWC .dic or quanteda-style YAML dictionary.")
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the lexicon here (default: stdout)."),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Lexicon name (default: from the file name).")
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Convert a LIWC .dic (or quanteda YAML) dictionary to a discourse lexicon.

    Example: discourse lexicon convert frames.dic -o lexicons/frames.yaml
    """
    from discourse.lexicon import convert

    text, warnings = convert(source_file, name=name)
    for w in warnings:
        _warn(quiet)(w)
    if output:
        output.write_text(text, encoding="utf-8")
        _info(f"wrote {output}", quiet)
    else:
        _out(text)


# --------------------------------------------------------- lexicon stats/suggest


@lexicon_app.command("stats")
def lexicon_stats(
    paths: PathsArg = None,
    demo: DemoOpt = False,
    db: DbOpt = None,
    lexicon: LexiconOpt = None,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    generic: Annotated[
        float,
        typer.Option(help="Call a term generic when it fires in at least this share of articles."),
    ] = 0.8,
    fmt: FormatOpt = "table",
    raw_csv: RawCsvOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """How each lexicon term fires on a corpus: hits, articles, sources; terms that
    never fire, generic terms, and spans counted for two frames.

    Example: discourse lexicon stats corpora/demo
    """
    from discourse import evidence
    from discourse.api import get_lexicon, open_selected
    from discourse.render import render_lexicon_stats

    _check_format(fmt)
    lex = get_lexicon(lexicon)
    with open_selected(_paths(paths, demo), db, source, since, until, _warn(quiet)) as inp:
        sel = inp.sel
        prog = _progress("matching", quiet)
        res = evidence.lexicon_stats(inp.store, lex, sel, generic_share=generic, progress=prog)
        prog.close()
    _notes(res, quiet)
    _out(render_lexicon_stats(res.records, res.tables["overlap"], res.meta, fmt, raw_csv=raw_csv))


@lexicon_app.command("suggest")
def lexicon_suggest(
    frame: Annotated[str, typer.Option(help="The frame to find new terms for.")],
    paths: PathsArg = None,
    demo: DemoOpt = False,
    db: DbOpt = None,
    lexicon: LexiconOpt = None,
    ngram: NgramOpt = "1,2",
    min_count: MinCountOpt = 3,
    top: Annotated[int, typer.Option(help="Candidates per n-gram size (0 = all).")] = 20,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    fmt: FormatOpt = "table",
    raw_csv: RawCsvOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Candidate new terms for a frame: words over-used in the sentences where it
    fires (keyness against all other sentences), for you to review.

    Example: discourse lexicon suggest corpora/demo --frame partnership
    """
    from discourse import evidence
    from discourse.api import get_lexicon, open_selected
    from discourse.render import render_suggest

    _check_format(fmt)
    sizes = evidence.parse_ngram(ngram)
    lex = get_lexicon(lexicon)
    with open_selected(_paths(paths, demo), db, source, since, until, _warn(quiet)) as inp:
        sel = inp.sel
        prog = _progress("matching", quiet)
        res = evidence.suggest(
            inp.store, lex, frame, sel, ngram=sizes, min_count=min_count, top=top, progress=prog
        )
        prog.close()
    _notes(res, quiet)
    _out(render_suggest(res.records, res.meta, fmt, raw_csv=raw_csv))


# -------------------------------------------------------------------- score


@app.command()
def score(
    paths: PathsArg = None,
    demo: DemoOpt = False,
    db: DbOpt = None,
    lexicon: LexiconOpt = None,
    model: ModelOpt = None,
    method: MethodOpt = "lexicon",
    by: Annotated[str, typer.Option(help="article or sentence.")] = "article",
    explain: Annotated[
        bool, typer.Option(help="Show every match highlighted in its sentence.")
    ] = False,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    fmt: FormatOpt = "table",
    raw_csv: Annotated[bool, typer.Option(help="Do not neutralize spreadsheet formulas.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Score articles per frame: hits, hits per 1,000 tokens, presence, sentence share.

    Example: discourse score corpora/demo/harmony-daily --explain
    """
    from discourse.api import explain_lines, get_lexicon, open_selected
    from discourse.formats import render_records, to_json
    from discourse.scoring import article_row, sentence_rows
    from discourse.terminal import use_color

    _check_format(fmt)
    if by not in ("article", "sentence"):
        raise InputError(f"--by {by!r} is not known; use article or sentence")
    lex = get_lexicon(lexicon)
    scorer = _scorer(lex, model, method, quiet)
    frames = scorer.frames
    color = use_color()
    rows = []
    with open_selected(_paths(paths, demo), db, source, since, until, _warn(quiet)) as inp:
        sel = inp.sel
        keep = by == "sentence" or explain
        batch: list = []

        def flush() -> None:
            for sc in scorer.score_batch(batch, keep=keep):
                if explain and fmt in ("table", "md"):
                    _out("\n".join(explain_lines(sc, scorer, color)) + "\n")
                elif by == "sentence":
                    rows.extend(sentence_rows(sc, frames, scorer))
                else:
                    row = article_row(sc, frames)
                    if explain:
                        row["hits"] = [
                            {"frame": h.frame, "term": h.term, "sentence": h.sentence}
                            for h in sc.hits
                        ]
                    rows.append(row)
            batch.clear()

        for art in inp.store.iter_articles(sel):
            batch.append(art)
            if len(batch) >= 100:
                flush()
        flush()
    if explain and fmt in ("table", "md"):
        return
    meta = {"tool_version": __version__, **scorer.provenance()}
    if fmt in ("table", "md"):
        per_frame = "_hits" if method == "lexicon" else "_present"
        if by == "sentence":
            cols = ["id", "sent_idx", *[f"{f}{per_frame}" for f in frames], "terms"]
        else:
            cols = ["id", "source", "date", "tokens", *[f"{f}{per_frame}" for f in frames]]
            cols.append("dominant")
        _out(render_records(rows, fmt, table_columns=cols))
    elif fmt == "json":
        _out(to_json({"meta": meta, "records": rows}) + "\n")
    else:
        _out(render_records(rows, fmt, raw_csv=raw_csv))


# ------------------------------------------------------------------ compare


@app.command()
def compare(
    paths: PathsArg = None,
    demo: DemoOpt = False,
    db: DbOpt = None,
    lexicon: LexiconOpt = None,
    model: ModelOpt = None,
    method: MethodOpt = "lexicon",
    by: Annotated[str, typer.Option(help="source, source,week or source,month.")] = "source",
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    boot: Annotated[
        int, typer.Option(help="Bootstrap resamples for intensity intervals.")
    ] = DEFAULT_BOOT,
    workers: Annotated[
        int, typer.Option(help="Processes that score articles not yet in the cache.")
    ] = 1,
    seed: Annotated[int, typer.Option(help="Random seed for the bootstrap.")] = DEFAULT_SEED,
    pairwise: Annotated[
        bool,
        typer.Option(
            help="Add every pair of sources per frame: difference in prevalence with a 95% "
            "interval and corrected p-values (csv/jsonl then hold the pairs only)."
        ),
    ] = False,
    correction: Annotated[
        str,
        typer.Option(help="Multiple-comparison correction for --pairwise: holm, bh or none."),
    ] = "holm",
    fmt: FormatOpt = "table",
    chart: Annotated[bool, typer.Option(help="Bar chart under the table (terminal only).")] = True,
    raw_csv: RawCsvOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Compare sources per frame: prevalence with Wilson intervals, intensity with
    bootstrap intervals, chi-square tests with Cramér's V; --pairwise adds every pair.

    Example: discourse compare corpora/demo --by source,month
    """
    from discourse.api import compare_sources, get_lexicon, open_inputs, parse_by, selection
    from discourse.render import render_compare, render_compare_pairwise
    from discourse.stats import CORRECTIONS, pairwise_from_records
    from discourse.terminal import Progress

    _check_format(fmt)
    if boot < 100:
        raise InputError(f"--boot {boot} is too few resamples; use at least 100 (default 2000)")
    if correction not in CORRECTIONS:
        raise InputError(
            f"--correction {correction!r} is not known; use one of {', '.join(CORRECTIONS)}"
        )
    if workers < 1:
        raise InputError(f"--workers {workers}: use 1 or more processes")
    by_t = parse_by(by)
    lex = get_lexicon(lexicon)
    with open_inputs(_paths(paths, demo), db, warn=_warn(quiet)) as inp:
        sel = selection(source, since, until)
        total = inp.store.count(sel)
        prog = Progress("scoring", total=total, enabled=None if not quiet else False)
        cmp, meta = compare_sources(
            inp,
            lex,
            sel,
            by_t,
            n_boot=boot,
            seed=seed,
            progress=prog,
            scorer=_scorer(lex, model, method, quiet),
            workers=workers,
        )
        prog.close()
    if cmp.n_articles == 0:
        _info("no articles in the selection; nothing to compare", quiet)
    show_chart = chart and fmt == "table" and sys.stdout.isatty()
    if not pairwise:
        _out(
            render_compare(
                cmp.records,
                cmp.tests,
                cmp.frames,
                by_t,
                meta,
                fmt,
                raw_csv=raw_csv,
                chart=show_chart,
            )
        )
        return
    from discourse.evidence import pairwise_method

    pairs = pairwise_from_records(cmp.records, by_t, correction)
    meta = {**meta, "correction": correction, "pairwise": pairwise_method(correction, by_t)}
    _out(
        render_compare_pairwise(
            cmp.records,
            cmp.tests,
            cmp.frames,
            by_t,
            meta,
            fmt,
            pairs,
            raw_csv=raw_csv,
            chart=show_chart,
        )
    )


# ------------------------------------------------------------------ keyness


@app.command()
def keyness(
    paths: PathsArg = None,
    demo: DemoOpt = False,
    db: DbOpt = None,
    lexicon: LexiconOpt = None,
    source: Annotated[
        list[str] | None,
        typer.Option(
            "--source", "-s", help="Source to describe (repeatable). Default: every source."
        ),
    ] = None,
    vs: Annotated[
        str, typer.Option("--vs", help="Compare with 'rest' (all other sources) or one source.")
    ] = "rest",
    frame: Annotated[
        str | None, typer.Option(help="Only the sentences in which this frame fires.")
    ] = None,
    ngram: NgramOpt = "1,2",
    min_count: MinCountOpt = 5,
    top: Annotated[int, typer.Option(help="Terms per source and n-gram size (0 = all).")] = 15,
    stop: Annotated[
        list[str] | None, typer.Option("--stop", help="An extra stop word (repeatable).")
    ] = None,
    stopwords: Annotated[
        bool, typer.Option(help="Leave out the shipped English stop words (function words).")
    ] = True,
    prior_size: Annotated[
        float | None,
        typer.Option(
            "--prior-size",
            help="Rescale the Dirichlet prior to this many pseudo-counts "
            "(default: the selection's own counts).",
        ),
    ] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    fmt: FormatOpt = "table",
    raw_csv: RawCsvOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Which words does each source use more than the others? Log-odds ratio with
    informative Dirichlet prior (Monroe, Colaresi & Quinn 2008), with z-scores.

    Example: discourse keyness corpora/demo --source "Harmony Daily" --frame partnership
    """
    from discourse import evidence
    from discourse.api import get_lexicon, open_inputs, selection
    from discourse.render import render_keyness

    _check_format(fmt)
    sizes = evidence.parse_ngram(ngram)
    lex = get_lexicon(lexicon) if frame else None
    with open_inputs(_paths(paths, demo), db, warn=_warn(quiet)) as inp:
        sel = selection(None, since, until)
        prog = _progress("counting", quiet)
        res = evidence.keyness(
            inp.store,
            sel,
            sources=source,
            vs=vs,
            frame=frame,
            lexicon=lex,
            ngram=sizes,
            min_count=min_count,
            top=top,
            use_stopwords=stopwords,
            extra_stopwords=stop or (),
            prior_size=prior_size,
            progress=prog,
        )
        prog.close()
    _notes(res, quiet)
    _out(render_keyness(res.records, res.meta, fmt, raw_csv=raw_csv))


# --------------------------------------------------------------------- kwic


@app.command()
def kwic(
    pattern: Annotated[
        str,
        typer.Argument(
            metavar="PATTERN",
            help="A term, a phrase with * at the end of words (hegemon*), or frame:NAME.",
        ),
    ],
    paths: PathsArg = None,
    demo: DemoOpt = False,
    db: DbOpt = None,
    lexicon: LexiconOpt = None,
    window: Annotated[
        int | None,
        typer.Option(help="Tokens of context on each side (default: the rest of the sentence)."),
    ] = None,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    limit: Annotated[int | None, typer.Option(help="At most this many lines.")] = None,
    sample: Annotated[
        int | None, typer.Option(help="A random sample of this many hits (see --seed).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed for --sample.")] = DEFAULT_SEED,
    width: Annotated[
        int | None, typer.Option(help="Line width of the table (default: the terminal's).")
    ] = None,
    fmt: FormatOpt = "table",
    raw_csv: RawCsvOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Keyword in context: every occurrence of a term, phrase or frame, with source and date.

    Example: discourse kwic "frame:anti_hegemonism" corpora/demo --source "Meridian Wire"
    """
    from discourse import evidence
    from discourse.api import get_lexicon, open_selected
    from discourse.render import render_kwic
    from discourse.terminal import use_color

    _check_format(fmt)
    lex = get_lexicon(lexicon) if pattern.strip().lower().startswith("frame:") else None
    with open_selected(_paths(paths, demo), db, source, since, until, _warn(quiet)) as inp:
        sel = inp.sel
        prog = _progress("searching", quiet)
        res = evidence.kwic(
            inp.store,
            pattern,
            sel,
            lexicon=lex,
            window=window,
            limit=limit,
            sample=sample,
            seed=seed,
            progress=prog,
        )
        prog.close()
    _notes(res, quiet)
    shown, total = res.meta["shown"], res.meta["matches"]
    if total is not None and shown < total:
        _info(f"{shown} of {total} hits shown", quiet)
    elif res.meta["truncated"]:
        _info(f"first {shown} hits shown (--limit)", quiet)
    color = fmt == "table" and use_color()
    _out(render_kwic(res.records, res.meta, fmt, color=color, width=width, raw_csv=raw_csv))


# -------------------------------------------------------------------- trend


@app.command()
def trend(
    paths: PathsArg = None,
    demo: DemoOpt = False,
    db: DbOpt = None,
    lexicon: LexiconOpt = None,
    by: Annotated[str, typer.Option(help="Period: week (ISO) or month.")] = "week",
    frame: Annotated[
        list[str] | None, typer.Option("--frame", help="Only this frame (repeatable).")
    ] = None,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    window: Annotated[int, typer.Option(help="Trailing baseline: this many previous periods.")] = 4,
    alpha: Annotated[
        float, typer.Option(help="Flag a period when the binomial test gives p below this.")
    ] = 0.05,
    min_baseline: Annotated[
        int, typer.Option(help="Test a period only when its baseline has this many articles.")
    ] = 3,
    all_sources: Annotated[
        bool, typer.Option("--all-sources", help="One series for all sources together.")
    ] = False,
    chart: Annotated[bool, typer.Option(help="Sparklines per source (table output).")] = True,
    fmt: FormatOpt = "table",
    raw_csv: RawCsvOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Prevalence and intensity per week or month and source; periods that depart
    from the trailing baseline (exact binomial test) are flagged.

    Example: discourse trend corpora/demo --by month --frame threat
    """
    from discourse import evidence
    from discourse.api import get_lexicon, open_selected
    from discourse.render import render_trend

    _check_format(fmt)
    lex = get_lexicon(lexicon)
    with open_selected(_paths(paths, demo), db, source, since, until, _warn(quiet)) as inp:
        sel = inp.sel
        prog = _progress("scoring", quiet)
        res = evidence.trend(
            inp.store,
            lex,
            sel,
            by=by,
            frames=frame,
            window=window,
            alpha=alpha,
            min_baseline=min_baseline,
            combine=all_sources,
            progress=prog,
        )
        prog.close()
    _notes(res, quiet)
    _out(render_trend(res.records, res.meta, fmt, chart=chart, raw_csv=raw_csv))


# --------------------------------------------------------------------- report
#
# Paste into discourse/cli.py after the `compare` command (before "# ---- main").
# Uses only names cli.py already defines: app, PathsArg, DemoOpt, DbOpt, LexiconOpt,
# SinceOpt, UntilOpt, SourceOpt, QuietOpt, RawCsvOpt, _paths, _progress, _warn, _info,
# InputError, Path, Annotated, typer. Nothing else in cli.py changes (the library side
# is discourse.weekly.run_report).


@app.command()
def report(
    paths: PathsArg = None,
    demo: DemoOpt = False,
    db: DbOpt = None,
    lexicon: LexiconOpt = None,
    model: ModelOpt = None,
    method: MethodOpt = "lexicon",
    week: Annotated[
        str | None,
        typer.Option(
            "--week", help="An ISO week: 2026-W48, or 'last' (the previous week) or 'this'."
        ),
    ] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Folder that receives one folder per period."),
    ] = Path("reports"),
    source: SourceOpt = None,
    trailing: Annotated[
        int, typer.Option(help="Weeks in the trailing baseline for 'what changed'.")
    ] = 4,
    boot: Annotated[
        int, typer.Option(help="Bootstrap resamples for intensity intervals.")
    ] = DEFAULT_BOOT,
    seed: Annotated[int, typer.Option(help="Random seed for the bootstrap.")] = DEFAULT_SEED,
    raw_csv: RawCsvOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Write a period's report: Markdown for mail, HTML with charts, CSV and JSON.

    One folder per period (reports/2026-W47/), replaced atomically:
    report.md, report.html, frames_by_source.csv, articles.csv, summary.json.
    Scores are cached in the store, so a weekly run scores only new articles.
    Exit codes: 0 ok, 1 error, 2 usage, 3 another run holds the store's lock.

    Example: discourse report --demo --week 2026-W47 -o reports/
    """
    from discourse.report import run_report

    if boot < 100:
        raise InputError(f"--boot {boot} is too few resamples; use at least 100 (default 2000)")
    prog = _progress("scoring", quiet)
    try:
        path, data = run_report(
            _paths(paths, demo),
            db,
            output,
            lexicon=lexicon,
            week=week,
            since=since,
            until=until,
            sources=source,
            raw_csv=raw_csv,
            progress=prog,
            warn=_warn(quiet),
            trailing=trailing,
            n_boot=boot,
            seed=seed,
            **_model_options(model, method, quiet),
        )
    finally:
        prog.close()
    st = data.score_stats
    _info(
        f"wrote {path}/ · {data.period.description} · {data.n_articles} articles from "
        f"{len(data.sources)} outlets · scored {st.scored}, cached {st.cached}"
        + (" · no articles in the period: the report says so" if data.empty else ""),
        quiet,
    )


# ---------------------------------------------------------------- classifier
# Paste into discourse/cli.py after the `compare` command (before "# --- main").
# Uses only names cli.py already has: app, typer, Annotated, Path, sys, InputError,
# DbOpt, PathsArg, DemoOpt, FormatOpt, LexiconOpt, SourceOpt, SinceOpt, UntilOpt,
# QuietOpt, _paths, _warn, _info, _check_format, _out.


def _frame_list(frames: str | None) -> list[str] | None:
    if frames is None:
        return None
    out = [f.strip() for f in frames.split(",") if f.strip()]
    if not out:
        raise InputError(f"--frames {frames!r} names no frame; e.g. --frames partnership,threat")
    return out


def _train_params(
    context: float, calibrate: bool, dual: bool, extra: Path | None, weight: float, weak: bool
) -> dict | None:
    if not 0 <= context <= 10:
        raise InputError(f"--context {context} is out of range; give a weight from 0 to 10")
    if not 0 < weight <= 10:
        raise InputError(f"--extra-weight {weight} is out of range; give a weight in (0, 10]")
    if extra is not None and weak:
        raise InputError("--extra adds hand-coded labels; it does not go with --from-lexicon")
    params = {"context_weight": context, "calibrate": calibrate, "dual": dual}
    return {k: v for k, v in params.items() if v} or None


@app.command()
def train(
    labels: Annotated[
        Path | None,
        typer.Argument(
            metavar="LABELS.csv",
            help="Hand-coded labels: doc_id, text and one 0/1 column per frame.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write MODEL.json, MODEL.npz and MODEL.card.json here "
            "(without -o: cross-validate only).",
        ),
    ] = None,
    lexicon: LexiconOpt = None,
    frames: FramesOpt = None,
    cv: Annotated[
        int, typer.Option("--cv", help="Cross-validation folds, grouped by doc_id (0: none).")
    ] = 5,
    seed: Annotated[
        int, typer.Option(help="Random seed for folds and inner folds.")
    ] = DEFAULT_SEED,
    lexicon_features: Annotated[
        bool,
        typer.Option(help="Use the lexicon's hit counts per frame as extra features."),
    ] = True,
    from_lexicon: Annotated[
        bool,
        typer.Option(
            "--from-lexicon",
            help="Weak supervision: train on the store's sentences as labelled by the "
            "lexicon. Its validation is circular.",
        ),
    ] = False,
    db: DbOpt = None,
    max_sentences: Annotated[
        int, typer.Option(help="--from-lexicon: use at most this many sentences.")
    ] = 50_000,
    context: Annotated[
        float,
        typer.Option(
            "--context",
            help="Weight of the neighbouring sentences (previous and next of the same "
            "article) as extra features; 0: each sentence alone.",
        ),
    ] = 0.0,
    calibrate: Annotated[
        bool,
        typer.Option(help="Platt-calibrate the probabilities in the inner folds."),
    ] = False,
    dual: Annotated[
        bool,
        typer.Option(help="liblinear's dual solver: the same model, faster on large vocabularies."),
    ] = False,
    extra: Annotated[
        Path | None,
        typer.Option(
            "--extra",
            metavar="EXTRA.csv",
            help="More labels for training only (never tested), e.g. the demo labels.",
        ),
    ] = None,
    extra_weight: Annotated[
        float, typer.Option(help="Weight of each --extra sentence (1: as much as LABELS).")
    ] = 1.0,
    fmt: FormatOpt = "table",
    quiet: QuietOpt = False,
) -> None:
    """Train a frame classifier on coded sentences; report grouped cross-validation.

    Per frame, precision, recall and F1 (mean ± SD over folds that keep each article's
    sentences together) for the classifier, the lexicon and a majority baseline. The
    model files are plain data (JSON + .npz, no pickle) with a model card beside them.

    Example: discourse train corpora/demo/labels.csv -o models/demo
    """
    from discourse.api import get_lexicon
    from discourse.classifier import CIRCULAR_WARNING, cv_records
    from discourse.classifier import train as do_train
    from discourse.formats import render_records, to_json

    _check_format(fmt)
    if from_lexicon and labels is not None:
        raise InputError("give LABELS.csv or --from-lexicon, not both")
    if not from_lexicon and labels is None:
        raise InputError("give a labels file (LABELS.csv) or --from-lexicon to train on")
    if max_sentences < 10:
        raise InputError(f"--max-sentences {max_sentences} is too few; use at least 10")
    params = _train_params(context, calibrate, dual, extra, extra_weight, from_lexicon)
    lex = get_lexicon(lexicon)

    def loud(msg: str) -> None:  # the circular-validation warning comes last, never silenced
        if msg != CIRCULAR_WARNING and not quiet:
            print(f"warning: {msg}", file=sys.stderr)

    def progress(msg: str) -> None:
        _info(msg, quiet)

    store = None
    if from_lexicon:
        from discourse.store import open_store

        store = open_store(db, create=False)
    try:
        result = do_train(
            labels,
            output,
            lexicon=lex,
            k=cv,
            seed=seed,
            from_lexicon=from_lexicon,
            store=store,
            frames=_frame_list(frames),
            lexicon_features=lexicon_features,
            max_sentences=max_sentences,
            warn=loud,
            progress=progress,
            params=params,
            extra=extra,
            extra_weight=extra_weight,
        )
    finally:
        if store is not None:
            store.close()
    card = result.card
    if fmt == "json":
        _out(to_json(card) + "\n")
    elif result.cv is None:
        _info("no cross-validation (--cv 0): the model's accuracy is unknown", quiet)
    elif fmt == "csv" or fmt == "jsonl":
        _out(render_records(cv_records(result.cv, numeric=True), fmt))
    else:
        cvd = result.cv
        head = [
            ("# " if fmt == "md" else "")
            + f"lexicon {lex.name} {lex.version} ({lex.hash}) · model {card['model_hash']}",
            f"{cvd.k}-fold cross-validation grouped by doc_id ({cvd.n_docs} articles, "
            f"{cvd.n_sentences} sentences; seed {cvd.seed}): mean ± SD over folds",
            "",
        ]
        if from_lexicon:
            head.insert(0, "!! " + CIRCULAR_WARNING + "\n")
        _out("\n".join(head) + "\n" + render_records(cv_records(cvd), fmt))
    if result.paths:
        _info("wrote " + ", ".join(result.paths.values()), quiet)
    elif not quiet:
        _info("no model written (give -o MODEL to save it)")
    if from_lexicon:
        print(f"warning: {CIRCULAR_WARNING}", file=sys.stderr)


@app.command()
def evaluate(
    gold: Annotated[
        Path,
        typer.Argument(
            metavar="GOLD.csv", help="Hand-coded gold labels (doc_id, text, 0/1 per frame)."
        ),
    ],
    model: ModelOpt = None,
    lexicon: LexiconOpt = None,
    frames: FramesOpt = None,
    errors: Annotated[
        int,
        typer.Option(
            "--errors",
            help="Also list the N worst false positives and false negatives per frame and "
            "method (with --format csv: only these).",
        ),
    ] = 0,
    fmt: FormatOpt = "table",
    raw_csv: Annotated[bool, typer.Option(help="Do not neutralize spreadsheet formulas.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Score the lexicon (and a model) against gold labels: precision, recall, F1,
    Cohen's kappa and Krippendorff's alpha.

    Example: discourse evaluate corpora/demo/labels.csv --model models/demo
    """
    from discourse.api import get_lexicon
    from discourse.classifier import eval_records, load_model
    from discourse.classifier import evaluate as do_evaluate
    from discourse.formats import render_records, to_json
    from discourse.render import render_evaluation

    _check_format(fmt)
    if errors < 0:
        raise InputError(f"--errors {errors}: give a number of sentences, 0 or more")
    lex = get_lexicon(lexicon)
    mdl = load_model(model, warn=_warn(False)) if model is not None else None
    res = do_evaluate(
        gold, model=mdl, lexicon=lex, frames=_frame_list(frames), errors=errors, warn=_warn(quiet)
    )
    if fmt == "json":
        _out(to_json(res.to_dict()) + "\n")
        return
    if fmt in ("csv", "jsonl"):
        recs = res.errors if errors and fmt == "csv" else eval_records(res, numeric=True)
        if fmt == "jsonl" and errors:
            recs = [*recs, *({"record": "error", **e} for e in res.errors)]
        _out(render_records(recs, fmt, raw_csv=raw_csv))
        return
    _out(render_evaluation(res.meta, eval_records(res), res.agreement, res.errors, errors, fmt))


@app.command()
def label(
    paths: PathsArg = None,
    demo: DemoOpt = False,
    db: DbOpt = None,
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Labels CSV to append to (created if missing; resumable)."
        ),
    ] = Path("labels.csv"),
    sample: Annotated[int, typer.Option("--sample", "-n", help="Sentences to offer.")] = 50,
    seed: Annotated[int, typer.Option(help="Random seed for the sample.")] = DEFAULT_SEED,
    stratify: Annotated[
        bool, typer.Option(help="The same number of sentences from each source.")
    ] = False,
    model: ModelOpt = None,
    uncertain: Annotated[
        float,
        typer.Option(
            help="With --model: this share (0-1) of the sample is sentences the model is "
            "unsure about (probability near the threshold)."
        ),
    ] = 0.0,
    lexicon: LexiconOpt = None,
    frames: FramesOpt = None,
    context: Annotated[int, typer.Option(help="Neighbouring sentences shown on each side.")] = 1,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Code sentences at the terminal, one keystroke per frame; appends to a labels CSV.

    Keys: y/1 = present, n/0/Enter = absent, b = back, s = skip, q = save and quit.
    Every coded sentence is saved at once; run again to resume (coded sentences are not
    offered again). doc_id is <folder>/<file stem> for articles read from files, else
    the URL, else article:<id>.

    Example: discourse label corpora/demo -o my-labels.csv --sample 20 --stratify
    """
    from discourse.api import get_lexicon, open_selected
    from discourse.classifier import load_model
    from discourse.labeling import label_session

    if sample < 1:
        raise InputError(f"--sample {sample}: give at least 1")
    if context < 0:
        raise InputError(f"--context {context}: give 0 or more")
    lex = get_lexicon(lexicon)
    mdl = load_model(model, warn=_warn(quiet)) if model is not None else None
    if sys.stdin.isatty():

        def read_key() -> str:
            return typer.getchar(echo=False)
    else:  # scripted input: one character per key; end of input quits

        def read_key() -> str:
            return sys.stdin.read(1)

    def write(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    with open_selected(_paths(paths, demo), db, source, since, until, _warn(quiet)) as inp:
        sel = inp.sel
        report = label_session(
            inp.store,
            output,
            lex,
            read_key,
            write,
            n=sample,
            seed=seed,
            sel=sel,
            stratify=stratify,
            model=mdl,
            uncertain=uncertain,
            frames=_frame_list(frames),
            context=context,
        )
    _info(report.summary(), quiet)


# --------------------------------------------------------------------- main


def _usage_error(e: Exception) -> int | None:
    """One line for a usage error raised by the argument parser (typer's vendored click).

    Recognised by shape, not by class, so that this module never imports click.
    """
    fmt = getattr(e, "format_message", None)
    code = getattr(e, "exit_code", None)
    if not callable(fmt) or not isinstance(code, int):
        return None
    ctx = getattr(e, "ctx", None)
    where = getattr(ctx, "command_path", "discourse") if ctx is not None else "discourse"
    print(f"{where}: usage error: {fmt()} (see '{where} --help')", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (errors become one line on stderr)."""
    try:
        rv = app(args=argv, prog_name="discourse", standalone_mode=False)
        return rv if isinstance(rv, int) else 0
    except SystemExit as e:
        code = e.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    except DiscourseError as e:
        print(f"discourse: error: {e}", file=sys.stderr)
        return e.exit_code
    except (KeyboardInterrupt, EOFError):
        print("discourse: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a usage error, or a bug: one line; the traceback on request
        code = _usage_error(e)
        if code is not None:
            return code
        if type(e).__name__ == "Abort":
            print("discourse: aborted", file=sys.stderr)
            return 1
        import os

        if os.environ.get("DISCOURSE_DEBUG"):
            raise
        print(
            f"discourse: internal error: {type(e).__name__}: {e} (this is a bug; please "
            "report it; set DISCOURSE_DEBUG=1 to see the traceback)",
            file=sys.stderr,
        )
        return 70


def run() -> None:
    sys.exit(main())
