"""The article store: SQLite schema, migrations and every SQL statement of the project.

One file (``--db``, default ``./discourse.db``, env ``DISCOURSE_DB``) or an
in-memory store for commands given paths. WAL journal, a busy timeout, one
transaction (``BEGIN IMMEDIATE``) per batch of writes, schema version in
``PRAGMA user_version``. A file that is not a discourse store is refused, never
overwritten.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import random
import re
import sqlite3
import time
import unicodedata
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

from discourse.dates import parse_article_date
from discourse.errors import DiscourseError, LockError, StoreError
from discourse.models import Article

T = TypeVar("T")

SCHEMA_VERSION = 5
DEFAULT_DB = "discourse.db"
_SQLITE_MAGIC = b"SQLite format 3\x00"

_MIGRATIONS = {
    1: """
    CREATE TABLE articles (
        id         INTEGER PRIMARY KEY,
        source     TEXT NOT NULL,
        title      TEXT NOT NULL DEFAULT '',
        date       TEXT,
        url        TEXT NOT NULL DEFAULT '',
        lang       TEXT NOT NULL DEFAULT 'en',
        author     TEXT NOT NULL DEFAULT '',
        text       TEXT NOT NULL,
        text_hash  TEXT NOT NULL,
        origin     TEXT NOT NULL DEFAULT '',
        added_at   TEXT NOT NULL,
        UNIQUE (source, text_hash)
    );
    CREATE INDEX articles_date ON articles (date);
    CREATE INDEX articles_source ON articles (source);
    CREATE INDEX articles_url ON articles (url);
    CREATE TABLE score_cache (
        article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        scorer     TEXT NOT NULL,
        payload    TEXT NOT NULL,
        PRIMARY KEY (article_id, scorer)
    );
    """,
    # the encoding a file's bytes were decoded with ("utf-8", "cp1252", "utf-16", ...)
    2: """
    ALTER TABLE articles ADD COLUMN encoding TEXT NOT NULL DEFAULT '';
    """,
    # dedupe keys: NFC + casefold, the rule of storing and matching (was NFKC)
    3: lambda conn: _rekey_nfc(conn),
    # fetch: pages that failed, with a back-off; a fetched page's feed link (its origin)
    # is looked up as well as its canonical URL
    4: """
    CREATE TABLE fetch_failures (
        url         TEXT PRIMARY KEY,
        source      TEXT NOT NULL DEFAULT '',
        reason      TEXT NOT NULL DEFAULT '',
        count       INTEGER NOT NULL DEFAULT 1,
        last_at     REAL NOT NULL,
        retry_after REAL NOT NULL
    );
    CREATE INDEX articles_origin ON articles (origin);
    """,
    # document variables (extra columns and front-matter keys) as a JSON object; the
    # text-hash index finds a text stored under another source
    5: """
    ALTER TABLE articles ADD COLUMN meta TEXT NOT NULL DEFAULT '{}';
    CREATE INDEX articles_text_hash ON articles (text_hash);
    """,
}

#: A failed page is tried again after a day, then 2, 4, 8 ... days, at most 30.
FAILURE_BACKOFF = (86400.0, 30 * 86400.0)


DEFAULT_BUSY_WAIT = 120.0  # seconds a write retries a busy store before giving up
_settings = {"lock_wait": None}


def default_db_path() -> str:
    """The store used without ``db``: ``DISCOURSE_DB``, else ``./discourse.db``.

    Returns
    -------
    str

    Examples
    --------
    >>> import os
    >>> default_db_path() == (os.environ.get("DISCOURSE_DB") or "discourse.db")
    True
    """
    return os.environ.get("DISCOURSE_DB") or DEFAULT_DB


def set_lock_wait(seconds: float | None) -> None:
    """How long :class:`FileLock` waits for another run's lock (``--wait``); None: not at all.

    Parameters
    ----------
    seconds : float or None
        Seconds to wait; None or 0 fails at once (exit code 3), as before.

    Returns
    -------
    None

    Examples
    --------
    >>> set_lock_wait(600); lock_wait()
    600.0
    >>> set_lock_wait(None)
    """
    if seconds is not None and seconds < 0:
        raise StoreError(f"`wait` {seconds} is negative; give seconds to wait, e.g. `wait` 600")
    _settings["lock_wait"] = seconds


def lock_wait() -> float:
    """The lock wait in seconds: :func:`set_lock_wait`, else ``DISCOURSE_WAIT``, else 0.

    Returns
    -------
    float

    Examples
    --------
    >>> set_lock_wait(5); lock_wait()
    5.0
    >>> set_lock_wait(None)
    """
    if _settings["lock_wait"] is not None:
        return float(_settings["lock_wait"])
    raw = os.environ.get("DISCOURSE_WAIT", "").strip()
    try:
        return max(0.0, float(raw)) if raw else 0.0
    except ValueError:
        raise StoreError(
            f"DISCOURSE_WAIT={raw!r} is not a number of seconds; e.g. DISCOURSE_WAIT=600"
        ) from None


# ------------------------------------------------------------------ SQLite errors


class BusyError(LockError):
    """The store stayed busy (another connection writing) longer than the retry budget."""


_BUSY = {"SQLITE_BUSY", "SQLITE_LOCKED"}
_PROBLEMS = {
    "SQLITE_CORRUPT": "is damaged ({msg}); nothing was written to it: restore it from a "
    "backup, or rescue what is left with: sqlite3 {path} .recover",
    "SQLITE_NOTADB": "is damaged ({msg}); nothing was written to it: restore it from a backup",
    "SQLITE_FULL": "cannot grow: the disk (or its size limit) is full; the last batch was "
    "rolled back: free some space and run again",
    "SQLITE_IOERR": "could not be read or written (disk I/O error: {msg}); the last batch "
    "was rolled back: check the disk, then run again",
    "SQLITE_READONLY": "is read-only ({msg}); this command writes to it: copy the store to "
    "a writable folder, or use a read-only command",
    "SQLITE_CANTOPEN": "cannot be opened ({msg}): check the path and its permissions",
}


def _errname(e: sqlite3.Error) -> str:
    name = getattr(e, "sqlite_errorname", None) or ""
    if name:
        return name
    msg = str(e).lower()
    for needle, guess in (
        ("locked", "SQLITE_BUSY"),
        ("busy", "SQLITE_BUSY"),
        ("malformed", "SQLITE_CORRUPT"),
        ("not a database", "SQLITE_NOTADB"),
        ("full", "SQLITE_FULL"),
        ("i/o", "SQLITE_IOERR"),
        ("readonly", "SQLITE_READONLY"),
        ("unable to open", "SQLITE_CANTOPEN"),
    ):
        if needle in msg:
            return guess
    return ""


def _kind(e: sqlite3.Error) -> str:
    """The primary result code's name of an error (``SQLITE_BUSY_SNAPSHOT`` -> ``SQLITE_BUSY``)."""
    name = _errname(e)
    for primary in (*_BUSY, *_PROBLEMS):
        if name == primary or name.startswith(primary + "_"):
            return primary
    return name


