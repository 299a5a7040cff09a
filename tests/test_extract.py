"""Saved HTML pages -> articles (discourse.extract), alone and through ingest.

Every page here is invented for the tests: fictional outlets, fictional people.
"""

from __future__ import annotations

import pytest

from discourse import extract
from discourse.extract import NO_TEXT, article_from_html, declared_charset
from discourse.ingest import IngestOptions, ingest
from discourse.models import Article, Skip
from discourse.store import open_store

# Markers that must never reach article text: each sits in page furniture.
FURNITURE = ("NAVMARK", "COMMENTMARK", "SCRIPTMARK", "STYLEMARK", "FOOTERMARK", "SIDEMARK")

BODY = (
    "Negotiators from the two coastal provinces met again on Tuesday to discuss the shared "
    "harbour, after a pause of several months that had worried fishing communities.",
    "The delegations described the mood as constructive and said that a joint committee "
    "would draft rules for the northern quay before the summer season begins.",
    "Local traders welcomed the news but warned that any agreement must include the small "
    "boat owners who depend on the harbour for their living.",
)


def lantern_page(
    *,
    site: str | None = "The Lantern Gazette",
    canonical: str | None = "https://lantern.example/world/harbour-talks",
    lang: str = "en-GB",
) -> str:
    """A full news page of the fictional Lantern Gazette, with every kind of furniture."""
    site_meta = f'<meta property="og:site_name" content="{site}">' if site else ""
    canon = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    paragraphs = "\n".join(f"<p>{p}</p>" for p in BODY)
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<title>Harbour talks resume | The Lantern Gazette</title>
{site_meta}
<meta property="og:title" content="Harbour talks resume">
<meta name="author" content="Mira Quell">
<meta property="article:published_time" content="2024-03-14T08:15:00+00:00">
{canon}
<style>.STYLEMARK {{ color: red }} body {{ margin: 0 }}</style>
<script>var SCRIPTMARK = "tracking";</script>
</head><body>
<nav class="menu"><ul><li><a href="/">NAVMARK Home</a></li><li><a href="/world">NAVMARK World</a>
</li><li><a href="/sport">NAVMARK Sport</a></li></ul></nav>
<main><article><h1>Harbour talks resume</h1>
<p class="byline">By Mira Quell</p>
{paragraphs}
</article>
<aside class="sidebar related"><h3>Most read</h3><ul><li><a href="/x">SIDEMARK Lighthouse
keeper retires</a></li><li><a href="/y">SIDEMARK Ferry fares rise</a></li></ul></aside>
<section id="comments" class="comments"><h2>Comments</h2>
<div class="comment"><p>COMMENTMARK I have said for years that nobody listens to the small boat
owners, and this proves it once again.</p></div></section></main>
<footer class="site-footer"><p>FOOTERMARK Copyright The Lantern Gazette. All rights reserved.</p>
</footer>
<script>document.write("SCRIPTMARK again");</script>
</body></html>
"""


def _no_warn(msg: str) -> None:
    raise AssertionError(f"unexpected warning: {msg}")


def test_saved_page_through_ingest_keeps_only_the_article(tmp_path):
    outlet = tmp_path / "corpus" / "Lantern"
    outlet.mkdir(parents=True)
    (outlet / "harbour.html").write_text(lantern_page(), encoding="utf-8")
    store = open_store(":memory:")
    report = ingest(store, [tmp_path / "corpus"], warn=_no_warn)
    assert (report.added, report.skipped) == (1, [])
    [art] = list(store.iter_articles())
    for marker in FURNITURE:
        assert marker not in art.text, marker
    for paragraph in BODY:
        assert paragraph in art.text
    assert not art.text.startswith("Harbour talks resume")  # the <h1> is the title, not text
    assert art.title == "Harbour talks resume"
    assert art.source == "Lantern"  # the outlet folder
    assert art.date == "2024-03-14"
    assert art.author == "Mira Quell"
    assert art.url == "https://lantern.example/world/harbour-talks"
    assert art.lang == "en"


def test_source_option_beats_folder_and_site_name(tmp_path):
    page = tmp_path / "Downloads" / "harbour.htm"
    page.parent.mkdir()
    page.write_text(lantern_page(), encoding="utf-8")
    store = open_store(":memory:")
    ingest(store, [page], IngestOptions(source="Lantern Gazette"), warn=_no_warn)
    assert [a.source for a in store.iter_articles()] == ["Lantern Gazette"]


@pytest.mark.parametrize(
    ("source", "fallback", "site", "expected"),
    [
        ("Given", "folder", "The Lantern Gazette", "Given"),
        (None, "folder", "The Lantern Gazette", "folder"),
        (None, None, "The Lantern Gazette", "The Lantern Gazette"),
    ],
)
def test_source_precedence(source, fallback, site, expected):
    art = article_from_html(
        lantern_page(site=site).encode(),
        origin="p.html",
        source=source,
        fallback_source=fallback,
        warn=_no_warn,
    )
    assert isinstance(art, Article)
    assert art.source == expected


def test_without_site_name_the_host_names_the_source():
    art = article_from_html(
        lantern_page(site=None, canonical=None).encode(),
        origin="p.html",
        source=None,
        fallback_source=None,
        warn=_no_warn,
        url="https://www.lantern.example/world/harbour-talks",
    )
    assert art.source == "lantern.example"
    assert art.url == "https://www.lantern.example/world/harbour-talks"


def test_relative_canonical_is_made_absolute_against_the_page_url():
    art = article_from_html(
        lantern_page(canonical="/world/harbour-talks").encode(),
        origin="p",
        source=None,
        fallback_source="f",
        warn=_no_warn,
        url="https://lantern.example/feeds/item?id=7",
    )
    assert art.url == "https://lantern.example/world/harbour-talks"


def test_non_http_canonical_is_ignored():
    art = article_from_html(
        lantern_page(canonical="javascript:alert(1)").encode(),
        origin="p",
        source=None,
        fallback_source="f",
        warn=_no_warn,
    )
    assert art.url == ""


@pytest.mark.parametrize(
    "html",
    [
        "<html><head><script>var x = 1;</script><style>p { color: red }</style></head>"
        "<body></body></html>",
        "<html><body><nav><a href='/'>Home</a> <a href='/w'>World</a></nav></body></html>",
        "<html><head><title>Only a title</title></head><body>   </body></html>",
    ],
)
def test_page_without_article_text_is_skipped(html):
    result = article_from_html(
        html.encode(), origin="empty.html", source=None, fallback_source="f", warn=_no_warn
    )
    assert isinstance(result, Skip)
    assert result.reason.startswith(NO_TEXT)


def test_ingest_counts_a_page_without_text_as_skipped(tmp_path):
    (tmp_path / "menu.html").write_text("<html><body><nav>Home</nav></body></html>")
    store = open_store(":memory:")
    warnings: list[str] = []
    report = ingest(store, [tmp_path / "menu.html"], warn=warnings.append)
    assert report.added == 0
    assert [s.reason for s in report.skipped] == [f"{NO_TEXT} (only 1 word)"]
    assert report.skip_reasons == {NO_TEXT: 1}


def _latin_page(meta: str) -> bytes:
    body = (
        "Le caf\u00e9 du port a rouvert ses portes apr\u00e8s des mois de travaux, "
        "et les habitants sont venus nombreux go\u00fbter la nouvelle carte. "
    ) * 3
    html = (
        f"<html lang='fr'><head>{meta}<title>Caf\u00e9</title></head><body><article>"
        f"<p>{body}</p></article></body></html>"
    )
    return html.encode("cp1252")


@pytest.mark.parametrize(
    "meta",
    [
        "<meta charset='iso-8859-1'>",
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">',
    ],
)
def test_declared_charset_is_used(meta):
    art = article_from_html(
        _latin_page(meta), origin="p", source="S", fallback_source=None, warn=_no_warn
    )
    assert "caf\u00e9 du port" in art.text and "go\u00fbter" in art.text
    assert art.title == "Caf\u00e9"
    assert art.lang == "fr"


def test_undeclared_non_utf8_page_is_read_as_windows_1252_with_a_warning():
    warnings: list[str] = []
    art = article_from_html(
        _latin_page(""), origin="old.html", source="S", fallback_source=None, warn=warnings.append
    )
    assert "apr\u00e8s" in art.text
    assert warnings == ["old.html: not valid UTF-8; read as Windows-1252"]


def test_utf16_page_with_bom():
    html = lantern_page().replace('<meta charset="utf-8">', "")
    art = article_from_html(
        html.encode("utf-16"), origin="p", source="S", fallback_source=None, warn=_no_warn
    )
    assert BODY[0] in art.text


def test_xhtml_with_an_xml_encoding_declaration():
    html = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" lang="de"><head><title>Hafen</title>'
        "</head><body><p>" + "Die Gespr\u00e4che \u00fcber den Hafen wurden am Dienstag "
        "wieder aufgenommen, nach einer langen Pause. " * 3 + "</p></body></html>"
    )
    art = article_from_html(
        html.encode("latin-1"), origin="p", source="S", fallback_source=None, warn=_no_warn
    )
    assert "Gespr\u00e4che \u00fcber" in art.text
    assert art.lang == "de"


def test_declared_charset_names():
    assert declared_charset(b'<meta charset="ISO-8859-1">') == "cp1252"
    assert declared_charset(b"<meta charset=utf-8>") == "utf-8"
    assert declared_charset(b"<?xml version='1.0' encoding='koi8-r'?><html>") == "koi8-r"
    assert declared_charset(b'<meta charset="no-such-charset">') is None
    assert declared_charset(b"<html><body>no declaration</body></html>") is None


def test_binary_data_is_skipped():
    result = article_from_html(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200),
        origin="x",
        source=None,
        fallback_source="f",
        warn=_no_warn,
    )
    assert result == Skip("x", "binary file (contains NUL bytes)")


def test_compressed_bytes_are_not_inflated():
    import gzip

    bomb = gzip.compress(lantern_page().encode() * 50)
    result = article_from_html(
        bomb, origin="x.html", source=None, fallback_source="f", warn=lambda m: None
    )
    assert isinstance(result, Skip)  # read as (binary) bytes, never decompressed


def test_oversized_page_is_skipped(monkeypatch):
    monkeypatch.setattr(extract, "MAX_HTML_BYTES", 1000)
    result = article_from_html(
        lantern_page().encode(), origin="big.html", source=None, fallback_source="f", warn=_no_warn
    )
    assert isinstance(result, Skip)
    assert result.reason.startswith("HTML page too large")
