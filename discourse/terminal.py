"""Terminal concerns: writing to stdout, colour, highlighting, the progress counter on stderr.

Colour only on a terminal and never when ``NO_COLOR`` is set; progress only on a
terminal and when not quiet.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import IO

from discourse.formats import printable_lines


def write(text: str, out: IO[str] | None = None) -> None:
    out = out or sys.stdout
    try:
        out.write(text)
        out.flush()
    except BrokenPipeError:  # e.g. piped into head
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(0) from None


def table_width(stream: IO[str] | None = None) -> int | None:
    """The width text tables must fit: ``COLUMNS`` if set, else the terminal's.

    None when writing to a file or pipe without ``COLUMNS`` (no limit there).
    """
    cols = os.environ.get("COLUMNS", "")
    if cols.strip().isdigit() and int(cols) > 0:
        return int(cols)
    stream = stream or sys.stdout
    if hasattr(stream, "isatty") and stream.isatty():
        try:
            return os.get_terminal_size(stream.fileno()).columns
        except (OSError, ValueError):
            return None
    return None


# ----------------------------------------------------------------------- colour


def use_color(stream: IO[str] | None = None) -> bool:
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def highlight(text: str, spans: Iterable[tuple[int, int]], color: bool) -> str:
    """Mark character spans: bold reverse on a terminal, ``[[...]]`` otherwise.

    With ``color`` the text's own control characters are escaped first (line breaks
    kept), so that only this function's escape sequences reach the terminal.
    """
    esc = printable_lines if color else str
    out, pos = [], 0
    for a, b in sorted(spans):
        if a < pos:
            continue
        out.append(esc(text[pos:a]))
        seg = text[a:b]
        out.append(f"\x1b[1;7m{esc(seg)}\x1b[0m" if color else f"[[{seg}]]")
        pos = b
    out.append(esc(text[pos:]))
    return "".join(out)


# ------------------------------------------------------------------- progress


class Progress:
    """A one-line progress counter on stderr, only on a terminal and when not quiet."""

    def __init__(self, label: str, total: int | None = None, enabled: bool | None = None) -> None:
        self.label = label
        self.total = total
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._shown = False

    def __call__(self, done: int) -> None:
        if not self.enabled:
            return
        if self.total:
            pct = 100 * done / self.total
            width = 30
            fill = int(width * min(done, self.total) / self.total)
            bar = "█" * fill + "░" * (width - fill)
            msg = f"\r{self.label} {bar} {done}/{self.total} ({pct:.0f}%)"
        else:
            msg = f"\r{self.label} {done}"
        sys.stderr.write(msg)
        sys.stderr.flush()
        self._shown = True

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
