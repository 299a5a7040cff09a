"""`discourse fetch` end to end against the loopback test server of test_http.py."""

from __future__ import annotations

import json

from .test_http import feeds_file, server  # noqa: F401 - the fixture


def test_fetch_command_stores_then_refetches_nothing(run, tmp_path, server, db):  # noqa: F811
    feeds = feeds_file(
        tmp_path,
        ("Northwind Courier", server.url("/rss.xml")),
        ("Saltmarsh Herald", server.url("/atom.xml")),
    )
    args = ["fetch", "--feeds", feeds, "--db", db, "--allow-private", "--delay", "0"]
    r = run(*args)
    assert r.code == 0, r.err
    assert r.out.splitlines()[-1] == "total: 4 new, 0 already stored, 0 failed; 0 of 2 feeds failed"
    again = json.loads(run(*args, "-f", "json").out)
    assert again["all_failed"] is False
    assert [f["already_stored"] for f in again["feeds"]] == [2, 2]
    stats = json.loads(run("corpus", "stats", "--db", db, "-f", "json").out)["records"]
    assert {s["source"]: s["articles"] for s in stats} == {
        "Northwind Courier": 2,
        "Saltmarsh Herald": 2,
    }


def test_fetch_without_allow_private_refuses_loopback_and_exits_1(run, tmp_path, server, db):  # noqa: F811
    feeds = feeds_file(tmp_path, ("Northwind Courier", server.url("/rss.xml")))
    r = run("fetch", "--feeds", feeds, "--db", db, "--delay", "0")
    assert r.code == 1  # every feed failed
    assert server.paths() == []  # nothing was even requested


def test_fetch_bad_feeds_file_is_one_line(run, tmp_path, db):
    bad = tmp_path / "feeds.toml"
    bad.write_text('[[feed]]\nsource = "x"\nurl = "file:///etc/passwd"\n', encoding="utf-8")
    r = run("fetch", "--feeds", bad, "--db", db)
    assert r.code == 1 and r.err.startswith("discourse: error: ") and r.err.count("\n") == 1
