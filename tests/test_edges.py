"""Rough edges of issue 13: help at 80 columns, usage errors, evaluate's error list,
repeated label rows, --demo for ingest, lock files, spans, and the small hints."""

from __future__ import annotations

import csv
import re

import pytest
import typer

from discourse.classifier.labels import load_labels
from discourse.cli import app
from discourse.errors import InputError

from .conftest import DEMO, write


def _commands(group, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, (*prefix, name))
        else:
            yield (*prefix, name), cmd


COMMANDS = list(_commands(typer.main.get_command(app)))
IDS = [" ".join(n) for n, _ in COMMANDS]

#: typer's type placeholders (``<str>``, ``<list[Path]>``) and required-argument braces.
PLACEHOLDER = re.compile(r"<(str|int|float|bool|path|Path|list\[\w+\])>|\{\w+\}")


@pytest.mark.parametrize("words,cmd", COMMANDS, ids=IDS)
def test_help_reads_well_at_80_columns(run, monkeypatch, words, cmd):
    monkeypatch.setenv("COLUMNS", "80")
    r = run(*words, "--help")
    assert r.code == 0
    assert not PLACEHOLDER.search(r.out), PLACEHOLDER.search(r.out).group(0)
    for line in r.out.splitlines():  # only a command to copy may run past the edge
        assert len(line) <= 80 or re.match(r"\s*\w+: discourse ", line), line
    assert "…" not in r.out
    for param in cmd.params:  # every option and argument is named in full
        for opt in [*getattr(param, "opts", []), *getattr(param, "secondary_opts", [])]:
            if opt.startswith("-"):
                assert re.search(rf"(^|[\s,/]){re.escape(opt)}\b", r.out, re.M), opt


def test_help_keeps_brackets_as_written(run, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    r = run("fetch", "--help")
    assert "listing [[feed]] source" in " ".join(r.out.split())
    assert "--feeds PATH" in r.out
    r = run("kwic", "--help")
    assert "discourse kwic [OPTIONS] PATTERN [PATHS]..." in r.out


def _required(cmd) -> bool:
    return any(p.required for p in cmd.params)


@pytest.mark.parametrize(
    "words", [n for n, c in COMMANDS if _required(c)] + [("train",)], ids=" ".join
)
def test_a_missing_required_argument_is_a_usage_error(run, words):
    r = run(*words)
    assert r.code == 2, r.err
    assert "usage error" in r.err and r.err.count("\n") == 1


def test_train_with_labels_and_from_lexicon_is_a_usage_error(run):
    r = run("train", DEMO / "labels.csv", "--from-lexicon")
    assert r.code == 2 and "not both" in r.err


# ------------------------------------------------------------ labels and gold


def _without_index(src, dst, n=None):
    """The demo labels without their sent_idx column (first ``n`` rows)."""
    with open(src, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    i = rows[0].index("sent_idx")
    rows = [r[:i] + r[i + 1 :] for r in rows[: None if n is None else n + 1]]
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(dst, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return rows


def test_evaluate_errors_without_a_sentence_index(run, tmp_path):
    gold = tmp_path / "gold.csv"
    rows = _without_index(DEMO / "labels.csv", gold)
    r = run("evaluate", gold, "--errors", "2", "-q")
    assert r.code == 0, r.err
    assert "#None" not in r.out
    shown = re.findall(r"· (\S+) \(line (\d+)\)\n", r.out)
    assert shown, r.out
    for doc, line in shown:  # the line named is the row of that article in the file
        assert rows[int(line) - 1][0] == doc


HEADER = "doc_id,source,text,partnership,threat"


def test_a_repeated_sentence_coded_the_same_is_kept_once(tmp_path):
    p = write(
        tmp_path / "l.csv",
        f"{HEADER}\na,S,We are friends.,1,0\na,S,Photo: Staff.,0,0\nb,S,Threats grow.,0,1\n"
        "a,S,Photo:  Staff.,0,0\nb,S,Photo: Staff.,0,0\n",
    )
    notes = []
    ls = load_labels(p, ["partnership", "threat"], warn=notes.append)
    assert ls.texts == ["We are friends.", "Photo: Staff.", "Threats grow.", "Photo: Staff."]
    assert ls.doc_ids == ["a", "a", "b", "b"] and ls.lines == [2, 3, 4, 6]
    assert ls.y.tolist() == [[1, 0], [0, 0], [0, 1], [0, 0]]
    assert len(notes) == 1 and f"{p}, line 5: a copy of line 3" in notes[0]


def test_a_repeated_sentence_coded_differently_is_refused(tmp_path):
    p = write(tmp_path / "l.csv", f"{HEADER}\na,S,Photo: Staff.,0,0\na,S,Photo: Staff.,0,1\n")
    with pytest.raises(InputError, match="lines 2 and 3: duplicate row .*coded differently"):
        load_labels(p, ["partnership", "threat"], warn=lambda m: None)


def test_train_keeps_one_copy_and_warns(run, tmp_path):
    p = write(
        tmp_path / "l.csv",
        f"{HEADER}\na,S,We are friends.,1,0\na,S,Photo: Staff.,0,0\nb,S,Threats grow.,0,1\n"
        "a,S,Photo: Staff.,0,0\nc,S,Partners again.,1,1\n",
    )
    r = run("train", p, "--cv", "0", "--frames", "partnership,threat")
    assert r.code == 0, r.err
    assert "line 5: a copy of line 3" in r.err and "all 4 sentences" in r.err
