"""Feeds and pages over HTTP (discourse.http), against a real local server.

The server is ``http.server`` in a thread, bound to 127.0.0.1 on a free port;
nothing outside loopback is ever contacted (host names that are not IP
literals only appear with a stubbed resolver). Every feed and page is
invented for the tests: fictional outlets, fictional people.
"""

from __future__ import annotations

import functools
import gzip
import json
import shutil
import ssl
import subprocess
import threading
import time
import zlib
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from discourse.errors import InputError
from discourse.http import (
    USER_AGENT,
    Fetcher,
    FetchError,
    client,
    feeds,
    fetch_feeds,
    forbidden_reason,
    load_feeds,
    parse_feed,
    refuse_entity_declarations,
)
from discourse.store import open_store

# ------------------------------------------------------------------ fixtures

FURNITURE = ("NAVMARK", "COMMENTMARK", "SCRIPTMARK", "STYLEMARK")
CAP = 1_000_000  # max_bytes in these tests


def page(title: str, *sentences: str, site: str = "Northwind Courier") -> bytes:
    """An article page with navigation, a comment, scripts and styles around the text."""
    paras = "".join(
        f"<p>{s} The council will meet again next month to review the plan, "
        f"officials said on Thursday.</p>"
        for s in sentences
    )
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{title} | {site}</title><meta property="og:site_name" content="{site}">
<meta name="author" content="Tomas Reed">
<style>.STYLEMARK {{ display: none }}</style><script>var SCRIPTMARK = 1;</script></head>
<body><nav><a href="/">NAVMARK Home</a> <a href="/region">NAVMARK Region</a></nav>
<article><h1>{title}</h1>{paras}</article>
<div id="comments" class="comments"><p>COMMENTMARK First! This comment is not part of the
story and must never be stored with it.</p></div></body></html>""".encode()


ARTICLES = {
    "/a1.html": page(
        "Ferry timetable changes",
        "The valley ferry will run every half hour from May, the operator announced.",
    ),
    "/a2.html": page(
        "Bridge repairs begin",
        "Workers closed one lane of the old stone bridge for repairs expected to last six weeks.",
    ),
    "/b1.html": page(
        "Orchard harvest up",
        "Growers in the upper valley reported the largest apple harvest in a decade this autumn.",
    ),
    "/b2.html": page(
        "Library reopens",
        "The town library reopened after renovation with a "
        "new reading room for children and students.",
    ),
    "/c1.html": page(
        "Market day moved",
        "The weekly market will move to Saturdays while the square is being repaved by the town.",
    ),
}


def rss(base: str, items: list[tuple[str, str | None]], title: str = "Northwind Courier") -> bytes:
    """An RSS 2.0 document; each item is (title, link or None)."""
    parts = []
    for i, (item_title, link) in enumerate(items, 1):
        link_xml = f"<link>{link}</link>" if link is not None else ""
        parts.append(
            f"<item><title>{item_title}</title>{link_xml}"
            f"<pubDate>Tue, 0{i} Sep 2026 09:30:00 GMT</pubDate>"
            f"<description>Summary {i}</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>{base}/</link><description>News</description>"
        f"{''.join(parts)}</channel></rss>"
    ).encode()


def atom(base: str, entries: list[tuple[str, str]]) -> bytes:
    body = "".join(
        f'<entry><title>{t}</title><link rel="alternate" href="{href}"/>'
        f"<id>urn:saltmarsh:{i}</id><updated>2026-09-1{i}T07:00:00Z</updated>"
        f"<author><name>Ada Brook</name></author><summary>s</summary></entry>"
        for i, (t, href) in enumerate(entries, 1)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Saltmarsh Herald</title><id>urn:saltmarsh</id>"
        f'<updated>2026-09-19T07:00:00Z</updated><link href="{base}/"/>{body}</feed>'
    ).encode()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title><link>http://127.0.0.1/</link>
<description>x</description><item><title>&lol9;</title><link>http://127.0.0.1/a</link></item>
</channel></rss>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>x</title><link>http://127.0.0.1/</link><description>x
</description><item><title>&secret;</title><link>http://127.0.0.1/a</link></item></channel></rss>"""


