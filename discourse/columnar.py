"""Parquet: record outputs as one file, articles as a partitioned dataset (pyarrow only here).

pyarrow is optional (``pip install 'discourse[parquet]'``); without it, asking for
Parquet fails with one line saying how to install it. Records are the rows that
``--format jsonl`` writes, one column per key in first-seen order, so a Parquet
file holds the same values as the JSON Lines output. Articles are exported as a
Hive-partitioned dataset (``source=.../year=.../part-0.parquet``) that
``pyarrow.dataset``, pandas, Dask, Spark, DuckDB and R's arrow read as one table.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from discourse.errors import InputError

INSTALL = "pip install 'discourse[parquet]'"
#: Columns of an article export, in order; ``source`` (and the ``year`` of ``date``)
#: are the dataset's partitions.
ARTICLE_COLUMNS = ("id", "source", "title", "date", "url", "lang", "author", "text")
FILE_COLUMNS = tuple(c for c in ARTICLE_COLUMNS if c != "source")
#: prefix of a document variable's column (``meta.country``), as in ``score`` output
META_COLUMN = "meta."


def pyarrow():
    """The pyarrow module, or :class:`InputError` saying how to install it."""
    try:
        import pyarrow as pa
        import pyarrow.dataset  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the installation
        raise InputError(
            f"`fmt` parquet needs pyarrow, which is not installed: {INSTALL}"
        ) from None
    return pa


def records_table(records: list[dict]):
    """A pyarrow Table of flat records: one column per key (first-seen order).

    A column whose values pyarrow cannot put in one type (e.g. numbers and text
    mixed) is stored as text (lists and dicts as JSON).
    """
    pa = pyarrow()
    columns: dict[str, None] = {}
    for r in records:
        columns.update(dict.fromkeys(r))
    arrays = {}
    for c in columns:
        values = [r.get(c) for r in records]
        try:
            arrays[c] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arrays[c] = pa.array([_text(v) for v in values], pa.string())
    return pa.table(arrays)


def _text(v: Any) -> str | None:
    if v is None or isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else str(v)


def write_records(records: list[dict], path: str | os.PathLike) -> None:
    """Write flat records to the Parquet file ``path`` (atomically: a temporary file renamed).

    Parameters
    ----------
    records : list of dict
        Rows; missing keys are nulls.
    path : path
        The ``.parquet`` file; its folder is created if missing.
    """
    pa = pyarrow()
    table = records_table(records)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}")
    try:
        pa.parquet.write_table(table, tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_jsonl(pieces: Iterable[str], path: str | os.PathLike) -> int:
    """Write the records of JSON Lines text, piece by piece, to the Parquet file ``path``.

    Each piece becomes a row group as it comes, so memory stays bounded by one piece
    (``score`` yields 500 rows at a time). The first piece's columns and types are
    the file's (a column that is empty there is text); a later piece must fit them.
    The file is written under a temporary name and renamed when complete.

    Returns
    -------
    int
        The number of records written.
    """
    pa = pyarrow()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}")
    writer = schema = None
    n = 0
    try:
        for piece in pieces:
            records = [json.loads(line) for line in piece.splitlines() if line]
            if not records and writer is not None:
                continue
            table = records_table(records)
            if writer is None:
                fields = [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f
                          for f in table.schema]  # fmt: skip
                schema = pa.schema(fields)
                writer = pa.parquet.ParquetWriter(tmp, schema)
            writer.write_table(_fit(pa, table, schema))
            n += len(records)
        if writer is None:
            writer = pa.parquet.ParquetWriter(tmp, pa.schema([]))
        writer.close()
        os.replace(tmp, path)
    except BaseException:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)
        raise
    return n


def _fit(pa, table, schema):
    """``table`` with the columns and types of ``schema`` (the file's)."""
    if table.schema.names != schema.names:
        raise InputError(
            f"the records' columns changed mid-output ({', '.join(table.schema.names[:5])}...); "
            "use `fmt` jsonl"
        )
    cols = []
    for f in schema:
        col = table.column(f.name)
        try:
            cols.append(col.cast(f.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            if not pa.types.is_string(f.type):
                raise InputError(
                    f"column {f.name!r} changes type mid-output ({f.type}, then {col.type}); "
                    "use `fmt` jsonl"
                ) from None
            cols.append(pa.array([_text(v) for v in col.to_pylist()], pa.string()))
    return pa.table(cols, schema=schema)


def _file_schema(pa, meta_types: dict[str, set[str]]):
    """Columns stored in each file of an article dataset (source and year are in its path),
    then one ``meta.KEY`` column per document variable, typed when its values share a type."""
    fields = [(c, pa.int64() if c == "id" else pa.string()) for c in FILE_COLUMNS]
    for key, types in meta_types.items():
        types = set(types) - {"null"}
        if types and types <= {"integer"}:
            kind = pa.int64()
        elif types and types <= {"integer", "real"}:
            kind = pa.float64()
        elif types and types <= {"true", "false"}:
            kind = pa.bool_()
        else:
            kind = pa.string()  # text, or mixed: other values as JSON text
        fields.append((f"{META_COLUMN}{key}", kind))
    return pa.schema(fields)


def _meta_cell(value: Any, as_text: bool) -> Any:
    if not as_text or value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _partition_dir(root: Path, source: str, date: str | None) -> Path:
    from urllib.parse import quote

    year = date[:4] if date and date[:4].isdigit() else HIVE_NULL
    return root / f"source={quote(source, safe='')}" / f"year={year}"


HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"


def write_article_dataset(
    records: Iterable[dict],
    root: str | os.PathLike,
    batch: int = 2000,
    meta_types: dict[str, set[str]] | None = None,
) -> int:
    """Write articles to a Parquet dataset under ``root``, partitioned by source and year.

    One file per partition (``source=<name>/year=<yyyy>/part-0.parquet``, the name
    percent-encoded as ``pyarrow.dataset`` expects), written in row groups of
    ``batch`` articles, so memory stays bounded whatever the corpus size.

    Parameters
    ----------
    records : iterable of dict
        One article per record with the keys of :data:`ARTICLE_COLUMNS` (``date`` ISO or None).
    root : path
        A folder that does not exist yet or is empty.
    batch : int
        Articles buffered per partition before a row group is written.
    meta_types : dict of str to set of str, optional
        The document variables to write as ``meta.KEY`` columns (values from each
        record's ``meta``), with their JSON types (:meth:`discourse.store.Store.meta_types`):
        a column is integer, float or boolean when all its values are, else text.

    Returns
    -------
    int
        Articles written. Undated articles go to ``year=__HIVE_DEFAULT_PARTITION__``.
    """
    pa = pyarrow()
    root = Path(root)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise InputError(f"`output` {root}: a Parquet export needs a new or empty folder")
    schema = _file_schema(pa, meta_types or {})
    meta = [(f.name, f.name[len(META_COLUMN) :], pa.types.is_string(f.type))
            for f in schema if f.name not in FILE_COLUMNS]  # fmt: skip
    writers: dict[Path, Any] = {}
    buffers: dict[Path, list[dict]] = {}
    n = 0

    def flush(where: Path) -> None:
        rows = buffers.pop(where, [])
        if rows:
            data = {c: [r.get(c) for r in rows] for c in FILE_COLUMNS}
            for col, key, as_text in meta:
                data[col] = [_meta_cell((r.get("meta") or {}).get(key), as_text) for r in rows]
            writers[where].write_batch(pa.RecordBatch.from_pydict(data, schema=schema))

    try:
        for rec in records:
            where = _partition_dir(root, rec["source"], rec.get("date"))
            if where not in writers:
                where.mkdir(parents=True, exist_ok=True)
                writers[where] = pa.parquet.ParquetWriter(where / "part-0.parquet", schema)
            buffers.setdefault(where, []).append(rec)
            n += 1
            if len(buffers[where]) >= batch:
                flush(where)
        for where in list(buffers):
            flush(where)
    finally:
        for w in writers.values():
            w.close()
    root.mkdir(parents=True, exist_ok=True)
    return n


def hive_values(path: str | os.PathLike) -> dict[str, str]:
    """Partition values in a dataset file's path: ``.../source=A%20B/year=2026/x`` ->
    ``{"source": "A B", "year": "2026"}`` (the default partition left out)."""
    from urllib.parse import unquote

    out = {}
    for part in Path(path).parent.parts:
        key, eq, value = part.partition("=")
        if eq and key and value != HIVE_NULL:
            out[key] = unquote(value)
    return out


def read_parquet_rows(path: str | os.PathLike, batch: int = 1000) -> Iterator[dict]:
    """The rows of one Parquet file, batch by batch, with its Hive partition values
    (``source``, ``year``) added where the file does not hold them. A ``year`` that is
    the year of the row's ``date`` (the partition :func:`write_article_dataset` derives
    from it) is left out: it is not data of its own.

    Raises
    ------
    ValueError
        The file is not Parquet or is damaged (the reader skips it).
    """
    pa = pyarrow()
    extra = hive_values(path)
    try:
        f = pa.parquet.ParquetFile(path)
        for b in f.iter_batches(batch_size=batch):
            for row in b.to_pylist():
                rec = {**extra, **row}
                if "year" not in row and str(row.get("date") or "")[:4] == extra.get("year"):
                    del rec["year"]
                yield rec
    except (pa.ArrowException, OSError) as e:
        raise ValueError(f"not a readable Parquet file ({e})") from None
