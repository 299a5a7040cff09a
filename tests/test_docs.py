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
