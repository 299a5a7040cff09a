"""fetch under bad networks (issue 10, item 13; issue 13's rough edges).

A whole-run time budget; pages committed as they come (an interrupted run keeps them);
failed pages remembered with a back-off instead of refetched every run; the page's
canonical URL stored, the feed's link kept so that dedupe works both ways.
All against the loopback server of test_http.py: no network.
"""

from __future__ import annotations

import json
import time

import pytest

from discourse.store import open_store

from .test_http import (
    ARTICLES,
    _never_answers,
    _static,
    feeds_file,
    fetch_all,
    page,
    rss,
    server,  # noqa: F401 - the fixture
)


def _feed(srv, path: str, links: list[str]) -> None:
    srv.routes[path] = _static(
        rss(srv.base, [(f"Item {i}", srv.url(p)) for i, p in enumerate(links, 1)]),
        "application/rss+xml",
    )


# ---------------------------------------------------------------------- budget


@pytest.mark.slow
def test_the_run_stops_within_its_budget_keeps_what_it_has_and_says_what_it_skipped(
    tmp_path,
    server,  # noqa: F811
):
    for i in range(6):
        server.routes[f"/silent{i}.html"] = _never_answers
    _feed(server, "/slow.xml", ["/a1.html", *[f"/silent{i}.html" for i in range(6)], "/a2.html"])
    _feed(server, "/later.xml", ["/b1.html"])
    path = feeds_file(
        tmp_path,
        ("Northwind Courier", server.url("/slow.xml")),
        ("Saltmarsh Herald", server.url("/later.xml")),
    )
    store = open_store(tmp_path / "d.db")
    t0 = time.monotonic()
    report = fetch_all(store, path, timeout=1.0, budget=2.5)
    took = time.monotonic() - t0
    assert took < 4.5  # six silent pages at a 3 s deadline each would take 18 s
    assert report.budget_exhausted
    assert store.count() == 1  # a1 was stored before the budget ran out
    skipped = report.skipped_pages
    # each silent page times out after 1 s (a failure) until the budget cuts one short
    assert skipped >= 4 and skipped + len(report.feeds[0].failed) == 7
    assert report.feeds[1].begun is False  # the second feed was not begun
    assert "/later.xml" not in "".join(server.paths())
    line = report.summary_lines()[-1]
    assert "budget of 2.5 s spent" in line and f"{skipped} pages skipped" in line
    assert report.as_dict()["budget_exhausted"] is True


def test_cli_budget_exits_4_with_one_warning_and_keeps_the_pages(run, tmp_path, server, db):  # noqa: F811
    server.routes["/silent.html"] = _never_answers
    _feed(server, "/slow.xml", ["/a1.html", "/silent.html", "/a2.html"])
    feeds = feeds_file(tmp_path, ("Northwind Courier", server.url("/slow.xml")))
    args = ["fetch", "--feeds", feeds, "--db", db, "--allow-private", "--delay", "0"]
    r = run(*args, "--timeout", "5", "--budget", "1.2")
    assert r.code == 4  # its own code: cron tells a spent budget from a failure (1)
    warnings = [x for x in r.err.splitlines() if x.startswith("warning: ")]
    assert len(warnings) == 1 and "--budget 1.2" in warnings[0] and "skipped" in warnings[0]
    assert (
        json.loads(run("corpus", "stats", "--db", db, "-f", "json").out)["records"][0]["articles"]
        == 1
    )


def test_quiet_budget_exit_is_only_the_code(run, tmp_path, server, db):  # noqa: F811
    server.routes["/silent.html"] = _never_answers
    _feed(server, "/slow.xml", ["/silent.html", "/a1.html"])
    feeds = feeds_file(tmp_path, ("Northwind Courier", server.url("/slow.xml")))
    args = ["fetch", "--feeds", feeds, "--db", db, "--allow-private", "--delay", "0"]
    r = run(*args, "--timeout", "5", "--budget", "1.2", "-q")
    assert (r.code, r.out, r.err) == (4, "", "")  # cron mails nothing; the code says it


@pytest.mark.parametrize(
    "all_failed,spent,code", [(True, True, 1), (True, False, 1), (False, True, 4)]
)
def test_every_feed_failing_wins_over_a_spent_budget(all_failed, spent, code):
    import typer

    from discourse.cli import _fetch_exit

    report = type("R", (), {"all_failed": all_failed, "budget_exhausted": spent})()
    report.budget, report.budget_note = 1.0, lambda: "1 page skipped"
    with pytest.raises(typer.Exit) as e:
        _fetch_exit(report, quiet=True)
    assert e.value.exit_code == code


def test_budget_exit_code_is_documented(run):
    from .conftest import ROOT

    r = run("fetch", "--help")
    assert "4 the --budget ran out" in " ".join(r.out.split())
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "| `4` | `fetch` only: its `--budget` ran out" in readme
    assert "(discourse fetch --feeds feeds.toml -q || [ $? -eq 4 ])" in readme


def test_budget_must_be_positive(run, tmp_path, db):
    feeds = feeds_file(tmp_path, ("x", "http://example.org/feed"))
    r = run("fetch", "--feeds", feeds, "--db", db, "--budget", "0")
    assert r.code == 1 and "--budget" in r.err and r.err.count("\n") == 1


