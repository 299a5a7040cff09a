"""report.documents: data from outside is inert in Markdown and HTML; templates ship."""

from __future__ import annotations

import re

import pytest

from discourse.report import documents


@pytest.mark.parametrize(
    "text",
    ["*bold*", "`code`", "[link](http://x)", "a | b", "<script>", "back\\slash", "a\n\nb"],
)
def test_md_escape_leaves_no_markup(text):
    out = documents.md_escape(text)
    assert "\n" not in out
    # every special character is preceded by a backslash
    for m in re.finditer(r"[*`\[\]|]", out):
        assert out[m.start() - 1] == "\\", out
    assert not re.search(r"(?<!\\)<[A-Za-z/!?]", out)


@pytest.mark.parametrize(
    "url,ok",
    [
        ("https://example.org/a?b=1", True),
        ("http://example.org", True),
        ("javascript:alert(1)", False),
        ("data:text/html,x", False),
        ('https://x.org/"onmouseover=', False),
        (None, False),
    ],
)
def test_safe_url(url, ok):
    assert (documents.safe_url(url) is not None) == ok


def test_templates_are_package_data():
    html = documents._package_text("report.html.j2")
    css = documents._package_text("report.css")
    assert "Content-Security-Policy" in html and "{{ css }}" in html
    assert ":root" in css and "<" not in css
