"""Saved or fetched HTML page -> one :class:`~discourse.models.Article`.

The only module that imports trafilatura. Main text, title, date, author,
canonical URL and site name come from a real extractor, never from hand-written
tag stripping, so navigation, comments, scripts and styles stay out of the text.

Bytes are decoded here rather than by trafilatura: a BOM wins, then valid UTF-8,
then the charset the page declares (``<meta charset>``, ``http-equiv`` or the
XML declaration), then Windows-1252. Handing trafilatura a ``str`` also keeps it
from guessing encodings and from transparently decompressing gzip/brotli
payloads hidden in a ``.html`` file.
"""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
from urllib.parse import urljoin, urlsplit

import trafilatura

from discourse.dates import parse_article_date
from discourse.models import Article, Skip
from discourse.shared import Warn

#: Pages larger than this are skipped even if a caller forgot to cap them:
#: extraction time and memory grow with the size of the parsed tree.
MAX_HTML_BYTES = 50_000_000

NO_TEXT = "no article text found in HTML"

#: Fewer words than this is not an article: when a page has no main text,
#: trafilatura's last-resort fallback returns whatever is left (a menu, a
#: copyright line), and that must not be stored as one.
MIN_WORDS = 8

# WHATWG: these labels mean windows-1252 in HTML, which is a superset of them.
_LATIN1_LABELS = {
    "iso-8859-1",
    "iso8859-1",
    "latin-1",
    "latin1",
    "l1",
    "ascii",
    "us-ascii",
    "iso_8859-1",
    "cp819",
    "ibm819",
    "iso-ir-100",
    "windows-1252",
    "cp1252",
}
_CHARSET_RE = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_XML_ENCODING_RE = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)""", re.I)
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_LINK_TAG_RE = re.compile(r"<link\b[^>]*>", re.I)
_ATTR_RE = re.compile(r"""\b(rel|href)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_HTML_LANG_RE = re.compile(r"""<html\b[^>]*?\blang\s*=\s*["']?\s*([A-Za-z]{2,3})\b""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Dates only from the page's markup (meta tags, JSON-LD, <time>, the URL): an
# "extensive" search guesses from any date-like string in the text.
_DATE_PARAMS = {"extensive_search": False, "original_date": True}

# trafilatura and its helpers log parse problems at ERROR level; without a handler,
# Python's last-resort handler would print them on stderr beside our own warnings.
# A NullHandler keeps them quiet while still letting an application's root handler
# see them.
for _name in ("trafilatura", "htmldate", "courlan", "justext", "readability"):
    logging.getLogger(_name).addHandler(logging.NullHandler())


def declared_charset(raw: bytes) -> str | None:
    """The Python codec name a page declares for itself, or None if it declares none we know."""
    head = raw[:4096]
    m = _XML_ENCODING_RE.match(head) or _CHARSET_RE.search(head)
    if not m:
        return None
    label = m.group(1).decode("ascii", "replace").strip().lower()
    if label in _LATIN1_LABELS:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_html(raw: bytes, origin: str, warn: Warn) -> str | Skip:
    """Bytes of a page -> text, or a Skip for binary data.

    Order: a byte-order mark; valid UTF-8 (mislabelled UTF-8 pages are common and
    non-ASCII Windows-1252 text is practically never valid UTF-8); the declared
    charset; Windows-1252 with a warning.
    """
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            return raw.decode(codec, errors="replace")
    if b"\x00" in raw[:8192]:
        return Skip(origin, "binary file (contains NUL bytes)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = declared_charset(raw)
    if declared and declared not in ("utf-8", "utf_8"):
        try:
            return raw.decode(declared)
        except UnicodeDecodeError:
            warn(f"{origin}: not valid {declared} as declared; undecodable bytes replaced")
            return raw.decode(declared, errors="replace")
    warn(f"{origin}: not valid UTF-8{' as declared' if declared else ''}; read as Windows-1252")
    return raw.decode("cp1252", errors="replace")


def _field(data: dict, key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(v) for v in value if v)
    return " ".join(str(value).split())


def _link_canonical(html: str) -> str:
    """The href of ``<link rel="canonical">`` as written (possibly relative), or ""."""
    for tag in _LINK_TAG_RE.findall(html[:200_000]):
        attrs = {
            m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
            for m in _ATTR_RE.finditer(tag)
        }
        if "canonical" in attrs.get("rel", "").lower().split() and attrs.get("href", "").strip():
            return attrs["href"].strip()
    return ""


def _canonical_url(html: str, found: str, url: str | None) -> str:
    """The page's canonical URL, made absolute against ``url``; else ``url``.

    trafilatura drops a relative canonical link, so the link is read here first;
    its own answer (``og:url`` and friends) comes next. Only http(s) URLs are kept.
    """
    for candidate in (_link_canonical(html), found):
        if candidate and url:
            candidate = urljoin(url, candidate)
        if candidate and urlsplit(candidate).scheme in ("http", "https"):
            return candidate
    return url or ""


def _strip_title_line(text: str, title: str) -> str:
    """Drop a first line that only repeats the title (the page's <h1>)."""
    first, sep, rest = text.partition("\n")
    if title and sep and first.strip().casefold() == title.strip().casefold():
        return rest.strip()
    return text


def article_from_html(
    raw: bytes,
    origin: str,
    source: str | None,
    fallback_source: str | None,
    warn: Warn,
    url: str | None = None,
    default_source: str | None = None,
) -> Article | Skip:
    """Extract the article of one HTML page.

    ``source`` (from ``--source``, or a feed's configured source) wins; then
    ``fallback_source`` (the outlet folder the page was found in); then the site
    name in the page's metadata (``og:site_name``, JSON-LD publisher, or the
    host name); then ``default_source`` (the flat folder of saved pages). ``url``
    is where the page was fetched from: it resolves a relative canonical link and
    is the URL used when the page declares none.
    Returns a :class:`Skip` when there is no article text, never raises for a
    bad page.
    """
    if len(raw) > MAX_HTML_BYTES:
        return Skip(origin, f"HTML page too large ({len(raw)} bytes > {MAX_HTML_BYTES})")
    if not raw.strip():
        return Skip(origin, "empty file")
    html = decode_html(raw, origin, warn)
    if isinstance(html, Skip):
        return html
    # lxml refuses str input with an encoding declaration; the text is decoded already.
    html = _XML_DECL_RE.sub("", html, count=1)
    try:
        doc = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            include_formatting=False,
            date_extraction_params=dict(_DATE_PARAMS),
        )
    except Exception as e:  # one bad page must never stop a batch, whatever lxml raises
        return Skip(origin, f"unreadable HTML ({type(e).__name__}: {e})")
    if doc is None:
        return Skip(origin, NO_TEXT)
    # trafilatura >= 2 returns a Document, 1.x a dict.
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    title = _field(data, "title")
    text = unicodedata.normalize("NFC", (data.get("text") or "").replace("\r\n", "\n")).strip()
    text = _strip_title_line(text, title)
    if not text:
        return Skip(origin, NO_TEXT)
    n_words = len(text.split())
    if n_words < MIN_WORDS:
        return Skip(origin, f"{NO_TEXT} (only {n_words} word{'s' if n_words != 1 else ''})")

    raw_date = _field(data, "date")
    date = parse_article_date(raw_date) if raw_date else None
    if raw_date and date is None:
        warn(f"{origin}: unreadable date {raw_date!r}; stored without a date")
    lang_match = _HTML_LANG_RE.search(html[:8192])
    chosen_source = source or fallback_source or _field(data, "sitename") or default_source
    if not chosen_source:
        warn(
            f"{origin}: no source (no folder, no site name in the page); stored as 'unknown' "
            "- give `source`"
        )
        chosen_source = "unknown"
    return Article(
        text=text,
        source=chosen_source,
        title=title,
        date=date,
        url=_canonical_url(html, _field(data, "url"), url),
        lang=lang_match.group(1).lower() if lang_match else "en",
        author=_field(data, "author"),
        origin=origin,
    )
