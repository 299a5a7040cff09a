"""Rough edges of issue 13: help at 80 columns, usage errors, evaluate's error list,
repeated label rows, --demo for ingest, lock files, spans, and the small hints."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import threading
import time
from datetime import date, timedelta

import pytest
import typer

from discourse.api import selection
from discourse.classifier.labels import load_labels
from discourse.cli import app
from discourse.dates import parse_when
from discourse.errors import InputError, LockError
from discourse.store import FileLock

from .conftest import DEMO, write


def _commands(group, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, (*prefix, name))
        else:
            yield (*prefix, name), cmd


COMMANDS = list(_commands(typer.main.get_command(app)))
IDS = [" ".join(n) for n, _ in COMMANDS]

#: typer's type placeholders (``<str>``, ``<list[Path]>``) and required-argument braces.
PLACEHOLDER = re.compile(r"<(str|int|float|bool|path|Path|list\[\w+\])>|\{\w+\}")


@pytest.mark.parametrize("words,cmd", COMMANDS, ids=IDS)
def test_help_reads_well_at_80_columns(run, monkeypatch, words, cmd):
    monkeypatch.setenv("COLUMNS", "80")
    r = run(*words, "--help")
    assert r.code == 0
    assert not PLACEHOLDER.search(r.out), PLACEHOLDER.search(r.out).group(0)
    for line in r.out.splitlines():  # only a command to copy may run past the edge
        assert len(line) <= 80 or re.match(r"\s*\w+: discourse ", line), line
    assert "…" not in r.out
    for param in cmd.params:  # every option and argument is named in full
        for opt in [*getattr(param, "opts", []), *getattr(param, "secondary_opts", [])]:
            if opt.startswith("-"):
                assert re.search(rf"(^|[\s,/]){re.escape(opt)}\b", r.out, re.M), opt


def test_help_keeps_brackets_as_written(run, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    r = run("fetch", "--help")
    assert "listing [[feed]] source" in " ".join(r.out.split())
    assert "--feeds PATH" in r.out
    r = run("kwic", "--help")
    assert "discourse kwic [OPTIONS] PATTERN [PATHS]..." in r.out


def _required(cmd) -> bool:
    return any(p.required for p in cmd.params)


@pytest.mark.parametrize(
    "words", [n for n, c in COMMANDS if _required(c)] + [("train",)], ids=" ".join
)
def test_a_missing_required_argument_is_a_usage_error(run, words):
    r = run(*words)
    assert r.code == 2, r.err
    assert "usage error" in r.err and r.err.count("\n") == 1


def test_train_with_labels_and_from_lexicon_is_a_usage_error(run):
    r = run("train", DEMO / "labels.csv", "--from-lexicon")
    assert r.code == 2 and "not both" in r.err


# ------------------------------------------------------------ labels and gold


def _without_index(src, dst, n=None):
    """The demo labels without their sent_idx column (first ``n`` rows)."""
    with open(src, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    i = rows[0].index("sent_idx")
    rows = [r[:i] + r[i + 1 :] for r in rows[: None if n is None else n + 1]]
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(dst, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return rows


def test_evaluate_errors_without_a_sentence_index(run, tmp_path):
    gold = tmp_path / "gold.csv"
    rows = _without_index(DEMO / "labels.csv", gold)
    r = run("evaluate", gold, "--errors", "2", "-q")
    assert r.code == 0, r.err
    assert "#None" not in r.out
    shown = re.findall(r"· (\S+) \(line (\d+)\)\n", r.out)
    assert shown, r.out
    for doc, line in shown:  # the line named is the row of that article in the file
        assert rows[int(line) - 1][0] == doc


HEADER = "doc_id,source,text,partnership,threat"


def test_a_repeated_sentence_coded_the_same_is_kept_once(tmp_path):
    p = write(
        tmp_path / "l.csv",
        f"{HEADER}\na,S,We are friends.,1,0\na,S,Photo: Staff.,0,0\nb,S,Threats grow.,0,1\n"
        "a,S,Photo:  Staff.,0,0\nb,S,Photo: Staff.,0,0\n",
    )
    notes = []
    ls = load_labels(p, ["partnership", "threat"], warn=notes.append)
    assert ls.texts == ["We are friends.", "Photo: Staff.", "Threats grow.", "Photo: Staff."]
    assert ls.doc_ids == ["a", "a", "b", "b"] and ls.lines == [2, 3, 4, 6]
    assert ls.y.tolist() == [[1, 0], [0, 0], [0, 1], [0, 0]]
    assert len(notes) == 1 and f"{p}, line 5: a copy of line 3" in notes[0]


def test_a_repeated_sentence_coded_differently_is_refused(tmp_path):
    p = write(tmp_path / "l.csv", f"{HEADER}\na,S,Photo: Staff.,0,0\na,S,Photo: Staff.,0,1\n")
    with pytest.raises(InputError, match="lines 2 and 3: duplicate row .*coded differently"):
        load_labels(p, ["partnership", "threat"], warn=lambda m: None)


def test_train_keeps_one_copy_and_warns(run, tmp_path):
    p = write(
        tmp_path / "l.csv",
        f"{HEADER}\na,S,We are friends.,1,0\na,S,Photo: Staff.,0,0\nb,S,Threats grow.,0,1\n"
        "a,S,Photo: Staff.,0,0\nc,S,Partners again.,1,1\n",
    )
    r = run("train", p, "--cv", "0", "--frames", "partnership,threat")
    assert r.code == 0, r.err
    assert "line 5: a copy of line 3" in r.err and "all 4 sentences" in r.err


# ------------------------------------------------------------------ ingest, locks


def test_ingest_takes_demo(run, db):
    r = run("ingest", "--demo", "--db", db)
    assert r.code == 0, r.err
    n = sum(1 for p in DEMO.rglob("*.md") if p.name != "README.md")
    assert f"added {n}," in r.err
    listed = json.loads(run("corpus", "stats", "--db", db, "-f", "json").out)
    assert "Meridian Wire" in json.dumps(listed)
    r = run("ingest", "--db", db)
    assert r.code == 2 and "--demo" in r.err


def test_lock_files_are_removed_after_a_run(run, tmp_path):
    """(The report folder's lock: tests/test_report.py, the atomic-write test.)"""
    db = tmp_path / "s.db"
    art = write(tmp_path / "a.txt", "An article about mutual trust.")
    assert run("ingest", art, "--db", db, "-q").code == 0
    assert db.exists() and not list(tmp_path.rglob("*.lock"))
    assert run("ingest", "/no/such/file", "--db", db, "-q").code == 1  # an error exit
    assert not list(tmp_path.rglob("*.lock"))


def test_a_stale_lock_file_does_not_block(run, tmp_path):
    db = tmp_path / "s.db"
    stale = write(tmp_path / "s.db.lock", "999999\n")  # left by a killed run
    art = write(tmp_path / "a.txt", "An article about mutual trust.")
    r = run("ingest", art, "--db", db)
    assert r.code == 0, r.err
    assert not stale.exists()


def test_a_removed_lock_is_not_shared(tmp_path):
    """A run waiting on the file its holder removes locks the new file, not the old
    one, so two runs never hold the lock at once."""
    db = str(tmp_path / "s.db")
    first = FileLock(db, wait=0).__enter__()
    got = []
    waiter = threading.Thread(target=lambda: got.append(FileLock(db, wait=10).__enter__()))
    waiter.start()
    time.sleep(0.3)
    first.__exit__(None, None, None)
    waiter.join(10)
    assert got and os.path.exists(db + ".lock")
    with pytest.raises(LockError):  # the waiter holds the lock on the file now there
        FileLock(db, wait=0).__enter__()
    got[0].__exit__(None, None, None)
    assert not os.path.exists(db + ".lock")


# ------------------------------------------------------------------------ spans


@pytest.mark.parametrize(
    "span,first", [("1d", "2026-11-30"), ("7d", "2026-11-24"), ("2w", "2026-11-17")]
)
def test_a_span_of_n_days_is_n_calendar_days_with_today(span, first):
    today = date(2026, 11, 30)
    sel = selection(since=span, today=today)
    days = [today - timedelta(days=k) for k in range(40)]
    kept = [d for d in days if sel.since <= d.isoformat() <= today.isoformat()]
    n = int(span[:-1]) * {"d": 1, "w": 7}[span[-1]]
    assert len(kept) == n and min(kept).isoformat() == first


def test_since_7d_keeps_the_seventh_day_and_drops_the_eighth(run, db, tmp_path):
    days = [(date.today() - timedelta(days=k)).isoformat() for k in (7, 6, 0)]
    for day in days:
        write(tmp_path / "c" / "S" / f"{day}.md", f"---\ndate: {day}\n---\nTalks on {day}.\n")
    assert run("ingest", tmp_path / "c", "--db", db, "-q").code == 0
    rows = json.loads(run("corpus", "list", "--db", db, "--since", "7d", "-f", "json").out)
    assert sorted(r["date"][:10] for r in rows["records"]) == days[1:]


def test_an_empty_span_is_refused():
    with pytest.raises(InputError, match="empty span"):
        parse_when("0d", date(2026, 11, 30))


# ---------------------------------------------------------------------- hints


def test_no_candidates_says_how_to_find_some(run):
    args = ("lexicon", "suggest", DEMO / "harmony-daily", "--frame", "history", "-q")
    r = run(*args, "--min-count", "40")
    assert r.code == 0
    assert "(no candidates at --min-count 40; a lower --min-count (e.g. 20) may find some)" in r.out
    assert "(no candidates" not in run(*args, "--min-count", "2").out  # lower does find some
    r = run("lexicon", "suggest", DEMO / "harmony-daily", "--frame", "history", "--min-count", "1")
    assert "--min-count" not in r.out  # nothing lower to suggest


def test_corpus_export_says_how_many_cells_it_changed(run, db, tmp_path):
    write(tmp_path / "c" / "S" / "a.md", "---\ntitle: =1+1\n---\n-3 percent growth in trade.\n")
    write(tmp_path / "c" / "S" / "b.md", "---\ntitle: Plain\n---\nTrade grew again.\n")
    assert run("ingest", tmp_path / "c", "--db", db, "-q").code == 0
    safe = run("corpus", "export", "--db", db, "-f", "csv")
    raw = run("corpus", "export", "--db", db, "-f", "csv", "--raw-csv")
    rows = lambda t: list(csv.reader(io.StringIO(t)))  # noqa: E731
    differ = sum(a != b for ra, rb in zip(rows(safe.out), rows(raw.out)) for a, b in zip(ra, rb))
    assert differ == 2
    assert safe.err.count("\n") == 1 and safe.err.startswith("2 formula-like cell(s)")
    assert raw.err == "" and run("corpus", "export", "--db", db).err == ""  # jsonl: no change


# ------------------------------------------------------------------ what changed


def test_what_changed_is_holm_adjusted_as_statsmodels_does():
    from statsmodels.stats.multitest import multipletests

    from discourse.api import get_lexicon, open_inputs
    from discourse.report import build_report

    with open_inputs([DEMO], None) as inp:
        data = build_report(inp.store, get_lexicon(None), week="2026-W36", n_boot=100)
    family = [
        r for r in data.trend if r["period"] in data.focus_periods and r["p_value"] is not None
    ]
    assert len(family) == 36  # five outlets and all together, six frames
    reject, p_holm, _, _ = multipletests([r["p_value"] for r in family], 0.05, method="holm")
    want = {(r["source"], r["frame"]): p for r, p in zip(family, p_holm)}
    shown = {(c["source"], c["frame"]): c for c in data.changes}
    # a change is shown exactly when its raw test flagged it and the Holm p is below alpha
    flagged = {
        k for r, ok in zip(family, reject) if ok and r["flag"] for k in [(r["source"], r["frame"])]
    }
    assert set(shown) == flagged
    for k, c in shown.items():
        assert c["p_adjusted"] == pytest.approx(want[k], rel=1e-9)
    for b in data.baseline:
        assert b["p_adjusted"] == pytest.approx(want[(b["source"], b["frame"])], rel=1e-9)
    assert "36 tests" in data.trend_meta["rule"] and "Holm-adjusted" in data.trend_meta["rule"]
    # a cron report over '--since 7d' crosses weeks: the rule says the weeks are tested whole
    assert "each period is tested whole" in data.trend_meta["rule"]
    raw = sum(1 for r in family if r["flag"])
    assert raw > len(shown) >= 1  # in this week the correction keeps one change of two


# -------------------------------------------------------------------- trend chart


def _young_store(tmp_path):
    for src, day in [
        ("A", "2026-11-10"),
        ("A", "2026-11-17"),
        ("B", "2026-11-12"),
        ("B", "2026-11-18"),
    ]:
        text = "The partners praised mutual trust and a win-win partnership."
        write(tmp_path / "c" / src / f"{day}.md", f"---\ndate: {day}\n---\n{text}\n")
    return tmp_path / "c"


def test_the_trend_axis_starts_at_the_first_dated_article(tmp_path):
    from discourse.api import get_lexicon, open_inputs
    from discourse.report import build_report

    with open_inputs([_young_store(tmp_path)], None) as inp:
        data = build_report(inp.store, get_lexicon(None), week="2026-W47", n_boot=100)
    assert data.trend_periods == ["2026-W46", "2026-W47"]  # not ten empty weeks before


def test_the_trend_chart_has_one_panel_per_outlet(tmp_path):
    from discourse.api import get_lexicon, open_inputs
    from discourse.report import build_report
    from discourse.report.documents import _matplotlib, colors, trend_chart

    with open_inputs([DEMO], None) as inp:
        data = build_report(inp.store, get_lexicon(None), week="2026-W36", n_boot=100)
    with _matplotlib():  # the report's chart style: text as <text>
        svg = trend_chart(data, "history", colors(data.sources), "t")
    panels = re.findall(r'<g id="t-axes_\d+">', svg)
    assert len(panels) == len(data.sources) == 5
    for src in data.sources:  # each panel is titled with its outlet
        assert f">{src}<" in svg
    # the ▲ markers are the listed (Holm-adjusted) changes: one per panel for history in W36
    listed = [c for c in data.changes if c["frame"] == "history"]
    assert listed and all(c["source"] == "all sources" for c in listed)
