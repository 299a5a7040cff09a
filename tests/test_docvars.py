"""Document variables: extra columns and keys kept at ingest, shown, carried into score
output, and usable as --by meta:KEY in compare, trend and report.

Every outlet and text here is invented for the tests.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections import defaultdict

import pytest

from discourse import store as store_mod
from discourse.ingest import IngestOptions, ingest
from discourse.store import open_store

from .conftest import DEMO, write

TEXT = "The two ministers met in the harbour town. They praised mutual trust and cooperation."


def test_extra_columns_keys_and_front_matter_are_kept(tmp_path):
    write(
        tmp_path / "a.csv",
        "source,text,country,section,date\n"
        f'S,"{TEXT} One.",FR,world,2026-11-01\nS,"{TEXT} Two.",,world,2026-11-02\n',
    )
    rec = {"text": TEXT + " Three.", "source": "J", "country": "DE", "pages": 3, "tags": ["x"]}
    write(tmp_path / "b.jsonl", json.dumps(rec) + "\n")
    write(
        tmp_path / "c" / "s" / "x.md",
        f"---\ntitle: T\ncountry: NO\ncode: 007\nupdated: 2026-11-05\n---\n{TEXT} Four.",
    )
    store = open_store(":memory:")
    ingest(store, [tmp_path / "a.csv", tmp_path / "b.jsonl", tmp_path / "c"], IngestOptions())
    got = {a.text.rsplit(" ", 1)[-1]: a.meta for a in store.iter_articles()}
    assert got == {
        "One.": {"country": "FR", "section": "world"},
        "Two.": {"section": "world"},  # an empty cell: the article has no such variable
        "Three.": {"country": "DE", "pages": 3, "tags": ["x"]},
        # front matter keeps scalars as written: NO is Norway, not YAML 1.1's false
        "Four.": {"country": "NO", "code": "007", "updated": "2026-11-05"},
    }


def test_a_schema_2_store_is_migrated_to_the_newest_with_empty_meta(tmp_path):
    db = str(tmp_path / "v2.db")
    con = sqlite3.connect(db)
    con.executescript(store_mod._MIGRATIONS[1])
    con.executescript(store_mod._MIGRATIONS[2])
    con.execute(
        "INSERT INTO articles (source, text, text_hash, added_at) VALUES ('s', 'Old.', 'h', 'now')"
    )
    con.execute("PRAGMA user_version = 2")
    con.commit()
    con.close()
    with open_store(db) as s:
        (art,) = s.iter_articles()
        assert art.meta == {} and s.meta_keys() == []
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == store_mod.SCHEMA_VERSION == 5
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "articles_text_hash" in names
    con.close()


@pytest.fixture
def docvar_csv(tmp_path):
    """The demo corpus as one CSV with a made-up `bloc` variable (some articles without)."""
    rows = []
    for i, p in enumerate(sorted(DEMO.glob("*/*.md"))):
        body = p.read_text(encoding="utf-8").split("---", 2)[2].strip()
        bloc = ["east", "west", ""][i % 3]
        rows.append({"source": p.parent.name, "date": p.name[:10], "text": body, "bloc": bloc})
    path = tmp_path / "docvars.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def test_corpus_show_and_score_carry_the_variables(run, docvar_csv, db):
    assert run("ingest", docvar_csv, "--db", db, "-q").code == 0
    r = run("corpus", "show", "1", "--db", db)
    assert "meta.bloc: east" in r.out
    assert json.loads(run("corpus", "show", "1", "--db", db, "-f", "json").out)["meta"] == {
        "bloc": "east"
    }
    r = run("score", "--db", db, "-f", "csv", "--workers", "1")
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert len(rows) == 120 and "meta.bloc" in rows[0]
    assert {x["meta.bloc"] for x in rows} == {"east", "west", ""}
    r = run("score", "--db", db, "-f", "json", "--workers", "1")
    recs = json.loads(r.out)["records"]
    assert sum(1 for x in recs if x["meta.bloc"] is None) == 40


def test_compare_by_meta_matches_per_article_scores(run, docvar_csv):
    r = run("compare", docvar_csv, "--by", "meta:bloc", "-f", "json", "--boot", "200")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert out["meta"]["by"] == "meta:bloc"
    recs = {(x["meta:bloc"], x["frame"]): x for x in out["records"]}
    # independently: per-article presence from `score`, grouped by hand
    scores = run("score", docvar_csv, "-f", "csv", "--workers", "1")
    present = defaultdict(list)
    for row in csv.DictReader(io.StringIO(scores.out)):
        present[row["meta.bloc"] or "(none)"].append(int(row["threat_present"]))
    assert {g for g, _ in recs} == {"east", "west", "(none)"}
    for group, flags in present.items():
        rec = recs[(group, "threat")]
        assert rec["n_articles"] == len(flags) == 40
        assert rec["n_present"] == sum(flags)
        assert rec["prevalence"] == pytest.approx(sum(flags) / len(flags))


def test_compare_by_meta_table_and_month(run, docvar_csv):
    r = run("compare", docvar_csv, "--by", "meta:bloc,month", "--boot", "200", "--no-chart")
    assert r.code == 0, r.err
    assert "document variable 'bloc'" in r.err
    assert "(none)" in r.out and "2026-09" in r.out
    assert "meta:bloc groups" in r.out.splitlines()[0]  # not "sources": they are the groups
    r = run("compare", docvar_csv, "--by", "meta:", "--boot", "200")
    assert r.code == 1 and "meta:KEY" in r.err


def test_trend_by_meta_splits_the_pooled_series(run, docvar_csv):
    r = run("trend", docvar_csv, "--by", "month,meta:bloc", "--frame", "threat", "-f", "json")
    assert r.code == 0, r.err
    recs = json.loads(r.out)["records"]
    assert {x["meta:bloc"] for x in recs} == {"east", "west", "(none)"}
    pooled = run("trend", docvar_csv, "--by", "month", "--frame", "threat", "--all-sources",
                 "-f", "json")  # fmt: skip
    total = {x["period"]: x["n_articles"] for x in json.loads(pooled.out)["records"]}
    for period, n in total.items():
        assert sum(x["n_articles"] for x in recs if x["period"] == period) == n
    r = run("trend", docvar_csv, "--by", "month,meta:a,meta:b")
    assert r.code == 1 and "meta:KEY" in r.err


def test_report_by_meta(run, docvar_csv, tmp_path):
    out = tmp_path / "reports"
    r = run("report", docvar_csv, "--by", "meta:bloc", "--week", "2026-W47", "-o", out, "-q",
            "--boot", "200")  # fmt: skip
    assert r.code == 0, r.err
    folder = out / "2026-W47"
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert "meta:bloc" in json.dumps(summary)
    table = (folder / "frames_by_source.csv").read_text(encoding="utf-8")
    assert "(none)" in table and "east" in table
    assert "document variable 'bloc'" in (folder / "report.md").read_text(encoding="utf-8")


def test_poison_values_in_variables_never_reach_the_store(tmp_path):
    lines = [
        '{"text": "First text of enough words.", "k": "\\ud800"}',  # lone surrogate: skipped
        '{"text": "Second text, enough words.", "n": NaN, "m": {"z": Infinity}, "s": "a\\u0000b"}',
    ]
    write(tmp_path / "p.jsonl", "\n".join(lines) + "\n")
    store = open_store(":memory:")
    warnings: list[str] = []
    report = ingest(store, [tmp_path / "p.jsonl"], IngestOptions(), warn=warnings.append)
    assert (report.added, len(report.skipped)) == (1, 1)
    assert (
        "p.jsonl:1" in report.skipped[0].origin and "document variable" in report.skipped[0].reason
    )
    (art,) = store.iter_articles()
    assert art.meta == {"m": {"z": None}, "s": "ab"}


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "parquet"])
def test_export_then_ingest_gives_back_the_articles_and_their_variables(run, tmp_path, fmt):
    if fmt == "parquet":
        pytest.importorskip("pyarrow")
    write(
        tmp_path / "a.csv",
        "source,date,text,country,section,id\n"
        f'S,2026-11-01,"{TEXT} One.",FR,world,a-17\nT,,"{TEXT} Two.",NO,,a-18\n',
    )
    rec = {"text": TEXT + " Three.", "source": "S", "date": "2026-11-03", "country": "DE"}
    rec |= {"meta.pages": 3, "tags": ["x", "y"], "ok": True, "share": 0.5}
    write(tmp_path / "b.jsonl", json.dumps(rec) + "\n")
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    assert run("ingest", tmp_path / "a.csv", tmp_path / "b.jsonl", "--db", first).code == 0
    out = tmp_path / f"export.{fmt}"
    r = run("corpus", "export", "--db", first, "-f", fmt, "-o", out)
    assert r.code == 0, r.err
    assert run("ingest", out, "--db", second).code == 0

    def articles(db):
        with open_store(db) as store:
            return {
                a.text: (a.source, a.date, a.title, a.url, a.lang, a.meta)
                for a in store.iter_articles()
            }

    before, after = articles(first), articles(second)
    # the user's own `id` column is a variable; the export's `id` (the store's) is not
    assert before[f"{TEXT} One."][-1] == {"country": "FR", "section": "world", "id": "a-17"}
    assert before[f"{TEXT} Three."][-1]["pages"] == 3  # `meta.pages` is the variable pages
    if fmt in ("csv", "tsv"):  # a delimited cell is text: other JSON values come back as JSON
        three = before[f"{TEXT} Three."][-1]
        text = {k: v if isinstance(v, str) else json.dumps(v) for k, v in three.items()}
        before[f"{TEXT} Three."] = (*before[f"{TEXT} Three."][:-1], text)
    if fmt == "parquet":  # a column holds one type: a list is stored as its JSON text
        assert after[f"{TEXT} Three."][-1]["tags"] == '["x", "y"]'
        after[f"{TEXT} Three."][-1]["tags"] = ["x", "y"]
    assert after == before
