"""dates: article dates, --since/--until values, period labels and their arithmetic."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest

from discourse import dates
from discourse.errors import InputError


def test_periods_between():
    assert dates.periods_between("2025-12-29", "2026-01-12", "week") == [
        "2026-W01",
        "2026-W02",
        "2026-W03",
    ]
    assert dates.periods_between("2025-11-30", "2026-02-01", "month") == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]
    assert dates.periods_between("2026-02-01", "2026-01-01", "month") == []
    with pytest.raises(InputError):
        dates.periods_between("2026-01-01", "2026-02-01", "day")


@pytest.mark.parametrize("year", [2024, 2025, 2100])
def test_month_end_agrees_with_calendar(year):
    for month in range(1, 13):
        last = calendar.monthrange(year, month)[1]
        assert dates.month_end(year, month) == date(year, month, last)


def test_period_start_and_end_bound_every_day_of_the_period():
    day = date(2025, 12, 20)
    for _ in range(60):
        for by in ("week", "month"):
            label = dates.period_of(day.isoformat(), by)
            assert dates.period_start(label, by) <= day.isoformat() <= dates.period_end(label, by)
            after = date.fromisoformat(dates.period_end(label, by)) + timedelta(days=1)
            assert dates.period_of(after.isoformat(), by) != label
        day += timedelta(days=1)


def test_now_utc_honours_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")
    assert dates.now_utc().isoformat() == "2025-12-01T00:00:00+00:00"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    with pytest.raises(InputError, match="SOURCE_DATE_EPOCH"):
        dates.now_utc()
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert dates.now_utc().year >= 2026


def test_parse_when_spans_and_dates():
    today = date(2026, 11, 30)
    assert dates.parse_when("7d", today) == "2026-11-24"  # seven calendar days with today
    assert dates.parse_when("2026-11", today) == "2026-11-01"
    assert dates.parse_when("today", today) == "2026-11-30"
    with pytest.raises(InputError, match="not a date"):
        dates.parse_when("yesterday", today)
