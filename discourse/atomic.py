"""Atomic file writes: a temporary name beside the target, flushed to disk, renamed over it.

A reader (or a run killed half-way) sees the previous file or the new one, never a
mixture. Used for report files and model files alike.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable
from pathlib import Path


def atomic_write(path: str | os.PathLike, data: str | bytes) -> None:
    """Write ``data`` (text is UTF-8) to ``path`` atomically.

    Parameters
    ----------
    path : path
        The target; its folder is created if missing.
    data : str or bytes
        The whole content.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> atomic_write(p, "hello\\n"); p.read_text()
    'hello\\n'
    """
    atomic_write_pieces(path, [data.encode("utf-8") if isinstance(data, str) else data])


def atomic_write_pieces(path: str | os.PathLike, pieces: Iterable[str | bytes]) -> None:
    """Write content that comes in pieces to ``path`` atomically, without holding it all.

    Parameters
    ----------
    path : path
        The target; its folder is created if missing.
    pieces : iterable of str or bytes
        Written (text as UTF-8) as they come; the target appears, whole, once the last is
        written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}")
    try:
        with open(tmp, "xb") as fh:  # permissions as for any new file (the umask)
            for piece in pieces:
                fh.write(piece.encode("utf-8") if isinstance(piece, str) else piece)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
