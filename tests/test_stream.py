"""`score PATH...` streams its inputs: the store's articles, ids and rows, in input order."""

from __future__ import annotations

import csv
import io
import json
import random
import zlib

import pytest

from discourse.api import open_inputs
from discourse.errors import InputError
from discourse.ingest import IngestReport, read_paths, read_unit, read_units
from discourse.models import Skip
from discourse.store import Selection
from discourse.stream import Digests, stream_articles, survey

from .conftest import DEMO, write

TEXTS = [
    ("Alpha Post", "2026-03-02", "The two sides pledged mutual trust and win-win cooperation."),
    ("Beta Wire", "2026-01-15", "Sanctions and long-arm jurisdiction violated international law."),
    # the same text in another outlet is another article
    ("Alpha Post", "2026-02-01", "Sanctions and long-arm jurisdiction violated international law."),
    # a duplicate after normalization (case, spacing) in the same outlet
    ("Beta Wire", "2026-01-20", "SANCTIONS and long-arm jurisdiction\tviolated International law."),
    ("Gamma Daily", None, "The meeting lasted three hours and ended without a statement."),
    ("Beta Wire", "2026-04-09", "Bloc confrontation revived a Cold War mentality, he said."),
    ("Alpha Post", "2026-02-01", "The two sides pledged mutual trust and win-win cooperation."),
]


def _record(i, source, day, text, **meta):
    dated = {"date": day} if day else {}
    return {"text": text, "source": source, **dated, "title": f"T{i}"} | meta


@pytest.fixture
def jsonl(tmp_path):
    lines = [json.dumps(_record(i, *t)) for i, t in enumerate(TEXTS)]
    lines.insert(3, "{not json")  # a bad record: skipped with a warning naming its line
    return write(tmp_path / "in.jsonl", "\n".join(lines) + "\n")


@pytest.fixture
def big(tmp_path):
    """Enough records (in several files and formats) for the workers to start: the demo's
    texts in shuffled outlets, with duplicates, document variables and bad lines."""
    rng = random.Random(5)
    demo = [a for a in read_paths([DEMO], warn=lambda m: None) if not isinstance(a, Skip)]
    lines = []
    for i in range(260):
        text, day = (lambda a: (a.text, a.date))(rng.choice(demo))
        # duplicates carry the same variables (see test_a_duplicate_does_not_fill_the_first)
        meta = {"desk": ["world", "asia"][zlib.crc32(text.encode()) % 3]} if zlib.crc32(
            text.encode()
        ) % 3 < 2 else {}  # fmt: skip
        if i == 200:  # a document variable only a late record has
            text, meta["late"] = "A late record: the two sides pledged mutual trust.", 1
        lines.append(json.dumps(_record(i, f"S{i % 4}", day, text, **meta)))
    lines[40] = '{"text": ""}'
    lines[120] = "[1, 2]"
    write(tmp_path / "b" / "one.jsonl", "\n".join(lines[:150]) + "\n")
    write(tmp_path / "b" / "two.jsonl", "\n".join(lines[150:]) + "\n")
    return tmp_path / "b"


def _fields(arts):
    return [(a.id, a.source, a.date, a.title, a.text, a.origin, a.meta) for a in arts]


@pytest.mark.parametrize(
    "sel",
    [
        Selection(),
        Selection(sources=["Beta Wire"]),
        Selection(since="2026-02-01", until="2026-03-31"),
    ],
)
def test_stream_gives_the_store_articles_in_input_order(jsonl, sel):
    report = IngestReport()
    streamed = list(stream_articles([jsonl], sel, report))
    with open_inputs([jsonl], None) as inp:
        stored = list(inp.store.iter_articles(sel, order="id"))
        assert (report.added, report.duplicates) == (
            inp.ingest_report.added,
            inp.ingest_report.duplicates,
        )
    assert _fields(streamed) == _fields(stored) and streamed
    assert report.duplicates == 2 and len(report.skipped) == 1


