"""Terminal injection (issue 10, item 9): data never reaches a terminal as control codes.

Titles, sources, article text, file names and terms may hold ANSI escapes, C0/C1 controls,
bidi overrides and line breaks. On table/Markdown output and on stderr they are shown
escaped (``\\x1b``, ``\\u202e``), so no data can clear the screen, retitle the window,
reorder a line or start a forged ``warning:`` line; CSV and JSON keep the data as it is.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from .conftest import write

EVIL_SOURCE = "Evil\x1b[2J\u202eOutlet"
EVIL_TITLE = "T\nwarning: forged title\x1b]0;pwn\x07"
EVIL_TEXT = (
    "The sides pledged win-win cooperation \x1b[31m and mutual trust \u2066 today. "
    "Second \x9b sentence here."
)
HOSTILE = set("\x1b\x07\x9b\u202e\u2066\r")


def _clean(text: str) -> None:
    """No control character but line breaks, and no line that data could have started."""
    assert not HOSTILE & set(text), sorted(HOSTILE & set(text))
    assert all(ch == "\n" or ch.isprintable() for ch in text)
    assert not any(line.lstrip().startswith("warning: forged") for line in text.split("\n"))


@pytest.fixture
def hostile_db(tmp_path, run):
    recs = [
        {"source": EVIL_SOURCE, "title": EVIL_TITLE, "text": EVIL_TEXT, "date": "2026-01-05"},
        {
            "source": "Good",
            "title": "fine",
            "text": "A threat and win-win talk.",
            "date": "2026-01-06",
        },
    ]
    path = write(tmp_path / "a.jsonl", "".join(json.dumps(r) + "\n" for r in recs))
    db = str(tmp_path / "t.db")
    assert run("ingest", path, "--db", db).code == 0
    return db


@pytest.mark.parametrize(
    "args",
    [
        ["corpus", "list"],
        ["corpus", "list", "--format", "md"],
        ["corpus", "show", "1"],
        ["compare"],
        ["compare", "--format", "md"],
        ["score", "--explain"],
        ["score"],
        ["kwic", "win-win"],
        ["kwic", "win-win", "--format", "md"],
        ["keyness", "--source", EVIL_SOURCE, "--min-count", "1"],
        ["tokens", "1"],
    ],
)
def test_table_output_shows_control_characters_escaped(run, hostile_db, args):
    r = run(*args, "--db", hostile_db)
    assert r.code == 0, r.err
    _clean(r.out)
    _clean(r.err)
    if args[0] in ("corpus", "compare", "score", "kwic") and args[-1] != "md":
        assert "Evil\\x1b[2J\\u202e" in r.out  # visible, not dropped


def test_corpus_show_escapes_header_fields_but_keeps_the_text_lines(run, hostile_db):
    out = run("corpus", "show", "1", "--db", hostile_db).out
    assert "title:  T\\nwarning: forged title\\x1b]0;pwn\\x07\n" in out
    assert "cooperation \\x1b[31m and mutual trust \\u2066 today" in out


def test_data_formats_keep_the_data(run, hostile_db):
    rows = list(
        csv.DictReader(
            io.StringIO(run("corpus", "list", "--format", "csv", "--db", hostile_db).out)
        )
    )
    assert rows[0]["source"] == EVIL_SOURCE and rows[0]["title"] == EVIL_TITLE
    recs = json.loads(run("corpus", "list", "--format", "json", "--db", hostile_db).out)["records"]
    assert recs[0]["title"] == EVIL_TITLE
    art = json.loads(run("corpus", "show", "1", "--format", "json", "--db", hostile_db).out)
    assert art["text"] == EVIL_TEXT


def test_a_file_name_cannot_forge_a_warning_or_error_line(run, tmp_path):
    folder = tmp_path / "in"
    write(folder / "x\nwarning: forged\x1b[2K.txt", b"\x00\x01\x02binary\x00")
    r = run("ingest", folder, "--db", tmp_path / "t.db")
    _clean(r.err)
    r = run("ingest", tmp_path / "missing\nwarning: forged\u202e.txt", "--db", tmp_path / "t.db")
    assert r.code == 1
    _clean(r.err)
    assert r.err.count("\n") == 1 and r.err.startswith("discourse: error: ")


def test_usage_error_line_is_escaped(run):
    r = run("compare", "--by", "x\nwarning: forged\x1b[2J")
    assert r.code != 0
    _clean(r.err)


def test_color_highlight_survives_and_data_escapes_cannot_fake_it(run, hostile_db, monkeypatch):
    monkeypatch.setattr("discourse.cli._color", lambda: True)
    out = run("score", "--explain", "--db", hostile_db).out
    assert "\x1b[1;7mwin-win\x1b[0m" in out  # our own highlight is kept
    assert "\\x1b[31m" in out  # the data's escape is shown, not obeyed
    assert "\x1b[31m" not in out


def test_printable_and_terminal_text():
    from discourse.formats import printable, terminal_text

    assert printable("a\x1b[2Jb\u202ec\nd\x9b") == "a\\x1b[2Jb\\u202ec\\nd\\x9b"
    assert printable("plain café 中文 ✓") == "plain café 中文 ✓"
    assert terminal_text("line1\nline2\x1b[2J\u2067") == "line1\nline2\\x1b[2J\\u2067"
    assert terminal_text("a\x1b[1;7mhit\x1b[0m b") == "a\x1b[1;7mhit\x1b[0m b"
