"""Ingest: every bad input is a clear one-line error or a counted skip; nothing stored is lost."""

from __future__ import annotations

import json
import sqlite3

import pytest

from discourse.ingest import IngestOptions, ingest
from discourse.store import SCHEMA_VERSION, open_store

from .conftest import write

ARTICLE = """---
title: "Talks in Moscow"
date: 2026-08-04
url: https://example-daily.example/a
source: Example Daily
---
The two ministers met in Moscow. They praised mutual trust.
"""


def do(paths, **kw):
    warnings = []
    store = open_store(":memory:")
    report = ingest(store, paths, IngestOptions(**kw), warn=warnings.append)
    return store, report, warnings


def test_front_matter_and_folder_source(tmp_path):
    write(tmp_path / "corpus" / "daily" / "a.md", ARTICLE)
    write(tmp_path / "corpus" / "wire" / "b.txt", "Plain text from the wire. Second sentence.")
    write(tmp_path / "corpus" / "README.md", "Not an article.")
    store, report, _ = do([tmp_path / "corpus"])
    assert (report.added, report.duplicates, len(report.skipped)) == (2, 0, 0)
    arts = {a.source: a for a in store.iter_articles()}
    assert set(arts) == {"Example Daily", "wire"}  # front matter beats the folder
    a = arts["Example Daily"]
    assert (a.title, a.date, a.url) == (
        "Talks in Moscow",
        "2026-08-04",
        "https://example-daily.example/a",
    )
    assert a.text.startswith("The two ministers")


def test_source_option_overrides_everything(tmp_path):
    write(tmp_path / "daily" / "a.md", ARTICLE)
    store, _, _ = do([tmp_path / "daily"], source="Mine")
    assert store.sources() == ["Mine"]


def test_discourseignore(tmp_path):
    write(tmp_path / "c" / "s" / "a.txt", "An article. With two sentences.")
    write(tmp_path / "c" / "labels.csv", "text\nnot an article\n")
    write(tmp_path / "c" / ".discourseignore", "# comment\nlabels.csv\n")
    _, report, _ = do([tmp_path / "c"])
    assert (report.added, report.files, len(report.skipped)) == (1, 1, 0)


def test_empty_file_is_skipped_and_counted(tmp_path):
    p = write(tmp_path / "s" / "empty.txt", "")
    write(tmp_path / "s" / "ok.txt", "Some text here.")
    _, report, warnings = do([tmp_path / "s"])
    assert report.added == 1
    assert [(s.origin, s.reason) for s in report.skipped] == [(str(p), "empty file")]
    assert "skipped 1 (empty file: 1)" in report.summary()


