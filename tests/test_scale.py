"""Scale: Parquet outputs and exports, scoring on a Dask cluster, incremental re-runs.

Parquet files are read back with pyarrow and compared with the JSON Lines output of
the same command; the Dask path runs on a LocalCluster of 2 (in-process) workers and
must give byte-identical output to the local path; the cached re-run of compare and
report on a store must score only the articles added since the last run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from discourse import scoring
from tests.conftest import DEMO, write

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pads = pytest.importorskip("pyarrow.dataset")


def _jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line]


RECORD_COMMANDS = {
    "score": ["score", DEMO],
    "score_sentence": ["score", DEMO, "--by", "sentence"],
    "compare": ["compare", DEMO, "--by", "source,month"],
    "compare_pairwise": ["compare", DEMO, "--pairwise"],
    "keyness": ["keyness", DEMO],
    "kwic": ["kwic", "frame:threat", DEMO],
    "trend": ["trend", DEMO, "--by", "month"],
    "lexicon_stats": ["lexicon", "stats", DEMO],
    "lexicon_suggest": ["lexicon", "suggest", DEMO, "--frame", "partnership"],
}


@pytest.mark.parametrize("name", sorted(RECORD_COMMANDS))
def test_parquet_output_holds_the_jsonl_records(run, tmp_path, name):
    args = RECORD_COMMANDS[name]
    lines = run(*args, "-f", "jsonl", "--workers", "1")
    assert lines.code == 0, lines.err
    expected = _jsonl(lines.out)
    assert len(expected) >= 5
    out = tmp_path / "out.parquet"
    r = run(*args, "-f", "parquet", "-o", out, "--workers", "1")
    assert r.code == 0, r.err
    assert r.out == ""
    table = pq.read_table(out)
    assert table.num_rows == len(expected)
    assert table.column_names == list(expected[0])
    assert table.to_pylist() == expected
    # numbers stay numbers (typed columns, not text)
    numeric = [f.name for f in table.schema if pa.types.is_integer(f.type)]
    assert numeric


def test_parquet_needs_an_output_file(run):
    r = run("compare", DEMO, "-f", "parquet")
    assert r.code == 1
    assert r.err.strip().splitlines() == [
        "discourse: error: --format parquet writes a binary file: add -o FILE.parquet"
    ]


def test_parquet_is_refused_where_no_records_are_written(run, tmp_path):
    r = run("tokens", str(DEMO / "harmony-daily" / "2026-08-04-china-russia-fm-talks-moscow.md"),
            "-f", "parquet")  # fmt: skip
    assert r.code in (1, 2)
    assert "parquet" in r.err


@pytest.mark.parametrize("cmd", [["keyness"], ["score", "--by", "sentence"], ["compare"]])
def test_output_file_gets_the_text_output(run, tmp_path, cmd):
    out = tmp_path / "sub" / "k.csv"
    printed = run(*cmd, DEMO, "-f", "csv", "--workers", "1")
    written = run(*cmd, DEMO, "-f", "csv", "-o", out, "--workers", "1")
    assert written.code == 0 and written.out == ""
    assert out.read_text(encoding="utf-8") == printed.out
    assert [p.name for p in out.parent.iterdir()] == ["k.csv"]  # no temporary file left


@pytest.fixture
def demo_db(run, tmp_path) -> str:
    db = str(tmp_path / "demo.db")
    assert run("ingest", DEMO, "--db", db, "-q").code == 0
    return db


def test_corpus_export_parquet_is_a_dataset_partitioned_by_source_and_year(run, demo_db, tmp_path):
    lines = run("corpus", "export", "--db", demo_db, "-f", "jsonl")
    expected = sorted(_jsonl(lines.out), key=lambda r: r["id"])
    root = tmp_path / "export"
    r = run("corpus", "export", "--db", demo_db, "-f", "parquet", "-o", root)
    assert r.code == 0, r.err
    sources = sorted({e["source"] for e in expected})
    dirs = sorted(p.name for p in root.iterdir())
    assert len(dirs) == len(sources) and all(d.startswith("source=") for d in dirs)
    data = pads.dataset(root, format="parquet", partitioning="hive")
    got = sorted(data.to_table().to_pylist(), key=lambda r: r["id"])
    assert [r["year"] for r in got] == [int(e["date"][:4]) if e["date"] else None for e in expected]
    assert [{k: g[k] for k in expected[0]} for g in got] == expected
    # a filter on the partitions reads only that source's files
    one = data.to_table(filter=pads.field("source") == sources[0])
    assert one.num_rows == sum(1 for e in expected if e["source"] == sources[0])
    # pandas reads the folder as one table
    pd = pytest.importorskip("pandas")
    assert len(pd.read_parquet(root)) == len(expected)


def test_corpus_export_parquet_refuses_a_folder_with_files(run, demo_db, tmp_path):
    root = tmp_path / "full"
    write(root / "keep.txt", "mine")
    r = run("corpus", "export", "--db", demo_db, "-f", "parquet", "-o", root)
    assert r.code == 1
    assert "new or empty folder" in r.err
    assert sorted(p.name for p in root.iterdir()) == ["keep.txt"]
    r = run("corpus", "export", "--db", demo_db, "-f", "parquet")
    assert r.code == 1 and "--output FOLDER" in r.err


def test_a_parquet_export_reads_back_as_the_same_corpus(run, demo_db, tmp_path):
    root = tmp_path / "export"
    assert run("corpus", "export", "--db", demo_db, "-f", "parquet", "-o", root).code == 0
    copy = str(tmp_path / "copy.db")
    r = run("ingest", root, "--db", copy)
    assert r.code == 0, r.err
    a, b = (run("corpus", "export", "--db", d, "-f", "jsonl").out for d in (demo_db, copy))

    def key(r: dict) -> tuple:
        return (r["source"], r["url"], r["text"])

    strip = [{k: v for k, v in r.items() if k != "id"} for r in _jsonl(a)]
    assert sorted(strip, key=key) == sorted(
        [{k: v for k, v in r.items() if k != "id"} for r in _jsonl(b)], key=key
    )
    assert len(strip) == 120
    # and the commands that take PATHs read it directly, with the same results
    from_export = run("compare", root, "-f", "json", "--workers", "1")
    from_store = run("compare", "--db", demo_db, "-f", "json", "--workers", "1")
    assert from_export.code == 0 and from_export.out == from_store.out


# ------------------------------------------------------------------------- dask


@pytest.fixture(scope="module")
def dask_address():
    distributed = pytest.importorskip("distributed")
    import logging

    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:  # fmt: skip
        yield cluster.scheduler_address


@pytest.fixture
def dask_chunks(monkeypatch):
    """Counts the chunks sent to the Dask cluster."""
    from discourse import cluster

    sent: list[int] = []
    submit = cluster.DaskPool.submit

    def counting(self, articles):
        sent.append(len(articles))
        return submit(self, articles)

    monkeypatch.setattr(cluster.DaskPool, "submit", counting)
    return sent


DASK_CASES = {
    "compare": ["compare", DEMO, "--by", "source,month", "-f", "json"],
    "compare_pairwise": ["compare", DEMO, "--pairwise", "-f", "csv"],
    "score": ["score", DEMO, "-f", "jsonl"],
    "score_explain": ["score", DEMO, "--explain", "-f", "json"],
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(DASK_CASES))
def test_dask_gives_the_records_of_the_local_path(run, dask_address, dask_chunks, name):
    args = DASK_CASES[name]
    local = run(*args, "--workers", "1")
    assert local.code == 0, local.err
    assert dask_chunks == []
    on_dask = run(*args, "--dask", dask_address)
    assert on_dask.code == 0, on_dask.err
    assert sum(dask_chunks) == 120  # every demo article went to the cluster
    assert on_dask.out == local.out


@pytest.mark.slow
def test_dask_scores_a_parquet_export_as_locally(run, demo_db, tmp_path, dask_address):
    root = tmp_path / "export"
    assert run("corpus", "export", "--db", demo_db, "-f", "parquet", "-o", root).code == 0
    local = run("compare", "--db", demo_db, "--by", "source,month", "-f", "csv", "--workers", "1")
    on_dask = run("compare", root, "--by", "source,month", "-f", "csv", "--dask", dask_address)
    assert on_dask.code == 0, on_dask.err
    assert on_dask.out == local.out


@pytest.mark.slow
def test_dask_on_a_store_fills_the_same_cache(run, tmp_path, dask_address, dask_chunks):
    db_local, db_dask = str(tmp_path / "a.db"), str(tmp_path / "b.db")
    for db in (db_local, db_dask):
        assert run("ingest", DEMO, "--db", db, "-q").code == 0
    local = run("compare", "--db", db_local, "-f", "json", "--workers", "1")
    first = run("compare", "--db", db_dask, "-f", "json", "--dask", dask_address)
    assert first.out == local.out and sum(dask_chunks) == 120
    again = run("compare", "--db", db_dask, "-f", "json", "--dask", dask_address)
    assert again.out == local.out
    assert sum(dask_chunks) == 120  # the re-run found every score in the cache


def test_dask_unreachable_scheduler_is_one_line(run, monkeypatch):
    pytest.importorskip("distributed")
    from discourse import cluster

    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", "0.5s")
    r = run("compare", DEMO, "--dask", "tcp://127.0.0.1:9")
    assert r.code == 1
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and "cannot reach a Dask scheduler" in lines[0], r.err


# ------------------------------------------------------------- incremental re-runs


@pytest.fixture
def scored(monkeypatch):
    """Counts the articles actually scored (not read from the cache), in this process."""
    count: list[int] = []
    score_batch = scoring.Scorer.score_batch

    def counting(self, articles, keep=False):
        count.append(len(articles))
        return score_batch(self, articles, keep)

    monkeypatch.setattr(scoring.Scorer, "score_batch", counting)
    return count


def _new_articles(folder: Path, n: int) -> None:
    for i in range(n):
        write(
            folder / "new-outlet" / f"2026-11-2{i % 8}-extra-{i}.md",
            f"---\ntitle: Extra {i}\ndate: 2026-11-2{i % 8}\nsource: New Outlet\n---\n"
            f"Story {i}: the two sides pledged mutual trust and win-win cooperation. "
            f"Officials warned of a threat number {i}.\n",
        )


def test_cached_compare_rerun_scores_only_the_new_articles(run, demo_db, tmp_path, scored):
    args = ["compare", "--db", demo_db, "-f", "json", "--workers", "1"]
    assert run(*args).code == 0
    assert sum(scored) == 120
    scored.clear()
    assert run(*args).code == 0
    assert sum(scored) == 0  # unchanged store: nothing scored
    _new_articles(tmp_path / "more", 7)
    assert run("ingest", tmp_path / "more", "--db", demo_db, "-q").code == 0
    r = run(*args)
    assert r.code == 0, r.err
    assert sum(scored) == 7
    assert json.loads(r.out)["meta"]["n_articles"] == 127


@pytest.fixture
def texts_read(monkeypatch):
    """The ids of the articles whose text the scoring path read from the store."""
    from discourse.store import Store

    ids: list[int] = []
    texts = Store.texts

    def counting(self, wanted):
        ids.extend(wanted)
        return texts(self, wanted)

    monkeypatch.setattr(Store, "texts", counting)
    return ids


def _replace_texts(db: str, text: str) -> None:
    """Overwrite every stored text behind the tool's back (what a cached run must not read)."""
    import sqlite3

    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE articles SET text = ?", (text,))
    conn.close()


