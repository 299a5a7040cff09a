"""corpus rm | set | rename-source: by id or selection, one transaction, cache kept true.

Every outlet and text here is invented for the tests.
"""

from __future__ import annotations

import sqlite3

import pytest

from discourse.commands import parse_assignments
from discourse.errors import InputError
from discourse.store import open_store

from .conftest import write

TEXTS = {
    "a": "Harbour talks resumed on Tuesday. The delegations met for three hours.",
    "b": "The river ferry will run again in May. Traders welcomed the news.",
    "c": "A new bridge opened in the valley. Residents crossed it on foot.",
}


@pytest.fixture
def store_db(run, tmp_path, db):
    write(tmp_path / "c" / "tribune" / "2026-11-01-a.txt", TEXTS["a"])
    write(tmp_path / "c" / "tribune" / "2026-11-02-b.txt", TEXTS["b"])
    write(tmp_path / "c" / "post" / "2026-11-03-c.txt", TEXTS["c"])
    write(tmp_path / "c" / "post" / "2026-11-04-a.txt", TEXTS["a"])  # same text, other outlet
    assert run("ingest", tmp_path / "c", "--db", db, "-q").code == 0
    assert run("score", "--db", db, "-f", "csv", "--workers", "1").code == 0  # fills the cache
    return db


def table(db: str, sql: str) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def ids_of(db: str, source: str) -> list[int]:
    return [r[0] for r in table(db, f"SELECT id FROM articles WHERE source = '{source}'")]


def test_rm_by_id_removes_the_article_and_its_cached_scores(run, store_db):
    (aid, _) = ids_of(store_db, "tribune")
    assert table(store_db, f"SELECT count(*) FROM score_cache WHERE article_id = {aid}")[0][0] > 0
    r = run("corpus", "rm", aid, "--db", store_db)
    assert r.code == 0 and "removed 1 article" in r.err
    assert aid not in ids_of(store_db, "tribune")
    assert table(store_db, f"SELECT count(*) FROM score_cache WHERE article_id = {aid}") == [(0,)]
    assert table(store_db, "SELECT count(*) FROM articles") == [(3,)]


def test_rm_of_several_needs_yes_and_lists_them(run, store_db):
    r = run("corpus", "rm", "--source", "tribune", "--db", store_db)
    assert r.code == 0 and "dry run" in r.err and "--yes" in r.err
    assert r.out.count("tribune") == 2  # the two articles are listed
    assert len(ids_of(store_db, "tribune")) == 2  # nothing removed
    r = run("corpus", "rm", "--source", "tribune", "--since", "2026-11-02", "--db", store_db)
    assert "removed 1 article" in r.err  # one article: no --yes needed
    r = run("corpus", "rm", "--source", "tribune", "--yes", "--db", store_db)
    assert "removed 1 article" in r.err and ids_of(store_db, "tribune") == []


def test_rm_dry_run_and_refusals(run, store_db):
    (aid, _) = ids_of(store_db, "tribune")
    r = run("corpus", "rm", aid, "--dry-run", "--db", store_db)
    assert "dry run" in r.err and aid in ids_of(store_db, "tribune")
    r = run("corpus", "rm", "--db", store_db)
    assert r.code == 1 and "give IDs, or a selection" in r.err and "--source" in r.err
    r = run("corpus", "rm", "999", "--db", store_db)
    assert r.code == 1 and "no article with id 999" in r.err
    r = run("corpus", "rm", "--source", "nosuch", "--yes", "--db", store_db)
    assert r.code == 1 and "unknown source 'nosuch'" in r.err


