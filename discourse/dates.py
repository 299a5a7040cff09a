"""Dates: parse article dates leniently, parse --since/--until, name periods."""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from discourse.errors import InputError

_REL_RE = re.compile(r"^(\d+)\s*([dwmy])$")
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


def now_utc() -> datetime:
    """The current time in UTC, or ``$SOURCE_DATE_EPOCH`` when set (reproducible output).

    Returns
    -------
    datetime
        A timezone-aware datetime, truncated to whole seconds by its callers.

    Examples
    --------
    >>> import os; os.environ["SOURCE_DATE_EPOCH"] = "0"
    >>> now_utc().isoformat()
    '1970-01-01T00:00:00+00:00'
    >>> del os.environ["SOURCE_DATE_EPOCH"]
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise InputError(
                f"SOURCE_DATE_EPOCH {epoch!r} is not a number of seconds since 1970; "
                "unset it or give e.g. 1764547200"
            ) from None
    return datetime.now(timezone.utc)


def parse_article_date(value) -> str | None:
    """An article date as ISO 8601 text, or None when it cannot be read.

    Accepts ``date``/``datetime`` objects, ISO 8601 (``2026-08-04``,
    ``2026-08-04T09:30:00Z``) and RFC 2822 (feeds: ``Tue, 04 Aug 2026 09:30:00 GMT``).
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if not text:
        return None
    iso = text[:-1] + "+00:00" if text.endswith("Z") else text
    try:
        if len(iso) == 10:
            return date.fromisoformat(iso).isoformat()
        return datetime.fromisoformat(iso).isoformat()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text).isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def parse_when(value: str | None, today: date | None = None, what: str = "`since`") -> str | None:
    """A --since/--until value: YYYY-MM-DD, YYYY-MM, ``today`` or a span: 7d, 4w, 3m, 1y.

    A span counts calendar days and includes today: ``7d`` is today and the six days
    before (``1d`` is today alone); ``4w`` is 28 days, ``3m`` 90 and ``1y`` 365.
    Calendar days, not a rolling 168 hours, because article dates are often days
    without a time, and a selection should not change with the hour it is run.

    Examples
    --------
    >>> parse_when("7d", date(2026, 11, 30))
    '2026-11-24'
    >>> parse_when("1d", date(2026, 11, 30))
    '2026-11-30'
    """
    if value is None or value == "":
        return None
    today = today or date.today()
    v = value.strip().lower()
    if v == "today":
        return today.isoformat()
    m = _REL_RE.match(v)
    if m:
        days = int(m.group(1)) * _UNIT_DAYS[m.group(2)]
        if days < 1:
            raise InputError(f"{what} {value!r} is an empty span; give 1d or more (1d: today)")
        return (today - timedelta(days=days - 1)).isoformat()
    try:
        if len(v) == 7:
            return date.fromisoformat(v + "-01").isoformat()
        return date.fromisoformat(v[:10]).isoformat()
    except ValueError:
        raise InputError(
            f"{what} {value!r} is not a date; use YYYY-MM-DD, YYYY-MM or a span such as 7d, 4w, 3m"
        ) from None


def period_of(day: str | None, by: str) -> str | None:
    """The period label of a ``YYYY-MM-DD`` day: ``2026-W48`` (ISO week) or ``2026-11``."""
    if not day:
        return None
    d = date.fromisoformat(day[:10])
    if by == "week":
        y, w, _ = d.isocalendar()
        return f"{y}-W{w:02d}"
    if by == "month":
        return f"{d.year}-{d.month:02d}"
    raise ValueError(by)


def week_bounds(week: str) -> tuple[str, str]:
    """First and last day of an ISO week given as ``2026-W48``."""
    m = re.match(r"^(\d{4})-?W(\d{1,2})$", week.strip(), re.I)
    if not m:
        raise InputError(f"`week` {week!r} is not an ISO week; use e.g. 2026-W48")
    try:
        start = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise InputError(f"`week` {week!r} does not exist; weeks run from W01 to W52/53") from None
    return start.isoformat(), (start + timedelta(days=6)).isoformat()


def month_end(year: int, month: int) -> date:
    """The last day of a calendar month.

    Examples
    --------
    >>> month_end(2028, 2).isoformat()
    '2028-02-29'
    """
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def period_start(label: str, by: str) -> str:
    """The first day of a period label (``2026-W48`` for ``week``, ``2026-11`` for ``month``).

    Examples
    --------
    >>> period_start("2026-W48", "week"), period_start("2026-11", "month")
    ('2026-11-23', '2026-11-01')
    """
    return week_bounds(label)[0] if by == "week" else f"{label}-01"


def period_end(label: str, by: str) -> str:
    """The last day of a period label (``2026-W48`` for ``week``, ``2026-11`` for ``month``).

    Examples
    --------
    >>> period_end("2026-W48", "week"), period_end("2026-12", "month")
    ('2026-11-29', '2026-12-31')
    """
    if by == "week":
        return week_bounds(label)[1]
    return month_end(int(label[:4]), int(label[5:7])).isoformat()


def periods_between(first: str, last: str, by: str) -> list[str]:
    """Every period label (``2026-W32`` or ``2026-08``) from day ``first`` to ``last``, in order.

    Parameters
    ----------
    first, last : str
        ISO dates (``YYYY-MM-DD``; a time part is ignored).
    by : {"week", "month"}
        ISO weeks or calendar months.

    Returns
    -------
    list of str
        The labels, empty when ``last`` is before ``first``.

    Examples
    --------
    >>> periods_between("2026-11-20", "2026-12-02", "week")
    ['2026-W47', '2026-W48', '2026-W49']
    """
    if by not in ("week", "month"):
        raise InputError(f"`by` {by!r} is not supported; use week or month")
    d0, d1 = date.fromisoformat(first[:10]), date.fromisoformat(last[:10])
    out: list[str] = []
    if by == "week":
        d = d0 - timedelta(days=d0.weekday())
        while d <= d1:
            out.append(period_of(d.isoformat(), "week"))  # type: ignore[arg-type]
            d += timedelta(days=7)
    else:
        y, m = d0.year, d0.month
        while (y, m) <= (d1.year, d1.month):
            out.append(f"{y}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def periods_before(day: str, by: str, n: int) -> str:
    """The first day of the period ``n`` periods before the one holding ``day``.

    Parameters
    ----------
    day : str
        An ISO date.
    by : {"week", "month"}
        ISO weeks (starting on Monday) or calendar months.
    n : int
        How many periods back.

    Returns
    -------
    str
        An ISO date.

    Examples
    --------
    >>> periods_before("2026-11-18", "week", 2), periods_before("2026-02-10", "month", 3)
    ('2026-11-02', '2025-11-01')
    """
    start = date.fromisoformat(day[:10])
    if by == "week":
        return (start - timedelta(days=start.weekday() + 7 * n)).isoformat()
    y, m = start.year, start.month - n
    while m < 1:
        y, m = y - 1, m + 12
    return date(y, m, 1).isoformat()
