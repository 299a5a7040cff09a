"""The real-text development set's rebuild-and-verify script (corpora/realdev/realdev.py).

The excerpts here are written for this test; the real set's text is never committed.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def realdev():
    spec = importlib.util.spec_from_file_location("realdev", ROOT / "corpora/realdev/realdev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXCERPTS = {
    "western-01": (
        "Two leaders met in a northern capital on Monday.\n"
        "Officials said the talks covered energy and a new rail bridge across the river.\n"
        "Share this post\n"
        "Analysts in the region said the meeting showed how far the two governments had come."
    ),
    "blog-01": (
        "A small blog post about summits, written for a test of this project.\n"
        "The author argues that every summit looks alike from afar, and this one did too.\n"
        "It ends in the middle of a sentence that goes on and on for a"
    ),
}


def _collect(base: Path) -> None:
    folder = base / "text" / "collected"
    folder.mkdir(parents=True)
    for eid, text in EXCERPTS.items():
        (folder / f"{eid}.txt").write_text(text + "\n", encoding="utf-8")
        group = eid.rsplit("-", 1)[0]
        meta = {"id": eid, "url": f"https://example.org/{eid}", "site": "example.org",
                "group": group, "query": "test query", "rank": 1}  # fmt: skip
        with (folder / f"{group}.jsonl").open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(meta) + "\n")


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_build_commits_facts_not_text(realdev, tmp_path):
    _collect(tmp_path)
    realdev.build(tmp_path)
    sentences = _rows(tmp_path / "sentences.csv")
    excerpts = _rows(tmp_path / "excerpts.csv")
    committed = (tmp_path / "sentences.csv").read_text() + (tmp_path / "excerpts.csv").read_text()
    for text in EXCERPTS.values():
        for line in text.splitlines():
            assert line not in committed
    first = EXCERPTS["western-01"].splitlines()[0]
    row = next(r for r in sentences if r["sid"] == "western-01:0")
    assert row["sha1"] == hashlib.sha1(first.encode("utf-8")).hexdigest()
    assert (int(row["start"]), int(row["end"])) == (0, len(first))
    reasons = {r["sid"]: r["drop_reason"] for r in sentences}
    assert reasons["western-01:2"] == "short"
    assert reasons["blog-01:2"] == "truncated"
    assert reasons["western-01:3"] == ""
    assert {e["excerpt_id"]: int(e["n_kept"]) for e in excerpts} == {"blog-01": 2, "western-01": 3}


def test_verify_passes_on_the_same_text(realdev, tmp_path):
    _collect(tmp_path)
    realdev.build(tmp_path)
    texts, problems = realdev.verified_sentences(tmp_path)
    assert not any(problems.values())
    assert texts["blog-01:1"].startswith("The author argues")
    assert realdev.verify(tmp_path) == 0


def test_verify_catches_a_changed_sentence(realdev, tmp_path):
    _collect(tmp_path)
    realdev.build(tmp_path)
    path = tmp_path / "text" / "collected" / "western-01.txt"
    path.write_text(path.read_text().replace("new rail bridge", "new road bridge"))
    texts, problems = realdev.verified_sentences(tmp_path)
    assert problems["changed_sentence"] == ["western-01:1"]
    assert problems["changed_excerpt"] == ["western-01"]
    assert "western-01:0" in texts and "western-01:1" not in texts
    assert realdev.verify(tmp_path) == 1


def test_verify_reports_a_missing_excerpt(realdev, tmp_path):
    _collect(tmp_path)
    realdev.build(tmp_path)
    (tmp_path / "text" / "collected" / "blog-01.txt").unlink()
    _, problems = realdev.verified_sentences(tmp_path)
    assert problems["missing_excerpt"] == ["blog-01"]
    assert realdev.verify(tmp_path) == 1


def test_near_duplicates_found_by_shared_ngrams(realdev):
    a = "one two three four five six seven eight nine ten eleven twelve"
    assert realdev.near_duplicates({"x-01": a, "x-02": a + " thirteen"}) == [("x-01", "x-02", 1.0)]
    assert realdev.near_duplicates({"x-01": a, "x-02": "completely different words here"}) == []


def test_holdout_is_a_seeded_fifth_of_each_group(realdev):
    ids = [f"western-{i:02d}" for i in range(10)] + [f"blog-{i:02d}" for i in range(5)]
    held = realdev.holdout(ids)
    assert held == realdev.holdout(list(reversed(ids)))
    assert sum(h.startswith("western") for h in held) == 2
    assert sum(h.startswith("blog") for h in held) == 1
