"""errors: library messages name parameters (in backticks); the CLI shows them as flags.

A Python caller reads ``\\`method\\` 'vote' is not known``; the command line reads
``--method 'vote' is not known`` (``cli.flag_names``, the one place that maps
parameter names to flags).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from discourse.cli import FLAGS, flag_names
from discourse.errors import DiscourseError, InputError, LexiconError, LockError, StoreError

from .conftest import DEMO

PACKAGE = Path(__file__).resolve().parent.parent / "discourse"

#: Modules that speak to the command line's user directly, so may name flags.
CLI_SIDE = {"cli.py", "render.py", "terminal.py"}

#: Messages that are not exceptions for a Python caller but data of a report (a feed's
#: failure reason in ``fetch``'s output), with the flag they name.
REPORT_DATA = {("http/client.py", "--allow-private")}

_FLAG = re.compile(r"--[a-z]")
# a whole command line quoted as advice ('discourse label --validation N') may name flags
_COMMAND = re.compile(r"'discourse [^']*'|\(discourse [^)]*\)")


def _raised_texts(path: Path) -> list[tuple[int, str]]:
    """The literal text of every ``raise X(...)`` and ``warn(...)`` call in a module."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        call = node.exc if isinstance(node, ast.Raise) else node
        if not isinstance(call, ast.Call):
            continue
        name = getattr(call.func, "id", getattr(call.func, "attr", ""))
        if not (isinstance(node, ast.Raise) or name == "warn"):
            continue
        parts = [
            n.value
            for arg in call.args
            for n in ast.walk(arg)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
        ]
        out.append((call.lineno, "".join(parts)))
    return out


def test_library_messages_name_no_flags():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel in CLI_SIDE:
            continue
        for line, text in _raised_texts(path):
            for flag in re.findall(r"--[a-z][a-z-]*", _COMMAND.sub("", text)):
                if (rel, flag) not in REPORT_DATA:
                    found.append(f"discourse/{rel}:{line}: {flag}")
    assert not found, "name the parameter in backticks instead of the flag:\n" + "\n".join(found)


def test_flag_names_maps_every_parameter_to_its_flag():
    assert flag_names("`min_count` 0 must be at least 1") == "--min-count 0 must be at least 1"
    assert flag_names("`n_boot` 5; `fmt` 'x'") == "--boot 5; --format 'x'"
    assert flag_names("no backticks --here") == "no backticks --here"
    assert all(v.startswith("--") for v in FLAGS.values())


def _library_errors():
    """(callable raising a DiscourseError, the parameter its message must name)."""
    from discourse import api, stats
    from discourse.classifier import recipe_params
    from discourse.ingest import IngestOptions, ingest
    from discourse.scoring import check_method
    from discourse.store import open_store, set_lock_wait

    def bad_format(tmp):
        with open_store(None) as store:
            ingest(store, [DEMO], IngestOptions(fmt="xml"), warn=lambda m: None)

    return [
        (lambda tmp: check_method("vote", False), "method"),
        (lambda tmp: check_method("classifier", False), "model"),
        (lambda tmp: recipe_params(context=-1), "context"),
        (lambda tmp: set_lock_wait(-1), "wait"),
        (lambda tmp: open_store(tmp), "db"),  # a folder
        (lambda tmp: stats.check_n_boot(5), "n_boot"),
        (lambda tmp: api.parse_by("week"), "by"),
        (bad_format, "fmt"),
    ]


@pytest.mark.parametrize("call, param", _library_errors(), ids=[p for _, p in _library_errors()])
def test_library_error_names_the_parameter(call, param, tmp_path):
    with pytest.raises(DiscourseError) as exc:
        call(tmp_path)
    text = str(exc.value)
    assert "--" not in text and f"`{param}`" in text
    flag = FLAGS.get(param, "--" + param.replace("_", "-"))
    assert flag in flag_names(text) and "`" not in flag_names(text)


@pytest.mark.parametrize(
    "args, line",
    [
        (["score", DEMO, "--method", "vote"], "discourse: error: --method 'vote' is not known"),
        (["train", "--from-lexicon", DEMO, "--context", "-1"], "--context -1.0 is out of range"),
        (["compare", DEMO, "--boot", "5"], "--boot 5 is too few resamples"),
        (["ingest", DEMO, "--format", "xml", "--db", "{tmp}/s.db"], "--format 'xml'"),
        (["compare", "--db", "{tmp}"], "discourse: error: --db "),
    ],
    ids=lambda x: x[0] if isinstance(x, list) else None,
)
def test_cli_line_names_the_flag(run, tmp_path, args, line):
    r = run(*[str(a).replace("{tmp}", str(tmp_path)) for a in args])
    assert r.code == 1 and line in r.err and "`" not in r.err
    assert r.err.count("\n") == 1  # one line


def test_error_classes_carry_their_exit_codes():
    assert DiscourseError("x").exit_code == 1
    assert all(issubclass(c, DiscourseError) for c in (InputError, LexiconError, StoreError))
    assert LockError("x").exit_code == 3
