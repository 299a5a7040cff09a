"""Issue 10 items 4, 5, 7, 8: poison records, unclosed CSV quotes, encodings, symlinks."""

from __future__ import annotations

import json
import os

import pytest

from discourse.ingest import IngestOptions, ingest
from discourse.store import open_store

from .conftest import write


def do(paths, db=":memory:", **kw):
    warnings: list[str] = []
    store = open_store(db)
    report = ingest(store, paths, IngestOptions(**kw), warn=warnings.append)
    return store, report, warnings


def _jsonl(tmp_path, bad_line: str):
    good = [json.dumps({"text": f"Good article number {i}.", "source": "s"}) for i in range(4)]
    lines = good[:2] + [bad_line] + good[2:]
    return write(tmp_path / "feed.jsonl", "\n".join(lines) + "\n")


POISON_JSON = {
    "huge int": '{"text": "x", "n": ' + "9" * 5000 + "}",
    "deep nesting": '{"text": "x", "n": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "lone surrogate": '{"text": "bad \\ud800 text", "source": "s"}',
    "surrogate in title": '{"text": "fine text", "title": "t\\udfff", "source": "s"}',
}


@pytest.mark.parametrize("kind", list(POISON_JSON))
def test_poison_jsonl_record_is_skipped_and_the_batch_goes_on(tmp_path, kind):
    path = _jsonl(tmp_path, POISON_JSON[kind])
    store, report, warnings = do([path], db=str(tmp_path / "s.db"))
    assert report.added == 4
    assert [s.origin for s in report.skipped] == [f"{path}:3"]
    assert store.count() == 4


@pytest.mark.parametrize(
    "field",
    [
        "n: " + "9" * 5000,
        "n: " + "[" * 100_000 + "]" * 100_000,
        'title: "bad \\ud800"',
        'author: "\\udc80"',
    ],
)
def test_poison_front_matter_skips_that_file_only(tmp_path, field):
    write(tmp_path / "c" / "s" / "a.md", f"---\n{field}\n---\nPoisoned body text.\n")
    write(tmp_path / "c" / "s" / "b.md", "---\ntitle: Fine\n---\nA fine body text.\n")
    store, report, _ = do([tmp_path / "c"], db=str(tmp_path / "s.db"))
    assert report.added == 1
    assert len(report.skipped) == 1 and report.skipped[0].origin.endswith("a.md")


def test_poison_record_cli_warns_with_file_and_line(run, tmp_path, db):
    path = _jsonl(tmp_path, POISON_JSON["lone surrogate"])
    r = run("ingest", path, "--db", db)
    assert r.code == 0, r.err
    assert f"warning: {path}:3: skipped: invalid text in 'text': lone surrogate U+D800" in r.err
    assert "added 4" in r.err
    r = run("ingest", path, "--db", db)  # a rerun does not stop at the same line either
    assert r.code == 0 and "duplicates 4" in r.err


# ------------------------------------------------------------------ 5: CSV quotes


def test_csv_unclosed_quote_skips_one_line_not_the_file(tmp_path):
    rows = ["text,title", "First article text.,one", '"Broken quote here.,two']
    rows += [f"Article number {i} of the rest.,t{i}" for i in range(3, 8)]
    path = write(tmp_path / "a.csv", "\n".join(rows) + "\n")
    store, report, warnings = do([path])
    assert report.added == 6
    assert [s.origin for s in report.skipped] == [f"{path}:3"]
    assert "unclosed quote" in report.skipped[0].reason
    assert max(len(a.text) for a in store.iter_articles()) < 40


def test_csv_bad_quote_mid_row_skips_that_row(tmp_path):
    path = write(tmp_path / "a.csv", 'text,title\n"x"y,1\nGood one.,2\n"multi\nline",3\n')
    store, report, _ = do([path])
    assert sorted(a.text for a in store.iter_articles()) == ["Good one.", "multi\nline"]
    assert [s.origin for s in report.skipped] == [f"{path}:2"]


# ------------------------------------------------------------------ 7: encodings


def test_one_stray_byte_does_not_turn_utf8_into_mojibake(tmp_path):
    text = "Der Minister sagte: „Wir vertrauen einander.“ Schön.\n" * 3
    raw = text.encode("utf-8") + b"A stray \xff byte.\n"
    path = write(tmp_path / "a.txt", raw)
    store, report, warnings = do([path])
    art = next(store.iter_articles())
    assert "„Wir vertrauen einander.“ Schön." in art.text
    assert "A stray \ufffd byte." in art.text
    assert art.encoding == "utf-8 (1 replaced)"
    assert any(w.startswith(f"{path}:4: 1 invalid UTF-8 byte") for w in warnings)


