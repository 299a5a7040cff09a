"""Sources and dates at ingest: visible, mappable, and never silently doubled or lost.

Every outlet and text here is invented for the tests.
"""

from __future__ import annotations

import json

import pytest

from discourse.ingest import IngestOptions, ingest, load_source_map, similar_sources
from discourse.store import open_store

from .conftest import write
from .test_extract import lantern_page

TEXT_A = "Harbour talks resumed on Tuesday. The delegations met for three hours."
TEXT_B = "The river ferry will run again in May. Traders welcomed the news."
TEXT_C = "A new bridge opened in the valley. Residents crossed it on foot."


def do(store, paths, **kw):
    warnings: list[str] = []
    report = ingest(store, paths, IngestOptions(**kw), warn=warnings.append)
    return report, warnings


def rows(store):
    return sorted((a.source, a.date, a.text) for a in store.iter_articles())


def test_saved_pages_in_a_flat_folder_take_the_site_name(tmp_path):
    write(tmp_path / "saved-pages" / "harbour.html", lantern_page())
    store = open_store(":memory:")
    do(store, [tmp_path / "saved-pages"])
    (art,) = store.iter_articles()
    assert art.source == "The Lantern Gazette"


def test_saved_page_without_site_name_in_a_flat_folder_takes_the_folder(tmp_path):
    write(tmp_path / "saved-pages" / "nosite.html", lantern_page(site=None, canonical=None))
    store = open_store(":memory:")
    do(store, [tmp_path / "saved-pages"])
    (art,) = store.iter_articles()
    assert art.source == "saved-pages"  # not 'unknown'


def test_saved_page_in_an_outlet_folder_keeps_the_folder(tmp_path):
    write(tmp_path / "pages" / "lantern" / "harbour.html", lantern_page())
    store = open_store(":memory:")
    do(store, [tmp_path / "pages"])
    assert [a.source for a in store.iter_articles()] == ["lantern"]


def test_near_identical_source_names_are_warned_about_with_the_store(tmp_path):
    write(tmp_path / "c" / "mountain-tribune" / "a.txt", TEXT_A)
    write(tmp_path / "c" / "mountain-tribune" / "b.txt", TEXT_B)
    write(tmp_path / "more.csv", f'source,text\nMountain Tribune,"{TEXT_C}"\n')
    store = open_store(":memory:")
    _, first = do(store, [tmp_path / "c"])
    assert not [w for w in first if "differ only" in w]
    _, second = do(store, [tmp_path / "more.csv"])  # checked against what is stored
    (msg,) = [w for w in second if "differ only" in w]
    assert "'mountain-tribune' (2 articles)" in msg and "'Mountain Tribune' (1 article)" in msg
    assert "rename-source 'Mountain Tribune' 'mountain-tribune'" in msg


def test_similar_sources_groups_case_punctuation_and_space_variants():
    counts = {"Mountain Tribune": 3, "mountain_tribune": 1, "MOUNTAIN  TRIBUNE.": 1, "Other": 4}
    (msg,) = similar_sources(counts, ["Other", "mountain_tribune"])
    assert msg.count("'") == 10  # three names quoted in the list, two in the command
    assert similar_sources(counts, ["Other"]) == []


def test_source_map_csv_and_yaml(tmp_path):
    write(tmp_path / "c" / "mountain-tribune" / "a.txt", TEXT_A)
    write(tmp_path / "c" / "valley" / "b.txt", TEXT_B)
    csv_map = write(tmp_path / "map.csv", "from,to\nmountain-tribune,Mountain Tribune\n")
    yaml_map = write(tmp_path / "map.yaml", "valley: Valley Post\n")
    assert load_source_map(yaml_map) == {"valley": "Valley Post"}
    store = open_store(":memory:")
    do(store, [tmp_path / "c"], source_map=csv_map)
    assert sorted(store.sources()) == ["Mountain Tribune", "valley"]
    store = open_store(":memory:")
    do(store, [tmp_path / "c"], source_map=yaml_map)
    assert sorted(store.sources()) == ["Valley Post", "mountain-tribune"]


def test_source_map_errors_are_one_line(run, tmp_path, db):
    write(tmp_path / "c" / "x" / "a.txt", TEXT_A)
    bad = write(tmp_path / "map.csv", "old,new\na,b\n")
    r = run("ingest", tmp_path / "c", "--db", db, "--source-map", bad)
    assert r.code == 1 and "from,to" in r.err and len(r.err.strip().splitlines()) == 1


def test_file_name_date_when_there_is_no_front_matter_date(tmp_path):
    write(tmp_path / "c" / "s" / "2026-11-03-un-talks.txt", TEXT_A)
    write(tmp_path / "c" / "s" / "2026-11-04-dated.md", f"---\ndate: 2026-10-01\n---\n{TEXT_B}")
    write(tmp_path / "c" / "s" / "2026-13-40-not-a-date.txt", TEXT_C)
    store = open_store(":memory:")
    do(store, [tmp_path / "c"])
    dates = {a.text: a.date for a in store.iter_articles()}
    assert dates == {TEXT_A: "2026-11-03", TEXT_B: "2026-10-01", TEXT_C: None}