def store_error(e: sqlite3.Error, path: str) -> DiscourseError:
    """One-line error for an SQLite error on the store ``path``.

    Parameters
    ----------
    e : sqlite3.Error
        The error SQLite raised.
    path : str
        The store's path.

    Returns
    -------
    DiscourseError
        A :class:`BusyError` (exit 3) for a busy store, else a :class:`StoreError`.
    """
    kind = _kind(e)
    if kind in _BUSY:
        return BusyError(
            f"the store {path} stayed busy (another process is writing to it); "
            "try again when it has finished, or give `wait` SECONDS"
        )
    template = _PROBLEMS.get(kind, "cannot be used ({msg})")
    return StoreError(f"the store {path} " + template.format(msg=e, path=path))


class _Cursor(sqlite3.Cursor):
    """A cursor whose SQLite errors are one-line :class:`DiscourseError` s."""

    def _guard(self, fn, *args):
        try:
            return fn(*args)
        except sqlite3.Error as e:
            err = store_error(e, self.connection.store_path)
            err.sqlite_error = e
            raise err from None

    def execute(self, sql, params=()):  # noqa: D102
        return self._guard(super().execute, sql, params)

    def executemany(self, sql, seq):  # noqa: D102
        return self._guard(super().executemany, sql, seq)

    def fetchone(self):  # noqa: D102
        return self._guard(super().fetchone)

    def fetchmany(self, size=None):  # noqa: D102
        return self._guard(super().fetchmany, size if size is not None else self.arraysize)

    def fetchall(self):  # noqa: D102
        return self._guard(super().fetchall)

    def __next__(self):
        return self._guard(super().__next__)


class _Connection(sqlite3.Connection):
    """The store's connection: statements run on :class:`_Cursor`."""

    store_path = ""

    def execute(self, sql, params=()):  # noqa: D102
        return self.cursor(_Cursor).execute(sql, params)

    def executemany(self, sql, seq):  # noqa: D102
        return self.cursor(_Cursor).executemany(sql, seq)


def text_hash(text: str) -> str:
    """Hash of the normalized text: the dedupe key.

    One Unicode rule for storing, matching and deduplicating: NFC, then ``str.casefold``
    (whitespace collapsed). Compatibility variants that case folding keeps (fullwidth
    letters, ``½``) are not folded, as matching does not fold them either (schema 3;
    stores of schema 2, keyed on NFKC, are re-keyed when opened).

    Parameters
    ----------
    text : str

    Returns
    -------
    str
        SHA-256, hex.

    Examples
    --------
    >>> text_hash("Mutual  TRUST") == text_hash("mutual trust")
    True
    """
    if text.isascii():  # NFC changes nothing; casefold is lower; one C pass for both
        data = text.encode().translate(_ASCII_FOLD)
    else:
        text = unicodedata.normalize("NFC", text).casefold()
        if not text.isprintable() and any(c in text for c in _WIDE_SPACES):
            return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()
        data = text.encode("utf-8").translate(_ASCII_SPACES)
    # The only whitespace left is b" ": collapse runs, as " ".join(text.split()) does.
    parts = data.split(b"  ")
    if len(parts) == 1:
        data = data.strip(b" ")
    else:
        data = b" ".join(p for p in (p.strip(b" ") for p in parts) if p)
    return hashlib.sha256(data).hexdigest()


