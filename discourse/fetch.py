"""Feeds and article pages over HTTP: the only module doing network I/O.

``discourse fetch --feeds feeds.toml`` calls :func:`fetch_feeds`. For each feed
listed in the file it downloads the feed document, parses it with feedparser
(from bytes, never from a URL), downloads each entry page whose URL is not
stored yet, extracts the article (:mod:`discourse.extract`) and stores the new
articles in one transaction per feed. A failure in one feed or page is
recorded and the run goes on.

A feed or a page is untrusted input from a possibly hostile server, so every
request goes through :class:`Fetcher`, which

* fetches only ``http``/``https`` URLs, follows at most 5 redirects itself and
  checks every hop again;
* resolves the host once, refuses loopback, private, link-local, multicast,
  reserved, unspecified and cloud-metadata addresses (unless
  ``allow_private``) and connects to exactly the address it checked, so a DNS
  answer that changes between check and connect cannot redirect it (TLS is
  still verified against the host name);
* bounds connect and each read with ``timeout`` and the whole exchange with a
  ``deadline`` (a watchdog shuts the socket down, so a server that drips one
  byte at a time cannot hold it);
* caps the downloaded bytes and, separately, the decompressed bytes (gzip and
  deflate bombs), and
* is polite: a User-Agent naming the tool, a delay between requests to one
  host, ``Retry-After`` honoured on 429/503 (capped, one retry by default).

Feed XML that declares entities (``<!ENTITY``, or a DOCTYPE with an internal
subset) is refused before parsing: that is how billion-laughs and external
entity attacks start, and news feeds do not need it.
"""

from __future__ import annotations

import codecs
import contextlib
import http.client
import io
import ipaddress
import re
import socket
import ssl
import sys
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import feedparser

from discourse import __version__
from discourse.dates import parse_article_date
from discourse.errors import DiscourseError, InputError
from discourse.extract import article_from_html
from discourse.models import Article, Skip

USER_AGENT = f"discourse/{__version__} (+https://discourse.example/bot)"
DEFAULT_DELAY = 1.0
DEFAULT_TIMEOUT = 20.0
DEFAULT_MAX_BYTES = 10_000_000
MAX_REDIRECTS = 5
MAX_RETRY_WAIT = 60.0
DEFAULT_RETRIES = 1
FEED_KEYS = ("source", "url")

_REDIRECTS = {301, 302, 303, 307, 308}
_RETRY_STATUSES = {429, 503}
_SCHEMES = ("http", "https")
_FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
_PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")
_CHUNK = 65536

#: Cloud instance-metadata endpoints (AWS, GCP, Azure, OpenStack; AWS IPv6).
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

Warn = Callable[[str], None]
Progress = Callable[[str], None]


class FetchError(DiscourseError):
    """A feed or page could not be fetched or used; the message is the reason shown."""


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
        if parts.scheme.lower() not in _SCHEMES or not parts.hostname:
            raise InputError(
                f"{path}: {where} url {url!r} is not an http(s) URL; only http:// "
                "and https:// feeds are fetched"
            )
        if url in seen:
            raise InputError(f"{path}: {where} repeats the url of feed {seen[url]}: {url}")
        seen[url] = i
        feeds.append(FeedSpec(source=table["source"].strip(), url=url))
    return feeds


# ------------------------------------------------------------- address policy