def test_units_read_as_the_files(big, tmp_path):
    """Reading every unit gives what reading the files gives (and the same warnings)."""
    write(tmp_path / "b" / "x" / "note.md", "---\ntitle: A note\nregion: north\n---\nText.\n")
    write(tmp_path / "b" / "t.csv", "text,source,date,bloc\nSome text.,C,soon,east\n")
    write(tmp_path / "b" / "h.jsonl", '{bad\n{"text": "x", "published": "2026-01-01"}\n')
    direct, via = [], []
    warned_direct, warned_via = [], []
    for item in read_paths([big], warn=warned_direct.append):
        direct.append(item)
    for unit in read_units([big]):
        via.extend(read_unit(unit, _opts(), warned_via.append))
    assert via == direct and len(direct) == 264
    assert warned_via == warned_direct and len(warned_via) == 2
    assert "'published' looks like a date" in warned_via[0] and "'soon'" in warned_via[1]


def _opts():
    from discourse.ingest import IngestOptions

    return IngestOptions()


def test_survey_finds_the_keys_and_checks_up_front(big, tmp_path):
    assert survey([big], Selection()) == ["desk", "late"]
    assert survey([big], Selection(sources=["S1"])) == ["desk"]  # record 200 is in S0
    with pytest.raises(InputError, match="unknown source 'Nope'.*S0, S1, S2, S3"):
        survey([big], Selection(sources=["S1", "Nope"]))
    empty = write(tmp_path / "empty.jsonl", "{}\n")
    with pytest.raises(InputError, match="no articles could be read"):
        survey([empty], Selection())


def test_stream_errors_at_the_end(jsonl, tmp_path):
    arts = stream_articles([jsonl], Selection(sources=["Alpha Post", "Nope"]), IngestReport())
    with pytest.raises(InputError, match="unknown source 'Nope'.*Alpha Post, Beta Wire"):
        list(arts)
    empty = write(tmp_path / "empty.jsonl", "{}\n")
    with pytest.raises(InputError, match="no articles could be read"):
        list(stream_articles([empty], Selection(), IngestReport()))


def _rows(text, fmt="csv"):
    if fmt == "jsonl":
        return {r["id"]: r for r in map(json.loads, text.splitlines())}
    return {r["id"]: r for r in csv.DictReader(io.StringIO(text))}


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_score_paths_equals_score_db(run, db, jsonl, fmt):
    assert run("ingest", jsonl, "--db", db, "-q").code == 0
    from_db = run("score", "--db", db, "--format", fmt, "--workers", "1")
    for workers in ("1", "2"):
        streamed = run("score", jsonl, "--format", fmt, "--workers", workers)
        assert streamed.code == 0, streamed.err
        assert "in.jsonl:4" in streamed.err  # the bad record, named with its line
        assert _rows(streamed.out, fmt) == _rows(from_db.out, fmt)
        assert len(_rows(streamed.out, fmt)) == 5


CASES = [
    ("--format", "csv"),
    ("--format", "jsonl", "--by", "sentence", "-s", "S2"),
    ("--format", "tsv", "--explain", "--since", "2026-09-01"),
    ("--format", "json"),
    ("--format", "table", "-s", "S1"),
]


@pytest.mark.parametrize(
    "args",
    [pytest.param(a, marks=[pytest.mark.slow] if i else []) for i, a in enumerate(CASES)],
    ids=[" ".join(a) for a in CASES],
)  # all but the first are slow (CI runs them)
def test_two_workers_write_what_one_writes_and_the_store_would(run, db, big, args):
    one = run("score", big, *args, "--workers", "1")
    assert one.code == 0, one.err
    two = run("score", big, *args, "--workers", "2")
    assert two.code == 0, two.err
    assert two.out == one.out and two.err == one.err
    assert "one.jsonl:41: skipped: empty text" in one.err and "one.jsonl:121" in one.err
    assert run("ingest", big, "--db", db, "-q").code == 0
    stored = run("score", "--db", db, *args, "--workers", "1")
    if args[1] in ("csv", "tsv", "jsonl"):  # the same rows; the store's in date order
        fmt = "jsonl" if args[1] == "jsonl" else "csv"
        text = one.out.replace("\t", ",") if args[1] == "tsv" else one.out
        ref = stored.out.replace("\t", ",") if args[1] == "tsv" else stored.out
        if "sentence" in args:
            key = lambda r: (r["id"], r["sent_idx"])  # noqa: E731
            lines = [json.loads(x) for x in text.splitlines()]
            assert sorted(lines, key=key) == sorted(map(json.loads, ref.splitlines()), key=key)
        else:
            assert _rows(text, fmt) == _rows(ref, fmt) and _rows(text, fmt)
    elif args[1] == "json":
        recs = json.loads(one.out)["records"]
        assert sorted(recs, key=lambda r: r["id"]) == sorted(
            json.loads(stored.out)["records"], key=lambda r: r["id"]
        )
        assert [r["id"] for r in recs] == sorted(r["id"] for r in recs)
        assert {"meta.desk", "meta.late"} <= set(recs[0])
    else:
        assert sorted(one.out.splitlines()) == sorted(stored.out.splitlines())