# What str.split() splits on (str.isspace): the ASCII kinds, then the others. In UTF-8
# an ASCII byte is always its character, so the ASCII kinds can be mapped on the bytes.
_ASCII_WS = b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"
_ASCII_SPACES = bytes.maketrans(_ASCII_WS, b" " * len(_ASCII_WS))
_ASCII_FOLD = bytes.maketrans(
    _ASCII_WS + b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b" " * len(_ASCII_WS) + b"abcdefghijklmnopqrstuvwxyz"
)
_WIDE_SPACES = (
    "\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)


def _rekey_nfc(conn: sqlite3.Connection) -> None:
    """Migration 3: dedupe keys from NFKC to the NFC rule of :func:`text_hash`.

    The NFC rule tells apart what NFKC did, so stored articles should not collide;
    if two would, ``OR IGNORE`` keeps one row's old key rather than fail the migration.
    """
    conn.create_function("discourse_text_hash", 1, text_hash, deterministic=True)
    conn.execute("UPDATE OR IGNORE articles SET text_hash = discourse_text_hash(text)")


@dataclass
class Selection:
    """Which articles a command works on (:func:`discourse.api.selection` checks one).

    Parameters
    ----------
    sources : list of str, optional
        Source names (None: all).
    since, until : str, optional
        ``YYYY-MM-DD``, both included.
    ids : list of int, optional
        Article ids.

    Examples
    --------
    >>> Selection(sources=["A"], since="2026-08-01").where()
    (' WHERE source IN (?) AND substr(date, 1, 10) >= ?', ['A', '2026-08-01'])
    """

    sources: list[str] | None = None
    since: str | None = None  # inclusive, YYYY-MM-DD
    until: str | None = None  # inclusive, YYYY-MM-DD
    ids: list[int] | None = None

    def where(self) -> tuple[str, list]:
        """The selection as SQL.

        Returns
        -------
        (str, list)
            A ``WHERE`` clause (empty for all articles) and its parameters.
        """
        clauses, params = [], []
        if self.sources:
            clauses.append(f"source IN ({','.join('?' * len(self.sources))})")
            params += self.sources
        if self.since:
            clauses.append("substr(date, 1, 10) >= ?")
            params.append(self.since)
        if self.until:
            clauses.append("substr(date, 1, 10) <= ?")
            params.append(self.until)
        if self.ids:
            clauses.append(f"id IN ({','.join('?' * len(self.ids))})")
            params += list(self.ids)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def admits(self, source: str, day: str | None) -> bool:
        """Whether an article of ``source`` dated ``day`` is selected (ids aside): the
        rule of :meth:`where`, for articles not in a store (``score PATH`` streams).

        Parameters
        ----------
        source : str
        day : str or None
            ``YYYY-MM-DD``.

        Returns
        -------
        bool

        Examples
        --------
        >>> Selection(sources=["A"], since="2026-01-01").admits("A", None)
        False
        """
        if self.sources and source not in self.sources:
            return False
        if self.since and (day is None or day < self.since):
            return False
        return not (self.until and (day is None or day > self.until))


def _origin_name(origin: str) -> str:
    """A record's origin, normalized: ``./a//b.csv:3`` -> ``a/b.csv:3``; a URL as it is."""
    if "://" in origin:
        return origin
    return os.path.normpath(origin.replace("\\", "/"))


@dataclass
class DuplicateNotes:
    """What :meth:`Store.add_articles` did with duplicates.

    Parameters
    ----------
    filled : Counter
        Field (``date``, ``title``, ``url``, ``author``, ``meta``) -> duplicates whose
        empty field the new record filled.
    elsewhere : Counter
        (stored source, new source) -> texts from the same file already stored under
        another source, so not stored again.
    """

    filled: Counter = field(default_factory=Counter)  # field -> duplicates given it
    elsewhere: Counter = field(default_factory=Counter)  # (stored source, new source) -> n

    def clear(self) -> None:
        self.filled.clear()
        self.elsewhere.clear()

    def merge(self, other: DuplicateNotes) -> None:
        """Add ``other``'s counts to these.

        Parameters
        ----------
        other : DuplicateNotes
        """
        self.filled.update(other.filled)
        self.elsewhere.update(other.elsewhere)


_COLS = "id, source, title, date, url, lang, author, text, origin, encoding, meta"


def _row_to_article(row) -> Article:
    return Article(
        id=row[0],
        source=row[1],
        title=row[2],
        date=row[3],
        url=row[4],
        lang=row[5],
        author=row[6],
        text=row[7],
        origin=row[8],
        encoding=row[9],
        meta=_meta(row[10]),
    )


def _meta(raw: str) -> dict:
    """The stored JSON object of document variables ({} when empty or unreadable)."""
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _moved_vars(stored: dict, sets: dict, columns: dict[str, str]) -> set[str]:
    """Stored variables whose value now fills a field (``sets``) read from their column."""
    moved = set()
    for name, col in columns.items():
        if name not in sets or col not in stored:
            continue
        value = stored[col]
        same = parse_article_date(value) if name == "date" else str(value).strip()
        if same == sets[name]:
            moved.add(col)
    return moved


def meta_json(meta: dict) -> str:
    """Document variables as the store keeps them: compact JSON, keys sorted.

    Parameters
    ----------
    meta : dict
        The variables (None or empty: ``{}``).

    Returns
    -------
    str

    Raises
    ------
    ValueError
        A value JSON cannot hold (NaN, infinity).

    Examples
    --------
    >>> meta_json({"section": "world", "country": "FR"})
    '{"country":"FR","section":"world"}'
    """
    return json.dumps(
        meta or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    )


#: How many selections' keyness counts the store keeps (the latest written).
KEYNESS_CACHE_KEYS = 8


class Store:
    """An open article store. Use :func:`open_store`.

    Parameters
    ----------
    conn : sqlite3.Connection
    path : str
        The file, or ``":memory:"``.
    readonly : bool
        Opened read-only (a read-only file, folder or mount).
    version : int
        The schema version.

    Examples
    --------
    >>> from discourse.models import Article
    >>> same = [Article("Mutual trust.", "A"), Article("mutual TRUST.", "A")]
    >>> with open_store(":memory:") as store:
    ...     store.add_articles(same), store.count(), store.sources()
    ((1, 1), 1, ['A'])
    """

    def __init__(
        self, conn: sqlite3.Connection, path: str, readonly: bool = False, version: int = 0
    ) -> None:
        self.conn = conn
        self.path = path
        self.readonly = readonly  # opened read-only (a read-only file, folder or mount)
        self.version = version or SCHEMA_VERSION
        self.busy_wait = DEFAULT_BUSY_WAIT
        self._checked = path == ":memory:"  # integrity checked before the first write

    # -- lifecycle
    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def in_memory(self) -> bool:
        return self.path == ":memory:"

    # -- writing
    def add_articles(
        self,
        articles: Iterable[Article],
        batch_size: int = 500,
        notes: DuplicateNotes | None = None,
        columns: dict[str, str] | None = None,
    ) -> tuple[int, int]:
        """Insert articles, one transaction per batch. Returns (added, duplicates).

        A duplicate (same source, same normalized text) is not stored again, but its
        empty fields (date, title, url, author, document variables) are filled from
        the new record. A text already stored under another source from the same file
        (re-ingested with another ``--source``) is a duplicate too. ``notes`` receives
        what was filled and which sources differed. ``columns`` names the record column
        of each field (``{"date": "published"}``): a stored document variable of that
        column, holding the value that now fills the field, is removed.

        Parameters
        ----------
        articles : iterable of Article
            Read lazily; each stored one gets its ``id``.
        batch_size : int
            Articles per transaction.
        notes : DuplicateNotes, optional
            Receives what was done with duplicates.
        columns : dict of str to str, optional
            Field -> the column it was read from.

        Returns
        -------
        (int, int)
            Articles added, duplicates.

        Examples
        --------
        >>> from discourse.models import Article
        >>> with open_store(":memory:") as store:
        ...     store.add_articles([Article("a", "A"), Article("a", "A", date="2026-08-04")])
        (1, 1)
        """
        added = dups = 0
        notes = notes if notes is not None else DuplicateNotes()
        batch: list[Article] = []
        for art in articles:
            batch.append(art)
            if len(batch) >= batch_size:
                a, d = self._insert_batch(batch, notes, columns)
                added, dups, batch = added + a, dups + d, []
        if batch:
            a, d = self._insert_batch(batch, notes, columns)
            added, dups = added + a, dups + d
        return added, dups

    def _insert_batch(
        self, batch: list[Article], notes: DuplicateNotes, columns: dict[str, str] | None = None
    ) -> tuple[int, int]:
        if self.readonly:
            raise StoreError(
                f"the store {self.path} is read-only (file, folder or mount); this command "
                "writes to it: copy the store to a writable folder"
            )
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        found = DuplicateNotes()

        def insert() -> list[int | None]:
            found.clear()
            return [self._insert_one(art, now, found, columns) for art in batch]

        ids = self.write(insert)
        notes.merge(found)
        for art, new_id in zip(batch, ids):
            if new_id is not None:
                art.id = new_id
        added = sum(1 for i in ids if i is not None)
        return added, len(batch) - added

    def _insert_one(
        self, art: Article, now: str, notes: DuplicateNotes, columns: dict[str, str] | None = None
    ) -> int | None:
        """Insert one article (inside a transaction); None for a duplicate."""
        h = text_hash(art.text)
        elsewhere = self._same_file_elsewhere(art, h)
        if elsewhere is not None:
            notes.elsewhere[(elsewhere, art.source)] += 1
            return None
        cur = self.conn.execute(
            "INSERT OR IGNORE INTO articles (source, title, date, url, lang, author, text,"
            " text_hash, origin, added_at, encoding, meta) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (art.source, art.title, art.date, art.url, art.lang, art.author, art.text, h,
             art.origin, now, art.encoding, meta_json(art.meta)),
        )  # fmt: skip
        if cur.rowcount == 1:
            return cur.lastrowid
        self._fill_duplicate(art, h, notes, columns)
        return None

    def _same_file_elsewhere(self, art: Article, h: str) -> str | None:
        """The other source under which this text is stored from the same file (or URL)."""
        if not art.origin:
            return None
        rows = self.conn.execute(
            "SELECT source, origin FROM articles WHERE text_hash = ? AND source != ?",
            (h, art.source),
        ).fetchall()
        name = _origin_name(art.origin)
        return next((src for src, origin in rows if _origin_name(origin) == name), None)

    def _fill_duplicate(
        self, art: Article, h: str, notes: DuplicateNotes, columns: dict[str, str] | None
    ) -> None:
        """Fill the stored duplicate's empty fields from ``art`` (never overwrite a value).

        A stored document variable named in ``columns`` for a field it now fills (the
        column re-ingested with ``date_col``) is removed: its value has become the field.
        """
        row = self.conn.execute(
            "SELECT id, date, title, url, author, meta FROM articles"
            " WHERE source = ? AND text_hash = ?",
            (art.source, h),
        ).fetchone()
        if row is None:
            return
        sets: dict[str, object] = {}
        for i, name in enumerate(("date", "title", "url", "author"), start=1):
            if not row[i] and getattr(art, name):
                sets[name] = getattr(art, name)
        stored = _meta(row[5])
        moved = _moved_vars(stored, sets, columns or {})
        extra = {k: v for k, v in art.meta.items() if k not in stored}
        filled = list(sets) + ["meta"] * bool(extra)
        if extra or moved:
            kept = {k: v for k, v in stored.items() if k not in moved}
            sets["meta"] = meta_json({**kept, **extra})
        if sets:
            assignments = ", ".join(f"{k} = ?" for k in sets)
            self.conn.execute(
                f"UPDATE articles SET {assignments} WHERE id = ?", [*sets.values(), row[0]]
            )
            notes.filled.update(filled)

    def write(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` in one write transaction (``BEGIN IMMEDIATE``): all or nothing.

        A busy store (another connection writing, or a snapshot made stale by another
        connection's commit) is retried with jittered exponential backoff for up to
        :attr:`busy_wait` seconds; then :class:`BusyError` (exit code 3). Before the
        first write the store's integrity is checked once, so that nothing is written
        into a damaged file.

        Parameters
        ----------
        fn : callable
            Runs the statements; its result is returned.

        Returns
        -------
        Any
            What ``fn`` returned.
        """
        if not self._checked:
            self.check_integrity()
        deadline = time.monotonic() + self.busy_wait
        delay = 0.01
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                result = fn()
                self.conn.execute("COMMIT")
                return result
            except BusyError:
                self._rollback()
                left = deadline - time.monotonic()
                if left <= 0:
                    raise
                time.sleep(min(delay * (0.5 + random.random()), left))
                delay = min(delay * 2, 1.0)
            except BaseException:
                self._rollback()
                raise

    def check_integrity(self) -> None:
        """Refuse a damaged store (``PRAGMA quick_check``: ~0.3 s for 200 MB); at open."""
        rows = self.conn.execute("PRAGMA quick_check(5)").fetchall()
        if [r[0] for r in rows] != ["ok"]:
            problem = " ".join(str(rows[0][0]).replace("*** in database main ***", "").split())
            raise StoreError(
                f"the store {self.path} is damaged ({problem[:120]}); nothing was written "
                f"to it: restore it from a backup, or rescue what is left with: "
                f"sqlite3 {self.path} .recover"
            )
        self._checked = True

    def _rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error, DiscourseError):
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")

    # -- reading
    def count(self, sel: Selection | None = None) -> int:
        """The number of selected articles.

        Parameters
        ----------
        sel : Selection, optional
            Default: all.

        Returns
        -------
        int

        Examples
        --------
        >>> from discourse.models import Article
        >>> with open_store(":memory:") as store:
        ...     _ = store.add_articles([Article("a", "A"), Article("b", "B")])
        ...     store.count(), store.count(Selection(sources=["B"]))
        (2, 1)
        """
        where, params = (sel or Selection()).where()
        return self.conn.execute(f"SELECT count(*) FROM articles{where}", params).fetchone()[0]

    def iter_articles(
        self, sel: Selection | None = None, chunk: int = 200, order: str = "date",
        text: bool = True,
    ) -> Iterator[Article]:  # fmt: skip
        """Stream the articles stored when the call began, in order.

        The ordered ids are read first (8 bytes per article), then the articles in
        chunks, each its own short query: no read transaction stays open while the
        caller works, so the caller may write (the score cache) between chunks without
        its snapshot going stale (SQLITE_BUSY_SNAPSHOT). With ``text`` False the texts
        are not read (``Article.text`` is None; :meth:`texts` reads those needed).

        Parameters
        ----------
        sel : Selection, optional
            Which articles (all when None).
        chunk : int
            Articles per query.
        order : {"date", "id"}
            By date (undated last, then id) or by id.
        text : bool
            Whether to read the texts.

        Returns
        -------
        Iterator[Article]
            The articles, each with its store ``id``.
        """
        where, params = (sel or Selection()).where()
        cols = self._cols if text else self._cols.replace(" text,", " NULL,")
        order_by = {"date": "date IS NULL, date, id", "id": "id"}[order]
        ids = array("q")
        cur = self.conn.execute(f"SELECT id FROM articles{where} ORDER BY {order_by}", params)
        for row in cur:
            ids.append(row[0])
        for i in range(0, len(ids), chunk):
            part = ids[i : i + chunk].tolist()
            rows = self.conn.execute(
                f"SELECT {cols} FROM articles WHERE id IN ({','.join('?' * len(part))})",
                part,
            ).fetchall()
            by_id = {row[0]: row for row in rows}
            for aid in part:
                if aid in by_id:
                    yield _row_to_article(by_id[aid])

    def texts(self, ids: list[int]) -> dict[int, str]:
        """The texts of the articles ``ids`` (those still stored): id -> text.

        Parameters
        ----------
        ids : list of int

        Returns
        -------
        dict

        Examples
        --------
        >>> from discourse.models import Article
        >>> with open_store(":memory:") as store:
        ...     _ = store.add_articles([Article("Mutual trust.", "A")])
        ...     store.texts([1, 2])
        {1: 'Mutual trust.'}
        """
        out: dict[int, str] = {}
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            rows = self.conn.execute(
                f"SELECT id, text FROM articles WHERE id IN ({','.join('?' * len(part))})", part
            )
            out.update(rows)
        return out

    def get(self, article_id: int) -> Article | None:
        """The article with this id, or None.

        Parameters
        ----------
        article_id : int

        Returns
        -------
        Article or None

        Examples
        --------
        >>> from discourse.models import Article
        >>> with open_store(":memory:") as store:
        ...     _ = store.add_articles([Article("Mutual trust.", "A")])
        ...     store.get(1).text, store.get(2)
        ('Mutual trust.', None)
        """
        row = self.conn.execute(
            f"SELECT {self._cols} FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        return _row_to_article(row) if row else None

    @property
    def _cols(self) -> str:
        # a read-only store of an older schema cannot be migrated: no encoding, no meta
        cols = _COLS if self.version >= 5 else _COLS.replace("meta", "'{}'")
        return cols if self.version >= 2 else cols.replace("encoding", "''")

    def has_url(self, url: str) -> bool:
        """Whether an article with this URL is stored.

        Parameters
        ----------
        url : str

        Returns
        -------
        bool
        """
        return (
            self.conn.execute("SELECT 1 FROM articles WHERE url = ? LIMIT 1", (url,)).fetchone()
            is not None
        )

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """The ``urls`` stored as an article's URL (canonical) or origin (a feed's link).

        Parameters
        ----------
        urls : iterable of str

        Returns
        -------
        set of str
            Those already stored (asked 500 at a time).
        """
        urls = list(urls)
        found: set[str] = set()
        for i in range(0, len(urls), 500):
            part = urls[i : i + 500]
            marks = ",".join("?" * len(part))
            rows = self.conn.execute(
                f"SELECT url FROM articles WHERE url IN ({marks})"
                f" UNION SELECT origin FROM articles WHERE origin IN ({marks})",
                part + part,
            )
            found.update(r[0] for r in rows)
        return found & set(urls)

    # -- fetch failures
    def backing_off(self, urls: Iterable[str], now: float | None = None) -> dict[str, float]:
        """The ``urls`` that failed before and whose back-off has not ended.

        Parameters
        ----------
        urls : iterable of str
        now : float, optional
            Unix time (default: now).

        Returns
        -------
        dict of str to float
            URL -> when it may be tried again (Unix time).
        """
        now = time.time() if now is None else now
        urls = list(urls)
        out: dict[str, float] = {}
        for i in range(0, len(urls), 500):
            part = urls[i : i + 500]
            rows = self.conn.execute(
                "SELECT url, retry_after FROM fetch_failures WHERE retry_after > ?"
                f" AND url IN ({','.join('?' * len(part))})",
                [now, *part],
            )
            out.update((r[0], r[1]) for r in rows)
        return out

    def record_fetch_failure(self, url: str, source: str, reason: str) -> None:
        """Count a failed page and push its next try back (see :data:`FAILURE_BACKOFF`).

        Parameters
        ----------
        url : str
            The page.
        source : str
            Its feed's source.
        reason : str
            Why it failed (kept for ``fetch`` summaries).
        """
        now = time.time()
        first, cap = FAILURE_BACKOFF

        def upsert() -> None:
            row = self.conn.execute(
                "SELECT count FROM fetch_failures WHERE url = ?", (url,)
            ).fetchone()
            count = (row[0] if row else 0) + 1
            retry = now + min(first * 2 ** (count - 1), cap)
            self.conn.execute(
                "INSERT OR REPLACE INTO fetch_failures"
                " (url, source, reason, count, last_at, retry_after) VALUES (?,?,?,?,?,?)",
                (url, source, reason[:500], count, now, retry),
            )

        self.write(upsert)

    def forget_fetch_failure(self, url: str) -> None:
        """A page that was stored is no longer a failure.

        Parameters
        ----------
        url : str
        """
        self.write(lambda: self.conn.execute("DELETE FROM fetch_failures WHERE url = ?", (url,)))

    def fetch_failures(self) -> list[tuple[str, int, float]]:
        """Every remembered failure, by URL.

        Returns
        -------
        list of (str, int, float)
            (url, failures so far, retry_after as a Unix time).
        """
        rows = self.conn.execute(
            "SELECT url, count, retry_after FROM fetch_failures ORDER BY url"
        ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    def sources(self, sel: Selection | None = None) -> list[str]:
        """The sources of the selected articles, sorted.

        Parameters
        ----------
        sel : Selection, optional

        Returns
        -------
        list of str

        Examples
        --------
        >>> from discourse.models import Article
        >>> with open_store(":memory:") as store:
        ...     _ = store.add_articles([Article("a", "B"), Article("b", "A")])
        ...     store.sources()
        ['A', 'B']
        """
        where, params = (sel or Selection()).where()
        rows = self.conn.execute(
            f"SELECT DISTINCT source FROM articles{where} ORDER BY source", params
        )
        return [r[0] for r in rows]

    def source_counts(self) -> dict[str, int]:
        """Articles per source (from the source index; no text is read).

        Returns
        -------
        dict of str to int
        """
        rows = self.conn.execute("SELECT source, count(*) FROM articles GROUP BY source")
        return {r[0]: r[1] for r in rows}

    def meta_keys(self, sel: Selection | None = None) -> list[str]:
        """The document variables (``meta`` keys) of a selection's articles, sorted.

        Parameters
        ----------
        sel : Selection, optional

        Returns
        -------
        list of str
            Empty for a store older than schema 5.
        """
        if self.version < 5:
            return []
        where, params = (sel or Selection()).where()
        rows = self.conn.execute(
            f"SELECT DISTINCT j.key FROM (SELECT meta FROM articles{where}) AS a,"
            " json_each(a.meta) AS j ORDER BY j.key",
            params,
        )
        return [r[0] for r in rows]

    def meta_types(self, sel: Selection | None = None) -> dict[str, set[str]]:
        """The JSON types of each document variable's values in a selection's articles.

        Parameters
        ----------
        sel : Selection, optional

        Returns
        -------
        dict of str to set of str
            ``{key: types}``, keys sorted; the types are SQLite's ``json_type`` names
            (``text``, ``integer``, ``real``, ``true``, ``false``, ``array``, ``object``).

        Examples
        --------
        >>> from discourse.models import Article
        >>> with open_store(":memory:") as store:
        ...     arts = [Article("a", "A", meta={"n": 1}), Article("b", "A", meta={"n": 2.5})]
        ...     _ = store.add_articles(arts)
        ...     sorted(store.meta_types()["n"])
        ['integer', 'real']
        """
        if self.version < 5:
            return {}
        where, params = (sel or Selection()).where()
        rows = self.conn.execute(
            f"SELECT DISTINCT j.key, j.type FROM (SELECT meta FROM articles{where}) AS a,"
            " json_each(a.meta) AS j ORDER BY j.key",
            params,
        )
        out: dict[str, set[str]] = {}
        for key, kind in rows:
            out.setdefault(key, set()).add(kind)
        return out

    def date_range(self, sel: Selection | None = None) -> tuple[str | None, str | None]:
        """The first and last day (``YYYY-MM-DD``) of the selected articles' dates.

        Parameters
        ----------
        sel : Selection, optional

        Returns
        -------
        (str or None, str or None)
            Nones when no selected article has a date.

        Examples
        --------
        >>> from discourse.models import Article
        >>> with open_store(":memory:") as store:
        ...     _ = store.add_articles(
        ...         [Article("a", "A", date="2026-08-04"), Article("b", "A", date="2026-09-01")]
        ...     )
        ...     store.date_range()
        ('2026-08-04', '2026-09-01')
        """
        where, params = (sel or Selection()).where()
        row = self.conn.execute(
            f"SELECT min(substr(date,1,10)), max(substr(date,1,10)) FROM articles{where}", params
        ).fetchone()
        return row[0], row[1]

    def source_stats(self, sel: Selection | None = None) -> list[dict]:
        """Per source of a selection: articles, first and last day, characters, undated.

        Parameters
        ----------
        sel : Selection, optional

        Returns
        -------
        list of dict
            Keys ``source, articles, first, last, characters, undated``, by source.

        Examples
        --------
        >>> from discourse.models import Article
        >>> with open_store(":memory:") as store:
        ...     _ = store.add_articles([Article("ab", "A", date="2026-08-04"), Article("c", "A")])
        ...     store.source_stats()
        [{'source': 'A', 'articles': 2, 'first': '2026-08-04', 'last': '2026-08-04', \
'characters': 3, 'undated': 1}]
        """
        where, params = (sel or Selection()).where()
        rows = self.conn.execute(
            "SELECT source, count(*), min(substr(date,1,10)), max(substr(date,1,10)),"
            " sum(length(text)), sum(date IS NULL) FROM articles"
            f"{where} GROUP BY source ORDER BY source",
            params,
        )
        return [
            {
                "source": r[0],
                "articles": r[1],
                "first": r[2],
                "last": r[3],
                "characters": r[4],
                "undated": r[5],
            }
            for r in rows
        ]

    def list_articles(self, sel: Selection | None = None, limit: int | None = None) -> list[dict]:
        """A selection's articles without their text, by date (undated last), then id.

        Parameters
        ----------
        sel : Selection, optional
        limit : int, optional
            The most rows.

        Returns
        -------
        list of dict
            Keys ``id, source, date, title, url, characters``.
        """
        where, params = (sel or Selection()).where()
        sql = (
            f"SELECT id, source, substr(date,1,10), title, url, length(text) FROM articles"
            f"{where} ORDER BY date IS NULL, date, id"
        )
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [
            {
                "id": r[0],
                "source": r[1],
                "date": r[2],
                "title": r[3],
                "url": r[4],
                "characters": r[5],
            }
            for r in self.conn.execute(sql, params)
        ]

    # -- editing (corpus rm, set, rename-source)
    def ids(self, sel: Selection | None = None) -> list[int]:
        """The ids of a selection, in the order of :meth:`list_articles`.

        Parameters
        ----------
        sel : Selection, optional

        Returns
        -------
        list of int
        """
        where, params = (sel or Selection()).where()
        rows = self.conn.execute(
            f"SELECT id FROM articles{where} ORDER BY date IS NULL, date, id", params
        )
        return [r[0] for r in rows]

    def remove(self, ids: list[int]) -> tuple[int, int]:
        """Delete articles and their cached scores in one transaction.

        Parameters
        ----------
        ids : list of int
            The articles.

        Returns
        -------
        (int, int)
            Articles and cached scores deleted.
        """
        self._check_writable()

        def delete() -> tuple[int, int]:
            cached = arts = 0
            for i in range(0, len(ids), 500):
                part = ids[i : i + 500]
                marks = ",".join("?" * len(part))
                cached += self.conn.execute(
                    f"DELETE FROM score_cache WHERE article_id IN ({marks})", part
                ).rowcount
                arts += self.conn.execute(
                    f"DELETE FROM articles WHERE id IN ({marks})", part
                ).rowcount
            return arts, cached

        return self.write(delete)

    def update(self, ids: list[int], changes: dict[str, object]) -> dict[str, int]:
        """Set fields of articles in one transaction; their cached scores are dropped.

        ``changes`` maps ``source``, ``title``, ``date``, ``url`` or ``meta.KEY`` to the
        new value (``None`` for ``date`` or a ``meta.KEY``: remove it). An article whose
        new source already holds the same text is merged into that one (deleted).

        Parameters
        ----------
        ids : list of int
            The articles.
        changes : dict
            Field -> new value.

        Returns
        -------
        dict
            ``changed``, ``merged`` (articles deleted as duplicates) and ``cached``
            (cached scores dropped).
        """
        self._check_writable()
        plain = {k: v for k, v in changes.items() if k in ("source", "title", "date", "url")}
        meta = {k[5:]: v for k, v in changes.items() if k.startswith("meta.")}

        def apply() -> dict[str, int]:
            out = {"changed": 0, "merged": 0, "cached": 0}
            for aid in ids:
                out["cached"] += self.conn.execute(
                    "DELETE FROM score_cache WHERE article_id = ?", (aid,)
                ).rowcount
                if self._merge_into_source(aid, plain.get("source")):
                    out["merged"] += 1
                    continue
                out["changed"] += self._update_one(aid, plain, meta)
            return out

        return self.write(apply)

    def _merge_into_source(self, aid: int, source: object) -> bool:
        """Delete article ``aid`` if ``source`` already holds its text (a merge)."""
        if source is None:
            return False
        row = self.conn.execute(
            "SELECT b.id FROM articles a JOIN articles b ON b.text_hash = a.text_hash"
            " WHERE a.id = ? AND b.source = ? AND b.id != a.id",
            (aid, source),
        ).fetchone()
        if row is None:
            return False
        self.conn.execute("DELETE FROM articles WHERE id = ?", (aid,))
        return True

    def _update_one(self, aid: int, plain: dict, meta: dict) -> int:
        sets = dict(plain)
        if meta:
            row = self.conn.execute("SELECT meta FROM articles WHERE id = ?", (aid,)).fetchone()
            if row is None:
                return 0
            merged = {**_meta(row[0]), **meta}
            sets["meta"] = meta_json({k: v for k, v in merged.items() if v is not None})
        if not sets:
            return 0
        assignments = ", ".join(f"{k} = ?" for k in sets)
        cur = self.conn.execute(
            f"UPDATE articles SET {assignments} WHERE id = ?", [*sets.values(), aid]
        )
        return cur.rowcount

    def _check_writable(self) -> None:
        if self.readonly:
            raise StoreError(
                f"the store {self.path} is read-only (file, folder or mount); this command "
                "writes to it: copy the store to a writable folder"
            )

    # -- score cache
    def cached_scores(self, scorer: str, ids: list[int]) -> dict[int, dict]:
        """The score-cache rows of ``ids`` under one scorer's key.

        Parameters
        ----------
        scorer : str
            The scorer's cache key (lexicon or model hash and settings).
        ids : list of int
            Article ids.

        Returns
        -------
        dict
            Article id -> cached payload (raw counts), for the ids that have a row.
        """
        out: dict[int, dict] = {}
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            rows = self.conn.execute(
                f"SELECT article_id, payload FROM score_cache WHERE scorer = ? AND article_id IN "
                f"({','.join('?' * len(part))})",
                [scorer, *part],
            )
            for aid, payload in rows:
                out[aid] = json.loads(payload)
        return out

    def put_scores(self, scorer: str, items: list[tuple[int, dict]]) -> None:
        """Cache scores (a read-only store keeps none; a busy one is retried, see :meth:`write`).

        Parameters
        ----------
        scorer : str
            The scorer's cache key.
        items : list of (int, dict)
            Article id and payload (raw counts) pairs; an existing row is replaced.
        """
        if not items or self.readonly:
            return
        rows = [(aid, scorer, json.dumps(p, separators=(",", ":"))) for aid, p in items]
        self.write(
            lambda: self.conn.executemany(
                "INSERT OR REPLACE INTO score_cache (article_id, scorer, payload) VALUES (?,?,?)",
                rows,
            )
        )

    # -- keyness cache: per-source n-gram counts of a selection (see evidence.keyness)
    def article_keys(self, sel: Selection | None = None) -> list[tuple[int, str, str]]:
        """``(id, source, identity)`` of each selected article, in :meth:`iter_articles`' date
        order, without the texts; ``identity`` changes when an id is reused by another text.

        Parameters
        ----------
        sel : Selection, optional
            Which articles (all when None).

        Returns
        -------
        list of (int, str, str)
            Id, source and identity (text hash and time added) of each article.

        Examples
        --------
        >>> from discourse.models import Article
        >>> with open_store(":memory:") as store:
        ...     _ = store.add_articles([Article("Mutual trust.", "A")])
        ...     [(i, s) for i, s, _ in store.article_keys()]
        [(1, 'A')]
        """
        where, params = (sel or Selection()).where()
        rows = self.conn.execute(
            f"SELECT id, source, text_hash || ' ' || added_at FROM articles{where}"
            " ORDER BY date IS NULL, date, id",
            params,
        )
        return [tuple(r) for r in rows]

    def keyness_cached(self, key: str) -> dict[str, tuple[int, str, dict]]:
        """The cached counts under ``key``: source -> (highest id counted, fingerprint,
        payload); empty when nothing was cached (or the store has no such table yet).

        Parameters
        ----------
        key : str
            The selection's and keyness settings' cache key.

        Returns
        -------
        dict
            Source -> (highest article id counted, fingerprint of the articles counted,
            n-gram counts).
        """
        if not self._has_table("keyness_cache"):
            return {}
        rows = self.conn.execute(
            "SELECT source, upto, fingerprint, payload FROM keyness_cache WHERE key = ?", (key,)
        ).fetchall()
        return {src: (upto, fp, json.loads(payload)) for src, upto, fp, payload in rows}

    def put_keyness(self, key: str, items: list[tuple[str, int, str, dict]]) -> None:
        """Cache per-source counts under ``key`` (replacing the key's previous rows), in a
        table created on first use (a cache: older versions of discourse ignore it). A
        read-only store keeps none; the :data:`KEYNESS_CACHE_KEYS` most recently written
        keys are kept, older ones deleted.

        Parameters
        ----------
        key : str
            The selection's and keyness settings' cache key.
        items : list of (str, int, str, dict)
            Source, highest article id counted, fingerprint and n-gram counts.
        """
        if not items or self.readonly:
            return
        rows = [
            (key, s, upto, fp, json.dumps(p, separators=(",", ":"))) for s, upto, fp, p in items
        ]

        def put() -> None:
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS keyness_cache (key TEXT NOT NULL, source TEXT NOT "
                "NULL, upto INTEGER NOT NULL, fingerprint TEXT NOT NULL, payload TEXT NOT NULL,"
                " PRIMARY KEY (key, source))"
            )
            self.conn.execute("DELETE FROM keyness_cache WHERE key = ?", (key,))
            self.conn.executemany("INSERT INTO keyness_cache VALUES (?,?,?,?,?)", rows)
            # keep the most recently written selections only (a weekly cron report
            # writes a new one each week): rowids grow, so max(rowid) is the latest
            self.conn.execute(
                "DELETE FROM keyness_cache WHERE key NOT IN (SELECT key FROM keyness_cache"
                " GROUP BY key ORDER BY max(rowid) DESC LIMIT ?)",
                (KEYNESS_CACHE_KEYS,),
            )

        self.write(put)

    def _has_table(self, name: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return row is not None


def _check_existing_file(p: Path) -> None:
    if p.is_dir():
        raise StoreError(f"`db` {p} is a folder; give a file path such as {p / DEFAULT_DB}")
    try:
        with p.open("rb") as fh:
            head = fh.read(16)
    except OSError as e:
        raise StoreError(f"cannot read the store {p}: {e.strerror}") from None
    if head and head != _SQLITE_MAGIC:
        raise StoreError(
            f"`db` {p} is not a discourse store (not an SQLite file); it was left "
            "untouched: choose another path with `db`"
        )


def open_store(path: str | os.PathLike | None = None, create: bool = True) -> Store:
    """Open (and create or migrate) a store. ``":memory:"`` gives an in-memory store.

    A store that cannot be written (read-only file, folder or mount) is opened
    read-only: reading commands work, writing ones fail with one line.

    Parameters
    ----------
    path : str or PathLike, optional
        The store's file (default: :func:`default_db_path`) or ``":memory:"``.
    create : bool
        Create a missing store; False: refuse with :class:`StoreError`.

    Returns
    -------
    Store
        Close it (or use it in a ``with`` block).

    Examples
    --------
    >>> with open_store(":memory:") as store:
    ...     store.in_memory, store.count()
    (True, 0)
    """
    path = str(path) if path is not None else default_db_path()
    if path != ":memory:":
        p = Path(path)
        if p.exists():
            _check_existing_file(p)
        elif not create:
            raise StoreError(
                f"no store at {path}; ingest articles first "
                "(discourse ingest PATH --db ...) or give PATHs to analyse directly"
            )
        elif not p.parent.exists():
            raise StoreError(f"cannot create the store {path}: folder {p.parent} does not exist")
    readonly = path != ":memory:" and Path(path).exists() and not _writable(Path(path))
    deadline = time.monotonic() + DEFAULT_BUSY_WAIT
    delay = 0.01
    while True:  # a store being created or migrated by another run at this moment is busy
        try:
            return _open(path, readonly)
        except BusyError:
            left = deadline - time.monotonic()
            if left <= 0:
                raise
            time.sleep(min(delay * (0.5 + random.random()), left))
            delay = min(delay * 2, 1.0)


def _open(path: str, readonly: bool) -> Store:
    conn = _connect_readonly(path) if readonly else _connect(path)
    try:
        version = _prepare(conn, path, readonly)
    except StoreError as e:
        conn.close()
        kind = _kind(getattr(e, "sqlite_error", None) or e)
        if readonly or isinstance(e, BusyError) or kind not in _NOT_WRITABLE:
            raise
        if not Path(path).exists() or Path(path).stat().st_size == 0:
            raise
        # access() said writable, SQLite found otherwise (e.g. root on a read-only mount)
        return _open(path, True)
    except BaseException:
        conn.close()
        raise
    store = Store(conn, path, readonly=readonly, version=version)
    try:
        store.check_integrity()  # a damaged page may read as wrong rows without an error
    except BaseException:
        conn.close()
        raise
    return store


_NOT_WRITABLE = ("SQLITE_READONLY", "SQLITE_CANTOPEN")


def _writable(p: Path) -> bool:
    return os.access(p, os.W_OK) and os.access(p.parent if str(p.parent) else ".", os.W_OK)


def _connect(path: str, uri: bool = False) -> _Connection:
    try:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, factory=_Connection, uri=uri)
    except sqlite3.Error as e:
        raise StoreError(f"cannot open the store {path}: {e}") from None
    conn.store_path = path if not uri else path.split("?")[0].removeprefix("file:")
    return conn


def _connect_readonly(path: str) -> _Connection:
    """A read-only connection; ``immutable`` when SQLite cannot make its -shm file."""
    base = "file:" + quote(os.path.abspath(path))
    conn = _connect(base + "?mode=ro", uri=True)
    conn.store_path = path
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except StoreError:
        conn.close()
    wal = Path(path + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise StoreError(
            f"the store {path} is read-only and has unfinished writes in {wal.name}; "
            "copy the store with its -wal file to a writable folder and open it there"
        )
    conn = _connect(base + "?mode=ro&immutable=1", uri=True)
    conn.store_path = path
    return conn


def _prepare(conn: sqlite3.Connection, path: str, readonly: bool = False) -> int:
    """Check and migrate the schema; return the schema version the store now has."""
    conn.execute("PRAGMA busy_timeout = 30000")
    try:
        version, tables = _version_and_tables(conn)
    except StoreError as e:
        if isinstance(e, BusyError):
            raise
        err = StoreError(
            f"`db` {path} is not a usable discourse store ({getattr(e, 'sqlite_error', e)}); "
            "it was left untouched: choose another path with `db`"
        )
        err.sqlite_error = getattr(e, "sqlite_error", None)
        raise err from None
    if version == 0 and tables:
        raise StoreError(
            f"`db` {path} is an SQLite database but not a discourse store; it was "
            "left untouched: choose another path with `db`"
        )
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the store {path} has schema version {version}, newer than this "
            f"discourse supports ({SCHEMA_VERSION}); upgrade discourse"
        )
    if readonly:
        if version == 0:
            raise StoreError(f"the store {path} is empty and read-only; ingest into a writable one")
        return version
    if path != ":memory:" and version < SCHEMA_VERSION:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    for v in range(version + 1, SCHEMA_VERSION + 1):
        _migrate(conn, path, v)
    return SCHEMA_VERSION


def _version_and_tables(conn: sqlite3.Connection) -> tuple[int, int]:
    """Schema version and number of tables, read in one statement (one snapshot)."""
    row = conn.execute(
        "SELECT (SELECT user_version FROM pragma_user_version),"
        " (SELECT count(*) FROM sqlite_master WHERE type='table')"
    ).fetchone()
    return row[0], row[1]


def _migrate(conn: sqlite3.Connection, path: str, v: int) -> None:
    """Migration ``v`` in its own write transaction; the version is re-read under the lock,
    so that two runs opening a new store at once do not both migrate it."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        current, tables = _version_and_tables(conn)
        if current < v:
            if current == 0 and tables:
                raise StoreError(
                    f"`db` {path} is an SQLite database but not a discourse store; it was "
                    "left untouched: choose another path with `db`"
                )
            step = _MIGRATIONS[v]
            for stmt in [step] if callable(step) else _split_sql(step):
                stmt(conn) if callable(stmt) else conn.execute(stmt)
            conn.execute(f"PRAGMA user_version = {v}")
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error, DiscourseError):
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        raise


def _split_sql(script: str) -> list[str]:
    return [s.strip() for s in re.split(r";\s*\n", script) if s.strip()]


class FileLock:
    """An exclusive lock beside the store (``<db>.lock``) for writer runs.

    Without a wait (the default) a held lock fails at once with :class:`LockError`
    (exit code 3); with ``wait`` seconds (``--wait``, :func:`set_lock_wait`) the lock
    is polled with backoff until it is free or the time is up. The file is removed
    when the lock is released; one left by a killed run holds no lock and never blocks.

    Parameters
    ----------
    path : str
        The store's file; the lock is ``path + ".lock"``.
    wait : float, optional
        Seconds to wait for a held lock (None: :func:`lock_wait`, 0 unless ``--wait``).
    """

    def __init__(self, path: str, wait: float | None = None) -> None:
        self.path = path + ".lock"
        self.wait = wait
        self._fh = None

    def __enter__(self) -> FileLock:
        wait = lock_wait() if self.wait is None else self.wait
        deadline = time.monotonic() + wait
        delay = 0.05
        while True:
            try:
                self._fh = open(self.path, "a+")  # noqa: SIM115 - held for the lock's lifetime
            except OSError as e:
                if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                    return self  # a read-only folder: this run cannot write the store either
                raise StoreError(f"cannot create the lock file {self.path}: {e.strerror}") from None
            state = self._try_lock()
            if state == "held":
                break
            self._fh.close()
            self._fh = None
            if state == "removed":  # its holder removed the file as it let go: open anew
                continue
            left = deadline - time.monotonic()
            if left > 0:
                time.sleep(min(delay, left))
                delay = min(delay * 1.5, 2.0)
                continue
            waited = f" (waited {wait:g} s)" if wait else ""
            raise LockError(
                f"another discourse run holds the lock {self.path}{waited}; try again "
                "when it has finished, or give `wait` SECONDS"
            )
        self._fh.seek(0)
        self._fh.truncate()
        self._fh.write(f"{os.getpid()}\n")
        self._fh.flush()
        return self

    def _try_lock(self) -> str:
        """One attempt: "held", "busy" (another run holds it) or "removed" (the file
        locked is no longer the one at ``self.path``)."""
        import fcntl

        try:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return "busy"
        try:
            same = os.stat(self.path).st_ino == os.fstat(self._fh.fileno()).st_ino
        except OSError:
            same = False
        return "held" if same else "removed"

    def __exit__(self, *exc) -> None:
        if self._fh is not None:
            import fcntl

            with contextlib.suppress(OSError):  # removed while held: no one else has it
                os.unlink(self.path)
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None
