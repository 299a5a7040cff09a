"""RSS/Atom feeds: ``feeds.toml``, parsing (feedparser, given bytes, never a URL), and the
run that stores each new article as soon as it is downloaded (an interrupted run keeps
them), within a time budget for the whole run, backing off from pages that failed.

The only module that imports feedparser. Feeds that declare XML entities are
refused before parsing.
"""

from __future__ import annotations

import codecs
import io
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urljoin, urlsplit

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import feedparser

from discourse.dates import parse_article_date
from discourse.errors import DiscourseError, InputError
from discourse.extract import article_from_html
from discourse.http.client import (
    DEFAULT_DELAY,
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT,
    SCHEMES,
    BudgetSpent,
    Fetcher,
    FetchError,
    Response,
    check_url,
)
from discourse.models import Article, Skip
from discourse.shared import Note, Warn

FEED_KEYS = ("source", "url")
#: Seconds a whole ``fetch`` run may take (``--budget``): 1,000 silent links at the
#: default timeout would otherwise hold the store's lock for about 17 hours.
DEFAULT_BUDGET = 1800.0
_FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
_PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")


def _stderr_warn(msg: str) -> None:
    print(f"warning: {msg}", file=sys.stderr)


# ------------------------------------------------------------------ feeds.toml


@dataclass(frozen=True)
class FeedSpec:
    """One ``[[feed]]`` table of feeds.toml."""

    source: str
    url: str


def load_feeds(path: str | Path) -> list[FeedSpec]:
    """Read and validate feeds.toml; any problem raises :class:`InputError` with one line."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(
            f"no feeds file at {path}; create it with [[feed]] tables giving source and url"
        ) from None
    except OSError as e:
        raise InputError(f"cannot read the feeds file {path}: {e.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text; save it as UTF-8") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{path} is not valid TOML: {e}") from None

    for key in doc:
        if key != "feed":
            raise InputError(
                f"{path}: unknown top-level key {key!r}; list feeds as [[feed]] "
                "tables with source and url"
            )
    tables = doc.get("feed")
    if tables is None or tables == []:
        raise InputError(f"{path} lists no feeds; add [[feed]] tables with source and url")
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise InputError(f"{path}: 'feed' must be an array of tables; write [[feed]], not [feed]")
    header_lines = [
        n for n, line in enumerate(text.splitlines(), 1) if re.match(r"\s*\[\[\s*feed\s*\]\]", line)
    ]

    feeds: list[FeedSpec] = []
    seen: dict[str, int] = {}
    for i, table in enumerate(tables, 1):
        where = f"feed {i}"
        if len(header_lines) == len(tables):
            where += f" (line {header_lines[i - 1]})"
        for key in table:
            if key not in FEED_KEYS:
                raise InputError(
                    f"{path}: {where} has unknown key {key!r}; allowed keys: {', '.join(FEED_KEYS)}"
                )
        for key in FEED_KEYS:
            value = table.get(key)
            if value is None:
                raise InputError(
                    f"{path}: {where} has no {key!r}; every [[feed]] needs source and url"
                )
            if not isinstance(value, str) or not value.strip():
                raise InputError(f"{path}: {where} {key!r} must be a non-empty string")
        url = table["url"].strip()
        parts = urlsplit(url)
        if parts.scheme.lower() not in SCHEMES or not parts.hostname:
            raise InputError(
                f"{path}: {where} url {url!r} is not an http(s) URL; only http:// "
                "and https:// feeds are fetched"
            )
        if url in seen:
            raise InputError(f"{path}: {where} repeats the url of feed {seen[url]}: {url}")
        seen[url] = i
        feeds.append(FeedSpec(source=table["source"].strip(), url=url))
    return feeds


# ---------------------------------------------------------------------- feeds

_CDATA_RE = re.compile(r"<!\[CDATA\[.*?\]\]>", re.S)
_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
_ENTITY_DECL_RE = re.compile(r"<!ENTITY", re.I)
_INTERNAL_SUBSET_RE = re.compile(r"<!DOCTYPE[^>\[]*\[", re.I)
_XML_PREFIXES = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
    (b"\x4c\x6f\xa7\x94", "cp500"),
)  # '<?xm' in EBCDIC


def _markup_for_scan(raw: bytes) -> str:
    """The document as text good enough to look for declarations, whatever its encoding."""
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if raw.startswith(bom):
            return raw.decode(codec, errors="replace")
    for prefix, codec in _XML_PREFIXES:
        if raw.startswith(prefix):
            return raw.decode(codec, errors="replace")
    return raw.decode("latin-1")  # every ASCII-compatible encoding reads the same markup


_DECLARED_RE = re.compile(r"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})""")
_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE)


