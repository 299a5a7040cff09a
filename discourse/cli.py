"""The command-line interface: a typer app. Each command parses, calls the library, renders.

Exit codes: 0 ok; 1 a DiscourseError (bad input, missing file, corrupt model);
2 usage error; 3 another run holds the lock.
"""

from __future__ import annotations

import functools
import inspect
import re
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated

import typer

from discourse import __version__
from discourse.errors import DiscourseError, InputError, UsageError
from discourse.formats import DATA_FORMATS, MACHINE_FORMATS, printable, terminal_text
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
    help="What is stored: list, stats, show, export; fix it: rm, set, rename-source.\n\n"
    "Example: discourse corpus stats --db discourse.db",
    no_args_is_help=True,
)
lexicon_app = typer.Typer(
    help="Lexicon files: show, check, test, convert, export, stats, suggest.\n\n"
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
    str, typer.Option("--format", "-f", help="Output: table, csv, tsv, json, jsonl or md.")
]
#: --format of the commands that write records (with -o FILE, parquet too)
RecordFormatOpt = Annotated[
    str,
    typer.Option(
        "--format", "-f", help="Output: table, csv, tsv, json, jsonl, md or parquet (with -o)."
    ),
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
WaitOpt = Annotated[
    float | None,
    typer.Option(
        "--wait",
        envvar="DISCOURSE_WAIT",
        metavar="SECONDS",
        help="Wait up to SECONDS for another run's lock on the store (default: fail at once).",
    ),
]
DemoOpt = Annotated[
    bool, typer.Option("--demo", help="Use the bundled demo corpus (fictional outlets) as PATH.")
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write the output to this file (needed for --format parquet)."
    ),
]
DaskOpt = Annotated[
    str | None,
    typer.Option(
        "--dask",
        metavar="ADDRESS",
        help="Score on a Dask cluster: its scheduler (tcp://host:8786), or 'local' for a "
        "LocalCluster on this machine. Needs 'discourse[dask]'.",
    ),
]
RECORD_FORMATS = (*DATA_FORMATS, "parquet")
WorkersOpt = Annotated[
    int | None,
    typer.Option(help="Processes (default: the cores, at most 8); the same output as one."),
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


ValidationOpt = Annotated[
    Path | None,
    typer.Option(
        metavar="GOLD.csv",
        help="A coded validation sample of the method ('discourse label --validation N'): "
        "adds sentence shares (article shares, for a sample of whole articles) corrected "
        "for the method's errors, with 95% intervals.",
    ),
]


# ------------------------------------------------------------------ helpers


@dataclass
class Scope:
    """Where a command's articles come from: PATHs (or --demo) or the store, and a selection."""

    paths: list[Path] | None
    demo: bool
    db: str | None
    source: list[str] | None
    since: str | None
    until: str | None
    quiet: bool
    fmt: str
    output: Path | None = None


def _pick(cls, values: dict) -> dict:
    """The command's parameters that are fields of the dataclass ``cls``."""
    return {f.name: values[f.name] for f in fields(cls) if f.name in values}


def _progress(label: str, quiet: bool):
    from discourse.terminal import Progress

    return Progress(label, enabled=None if not quiet else False)


def _lexicon(path: Path | None):
    from discourse.api import get_lexicon

    return get_lexicon(path)


def _inputs(paths: list[Path] | None, demo: bool, db: str | None, quiet: bool):
    from discourse.api import open_inputs

    return open_inputs(_paths(paths, demo), db, warn=_warn(quiet))


def _open(scope: Scope, stream: bool = False):
    from discourse.api import open_selected

    paths = _paths(scope.paths, scope.demo)
    return open_selected(
        paths, scope.db, scope.source, scope.since, scope.until, _warn(scope.quiet), stream
    )


def _evidence(scope: Scope, label: str, run, render):
    """The evidence commands' scaffold: open the selection, run with a progress counter
    (closed in ``finally``), print the notes, render."""
    _check_output(scope.fmt, scope.output)
    with _open(scope) as inp, _progress(label, scope.quiet) as prog:
        res = run(inp.store, inp.sel, prog)
    for note in res.notes:
        _info(note, scope.quiet)
    if scope.fmt == "parquet":  # the records, as --format jsonl writes them
        from discourse.columnar import write_records
        from discourse.formats import clean

        write_records([clean(r) for r in res.records], scope.output)  # type: ignore[arg-type]
    else:
        _emit(render(res), scope.fmt, scope.output)
    return res


def _key_reader():
    """One key at a time: from the terminal, or one character of scripted input (end quits)."""
    if sys.stdin.isatty():
        return lambda: typer.getchar(echo=False)
    return lambda: sys.stdin.read(1)


def _color() -> bool:
    from discourse.terminal import use_color as terminal_color

    return terminal_color()


def _warn(quiet: bool):
    def warn(msg: str) -> None:
        if not quiet:
            print(f"warning: {printable(flag_names(msg))}", file=sys.stderr)

    return warn


def _info(msg: str, quiet: bool = False) -> None:
    if not quiet:
        print(printable(msg), file=sys.stderr)


def _infos(lines, quiet: bool) -> None:
    for line in lines:
        _info(line, quiet)


def _info_cb(quiet: bool):
    return lambda msg: _info(msg, quiet)


def _check_format(fmt: str, allowed=DATA_FORMATS) -> str:
    if fmt not in allowed:
        raise InputError(f"--format {fmt!r} is not supported here; use one of {', '.join(allowed)}")
    return fmt


def _out(text: str, fmt: str = "table") -> None:
    """Write a command's output; text for people has data's control characters escaped."""
    from discourse.terminal import write

    write(text if fmt in MACHINE_FORMATS else terminal_text(text))


def _check_output(fmt: str, output: Path | None) -> None:
    """--format of a command with records (parquet too) and its -o: parquet needs a file,
    and pyarrow (checked before any work)."""
    _check_format(fmt, RECORD_FORMATS)
    if fmt == "parquet":
        from discourse.columnar import pyarrow

        if output is None:
            raise InputError("--format parquet writes a binary file: add -o FILE.parquet")
        pyarrow()


def _text_fmt(fmt: str) -> str:
    """The text format to render: parquet is written from the JSON Lines records."""
    return "jsonl" if fmt == "parquet" else fmt


def _emit(text, fmt: str, output: Path | None) -> None:
    """Output text (a string or pieces of it) to stdout, or to the file ``output``
    (parquet: the JSON Lines records converted), written atomically."""
    pieces = [text] if isinstance(text, str) else text
    if output is None:
        for piece in pieces:
            _out(piece, fmt)
    elif fmt == "parquet":
        from discourse.columnar import write_jsonl

        write_jsonl(pieces, output)
    else:
        from discourse.atomic import atomic_write_pieces

        atomic_write_pieces(output, pieces)


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
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders (recursively).", show_default=False),
    ] = None,
    demo: DemoOpt = False,
    db: DbOpt = None,
    source: Annotated[
        str | None,
        typer.Option(help="Source name for every article (overrides folder and front matter)."),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="auto, txt, md, jsonl, csv, tsv, html or parquet.")
    ] = "auto",
    text_col: Annotated[str, typer.Option(help="JSONL/CSV: field holding the text.")] = "text",
    source_col: Annotated[
        str, typer.Option(help="JSONL/CSV: field holding the source.")
    ] = "source",
    title_col: Annotated[str, typer.Option(help="JSONL/CSV: field holding the title.")] = "title",
    date_col: Annotated[str, typer.Option(help="JSONL/CSV: field holding the date.")] = "date",
    url_col: Annotated[str, typer.Option(help="JSONL/CSV: field holding the URL.")] = "url",
    source_map: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="Rename sources as they are read: CSV from,to or YAML old: new."
        ),
    ] = None,
    max_bytes: Annotated[int, typer.Option(help="Skip files larger than this.")] = 20_000_000,
    wait: WaitOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Store articles from files and folders (txt, md, jsonl, csv, tsv, html, parquet).

    A folder's subfolders name the sources (corpus/<source>/...), unless --source or
    the front matter says otherwise; a page saved in a flat folder takes its site's
    name. A file name starting with a date (2026-11-03-talks.txt) dates an article
    that has no date of its own. Extra columns and front-matter keys are kept as
    document variables (a column meta.KEY as the variable KEY); a 'corpus export' file
    or Parquet folder is read back whole, with its variables.
    Re-running adds nothing twice (and fills empty fields).

    Example: discourse ingest corpora/demo --db discourse.db
    Demo: discourse ingest --demo --db demo.db
    """
    from discourse.commands import ingest_into
    from discourse.ingest import IngestOptions
    from discourse.store import set_lock_wait

    if not paths and not demo:
        raise UsageError("give the files or folders to ingest (PATHS), or --demo")
    set_lock_wait(wait)
    opts = IngestOptions(**_pick(IngestOptions, locals()))
    with _progress("ingesting", quiet) as prog:
        report, path = ingest_into(db, _paths(paths, demo), opts, warn=_warn(quiet), progress=prog)
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
    budget: Annotated[
        float, typer.Option(help="Seconds the whole run may take; then it stops (exit 4).")
    ] = 1800.0,
    retry_failed: Annotated[
        bool, typer.Option(help="Retry pages that failed before, ignoring their back-off.")
    ] = False,
    wait: WaitOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Fetch RSS/Atom feeds and their new articles into the store (the only network command).

    Each feed's new entries are downloaded, reduced to their main text and stored one by
    one; URLs already stored are not fetched again, pages that failed wait a day
    (doubling per failure) before the next try.

    Exit codes: 0 done; 1 every feed failed; 4 the --budget ran out first (what was
    downloaded stays stored, the rest comes next run: a cron job can go on to the
    report, see the README's cron line).

    Example: discourse fetch --feeds feeds.toml --db news.db --dry-run
    """
    from discourse.commands import fetch_into
    from discourse.render import render_fetch
    from discourse.store import set_lock_wait

    set_lock_wait(wait)
    _check_format(fmt, ("text", "json"))
    progress = None if quiet or not sys.stderr.isatty() else (lambda m: _info(m))
    report = fetch_into(
        db, feeds, dry_run=dry_run, allow_private=allow_private, delay=delay, timeout=timeout,
        warn=_warn(quiet), progress=progress, budget=budget, retry_failed=retry_failed,
    )  # fmt: skip
    _out(render_fetch(report, fmt, quiet), fmt)
    _fetch_exit(report, quiet)