class _Handler(BaseHTTPRequestHandler):
    server: _TestServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        srv = self.server
        path = self.path.split("?", 1)[0]
        with srv.lock:
            srv.log.append((path, dict(self.headers), time.monotonic()))
            srv.hits[path] = srv.hits.get(path, 0) + 1
            hit = srv.hits[path]
        route = srv.routes.get(path)
        try:
            if route is None:
                self.reply(404, b"<html><body>not here</body></html>")
            else:
                route(self, hit)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up, as it should on a bad answer

    def reply(
        self,
        status: int,
        body: bytes,
        ctype: str = "text/html; charset=utf-8",
        headers: dict | None = None,
        length: bool = True,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if length:
            self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class _TestServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict = {}
        self.log: list[tuple[str, dict, float]] = []
        self.hits: dict[str, int] = {}
        self.lock = threading.Lock()
        self.release = threading.Event()  # lets hanging handlers finish at teardown
        self.base = f"http://127.0.0.1:{self.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def paths(self) -> list[str]:
        with self.lock:
            return [p for p, _, _ in self.log]

    def clear(self) -> None:
        with self.lock:
            self.log.clear()


def _static(
    body: bytes,
    ctype: str = "text/html; charset=utf-8",
    status: int = 200,
    headers: dict | None = None,
):
    return lambda h, hit: h.reply(status, body, ctype, headers)


def _redirect(location: str, status: int = 302):
    return lambda h, hit: h.reply(status, b"", headers={"Location": location})


def _never_answers(h, hit):
    h.server.release.wait(10)


def _drips(h, hit):
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.end_headers()
    for _ in range(100):
        if h.server.release.wait(0.2):
            return
        h.wfile.write(b"<")
        h.wfile.flush()


def _drips_headers(h, hit):
    h.wfile.write(b"HTTP/1.0 200 OK\r\nX-Slow: ")
    for _ in range(100):
        if h.server.release.wait(0.2):
            return
        h.wfile.write(b"z")
        h.wfile.flush()


def _streams_forever(h, hit):
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.end_headers()  # no Content-Length: the body ends when the connection closes
    chunk = b"<p>" + b"x" * 65530 + b"</p>"
    for _ in range(100):
        h.wfile.write(chunk)


def _rate_limited(first_wait: str):
    def route(h, hit):
        if hit == 1:
            h.reply(429, b"slow down", headers={"Retry-After": first_wait})
        else:
            h.reply(200, ARTICLES["/a1.html"])

    return route


@functools.lru_cache(maxsize=1)
def _gzip_bomb() -> bytes:
    """About 20 KB on the wire, 20 MB once inflated."""
    return gzip.compress(b"<p>" + b"a" * (20 * CAP), 9)


@pytest.fixture
def server():
    srv = _TestServer()
    base = srv.base
    for path, body in ARTICLES.items():
        srv.routes[path] = _static(body)
    srv.routes.update(
        {
            "/rss.xml": _static(
                rss(
                    base,
                    [
                        ("Ferry timetable changes", f"{base}/a1.html"),
                        ("Bridge repairs begin", "/a2.html"),
                    ],
                ),
                "application/rss+xml",
            ),
            "/atom.xml": _static(
                atom(
                    base,
                    [
                        ("Orchard harvest up", f"{base}/b1.html"),
                        ("Library reopens", f"{base}/go/b2"),
                    ],
                ),
                "application/atom+xml",
            ),
            "/go/b2": _redirect("/b2.html"),
            "/broken.xml": _static(
                rss(
                    base,
                    [
                        ("Market day moved", f"{base}/c1.html"),
                        ("No link at all", None),
                        ("Gone", f"{base}/missing.html"),
                        ("Menu only", f"{base}/menu.html"),
                        ("Sneaky", f"{base}/to-file"),
                        ("Not even http", "ftp://127.0.0.1/x"),
                    ],
                ),
                "application/rss+xml",
            ),
            "/menu.html": _static(b"<html><body><nav><a href='/'>Home</a></nav></body></html>"),
            "/to-file": _redirect("file:///etc/passwd"),
            "/loop": _redirect("/loop"),
            "/slow.html": _never_answers,
            "/drip.html": _drips,
            "/drip-headers.html": _drips_headers,
            "/huge.html": _static(b"<p>" + b"x" * (CAP + 10) + b"</p>"),
            "/huge-stream.html": _streams_forever,
            "/bomb.html": _static(_gzip_bomb(), headers={"Content-Encoding": "gzip"}),
            "/laughs.xml": _static(BILLION_LAUGHS, "application/rss+xml"),
            "/xxe.xml": _static(XXE, "application/rss+xml"),
            "/limited.html": _rate_limited("1"),
            "/too-limited.html": _rate_limited("3600"),
            "/server-error.xml": _static(b"oops", "text/plain", status=500),
        }
    )
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.release.set()
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def feeds_file(tmp_path, *feeds: tuple[str, str]):
    text = "".join(f'[[feed]]\nsource = "{s}"\nurl = "{u}"\n\n' for s, u in feeds)
    path = tmp_path / "feeds.toml"
    path.write_text(text, encoding="utf-8")
    return path


def fetch_all(store, path, **kw):
    """fetch_feeds with the test settings: loopback allowed, no delay, short timeouts."""
    opts = {
        "allow_private": True,
        "delay": 0,
        "timeout": 1.0,
        "max_bytes": CAP,
        "warn": lambda m: None,
    }
    opts.update(kw)
    return fetch_feeds(store, path, **opts)


def fast_fetcher(**kw) -> Fetcher:
    opts = {"allow_private": True, "delay": 0, "timeout": 1.0, "max_bytes": CAP}
    opts.update(kw)
    return Fetcher(**opts)


# --------------------------------------------------------------- feeds.toml


def test_load_feeds(tmp_path):
    path = feeds_file(
        tmp_path,
        ("Northwind Courier", "https://northwind.example/rss.xml"),
        ("Saltmarsh Herald", "http://saltmarsh.example/atom"),
    )
    assert [(f.source, f.url) for f in load_feeds(path)] == [
        ("Northwind Courier", "https://northwind.example/rss.xml"),
        ("Saltmarsh Herald", "http://saltmarsh.example/atom"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[feed]]\nsource = "A"\nurl = https://a.example/\n',
            "is not valid TOML: Invalid value (at line 3, column 7)",
        ),
        (
            '[[feed]]\nsource = "A"\nurl = "https://a.example/"\n\n[[feed]]\nsource = "B"\n',
            "feed 2 (line 5) has no 'url'; every [[feed]] needs source and url",
        ),
        (
            '[[feed]]\nurl = "https://a.example/"\n',
            "feed 1 (line 1) has no 'source'; every [[feed]] needs source and url",
        ),
        (
            '[[feed]]\nsource = "A"\nurl = "file:///etc/passwd"\n',
            "feed 1 (line 1) url 'file:///etc/passwd' is not an http(s) URL; only http:// and "
            "https:// feeds are fetched",
        ),
        ('[[feed]]\nsource = "A"\nurl = "ftp://a.example/rss"\n', "is not an http(s) URL"),
        (
            '[[feed]]\nsource = ""\nurl = "https://a.example/"\n',
            "'source' must be a non-empty string",
        ),
        (
            '[[feed]]\nsource = "A"\nurl = "https://a.example/"\nlimit = 3\n',
            "feed 1 (line 1) has unknown key 'limit'; allowed keys: source, url",
        ),
        (
            '[feed]\nsource = "A"\nurl = "https://a.example/"\n',
            "'feed' must be an array of tables; write [[feed]], not [feed]",
        ),
        ('[[feeds]]\nsource = "A"\nurl = "https://a.example/"\n', "unknown top-level key 'feeds'"),
        ("# nothing yet\n", "lists no feeds; add [[feed]] tables with source and url"),
        (
            '[[feed]]\nsource = "A"\nurl = "https://a.example/"\n[[feed]]\nsource = "B"\n'
            'url = "https://a.example/"\n',
            "feed 2 (line 4) repeats the url of feed 1",
        ),
    ],
)
def test_bad_feeds_file_is_one_clear_line(tmp_path, text, message):
    path = tmp_path / "feeds.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_feeds(path)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_feeds_file(tmp_path):
    with pytest.raises(InputError, match="no feeds file at .*feeds.toml"):
        fetch_feeds(open_store(":memory:"), tmp_path / "feeds.toml")


