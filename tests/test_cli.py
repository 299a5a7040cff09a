"""End-to-end behaviour of the commands on the demo corpus and on small inputs."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from discourse import __version__

from .conftest import DATA, DEMO, write

COMMANDS = [
    ["ingest"],
    ["fetch"],
    ["score"],
    ["compare"],
    ["tokens"],
    ["corpus", "list"],
    ["corpus", "stats"],
    ["corpus", "show"],
    ["corpus", "export"],
    ["lexicon", "show"],
    ["lexicon", "check"],
    ["lexicon", "test"],
    ["lexicon", "convert"],
    ["lexicon", "stats"],
    ["lexicon", "suggest"],
    ["keyness"],
    ["kwic"],
    ["trend"],
    ["report"],
    ["train"],
    ["evaluate"],
    ["label"],
]
FRAMES = ["partnership", "multilateralism", "anti_hegemonism", "threat", "economic", "history"]
OUTLETS = {
    "Harmony Daily",
    "Northern Courier",
    "The Atlantic Ledger",
    "Meridian Wire",
    "Southern Voice",
}


def test_version(run):
    r = run("--version")
    assert r.code == 0 and r.out == f"discourse {__version__}\n"


def test_main_help_has_example(run):
    r = run("--help")
    assert r.code == 0 and "Example: discourse compare corpora/demo" in r.out


@pytest.mark.parametrize("cmd", COMMANDS, ids=" ".join)
def test_every_command_help_has_purpose_and_example(run, cmd):
    r = run(*cmd, "--help")
    assert r.code == 0
    assert "Example: discourse " + " ".join(cmd) in " ".join(r.out.split())


def test_python_dash_m():
    r = subprocess.run(
        [sys.executable, "-m", "discourse", "--version"], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 0 and r.stdout.strip() == f"discourse {__version__}"


# -------------------------------------------------------------------- compare


@pytest.fixture(scope="module")
def demo_json():
    from discourse.cli import main

    buf = io.StringIO()
    old = sys.stdout
    sys.stdout = buf
    try:
        assert main(["compare", str(DEMO), "--format", "json", "-q"]) == 0
    finally:
        sys.stdout = old
    return json.loads(buf.getvalue())


def test_compare_demo_has_all_outlets_and_frames(demo_json):
    recs = demo_json["records"]
    assert {r["source"] for r in recs} == OUTLETS
    assert [r["frame"] for r in recs[:6]] == FRAMES
    assert len(recs) == 30
    for r in recs:
        for key in (
            "n_articles",
            "prevalence",
            "prevalence_lo",
            "prevalence_hi",
            "per_1k",
            "per_1k_lo",
            "per_1k_hi",
            "chi2",
            "p_value",
            "cramers_v",
        ):
            assert key in r
        assert r["prevalence_lo"] <= r["prevalence"] <= r["prevalence_hi"]
        assert r["per_1k_lo"] <= r["per_1k"] <= r["per_1k_hi"]


def test_demo_state_outlets_partnership_differs_from_western_paper(demo_json):
    rec = {(r["source"], r["frame"]): r for r in demo_json["records"]}
    west = rec[("The Atlantic Ledger", "partnership")]
    for state in ("Harmony Daily", "Northern Courier"):
        s = rec[(state, "partnership")]
        assert s["prevalence_lo"] > west["prevalence_hi"], state
    assert rec[("The Atlantic Ledger", "threat")]["prevalence"] > max(
        rec[(s, "threat")]["prevalence"] for s in OUTLETS - {"The Atlantic Ledger"}
    )


def test_compare_json_meta_records_provenance(demo_json):
    meta = demo_json["meta"]
    assert meta["lexicon"] == "china-russia-frames"
    assert len(meta["lexicon_hash"]) == 12
    assert meta["n_articles"] >= 80 and meta["n_sources"] == 5
    assert meta["date_from"] <= meta["date_to"]
    assert meta["tool_version"] == __version__
    assert len(demo_json["tests"]) == 6


def test_compare_table_header_and_tests(run):
    r = run("compare", DEMO)
    assert r.code == 0
    first = r.out.splitlines()[0]
    assert first.startswith("lexicon china-russia-frames ")
    assert "articles" in first and " to 2026-" in first
    assert "Wilson 95% CI" in r.out and "χ²(4)" in r.out and "Cramér" in r.out
    assert "█" not in r.out  # no chart when piped


def test_compare_csv_is_flat_and_json_is_strict(run):
    r = run("compare", DEMO, "--format", "csv", "--by", "source,month", "-q")
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert {"source", "month", "frame", "n_articles", "prevalence", "lexicon_hash"} <= set(rows[0])
    assert {row["month"] for row in rows} == {"2026-08", "2026-09", "2026-10", "2026-11"}
    r = run("compare", DEMO, "--format", "json", "--by", "source,week", "-q")
    assert "NaN" not in r.out
    json.loads(r.out)


def test_compare_since_until(run):
    r = run("compare", DEMO, "--since", "2026-10-01", "--until", "2026-10-31", "-f", "json", "-q")
    meta = json.loads(r.out)["meta"]
    assert meta["date_from"] >= "2026-10-01" and meta["date_to"] <= "2026-10-31"


def test_compare_bootstrap_is_reproducible(run):
    a = run("compare", DEMO, "-f", "csv", "--boot", "300", "-q").out
    b = run("compare", DEMO, "-f", "csv", "--boot", "300", "-q").out
    c = run("compare", DEMO, "-f", "csv", "--boot", "300", "--seed", "2", "-q").out
    assert a == b != c


def test_compare_on_store_equals_compare_on_paths(run, db):
    assert run("ingest", DEMO, "--db", db, "-q").code == 0
    a = json.loads(run("compare", "--db", db, "-f", "json").out)["records"]
    b = json.loads(run("compare", DEMO, "-f", "json", "-q").out)["records"]
    assert a == b
    # the second run reads the score cache and must give the same numbers
    c = json.loads(run("compare", "--db", db, "-f", "json").out)["records"]
    assert c == a


def test_usage_errors(run):
    r = run("compare", DEMO, "--by", "week")
    assert r.code == 1 and "--by 'week' is not supported" in r.err
    r = run("compare", DEMO, "--since", "yesterday-ish")
    assert r.code == 1 and r.err.count("\n") == 1 and "is not a date" in r.err
    r = run("compare", DEMO, "--source", "Nope")
    assert r.code == 1 and "unknown source 'Nope'" in r.err
    r = run("compare", DEMO, "--format", "xml")
    assert r.code == 1 and "--format 'xml'" in r.err
    r = run("compare", DEMO, "--no-such-option")
    assert r.code == 2


# ---------------------------------------------------------------------- score


def test_editorial_finds_core_frames_and_wire_far_fewer(run):
    ed = json.loads(run("score", DATA / "summit_editorial.md", "-f", "json").out)["records"][0]
    wire = json.loads(run("score", DATA / "summit_wire.md", "-f", "json").out)["records"][0]
    for f in ("partnership", "multilateralism", "anti_hegemonism"):
        assert ed[f"{f}_present"] == 1, f
    core = lambda r: sum(r[f"{f}_hits"] for f in FRAMES[:3])  # noqa: E731
    assert core(ed) >= 15
    assert core(wire) <= 2
    assert ed["dominant"] in FRAMES[:3]


def test_score_fields_and_formats(run):
    path = DATA / "summit_editorial.md"
    rec = json.loads(run("score", path, "-f", "json").out)["records"][0]
    for f in FRAMES:
        for suffix in ("hits", "per_1k", "present", "sentence_share"):
            assert f"{f}_{suffix}" in rec
    assert rec["tokens"] > 100 and rec["sentences"] == 5
    assert rec["partnership_per_1k"] == pytest.approx(
        1000 * rec["partnership_hits"] / rec["tokens"], abs=1e-3
    )
    lines = run("score", path, "-f", "jsonl").out.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["id"] == rec["id"]
    table = run("score", path).out
    assert "partnership_hits" in table and "dominant" in table


def test_score_by_sentence(run):
    rows = list(
        csv.DictReader(
            io.StringIO(
                run("score", DATA / "summit_editorial.md", "--by", "sentence", "-f", "csv").out
            )
        )
    )
    assert len(rows) == 5
    assert rows[0]["partnership_present"] == "1"
    assert "partnership:comprehensive strategic partnership" in rows[0]["terms"]


def test_score_explain_highlights_what_fired(run):
    out = run("score", DATA / "summit_editorial.md", "--explain").out
    assert "[[win-win]]" in out
    assert "partnership: " in out and "anti_hegemonism: " in out
    assert out.startswith("== [1] Test Editorial (fictional) · 2026-10-09")


def test_tokens_command(run):
    r = run("tokens", DATA / "summit_wire.md")
    assert r.code == 0
    assert "[0] " in r.out and "5 sentences" in r.out
    assert "Mr. Putin arrived" in r.out
    data = json.loads(run("tokens", DATA / "summit_wire.md", "-f", "json").out)
    text = (DATA / "summit_wire.md").read_text()
    body = text.split("---\n", 2)[2].strip()
    for s in data:
        for (a, b), tok in zip(s["spans"], s["tokens"], strict=True):
            assert body[a:b] == tok


def test_corpus_commands(run, db):
    run("ingest", DEMO, "--db", db, "-q")
    stats = json.loads(run("corpus", "stats", "--db", db, "-f", "json").out)["records"]
    assert {r["source"] for r in stats} == OUTLETS
    assert sum(r["articles"] for r in stats) >= 80
    listing = json.loads(run("corpus", "list", "--db", db, "-f", "json", "--limit", "3").out)
    assert len(listing["records"]) == 3
    shown = run("corpus", "show", listing["records"][0]["id"], "--db", db).out
    assert "source: " in shown and "title:  " in shown
    assert run("corpus", "show", "99999", "--db", db).code == 1
    exported = run("corpus", "export", "--db", db, "-f", "csv").out
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert len(rows) == sum(r["articles"] for r in stats)
    assert rows[0]["text"]
    lines = run("corpus", "export", "--db", db, "--source", "Meridian Wire").out.splitlines()
    assert lines and all(json.loads(line)["source"] == "Meridian Wire" for line in lines)


def test_export_neutralizes_formulas(run, tmp_path, db):
    write(tmp_path / "c" / "s" / "a.md", '---\ntitle: "=HYPERLINK(\\"x\\")"\n---\nText here.\n')
    run("ingest", tmp_path / "c", "--db", db, "-q")
    out = run("corpus", "export", "--db", db, "-f", "csv").out
    assert "'=HYPERLINK" in out
    raw = run("corpus", "export", "--db", db, "-f", "csv", "--raw-csv").out
    assert ',"=HYPERLINK' in raw or ",=HYPERLINK" in raw


def test_lexicon_commands(run, tmp_path):
    r = run("lexicon", "test")
    assert r.code == 0 and r.out.strip().endswith("0 failed")
    r = run("lexicon", "show", "--frame", "partnership")
    assert "win-win" in r.out
    bad = write(tmp_path / "bad.yaml", "name: x\nversion: '1'\nframes:\n  a:\n    terms: [x, x]\n")
    r = run("lexicon", "check", bad)
    assert r.code == 1 and r.err == (
        f"discourse: error: {bad}, line 5: duplicate term 'x' in "
        "frame 'a' (same as 'x'); remove one\n"
    )
    failing = write(
        tmp_path / "f.yaml",
        "name: x\nversion: '1'\nframes:\n  a:\n    terms: [x]\n"
        "    examples:\n      match: [nothing here]\n",
    )
    r = run("lexicon", "test", failing)
    assert r.code == 1 and "FAIL a" in r.out and "0 passed, 1 failed" in r.out


def test_custom_lexicon_in_compare(run, tmp_path):
    lx = write(
        tmp_path / "mine.yaml",
        "name: mine\nversion: '0.1'\nframes:\n  energy:\n    terms: [gas, pipeline*]\n",
    )
    data = json.loads(run("compare", DEMO, "-l", lx, "-f", "json", "-q").out)
    assert data["meta"]["lexicon"] == "mine"
    assert {r["frame"] for r in data["records"]} == {"energy"}


def test_workers_give_the_same_numbers(run, db):
    one = run("compare", DEMO, "-f", "json", "-q")
    two = run("compare", DEMO, "-f", "json", "-q", "--workers", "2")
    assert two.code == 0 and json.loads(one.out) == json.loads(two.out)
    # on a store, parallel scoring fills the same cache
    run("ingest", DEMO, "--db", db, "-q")
    a = json.loads(run("compare", "--db", db, "-f", "json", "--workers", "2").out)
    b = json.loads(run("compare", "--db", db, "-f", "json").out)
    assert a["records"] == b["records"] == json.loads(one.out)["records"]
    assert run("compare", DEMO, "--workers", "0").code == 1


def test_library_messages_name_the_cli_flags(run):
    r = run("keyness", "--demo", "--min-count", "0")
    assert r.code == 1
    assert r.err.strip() == "discourse: error: --min-count 0 must be at least 1"
    r = run("compare", "--demo", "--boot", "10")
    assert "--boot 10 is too few resamples" in r.err and "`" not in r.err
