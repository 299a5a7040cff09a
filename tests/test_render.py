"""Rendering helpers: strict JSON, spreadsheet-safe CSV, highlighting, the terminal chart."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from discourse.formats import csv_text, to_json
from discourse.render import prevalence_chart
from discourse.terminal import highlight


def test_json_is_strict():
    text = to_json({"a": float("nan"), "b": [float("inf"), 1.5], "c": None})
    assert json.loads(text) == {"a": None, "b": [None, 1.5], "c": None}
    assert "NaN" not in text and "Infinity" not in text


def test_csv_neutralizes_formulas_but_not_numbers():
    recs = [
        {"title": '=HYPERLINK("x")', "n": -3, "t": "+1", "at": "@x", "tab": "\tx", "ok": "fine"}
    ]
    rows = list(csv.reader(io.StringIO(csv_text(recs))))
    assert rows[1] == ['\'=HYPERLINK("x")', "-3", "'+1", "'@x", "'\tx", "fine"]
    raw = list(csv.reader(io.StringIO(csv_text(recs, raw=True))))
    assert raw[1][0] == '=HYPERLINK("x")'


def test_highlight_plain_and_colour():
    assert highlight("a win-win deal", [(2, 9)], color=False) == "a [[win-win]] deal"
    assert "\x1b[1;7mwin-win\x1b[0m" in highlight("a win-win deal", [(2, 9)], color=True)


def test_prevalence_chart_draws_every_source_and_frame():
    recs = [
        {
            "source": "A",
            "frame": "f",
            "prevalence": 0.5,
            "prevalence_lo": 0.3,
            "prevalence_hi": 0.7,
        },
        {
            "source": "Bee",
            "frame": "f",
            "prevalence": 0.0,
            "prevalence_lo": 0.0,
            "prevalence_hi": 0.2,
        },
    ]
    out = prevalence_chart(recs, ["f"], width=10)
    lines = out.splitlines()
    assert lines[1].strip() == "f"
    # five cells of bar, the lower end (30%) drawn over it, the upper end (70%) after it
    assert lines[2].startswith("    A   ███┤█  ├") and lines[2].endswith("50%")
    assert lines[3].startswith("    Bee ") and lines[3].endswith("0%") and "█" not in lines[3]


# ------------------------------------------- --format md: data cells escaped

ODD = "Pipe | *Star* News"


def _odd_corpus(tmp_path):
    """Two demo outlets, one renamed to a source name with Markdown specials."""
    from .conftest import DEMO

    for folder, name in (("harmony-daily", ODD), ("meridian-wire", None)):
        for p in sorted((DEMO / folder).glob("*.md")):
            text = p.read_text(encoding="utf-8")
            if name is not None:
                text = text.replace("source: Harmony Daily", f'source: "{name}"', 1)
            (tmp_path / "c" / folder).mkdir(parents=True, exist_ok=True)
            (tmp_path / "c" / folder / p.name).write_text(text, encoding="utf-8")
    return tmp_path / "c"


def _unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def _tables(out: str) -> list[list[str]]:
    tables, cur = [], []
    for line in out.splitlines() + [""]:
        if line.startswith("|"):
            cur.append(line)
        elif cur:
            tables.append(cur)
            cur = []
    return tables


@pytest.mark.parametrize(
    "args",
    [
        ["compare", "--pairwise"],
        ["compare", "--by", "source,month"],
        ["trend"],
        ["keyness", "--source", ODD],
        ["lexicon", "stats"],
        ["lexicon", "suggest", "--frame", "partnership"],
        ["kwic", "frame:partnership"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_md_tables_escape_data_cells(run, tmp_path, args):
    corpus = _odd_corpus(tmp_path)
    cmd, rest = (args[:2], args[2:]) if args[0] in ("lexicon", "kwic") else (args[:1], args[1:])
    r = run(*cmd, corpus, *rest, "--format", "md")
    assert r.code == 0, r.err
    tables = _tables(r.out)
    assert tables
    for table in tables:
        widths = {_unescaped_pipes(line) for line in table}
        assert len(widths) == 1, table  # no row has more cells than its header
    if cmd[0] != "lexicon" or cmd[1] == "stats":
        assert "Pipe \\| \\*Star\\* News" in r.out
    assert ODD not in r.out and "*Star*" not in r.out