# ----------------------------------------------------------- address policy


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.20", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("169.254.10.10", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-public"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "cloud metadata"),
        ("2002:7f00:1::", "loopback"),
        ("64:ff9b::a00:1", "private"),
    ],
)
def test_non_public_addresses_are_refused(address, why):
    assert why in forbidden_reason(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "2001:4860:4860::8888", "1.1.1.1"])
def test_public_addresses_are_allowed(address):
    assert forbidden_reason(address) is None  # a pure check: nothing is contacted


def test_loopback_server_refused_without_allow_private(tmp_path, server):
    path = feeds_file(tmp_path, ("Northwind Courier", server.url("/rss.xml")))
    store = open_store(":memory:")
    report = fetch_all(store, path, allow_private=False)
    [feed] = report.feeds
    assert feed.error.startswith("refused: 127.0.0.1 is 127.0.0.1, a loopback address")
    assert "--allow-private" in feed.error
    assert report.all_failed
    assert server.paths() == []  # refused before connecting
    assert store.count() == 0


def test_every_redirect_hop_is_checked(server, monkeypatch):
    # Let the test server's 127.0.0.1 count as public, nothing else: a redirect
    # to another loopback address must then be refused at that hop.
    real = forbidden_reason
    monkeypatch.setattr(client, "forbidden_reason", lambda a: None if a == "127.0.0.1" else real(a))
    port = server.server_address[1]
    server.routes["/hop"] = _redirect(f"http://127.0.0.2:{port}/a1.html")
    server.routes["/hop-meta"] = _redirect("http://169.254.169.254/latest/meta-data/")
    fetcher = fast_fetcher(allow_private=False)
    assert b"Ferry timetable" in fetcher.get(server.url("/a1.html")).body
    with pytest.raises(FetchError, match=r"refused: 127\.0\.0\.2 is 127\.0\.0\.2, a loopback"):
        fetcher.get(server.url("/hop"))
    with pytest.raises(FetchError, match="a cloud metadata address"):
        fetcher.get(server.url("/hop-meta"))
    assert server.paths() == ["/a1.html", "/hop", "/hop-meta"]


