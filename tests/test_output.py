"""Output and interop (issue 13): TSV, lexicon export, kwic globs, keyness measures,
--frames, tables that fit the terminal, and the chart's intervals."""

from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import DEMO

# ---------------------------------------------------------------------- TSV


def _rows(text: str, delimiter: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


@pytest.mark.parametrize(
    "args",
    [
        ("score", DEMO / "harmony-daily"),
        ("corpus", "list", "--limit", "5"),
        ("compare", DEMO / "meridian-wire", "--boot", "100"),
    ],
)
def test_tsv_equals_csv_cell_for_cell(run, db, args):
    assert run("ingest", DEMO, "--db", db, "-q").code == 0
    extra = ("--db", db) if args[0] == "corpus" else ()
    as_csv = run(*args, *extra, "--format", "csv")
    as_tsv = run(*args, *extra, "--format", "tsv")
    assert as_csv.code == as_tsv.code == 0, as_tsv.err
    assert "\t" in as_tsv.out.splitlines()[0] and "," not in as_tsv.out.splitlines()[0]
    assert _rows(as_tsv.out, "\t") == _rows(as_csv.out, ",")
    assert len(_rows(as_tsv.out, "\t")) > 0


def test_corpus_export_tsv_keeps_text_with_tabs_and_newlines(run, db, tmp_path):
    src = tmp_path / "in" / "Tab Times"
    src.mkdir(parents=True)
    (src / "a.txt").write_text("First\tline with a tab.\n\nSecond paragraph.", encoding="utf-8")
    assert run("ingest", tmp_path / "in", "--db", db, "-q").code == 0
    out = tmp_path / "articles.tsv"
    res = run("corpus", "export", "--db", db, "--format", "tsv", "-o", out)
    assert res.code == 0, res.err
    rows = _rows(out.read_text(encoding="utf-8"), "\t")
    assert len(rows) == 1
    assert rows[0]["source"] == "Tab Times"
    assert rows[0]["text"] == "First\tline with a tab.\n\nSecond paragraph."


def test_corpus_export_tsv_header_only_when_empty(run, db):
    assert run("ingest", DEMO, "--db", db, "-q").code == 0
    res = run("corpus", "export", "--db", db, "--format", "tsv", "--since", "2099-01-01")
    assert res.code == 0, res.err
    assert res.out.startswith("id\tsource\ttitle\t")
    assert len(res.out.splitlines()) == 1
