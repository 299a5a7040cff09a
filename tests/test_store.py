"""store: a file that is not a store is refused and left alone; selections count right."""

from __future__ import annotations

import pytest

from discourse.errors import StoreError
from discourse.ingest import ingest
from discourse.store import Selection, open_store

from .conftest import DEMO


def test_a_file_that_is_not_a_store_is_refused_and_left_alone(tmp_path):
    notes = tmp_path / "notes.db"
    notes.write_text("my notes", encoding="utf-8")
    with pytest.raises(StoreError, match="not a discourse store"):
        open_store(str(notes), create=False)
    assert notes.read_text(encoding="utf-8") == "my notes"


def test_missing_store_is_not_created_without_create(tmp_path):
    with pytest.raises(StoreError):
        open_store(str(tmp_path / "none.db"), create=False)
    assert not (tmp_path / "none.db").exists()


def test_selection_counts_match_the_articles_it_yields(tmp_path):
    with open_store(str(tmp_path / "s.db")) as store:
        ingest(store, [DEMO], warn=lambda m: None)
        for sel in (
            Selection(),
            Selection(sources=["Harmony Daily"]),
            Selection(since="2026-10-01", until="2026-10-31"),
        ):
            arts = list(store.iter_articles(sel))
            assert store.count(sel) == len(arts) > 0
            assert all(sel.since is None or a.day >= sel.since for a in arts)
            assert all(sel.until is None or a.day <= sel.until for a in arts)
            assert all(sel.sources is None or a.source in sel.sources for a in arts)


def test_keyness_cache_keeps_the_latest_selections_only(tmp_path):
    """A weekly cron report writes one keyness cache key a week: old ones are dropped."""
    from discourse.store import KEYNESS_CACHE_KEYS

    with open_store(tmp_path / "k.db") as store:
        for week in range(KEYNESS_CACHE_KEYS + 3):
            store.put_keyness(f"week{week}", [("A", week, "fp", {"trust": week})])
        store.put_keyness("week0", [("A", 99, "fp", {"trust": 1})])  # rewritten: the latest
        kept = [f"week{w}" for w in range(KEYNESS_CACHE_KEYS + 3)]
        kept = ["week0", *kept[-(KEYNESS_CACHE_KEYS - 1) :]]
        for key in kept:
            assert store.keyness_cached(key)
        for week in range(1, 4):
            assert store.keyness_cached(f"week{week}") == {}
        assert store.keyness_cached("week0") == {"A": (99, "fp", {"trust": 1})}