def test_score_demo_rows_come_in_input_order(run):
    res = run("score", DEMO, "--format", "jsonl", "--workers", "1")
    ids = [json.loads(line)["id"] for line in res.out.splitlines()]
    assert ids == list(range(1, len(ids) + 1)) and len(ids) > 30


def test_score_paths_unknown_source_fails_before_any_row(run, jsonl):
    res = run("score", jsonl, "-s", "Alpha Post", "-s", "Nope", "--format", "csv")
    assert res.code == 1 and "unknown source 'Nope'" in res.err and res.out == ""


def test_digests_behave_as_a_set():
    rng = random.Random(3)
    seen, plain, order = Digests(batch=64), set(), [0]
    for _ in range(5000):
        d = rng.randrange(1 << 64) if rng.random() < 0.7 else rng.choice(order)
        assert (d in seen) == (d in plain)
        assert seen.add(d) == (d not in plain)
        plain.add(d)
        order.append(d)
    assert len(seen) == len(plain) and len(seen.arrays) == len(plain) // 64
    assert all(list(arr) == sorted(arr) and len(arr) == 64 for arr in seen.arrays)


def test_a_duplicate_does_not_fill_the_first(run, db, tmp_path):
    """The one difference from a store (documented): a later copy's fields do not fill
    the first copy's empty ones, as its row is written before the copy is read."""
    first = {"text": "Mutual trust grew.", "source": "A"}
    path = write(tmp_path / "d.jsonl", "\n".join(
        json.dumps(r) for r in (first, {**first, "title": "Later", "region": "north"})
    ) + "\n")  # fmt: skip
    streamed = _rows(run("score", path, "-f", "jsonl").out, "jsonl")
    assert run("ingest", path, "--db", db, "-q").code == 0
    stored = _rows(run("score", "--db", db, "-f", "jsonl").out, "jsonl")
    assert list(streamed) == list(stored) == [1]
    assert (streamed[1]["title"], streamed[1]["meta.region"]) == ("", None)
    assert (stored[1]["title"], stored[1]["meta.region"]) == ("Later", "north")


def test_a_file_read_twice_under_another_source_is_deduplicated_as_a_store_does(run, db, tmp_path):
    """The folder gives x.jsonl the source 'sub', the file named on its own 'deeper'."""
    lines = [{"text": "Mutual trust grew."}, {"text": "mutual  trust grew."}, {"text": "Other."}]
    write(tmp_path / "d/sub/deeper/x.jsonl", "".join(json.dumps(r) + "\n" for r in lines))
    paths = (tmp_path / "d", tmp_path / "d/sub/deeper/x.jsonl")
    streamed = run("score", *paths, "-f", "jsonl", "--workers", "1")
    assert streamed.code == 0, streamed.err
    assert "2 articles read again from the same file under another source" in streamed.err
    assert run("ingest", *paths, "--db", db, "-q").code == 0
    stored = run("score", "--db", db, "-f", "jsonl")
    rows = _rows(streamed.out, "jsonl")
    assert rows == _rows(stored.out, "jsonl")
    # lines 1 and 3 again are duplicates; line 2, a duplicate of line 1 the first time,
    # is new under 'deeper' (no article of 'deeper' has its text, none came from its line)
    assert [(i, r["source"], r["tokens"]) for i, r in rows.items()] == [
        (1, "sub", 3),
        (2, "sub", 1),
        (3, "deeper", 3),
    ]
