"""formats: the one Markdown escaper, number cells, and the module's examples."""

from __future__ import annotations

import doctest

from discourse import formats
from discourse.formats import md_escape, pct_ci, render_records


def test_md_escape_neutralizes_table_and_emphasis_markup():
    assert md_escape("A | B *x* [l](u) `c` <b>\nnext") == (
        "A \\| B \\*x\\* \\[l\\](u) \\`c\\` \\<b> next"
    )
    assert md_escape(None) == ""


def test_md_records_escape_string_cells_only():
    out = render_records([{"source": "A|B", "n": 3}], "md")
    header, rule, row = out.splitlines()
    assert row.count("|") - row.count("\\|") == header.count("|")
    assert "A\\|B" in row and " 3 " in row


def test_pct_ci_by_hand():
    assert pct_ci(0.5, 0.25, 0.75) == "50% [25–75]"
    assert pct_ci(None, None, None) == "–"


def test_examples_run():
    result = doctest.testmod(formats)
    assert result.attempted > 0 and result.failed == 0