def _declared_texts(raw: bytes, content_type: str) -> list[str]:
    """The document decoded with each encoding it or its HTTP header declares.

    A parser honours a declared encoding such as UTF-7, in which ``<!ENTITY`` is
    written ``+ADw-!ENTITY``: the check must read what the parser will read.
    """
    names = {m.group(1) for m in _DECLARED_RE.finditer(_markup_for_scan(raw)[:1024])}
    names |= {m.group(1) for m in _CHARSET_RE.finditer(content_type or "")}
    out = []
    for name in sorted(names):
        try:
            out.append(raw.decode(codecs.lookup(name).name, errors="replace"))
        except (LookupError, ValueError, TypeError):
            continue
    return out


def refuse_entity_declarations(raw: bytes, content_type: str = "") -> None:
    """Raise FetchError if the XML declares entities (billion laughs, external entities).

    CDATA sections and comments are ignored, so an article *about* XML that
    quotes ``<!ENTITY`` in its content is not refused. The document is read as
    its byte-order mark or first bytes say and as every encoding it declares.
    """
    for text in (_markup_for_scan(raw), *_declared_texts(raw, content_type)):
        _refuse_in(_COMMENT_RE.sub("", _CDATA_RE.sub("", text)))


def _refuse_in(markup: str) -> None:
    if _ENTITY_DECL_RE.search(markup) or _INTERNAL_SUBSET_RE.search(markup):
        raise FetchError(
            "feed refused: it declares XML entities (a DOCTYPE internal subset "
            "or <!ENTITY>), which can expand without limit or read local files"
        )


def parse_feed(raw: bytes, url: str, content_type: str = "", warn: Warn = _stderr_warn):
    """Feed bytes -> feedparser result; raises FetchError if it is no usable feed.

    feedparser gets a file object: given bytes or a string it would first try
    to *open* them as a local path or fetch them as a URL.
    """
    refuse_entity_declarations(raw, content_type)
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    try:
        parsed = feedparser.parse(io.BytesIO(raw), response_headers=headers)
    except Exception as e:  # feedparser on hostile input: record it, do not crash the run
        raise FetchError(f"unreadable feed ({type(e).__name__}: {str(e)[:120]})") from None
    if not parsed.get("version") and not parsed.get("entries"):
        problem = parsed.get("bozo_exception")
        detail = f" ({str(problem)[:120]})" if problem else ""
        raise FetchError(f"not an RSS or Atom feed{detail}")
    if parsed.get("bozo") and parsed.get("bozo_exception") is not None:
        exc = parsed["bozo_exception"]
        if not isinstance(exc, feedparser.CharacterEncodingOverride):
            warn(f"{url}: feed is not well-formed ({str(exc)[:120]}); read what could be read")
    return parsed


@dataclass
class _Entry:
    url: str
    title: str
    date: str | None
    author: str


def _struct_date(value) -> str | None:
    if not value:
        return None
    try:
        return datetime(*value[:6], tzinfo=timezone.utc).isoformat()
    except (TypeError, ValueError):
        return None


def _entries(parsed, feed_url: str, result: FeedResult) -> list[_Entry]:
    """The entries with a usable, unique http(s) link; the others are recorded as failed."""
    out: list[_Entry] = []
    seen: set[str] = set()
    for i, e in enumerate(parsed.get("entries", []), 1):
        title = " ".join(str(e.get("title") or "").split())
        label = f"{feed_url} entry {i}" + (f" ({title[:60]!r})" if title else "")
        link = str(e.get("link") or "").strip()
        if not link:
            result.failed.append((label, "entry has no link"))
            continue
        link = urljoin(feed_url, link)
        try:
            check_url(link)
        except FetchError as err:
            result.failed.append((link[:300], str(err)))
            continue
        if link in seen:
            continue
        seen.add(link)
        date = (
            _struct_date(e.get("published_parsed"))
            or parse_article_date(e.get("published"))
            or _struct_date(e.get("updated_parsed"))
        )
        out.append(
            _Entry(
                url=link,
                title=title,
                date=date,
                author=" ".join(str(e.get("author") or "").split()),
            )
        )
    return out