def forbidden_reason(address: str) -> str | None:
    """Why connecting to ``address`` is refused without ``allow_private``, or None if public.

    IPv6 forms that embed an IPv4 address (IPv4-mapped, 6to4, NAT64) are judged
    by the embedded address too, so ``::ffff:127.0.0.1`` is loopback.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    candidates = []  # the embedded IPv4 address first: it names the real target
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            candidates.append(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            candidates.append(ip.sixtofour)
        if ip in _NAT64:
            candidates.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    candidates.append(ip)
    for a in candidates:
        if a in METADATA_ADDRESSES:
            return "a cloud metadata address"
        for test, what in (
            (a.is_loopback, "a loopback"),
            (a.is_unspecified, "an unspecified"),
            (a.is_link_local, "a link-local"),
            (a.is_multicast, "a multicast"),
            (a.is_reserved, "a reserved"),
            (a.is_private, "a private"),
            (not a.is_global, "a non-public"),
        ):
            if test:
                return f"{what} address"
    return None


def _resolve(host: str, port: int, timeout: float) -> list[str]:
    """The addresses of ``host`` (an IP literal is its own address), within ``timeout``.

    getaddrinfo has no timeout of its own, so it runs in a daemon thread that is
    abandoned if the lookup takes too long.
    """
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    box: dict = {}

    def lookup() -> None:
        try:
            box["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as e:
            box["error"] = e

    worker = threading.Thread(target=lookup, name=f"resolve {host}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise FetchError(f"DNS lookup of {host} timed out after {timeout:g} s")
    if "error" in box:
        err = box["error"]
        raise FetchError(f"cannot resolve {host}: {getattr(err, 'strerror', None) or err}")
    addresses: list[str] = []
    for info in box["infos"]:
        addr = info[4][0]
        if addr not in addresses:
            addresses.append(addr)
    if not addresses:
        raise FetchError(f"cannot resolve {host}: no addresses")
    return addresses


# --------------------------------------------------------------- HTTP client


@dataclass
class Response:
    """A successful (2xx) answer, body already decompressed."""

    url: str  # the final URL, after redirects
    status: int
    content_type: str  # media type, lower-case, without parameters
    charset: str | None  # from the Content-Type header
    body: bytes


class _RetryLater(Exception):
    """A 429/503 answer; ``wait`` is the Retry-After in seconds, or None."""

    def __init__(self, status: int, reason: str, wait: float | None) -> None:
        super().__init__(status)
        self.status, self.reason, self.wait = status, reason, wait


class _Watchdog:
    """Shuts a connection down when the overall deadline of one request passes.

    It holds its own duplicate of the socket's descriptor: ``shutdown`` acts on
    the connection, so it also interrupts a read blocked on the TLS socket that
    replaced the original one.
    """

    def __init__(self, sock: socket.socket, seconds: float) -> None:
        self.fired = False
        self._dup = sock.dup()
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        with contextlib.suppress(OSError):
            self._dup.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()
        self._dup.close()


class _Decompressor:
    """Incremental gzip/deflate decoding that stops as soon as the output passes ``cap``."""

    def __init__(self, encoding: str | None, cap: int) -> None:
        codings = [
            c.strip()
            for c in (encoding or "").lower().split(",")
            if c.strip() and c.strip() != "identity"
        ]
        if len(codings) > 1:
            raise FetchError(f"unsupported Content-Encoding {encoding!r} (stacked encodings)")
        self.coding = codings[0] if codings else None
        if self.coding not in (None, "gzip", "x-gzip", "deflate"):
            raise FetchError(f"unsupported Content-Encoding {self.coding!r}")
        self.cap = cap
        self.out = bytearray()
        self._d = None
        self._done = False
        self._pending = b""  # deflate: the first two bytes tell zlib from raw deflate

    def _new(self, first: bytes):
        if self.coding == "deflate":
            # RFC 9110 says zlib-wrapped; some servers send raw deflate.
            is_zlib = (
                len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
            )
            return zlib.decompressobj(zlib.MAX_WBITS if is_zlib else -zlib.MAX_WBITS)
        return zlib.decompressobj(16 + zlib.MAX_WBITS)

    def _grow(self, data: bytes) -> None:
        self.out += data
        if len(self.out) > self.cap:
            raise FetchError(
                f"decompressed body over the {self.cap}-byte cap "
                "(refused as a possible compression bomb)"
            )

    def feed(self, data: bytes) -> None:
        if self.coding is None:
            self._grow(data)
            return
        if self._done:
            return
        if self._d is None and self.coding == "deflate" and len(self._pending + data) < 2:
            self._pending += data
            return
        data, self._pending = self._pending + data, b""
        try:
            while data:
                if self._d is None:
                    self._d = self._new(data)
                self._grow(self._d.decompress(data, self.cap - len(self.out) + 1))
                data = self._d.unconsumed_tail
                if self._d.eof:
                    data, self._d = self._d.unused_data, None
                    # deflate is one stream; gzip may have several members. Anything
                    # else after the end (padding, junk) is ignored, as gzip tools do.
                    if self.coding == "deflate" or not data.startswith(b"\x1f\x8b"):
                        self._done = True
                        return
        except zlib.error as e:
            raise FetchError(f"corrupt {self.coding} body: {e}") from None

    def finish(self) -> bytes:
        if self._pending:  # a deflate body shorter than two bytes
            data, self._pending = self._pending, b""
            self._d = self._new(data)
            self.feed(data)
        if self._d is not None:
            try:
                self._grow(self._d.flush())
            except zlib.error as e:
                raise FetchError(f"corrupt {self.coding} body: {e}") from None
        return bytes(self.out)


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _request_target(parts) -> str:
    """Path and query of a URL, percent-encoded so http.client accepts it."""
    safe = "/%:@!$&'()*+,;=-._~"
    target = quote(parts.path or "/", safe=safe)
    if parts.query:
        target += "?" + quote(parts.query, safe=safe + "?")
    return target


def _ascii_host(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise FetchError(f"invalid host name {host!r}") from None


def check_url(url: str) -> None:
    """Raise FetchError unless ``url`` is an http(s) URL with a host and no credentials."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in _SCHEMES:
        raise FetchError(f"not an http(s) URL: {url[:200]!r}")
    if not parts.hostname:
        raise FetchError(f"no host in URL {url[:200]!r}")
    if parts.username is not None or parts.password is not None:
        raise FetchError("URLs with user:password@ are not fetched")
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise FetchError(f"bad port in URL {url[:200]!r}") from None


