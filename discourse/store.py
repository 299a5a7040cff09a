"""The article store: SQLite schema, migrations and every SQL statement of the project.

One file (``--db``, default ``./discourse.db``, env ``DISCOURSE_DB``) or an
in-memory store for commands given paths. WAL journal, a busy timeout, one
transaction (``BEGIN IMMEDIATE``) per batch of writes, schema version in
``PRAGMA user_version``. A file that is not a discourse store is refused, never
overwritten.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from discourse.errors import LockError, StoreError
from discourse.models import Article

SCHEMA_VERSION = 2
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
}


def default_db_path() -> str:
    return os.environ.get("DISCOURSE_DB") or DEFAULT_DB


def text_hash(text: str) -> str:
    """Hash of the normalized text (NFKC, case-folded, whitespace collapsed): the dedupe key."""
    norm = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


@dataclass
class Selection:
    """Which articles a command works on."""

    sources: list[str] | None = None
    since: str | None = None  # inclusive, YYYY-MM-DD
    until: str | None = None  # inclusive, YYYY-MM-DD
    ids: list[int] | None = None

    def where(self) -> tuple[str, list]:
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


_COLS = "id, source, title, date, url, lang, author, text, origin, encoding"


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
    )


class Store:
    """An open article store. Use :func:`open_store`."""

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        self.conn = conn
        self.path = path

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
    def add_articles(self, articles: Iterable[Article], batch_size: int = 500) -> tuple[int, int]:
        """Insert articles, one transaction per batch. Returns (added, duplicates)."""
        added = dups = 0
        batch: list[Article] = []
        for art in articles:
            batch.append(art)
            if len(batch) >= batch_size:
                a, d = self._insert_batch(batch)
                added, dups, batch = added + a, dups + d, []
        if batch:
            a, d = self._insert_batch(batch)
            added, dups = added + a, dups + d
        return added, dups

    def _insert_batch(self, batch: list[Article]) -> tuple[int, int]:
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        added = 0
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            for art in batch:
                cur = self.conn.execute(
                    "INSERT OR IGNORE INTO articles (source, title, date, url, lang, author, text,"
                    " text_hash, origin, added_at, encoding) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        art.source,
                        art.title,
                        art.date,
                        art.url,
                        art.lang,
                        art.author,
                        art.text,
                        text_hash(art.text),
                        art.origin,
                        now,
                        art.encoding,
                    ),
                )
                if cur.rowcount == 1:
                    art.id = cur.lastrowid
                    added += 1
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as e:
            self._rollback()
            if "locked" in str(e) or "busy" in str(e):
                raise LockError(
                    f"the store {self.path} is busy (another process is writing); "
                    "try again when it has finished"
                ) from None
            raise StoreError(f"cannot write to {self.path}: {e}") from None
        except BaseException:
            self._rollback()
            raise
        return added, len(batch) - added

    def _rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("ROLLBACK")

    # -- reading
    def count(self, sel: Selection | None = None) -> int:
        where, params = (sel or Selection()).where()
        return self.conn.execute(f"SELECT count(*) FROM articles{where}", params).fetchone()[0]

    def iter_articles(
        self, sel: Selection | None = None, chunk: int = 200, order: str = "date"
    ) -> Iterator[Article]:
        """Stream articles (memory does not grow with the store)."""
        where, params = (sel or Selection()).where()
        order_by = {"date": "date IS NULL, date, id", "id": "id"}[order]
        cur = self.conn.execute(f"SELECT {_COLS} FROM articles{where} ORDER BY {order_by}", params)
        while True:
            rows = cur.fetchmany(chunk)
            if not rows:
                return
            for row in rows:
                yield _row_to_article(row)

    def get(self, article_id: int) -> Article | None:
        row = self.conn.execute(
            f"SELECT {_COLS} FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        return _row_to_article(row) if row else None

    def has_url(self, url: str) -> bool:
        return (
            self.conn.execute("SELECT 1 FROM articles WHERE url = ? LIMIT 1", (url,)).fetchone()
            is not None
        )

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        urls = list(urls)
        found: set[str] = set()
        for i in range(0, len(urls), 500):
            part = urls[i : i + 500]
            rows = self.conn.execute(
                f"SELECT url FROM articles WHERE url IN ({','.join('?' * len(part))})", part
            )
            found.update(r[0] for r in rows)
        return found

    def sources(self, sel: Selection | None = None) -> list[str]:
        where, params = (sel or Selection()).where()
        rows = self.conn.execute(
            f"SELECT DISTINCT source FROM articles{where} ORDER BY source", params
        )
        return [r[0] for r in rows]

    def date_range(self, sel: Selection | None = None) -> tuple[str | None, str | None]:
        where, params = (sel or Selection()).where()
        row = self.conn.execute(
            f"SELECT min(substr(date,1,10)), max(substr(date,1,10)) FROM articles{where}", params
        ).fetchone()
        return row[0], row[1]

    def source_stats(self, sel: Selection | None = None) -> list[dict]:
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

    # -- score cache
    def cached_scores(self, scorer: str, ids: list[int]) -> dict[int, dict]:
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
        if not items:
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany(
                "INSERT OR REPLACE INTO score_cache (article_id, scorer, payload) VALUES (?,?,?)",
                [(aid, scorer, json.dumps(p, separators=(",", ":"))) for aid, p in items],
            )
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as e:
            self._rollback()
            raise StoreError(f"cannot write scores to {self.path}: {e}") from None


def _check_existing_file(p: Path) -> None:
    if p.is_dir():
        raise StoreError(f"--db {p} is a folder; give a file path such as {p / DEFAULT_DB}")
    try:
        with p.open("rb") as fh:
            head = fh.read(16)
    except OSError as e:
        raise StoreError(f"cannot read the store {p}: {e.strerror}") from None
    if head and head != _SQLITE_MAGIC:
        raise StoreError(
            f"--db {p} is not a discourse store (not an SQLite file); it was left "
            "untouched: choose another path with --db"
        )


def open_store(path: str | os.PathLike | None = None, create: bool = True) -> Store:
    """Open (and create or migrate) a store. ``":memory:"`` gives an in-memory store."""
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
    try:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    except sqlite3.Error as e:
        raise StoreError(f"cannot open the store {path}: {e}") from None
    try:
        _prepare(conn, path)
    except sqlite3.DatabaseError as e:
        conn.close()
        raise StoreError(
            f"--db {path} is not a usable discourse store ({e}); it was left "
            "untouched: choose another path with --db"
        ) from None
    except BaseException:
        conn.close()
        raise
    return Store(conn, path)


def _prepare(conn: sqlite3.Connection, path: str) -> None:
    conn.execute("PRAGMA busy_timeout = 30000")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == 0:
        tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
        if tables:
            raise StoreError(
                f"--db {path} is an SQLite database but not a discourse store; it was "
                "left untouched: choose another path with --db"
            )
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the store {path} has schema version {version}, newer than this "
            f"discourse supports ({SCHEMA_VERSION}); upgrade discourse"
        )
    if path != ":memory:":
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    for v in range(version + 1, SCHEMA_VERSION + 1):
        try:
            conn.execute("BEGIN IMMEDIATE")
            for stmt in _split_sql(_MIGRATIONS[v]):
                conn.execute(stmt)
            conn.execute(f"PRAGMA user_version = {v}")
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise


def _split_sql(script: str) -> list[str]:
    return [s.strip() for s in re.split(r";\s*\n", script) if s.strip()]


class FileLock:
    """An exclusive, non-blocking lock beside the store (``<db>.lock``) for writer runs."""

    def __init__(self, path: str) -> None:
        self.path = path + ".lock"
        self._fh = None

    def __enter__(self) -> FileLock:
        import fcntl

        self._fh = open(self.path, "a+")  # noqa: SIM115 - held for the lock's lifetime
        try:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._fh.close()
            self._fh = None
            raise LockError(
                f"another discourse run holds the lock {self.path}; try again when it has finished"
            ) from None
        self._fh.seek(0)
        self._fh.truncate()
        self._fh.write(f"{os.getpid()}\n")
        self._fh.flush()
        return self

    def __exit__(self, *exc) -> None:
        if self._fh is not None:
            import fcntl

            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None
