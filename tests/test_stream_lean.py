"""`score PATH...`'s cheaper passes give what the full ones gave: the survey's keys and
checks (records without document variables are only parsed), and the rows."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from discourse.api import open_inputs
from discourse.errors import InputError
from discourse.formats import DELIMITERS, csv_text, delimited_row, id_row
from discourse.ingest import IngestOptions, doc_vars, plain_columns
from discourse.models import Article, RawCounts
from discourse.scoring import build_score
from discourse.store import Selection
from discourse.stream import CHUNK, survey

from .conftest import write

WORDS = ["the", "two", "sides", "pledged", "mutual", "trust", "sanctions", "law", "talks"]


def _line(rng: random.Random, i: int) -> dict:
    rec = {"text": " ".join(rng.choices(WORDS, k=8)) + f" {i}.", "source": f"S{i % 3}"}
    if i % 5:
        rec["date"] = f"2026-0{1 + i % 6}-1{i % 10}"
    if rng.random() < 0.06:  # a few records carry document variables, in odd forms
        rec[rng.choice(["desk", "meta.region", " title ", "id", "url\x00", "Text"])] = i
    if rng.random() < 0.05:
        rec["text"] = rng.choice(["", "   ", None, 3])  # skipped: no text
    return rec


@pytest.fixture
def sparse(tmp_path):
    rng = random.Random(11)
    lines = [json.dumps(_line(rng, i)) for i in range(3 * CHUNK + 40)]
    return write(tmp_path / "sparse.jsonl", "\n".join(lines) + "\n")


@pytest.mark.parametrize(
    "sel",
    [Selection(), Selection(since="2026-03-01"), Selection(until="2026-02-28")],
)
@pytest.mark.parametrize("workers", [1, 2])
def test_survey_keys_are_the_stores(sparse, sel, workers):
    """The keys are those a store loaded with the same file holds for the selection."""
    with open_inputs([sparse], None) as inp:
        expected = inp.store.meta_keys(sel)
    assert survey([sparse], sel, workers) == expected
    assert expected  # the fixture has variables to find, more without a date range
    assert len(expected) == 4 or sel.since or sel.until


def test_plain_columns_leave_no_document_variables():
    opts = IngestOptions(title_col=" headline", url_col="meta.link", author_col="by")
    plain = plain_columns(opts)
    assert plain == {"text", "source", "date", "by", "lang"}
    known = ["text", "source", "date", "by", "lang", " headline", "meta.link"]
    assert doc_vars({c: "x" for c in plain}, known) == {}
    # the columns left out would be variables
    assert doc_vars({"meta.link": 1, " headline": 2}, [" headline", "meta.link"]) == {
        "link": 1,
        "headline": 2,
    }


def test_survey_errors_when_no_chunk_has_an_article(tmp_path):
    bad = write(tmp_path / "bad.jsonl", '{"text": ""}\n' * (2 * CHUNK + 5))
    with pytest.raises(InputError, match=r"no articles could be read.*skipped"):
        survey([bad], Selection(), 2)
    # one article in the last chunk is enough
    late = write(tmp_path / "late.jsonl", '{"text": ""}\n' * (2 * CHUNK) + '{"text": "x"}\n')
    assert survey([late], Selection(), 2) == []


cells = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.sampled_from(list(",\t\"\n\r =+-@'ab é")), max_size=6),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(st.lists(cells, max_size=6), st.sampled_from(["csv", "tsv"]), st.booleans())
def test_a_row_is_what_the_csv_module_writes(values, fmt, raw):
    """score's rows (:func:`id_row`) are the text :func:`csv_text` gives the same record."""
    record = {"id": None} | {f"c{i}": v for i, v in enumerate(values)}
    expected = csv_text([record], list(record), raw, DELIMITERS[fmt], header=False)
    assert id_row(record, fmt, raw) == expected
    cols = range(len(values))
    expected = csv_text([dict(enumerate(values))], cols, raw, DELIMITERS[fmt], header=False)
    assert delimited_row(values, DELIMITERS[fmt], raw) == expected


def _reference_score(frames, counts, method):
    """build_score's per-frame values and dominant frame as first written, frame by frame."""
    hits, with_, clf, both = counts.hits, counts.sents_with, counts.clf_with, counts.both_with
    basis = {"classifier": clf, "both": both}.get(method, hits)
    out = {}
    for i, f in enumerate(frames):
        if method == "lexicon":
            present, w = hits[i] > 0, with_[i]
        elif method == "classifier":
            present, w = clf[i] > 0, clf[i]
        else:
            present, w = hits[i] > 0 or clf[i] > 0, both[i]
        n_t, n_s = counts.n_tokens, counts.n_sentences
        out[f] = (
            hits[i],
            1000.0 * hits[i] / n_t if n_t else 0.0,
            present,
            w,
            w / n_s if n_s else 0.0,
            hits[i] > 0,
            (clf[i] / n_s if n_s else 0.0) if clf is not None else None,
            (clf[i] > 0) if clf is not None else None,
        )
    best = max(range(len(frames)), key=lambda i: (basis[i], hits[i], -i)) if frames else None
    return out, frames[best] if best is not None and basis[best] > 0 else None


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    st.integers(0, 6).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.integers(0, 3000),
            st.integers(0, 60),
            st.lists(st.integers(0, 9), min_size=n, max_size=n),
            st.lists(st.integers(0, 9), min_size=n, max_size=n),
            st.lists(st.integers(0, 9), min_size=n, max_size=n),
            st.lists(st.integers(0, 9), min_size=n, max_size=n),
        )
    ),
    st.sampled_from(["lexicon", "classifier", "both"]),
    st.booleans(),
)
def test_build_score_gives_the_reference_values(data, method, with_model):
    n, n_tokens, n_sents, hits, with_, clf, both = data
    if method != "lexicon":
        with_model = True
    counts = RawCounts(n_tokens, n_sents, hits, with_, clf if with_model else None, both)
    frames = [f"f{i}" for i in range(n)]
    score = build_score(Article("", "X"), frames, counts, method)
    expected, dominant = _reference_score(frames, counts, method)
    got = {f: tuple(vars(fs).values()) for f, fs in score.frames.items()}
    assert got == expected and list(got) == frames
    assert score.dominant == dominant