def test_connects_to_the_checked_address_and_names_the_host(server, monkeypatch):
    lookups: list[str] = []

    def resolver(host, port, timeout):
        lookups.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr(client, "_resolve", resolver)
    port = server.server_address[1]
    resp = fast_fetcher().get(f"http://news.northwind.invalid:{port}/a1.html")
    assert b"Ferry timetable" in resp.body
    assert lookups == ["news.northwind.invalid"]  # resolved once, that answer used
    [(_, headers, _)] = server.log
    assert headers["Host"] == f"news.northwind.invalid:{port}"


# ---------------------------------------------------------------- feeds


def test_rss_and_atom_feeds_are_fetched_and_stored(tmp_path, server):
    path = feeds_file(
        tmp_path,
        ("Northwind Courier", server.url("/rss.xml")),
        ("Saltmarsh Herald", server.url("/atom.xml")),
    )
    store = open_store(":memory:")
    progress: list[str] = []
    report = fetch_all(store, path, progress=progress.append)
    assert [(f.source, f.new, f.already_stored, f.failed, f.error) for f in report.feeds] == [
        ("Northwind Courier", 2, 0, [], None),
        ("Saltmarsh Herald", 2, 0, [], None),
    ]
    assert not report.all_failed
    arts = {a.url: a for a in store.iter_articles()}
    assert set(arts) == {server.url(p) for p in ("/a1.html", "/a2.html", "/b1.html", "/go/b2")}
    a1 = arts[server.url("/a1.html")]
    assert (a1.source, a1.title, a1.author) == (
        "Northwind Courier",
        "Ferry timetable changes",
        "Tomas Reed",
    )
    assert a1.date == "2026-09-01T09:30:00+00:00"  # the feed's own date
    assert "valley ferry will run every half hour" in a1.text
    b2 = arts[server.url("/go/b2")]  # stored under the feed's link, not the redirect target
    assert b2.source == "Saltmarsh Herald" and "new reading room" in b2.text
    assert arts[server.url("/b1.html")].date == "2026-09-11T07:00:00+00:00"
    for art in arts.values():
        for marker in FURNITURE:
            assert marker not in art.text
    assert sorted(server.paths()) == sorted(
        ["/rss.xml", "/a1.html", "/a2.html", "/atom.xml", "/b1.html", "/go/b2", "/b2.html"]
    )
    assert report.requests == 7
    assert all(headers["User-Agent"] == USER_AGENT for _, headers, _ in server.log)
    assert USER_AGENT.startswith("discourse/") and "(+https://discourse.example/bot)" in USER_AGENT
    assert progress[0] == f"Northwind Courier: fetching feed {server.url('/rss.xml')}"
    lines = report.summary_lines()
    assert lines[0] == (
        f"Northwind Courier ({server.url('/rss.xml')}): 2 new, 0 already stored, 0 failed"
    )
    assert lines[-1] == "total: 4 new, 0 already stored, 0 failed; 0 of 2 feeds failed"
    json.dumps(report.as_dict())


