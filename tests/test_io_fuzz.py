"""Property/fuzz suite over every reader (issue 10): hostile bytes never crash a run.

Each test mutates a valid seed file (inserting poison: NULs, stray bytes, BOMs, lone
surrogate escapes, huge numbers, deep nesting, YAML aliases and tags, unclosed quotes,
markup; deleting, duplicating and truncating) and checks the invariants the README
states:

* a bad record is skipped with a warning naming the file (and line, for records),
  every warning is one line, and the batch goes on (a good file beside it is stored);
* what is stored is valid text (no NUL, no lone surrogate);
* a command exits 0, 1, 2 or 3 and never with an internal error (70) or a traceback;
* the library raises only :class:`~discourse.errors.DiscourseError` subclasses.

The default run is small and derandomized (``DISCOURSE_FUZZ_EXAMPLES``, default 15
examples per reader); set ``DISCOURSE_FUZZ_EXAMPLES=2000`` for a long, random run.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from discourse.cli import main
from discourse.errors import DiscourseError, LexiconError
from discourse.ingest import IngestOptions, ingest
from discourse.lexicon import convert, convert_liwc, convert_quanteda, parse_lexicon
from discourse.store import open_store, set_lock_wait

from .conftest import DEMO

_ENV = os.environ.get("DISCOURSE_FUZZ_EXAMPLES", "").strip()
EXAMPLES = int(_ENV) if _ENV else 15
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not _ENV,  # the default run is reproducible; a long run explores
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(FUZZ, max_examples=max(3, EXAMPLES // 3))  # commands that start a whole run

POISON = [
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\xfe\xff",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b'"',
    b"'",
    b"\\",
    b"\\ud800",
    b"\\udfff",
    b"\\u0000",
    b"9" * 5000,
    b"[" * 3000,
    b"{" * 3000,
    b"- " * 200,
    b"&a ",
    b"*a",
    b"<<: *a",
    b"!!python/object/apply:os.system ['true']",
    b"!!binary AAAA",
    b": ",
    b"\n",
    b"\r",
    b"\t",
    b"---\n",
    b"%",
    b",",
    "\u2028".encode(),
    "\u202e".encode(),
    "é".encode(),
    "é".encode("cp1252"),
    b"\x1b[31m",
    b"\xf0\x9f\x98",
    b"<!DOCTYPE x [<!ENTITY a 'b'>]>",
    b"<script>alert(1)</script>",
    b"<",
    b"&amp;",
    b"1e999999",
    b"NaN",
    b"null",
    b"true",
    b"no",
]


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    """``seed`` with one to six mutations."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["poison", "poison", "delete", "bytes", "truncate", "dup"]))
        pos = draw(st.integers(0, len(data)))
        if op == "poison":
            data[pos:pos] = draw(st.sampled_from(POISON))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 40))]
        elif op == "bytes":
            data[pos : pos + draw(st.integers(0, 3))] = draw(st.binary(min_size=1, max_size=8))
        elif op == "truncate":
            del data[pos:]
        else:
            end = draw(st.integers(pos, min(len(data), pos + 200)))
            data[pos:pos] = data[pos:end]
    return bytes(data)


# ------------------------------------------------------------------------ seeds

SEEDS = {
    "a.txt": b"Plain article text about mutual trust. A second sentence follows.\n",
    "a.md": (
        b"---\ntitle: Talks in Moscow\ndate: 2026-08-04\nurl: https://x.example/a\n"
        b"source: Example Daily\nlang: en\nauthor: A. Writer\n---\n# Heading\n\n"
        b"The ministers praised mutual trust. They met again in June.\n"
    ),
    "a.jsonl": b"".join(
        json.dumps(
            {"text": f"Record {i} on mutual trust.", "title": f"T{i}", "date": "2026-08-0{i}"}
        ).encode()
        + b"\n"
        for i in range(1, 4)
    ),
    "a.csv": (
        b"text,title,date,source\n"
        b"First row on mutual trust.,One,2026-08-01,Wire\n"
        b'"A quoted, multi\nline row.",Two,2026-08-02,Wire\n'
        b"Third row.,Three,,Wire\n"
    ),
    "a.html": (
        b"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Talks</title>"
        b"<meta property='og:site_name' content='Example Daily'></head><body><article>"
        b"<h1>Talks in Moscow</h1><p>The two ministers met in Moscow and praised mutual "
        b"trust between their countries.</p><p>They agreed to meet again in June to "
        b"discuss trade, energy and security.</p></article></body></html>"
    ),
}
GOOD_TEXT = "A good article that must always be stored, whatever its neighbour holds."


