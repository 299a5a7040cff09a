"""Output and interop (issue 13): TSV, lexicon export, kwic globs, keyness measures,
--frames, tables that fit the terminal, and the chart's intervals."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.conftest import DEMO

# ---------------------------------------------------------------------- TSV


def _rows(text: str, delimiter: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


@pytest.mark.parametrize(
    "args",
    [
        ("score", DEMO / "harmony-daily"),
        ("corpus", "list", "--limit", "5"),
        ("compare", DEMO / "meridian-wire", "--boot", "100"),
    ],
)
def test_tsv_equals_csv_cell_for_cell(run, db, args):
    assert run("ingest", DEMO, "--db", db, "-q").code == 0
    extra = ("--db", db) if args[0] == "corpus" else ()
    as_csv = run(*args, *extra, "--format", "csv")
    as_tsv = run(*args, *extra, "--format", "tsv")
    assert as_csv.code == as_tsv.code == 0, as_tsv.err
    assert "\t" in as_tsv.out.splitlines()[0] and "," not in as_tsv.out.splitlines()[0]
    assert _rows(as_tsv.out, "\t") == _rows(as_csv.out, ",")
    assert len(_rows(as_tsv.out, "\t")) > 0


def test_corpus_export_tsv_keeps_text_with_tabs_and_newlines(run, db, tmp_path):
    src = tmp_path / "in" / "Tab Times"
    src.mkdir(parents=True)
    (src / "a.txt").write_text("First\tline with a tab.\n\nSecond paragraph.", encoding="utf-8")
    assert run("ingest", tmp_path / "in", "--db", db, "-q").code == 0
    out = tmp_path / "articles.tsv"
    res = run("corpus", "export", "--db", db, "--format", "tsv", "-o", out)
    assert res.code == 0, res.err
    rows = _rows(out.read_text(encoding="utf-8"), "\t")
    assert len(rows) == 1
    assert rows[0]["source"] == "Tab Times"
    assert rows[0]["text"] == "First\tline with a tab.\n\nSecond paragraph."


def test_corpus_export_tsv_header_only_when_empty(run, db):
    assert run("ingest", DEMO, "--db", db, "-q").code == 0
    res = run("corpus", "export", "--db", db, "--format", "tsv", "--since", "2099-01-01")
    assert res.code == 0, res.err
    assert res.out.startswith("id\tsource\ttitle\t")
    assert len(res.out.splitlines()) == 1


# ------------------------------------------------------- chart and intervals


def _chart_cells(line: str, sw: int) -> str:
    """The 32 bar cells of one chart line (after 4 spaces, the padded source and a space)."""
    return line[4 + sw + 1 : 4 + sw + 1 + 32]


def test_chart_draws_both_ends_of_every_interval(run):
    from discourse.render import prevalence_chart

    res = run("compare", DEMO, "--format", "json", "--boot", "100")
    records = json.loads(res.out)["records"]
    frames = list(dict.fromkeys(r["frame"] for r in records))
    lines = prevalence_chart(records, frames, width=30).splitlines()
    assert "┤ ├ = 95% interval" in lines[0]
    checked = 0
    for r in records:
        block = lines.index(f"  {r['frame']}")
        line = next(ln for ln in lines[block + 1 :] if ln.strip().startswith(r["source"]))
        cells = _chart_cells(line, max(len(x["source"]) for x in records))
        lo, hi = round(r["prevalence_lo"] * 30), round(r["prevalence_hi"] * 30)
        assert cells.index("┤") == lo, (r["source"], r["frame"], cells)
        assert cells.index("├") == max(hi, lo + 1), (r["source"], r["frame"], cells)
        # the bar itself still ends where the share does
        assert cells.replace("┤", "█").rstrip(" ├").count("█") >= round(r["prevalence"] * 30)
        checked += 1
    assert checked == len(records) > 0


def test_chart_lower_end_inside_the_bar_is_visible():
    from discourse.render import prevalence_chart

    rec = {"source": "A", "frame": "f", "prevalence": 0.5, "prevalence_lo": 0.3,
           "prevalence_hi": 0.7}  # fmt: skip
    cells = _chart_cells(prevalence_chart([rec], ["f"], width=10).splitlines()[2], 1)
    assert cells[:12] == "███┤█  ├    "  # bar to 5, lower end at 3, upper at 7


def test_one_article_intensity_prints_without_a_degenerate_interval(run, tmp_path):
    one = tmp_path / "one"
    (one / "Solo Post").mkdir(parents=True)
    (one / "Solo Post" / "a.txt").write_text(
        "Mutual trust and win-win cooperation were pledged. The talks went on.", "utf-8"
    )
    (one / "Other Post").mkdir()
    for i in range(3):
        (one / "Other Post" / f"b{i}.txt").write_text(
            f"Sanctions and a threat were discussed on day {i}. Trade grew.", "utf-8"
        )
    res = run("compare", one, "--boot", "100", "--no-chart")
    assert res.code == 0, res.err
    solo = [ln for ln in res.out.splitlines() if ln.startswith("Solo Post")]
    assert len(solo) == 2  # prevalence row and intensity row
    assert "(n=1)" in solo[1] and "[" not in solo[1]
    assert "(n=1)" not in solo[0]  # Wilson's interval from one article is a real interval
    other = [ln for ln in res.out.splitlines() if ln.startswith("Other Post")]
    assert "(n=1)" not in other[1] and "[" in other[1]