def test_cached_compare_rerun_reads_only_the_new_articles_texts(
    run, demo_db, tmp_path, scored, texts_read
):
    args = ["compare", "--db", demo_db, "-f", "json", "--workers", "1"]
    first = run(*args)
    assert first.code == 0, first.err
    assert sorted(texts_read) == list(range(1, 121))  # each text read once, to score it
    texts_read.clear()
    # a cached re-run gives the same output without the texts: garble them all
    _replace_texts(demo_db, "Nothing here. Hegemonism, mutual trust, win-win.")
    again = run(*args)
    assert again.code == 0, again.err
    assert again.out == first.out
    assert texts_read == [] and sum(scored) == 120
    _new_articles(tmp_path / "more", 7)
    assert run("ingest", tmp_path / "more", "--db", demo_db, "-q").code == 0
    r = run(*args)
    assert r.code == 0, r.err
    assert sorted(texts_read) == list(range(121, 128))  # only the new articles' texts
    assert sum(scored) == 127
    assert json.loads(r.out)["meta"]["n_articles"] == 127


def test_a_cached_score_of_another_lexicon_does_not_count(run, demo_db, tmp_path, texts_read):
    other = tmp_path / "other.yaml"
    write(other, "name: other\nversion: 1.0.0\nframes:\n  trust:\n    terms: [mutual trust]\n")
    assert run("compare", "--db", demo_db, "-f", "json", "--workers", "1").code == 0
    texts_read.clear()
    r = run("compare", "--db", demo_db, "-f", "json", "--workers", "1", "--lexicon", other)
    assert r.code == 0, r.err
    assert sorted(texts_read) == list(range(1, 121))  # another scorer: every text read
    assert [rec["frame"] for rec in json.loads(r.out)["records"]] == ["trust"] * 5