# ------------------------------------------------------------------- reports


@dataclass
class FeedResult:
    """What happened to one feed."""

    source: str
    url: str
    entries: int = 0  # entries with a usable link
    new: int = 0  # articles stored
    already_stored: int = 0  # entries whose URL was stored before: not downloaded
    duplicates: int = 0  # downloaded, but the same text was stored for this source already
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)
    error: str | None = None  # the feed document itself failed
    would_fetch: list[str] = field(default_factory=list)  # dry run: pages that would be fetched
    skipped: int = 0  # pages not fetched because the run's time budget was spent
    backing_off: int = 0  # pages that failed before and are not retried yet
    begun: bool = True  # False: the budget was spent before this feed's turn

    @property
    def ok(self) -> bool:
        """False when the feed gave nothing: its document failed, or every page tried failed."""
        if self.error is not None:
            return False
        got_something = self.new or self.duplicates or self.already_stored or self.would_fetch
        return bool(got_something) or not self.failed

    def summary_line(self, dry_run: bool = False) -> str:
        head = f"{self.source} ({self.url}): "
        if not self.begun:
            return head + "not fetched: the run's time budget was spent"
        if self.error is not None:
            return head + f"feed failed: {self.error}"
        parts = [f"would fetch {len(self.would_fetch)}" if dry_run else f"{self.new} new"]
        parts.append(f"{self.already_stored} already stored")
        if self.duplicates:
            parts.append(f"{self.duplicates} duplicate{'s' if self.duplicates != 1 else ''}")
        parts.append(f"{len(self.failed)} failed")
        if self.backing_off:
            parts.append(f"{self.backing_off} backing off (failed before; --retry-failed)")
        if self.skipped:
            parts.append(f"{self.skipped} skipped (time budget spent)")
        return head + ", ".join(parts)

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "url": self.url,
            "ok": self.ok,
            "entries": self.entries,
            "new": self.new,
            "already_stored": self.already_stored,
            "duplicates": self.duplicates,
            "failed": [{"url": u, "reason": r} for u, r in self.failed],
            "error": self.error,
            "would_fetch": list(self.would_fetch),
            "skipped": self.skipped,
            "backing_off": self.backing_off,
            "begun": self.begun,
        }


@dataclass
class FetchReport:
    """The per-feed results of one :func:`fetch_feeds` run."""

    feeds: list[FeedResult] = field(default_factory=list)
    dry_run: bool = False
    requests: int = 0  # HTTP requests sent, redirect hops and retries included
    budget: float | None = None  # seconds the run was allowed
    budget_exhausted: bool = False  # the run stopped early: pages or feeds were skipped

    @property
    def skipped_pages(self) -> int:
        """Pages of begun feeds left unfetched when the budget ran out."""
        return sum(r.skipped for r in self.feeds)

    def budget_note(self) -> str:
        """One line on what the spent budget left out ("" if it did not run out)."""
        if not self.budget_exhausted:
            return ""
        feeds = sum(not r.begun for r in self.feeds)
        return (
            f"budget of {self.budget:g} s spent: {self.skipped_pages} pages skipped"
            + (f" and {feeds} feed{'s' if feeds != 1 else ''} not begun" if feeds else "")
            + "; what was downloaded is stored, the rest is tried on the next run"
        )

    @property
    def all_failed(self) -> bool:
        """True only if every feed failed (see :attr:`FeedResult.ok`): the CLI exits 1."""
        return bool(self.feeds) and not any(r.ok for r in self.feeds)

    @property
    def new(self) -> int:
        return sum(r.new for r in self.feeds)

    def summary_lines(self) -> list[str]:
        """One line per feed, its failures (and, in a dry run, its URLs) indented, a total."""
        lines: list[str] = []
        for r in self.feeds:
            lines.append(r.summary_line(self.dry_run))
            lines += [f"  would fetch {u}" for u in r.would_fetch]
            lines += [f"  failed {u}: {reason}" for u, reason in r.failed]
        n_bad = sum(not r.ok for r in self.feeds)
        failed = sum(len(r.failed) for r in self.feeds)
        stored = sum(r.already_stored for r in self.feeds)
        first = (
            f"would fetch {sum(len(r.would_fetch) for r in self.feeds)}"
            if self.dry_run
            else f"{self.new} new"
        )
        lines.append(
            f"total: {first}, {stored} already stored, {failed} failed; "
            f"{n_bad} of {len(self.feeds)} feed{'s' if len(self.feeds) != 1 else ''} "
            "failed"
            + (" (dry run: nothing stored)" if self.dry_run else "")
            + (f"; {self.budget_note()}" if self.budget_exhausted else "")
        )
        return lines

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "all_failed": self.all_failed,
            "requests": self.requests,
            "new": self.new,
            "already_stored": sum(r.already_stored for r in self.feeds),
            "failed": sum(len(r.failed) for r in self.feeds),
            "feeds_failed": sum(not r.ok for r in self.feeds),
            "budget": self.budget,
            "budget_exhausted": self.budget_exhausted,
            "skipped": self.skipped_pages,
            "feeds": [r.as_dict() for r in self.feeds],
        }