def test_set_updates_fields_and_drops_cached_scores(run, store_db):
    (aid, other) = ids_of(store_db, "tribune")
    r = run("corpus", "set", aid, "date=2026-12-24", "title=Fixed", "url=https://t.example/a",
            "meta.country=FR", "--db", store_db)  # fmt: skip
    assert r.code == 0, r.err
    with open_store(store_db) as s:
        art = s.get(aid)
        assert (art.date, art.title, art.url, art.meta) == (
            "2026-12-24",
            "Fixed",
            "https://t.example/a",
            {"country": "FR"},
        )
        assert s.get(other).title == ""  # only the named article changed
    assert table(store_db, f"SELECT count(*) FROM score_cache WHERE article_id = {aid}") == [(0,)]
    assert table(store_db, f"SELECT count(*) FROM score_cache WHERE article_id = {other}")[0][0] > 0
    run("corpus", "set", aid, "date=", "meta.country=", "--db", store_db)
    with open_store(store_db) as s:
        assert (s.get(aid).date, s.get(aid).meta) == (None, {})


def test_set_by_selection_needs_yes(run, store_db):
    r = run("corpus", "set", "--source", "tribune", "meta.region=north", "--db", store_db)
    assert "dry run" in r.err
    r = run("corpus", "set", "--source", "tribune", "meta.region=north", "-y", "--db", store_db)
    assert "on 2 articles" in r.err
    got = table(store_db, "SELECT source, json_extract(meta, '$.region') FROM articles")
    assert sorted(got) == [
        ("post", None),
        ("post", None),
        ("tribune", "north"),
        ("tribune", "north"),
    ]


def test_set_refuses_bad_values():
    with pytest.raises(InputError, match="is not a date"):
        parse_assignments(["1", "date=2026-13-45"])
    with pytest.raises(InputError, match="cannot set 'text'"):
        parse_assignments(["1", "text=x"])
    with pytest.raises(InputError, match="source= is empty"):
        parse_assignments(["1", "source="])
    with pytest.raises(InputError, match="neither an article id"):
        parse_assignments(["one", "title=x"])
    assert parse_assignments(["3", "title=a=b"]) == ([3], {"title": "a=b"})


def test_rename_source_merges_texts_the_new_name_holds(run, store_db):
    r = run("corpus", "rename-source", "tribune", "post", "--db", store_db)
    assert r.code == 0, r.err
    assert "on 1 article" in r.err and "1 article merged" in r.err
    assert ids_of(store_db, "tribune") == []
    got = sorted(t for (t,) in table(store_db, "SELECT text FROM articles WHERE source='post'"))
    assert got == sorted([TEXTS["a"], TEXTS["b"], TEXTS["c"]])  # text a once, not twice
    orphans = "SELECT count(*) FROM score_cache WHERE article_id NOT IN (SELECT id FROM articles)"
    assert table(store_db, orphans) == [(0,)]


def test_rename_source_unknown_and_dry_run(run, store_db):
    r = run("corpus", "rename-source", "nosuch", "x", "--db", store_db)
    assert r.code == 1 and "unknown source 'nosuch'" in r.err
    r = run("corpus", "rename-source", "tribune", "Tribune", "--dry-run", "--db", store_db)
    assert "dry run" in r.err and len(ids_of(store_db, "tribune")) == 2


def test_an_edit_is_one_transaction(store_db, monkeypatch):
    """A failure half-way through an update leaves every article as it was."""
    from discourse import store as store_mod

    ids = ids_of(store_db, "tribune")
    calls = {"n": 0}
    real = store_mod.Store._update_one

    def failing(self, aid, plain, meta):
        calls["n"] += 1
        if calls["n"] == 2:
            raise InputError("injected failure")
        return real(self, aid, plain, meta)

    monkeypatch.setattr(store_mod.Store, "_update_one", failing)
    with open_store(store_db) as s, pytest.raises(InputError):
        s.update(ids, {"title": "changed"})
    assert table(store_db, "SELECT DISTINCT title FROM articles") == [("",)]


def test_edits_wait_for_the_lock(run, store_db):
    from discourse.store import FileLock

    with FileLock(store_db, wait=0):
        r = run("corpus", "rm", "1", "--db", store_db)
    assert r.code == 3 and "--wait" in r.err