def test_keyness_on_a_store_tokenizes_only_new_articles(run, demo_db, tmp_path, texts_read):
    """keyness caches per-source counts of its selection: a re-run reads no text, an
    added article only its own; every output equals a fresh count (from the folders)."""
    args = ["keyness", "-f", "json", "--workers", "1", "--top", "0"]
    fresh = run(*args, DEMO)
    assert fresh.code == 0, fresh.err
    first = run(*args, "--db", demo_db)
    assert first.code == 0 and sorted(texts_read) == list(range(1, 121))
    texts_read.clear()
    again = run(*args, "--db", demo_db)
    assert texts_read == [] and again.out == first.out
    assert json.loads(first.out)["records"] == json.loads(fresh.out)["records"]
    _new_articles(tmp_path / "more", 7)
    assert run("ingest", tmp_path / "more", "--db", demo_db, "-q").code == 0
    added = run(*args, "--db", demo_db)
    assert sorted(texts_read) == list(range(121, 128))
    texts_read.clear()
    expected = run(*args, DEMO, tmp_path / "more")
    assert expected.code == 0 and added.out != first.out
    assert json.loads(added.out)["records"] == json.loads(expected.out)["records"]
    assert (
        json.loads(added.out)["meta"]["sentences"] == json.loads(expected.out)["meta"]["sentences"]
    )


