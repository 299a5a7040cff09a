"""A safe HTTP client for pages and feeds alike (it knows nothing about feeds).

Only ``http``/``https``; every redirect hop re-checked; no requests to loopback,
private, link-local or cloud-metadata addresses (unless allowed, for tests);
connect and read timeouts plus an overall deadline per request; caps on downloaded
and decompressed bytes; ``Retry-After`` honoured on 429 and 503; a polite delay
between requests to one host.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urljoin, urlsplit

from discourse import __version__
from discourse.errors import DiscourseError

USER_AGENT = f"discourse/{__version__} (+https://discourse.example/bot)"
DEFAULT_DELAY = 1.0
DEFAULT_TIMEOUT = 20.0
DEFAULT_MAX_BYTES = 10_000_000
MAX_REDIRECTS = 5
MAX_RETRY_WAIT = 60.0
DEFAULT_RETRIES = 1

_REDIRECTS = {301, 302, 303, 307, 308}
_RETRY_STATUSES = {429, 503}
SCHEMES = ("http", "https")
_CHUNK = 65536

#: Cloud instance-metadata endpoints (AWS, GCP, Azure, OpenStack; AWS IPv6).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)


class FetchError(DiscourseError):
    """A feed or page could not be fetched or used; the message is the reason shown."""


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
    if parts.scheme.lower() not in SCHEMES:
        raise FetchError(f"not an http(s) URL: {url[:200]!r}")
    if not parts.hostname:
        raise FetchError(f"no host in URL {url[:200]!r}")
    if parts.username is not None or parts.password is not None:
        raise FetchError("URLs with user:password@ are not fetched")
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise FetchError(f"bad port in URL {url[:200]!r}") from None


class BudgetSpent(FetchError):
    """The run's time budget (:attr:`Fetcher.stop_at`) ended before this request."""


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
        self.stop_at: float | None = None  # time.monotonic() when the run's budget ends
        self._next_allowed: dict[str, float] = {}
        self._ssl = ssl_context or ssl.create_default_context()

    # -- politeness
    def _wait_turn(self, host: str) -> None:
        pause = self._next_allowed.get(host, 0.0) - time.monotonic()
        if self.stop_at is not None:
            pause = min(pause, self.stop_at - time.monotonic())
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
                if urlsplit(nxt).scheme.lower() not in SCHEMES:
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
        if self.stop_at is not None:
            if start >= self.stop_at:
                raise BudgetSpent("not fetched: the run's time budget was spent")
            end = min(end, self.stop_at)
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