# ------------------------------------------------------------------ the run


def _page_bytes(resp: Response) -> bytes:
    """The page body, transcoded to UTF-8 when the HTTP header names another charset.

    The header outranks a ``<meta charset>`` (HTML's rule); extract.py reads
    valid UTF-8 first, so transcoding here makes the header win.
    """
    body = resp.body
    if not resp.charset:
        return body
    try:
        body.decode("utf-8")
        return body
    except UnicodeDecodeError:
        pass
    try:
        return body.decode(resp.charset).encode("utf-8")
    except (LookupError, UnicodeDecodeError):
        return body


def fetch_page(fetcher: Fetcher, entry: _Entry, source: str, warn: Warn) -> Article:
    """Download and extract one entry's page; raises FetchError with the reason."""
    resp = fetcher.get(entry.url, _PAGE_ACCEPT)
    if resp.content_type and resp.content_type not in _PAGE_TYPES:
        raise FetchError(f"not an HTML page ({resp.content_type})")
    if not resp.body.strip():
        raise FetchError("empty page")
    art = article_from_html(
        _page_bytes(resp),
        origin=entry.url,
        source=source,
        fallback_source=None,
        warn=warn,
        url=resp.url,
    )
    if isinstance(art, Skip):
        raise FetchError(art.reason)
    # The page's own canonical URL (``<link rel=canonical>``, ``og:url``) is stored when
    # it is a valid http(s) URL of the same site; the feed's link stays the origin, and
    # the next run looks both up, so either link finds the stored page.
    declared = art.url if art.url and art.url != resp.url else ""
    art.url = declared if _same_site(declared, entry.url) else entry.url
    art.origin = entry.url
    art.title = art.title or entry.title
    # The publisher's own feed date beats a date guessed from the page's markup.
    art.date = entry.date or art.date
    art.author = art.author or entry.author
    return art


def _same_site(url: str, feed_link: str) -> bool:
    """True if ``url`` is a valid http(s) URL on the host of ``feed_link`` (``www.`` aside,
    or a subdomain of one another): a page may not claim another site's address."""
    if not url:
        return False
    try:
        check_url(url)
    except FetchError:
        return False
    a = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    b = (urlsplit(feed_link).hostname or "").lower().removeprefix("www.")
    return bool(a and b) and (a == b or a.endswith("." + b) or b.endswith("." + a))


def _budget_spent(fetcher: Fetcher) -> bool:
    return fetcher.stop_at is not None and time.monotonic() >= fetcher.stop_at