def test_second_run_downloads_only_the_feeds_and_stores_nothing(tmp_path, server):
    path = feeds_file(
        tmp_path,
        ("Northwind Courier", server.url("/rss.xml")),
        ("Saltmarsh Herald", server.url("/atom.xml")),
    )
    store = open_store(tmp_path / "discourse.db")
    assert fetch_all(store, path).new == 4
    server.clear()
    again = fetch_all(store, path)
    assert server.paths() == ["/rss.xml", "/atom.xml"]
    assert again.new == 0
    assert [f.already_stored for f in again.feeds] == [2, 2]
    assert store.count() == 4
    assert not again.all_failed


def test_dry_run_lists_pages_and_stores_nothing(tmp_path, server):
    path = feeds_file(tmp_path, ("Northwind Courier", server.url("/rss.xml")))
    store = open_store(":memory:")
    report = fetch_all(store, path, dry_run=True)
    assert server.paths() == ["/rss.xml"]
    assert store.count() == 0
    [feed] = report.feeds
    assert feed.would_fetch == [server.url("/a1.html"), server.url("/a2.html")]
    assert report.summary_lines() == [
        f"Northwind Courier ({server.url('/rss.xml')}): would fetch 2, 0 already stored, 0 failed",
        f"  would fetch {server.url('/a1.html')}",
        f"  would fetch {server.url('/a2.html')}",
        "total: would fetch 2, 0 already stored, 0 failed; 0 of 1 feed failed "
        "(dry run: nothing stored)",
    ]
    assert report.as_dict()["dry_run"] is True


def test_broken_entries_are_counted_and_the_rest_is_kept(tmp_path, server):
    path = feeds_file(tmp_path, ("Northwind Courier", server.url("/broken.xml")))
    store = open_store(":memory:")
    report = fetch_all(store, path)
    [feed] = report.feeds
    assert feed.new == 1 and feed.error is None and feed.ok
    reasons = dict(feed.failed)
    assert reasons[f"{server.url('/broken.xml')} entry 2 ('No link at all')"] == "entry has no link"
    assert reasons["ftp://127.0.0.1/x"] == "not an http(s) URL: 'ftp://127.0.0.1/x'"
    assert reasons[server.url("/missing.html")] == "HTTP 404 Not Found"
    assert reasons[server.url("/menu.html")].startswith("no article text found in HTML")
    assert reasons[server.url("/to-file")] == (
        "redirect to 'file:///etc/passwd' refused: only http and https URLs are fetched"
    )
    assert len(feed.failed) == 5
    assert [a.title for a in store.iter_articles()] == ["Market day moved"]
    assert f"  failed {server.url('/missing.html')}: HTTP 404 Not Found" in report.summary_lines()