def test_default_budget_bounds_a_run_of_silent_links():
    from discourse.http import DEFAULT_BUDGET
    from discourse.http.client import DEFAULT_TIMEOUT

    assert DEFAULT_BUDGET <= 3600  # 1,000 links at 3 x 20 s each would be 16 hours
    assert DEFAULT_BUDGET >= 10 * 3 * DEFAULT_TIMEOUT  # room for a few slow pages


# ------------------------------------------------------------- commit per page


def test_an_interrupted_run_keeps_the_pages_it_downloaded(tmp_path, server, monkeypatch):  # noqa: F811
    from discourse.http import feeds as feeds_mod

    _feed(server, "/four.xml", ["/a1.html", "/a2.html", "/b1.html", "/b2.html"])
    path = feeds_file(tmp_path, ("Northwind Courier", server.url("/four.xml")))
    real = feeds_mod.fetch_page

    def interrupted_at_b1(fetcher, entry, source, warn):
        if entry.url.endswith("/b1.html"):
            raise KeyboardInterrupt  # Ctrl-C, or a kill, in the middle of the feed
        return real(fetcher, entry, source, warn)

    monkeypatch.setattr(feeds_mod, "fetch_page", interrupted_at_b1)
    db = tmp_path / "d.db"
    with pytest.raises(KeyboardInterrupt):
        fetch_all(open_store(db), path)
    with open_store(db) as store:
        assert sorted(a.url for a in store.iter_articles()) == [
            server.url("/a1.html"),
            server.url("/a2.html"),
        ]


# ------------------------------------------------------------ failures remembered


def test_failed_pages_are_not_refetched_every_run(tmp_path, server):  # noqa: F811
    _feed(server, "/gone.xml", ["/a1.html", "/missing.html"])
    path = feeds_file(tmp_path, ("Northwind Courier", server.url("/gone.xml")))
    store = open_store(tmp_path / "d.db")
    first = fetch_all(store, path)
    assert len(first.feeds[0].failed) == 1
    [(url, count, _)] = store.fetch_failures()
    assert url == server.url("/missing.html") and count == 1
    server.clear()
    second = fetch_all(store, path)
    assert "/missing.html" not in server.paths()  # backing off
    assert second.feeds[0].failed == [] and second.feeds[0].backing_off == 1
    assert "1 backing off" in second.feeds[0].summary_line()
    assert not second.all_failed
    server.clear()
    third = fetch_all(store, path, retry_failed=True)
    assert "/missing.html" in server.paths()
    assert len(third.feeds[0].failed) == 1
    [(_, count, retry_after)] = store.fetch_failures()
    assert count == 2
    # the back-off grows with the count: 1 day, then 2 days, ...
    assert 1.9 * 86400 < retry_after - time.time() < 2.1 * 86400
    # once the page answers, it is stored and forgotten as a failure
    server.routes["/missing.html"] = _static(ARTICLES["/c1.html"])
    fourth = fetch_all(store, path, retry_failed=True)
    assert fourth.feeds[0].new == 1 and store.fetch_failures() == []


# -------------------------------------------------------------- canonical URLs


def _with_canonical(href: str, title: str) -> bytes:
    body = page(
        title, "The harbour authority approved the new pier after a long public consultation."
    )
    return body.replace(b"<head>", f'<head><link rel="canonical" href="{href}">'.encode(), 1)


def test_the_canonical_url_is_stored_and_both_links_dedupe(tmp_path, server):  # noqa: F811
    server.routes["/amp/pier"] = _static(_with_canonical("/news/pier", "Pier approved"))
    _feed(server, "/canon.xml", ["/amp/pier"])
    path = feeds_file(tmp_path, ("Northwind Courier", server.url("/canon.xml")))
    store = open_store(tmp_path / "d.db")
    assert fetch_all(store, path).new == 1
    [art] = list(store.iter_articles())
    assert art.url == server.url("/news/pier")  # the page's own canonical URL
    assert art.origin == server.url("/amp/pier")  # the feed's link is kept
    server.clear()
    again = fetch_all(store, path)  # the same feed link: known
    assert again.feeds[0].already_stored == 1 and server.paths() == ["/canon.xml"]
    _feed(server, "/direct.xml", ["/news/pier"])  # another feed links the canonical URL
    path2 = feeds_file(tmp_path, ("Northwind Courier", server.url("/direct.xml")))
    server.clear()
    other = fetch_all(store, path2)
    assert other.feeds[0].already_stored == 1 and server.paths() == ["/direct.xml"]


@pytest.mark.parametrize(
    "href", ["http://elsewhere.example/news/pier", "javascript:alert(1)", "ftp://x/y"]
)
def test_a_canonical_url_on_another_site_or_scheme_is_ignored(tmp_path, server, href):  # noqa: F811
    server.routes["/amp/pier"] = _static(_with_canonical(href, "Pier approved"))
    _feed(server, "/canon.xml", ["/amp/pier"])
    path = feeds_file(tmp_path, ("Northwind Courier", server.url("/canon.xml")))
    store = open_store(":memory:")
    assert fetch_all(store, path).new == 1
    [art] = list(store.iter_articles())
    assert art.url == server.url("/amp/pier")
