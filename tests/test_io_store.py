"""Issue 10 items 3 and 10: busy stores, the lock wait, first-run races, corrupt and
read-only stores."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from discourse import store as store_mod
from discourse.errors import LockError, StoreError
from discourse.ingest import IngestOptions, ingest
from discourse.models import Article
from discourse.store import FileLock, open_store

from .conftest import DEMO, write


def _fill(db: str, n: int, prefix: str = "a") -> None:
    with open_store(db) as s:
        s.add_articles(
            Article(text=f"Article {prefix}{i} about mutual trust.", source=f"s{i % 3}",
                    date=f"2026-08-{1 + i % 28:02d}")
            for i in range(n)
        )  # fmt: skip


# ------------------------------------------------------------------ 3: busy stores


def test_score_cache_write_after_another_commit_is_not_busy(tmp_path):
    """A reader iterating the store, then writing its cache after another connection
    committed, used to fail at once with SQLITE_BUSY_SNAPSHOT ("database is locked")."""
    db = str(tmp_path / "s.db")
    _fill(db, 10)
    with open_store(db, create=False) as reader, open_store(db, create=False) as other:
        it = reader.iter_articles(chunk=3)
        first = [next(it).id for _ in range(3)]
        other.put_scores("other", [(1, {"x": 1})])  # commits while `it` is mid-way
        reader.put_scores("mine", [(i, {"y": i}) for i in first])
        rest = [a.id for a in it]
        assert sorted(first + rest) == list(range(1, 11))
        assert set(reader.cached_scores("mine", first)) == set(first)


def test_iteration_sees_the_articles_stored_when_it_began(tmp_path):
    db = str(tmp_path / "s.db")
    _fill(db, 5)
    with open_store(db) as s, open_store(db) as other:
        it = s.iter_articles(chunk=2)
        seen = [next(it).id]
        other.add_articles([Article(text="Added during the iteration.", source="s0")])
        seen += [a.id for a in it]
    assert sorted(seen) == [1, 2, 3, 4, 5]


def test_iteration_order_is_date_then_id_with_undated_last(tmp_path):
    db = str(tmp_path / "s.db")
    dates = ["2026-08-03", None, "2026-08-01", "2026-08-03", None, "2026-08-02"]
    with open_store(db) as s:
        s.add_articles(Article(text=f"Text {i}.", source="s", date=d) for i, d in enumerate(dates))
        got = [(a.date, a.id) for a in s.iter_articles(chunk=2)]
    want = sorted(
        ((d, i + 1) for i, d in enumerate(dates)), key=lambda t: (t[0] is None, t[0] or "", t[1])
    )
    assert got == want


def test_busy_write_is_retried_with_backoff(tmp_path, monkeypatch):
    db = str(tmp_path / "s.db")
    _fill(db, 3)
    real = store_mod._Connection.execute
    fails = {"left": 3}

    def flaky(self, sql, params=()):
        if sql == "BEGIN IMMEDIATE" and fails["left"]:
            fails["left"] -= 1
            e = sqlite3.OperationalError("database is locked")
            e.sqlite_errorname = "SQLITE_BUSY_SNAPSHOT"
            raise store_mod.store_error(e, db)
        return real(self, sql, params)

    monkeypatch.setattr(store_mod._Connection, "execute", flaky)
    with open_store(db) as s:
        s.put_scores("k", [(1, {"a": 1})])
        assert fails["left"] == 0
        assert s.cached_scores("k", [1]) == {1: {"a": 1}}


def test_busy_store_gives_up_after_its_budget_with_exit_code_3(tmp_path):
    db = str(tmp_path / "s.db")
    _fill(db, 3)
    with open_store(db) as s, open_store(db) as holder:
        holder.conn.execute("BEGIN IMMEDIATE")
        s.conn.execute("PRAGMA busy_timeout = 50")
        s.busy_wait = 0.3
        t0 = time.monotonic()
        with pytest.raises(LockError) as exc:
            s.put_scores("k", [(1, {"a": 1})])
        assert 0.25 < time.monotonic() - t0 < 5
        assert exc.value.exit_code == 3 and "`wait`" in str(exc.value)
        holder.conn.execute("ROLLBACK")


def test_wait_option_waits_for_the_lock(run, tmp_path):
    db = str(tmp_path / "s.db")
    art = write(tmp_path / "a.txt", "An article about mutual trust.")
    lock = FileLock(db, wait=0).__enter__()
    r = run("ingest", art, "--db", db)
    assert r.code == 3 and "--wait SECONDS" in r.err
    threading.Timer(0.5, lock.__exit__).start()
    t0 = time.monotonic()
    r = run("ingest", art, "--db", db, "--wait", "20")
    assert r.code == 0, r.err
    assert 0.4 < time.monotonic() - t0 < 15


def test_wait_gives_up_after_the_time(run, tmp_path):
    db = str(tmp_path / "s.db")
    art = write(tmp_path / "a.txt", "An article about mutual trust.")
    with FileLock(db, wait=0):
        t0 = time.monotonic()
        r = run("ingest", art, "--db", db, "--wait", "0.6")
        assert r.code == 3 and "waited 0.6 s" in r.err
        assert time.monotonic() - t0 >= 0.5


def test_first_run_migrations_racing_do_not_collide(tmp_path):
    """Two runs creating the same new store at once: the migration is re-checked under
    SQLite's write lock, so the second does not run CREATE TABLE again."""
    for k in range(15):
        db = str(tmp_path / f"new{k}.db")
        barrier = threading.Barrier(3)
        errors: list[BaseException] = []

        def opener(db=db, barrier=barrier, errors=errors):
            barrier.wait()
            try:
                open_store(db).close()
            except BaseException as e:  # noqa: BLE001 - collected for the assertion
                errors.append(e)

        threads = [threading.Thread(target=opener) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        con = sqlite3.connect(db)
        assert con.execute("PRAGMA user_version").fetchone()[0] == store_mod.SCHEMA_VERSION
        con.close()


def test_migration_rechecks_the_version_inside_the_transaction(tmp_path):
    """Deterministic form of the race: a connection that read version 0 before another
    run migrated must not migrate again."""
    db = str(tmp_path / "s.db")
    late = store_mod._connect(db)  # opened first, migrates last
    open_store(db).close()
    store_mod._migrate(late, db, 1)  # version is already the newest: nothing to do, no error
    store_mod._migrate(late, db, 2)
    assert late.execute("PRAGMA user_version").fetchone()[0] == store_mod.SCHEMA_VERSION
    late.close()


def test_schema_1_store_is_migrated_with_an_encoding_column(tmp_path):
    db = str(tmp_path / "old.db")
    con = sqlite3.connect(db)
    con.executescript(store_mod._MIGRATIONS[1])
    con.execute(
        "INSERT INTO articles (source, text, text_hash, added_at)"
        " VALUES ('s', 'Old text.', 'h', 'now')"
    )
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    with open_store(db, create=False) as s:
        (art,) = list(s.iter_articles())
    assert art.text == "Old text." and art.encoding == ""


# ---------------------------------------------------------------- 10: corrupt store


def _corrupt(db: str) -> str:
    """Overwrite the middle pages of the file with garbage; return the file's hash."""
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("PRAGMA journal_mode = DELETE")
    page = con.execute("PRAGMA page_size").fetchone()[0]
    pages = con.execute("PRAGMA page_count").fetchone()[0]
    con.close()
    assert pages > 8
    with open(db, "r+b") as fh:
        for p in range(pages // 3, 2 * pages // 3):
            fh.seek(p * page + 100)
            fh.write(b"\xde\xad\xbe\xef" * 200)
    return hashlib.sha256(Path(db).read_bytes()).hexdigest()


@pytest.fixture
def corrupt_db(tmp_path):
    db = str(tmp_path / "bad.db")
    with open_store(db) as s:
        ingest(s, [DEMO], IngestOptions(), warn=lambda m: None)
    with open_store(db) as s:
        s.add_articles(
            Article(text=f"Filler article {i} " + "about mutual trust " * 60, source="f")
            for i in range(300)
        )
    return db, _corrupt(db)


@pytest.mark.parametrize(
    "args",
    [
        ["ingest", "{new}"],
        ["compare"],
        ["score"],
        ["report", "--since", "2026-01-01", "--until", "2026-12-31", "-o", "{out}"],
        ["corpus", "list"],
        ["corpus", "stats"],
        ["corpus", "export"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_corrupt_store_one_line_exit_1_nothing_written(run, tmp_path, corrupt_db, args):
    db, digest = corrupt_db
    new = write(tmp_path / "new" / "n.txt", "A brand new article about mutual trust.")
    args = [a.format(new=new, out=tmp_path / "out") for a in args]
    r = run(*args, "--db", db)
    assert r.code == 1, (r.code, r.err)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("discourse: error: the store"), r.err
    assert "damaged" in lines[0] or "not a usable" in lines[0] or "malformed" in lines[0]
    assert hashlib.sha256(Path(db).read_bytes()).hexdigest() == digest
    wal = Path(db + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


# ------------------------------------------------------------- 10: read-only store


def _readonly_runner():
    """argv prefix that runs without the power to ignore file permissions."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot make a folder read-only")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner"]


def _cli(prefix, *args, env=None):
    return subprocess.run(
        [*prefix, sys.executable, "-m", "discourse", *map(str, args)],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip


def test_store_in_a_read_only_folder_can_be_read(tmp_path):
    prefix = _readonly_runner()
    folder = tmp_path / "ro"
    folder.mkdir()
    db = str(folder / "s.db")
    with open_store(db) as s:
        ingest(s, [DEMO], IngestOptions(), warn=lambda m: None)
    before = sorted(os.listdir(folder))
    digest = hashlib.sha256(Path(db).read_bytes()).hexdigest()
    os.chmod(folder, 0o555)
    try:
        env = {**os.environ, "NO_COLOR": "1"}
        r = _cli(prefix, "corpus", "stats", "--db", db, "--format", "csv", env=env)
        assert r.returncode == 0, r.stderr
        assert "TOTAL" not in r.stdout and r.stdout.count("\n") >= 3
        r = _cli(prefix, "compare", "--db", db, env=env)
        assert r.returncode == 0, r.stderr
        new = write(tmp_path / "n.txt", "Another article about mutual trust.")
        r = _cli(prefix, "ingest", new, "--db", db, env=env)
        assert r.returncode == 1
        assert r.stderr.strip().count("\n") == 0 and "read-only" in r.stderr
    finally:
        os.chmod(folder, 0o755)
    assert sorted(os.listdir(folder)) == before
    assert hashlib.sha256(Path(db).read_bytes()).hexdigest() == digest


def test_read_only_store_refuses_writes_in_process(tmp_path, monkeypatch):
    db = str(tmp_path / "s.db")
    _fill(db, 4)
    monkeypatch.setattr(store_mod, "_writable", lambda p: False)
    with open_store(db, create=False) as s:
        assert s.readonly
        assert s.count() == 4
        s.put_scores("k", [(1, {"a": 1})])  # a cache: silently not kept
        assert s.cached_scores("k", [1]) == {}
        with pytest.raises(StoreError, match="read-only"):
            s.add_articles([Article(text="New one.", source="s")])
