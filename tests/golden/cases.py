"""The golden cases: commands, the workspace they run in, and how output is normalized."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = Path(__file__).resolve().parent / "expected"
INPUT = Path(__file__).resolve().parent / "input"
LABELS = ROOT / "corpora" / "demo" / "labels.csv"
ARTICLE = ROOT / "corpora" / "demo" / "meridian-wire" / "2026-08-04-wang-lavrov-moscow-talks.md"

#: The environment every case runs in: no colour, a fixed clock, a fixed width.
ENV = {"NO_COLOR": "1", "SOURCE_DATE_EPOCH": "1764547200", "COLUMNS": "120", "LINES": "40"}
_SECONDS = re.compile(r'(\s)"seconds": [0-9.]+')
FORMATS = ("table", "csv", "json", "jsonl", "md")


@dataclass(frozen=True)
class Case:
    """One command line. ``{db}``, ``{model}`` and ``{work}`` are filled in from the workspace.

    ``folder`` names an output folder (relative to the workspace) whose files are golden too.
    """

    name: str
    args: tuple[str, ...]
    stdin: str | None = None
    folder: str | None = None
    slow: bool = False
    files: tuple[str, ...] = field(default=())


def _each_format(name: str, args: tuple[str, ...], formats=FORMATS, **kw) -> list[Case]:
    """One case per format; all but the first are slow (the default run stays short)."""
    slow = kw.pop("slow", False)
    return [
        Case(f"{name}_{f}", (*args, "--format", f), slow=slow or i > 0, **kw)
        for i, f in enumerate(formats)
    ]


def _cases() -> list[Case]:
    c: list[Case] = []
    c.append(Case("version", ("--version",)))
    c.append(Case("ingest", ("ingest", "corpora/demo", "--db", "{work}/fresh.db"), files=()))
    c.append(Case("fetch_refused", ("fetch", "--feeds", "{input}/feeds.toml", "--db", "{db}")))
    c += _each_format(
        "fetch_refused_fmt",
        ("fetch", "--feeds", "{input}/feeds.toml", "--db", "{db}"),
        ("text", "json"),
    )
    c += _each_format("corpus_list", ("corpus", "list", "--db", "{db}", "--limit", "12"))
    c += _each_format("corpus_stats", ("corpus", "stats", "--db", "{db}"))
    c += _each_format("corpus_show", ("corpus", "show", "3", "--db", "{db}"), ("text", "json"))
    c += _each_format(
        "corpus_export",
        ("corpus", "export", "--db", "{db}", "-s", "Harmony Daily"),
        ("csv", "jsonl"),
    )
    c += _each_format("tokens", ("tokens", str(ARTICLE)), ("text", "json"))
    c.append(
        Case(
            "tokens_nltk",
            ("tokens", "5", "--db", "{db}", "--engine", "punkt", "--words", "treebank"),
        )
    )
    c += _each_format("lexicon_show", ("lexicon", "show"), ("text", "json"))
    c.append(Case("lexicon_show_frame", ("lexicon", "show", "--frame", "partnership")))
    c.append(Case("lexicon_check", ("lexicon", "check")))
    c.append(Case("lexicon_test", ("lexicon", "test", "-v")))
    c.append(Case("lexicon_convert", ("lexicon", "convert", "{input}/frames.dic")))
    c += _each_format("lexicon_stats", ("lexicon", "stats", "--demo"))
    c += _each_format("lexicon_suggest", ("lexicon", "suggest", "--demo", "--frame", "partnership"))
    c += _each_format("score", ("score", "--demo"))
    c += _each_format(
        "score_sentence", ("score", "--demo", "-s", "Meridian Wire", "--by", "sentence")
    )
    c += _each_format(
        "score_explain",
        ("score", "--demo", "-s", "Harmony Daily", "--until", "2026-08-31", "--explain"),
    )
    c += _each_format(
        "score_model",
        ("score", "--demo", "-s", "Southern Voice", "--model", "{model}", "--method", "both"),
    )
    c += _each_format("compare", ("compare", "--demo"))
    c += _each_format(
        "compare_month", ("compare", "--demo", "--by", "source,month", "--boot", "200")
    )
    c += _each_format(
        "compare_pairwise",
        ("compare", "--demo", "--pairwise", "--correction", "bh", "--boot", "200"),
    )
    c += _each_format(
        "compare_model",
        ("compare", "--demo", "--model", "{model}", "--method", "classifier", "--boot", "200"),
    )
    c += _each_format("keyness", ("keyness", "--demo"))
    c += _each_format(
        "keyness_frame",
        (
            "keyness",
            "--demo",
            "--source",
            "Harmony Daily",
            "--vs",
            "The Atlantic Ledger",
            "--frame",
            "partnership",
            "--ngram",
            "2",
            "--min-count",
            "2",
        ),
    )
    c += _each_format(
        "kwic", ("kwic", "frame:anti_hegemonism", "--demo", "--source", "Meridian Wire")
    )
    c += _each_format(
        "kwic_sample",
        ("kwic", "win-win", "--demo", "--sample", "5", "--seed", "1", "--window", "6"),
    )
    c += _each_format("trend", ("trend", "--demo"))
    c += _each_format(
        "trend_month", ("trend", "--demo", "--by", "month", "--frame", "threat", "--all-sources")
    )
    c.append(
        Case(
            "report_week",
            ("report", "--demo", "--week", "2026-W47", "-o", "{work}/reports-week"),
            folder="reports-week/2026-W47",
        )
    )
    c.append(
        Case(
            "report_all",
            ("report", "--demo", "-o", "{work}/reports-all", "--boot", "200"),
            folder="reports-all/all",
        )
    )
    c.append(
        Case(
            "report_model",
            (
                "report",
                "--demo",
                "--since",
                "2026-11-01",
                "--until",
                "2026-11-30",
                "--model",
                "{model}",
                "--method",
                "both",
                "-o",
                "{work}/reports-model",
                "--boot",
                "200",
            ),
            folder="reports-model/2026-11",
        )
    )
    train = ("train", str(LABELS), "--cv", "2", "--frames", "partnership,threat")
    c += _each_format("train", train, ("table", "json"), slow=True)
    # the CSV holds only the cross-validation figures: the dual solver's, a fraction of the
    # primal's CPU, are the same to the last digit (the table and JSON cases keep the primal)
    c.append(Case("train_csv", (*train, "--dual", "--format", "csv"), slow=True))
    c.append(
        Case(
            "train_write",  # --dual: the card of every frame's model at a fraction of the CPU
            ("train", str(LABELS), "--cv", "0", "--dual", "-o", "{work}/model-golden"),
            files=("model-golden.card.json",),
            slow=True,
        )
    )
    c += _each_format("evaluate", ("evaluate", str(LABELS), "--model", "{model}", "--errors", "2"))
    c.append(Case("evaluate_lexicon", ("evaluate", str(LABELS), "--frames", "threat")))
    c.append(
        Case(
            "label",
            (
                "label",
                "--demo",
                "-o",
                "{work}/labels-golden.csv",
                "--sample",
                "4",
                "--frames",
                "partnership,threat",
                "--stratify",
            ),
            stdin="ynnnbnynnq",
            files=("labels-golden.csv",),
        )
    )
    c.append(Case("error_bad_format", ("compare", "--demo", "--format", "xml")))
    c.append(Case("error_usage", ("compare", "--no-such-option")))
    return c


CASES = _cases()
BY_NAME = {c.name: c for c in CASES}


@contextlib.contextmanager
def environment() -> Iterator[None]:
    """Set :data:`ENV` (and unset ``DISCOURSE_DB``) for the duration."""
    saved = {k: os.environ.get(k) for k in (*ENV, "DISCOURSE_DB")}
    os.environ.update(ENV)
    os.environ.pop("DISCOURSE_DB", None)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def make_workspace(work: Path) -> None:
    """A store holding the demo corpus and a model trained without cross-validation.

    ``--dual``: the same optimum as the primal solver (every output of the model is the
    same; only its hash differs) at a fraction of the CPU; train_table and train_json
    train with the primal solver."""
    from discourse.cli import main

    sink = io.StringIO()
    with environment(), contextlib.redirect_stderr(sink), contextlib.redirect_stdout(sink):
        assert main(["ingest", "corpora/demo", "--db", str(work / "demo.db"), "-q"]) == 0
        code = main(
            [
                "train",
                str(LABELS),
                "--cv",
                "0",
                "--frames",
                "partnership,threat",
                "-o",
                str(work / "model"),
                "--dual",
                "-q",
            ]
        )
    assert code == 0, sink.getvalue()


def _fill(arg: str, work: Path) -> str:
    return arg.format(db=work / "demo.db", model=work / "model", work=work, input=INPUT)


def normalize(text: str, work: Path) -> str:
    """Machine-specific paths and the training time (seconds) replaced by placeholders."""
    text = text.replace(str(work), "<WORK>").replace(str(ROOT), "<ROOT>")
    return _SECONDS.sub(r'\1"seconds": "<SECONDS>"', text)


def run_case(case: Case, work: Path) -> dict[str, bytes]:
    """Run one case in-process (cwd = the repository); its outputs by golden file name."""
    from discourse.cli import main

    out, err = io.StringIO(), io.StringIO()
    stdin = io.StringIO(case.stdin or "")
    old_cwd, old_stdin = os.getcwd(), sys.stdin
    for name in (*case.files, *(case.folder.split("/")[:1] if case.folder else ())):
        target = work / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    try:
        os.chdir(ROOT)
        sys.stdin = stdin
        with environment(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([_fill(a, work) for a in case.args])
    finally:
        os.chdir(old_cwd)
        sys.stdin = old_stdin
    text = f"exit {code}\n--- stdout\n{out.getvalue()}--- stderr\n{err.getvalue()}"
    result = {f"{case.name}.txt": normalize(text, work).encode("utf-8")}
    for name in case.files:
        result[f"{case.name}/{name}"] = normalize(
            (work / name).read_text(encoding="utf-8"), work
        ).encode("utf-8")
    if case.folder:
        folder = work / case.folder
        for p in sorted(folder.rglob("*")):
            if p.is_file() and not p.name.startswith("."):
                rel = p.relative_to(folder).as_posix()
                body = normalize(p.read_text(encoding="utf-8"), work)
                result[f"{case.name}/{rel}"] = body.encode("utf-8")
    return result


def expected_files(case: Case) -> dict[str, bytes]:
    """The stored golden files of a case."""
    files = {}
    main_file = EXPECTED / f"{case.name}.txt"
    if main_file.exists():
        files[main_file.name] = main_file.read_bytes()
    folder = EXPECTED / case.name
    if folder.is_dir():
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                files[f"{case.name}/{p.relative_to(folder).as_posix()}"] = p.read_bytes()
    return files