def test_a_failing_feed_does_not_stop_the_others(tmp_path, server):
    path = feeds_file(
        tmp_path,
        ("Broken Bugle", server.url("/server-error.xml")),
        ("Quiet Quarterly", server.url("/slow.html")),
        ("Northwind Courier", server.url("/rss.xml")),
        ("Nowhere News", server.url("/no-such-feed.xml")),
        ("Plain Page", server.url("/a1.html")),
    )
    store = open_store(":memory:")
    report = fetch_all(store, path, timeout=0.5)
    errors = {f.source: f.error for f in report.feeds}
    assert errors["Broken Bugle"] == "HTTP 500 Internal Server Error"
    assert errors["Quiet Quarterly"] == "timed out after 0.5 s"
    assert errors["Nowhere News"] == "HTTP 404 Not Found"
    assert errors["Plain Page"].startswith("not an RSS or Atom feed")
    assert errors["Northwind Courier"] is None
    assert store.count() == 2
    assert not report.all_failed
    assert report.summary_lines()[-1].endswith("4 of 5 feeds failed")


def test_all_feeds_failing_is_reported(tmp_path, server):
    path = feeds_file(
        tmp_path,
        ("Broken Bugle", server.url("/server-error.xml")),
        ("Laughing Ledger", server.url("/laughs.xml")),
    )
    report = fetch_all(open_store(":memory:"), path)
    assert report.all_failed
    assert report.as_dict()["all_failed"] is True


def test_feed_whose_pages_all_fail_counts_as_failed(tmp_path, server):
    server.routes["/dead.xml"] = _static(
        rss(server.base, [("Gone", server.url("/gone1")), ("Gone too", server.url("/gone2"))])
    )
    path = feeds_file(tmp_path, ("Dead Links Daily", server.url("/dead.xml")))
    report = fetch_all(open_store(":memory:"), path)
    assert report.feeds[0].error is None
    assert not report.feeds[0].ok
    assert report.all_failed


# ------------------------------------------------------------ hostile XML


def test_billion_laughs_feed_is_refused_quickly_and_others_go_on(tmp_path, server):
    path = feeds_file(
        tmp_path,
        ("Laughing Ledger", server.url("/laughs.xml")),
        ("Leaky Ledger", server.url("/xxe.xml")),
        ("Northwind Courier", server.url("/rss.xml")),
    )
    store = open_store(":memory:")
    started = time.monotonic()
    report = fetch_all(store, path)
    assert time.monotonic() - started < 5
    laughs, xxe, good = report.feeds
    assert laughs.error.startswith("feed refused: it declares XML entities")
    assert xxe.error.startswith("feed refused: it declares XML entities")
    assert good.new == 2
    assert "/a" not in server.paths()  # no entry of a refused feed was followed


@pytest.mark.parametrize(
    "raw",
    [
        BILLION_LAUGHS,
        BILLION_LAUGHS.decode().encode("utf-16"),  # with a BOM
        BILLION_LAUGHS.decode().encode("utf-16-le"),  # without one
        XXE,
        b'<?xml version="1.0"?><!doctype rss [<!element rss ANY>]><rss version="2.0"/>',
    ],
)
def test_entity_declarations_are_refused_before_parsing(raw, monkeypatch):
    monkeypatch.setattr(feeds.feedparser, "parse", lambda *a, **k: pytest.fail("parsed"))
    with pytest.raises(FetchError, match="declares XML entities"):
        parse_feed(raw, "http://127.0.0.1/feed")


def test_entity_text_inside_cdata_or_comments_is_fine():
    raw = (
        b'<?xml version="1.0"?><!-- <!ENTITY a "b"> --><rss version="2.0"><channel><title>t'
        b"</title><item><title>XML tips</title><link>http://127.0.0.1/x</link><description>"
        b'<![CDATA[Never write <!ENTITY lol "lol"> in a feed.]]></description></item>'
        b"</channel></rss>"
    )
    refuse_entity_declarations(raw)
    parsed = parse_feed(raw, "http://127.0.0.1/feed")
    assert parsed.entries[0].title == "XML tips"


def test_feed_bytes_naming_a_local_file_are_not_opened(tmp_path, server):
    secret = tmp_path / "local-feed.xml"
    secret.write_bytes(rss(server.base, [("LOCAL FILE WAS READ", server.url("/a1.html"))]))
    server.routes["/path-feed"] = _static(str(secret).encode(), "text/plain")
    path = feeds_file(tmp_path, ("Trick Times", server.url("/path-feed")))
    store = open_store(":memory:")
    report = fetch_all(store, path)
    assert report.feeds[0].error.startswith("not an RSS or Atom feed")
    assert store.count() == 0
    assert server.paths() == ["/path-feed"]


