"""Weekly reports (issue 5): the numbers, the cache, the lock, safe output, atomic writes."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from discourse.api import get_lexicon
from discourse.errors import InputError, LockError, StoreError
from discourse.ingest import ingest
from discourse.report import (
    Period,
    build_report,
    files,
    resolve_period,
    run_report,
    write_report,
)
from discourse.report.files import safe_name
from discourse.store import FileLock, open_store

from .conftest import DEMO, write

FRAMES = ["partnership", "multilateralism", "anti_hegemonism", "threat", "economic", "history"]
OUTLETS = ["Harmony Daily", "Meridian Wire", "Northern Courier", "Southern Voice",
           "The Atlantic Ledger"]  # fmt: skip
W47 = ("2026-11-16", "2026-11-22")
BOOT = 300


@pytest.fixture(scope="module")
def pristine_db(tmp_path_factory) -> Path:
    """The demo corpus ingested once, with an empty score cache (copy it before use)."""
    path = tmp_path_factory.mktemp("pristine") / "demo.db"
    with open_store(path) as store:
        ingest(store, [DEMO], warn=lambda m: None)
    return path


@pytest.fixture
def fresh_db(pristine_db, tmp_path) -> str:
    dst = tmp_path / "demo.db"
    shutil.copy(pristine_db, dst)
    return str(dst)


@pytest.fixture(scope="module")
def lex():
    return get_lexicon(None)


def _strict_json(text: str):
    def no_constants(name):
        raise AssertionError(f"non-strict JSON token {name}")

    return json.loads(text, parse_constant=no_constants)


def _leftovers(folder: Path) -> list[str]:
    """Temporary names anywhere under ``folder`` (the lock file is expected)."""
    return [
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.name.startswith(".") and p.name != ".discourse-report.lock"
    ]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict]]:
    p = _Tags()
    p.feed(html)
    return p.tags


# ----------------------------------------------------------------- the numbers


@pytest.mark.parametrize("week", [None, "2026-W47"], ids=["all", "W47"])
def test_report_numbers_equal_compare_json(fresh_db, lex, run, tmp_path, week):
    with open_store(fresh_db) as store:
        data = build_report(store, lex, week=week, n_boot=BOOT)
    args = ["compare", "--db", fresh_db, "--boot", str(BOOT), "-f", "json", "-q"]
    if week:
        args += ["--since", W47[0], "--until", W47[1]]
    r = run(*args)
    assert r.code == 0, r.err
    cmp = json.loads(r.out)
    path = write_report(data, tmp_path / "reports")
    summary = _strict_json((path / "summary.json").read_text(encoding="utf-8"))
    assert summary["comparison"]["records"] == cmp["records"]
    assert summary["comparison"]["tests"] == cmp["tests"]
    for k in ("n_articles", "lexicon_hash", "since", "until", "n_boot", "seed", "by"):
        assert summary["comparison"]["meta"][k] == cmp["meta"][k]
    # every outlet and frame, in every document
    assert sorted({r["source"] for r in cmp["records"]}) == OUTLETS == data.sources
    md = (path / "report.md").read_text(encoding="utf-8")
    html = (path / "report.html").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO((path / "frames_by_source.csv").read_text())))
    assert len(rows) == len(OUTLETS) * len(FRAMES)
    for name in OUTLETS + FRAMES:
        assert name in md and name in html
    # the CSV carries the same numbers as compare's records
    first = cmp["records"][0]
    row = next(x for x in rows if x["source"] == first["source"] and x["frame"] == first["frame"])
    assert float(row["prevalence"]) == pytest.approx(first["prevalence"])
    assert float(row["per_1k_hi"]) == pytest.approx(first["per_1k_hi"])
    assert row["period"] == (week or "all") and row["lexicon"] == "china-russia-frames"


def test_report_documents_read_in_order_and_html_is_self_contained(fresh_db, lex, tmp_path):
    with open_store(fresh_db) as store:
        data = build_report(store, lex, week="2026-W47", n_boot=BOOT)
    path = write_report(data, tmp_path)
    md = (path / "report.md").read_text(encoding="utf-8")
    order = ["## Headline findings", "## Comparison", "## Evidence", "## Provenance"]
    assert [md.index(h) for h in order] == sorted(md.index(h) for h in order)
    assert "**friendship**" in md  # matches marked in the examples
    html = (path / "report.html").read_text(encoding="utf-8")
    tags = _tags(html)
    names = [t for t, _ in tags]
    assert "script" not in names and "link" not in names and "iframe" not in names
    assert names.count("svg") == 2 * len(FRAMES)  # prevalence and trend per frame
    assert "<?xml" not in html and "<!DOCTYPE svg" not in html
    assert "<mark>" in html and "Content-Security-Policy" in html
    assert not [a for _, a in tags if (a.get("src") or "").startswith(("http", "//"))]
    ids = [a["id"] for _, a in tags if "id" in a]
    assert len(ids) == len(set(ids))  # the inline SVGs do not clash
    # W47: partnership's rise (raw p ~ 0.01) does not survive Holm across the 36 tests
    part = next(b for b in data.baseline if b["frame"] == "partnership")
    assert part["p_value"] < 0.05 <= part["p_adjusted"]
    assert "partnership" not in {c["frame"] for c in data.changes}
    assert "Provenance" in html and data.provenance["lexicon_sha256"] in html


# ------------------------------------------------------------------- for cron


def test_second_run_over_unchanged_store_does_no_scoring_work(fresh_db, tmp_path):
    out = tmp_path / "reports"
    path1, first = run_report(None, fresh_db, out, week="2026-W47", n_boot=BOOT)
    assert first.score_stats.scored > 0 and first.score_stats.cached == 0
    csv1 = (path1 / "frames_by_source.csv").read_bytes()
    path2, second = run_report(None, fresh_db, out, week="2026-W47", n_boot=BOOT)
    assert path2 == path1
    assert second.score_stats.scored == 0
    assert second.score_stats.cached == first.score_stats.scored
    assert (path2 / "frames_by_source.csv").read_bytes() == csv1  # same numbers
    summary = _strict_json((path2 / "summary.json").read_text(encoding="utf-8"))
    assert summary["score_stats"] == {"scored": 0, "cached": first.score_stats.scored}


def test_concurrent_run_is_refused_with_exit_code_3(fresh_db, tmp_path):
    out = tmp_path / "reports"
    with FileLock(fresh_db), pytest.raises(LockError) as e:
        run_report(None, fresh_db, out, week="2026-W47", n_boot=BOOT)
    assert e.value.exit_code == 3
    assert not out.exists()  # nothing was written


def test_store_lock_is_released_before_the_report_is_rendered(fresh_db, tmp_path, monkeypatch):
    """Issue 11: the store's lock covers reading the data only; charts and files are
    rendered and written after it is let go, so concurrent runs wait less."""
    from discourse.report import run as report_run

    seen = []

    def write_checking_the_lock(data, out_dir, raw_csv=False):
        with FileLock(fresh_db, wait=0):  # LockError if the run still held it
            seen.append(data.period.label)
        return write_report(data, out_dir, raw_csv=raw_csv)

    monkeypatch.setattr(report_run, "write_report", write_checking_the_lock)
    path, _ = run_report(None, fresh_db, tmp_path / "reports", week="2026-W47", n_boot=BOOT)
    assert seen == ["2026-W47"]
    assert (path / "report.html").is_file()


@pytest.mark.slow
def test_cli_report_quiet_summary_and_lock(fresh_db, run, tmp_path):
    out = tmp_path / "reports"
    r = run("report", "--db", fresh_db, "--week", "2026-W47", "-o", out, "--boot", BOOT, "-q")
    assert (r.code, r.out, r.err) == (0, "", "")
    assert (out / "2026-W47" / "report.html").is_file()
    r = run("report", "--db", fresh_db, "--week", "2026-W47", "-o", out, "--boot", BOOT)
    assert r.code == 0 and r.out == ""
    assert r.err.count("\n") == 1 and "2026-W47" in r.err and "scored 0" in r.err
    with FileLock(fresh_db):
        r = run("report", "--db", fresh_db, "-o", out, "--boot", BOOT)
    assert r.code == 3 and r.err.count("\n") == 1 and "lock" in r.err
    r = run("report", "--db", fresh_db, "--week", "2026-W47", "--since", "7d", "-o", out)
    assert r.code == 1 and "--week" in r.err


def test_cli_report_demo_example_works(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run("report", "--demo", "--week", "2026-W47", "-o", "reports/", "--boot", BOOT, "-q")
    assert r.code == 0, r.err
    assert sorted(p.name for p in (tmp_path / "reports" / "2026-W47").iterdir()) == sorted(
        [*files.REPORT_FILES, "outlets"]
    )


# ---------------------------------------------------------------- safe output

HOSTILE = """---
title: "<script>alert(1)</script>"
date: 2026-11-17
url: "javascript:alert(1)"
---
The two sides pledged mutual trust and win-win cooperation. <img src=x onerror=alert(1)>
Officials spoke of a comprehensive strategic partnership [click](javascript:alert(2)).
"""
FORMULA = """---
title: '=HYPERLINK("x")'
date: 2026-11-18
url: " JavaScript:alert(3)"
---
NATO called the drills a threat to security; the sanctions hit trade and energy deals.
Both sides pledged mutual trust.
"""


def test_hostile_titles_and_urls_are_inert_in_html_md_and_csv(tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus / "Evil Outlet" / "a.md", HOSTILE)
    write(corpus / "=cmd" / "b.md", FORMULA)
    path, data = run_report([corpus], None, tmp_path / "out", week="2026-W47", n_boot=BOOT)
    assert data.n_articles == 2
    html = (path / "report.html").read_text(encoding="utf-8")
    tags = _tags(html)
    assert "script" not in [t for t, _ in tags] and "img" not in [t for t, _ in tags]
    assert not [k for _, a in tags for k in a if k.startswith("on")]
    hrefs = [a["href"] for t, a in tags if t == "a"]
    assert all(h.startswith(("#", "http://", "https://")) for h in hrefs)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<mark>mutual trust</mark>" in html
    md = (path / "report.md").read_text(encoding="utf-8")
    assert not re.search(r"(?<!\\)<(script|/script|img)", md)  # every tag start escaped
    assert "\\<script>" in md and "\\<img" in md
    assert not re.search(r"(?<!\\)\]\(\s*javascript:|<javascript:", md, re.I)  # no link
    assert "alert(1)>" not in md.replace("\\<img src=x onerror=alert(1)>", "")
    assert "alert(3)" not in md  # the javascript: URL is not shown at all
    assert "\\[click\\](javascript" in md  # the link in the text stays text
    rows = list(csv.DictReader(io.StringIO((path / "articles.csv").read_text(encoding="utf-8"))))
    titles = {r["title"] for r in rows}
    assert '\'=HYPERLINK("x")' in titles
    assert {r["source"] for r in rows} == {"Evil Outlet", "'=cmd"}
    for name in ("articles.csv", "frames_by_source.csv", "outlets/cmd.csv"):
        for row in csv.reader(io.StringIO((path / name).read_text(encoding="utf-8"))):
            assert not [c for c in row if c[:1] in ("=", "+", "-", "@", "\t", "\r")], (name, row)
    raw = files.render_files(data, raw_csv=True)["articles.csv"]
    assert '"=HYPERLINK(""x"")"' in raw


@pytest.mark.parametrize(
    "name, expected",
    [
        ("../../etc", "etc"),
        ("..", "unnamed"),
        (".", "unnamed"),
        ("", "unnamed"),
        ("/etc/passwd", "etc-passwd"),
        ("a\\b\x00c", "a-b-c"),
        (".hidden", "hidden"),
        ("CON", "unnamed-CON"),
        ("Harmony Daily", "Harmony-Daily"),
        ("Жэньминь жибао", "Жэньминь-жибао"),
        ("x" * 300, "x" * 80),
    ],
)
def test_safe_name(name, expected):
    assert safe_name(name) == expected


def test_source_named_dotdot_etc_stays_inside_the_output_folder(tmp_path):
    corpus = tmp_path / "corpus"
    text = "The two sides pledged mutual trust and win-win cooperation.\n"
    for i, src in enumerate(["../../etc", "..", "etc", "a/../../b"]):
        write(corpus / f"{i}.md", f'---\nsource: "{src}"\ndate: 2026-11-17\n---\n{text}')
    out = tmp_path / "deep" / "reports"
    before = set(tmp_path.rglob("*"))
    path, data = run_report([corpus], None, out, week="2026-W47", n_boot=BOOT)
    assert "../../etc" in data.sources
    created = set(tmp_path.rglob("*")) - before - {out, out.parent}
    assert created and all(out.resolve() in p.resolve().parents for p in created)
    outlets = sorted(p.name for p in (path / "outlets").iterdir())
    assert outlets == ["a-b.csv", "etc-2.csv", "etc.csv", "source.csv"]
    summary = _strict_json((path / "summary.json").read_text(encoding="utf-8"))
    assert summary["files"]["outlets"]["../../etc"] == "outlets/etc.csv"
    # a period label is sanitized too
    hostile = Period("../../x", "range", "2026-11-16", "2026-11-22", "2026-11-22")
    with open_store(":memory:") as store:
        d = build_report(store, get_lexicon(None), period=hostile, n_boot=BOOT)
    assert write_report(d, out) == (out / "x").resolve()


def test_empty_period_gives_a_report_that_says_so(fresh_db, lex, tmp_path):
    with open_store(fresh_db) as store:
        data = build_report(store, lex, week="2026-W50", n_boot=BOOT)
    assert data.empty and data.records == [] and data.leaders == [] and data.changes == []
    path = write_report(data, tmp_path)
    md = (path / "report.md").read_text(encoding="utf-8")
    html = (path / "report.html").read_text(encoding="utf-8")
    assert "No articles in ISO week 2026-W50 (2026-12-07 to 2026-12-13)" in md
    assert "No articles in ISO week 2026-W50" in html
    summary = _strict_json((path / "summary.json").read_text(encoding="utf-8"))
    assert summary["empty"] is True and summary["notes"]
    assert (path / "frames_by_source.csv").read_text().count("\n") == 1  # header only
    for f in path.rglob("*"):
        if f.is_file():
            assert "NaN" not in f.read_text(encoding="utf-8"), f.name
    # an empty store, no period at all
    with open_store(tmp_path / "empty.db") as store:
        data = build_report(store, lex, n_boot=BOOT)
    assert data.empty and data.trend == []
    md = (write_report(data, tmp_path) / "report.md").read_text(encoding="utf-8")
    assert "No articles in the selection." in md and "The store holds 0 articles." in md


# -------------------------------------------------------------- atomic writes


class Killed(BaseException):
    """Stands for the process being killed mid-write."""


@pytest.mark.slow
def test_files_are_written_atomically_and_a_crash_keeps_the_previous_report(
    fresh_db, lex, tmp_path, monkeypatch
):
    out = tmp_path / "reports"
    with open_store(fresh_db) as store:
        data = build_report(store, lex, week="2026-W47", n_boot=BOOT)
    path = write_report(data, out)
    assert sorted(p.name for p in out.iterdir()) == ["2026-W47"]  # the lock file removed
    assert _leftovers(out) == []
    before = {p: p.read_bytes() for p in path.rglob("*") if p.is_file()}
    data.provenance["generated_at"] = "2099-01-01T00:00:00+00:00"  # a different report

    real_replace, real_rename = os.replace, os.rename
    calls = []

    def replace_then_die(src, dst):
        calls.append(dst)
        if len(calls) == 3:  # killed while writing the third file
            raise Killed
        return real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", replace_then_die)
    with pytest.raises(Killed):
        write_report(data, out)
    monkeypatch.setattr(files.os, "replace", real_replace)
    assert {p: p.read_bytes() for p in path.rglob("*") if p.is_file()} == before
    assert _leftovers(out) == []

    renames = []

    def second_rename_fails(src, dst):  # the new folder cannot be moved into place
        renames.append(dst)
        if len(renames) == 2:
            raise OSError(28, "No space left on device")
        return real_rename(src, dst)

    monkeypatch.setattr(files.os, "rename", second_rename_fails)
    with pytest.raises(StoreError, match="nothing was changed"):
        write_report(data, out)
    monkeypatch.setattr(files.os, "rename", real_rename)
    assert {p: p.read_bytes() for p in path.rglob("*") if p.is_file()} == before
    assert _leftovers(out) == []

    # a run killed between its two renames left the old folder aside: the next run
    # puts it back before doing anything, then replaces it
    os.rename(path, out / ".2026-W47.old-0bad")
    (out / ".2026-W47.tmp-1-0bad").mkdir()
    files._recover(out)
    assert {p: p.read_bytes() for p in path.rglob("*") if p.is_file()} == before
    assert _leftovers(out) == []
    write_report(data, out)
    assert "2099-01-01" in (path / "report.md").read_text(encoding="utf-8")
    assert _leftovers(out) == []


# ---------------------------------------------------------------------- periods


@pytest.mark.parametrize(
    "kw, label, kind, since, until",
    [
        ({"week": "2026-W47"}, "2026-W47", "week", *W47),
        ({"week": "2026w5"}, "2026-W05", "week", "2026-01-26", "2026-02-01"),
        ({"week": "last"}, "2026-W48", "week", "2026-11-23", "2026-11-29"),
        ({"since": "2026-11-16", "until": "2026-11-22"}, "2026-W47", "week", *W47),
        ({"since": "2026-11-01", "until": "2026-11-30"}, "2026-11", "month", "2026-11-01",
         "2026-11-30"),
        ({"since": "7d"}, "2026-11-24_2026-11-30", "range", "2026-11-24", None),  # 7 days
        ({"until": "2026-11-22"}, "until-2026-11-22", "all", None, "2026-11-22"),
        ({}, "all", "all", None, None),
    ],
)  # fmt: skip
def test_resolve_period(kw, label, kind, since, until):
    p = resolve_period(**kw, today=date(2026, 11, 30))
    assert (p.label, p.kind, p.since, p.until) == (label, kind, since, until)


def test_resolve_period_refuses_week_with_since():
    with pytest.raises(InputError, match="`week` 2026-W47 cannot be combined"):
        resolve_period("2026-W47", since="7d")