#: fetch's exit code when its time budget ran out (and not every feed failed)
EXIT_BUDGET = 4


def _fetch_exit(report, quiet: bool) -> None:
    """Exit 1 when every feed failed, else 4 when the time budget ran out (with a warning)."""
    if report.budget_exhausted:
        _warn(quiet)(f"--budget {report.budget:g} s spent: {report.budget_note()}")
    if report.all_failed:
        raise typer.Exit(1)
    if report.budget_exhausted:
        raise typer.Exit(EXIT_BUDGET)


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
    from discourse.commands import list_articles
    from discourse.formats import render_records

    _check_format(fmt)
    rows = list_articles(db, source, since, until, limit)
    _out(render_records(rows, fmt, table_columns=["id", "source", "date", "title"]), fmt)


@corpus_app.command("stats")
def corpus_stats(db: DbOpt = None, fmt: FormatOpt = "table") -> None:
    """Articles, date range and size per source.

    Example: discourse corpus stats
    """
    from discourse.commands import source_stats
    from discourse.formats import render_records

    _check_format(fmt)
    _out(render_records(source_stats(db, total=fmt == "table"), fmt), fmt)


@corpus_app.command("show")
def corpus_show(
    article_id: Annotated[int, typer.Argument(metavar="ID", help="Article id (see corpus list).")],
    db: DbOpt = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Show one stored article with its metadata.

    Example: discourse corpus show 12
    """
    from discourse.commands import get_article
    from discourse.render import render_article

    _check_format(fmt, ("text", "json"))
    _out(render_article(get_article(db, article_id), fmt), fmt)


@corpus_app.command("export")
def corpus_export(
    db: DbOpt = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="csv, tsv, jsonl or parquet (a folder partitioned by source/year).",
        ),
    ] = "jsonl",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File (parquet: folder) to write (default: stdout)."),
    ] = None,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    raw_csv: Annotated[bool, typer.Option(help="Do not neutralize spreadsheet formulas.")] = False,
) -> None:
    """Export stored articles with their text, as CSV, TSV, JSON Lines or a Parquet dataset
    partitioned by source and year (for pandas, R arrow, Dask: 'score --dask').

    Document variables are meta.KEY columns; 'ingest' reads the file back with them.

    Example: discourse corpus export --format csv -o articles.csv
    """
    from discourse.commands import export_articles

    _check_format(fmt, ("csv", "tsv", "jsonl", "parquet"))
    changed = export_articles(db, source, since, until, fmt, output, raw_csv)
    if changed:
        _info(
            f"{changed} formula-like cell(s) (starting with =, +, -, @, a tab or CR) prefixed "
            "with ' so that a spreadsheet shows them as text (--raw-csv: leave them as they are)"
        )


YesOpt = Annotated[
    bool, typer.Option("--yes", "-y", help="Do it (needed when more than one article changes).")
]
DryRunOpt = Annotated[bool, typer.Option(help="Only show what would change.")]
EditIdsArg = Annotated[
    list[int] | None,
    typer.Argument(metavar="ID", help="Article ids (see corpus list).", show_default=False),
]


def _show_edit(res, fmt: str, quiet: bool) -> None:
    """The articles an edit concerns (stdout), then what was done or would be (stderr)."""
    from discourse.formats import render_records

    if res.rows:
        _out(render_records(res.rows, fmt, table_columns=["id", "source", "date", "title"]))
    _info(res.summary, quiet)


@corpus_app.command("rm")
def corpus_rm(
    ids: EditIdsArg = None,
    db: DbOpt = None,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    yes: YesOpt = False,
    dry_run: DryRunOpt = False,
    fmt: FormatOpt = "table",
    wait: WaitOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Remove articles (and their cached scores) by id or selection, in one transaction.

    Lists the articles; more than one is removed only with --yes (else a dry run).

    Example: discourse corpus rm --source "Harmony Daily" --until 2026-08-31 --yes
    """
    from discourse.commands import remove_articles
    from discourse.store import set_lock_wait

    _check_format(fmt)
    set_lock_wait(wait)
    res = remove_articles(db, ids, source, since, until, yes=yes, dry_run=dry_run)
    _show_edit(res, fmt, quiet)


@corpus_app.command("set")
def corpus_set(
    items: Annotated[
        list[str],
        typer.Argument(
            metavar="ID|FIELD=VALUE",
            help="Article ids, then source=, title=, date=, url= or meta.KEY= (empty: remove).",
        ),
    ],
    db: DbOpt = None,
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    yes: YesOpt = False,
    dry_run: DryRunOpt = False,
    fmt: FormatOpt = "table",
    wait: WaitOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Change the source, title, date, url or a document variable of articles.

    By id or selection, in one transaction; their cached scores are dropped.
    More than one article changes only with --yes (else a dry run).

    Example: discourse corpus set 12 date=2026-11-03 meta.country=FR
    """
    from discourse.commands import set_fields
    from discourse.store import set_lock_wait

    _check_format(fmt)
    set_lock_wait(wait)
    res = set_fields(db, items, source, since, until, yes=yes, dry_run=dry_run)
    _show_edit(res, fmt, quiet)


@corpus_app.command("rename-source")
def corpus_rename_source(
    old: Annotated[str, typer.Argument(metavar="OLD", help="The source's current name.")],
    new: Annotated[str, typer.Argument(metavar="NEW", help="Its new name (may exist).")],
    db: DbOpt = None,
    dry_run: DryRunOpt = False,
    wait: WaitOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Rename a source in every stored article, in one transaction; texts the new name
    already holds are merged. Cached scores of the renamed articles are dropped.

    Example: discourse corpus rename-source mountain-tribune "Mountain Tribune"
    """
    from discourse.commands import rename_source
    from discourse.store import set_lock_wait

    set_lock_wait(wait)
    res = rename_source(db, old, new, dry_run=dry_run)
    _info(res.summary, quiet)


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

    Example: discourse tokens my-article.txt --words treebank
    Stored: discourse tokens 12 --db news.db --engine punkt
    """
    from discourse.commands import tokenize_target
    from discourse.render import render_tokens

    _check_format(fmt, ("text", "json"))
    _out(render_tokens(tokenize_target(target, db, engine, words), fmt), fmt)


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
    from discourse.commands import lexicon_frames
    from discourse.render import render_lexicon

    _check_format(fmt, ("text", "json"))
    lex, frames = lexicon_frames(lexicon, frame)
    _out(render_lexicon(lex, frames, frame is not None and frame != "", fmt), fmt)


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
    from discourse.render import render_lexicon_test

    results = run_examples(get_lexicon(lexicon))
    _out(render_lexicon_test(results, verbose))
    if any(not r.ok for r in results):
        raise typer.Exit(1)
    if not results:
        _warn(False)("the lexicon has no examples to test")


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
        _out(text, "yaml")


@lexicon_app.command("export")
def lexicon_export(
    lexicon: LexArg = None,
    to: Annotated[str, typer.Option("--to", help="liwc (.dic) or quanteda (YAML).")] = "liwc",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here (default: stdout).")
    ] = None,
    drop_unsupported: Annotated[
        bool,
        typer.Option(
            help="Leave out what the format cannot express (excludes, proximity "
            "rules) and list it, instead of refusing."
        ),
    ] = False,
    quiet: QuietOpt = False,
) -> None:
    """Export a lexicon as a LIWC .dic or quanteda YAML dictionary (one category per frame).

    Example: discourse lexicon export my-lexicon.yaml --to quanteda -o frames.yml
    """
    from discourse.lexicon import export_lexicon

    text, dropped, notes = export_lexicon(_lexicon(lexicon), to, drop_unsupported)
    _infos([f"dropped: {d}" for d in dropped] + notes, quiet and not dropped)
    if output:
        output.write_text(text, encoding="utf-8")
        _info(f"wrote {output}", quiet)
    else:
        _out(text, "dic" if to == "liwc" else "yaml")


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
    fmt: RecordFormatOpt = "table",
    raw_csv: RawCsvOpt = False,
    output: OutputOpt = None,
    workers: WorkersOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """How each lexicon term fires on a corpus: hits, articles, sources; terms that
    never fire, generic terms, and spans counted for two frames.

    Example: discourse lexicon stats corpora/demo
    """
    from discourse import evidence
    from discourse.render import render_lexicon_stats

    lex = _lexicon(lexicon)
    _evidence(
        Scope(paths, demo, db, source, since, until, quiet, fmt, output), "matching",
        lambda store, sel, prog: evidence.lexicon_stats(
            store, lex, sel, generic_share=generic, progress=prog, workers=_workers(workers)),
        lambda r: render_lexicon_stats(
            r.records, r.tables["overlap"], r.meta, fmt, raw_csv=raw_csv),
    )  # fmt: skip


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
    fmt: RecordFormatOpt = "table",
    raw_csv: RawCsvOpt = False,
    output: OutputOpt = None,
    workers: WorkersOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Candidate new terms for a frame: words over-used in the sentences where it
    fires (keyness against all other sentences), for you to review.

    Example: discourse lexicon suggest corpora/demo --frame partnership
    """
    from discourse import evidence
    from discourse.render import render_suggest

    lex = _lexicon(lexicon)
    _evidence(
        Scope(paths, demo, db, source, since, until, quiet, fmt, output), "matching",
        lambda store, sel, prog: evidence.suggest(
            store, lex, frame, sel, ngram=ngram, min_count=min_count, top=top, progress=prog,
            workers=_workers(workers)),
        lambda r: render_suggest(r.records, r.meta, fmt, raw_csv=raw_csv),
    )  # fmt: skip


# -------------------------------------------------------------------- score


def _workers(workers: int | None) -> int:
    """--workers: 1 or more; by default the cores (at most 8)."""
    from discourse.workers import default_workers

    if workers is None:
        return default_workers()
    if workers < 1:
        raise InputError(f"--workers {workers}: use 1 or more processes")
    return workers


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
    fmt: RecordFormatOpt = "table",
    raw_csv: Annotated[bool, typer.Option(help="Do not neutralize spreadsheet formulas.")] = False,
    output: OutputOpt = None,
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    frames: FramesOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Score articles per frame: hits, hits per 1,000 tokens, presence, sentence share.

    Example: discourse score corpora/demo/harmony-daily --explain
    """
    from discourse.commands import make_scorer, pick_frames
    from discourse.render import score_texts

    _check_output(fmt, output)
    if by not in ("article", "sentence"):
        raise InputError(f"--by {by!r} is not known; use article or sentence")
    scorer = make_scorer(_lexicon(lexicon), model, method, _warn(quiet))
    shown = pick_frames(frames, scorer.frames)
    with _open(Scope(paths, demo, db, source, since, until, quiet, fmt), stream=True) as inp:
        tfmt, n = _text_fmt(fmt), _workers(workers)
        texts = score_texts(inp, scorer, tfmt, by, explain, _color(), raw_csv, shown, n, dask)
        _emit(texts, fmt, output)


# ------------------------------------------------------------------ compare


@app.command()
def compare(
    paths: PathsArg = None,
    demo: DemoOpt = False,
    db: DbOpt = None,
    lexicon: LexiconOpt = None,
    model: ModelOpt = None,
    method: MethodOpt = "lexicon",
    by: Annotated[
        str,
        typer.Option(
            help="source, source,week or source,month; meta:KEY in place of source groups "
            "by a document variable (meta:country,month)."
        ),
    ] = "source",
    source: SourceOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    boot: Annotated[
        int, typer.Option(help="Bootstrap resamples for intensity intervals.")
    ] = DEFAULT_BOOT,
    workers: WorkersOpt = None,
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
    validation: ValidationOpt = None,
    frames: Annotated[
        str | None, typer.Option("--frames", help="Only these frames (comma-separated), in order.")
    ] = None,
    fmt: RecordFormatOpt = "table",
    chart: Annotated[bool, typer.Option(help="Bar chart under the table (terminal only).")] = True,
    raw_csv: RawCsvOpt = False,
    output: OutputOpt = None,
    dask: DaskOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Compare sources per frame: prevalence with Wilson intervals, intensity with
    bootstrap intervals, chi-square tests with Cramér's V; --pairwise adds every pair;
    --validation adds shares corrected for the method's errors.

    Example: discourse compare corpora/demo --by source,month
    """
    from discourse import commands
    from discourse.api import selection
    from discourse.render import compare_notes, render_compare_result

    _check_output(fmt, output)
    lex = _lexicon(lexicon)
    with _inputs(paths, demo, db, quiet) as inp, _progress("scoring", quiet) as prog:
        res = commands.compare(
            inp, lex, selection(source, since, until), by=by, n_boot=boot, seed=seed, dask=dask,
            workers=_workers(workers), pairwise=pairwise, correction=correction, progress=prog,
            frames=frames, scorer=commands.make_scorer(lex, model, method, _warn(quiet)),
            validation=validation)  # fmt: skip
    _infos(compare_notes(res), quiet)
    chart = chart and fmt == "table" and sys.stdout.isatty() and output is None
    _emit(render_compare_result(res, _text_fmt(fmt), raw_csv=raw_csv, chart=chart), fmt, output)


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
    measure: Annotated[
        str,
        typer.Option(
            help="logodds (Monroe et al.'s z), chi2 or lr (signed chi-square or G², "
            "as quanteda's textstat_keyness)."
        ),
    ] = "logodds",
    since: SinceOpt = None,
    until: UntilOpt = None,
    fmt: RecordFormatOpt = "table",
    raw_csv: RawCsvOpt = False,
    output: OutputOpt = None,
    workers: WorkersOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Which words does each source use more than the others? Log-odds ratio with
    informative Dirichlet prior (Monroe, Colaresi & Quinn 2008), with z-scores;
    --measure chi2|lr for quanteda's chi-square or likelihood ratio.

    Example: discourse keyness corpora/demo -s "Harmony Daily" --frame partnership
    """
    from discourse import evidence
    from discourse.render import render_keyness

    lex = _lexicon(lexicon) if frame else None
    _evidence(
        Scope(paths, demo, db, None, since, until, quiet, fmt, output), "counting",
        lambda store, sel, prog: evidence.keyness(
            store, sel, sources=source, vs=vs, frame=frame, lexicon=lex, ngram=ngram,
            min_count=min_count, top=top, use_stopwords=stopwords, extra_stopwords=stop or (),
            prior_size=prior_size, measure=measure, progress=prog, workers=_workers(workers)),
        lambda r: render_keyness(r.records, r.meta, fmt, raw_csv=raw_csv),
    )  # fmt: skip


# --------------------------------------------------------------------- kwic


@app.command()
def kwic(
    pattern: Annotated[
        str,
        typer.Argument(
            metavar="PATTERN",
            help="A term or phrase; * any letters, ? one (hegemon*, *lateral, multi*ism); "
            "or frame:NAME.",
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
    fmt: RecordFormatOpt = "table",
    raw_csv: RawCsvOpt = False,
    output: OutputOpt = None,
    workers: WorkersOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Keyword in context: every occurrence of a term, phrase or frame, with source and date.

    Example: discourse kwic frame:anti_hegemonism corpora/demo -s "Meridian Wire"
    """
    from discourse import evidence
    from discourse.render import kwic_notes, render_kwic

    lex = _lexicon(lexicon) if pattern.strip().lower().startswith("frame:") else None
    color = fmt == "table" and _color()
    res = _evidence(
        Scope(paths, demo, db, source, since, until, quiet, fmt, output), "searching",
        lambda store, sel, prog: evidence.kwic(
            store, pattern, sel, lexicon=lex, window=window, limit=limit, sample=sample,
            seed=seed, progress=prog, workers=_workers(workers)),
        lambda r: render_kwic(r.records, r.meta, fmt, color=color, width=width, raw_csv=raw_csv),
    )  # fmt: skip
    _infos(kwic_notes(res.meta), quiet)


# -------------------------------------------------------------------- trend


@app.command()
def trend(
    paths: PathsArg = None,
    demo: DemoOpt = False,
    db: DbOpt = None,
    lexicon: LexiconOpt = None,
    by: Annotated[
        str,
        typer.Option(
            help="Period: week (ISO) or month; add meta:KEY for one series per value of a "
            "document variable instead of per source (month,meta:country)."
        ),
    ] = "week",
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
    validation: ValidationOpt = None,
    frames: FramesOpt = None,
    fmt: RecordFormatOpt = "table",
    raw_csv: RawCsvOpt = False,
    output: OutputOpt = None,
    workers: WorkersOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Prevalence and intensity per week or month and source; periods that depart
    from the trailing baseline (exact binomial test) are flagged. --validation adds
    the corrected share per period and source.

    Example: discourse trend corpora/demo --by month --frame threat
    """
    from discourse import evidence
    from discourse.commands import frame_list
    from discourse.render import render_trend

    lex, frame = _lexicon(lexicon), [*(frame or []), *(frame_list(frames) or [])]
    _evidence(
        Scope(paths, demo, db, source, since, until, quiet, fmt, output), "scoring",
        lambda store, sel, prog: evidence.trend(
            store, lex, sel, by=by, frames=frame or None, window=window, alpha=alpha,
            min_baseline=min_baseline, combine=all_sources, validation=validation,
            progress=prog, workers=_workers(workers)),
        lambda r: render_trend(r.records, r.meta, fmt, chart=chart, raw_csv=raw_csv),
    )  # fmt: skip


# --------------------------------------------------------------------- report


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
    by: Annotated[
        str,
        typer.Option(
            help="Groups compared: source, or meta:KEY for the values of a document variable."
        ),
    ] = "source",
    trailing: Annotated[
        int, typer.Option(help="Weeks in the trailing baseline for 'what changed'.")
    ] = 4,
    boot: Annotated[
        int, typer.Option(help="Bootstrap resamples for intensity intervals.")
    ] = DEFAULT_BOOT,
    seed: Annotated[int, typer.Option(help="Random seed for the bootstrap.")] = DEFAULT_SEED,
    validation: ValidationOpt = None,
    frames: FramesOpt = None,
    raw_csv: RawCsvOpt = False,
    wait: WaitOpt = None,
    workers: WorkersOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Write a period's report: Markdown for mail, HTML with charts, CSV and JSON.

    One folder per period (reports/2026-W47/), replaced atomically:
    report.md, report.html, frames_by_source.csv, articles.csv, summary.json.
    Scores are cached in the store, so a weekly run scores only new articles.
    Exit codes: 0 ok, 1 error, 2 usage, 3 another run holds the store's lock
    (give --wait SECONDS to wait for it).

    Example: discourse report --demo --week 2026-W47 -o reports/
    """
    from discourse.commands import model_options
    from discourse.report import run_report
    from discourse.store import set_lock_wait

    set_lock_wait(wait)
    with _progress("scoring", quiet) as prog:
        path, data = run_report(
            _paths(paths, demo), db, output, lexicon=lexicon, week=week, since=since,
            until=until, sources=source, raw_csv=raw_csv, progress=prog, warn=_warn(quiet),
            trailing=trailing, n_boot=boot, seed=seed, validation=validation, frames=frames,
            by=by, workers=_workers(workers), **model_options(model, method, _warn(quiet)),
        )  # fmt: skip
    _info(data.summary_line(path), quiet)


# ---------------------------------------------------------------- classifier


def _show_train(result, lex, fmt: str, from_lexicon: bool, quiet: bool) -> None:
    from discourse.classifier import CIRCULAR_WARNING
    from discourse.render import render_train, train_notes

    _out(render_train(result, lex, fmt, from_lexicon), fmt)
    _infos(train_notes(result, fmt), quiet)
    if from_lexicon:  # the circular-validation warning comes last, never silenced
        _warn(False)(CIRCULAR_WARNING)


ContextOpt = Annotated[
    float,
    typer.Option(
        "--context",
        help="Weight of the neighbouring sentences (previous and next of the same "
        "article) as extra features; 0: each sentence alone.",
    ),
]
CalibrateOpt = Annotated[
    bool, typer.Option(help="Platt-calibrate the probabilities in the inner folds.")
]
DualOpt = Annotated[
    bool, typer.Option(help="liblinear's dual solver: the same model, faster to train.")
]
ExtraOpt = Annotated[
    Path | None,
    typer.Option(
        "--extra",
        metavar="EXTRA.csv",
        help="More labels for training only (never tested), e.g. the demo labels.",
    ),
]
ExtraWeightOpt = Annotated[
    float, typer.Option(help="Weight of each --extra sentence (1: as much as LABELS).")
]


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
    context: ContextOpt = 0.0,
    calibrate: CalibrateOpt = False,
    dual: DualOpt = False,
    extra: ExtraOpt = None,
    extra_weight: ExtraWeightOpt = 1.0,
    fmt: FormatOpt = "table",
    workers: Annotated[
        int | None,
        typer.Option(help="Cross-validation folds fitted at once (default: the cores, at most 8)."),
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Train a frame classifier on coded sentences; report grouped cross-validation.

    Per frame, precision, recall and F1 (mean ± SD over folds that keep each article's
    sentences together) for the classifier, the lexicon and a majority baseline. The
    model files are plain data (JSON + .npz, no pickle) with a model card beside them.

    Example: discourse train corpora/demo/labels.csv -o models/demo
    """
    from discourse.classifier import CIRCULAR_WARNING, recipe_params, train_from
    from discourse.commands import frame_list

    _check_format(fmt)
    lex = _lexicon(lexicon)
    result = train_from(
        labels, output, lexicon=lex, k=cv, seed=seed, from_lexicon=from_lexicon, db=db,
        frames=frame_list(frames), lexicon_features=lexicon_features, max_sentences=max_sentences,
        warn=lambda m: m == CIRCULAR_WARNING or _warn(quiet)(m), progress=_info_cb(quiet),
        params=recipe_params(context, calibrate, dual), extra=extra, extra_weight=extra_weight,
        workers=_workers(workers),
    )  # fmt: skip
    _show_train(result, lex, fmt, from_lexicon, quiet)


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
    method: Annotated[
        str | None,
        typer.Option(
            "--method",
            help="Sensitivity and specificity of this method only: lexicon, classifier or "
            "both (default: every method evaluated).",
        ),
    ] = None,
    fmt: FormatOpt = "table",
    raw_csv: Annotated[bool, typer.Option(help="Do not neutralize spreadsheet formulas.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Score the lexicon (and a model) against gold labels: precision, recall, F1,
    Cohen's kappa, Krippendorff's alpha, and sensitivity and specificity (weighted by the
    sample design of a validation file from 'label --validation').

    Example: discourse evaluate corpora/demo/labels.csv --model models/demo
    """
    from discourse.classifier import evaluate as do_evaluate
    from discourse.commands import frame_list, load_optional_model
    from discourse.render import render_eval_result

    _check_format(fmt)
    res = do_evaluate(
        gold, model=load_optional_model(model, _warn(False)), lexicon=_lexicon(lexicon),
        frames=frame_list(frames), errors=errors, warn=_warn(quiet),
    ).with_rates_of(method)  # fmt: skip
    _out(render_eval_result(res, fmt, errors, raw_csv=raw_csv), fmt)


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
    validation: Annotated[
        int,
        typer.Option(
            "--validation",
            metavar="N",
            help="Draw a validation sample of N sentences for 'compare --validation': "
            "stratified by source x the method's call, weights and calls recorded, coded "
            "without the method's hints. Resume with the same N and --seed.",
        ),
    ] = 0,
    method: MethodOpt = "lexicon",
    unit: Annotated[
        str,
        typer.Option(
            help="With --validation: code sentences, or whole articles (a frame is present "
            "in the article or not; the session pages through it: > next, < previous)."
        ),
    ] = "sentence",
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
    Validation: discourse label corpora/demo -o val.csv --validation 300
    Articles: discourse label corpora/demo -o a.csv --validation 60 --unit article
    """
    from discourse.commands import code_sentences
    from discourse.terminal import write

    with _open(Scope(paths, demo, db, source, since, until, quiet, "table")) as inp:
        report = code_sentences(
            inp, output, lexicon, model, _key_reader(), lambda t: write(terminal_text(t)),
            _warn(quiet), n=sample, seed=seed,
            stratify=stratify, uncertain=uncertain, frames=frames, context=context,
            validation=validation, method=method, unit=unit,
        )  # fmt: skip
    _info(report.summary(), quiet)


# --------------------------------------------------------------------- main


#: Library parameter names whose flag is not ``--`` + the name with dashes.
FLAGS = {"n_boot": "--boot", "generic_share": "--generic", "k": "--cv", "fmt": "--format"}


def flag_names(message: str) -> str:
    """A library message with its parameter names (in backticks) shown as this CLI's flags.

    Examples
    --------
    >>> flag_names("`n_boot` 50 is too few; `min_count` too")
    '--boot 50 is too few; --min-count too'
    """
    return re.sub(
        r"`(\w+)`", lambda m: FLAGS.get(m.group(1), "--" + m.group(1).replace("_", "-")), message
    )


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
    print(f"{where}: usage error: {printable(fmt())} (see '{where} --help')", file=sys.stderr)
    return code


class _PlainArgument(typer.core.TyperArgument):
    """An argument shown the way click shows one: ``NAME``, ``[NAME]``, ``NAME...``,
    without typer's type placeholder (``<list[Path]>``) or braces (``{paths}``)."""

    def display_type_rich(self, ctx) -> None:
        return None

    def _shown(self) -> str:
        return self.metavar + ("..." if self.nargs != 1 else "")

    def get_usage_pieces(self, ctx) -> list[str]:
        name = self.metavar if self.required else f"[{self.metavar}]"
        return [name + ("..." if self.nargs != 1 else "")]

    def get_help_record(self, ctx):
        record = super().get_help_record(ctx)
        return None if record is None else (self._shown(), record[1])


#: A help paragraph whose every line is ``Word: discourse ...`` (a command to copy).
_EXAMPLES = re.compile(r"^(\s*[A-Z][\w ]*: discourse .*\n?)+$")


def _metavar(type_name: str) -> str:
    """Click's placeholder for a type typer names ``str``, ``list[Path]``, ..."""
    name = re.sub(r"^list\[(.*)\]$", r"\1", type_name)
    return {"str": "TEXT", "int": "INTEGER"}.get(name, name.upper())


def _plain_help(cmd) -> None:
    """Make ``cmd``'s help (and its subcommands') read well at 80 columns.

    Plain help (no rich markup: ``[[feed]]`` stays as written, option names are
    never cut), click's placeholders (``--db TEXT``, ``[PATHS]...``) instead of
    ``<str>`` and ``<list[Path]>``, and example lines kept whole for copying.
    """
    cmd.rich_markup_mode = None
    if cmd.help:
        paras = inspect.cleandoc(cmd.help).split("\n\n")
        cmd.help = "\n\n".join(f"\b\n{p}" if _EXAMPLES.match(p) else p for p in paras)
    for param in cmd.params:
        if isinstance(param, typer.core.TyperArgument):
            param.__class__ = _PlainArgument
            param.metavar = param.metavar or param.name.upper()
        elif not getattr(param, "is_flag", True) and not getattr(param, "count", False):
            param.metavar = param.metavar or _metavar(param.bare_type())
    for sub in getattr(cmd, "commands", {}).values():
        _plain_help(sub)


@functools.cache
def _command():
    """The typer app as a command, built once, with plain help."""
    cmd = typer.main.get_command(app)
    _plain_help(cmd)
    return cmd


INTERRUPTED = "discourse: interrupted; what was committed before stays, nothing partial was stored"


def _on_sigint(signum, frame) -> None:
    _on_sigint.seen = True  # typer turns the KeyboardInterrupt into a silent exit 130
    raise KeyboardInterrupt


def _app(argv: list[str] | None) -> int:
    """The typer app, with Ctrl-C made visible: one line on stderr and exit 130."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        rv = _command().main(args=argv, prog_name="discourse", standalone_mode=False)
        return rv if isinstance(rv, int) else 0
    _on_sigint.seen = False
    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        rv = _command().main(args=argv, prog_name="discourse", standalone_mode=False)
    finally:
        signal.signal(signal.SIGINT, previous)
    if _on_sigint.seen:
        raise KeyboardInterrupt
    return rv if isinstance(rv, int) else 0


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (errors become one line on stderr)."""
    try:
        return _app(argv)
    except SystemExit as e:
        code = e.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(printable(str(code)), file=sys.stderr)
        return 1
    except DiscourseError as e:
        kind = "usage error" if isinstance(e, UsageError) else "error"
        print(f"discourse: {kind}: {printable(flag_names(str(e)))}", file=sys.stderr)
        return e.exit_code
    except (KeyboardInterrupt, EOFError):
        print(INTERRUPTED, file=sys.stderr)
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
            f"discourse: internal error: {type(e).__name__}: {printable(str(e))} "
            "(this is a bug; please "
            "report it; set DISCOURSE_DEBUG=1 to see the traceback)",
            file=sys.stderr,
        )
        return 70


def run() -> None:
    sys.exit(main())