def test_windows_1252_file_is_recorded_as_such(tmp_path, db):
    path = write(tmp_path / "a.txt", "Café talks “went well”.".encode("cp1252"))
    store, report, _ = do([path], db=db)
    store.close()
    with open_store(db, create=False) as again:
        art = next(again.iter_articles())
    assert art.text == "Café talks “went well”."
    assert art.encoding == "cp1252"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_bom_are_read(tmp_path, codec):
    text = "Переговоры в Москве прошли успешно. 和平谈判。"
    raw = text.encode(codec)
    if codec == "utf-16-be":
        raw = b"\xfe\xff" + raw
    path = write(tmp_path / "a.txt", raw)
    store, report, _ = do([path])
    assert report.added == 1
    art = next(store.iter_articles())
    assert art.text == text
    assert art.encoding == codec.split("-be")[0]


def test_late_nul_in_text_file_is_removed_with_a_warning(tmp_path):
    path = write(tmp_path / "a.txt", b"x" * 9000 + b"\nsecond line\x00 with a NUL.\n")
    store, report, warnings = do([path])
    art = next(store.iter_articles())
    assert "\x00" not in art.text and "second line with a NUL." in art.text
    assert f"{path}:2: 1 NUL character(s) removed" in warnings


def test_nul_escape_in_jsonl_is_removed_with_a_warning(tmp_path):
    path = write(tmp_path / "a.jsonl", json.dumps({"text": "Nul\u0000 inside."}) + "\n")
    store, report, warnings = do([path])
    assert next(store.iter_articles()).text == "Nul inside."
    assert any(w.startswith(f"{path}:1: 1 NUL character(s) removed from 'text'") for w in warnings)


# ------------------------------------------------------------------ 8: symlinks


def test_links_out_of_the_folder_are_skipped_with_a_warning(tmp_path):
    outside = write(tmp_path / "outside" / "secret.txt", "Secret text outside the corpus.")
    write(tmp_path / "outside" / "more" / "m.txt", "More secret text outside.")
    corpus = tmp_path / "corpus" / "src"
    write(corpus / "real.txt", "A real article inside the corpus.")
    os.symlink(outside, corpus / "leak.txt")
    os.symlink(tmp_path / "outside" / "more", corpus / "linked_dir")
    os.symlink(corpus / "real.txt", corpus / "alias.txt")  # inside: read (a duplicate)
    os.symlink(tmp_path / "nowhere", corpus / "broken.txt")
    store, report, warnings = do([tmp_path / "corpus"])
    texts = [a.text for a in store.iter_articles()]
    assert texts == ["A real article inside the corpus."]
    assert report.duplicates == 1
    reasons = {os.path.basename(s.origin): s.reason for s in report.skipped}
    assert set(reasons) == {"leak.txt", "linked_dir", "broken.txt"}
    assert "outside the ingested folder" in reasons["leak.txt"]
    assert "linked folder not followed" in reasons["linked_dir"]
    assert any("leak.txt: skipped: symbolic link" in w for w in warnings)


def test_a_link_named_on_the_command_line_is_read(tmp_path):
    outside = write(tmp_path / "outside" / "a.txt", "Named on the command line, so read.")
    os.symlink(outside, tmp_path / "link.txt")
    store, report, _ = do([tmp_path / "link.txt"])
    assert report.added == 1


def test_warnings_are_one_printable_line_whatever_the_file_holds(tmp_path):
    name = "evil\nwarning: forged\x1b[31m\u202e.txt"
    write(tmp_path / "c" / "s" / name, b"")  # an empty file: skipped with a warning
    write(tmp_path / "c" / "s" / "h.csv", "\x0btext\x1b[2J,title\nRow.,T\n")
    store, report, warnings = do([tmp_path / "c"])
    assert len(warnings) == 2
    assert all(w.isprintable() for w in warnings), warnings
    assert any("evil\\nwarning: forged\\x1b[31m\\u202e.txt: skipped" in w for w in warnings)
    assert any("\\x0btext\\x1b[2J" in w for w in warnings)


def test_a_huge_jsonl_line_is_skipped_without_being_read_whole(tmp_path):
    import tracemalloc

    path = tmp_path / "a.jsonl"
    with open(path, "wb") as fh:
        fh.write(json.dumps({"text": "Before the long line."}).encode() + b"\n")
        fh.write(b'{"text": "' + b"x" * 8_000_000 + b'"}\n')
        fh.write(json.dumps({"text": "After the long line."}).encode() + b"\n")
    tracemalloc.start()
    try:
        store, report, _ = do([path], max_bytes=100_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sorted(a.text for a in store.iter_articles()) == [
        "After the long line.",
        "Before the long line.",
    ]
    assert [s.origin for s in report.skipped] == [f"{path}:2"]
    assert "larger than --max-bytes 100000" in report.skipped[0].reason
    assert peak < 4_000_000  # the 8 MB line was never held whole


def test_lexicon_hint_quotes_the_value_as_written():
    from discourse.errors import LexiconError
    from discourse.lexicon import parse_lexicon

    with pytest.raises(LexiconError, match=r'quote it, e.g. name: "no"'):
        parse_lexicon('name: no\nversion: "1"\nframes:\n  a:\n    terms: [x]\n', "l.yaml")