def test_keyness_cache_recounts_a_source_whose_articles_changed(run, demo_db, tmp_path):
    args = ["keyness", "-f", "json", "--workers", "1", "--top", "0", "--db", demo_db]
    since = [*args, "--since", "2026-10-01"]
    assert run(*args).code == 0 and run(*since).code == 0
    listed = json.loads(run("corpus", "list", "--db", demo_db, "-f", "json").out)["records"]
    moved = [r for r in listed if r["source"] == "Harmony Daily" and r["date"] >= "2026-10"][:3]
    assert len(moved) == 3
    # one article moves to another outlet, one out of the --since selection, one is removed
    assert run("corpus", "set", moved[0]["id"], "source=Meridian Wire", "--db", demo_db).code == 0
    assert run("corpus", "set", moved[1]["id"], "date=2026-01-01", "--db", demo_db).code == 0
    assert run("corpus", "rm", moved[2]["id"], "-y", "--db", demo_db).code == 0
    for a in (args, since):
        cached = run(*a)
        assert cached.code == 0, cached.err
        _drop_keyness_cache(demo_db)
        assert json.loads(cached.out) == json.loads(run(*a).out)  # as counted afresh


def _drop_keyness_cache(db: str) -> None:
    import sqlite3

    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE keyness_cache")
    conn.close()


