"""models: plain data; the raw counts keep the score cache's JSON form."""

from __future__ import annotations

from discourse.models import Article, RawCounts


def test_raw_counts_keep_the_cache_format():
    # the score cache of stores written by earlier versions stays readable
    counts = RawCounts(120, 6, [2, 0], [1, 0], [3, 1], [3, 1])
    payload = counts.to_payload()
    assert payload == {"t": 120, "s": 6, "h": [2, 0], "w": [1, 0], "c": [3, 1], "b": [3, 1]}
    assert RawCounts.from_payload(payload) == counts
    lexicon_only = RawCounts(120, 6, [2, 0], [1, 0])
    assert lexicon_only.to_payload() == {"t": 120, "s": 6, "h": [2, 0], "w": [1, 0]}
    assert RawCounts.from_payload(lexicon_only.to_payload()) == lexicon_only


def test_a_malformed_payload_reads_as_none():
    for bad in ([1, 2], {"t": 1}, {"t": 1, "s": 1, "h": 3, "w": [0]}, "x", None):
        assert RawCounts.from_payload(bad) is None


def test_article_day_is_the_date_part():
    assert Article("", "X", date="2026-08-04T10:00:00+02:00").day == "2026-08-04"
    assert Article("", "X").day is None