# ------------------------------------------------------------- hostile HTTP


def test_redirect_is_followed(server):
    resp = fast_fetcher().get(server.url("/go/b2"))
    assert resp.url == server.url("/b2.html")
    assert b"Library reopens" in resp.body


def test_redirect_to_a_file_url_is_refused(server):
    with pytest.raises(FetchError, match="redirect to 'file:///etc/passwd' refused"):
        fast_fetcher().get(server.url("/to-file"))


def test_redirect_loop_stops_after_five_hops(server):
    with pytest.raises(FetchError, match=r"too many redirects \(more than 5\)"):
        fast_fetcher().get(server.url("/loop"))
    assert server.paths() == ["/loop"] * 6


def test_page_that_never_answers_times_out(server):
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"^timed out after 0\.5 s$"):
        fast_fetcher(timeout=0.5).get(server.url("/slow.html"))
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("path", ["/drip.html", "/drip-headers.html"])
def test_dripping_page_hits_the_overall_deadline(server, path):
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"no complete answer within the 1 s deadline"):
        fast_fetcher(timeout=0.5, deadline=1.0).get(server.url(path))
    assert time.monotonic() - started < 2.5


def test_huge_page_is_refused_by_its_length(server):
    with pytest.raises(FetchError, match=f"too large: Content-Length {CAP + 17} bytes is over"):
        fast_fetcher().get(server.url("/huge.html"))


def test_huge_page_without_length_is_cut_at_the_cap(server):
    with pytest.raises(FetchError, match=f"too large: over the {CAP}-byte cap"):
        fast_fetcher().get(server.url("/huge-stream.html"))


def test_gzip_bomb_is_refused(server):
    started = time.monotonic()
    with pytest.raises(FetchError, match="decompressed body over the 1000000-byte cap"):
        fast_fetcher().get(server.url("/bomb.html"))
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate", "gzip-members"])
def test_compressed_answers_are_decoded(server, encoding):
    body = ARTICLES["/a1.html"]
    packed = {
        "gzip": lambda: gzip.compress(body),
        "deflate": lambda: zlib.compress(body),
        "raw-deflate": lambda: zlib.compress(body)[2:-4],
        "gzip-members": lambda: gzip.compress(body[:100]) + gzip.compress(body[100:]),
    }
    header = "deflate" if "deflate" in encoding else "gzip"
    server.routes["/packed"] = _static(packed[encoding](), headers={"Content-Encoding": header})
    assert fast_fetcher().get(server.url("/packed")).body == body


def test_unknown_content_encoding_is_refused(server):
    server.routes["/br"] = _static(b"\x0b\x02\x80", headers={"Content-Encoding": "br"})
    with pytest.raises(FetchError, match="unsupported Content-Encoding 'br'"):
        fast_fetcher().get(server.url("/br"))


def test_retry_after_is_honoured(server):
    started = time.monotonic()
    resp = fast_fetcher().get(server.url("/limited.html"))
    waited = time.monotonic() - started
    assert b"Ferry timetable" in resp.body
    assert 0.9 <= waited < 3
    assert server.paths() == ["/limited.html", "/limited.html"]


def test_retry_after_as_an_http_date(server):
    when = format_datetime(datetime.fromtimestamp(time.time() + 1, timezone.utc), usegmt=True)
    server.routes["/dated.html"] = _rate_limited(when)
    assert b"Ferry" in fast_fetcher().get(server.url("/dated.html")).body


def test_long_retry_after_fails_at_once(server):
    started = time.monotonic()
    with pytest.raises(
        FetchError,
        match="HTTP 429 Too Many Requests: Retry-After 3600 s is "
        "longer than the 60 s this tool waits",
    ):
        fast_fetcher().get(server.url("/too-limited.html"))
    assert time.monotonic() - started < 1


def test_retries_are_limited(server):
    server.routes["/always-busy"] = _static(b"busy", status=503, headers={"Retry-After": "0"})
    with pytest.raises(FetchError, match="HTTP 503 Service Unavailable, still after 1 retry"):
        fast_fetcher().get(server.url("/always-busy"))
    assert server.paths() == ["/always-busy"] * 2


