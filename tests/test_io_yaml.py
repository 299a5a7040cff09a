"""Issue 10 items 2 and 6: YAML alias bombs are refused, duplicate keys are errors."""

from __future__ import annotations

import time

import pytest

from discourse import safeyaml
from discourse.errors import LexiconError
from discourse.ingest import IngestOptions, ingest
from discourse.lexicon import convert, load_lexicon, parse_lexicon
from discourse.store import open_store

from .conftest import write

LEXICON = """name: t
version: "1"
frames:
  trust:
    label: Trust
    terms: [mutual trust, partner]
"""


def _bomb_doc(key: str) -> str:
    anchors = ["x0: &x0 lol"]
    for i in range(1, 9):
        prev = f"*x{i - 1}"
        anchors.append(f"x{i}: &x{i} [{', '.join([prev] * 9)}]")
    return "\n".join(anchors) + f"\n{key}: *x8\n"


def test_alias_bomb_in_lexicon_label_is_refused_fast():
    text = (
        "name: t\nversion: '1'\nnotes:\n"
        + "\n".join("  " + ln for ln in _bomb_doc("big").splitlines())
        + "\nframes:\n  trust:\n    label: *x8\n    terms: [trust]\n"
    )
    t0 = time.perf_counter()
    with pytest.raises(LexiconError, match=r"line \d+: YAML error: YAML alias '\*x0'"):
        parse_lexicon(text, "bomb.yaml")
    assert time.perf_counter() - t0 < 2


def test_any_alias_is_refused_with_its_line():
    text = LEXICON + "  other:\n    label: &l Other\n    description: *l\n    terms: [x]\n"
    with pytest.raises(LexiconError) as exc:
        parse_lexicon(text, "lex.yaml")
    assert "lex.yaml, line 9:" in str(exc.value)
    assert "'*l'" in str(exc.value)


def test_alias_bomb_in_front_matter_skips_that_file_only(tmp_path):
    head = "\n".join(_bomb_doc("title").splitlines())
    write(tmp_path / "c" / "s" / "bomb.md", f"---\n{head}\n---\nBody text here.\n")
    write(tmp_path / "c" / "s" / "good.md", "---\ntitle: Fine\n---\nBody of a fine article.\n")
    warnings: list[str] = []
    t0 = time.perf_counter()
    report = ingest(open_store(":memory:"), [tmp_path / "c"], IngestOptions(), warnings.append)
    assert time.perf_counter() - t0 < 5
    assert report.added == 1
    assert len(report.skipped) == 1
    assert report.skipped[0].origin.endswith("bomb.md")
    assert "alias" in report.skipped[0].reason
    assert "(line 3)" in report.skipped[0].reason  # x1, the first alias, on file line 3


def test_alias_bomb_in_quanteda_convert_is_refused(tmp_path):
    src = write(tmp_path / "dict.yml", _bomb_doc("terms"))
    with pytest.raises(LexiconError, match=r"dict.yml, line 2: YAML error: YAML alias"):
        convert(src)


def test_deep_nesting_is_a_yaml_error_not_a_recursion_error():
    with pytest.raises(safeyaml.YamlError, match="nested deeper"):
        safeyaml.parse("a: " + "[" * 100_000 + "]" * 100_000)


def test_duplicate_frame_is_an_error_with_both_lines(tmp_path):
    text = LEXICON + "  trust:\n    terms: [other]\n"
    p = write(tmp_path / "dup.yaml", text)
    with pytest.raises(LexiconError) as exc:
        load_lexicon(p)
    msg = str(exc.value)
    assert "line 7:" in msg and "duplicate key 'trust'" in msg and "line 4" in msg


def test_duplicate_terms_key_is_an_error(tmp_path):
    text = LEXICON + "    terms: [again]\n"
    with pytest.raises(LexiconError, match=r"line 7: YAML error: duplicate key 'terms'"):
        parse_lexicon(text, "dup.yaml")


def test_duplicate_key_in_front_matter_skips_the_file(tmp_path):
    write(tmp_path / "a.md", "---\ntitle: One\ntitle: Two\n---\nSome body text.\n")
    report = ingest(open_store(":memory:"), [tmp_path / "a.md"], IngestOptions(), lambda m: None)
    assert report.added == 0
    assert "duplicate key 'title'" in report.skipped[0].reason
    assert "(line 3)" in report.skipped[0].reason


def test_lexicon_check_cli_reports_duplicates(run, tmp_path):
    p = write(tmp_path / "dup.yaml", LEXICON + "    terms: [again]\n")
    r = run("lexicon", "check", p)
    assert r.code == 1
    assert r.err.count("\n") == 1 and "duplicate key 'terms'" in r.err


def _walk(node):
    """(tag, scalar value, start line, start column) of every node, depth first."""
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        value = n.value if isinstance(n, safeyaml.ScalarNode) else None
        out.append((n.tag, value, n.start_mark.line, n.start_mark.column))
        if isinstance(n, safeyaml.MappingNode):
            stack.extend(x for pair in reversed(n.value) for x in reversed(pair))
        elif isinstance(n, safeyaml.SequenceNode):
            stack.extend(reversed(n.value))
    return out


_SAMPLES = [
    LEXICON,
    "a: 1\nb: [x, {c: 2.5, d: null}]\ne: |\n  two\n  lines\n",
    "k: &anchor plain\nother: yes\n",  # an anchor without an alias is allowed
    "- 1\n- - 2\n  - 3\n",
    "",
]


@pytest.mark.parametrize("doc", _SAMPLES + ["SHIPPED"])
def test_the_libyaml_path_gives_the_data_and_lines_of_the_python_loader(doc, monkeypatch):
    """The fast path is only a speed-up: same data, same node lines for error messages."""
    if doc == "SHIPPED":
        from discourse.resources import default_lexicon_path

        doc = default_lexicon_path().read_text(encoding="utf-8")
    if not safeyaml.yaml.__with_libyaml__:
        pytest.fail("PyYAML without libyaml: the fast path is never taken")
    assert safeyaml._load_fast(doc) is not None  # the fast path is taken
    fast_data, fast_root = safeyaml.load_with_nodes(doc)
    monkeypatch.setattr(safeyaml, "_load_fast", lambda text: None)
    slow_data, slow_root = safeyaml.load_with_nodes(doc)
    assert fast_data == slow_data
    if slow_root is None:
        assert fast_root is None
    else:
        assert _walk(fast_root) == _walk(slow_root)


@pytest.mark.parametrize(
    "doc",
    [
        "a: &x 1\nb: *x\n",  # an alias
        "a: 1\nb: 2\na: 3\n",  # a duplicate key
        "a: " + "[" * 70 + "]" * 70 + "\n",  # deeper than MAX_DEPTH
        "a: \x07\n",  # a control character
        "a: [1, 2\n",  # a syntax error
    ],
)
def test_the_libyaml_path_leaves_every_problem_to_the_python_loader(doc, monkeypatch):
    assert safeyaml._load_fast(doc) is None
    with pytest.raises(safeyaml.YamlError) as fast:
        safeyaml.load_with_nodes(doc)
    monkeypatch.setattr(safeyaml, "_load_fast", lambda text: None)
    with pytest.raises(safeyaml.YamlError) as slow:
        safeyaml.load_with_nodes(doc)
    assert str(fast.value) == str(slow.value)