def _todo(store, entries: list[_Entry], result: FeedResult, retry_failed: bool) -> list[_Entry]:
    """The entries to download: not stored yet, and not backing off after a failure."""
    known = store.known_urls([e.url for e in entries])
    todo = [e for e in entries if e.url not in known]
    result.already_stored = len(entries) - len(todo)
    if not retry_failed:
        waiting = store.backing_off([e.url for e in todo])
        todo = [e for e in todo if e.url not in waiting]
        result.backing_off = len(waiting)
    return todo


def _fetch_pages(store, todo, spec, fetcher, result: FeedResult, warn, progress) -> None:
    """Download each page and store it at once (one transaction per page)."""
    for n, entry in enumerate(todo, 1):
        if progress:
            progress(f"{spec.source}: page {n} of {len(todo)}: {entry.url}")
        try:
            art = fetch_page(fetcher, entry, spec.source, warn)
        except FetchError as e:
            if isinstance(e, BudgetSpent) or _budget_spent(fetcher):
                result.skipped = len(todo) - n + 1
                return
            result.failed.append((entry.url, str(e)))
            store.record_fetch_failure(entry.url, spec.source, str(e))
            continue
        except DiscourseError:
            raise
        except Exception as e:  # an extractor bug on one page must not end the run
            reason = f"unexpected error: {type(e).__name__}: {e}"
            result.failed.append((entry.url, reason))
            store.record_fetch_failure(entry.url, spec.source, reason)
            continue
        new, dups = store.add_articles([art], batch_size=1)
        result.new, result.duplicates = result.new + new, result.duplicates + dups
        store.forget_fetch_failure(entry.url)


def _run_feed(
    store,
    spec: FeedSpec,
    fetcher: Fetcher,
    dry_run: bool,
    warn: Warn,
    progress: Note | None,
    retry_failed: bool = False,
) -> FeedResult:
    result = FeedResult(source=spec.source, url=spec.url)
    if _budget_spent(fetcher):
        result.begun = False
        return result
    if progress:
        progress(f"{spec.source}: fetching feed {spec.url}")
    try:
        resp = fetcher.get(spec.url, _FEED_ACCEPT)
        parsed = parse_feed(resp.body, resp.url, resp.content_type, warn)
    except FetchError as e:
        if isinstance(e, BudgetSpent) or _budget_spent(fetcher):
            result.begun = False
        else:
            result.error = str(e)
        return result
    entries = _entries(parsed, resp.url, result)
    result.entries = len(entries)
    todo = _todo(store, entries, result, retry_failed)
    if dry_run:
        result.would_fetch = [e.url for e in todo]
        return result
    _fetch_pages(store, todo, spec, fetcher, result, warn, progress)
    return result


def fetch_feeds(
    store,
    feeds_path: str | Path,
    *,
    dry_run: bool = False,
    allow_private: bool = False,
    delay: float = DEFAULT_DELAY,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    warn: Warn = _stderr_warn,
    progress: Note | None = None,
    deadline: float | None = None,
    budget: float | None = DEFAULT_BUDGET,
    retry_failed: bool = False,
) -> FetchReport:
    """Fetch every feed of ``feeds_path`` into ``store``; each page stored as it comes.

    Raises :class:`InputError` for a bad feeds file (before any request). Feed
    and page failures are recorded in the report, never raised; ``all_failed``
    tells the caller whether to exit non-zero. ``dry_run`` downloads the feed
    documents only and stores nothing. ``progress`` receives one-line messages.
    ``budget``: seconds for the whole run (None: no limit); when it is spent the run
    stops, keeps what it stored, and the report counts what it skipped
    (``budget_exhausted``). A page that failed is remembered in the store and not
    tried again until its back-off ends (a day, doubling per failure, at most 30
    days), unless ``retry_failed``.
    """
    specs = load_feeds(feeds_path)
    fetcher = Fetcher(
        allow_private=allow_private,
        delay=delay,
        timeout=timeout,
        deadline=deadline,
        max_bytes=max_bytes,
    )
    report = FetchReport(dry_run=dry_run, budget=budget)
    if budget is not None:
        fetcher.stop_at = time.monotonic() + budget
    for spec in specs:
        report.feeds.append(_run_feed(store, spec, fetcher, dry_run, warn, progress, retry_failed))
    report.requests = fetcher.requests
    report.budget_exhausted = any(r.skipped or not r.begun for r in report.feeds)
    return report