@pytest.mark.slow
def test_cached_report_rerun_scores_only_the_new_articles(run, demo_db, tmp_path, texts_read):
    out = tmp_path / "reports"
    args = ["report", "--db", demo_db, "-o", out, "--workers", "1", "-q"]

    def stats() -> dict:
        return json.loads((out / "all" / "summary.json").read_text())["score_stats"]

    assert run(*args).code == 0
    assert stats() == {"scored": 120, "cached": 0}
    first = (out / "all" / "report.md").read_text()
    texts_read.clear()
    assert run(*args).code == 0
    assert stats() == {"scored": 0, "cached": 120}
    assert texts_read == []  # neither scoring nor keyness read a text (examples read a few)
    again = (out / "all" / "report.md").read_text()

    def body(md: str) -> list[str]:  # without the time it was generated and the run's counts
        return [
            line for line in md.split("## Provenance")[0].splitlines() if "generated" not in line
        ]

    assert body(again) == body(first) and len(body(first)) > 100
    _new_articles(tmp_path / "more", 7)
    assert run("ingest", tmp_path / "more", "--db", demo_db, "-q").code == 0
    assert run(*args).code == 0
    assert stats() == {"scored": 7, "cached": 120}
    assert sorted(set(texts_read)) == list(range(121, 128))


def test_a_damaged_parquet_file_is_skipped_with_a_warning(run, tmp_path):
    write(tmp_path / "in" / "wire" / "bad.parquet", b"PAR1 not really parquet")
    write(tmp_path / "in" / "wire" / "good.md", "---\ntitle: Good\n---\nMutual trust grew.\n")
    r = run("ingest", tmp_path / "in", "--db", tmp_path / "x.db")
    assert r.code == 0, r.err
    warned = [line for line in r.err.splitlines() if "bad.parquet" in line]
    assert len(warned) == 1 and "Parquet" in warned[0]
    assert "1 added" in r.err or "added 1" in r.err or "1 article" in r.err, r.err


def test_score_parquet_is_written_piece_by_piece(run, tmp_path, monkeypatch):
    from discourse import render

    monkeypatch.setattr(render, "SCORE_CHUNK", 7)  # 120 articles: 18 pieces
    lines = run("score", DEMO, "-f", "jsonl", "--workers", "1")
    out = tmp_path / "s.parquet"
    assert run("score", DEMO, "-f", "parquet", "-o", out, "--workers", "1").code == 0
    meta = pq.ParquetFile(out).metadata
    assert meta.num_row_groups == 18
    assert pq.read_table(out).to_pylist() == _jsonl(lines.out)


def test_parquet_refuses_a_column_that_changes_type(tmp_path):
    from discourse.columnar import write_jsonl
    from discourse.errors import InputError

    with pytest.raises(InputError, match="changes type"):
        write_jsonl(['{"a": 1}\n', '{"a": 1.5}\n'], tmp_path / "t.parquet")
    assert list(tmp_path.iterdir()) == []  # no file, no temporary left behind


@pytest.mark.slow
@pytest.mark.parametrize("period", [[], ["--week", "2026-W47"]])
def test_report_on_a_store_lists_the_articles_of_the_report_from_folders(
    run, demo_db, tmp_path, period
):
    """Without a period the store's report takes its article rows from the pass that fills
    the cache; they (and the tables) equal those of the report from the folders."""
    args = ["--workers", "1", "-q", "--boot", "200", *period]
    assert run("report", DEMO, "-o", tmp_path / "a", *args).code == 0
    assert run("report", "--db", demo_db, "-o", tmp_path / "b", *args).code == 0
    (a,) = (tmp_path / "a").iterdir()
    b = tmp_path / "b" / a.name
    rows = (a / "articles.csv").read_text()
    assert rows.count("\n") > 10 and (b / "articles.csv").read_text() == rows
    for name in ("frames_by_source.csv", *(p.name for p in (a / "outlets").iterdir())):
        sub = "" if name.endswith("source.csv") else "outlets/"
        assert (b / sub / name).read_text() == (a / sub / name).read_text()