def test_rate_limited_page_in_a_feed_is_fetched_after_the_wait(tmp_path, server):
    server.routes["/now.html"] = _rate_limited("0")
    server.routes["/limited.xml"] = _static(rss(server.base, [("Ferry", server.url("/now.html"))]))
    feeds = feeds_file(tmp_path, ("N", server.url("/limited.xml")))
    report = fetch_all(open_store(":memory:"), feeds)
    assert report.feeds[0].new == 1


def test_delay_between_requests_to_one_host(server):
    fetcher = fast_fetcher(delay=0.3)
    for path in ("/a1.html", "/a2.html", "/b1.html"):
        fetcher.get(server.url(path))
    times = [t for _, _, t in server.log]
    assert min(b - a for a, b in zip(times, times[1:])) >= 0.28


def test_only_http_and_https_urls(server):
    for url in (
        "file:///etc/passwd",
        "ftp://127.0.0.1/",
        "gopher://127.0.0.1/",
        "http:///nohost",
        "http://user:pw@127.0.0.1/",
    ):
        with pytest.raises(FetchError):
            fast_fetcher().get(url)
    assert server.paths() == []


def test_header_charset_wins_for_pages(tmp_path, server):
    text = (
        "Le caf\u00e9 du port a rouvert ses portes apr\u00e8s des mois de travaux, et "
        "les habitants sont venus nombreux. "
    ) * 3
    body = f"<html><head><title>Caf\u00e9</title></head><body><p>{text}</p></body></html>"
    server.routes["/cafe.html"] = _static(body.encode("latin-1"), "text/html; charset=ISO-8859-1")
    server.routes["/cafe.xml"] = _static(
        rss(server.base, [("Caf\u00e9", server.url("/cafe.html"))])
    )
    store = open_store(":memory:")
    warnings: list[str] = []
    fetch_all(
        store, feeds_file(tmp_path, ("Port Gazette", server.url("/cafe.xml"))), warn=warnings.append
    )
    [art] = store.iter_articles()
    assert "caf\u00e9 du port" in art.text and "apr\u00e8s" in art.text
    assert warnings == []


def test_non_html_page_is_refused(tmp_path, server):
    server.routes["/photo.jpg"] = _static(b"\xff\xd8\xff\xe0" + bytes(100), "image/jpeg")
    server.routes["/photo.xml"] = _static(rss(server.base, [("Photo", server.url("/photo.jpg"))]))
    feeds = feeds_file(tmp_path, ("P", server.url("/photo.xml")))
    report = fetch_all(open_store(":memory:"), feeds)
    assert report.feeds[0].failed == [(server.url("/photo.jpg"), "not an HTML page (image/jpeg)")]


# -------------------------------------------------------------------- TLS

TLS_HOST = "news.northwind.invalid"


@pytest.fixture(scope="module")
def tls_cert(tmp_path_factory):
    """A throwaway self-signed certificate for TLS_HOST, made with the openssl tool."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            f"/CN={TLS_HOST}",
            "-addext",
            f"subjectAltName=DNS:{TLS_HOST}",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_server(tls_cert, monkeypatch):
    cert, key = tls_cert
    srv = _TestServer()
    srv.routes["/a1.html"] = _static(ARTICLES["/a1.html"])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    monkeypatch.setattr(client, "_resolve", lambda host, port, timeout: ["127.0.0.1"])
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def test_https_to_the_pinned_address_checks_the_host_name(tls_server, tls_cert):
    port = tls_server.server_address[1]
    trusting = ssl.create_default_context(cafile=str(tls_cert[0]))
    resp = fast_fetcher(ssl_context=trusting).get(f"https://{TLS_HOST}:{port}/a1.html")
    assert b"Ferry timetable" in resp.body
    [(_, headers, _)] = tls_server.log
    assert headers["Host"] == f"{TLS_HOST}:{port}"
    with pytest.raises(FetchError, match="TLS certificate not valid"):
        fast_fetcher(ssl_context=trusting).get(f"https://other.northwind.invalid:{port}/a1.html")
    with pytest.raises(FetchError, match="TLS certificate not valid"):
        fast_fetcher().get(f"https://{TLS_HOST}:{port}/a1.html")  # self-signed: not trusted
    assert len(tls_server.log) == 1
