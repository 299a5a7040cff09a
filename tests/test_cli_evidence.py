"""The evidence commands end to end on the demo corpus (keyness, kwic, trend,
compare --pairwise, lexicon stats, lexicon suggest)."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from .conftest import DEMO

EVIDENCE_COMMANDS = [
    ["keyness"],
    ["kwic"],
    ["trend"],
    ["lexicon", "stats"],
    ["lexicon", "suggest"],
]


@pytest.mark.parametrize("cmd", EVIDENCE_COMMANDS, ids=" ".join)
def test_help_has_purpose_and_example(run, cmd):
    r = run(*cmd, "--help")
    assert r.code == 0
    assert "Example: discourse " + " ".join(cmd) in " ".join(r.out.split())


def test_help_examples_run_on_the_demo(run):
    for args in (
        ["keyness", DEMO, "--source", "Harmony Daily", "--frame", "partnership"],
        ["kwic", "frame:anti_hegemonism", DEMO, "--source", "Meridian Wire"],
        ["trend", DEMO, "--by", "month", "--frame", "threat"],
        ["lexicon", "stats", DEMO],
        ["lexicon", "suggest", DEMO, "--frame", "partnership"],
        ["compare", DEMO, "--pairwise"],
    ):
        r = run(*args)
        assert r.code == 0, (args, r.err)
        assert r.out.strip()


def test_keyness_table_and_json(run):
    r = run("keyness", DEMO, "-s", "Harmony Daily", "--frame", "partnership", "--min-count", "3")
    assert "Harmony Daily vs the other sources: key bigrams" in r.out
    assert "mutual trust" in r.out
    r = run("keyness", DEMO, "--vs", "Meridian Wire", "-s", "Harmony Daily", "-f", "json")
    data = json.loads(r.out)
    assert {rec["vs"] for rec in data["records"]} == {"Meridian Wire"}
    assert "Monroe" in data["meta"]["statistic"]


def test_kwic_plain_when_piped_and_csv(run):
    r = run("kwic", "win-win", DEMO, "--width", "100")
    lines = r.out.splitlines()
    assert len(lines) == 3
    assert all("\x1b[" not in line and "[[" not in line for line in lines)
    cols = {line.index("win-win") for line in lines}
    assert len(cols) == 1  # the keyword column is aligned
    r = run("kwic", "hegemon*", DEMO, "-f", "csv", "--sample", "3", "--seed", "1")
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert len(rows) == 3 and all(row["keyword"].lower().startswith("hegemon") for row in rows)
    assert {"left", "keyword", "right", "start", "end", "source", "date", "id"} <= set(rows[0])


def test_kwic_errors_and_no_match(run):
    r = run("kwic", "? *", DEMO)  # inner and leading '*' are glob patterns now; bare ones not
    assert r.code == 1 and "a word of only '*' or '?'" in r.err
    r = run("kwic", "frame:nope", DEMO)
    assert r.code == 1 and "no frame 'nope'" in r.err
    r = run("kwic", "zebra", DEMO)
    assert r.code == 0 and "no match for 'zebra'" in r.err and "(no matches)" in r.out


def test_trend_chart_flags_and_strict_json(run):
    r = run("trend", DEMO, "--frame", "threat", "--all-sources")
    assert r.code == 0 and "binomial" in r.out and "all sources" in r.out
    r = run("trend", DEMO, "--by", "month", "-f", "json", "--since", "2026-10-01")
    data = json.loads(r.out)  # strict: json.loads would accept NaN, so check the text
    assert "NaN" not in r.out and data["meta"]["periods"] == ["2026-10", "2026-11"]
    r = run("trend", DEMO, "--since", "2030-01-01")
    assert r.code == 0 and "no dated articles" in r.err


def test_compare_pairwise_formats(run):
    r = run("compare", DEMO, "--pairwise", "--correction", "bh")
    assert "Pairwise differences in prevalence" in r.out and "p (BH)" in r.out
    r = run("compare", DEMO, "--pairwise", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert len(rows) == 6 * 10  # six frames, ten pairs of five sources
    assert rows[0]["correction"] == "holm" and rows[0]["lexicon"] == "china-russia-frames"
    r = run("compare", DEMO, "--pairwise", "-f", "json", "--by", "source,month")
    data = json.loads(r.out)
    assert "pairwise" in data and "month" in data["pairwise"][0]
    r = run("compare", DEMO, "--pairwise", "--correction", "sidak")
    assert r.code == 1 and "--correction" in r.err


def test_lexicon_stats_and_suggest(run):
    r = run("lexicon", "stats", DEMO)
    assert "never fire" in r.out and "Spans counted for two frames" in r.out
    r = run("lexicon", "stats", DEMO, "-f", "json")
    data = json.loads(r.out)
    assert "overlap" in data and data["meta"]["n_terms"] > 100
    r = run("lexicon", "suggest", DEMO, "--frame", "partnership", "-f", "csv", "--top", "5")
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert 1 <= len(rows) <= 10 and rows[0]["example"]
    r = run("lexicon", "suggest", DEMO)
    assert r.code == 2  # --frame is required


def test_lexicon_stats_fits_80_columns_and_cuts_only_then(run, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    narrow = run("lexicon", "stats", DEMO)
    assert narrow.code == 0
    assert max(len(ln) for ln in narrow.out.splitlines()) <= 80
    assert "characters cut with …; --format csv has them whole" in narrow.out
    cut = [re.split(r"\s{2,}", ln)[1] for ln in narrow.out.splitlines() if "…  " in ln]
    monkeypatch.delenv("COLUMNS")
    whole = run("lexicon", "stats", DEMO)
    assert "…" not in whole.out and "cut with" not in whole.out
    full = {
        r["term"]
        for r in csv.DictReader(io.StringIO(run("lexicon", "stats", DEMO, "-f", "csv").out))
    }
    assert cut and all(c.endswith("…") and len(c) > 12 for c in cut)
    assert all(any(t.startswith(c[:-1]) and len(t) >= len(c) for t in full) for c in cut)
