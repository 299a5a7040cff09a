"""Every command has help with an example and appears in the README (as sqlite-utils'
test_docs.py does for its commands)."""

from __future__ import annotations

import re

import pytest
import typer

from discourse.cli import app

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        path = (*prefix, name)
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, path)
        else:
            yield " ".join(path), cmd


COMMANDS = list(_commands(typer.main.get_command(app)))


def test_the_commands_are_found():
    names = [n for n, _ in COMMANDS]
    assert len(names) >= 20 and "compare" in names and "corpus export" in names


@pytest.mark.parametrize("name,cmd", COMMANDS, ids=[n for n, _ in COMMANDS])
def test_help_has_an_example_of_the_command(name, cmd):
    example = re.search(r"^\s*Example: (discourse .+)$", cmd.help or "", re.M)
    assert example, f"'discourse {name} --help' has no 'Example: discourse ...' line"
    assert example.group(1).startswith(f"discourse {name}")


@pytest.mark.parametrize("name", [n for n, _ in COMMANDS])
def test_command_is_in_the_readme(name):
    words = name.split()
    if len(words) == 1:
        assert re.search(rf"discourse {name}\b", README), f"'discourse {name}' not in README"
    else:  # "discourse corpus list|stats|show ID|export" counts for each subcommand
        lines = [ln for ln in README.splitlines() if f"discourse {words[0]} " in ln]
        pattern = rf"discourse {words[0]} [^`]*?\b{words[1]}\b"
        assert any(re.search(pattern, ln) for ln in lines), f"'discourse {name}' not in README"


def test_help_runs_for_every_command(run):
    for name, _ in COMMANDS:
        r = run(*name.split(), "--help")
        assert r.code == 0 and "Example" in r.out, name


GROUPS = sorted({n.rsplit(" ", 1)[0] for n, _ in COMMANDS if " " in n})


@pytest.mark.parametrize("name", ["", *GROUPS, *(n for n, _ in COMMANDS)])
def test_help_fits_80_columns(run, monkeypatch, name):
    monkeypatch.setenv("COLUMNS", "80")
    r = run(*name.split(), "--help")
    assert r.code == 0
    wide = [ln for ln in r.out.splitlines() if len(ln) > 80]
    assert not wide, f"'discourse {name} --help' at 80 columns: {wide}"


#: every value a --format option may take, anywhere
KNOWN_FORMATS = {"table", "text", "csv", "tsv", "json", "jsonl", "md", "parquet", "auto"}
KNOWN_FORMATS |= {"txt", "html"}


def _dummy_args(cmd) -> list[str]:
    """Values for a command's required arguments and options (the format is checked first)."""
    args = []
    for p in cmd.params:
        if p.required:
            args += ["1"] if not p.opts[0].startswith("-") else [p.opts[0], "1"]  # an id, a name
    return args


#: the commands with an output --format (ingest's --format is the input's: checked below)
FORMAT_COMMANDS = [
    (n, c) for n, c in COMMANDS if n != "ingest" and any("--format" in p.opts for p in c.params)
]


def test_most_commands_have_an_output_format():
    assert len(FORMAT_COMMANDS) >= 10, [n for n, _ in FORMAT_COMMANDS]


@pytest.mark.parametrize("name,cmd", FORMAT_COMMANDS, ids=[n for n, _ in FORMAT_COMMANDS])
def test_format_help_names_exactly_the_formats_the_command_accepts(run, tmp_path, name, cmd):
    opt = next(p for p in cmd.params if "--format" in p.opts)
    named = set(re.findall(r"[a-z]+", opt.help or "")) & KNOWN_FORMATS
    db = ["--db", tmp_path / "no.db"] if any("--db" in p.opts for p in cmd.params) else []
    r = run(*name.split(), *_dummy_args(cmd), "--format", "bogus", *db)
    accepted = re.search(r"use one of ([\w, ]+)", r.err)
    assert r.code != 0 and accepted, r.err
    assert named == set(accepted.group(1).replace(",", " ").split()), opt.help


def test_ingest_format_help_names_every_input_format():
    from discourse.ingest import FORMATS

    (opt,) = [p for n, c in COMMANDS if n == "ingest" for p in c.params if "--format" in p.opts]
    assert set(re.findall(r"[a-z]+", opt.help)) & KNOWN_FORMATS == set(FORMATS)