class Fetcher:
    """A safe, polite HTTP GET client (see the module docstring for the rules).

    ``timeout`` bounds the connect and each read; ``deadline`` (default three
    times ``timeout``) bounds one request from connect to the last byte.
    ``max_bytes`` caps both the bytes received and the bytes after
    decompression. A 429 or 503 with a Retry-After of at most
    ``max_retry_wait`` seconds is retried up to ``retries`` times.
    ``ssl_context`` replaces the default (system CAs, host name checked).
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        delay: float = DEFAULT_DELAY,
        timeout: float = DEFAULT_TIMEOUT,
        deadline: float | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_redirects: int = MAX_REDIRECTS,
        retries: int = DEFAULT_RETRIES,
        max_retry_wait: float = MAX_RETRY_WAIT,
        user_agent: str = USER_AGENT,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.delay = max(0.0, delay)
        self.timeout = timeout
        self.deadline = deadline if deadline is not None else 3 * timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.retries = retries
        self.max_retry_wait = max_retry_wait
        self.user_agent = user_agent
        self.requests = 0  # HTTP requests sent (each redirect hop and retry counts)
        self._next_allowed: dict[str, float] = {}
        self._ssl = ssl_context or ssl.create_default_context()

    # -- politeness
    def _wait_turn(self, host: str) -> None:
        pause = self._next_allowed.get(host, 0.0) - time.monotonic()
        if pause > 0:
            time.sleep(pause)

    def _done_with(self, host: str, extra: float = 0.0) -> None:
        self._next_allowed[host] = max(
            self._next_allowed.get(host, 0.0), time.monotonic() + max(self.delay, extra)
        )

    # -- public
    def get(self, url: str, accept: str = "*/*") -> Response:
        """GET ``url`` following redirects; raises :class:`FetchError` with the reason."""
        attempt = 0
        while True:
            try:
                return self._follow(url, accept)
            except _RetryLater as r:
                what = f"HTTP {r.status} {r.reason}".strip()
                if r.wait is None:
                    raise FetchError(f"{what} (no Retry-After)") from None
                if r.wait > self.max_retry_wait:
                    raise FetchError(
                        f"{what}: Retry-After {r.wait:.0f} s is longer than the "
                        f"{self.max_retry_wait:g} s this tool waits"
                    ) from None
                if attempt >= self.retries:
                    raise FetchError(
                        f"{what}, still after {attempt} retr{'y' if attempt == 1 else 'ies'}"
                    ) from None
                attempt += 1
                # _follow has pushed the host's next turn past Retry-After.

    def _follow(self, url: str, accept: str) -> Response:
        current = url
        for hop in range(self.max_redirects + 1):
            status, reason, headers, body = self._once(current, accept)
            if status in _REDIRECTS:
                location = headers.get("Location")
                if not location:
                    raise FetchError(f"HTTP {status} redirect without a Location")
                nxt = urljoin(current, location.strip())
                if urlsplit(nxt).scheme.lower() not in _SCHEMES:
                    raise FetchError(
                        f"redirect to {nxt[:200]!r} refused: only http and https URLs are fetched"
                    )
                if hop == self.max_redirects:
                    break
                current = nxt
                continue
            if status in _RETRY_STATUSES:
                wait = _retry_after(headers.get("Retry-After"))
                host = _ascii_host(urlsplit(current).hostname or "")
                if wait is not None and wait <= self.max_retry_wait:
                    self._done_with(host, extra=wait)
                raise _RetryLater(status, reason, wait)
            if not 200 <= status < 300:
                raise FetchError(f"HTTP {status} {reason}".strip())
            ctype = headers.get_content_type() if headers.get("Content-Type") else ""
            return Response(
                url=current,
                status=status,
                content_type=ctype,
                charset=headers.get_content_charset(),
                body=body or b"",
            )
        raise FetchError(f"too many redirects (more than {self.max_redirects})")

    def _once(self, url: str, accept: str):
        """One request, no redirects: (status, reason, headers, body if 2xx else None)."""
        check_url(url)
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = _ascii_host(parts.hostname)
        port = parts.port or (443 if scheme == "https" else 80)
        self._wait_turn(host)
        start = time.monotonic()
        end = start + self.deadline
        try:
            addresses = _resolve(host, port, min(self.timeout, self.deadline))
            if not self.allow_private:
                for addr in addresses:
                    why = forbidden_reason(addr)
                    if why:
                        raise FetchError(
                            f"refused: {host} is {addr}, {why} (only public "
                            "addresses are fetched unless --allow-private)"
                        )
            return self._exchange(scheme, host, port, addresses, parts, accept, end)
        finally:
            self._done_with(host)

    def _connect(self, addresses: list[str], port: int, end: float) -> socket.socket:
        last: OSError | None = None
        for addr in addresses:
            remaining = end - time.monotonic()
            if remaining <= 0:
                break
            try:
                return socket.create_connection((addr, port), timeout=min(self.timeout, remaining))
            except TimeoutError:
                last = TimeoutError(f"connect timed out after {self.timeout:g} s")
            except OSError as e:
                last = e
        if isinstance(last, TimeoutError):
            raise FetchError(str(last))
        if isinstance(last, ConnectionRefusedError):
            raise FetchError("connection refused")
        raise FetchError(f"cannot connect: {getattr(last, 'strerror', None) or last or 'deadline'}")

    def _exchange(self, scheme, host, port, addresses, parts, accept, end):
        sock = self._connect(addresses, port, end)
        self.requests += 1
        try:
            sock.settimeout(self.timeout)
            watchdog = _Watchdog(sock, end - time.monotonic())
        except OSError as e:  # e.g. out of file descriptors for the watchdog's copy
            sock.close()
            raise FetchError(_describe(e, self.timeout)) from None
        conn: http.client.HTTPConnection | None = None
        resp: http.client.HTTPResponse | None = None
        try:
            if scheme == "https":
                conn = http.client.HTTPSConnection(
                    host, port, timeout=self.timeout, context=self._ssl
                )
                conn.sock = self._ssl.wrap_socket(sock, server_hostname=host)
            else:
                conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
                conn.sock = sock
            conn.putrequest("GET", _request_target(parts), skip_accept_encoding=True)
            conn.putheader("User-Agent", self.user_agent)
            conn.putheader("Accept", accept)
            conn.putheader("Accept-Encoding", "gzip, deflate")
            conn.putheader("Connection", "close")
            conn.endheaders()
            resp = conn.getresponse()
            body = None
            if 200 <= resp.status < 300:
                body = self._read_body(resp, watchdog)
            return resp.status, resp.reason or "", resp.headers, body
        except FetchError:
            raise
        except Exception as e:
            if watchdog.fired:
                raise FetchError(
                    f"no complete answer within the {self.deadline:g} s deadline"
                ) from None
            raise FetchError(_describe(e, self.timeout)) from None
        finally:
            watchdog.cancel()
            if resp is not None:
                resp.close()
            if conn is not None:
                conn.close()
            with contextlib.suppress(OSError):
                sock.close()

    def _read_body(self, resp: http.client.HTTPResponse, watchdog: _Watchdog) -> bytes:
        cap = self.max_bytes
        length = resp.getheader("Content-Length")
        if length and length.strip().isdigit() and int(length) > cap:
            raise FetchError(
                f"too large: Content-Length {int(length)} bytes is over the {cap}-byte cap"
            )
        decoder = _Decompressor(resp.getheader("Content-Encoding"), cap)
        received = 0
        while True:
            chunk = resp.read(_CHUNK)
            if watchdog.fired:
                raise FetchError(f"no complete answer within the {self.deadline:g} s deadline")
            if not chunk:
                break
            received += len(chunk)
            if received > cap:
                raise FetchError(f"too large: over the {cap}-byte cap")
            decoder.feed(chunk)
        return decoder.finish()


def _describe(e: BaseException, timeout: float) -> str:
    """A short reason for a network exception."""
    if isinstance(e, TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(e, ssl.SSLCertVerificationError):
        return f"TLS certificate not valid: {e.verify_message}"
    if isinstance(e, ssl.SSLError):
        return f"TLS error: {e.reason or e}"
    if isinstance(e, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(e, http.client.IncompleteRead):
        return "the server closed the connection before the end of the body"
    if isinstance(e, http.client.HTTPException):
        return f"bad HTTP answer ({type(e).__name__}: {str(e)[:120]})"
    if isinstance(e, ConnectionResetError):
        return "connection reset by the server"
    if isinstance(e, OSError):
        return f"network error: {e.strerror or e}"
    return f"{type(e).__name__}: {str(e)[:200]}"


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


def refuse_entity_declarations(raw: bytes) -> None:
    """Raise FetchError if the XML declares entities (billion laughs, external entities).

    CDATA sections and comments are ignored, so an article *about* XML that
    quotes ``<!ENTITY`` in its content is not refused.
    """
    markup = _COMMENT_RE.sub("", _CDATA_RE.sub("", _markup_for_scan(raw)))
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
    refuse_entity_declarations(raw)
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

    @property
    def ok(self) -> bool:
        """False when the feed gave nothing: its document failed, or every page tried failed."""
        if self.error is not None:
            return False
        got_something = self.new or self.duplicates or self.already_stored or self.would_fetch
        return bool(got_something) or not self.failed

    def summary_line(self, dry_run: bool = False) -> str:
        head = f"{self.source} ({self.url}): "
        if self.error is not None:
            return head + f"feed failed: {self.error}"
        parts = [f"would fetch {len(self.would_fetch)}" if dry_run else f"{self.new} new"]
        parts.append(f"{self.already_stored} already stored")
        if self.duplicates:
            parts.append(f"{self.duplicates} duplicate{'s' if self.duplicates != 1 else ''}")
        parts.append(f"{len(self.failed)} failed")
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
        }


@dataclass
class FetchReport:
    """The per-feed results of one :func:`fetch_feeds` run."""

    feeds: list[FeedResult] = field(default_factory=list)
    dry_run: bool = False
    requests: int = 0  # HTTP requests sent, redirect hops and retries included

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
            "failed" + (" (dry run: nothing stored)" if self.dry_run else "")
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
    # The feed's link is the key that tells the next run the page is stored, so it
    # is the URL kept (a canonical URL or a redirect target would never match it).
    art.url = entry.url
    art.title = art.title or entry.title
    # The publisher's own feed date beats a date guessed from the page's markup.
    art.date = entry.date or art.date
    art.author = art.author or entry.author
    return art


def _run_feed(
    store, spec: FeedSpec, fetcher: Fetcher, dry_run: bool, warn: Warn, progress: Progress | None
) -> FeedResult:
    result = FeedResult(source=spec.source, url=spec.url)
    if progress:
        progress(f"{spec.source}: fetching feed {spec.url}")
    try:
        resp = fetcher.get(spec.url, _FEED_ACCEPT)
        parsed = parse_feed(resp.body, resp.url, resp.content_type, warn)
    except FetchError as e:
        result.error = str(e)
        return result
    entries = _entries(parsed, resp.url, result)
    result.entries = len(entries)
    known = store.known_urls([e.url for e in entries])
    todo = [e for e in entries if e.url not in known]
    result.already_stored = len(entries) - len(todo)
    if dry_run:
        result.would_fetch = [e.url for e in todo]
        return result
    articles: list[Article] = []
    for n, entry in enumerate(todo, 1):
        if progress:
            progress(f"{spec.source}: page {n} of {len(todo)}: {entry.url}")
        try:
            articles.append(fetch_page(fetcher, entry, spec.source, warn))
        except FetchError as e:
            result.failed.append((entry.url, str(e)))
        except DiscourseError:
            raise
        except Exception as e:  # an extractor bug on one page must not end the run
            result.failed.append((entry.url, f"unexpected error: {type(e).__name__}: {e}"))
    if articles:
        result.new, result.duplicates = store.add_articles(articles, batch_size=len(articles))
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
    progress: Progress | None = None,
    deadline: float | None = None,
) -> FetchReport:
    """Fetch every feed of ``feeds_path`` into ``store``; one transaction per feed.

    Raises :class:`InputError` for a bad feeds file (before any request). Feed
    and page failures are recorded in the report, never raised; ``all_failed``
    tells the caller whether to exit non-zero. ``dry_run`` downloads the feed
    documents only and stores nothing. ``progress`` receives one-line messages.
    """
    specs = load_feeds(feeds_path)
    fetcher = Fetcher(
        allow_private=allow_private,
        delay=delay,
        timeout=timeout,
        deadline=deadline,
        max_bytes=max_bytes,
    )
    report = FetchReport(dry_run=dry_run)
    for spec in specs:
        report.feeds.append(_run_feed(store, spec, fetcher, dry_run, warn, progress))
    report.requests = fetcher.requests
    return report