def test_missing_date_column_gets_a_hint(tmp_path):
    write(tmp_path / "e.csv", f'source,published,text\nS,2026-11-03,"{TEXT_A}"\n')
    write(tmp_path / "e.jsonl", json.dumps({"text": TEXT_B, "pubDate": "2026-11-04"}) + "\n")
    store = open_store(":memory:")
    _, warnings = do(store, [tmp_path / "e.csv", tmp_path / "e.jsonl"])
    hints = [w for w in warnings if "`date_col`" in w]
    assert len(hints) == 2
    assert "`date_col` published" in hints[0] and "`date_col` pubDate" in hints[1]
    store = open_store(":memory:")
    _, warnings = do(store, [tmp_path / "e.csv"], date_col="published")
    assert not [w for w in warnings if "`date_col`" in w]
    assert [a.date for a in store.iter_articles()] == ["2026-11-03"]


def test_reingest_with_source_does_not_store_a_second_copy(run, tmp_path, db):
    write(tmp_path / "c" / "mountain-tribune" / "a.txt", TEXT_A)
    write(tmp_path / "c" / "mountain-tribune" / "b.txt", TEXT_B)
    assert run("ingest", tmp_path / "c", "--db", db).code == 0
    r = run("ingest", tmp_path / "c", "--db", db, "--source", "Mountain Tribune")
    assert r.code == 0
    assert "added 0, duplicates 2" in r.err
    assert "rename-source 'mountain-tribune' 'Mountain Tribune'" in r.err
    with open_store(db) as store:
        assert store.count() == 2


def test_reingest_csv_with_date_col_fills_the_dates(run, tmp_path, db):
    csv = write(
        tmp_path / "export.csv",
        "source,title,published,text\n"
        f'S,One,2026-11-01,"{TEXT_A}"\nS,Two,2026-11-02,"{TEXT_B}"\nS,Three,,"{TEXT_C}"\n',
    )
    assert run("ingest", csv, "--db", db).code == 0
    r = run("ingest", csv, "--db", db, "--date-col", "published")
    assert r.code == 0
    assert "duplicates 3 (empty fields filled in: 2 date)" in r.err
    with open_store(db) as store:
        assert sorted((a.title, a.date) for a in store.iter_articles()) == [
            ("One", "2026-11-01"),
            ("Three", None),
            ("Two", "2026-11-02"),
        ]
    again = run("ingest", csv, "--db", db, "--date-col", "published")
    assert "filled" not in again.err  # nothing left to fill; stored values never overwritten


def test_reingest_with_date_col_moves_the_column_out_of_the_document_variables(tmp_path):
    csv = write(
        tmp_path / "a.csv",
        "source,published,country,text\n"
        f'S,2026-11-01,FR,"{TEXT_A}"\nS,2026-11-01T09:30:00,NO,"{TEXT_B}"\nS,soon,DE,"{TEXT_C}"\n',
    )
    store = open_store(":memory:")
    do(store, [csv])  # no --date-col: 'published' is a document variable
    assert all("published" in a.meta for a in store.iter_articles())
    report, _ = do(store, [csv], date_col="published")
    assert report.notes.filled == {"date": 2}  # the removal is not counted as a fill
    got = sorted((a.meta["country"], a.date, a.meta) for a in store.iter_articles())
    assert got == [
        ("DE", None, {"country": "DE", "published": "soon"}),  # no date: the value stays
        ("FR", "2026-11-01", {"country": "FR"}),
        ("NO", "2026-11-01T09:30:00", {"country": "NO"}),
    ]


@pytest.mark.parametrize(
    "text,says",
    [
        ("valley: [Valley Post, VP]\n", "'valley': the new name is a list"),
        ("valley:\n  name: Valley Post\n", "'valley': the new name is a mapping"),
        ("valley: 2026\n", "'valley': the new name is a number (2026)"),
        ("valley:\n", "'valley': the new name is empty"),
        ("valley: ''\n", "'valley': the new name is empty"),
        ("2026: Valley Post\n", "entry 1: the old name is a number (2026)"),
        ("ok: Fine\nNO: Norway Today\n", "entry 2: the old name is true/false"),
        ("- {from: valley, to: [a]}\n", "'valley': the new name is a list"),
    ],
)
def test_source_map_yaml_refuses_names_that_are_not_text(run, tmp_path, db, text, says):
    write(tmp_path / "c" / "valley" / "a.txt", TEXT_A)
    bad = write(tmp_path / "map.yaml", text)
    r = run("ingest", tmp_path / "c", "--db", db, "--source-map", bad)
    assert r.code == 1 and r.out == ""
    (line,) = r.err.strip().splitlines()
    assert says in line and "--source-map" in line and "quoting names" in line
    with pytest.raises(Exception, match="not a source name"):
        load_source_map(bad)
