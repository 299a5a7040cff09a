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