def test_binary_file_named_txt_is_skipped(tmp_path):
    p = write(
        tmp_path / "s" / "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    )
    _, report, _ = do([p])
    assert report.added == 0
    assert report.skipped[0].reason.startswith("binary file")


def test_cp1252_file_is_read_with_a_warning(tmp_path):
    p = write(tmp_path / "s" / "old.txt", "The minister’s “win–win” café remarks.".encode("cp1252"))
    store, report, warnings = do([p])
    assert report.added == 1
    assert next(store.iter_articles()).text == "The minister’s “win–win” café remarks."
    assert any("Windows-1252" in w for w in warnings)


def test_utf8_bom_is_removed(tmp_path):
    p = write(tmp_path / "s" / "bom.md", b"\xef\xbb\xbf" + ARTICLE.encode())
    store, report, _ = do([p])
    assert report.added == 1
    a = next(store.iter_articles())
    assert a.title == "Talks in Moscow"  # front matter recognised after the BOM
    assert "\ufeff" not in a.text


def test_unclosed_front_matter_is_skipped(tmp_path):
    p = write(tmp_path / "s" / "open.md", "---\ntitle: x\nThe text never closes the header.\n")
    _, report, _ = do([p])
    assert report.added == 0
    assert "front matter not closed" in report.skipped[0].reason


def test_bad_date_is_a_warning_not_a_crash(tmp_path):
    p = write(tmp_path / "s" / "a.md", ARTICLE.replace("2026-08-04", "next Tuesday"))
    store, report, warnings = do([p])
    assert report.added == 1 and report.undated == 1
    assert next(store.iter_articles()).date is None
    assert any("unreadable date 'next Tuesday'" in w for w in warnings)


def test_jsonl_broken_line_among_good_ones(tmp_path):
    lines = [
        json.dumps({"text": "First article text.", "source": "A", "date": "2026-08-01"}),
        '{"text": "broken',
        json.dumps({"text": "Third article text.", "source": "B"}),
        json.dumps({"body": "no text field"}),
    ]
    p = write(tmp_path / "a.jsonl", "\n".join(lines) + "\n")
    store, report, _ = do([p])
    assert report.added == 2
    assert sorted(a.text for a in store.iter_articles()) == [
        "First article text.",
        "Third article text.",
    ]
    origins = [s.origin for s in report.skipped]
    assert origins == [f"{p}:2", f"{p}:4"]
    assert report.skipped[0].reason.startswith("invalid JSON")
    assert "--text-col" in report.skipped[1].reason


def test_jsonl_column_mapping(tmp_path):
    p = write(
        tmp_path / "a.jsonl",
        json.dumps({"body": "Mapped text.", "outlet": "X", "published": "2026-08-02T10:00:00Z"})
        + "\n",
    )
    store, report, _ = do([p], text_col="body", source_col="outlet", date_col="published")
    a = next(store.iter_articles())
    assert (a.text, a.source, a.date) == ("Mapped text.", "X", "2026-08-02T10:00:00+00:00")


def test_csv_missing_text_column(tmp_path):
    p = write(tmp_path / "a.csv", "title,body\nA,Some text\n")
    _, report, _ = do([p])
    assert report.added == 0
    assert report.skipped[0].reason.startswith("no column 'text' (columns: title, body)")


def test_csv_rows(tmp_path):
    p = write(
        tmp_path / "a.csv",
        'text,source,date\n"One, with comma.",A,2026-08-01\n,B,\n"Two.",B,2026-08-02\n',
    )
    store, report, _ = do([p])
    assert report.added == 2
    assert [s.origin for s in report.skipped] == [f"{p}:3"]


def test_same_article_twice_adds_nothing(tmp_path, db):
    write(tmp_path / "c" / "daily" / "a.md", ARTICLE)
    with open_store(db) as store:
        r1 = ingest(store, [tmp_path / "c"], warn=lambda m: None)
        r2 = ingest(store, [tmp_path / "c"], warn=lambda m: None)
        assert (r1.added, r2.added, r2.duplicates) == (1, 0, 1)
        assert store.count() == 1


def test_whitespace_and_case_variants_are_duplicates(tmp_path):
    write(tmp_path / "s" / "a.txt", "The Talks  ended.\n")
    write(tmp_path / "s" / "b.txt", "the talks ended.")
    _, report, _ = do([tmp_path / "s"])
    assert (report.added, report.duplicates) == (1, 1)


def test_same_text_in_two_outlets_is_two_articles(tmp_path):
    write(tmp_path / "c" / "one" / "a.txt", "Wire story text.")
    write(tmp_path / "c" / "two" / "a.txt", "Wire story text.")
    _, report, _ = do([tmp_path / "c"])
    assert report.added == 2


def test_missing_path_is_an_error(run, tmp_path, db):
    r = run("ingest", tmp_path / "nope", "--db", db)
    assert r.code == 1
    assert r.err == f"discourse: error: no such file or folder: {tmp_path / 'nope'}\n"


def test_cli_summary_and_exit_codes(run, tmp_path, db):
    write(tmp_path / "c" / "daily" / "a.md", ARTICLE)
    write(tmp_path / "c" / "daily" / "empty.txt", "")
    r = run("ingest", tmp_path / "c", "--db", db)
    assert r.code == 0
    assert "added 1, duplicates 0, skipped 1 (empty file: 1)" in r.err
    assert f"{tmp_path / 'c' / 'daily' / 'empty.txt'}: skipped: empty file" in r.err
    assert r.out == ""
    r = run("ingest", tmp_path / "c", "--db", db)
    assert r.code == 0 and "added 0, duplicates 1" in r.err
    bad = write(tmp_path / "bad" / "x.txt", "")
    r = run("ingest", bad, "--db", db)
    assert r.code == 1  # nothing at all could be read


def test_db_that_is_not_a_database_is_left_untouched(run, tmp_path):
    p = write(tmp_path / "notes.db", "my precious notes\n" * 10)
    before = p.read_bytes()
    write(tmp_path / "c" / "s" / "a.txt", "Text.")
    r = run("ingest", tmp_path / "c", "--db", p)
    assert r.code == 1
    assert r.err.startswith(f"discourse: error: --db {p} is not a discourse store")
    assert r.err.count("\n") == 1
    assert p.read_bytes() == before


def test_foreign_sqlite_database_is_refused(run, tmp_path):
    p = tmp_path / "other.db"
    con = sqlite3.connect(p)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    r = run("corpus", "stats", "--db", p)
    assert r.code == 1 and "not a discourse store" in r.err


def test_schema_version_is_recorded(db):
    open_store(db).close()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    con.close()


def test_missing_store_for_reading(run, tmp_path):
    r = run("compare", "--db", tmp_path / "none.db")
    assert r.code == 1 and "no store at" in r.err
    assert not (tmp_path / "none.db").exists()


def test_failed_batch_leaves_earlier_batches(tmp_path, db):
    """One transaction per batch: a crash mid-way keeps what was committed before."""
    from discourse.models import Article

    def gen():
        for i in range(5):
            yield Article(text=f"Article number {i}.", source="s")
        raise RuntimeError("disk on fire")

    with open_store(db) as store:
        with pytest.raises(RuntimeError):
            store.add_articles(gen(), batch_size=2)
        assert store.count() == 4  # two full batches committed, the third rolled back


def test_env_var_names_the_store(run, tmp_path, monkeypatch):
    write(tmp_path / "c" / "s" / "a.txt", "Text one.")
    monkeypatch.setenv("DISCOURSE_DB", str(tmp_path / "env.db"))
    from discourse.cli import main

    assert main(["ingest", str(tmp_path / "c"), "-q"]) == 0
    assert (tmp_path / "env.db").exists()