def _ingest_invariants(name: str, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "corpus" / "src"
        folder.mkdir(parents=True)
        bad = folder / name
        bad.write_bytes(content)
        (folder / "zz-good.txt").write_text(GOOD_TEXT, encoding="utf-8")
        warnings: list[str] = []
        with open_store(":memory:") as store:
            report = ingest(store, [folder.parent], IngestOptions(), warn=warnings.append)
            arts = list(store.iter_articles())
    assert GOOD_TEXT in [a.text for a in arts]  # the batch went on
    n_lines = content.count(b"\n") + 1
    for skip in report.skipped:
        assert skip.origin == str(bad) or skip.origin.startswith(f"{bad}:"), skip
        line = skip.origin[len(str(bad)) + 1 :]
        if line:
            assert line.isdigit() and 1 <= int(line) <= n_lines, skip
    for w in warnings:
        assert w.isprintable(), w  # one line: no control character, break or bidi override
        assert w.startswith(str(bad)) or w.startswith(str(folder / "zz-good.txt")), w
    for a in arts:
        for value in (a.text, a.title, a.source, a.url, a.author, a.lang, a.date or ""):
            value.encode("utf-8")  # no lone surrogate
            assert "\x00" not in value


@pytest.mark.parametrize("name", list(SEEDS))
def test_ingest_readers_skip_bad_records_and_go_on(name):
    @FUZZ
    @given(content=mutated(SEEDS[name]))
    def check(content):
        _ingest_invariants(name, content)

    check()


def _cli(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        finally:
            set_lock_wait(None)
    return code, out.getvalue(), err.getvalue()


def _cli_invariants(code: int, err: str, allowed=(0, 1, 2, 3)) -> None:
    assert code in allowed, (code, err)
    assert "internal error" not in err and "Traceback" not in err, err
    for line in err.splitlines():
        assert line.startswith(("warning: ", "discourse", "added ", "scoring", "loading")), line


@pytest.mark.parametrize("name", list(SEEDS))
def test_ingest_command_exit_codes(name, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")

    @FEW
    @given(content=mutated(SEEDS[name]))
    def check(content):
        with tempfile.TemporaryDirectory() as tmp:
            bad = Path(tmp) / name
            bad.write_bytes(content)
            code, _, err = _cli("ingest", bad, "--db", Path(tmp) / "s.db")
        _cli_invariants(code, err, (0, 1))
        for line in err.splitlines():
            if line.startswith("warning: "):
                assert line.startswith(f"warning: {bad}"), line

    check()


# -------------------------------------------------------------------- lexicons

LEXICON_SEED = b"""name: fuzz
version: "1.0"
language: en
description: A lexicon to mutate.
frames:
  trust:
    label: Trust
    description: Mutual trust between partners.
    terms:
      - mutual trust
      - partner*
    exclude:
      - partner in crime
    examples:
      match: [They praised mutual trust.]
      no_match: [Nothing here.]
  threat:
    terms: [hegemon*, "bully"]
"""


def _one_line(msg: str, path: str) -> None:
    assert "\n" not in msg and "\r" not in msg, msg
    assert msg.startswith(path), msg


@FUZZ
@given(content=mutated(LEXICON_SEED))
def test_lexicon_yaml_is_a_lexicon_or_one_line_error(content):
    text = content.decode("utf-8", errors="replace")
    try:
        lex = parse_lexicon(text, "fuzz.yaml")
    except LexiconError as e:
        _one_line(str(e), "fuzz.yaml")
        return
    assert lex.frames and all(f.terms for f in lex.frames.values())


@FEW
@given(content=mutated(LEXICON_SEED))
def test_lexicon_check_command_exit_codes(content):
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "lex.yaml"
        p.write_bytes(content)
        code, _, err = _cli("lexicon", "check", p)
    _cli_invariants(code, err, (0, 1))


LIWC_SEED = b"%\n1\tposemo\n2\tnegemo\n3\ttrust words\n%\nhappy\t1\nsad*\t2\nlove\t1 2\n" \
    b"mutual trust\t3\nlike (discrep) 1\t1\n"  # fmt: skip

QUANTEDA_SEED = b"""trust:
  - mutual trust
  - partner*
threat:
  hegemony: [hegemon*, bully]
  danger:
    - menace
"""


@FUZZ
@given(content=mutated(LIWC_SEED))
def test_liwc_dic_converts_or_fails_in_one_line(content):
    text = content.decode("utf-8", errors="replace")
    try:
        frames, warnings = convert_liwc(text, "fuzz.dic")
    except LexiconError as e:
        _one_line(str(e), "fuzz.dic")
        return
    for w in warnings:
        _one_line(w, "fuzz.dic")
    _converted_file_loads(content, "x.dic")


@FUZZ
@given(content=mutated(QUANTEDA_SEED))
def test_quanteda_yaml_converts_or_fails_in_one_line(content):
    text = content.decode("utf-8", errors="replace")
    try:
        frames, warnings = convert_quanteda(text, "fuzz.yml")
    except LexiconError as e:
        _one_line(str(e), "fuzz.yml")
        return
    for w in warnings:
        _one_line(w, "fuzz.yml")
    _converted_file_loads(content, "x.yml")


def _converted_file_loads(content: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / name
        p.write_bytes(content)
        try:
            out, _ = convert(p)
        except LexiconError as e:
            _one_line(str(e), str(p))
            return
        parse_lexicon(out, "converted.yaml")  # what convert writes always loads


# ---------------------------------------------------------------- labels, models

LABELS = (DEMO / "labels.csv").read_bytes()
LABELS_SEED = b"".join(LABELS.splitlines(keepends=True)[:25])


@FEW
@given(content=mutated(LABELS_SEED))
def test_labels_csv_evaluate_exit_codes(content):
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "gold.csv"
        p.write_bytes(content)
        code, _, err = _cli("evaluate", p)
    _cli_invariants(code, err, (0, 1))


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    rows = LABELS.decode("utf-8").splitlines(keepends=True)
    header, body = rows[0], rows[1:]
    docs = sorted({r.split(",", 1)[0] for r in body})
    keep = set(docs[::5]) | {d for d in docs if "09-03" in d}
    folder = tmp_path_factory.mktemp("model")
    small = folder / "small.csv"
    small.write_text(header + "".join(r for r in body if r.split(",", 1)[0] in keep), "utf-8")
    code, _, err = _cli("train", small, "-o", folder / "m", "--cv", "0", "--dual", "-q")
    assert code == 0, err
    return folder / "m"


@pytest.mark.parametrize("part", [".json", ".npz", ".card.json"])
def test_model_files_load_or_fail_in_one_line(model, part):
    seed = Path(str(model) + part).read_bytes()
    article = DEMO / "harmony-daily" / sorted(os.listdir(DEMO / "harmony-daily"))[0]

    @FEW
    @given(content=mutated(seed))
    def check(content):
        with tempfile.TemporaryDirectory() as tmp:
            for p in (".json", ".npz", ".card.json"):
                src = Path(str(model) + p).read_bytes()
                (Path(tmp) / f"m{p}").write_bytes(content if p == part else src)
            code, _, err = _cli("score", article, "--model", Path(tmp) / "m", "-q")
        _cli_invariants(code, err, (0, 1))

    check()


# ------------------------------------------------------------------------ feeds

FEED_SEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Example</title><link>https://x.example/</link>
<item><title>Talks in Moscow</title><link>https://x.example/a</link>
<pubDate>Tue, 04 Aug 2026 09:30:00 GMT</pubDate><description>Mutual trust.</description></item>
<item><title>Second</title><link>https://x.example/b</link></item>
</channel></rss>
"""


@FUZZ
@given(content=mutated(FEED_SEED))
def test_feed_documents_parse_or_fail_in_one_line(content):
    from discourse.http import feeds as fetch

    warnings: list[str] = []
    try:
        parsed = fetch.parse_feed(content, "https://x.example/feed", warn=warnings.append)
    except DiscourseError as e:
        assert "\n" not in str(e), e
        return
    result = fetch.FeedResult(source="Example", url="https://x.example/feed")
    for entry in fetch._entries(parsed, "https://x.example/feed", result):
        assert re.match(r"^https?://", entry.url), entry.url
    for w in warnings:
        assert "\n" not in w and w.startswith("https://x.example/feed"), w


def test_deep_model_json_is_a_one_line_error(model):
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "m.json").write_text('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}")
        (Path(tmp) / "m.npz").write_bytes(Path(str(model) + ".npz").read_bytes())
        code, _, err = _cli("score", DEMO / "harmony-daily", "--model", Path(tmp) / "m", "-q")
    assert code == 1 and err.count("\n") == 1 and "not a valid model file" in err, err


def test_corrupt_deflate_stream_with_its_hash_updated_is_a_one_line_error(model):
    import hashlib
    import zipfile

    npz = bytearray(Path(str(model) + ".npz").read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(npz))) as z:
        info = max(z.infolist(), key=lambda i: i.compress_size)
    assert info.compress_type == zipfile.ZIP_DEFLATED
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    npz[start : start + 64] = b"\xff" * 64  # the deflate stream's first block: invalid
    body = json.loads(Path(str(model) + ".json").read_text(encoding="utf-8"))
    body["npz_sha256"] = hashlib.sha256(bytes(npz)).hexdigest()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "m.json").write_text(json.dumps(body), encoding="utf-8")
        (Path(tmp) / "m.npz").write_bytes(bytes(npz))
        code, _, err = _cli("score", DEMO / "harmony-daily", "--model", Path(tmp) / "m", "-q")
    assert code == 1 and err.count("\n") == 1, err
    assert "not a usable model array file" in err, err


@pytest.mark.parametrize("declared", ["xml", "header"])
def test_utf7_declared_feed_cannot_hide_an_entity_declaration(declared):
    from discourse.http import feeds

    ent = '<!DOCTYPE r [<!ENTITY a "HELLO">]>'
    body = (
        '<rss version="2.0"><channel><title>&a;</title><item><title>x</title>'
        "<link>https://x.example/a</link></item></channel></rss>"
    )
    raw = (ent.replace("<!", "+ADwAIQ-") + body).encode("ascii")  # "<!" in UTF-7
    ctype = "application/rss+xml"
    if declared == "xml":
        raw = b'<?xml version="1.0" encoding="utf-7"?>' + raw
    else:
        ctype += "; charset=utf-7"
    assert b"<!ENTITY" not in raw  # hidden from a byte-level scan
    with pytest.raises(DiscourseError, match="declares XML entities"):
        feeds.parse_feed(raw, "https://x.example/feed", ctype, warn=lambda m: None)
