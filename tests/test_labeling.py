"""`discourse label`: sampling, the keystroke loop, resuming without repeating or losing work."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from discourse.api import open_inputs
from discourse.classifier import FrameClassifier, load_labels
from discourse.errors import InputError
from discourse.labeling import (
    Candidate,
    LabelWriter,
    article_doc_id,
    label_session,
    read_progress,
    run_session,
    sample_candidates,
)
from discourse.lexicon import load_lexicon
from discourse.models import Article

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "corpora" / "demo"
LEXICON = ROOT / "lexicons" / "china-russia-frames.yaml"
FRAMES = ["partnership", "threat"]

ARTICLES = {
    "alpha/one.md": "China and Russia pledged mutual trust. The talks lasted three hours. "
    "Both sides praised win-win cooperation.",
    "alpha/two.md": "The alliance is an authoritarian axis. Officials met on Tuesday.",
    "beta/three.md": "Trade rose by 3 percent. The ministers shook hands. Nothing else happened.",
    "beta/four.md": "The weather was cold. The two neighbours stand shoulder to shoulder.",
}


@pytest.fixture(scope="module")
def lex():
    return load_lexicon(LEXICON)


@pytest.fixture
def corpus(tmp_path):
    for rel, text in ARTICLES.items():
        p = tmp_path / "corpus" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text + "\n", encoding="utf-8")
    with open_inputs([tmp_path / "corpus"], None) as inp:
        yield inp.store


def keys(text: str):
    """A scripted keyboard: one key per call, then end of input ('')."""
    it = iter(text)
    return lambda: next(it, "")


def rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_article_doc_id():
    art = Article(text="x", source="S", origin="corpora/demo/harmony-daily/2026-08-04-talks.md")
    assert article_doc_id(art) == "harmony-daily/2026-08-04-talks"
    art = Article(text="x", source="S", origin="feed.jsonl:12", url="https://a.example/1", id=7)
    assert article_doc_id(art) == "https://a.example/1"
    art = Article(text="x", source="S", origin="feed.jsonl:12", id=7)
    assert article_doc_id(art) == "article:7"


def test_session_with_scripted_keystrokes_resumes_without_repeating(corpus, lex, tmp_path):
    out = tmp_path / "labels.csv"
    shown: list[str] = []
    # sentence 1: y, n ; sentence 2: Enter (no), b (back), y, y ; sentence 3: s (skip)
    # sentence 4: y then q (quit mid-sentence: nothing written for it)
    rep = label_session(
        corpus, out, lex, keys("yn\nbyysyq"), shown.append, n=5, seed=1, frames=FRAMES
    )
    assert rep.quit and rep.coded == 2 and rep.skipped == 1
    first = rows(out)
    assert [(r["partnership"], r["threat"]) for r in first] == [("1", "0"), ("1", "1")]
    assert all(r["doc_id"].startswith(("alpha/", "beta/")) for r in first)
    text = "".join(shown)
    assert "lexicon:" in text and "> " in text and "back" in text
    # resume: the coded sentences are never offered again
    shown.clear()
    rep2 = label_session(
        corpus, out, lex, keys("nn" * 20), shown.append, n=20, seed=1, frames=FRAMES
    )
    assert rep2.already == 2 and not rep2.quit
    allrows = rows(out)
    keys_seen = [(r["doc_id"], r["sent_idx"]) for r in allrows]
    assert len(keys_seen) == len(set(keys_seen)) == 10  # every sentence of the corpus, once
    # nothing left: a third session offers nothing and writes nothing
    rep3 = label_session(corpus, out, lex, keys(""), shown.append, n=5, frames=FRAMES)
    assert rep3.coded == 0 and "nothing left" in shown[-1]
    assert len(rows(out)) == 10
    # the file is a valid labels file for training
    ls = load_labels(out, FRAMES, require_both_classes=False)
    assert len(ls) == 10


def test_every_sentence_is_on_disk_at_once(corpus, lex, tmp_path):
    out = tmp_path / "labels.csv"
    seen_on_disk: list[int] = []

    def read_key():
        seen_on_disk.append(len(rows(out)) if out.exists() else -1)
        if len(seen_on_disk) > 4:
            raise KeyboardInterrupt  # Ctrl-C at the terminal
        return "y"

    rep = label_session(corpus, out, lex, read_key, lambda s: None, n=5, frames=FRAMES)
    assert rep.quit and rep.coded == 2
    assert seen_on_disk == [0, 0, 1, 1, 2]  # each coded sentence was flushed before the next
    assert len(rows(out)) == 2


def test_help_and_unknown_keys(corpus, lex, tmp_path):
    shown: list[str] = []
    rep = label_session(
        corpus, tmp_path / "l.csv", lex, keys("?xyn"), shown.append, n=1, frames=FRAMES
    )
    assert rep.coded == 1
    text = "".join(shown)
    assert "key 'x'?" in text and text.count("keys: y or 1") >= 3


def test_resumes_against_the_demo_gold(lex, tmp_path):
    """The demo labels use <folder>/<stem> doc_ids: coding the demo store finds it all done."""
    gold = tmp_path / "labels.csv"
    shutil.copy(DEMO / "labels.csv", gold)
    done, header = read_progress(gold, lex.frame_names)
    n_rows = sum(1 for _ in gold.open(encoding="utf-8")) - 1
    assert len(done) == n_rows > 1000 and header[:4] == ["doc_id", "source", "sent_idx", "text"]
    shown: list[str] = []
    with open_inputs([DEMO], None) as inp:
        rep = label_session(inp.store, gold, lex, keys("q"), shown.append, n=10)
    assert rep.coded == 0 and rep.already == n_rows and "nothing left" in shown[-1]


def test_stratified_sample_alternates_sources(corpus, lex):
    cands = sample_candidates(corpus, lex, 4, seed=3, stratify=True)
    assert [c.source for c in cands] == ["alpha", "beta", "alpha", "beta"]
    again = sample_candidates(corpus, lex, 4, seed=3, stratify=True)
    assert [(c.doc_id, c.sent_idx) for c in cands] == [(c.doc_id, c.sent_idx) for c in again]
    hit = sample_candidates(corpus, lex, 20, seed=3)
    assert len(hit) == 10  # the whole corpus, each sentence once
    one = next(c for c in hit if c.doc_id == "alpha/one" and c.sent_idx == 1)
    assert one.before == ["China and Russia pledged mutual trust."]  # neighbours for context
    assert one.after == ["Both sides praised win-win cooperation."]
    trust = next(c for c in hit if "mutual trust" in c.text)
    assert trust.suggestion == {"partnership": ["mutual trust"]}


def test_uncertainty_sampling(corpus, lex):
    texts = [t for a in ARTICLES.values() for t in a.split(". ")]
    y = [[1 if ("trust" in t or "win" in t or "shoulder" in t) else 0] for t in texts]
    model = FrameClassifier(frames=["partnership"], threshold_folds=0).fit(texts, y)
    cands = sample_candidates(corpus, lex, 3, seed=1, model=model, uncertain=1.0)
    assert len(cands) == 3 and all(c.reason == "uncertain" for c in cands)
    pool = sample_candidates(corpus, lex, 10, seed=1, model=model, uncertain=0.0)
    cutoff = sorted(c.margin for c in pool)[2]
    assert all(c.margin <= cutoff for c in cands)
    assert all(c.probs is not None and "partnership" in c.probs for c in cands)
    with pytest.raises(InputError, match="`uncertain` needs a model"):
        sample_candidates(corpus, lex, 3, uncertain=0.5)


def test_existing_file_must_have_the_frame_columns(tmp_path):
    p = tmp_path / "l.csv"
    p.write_text("doc_id,sent_idx,text,partnership\na,0,x,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="no column 'threat'"):
        read_progress(p, FRAMES)


def test_append_after_a_file_without_final_newline(tmp_path):
    p = tmp_path / "l.csv"
    p.write_text("doc_id,source,sent_idx,text,partnership,threat\na,S,0,x,1,0", encoding="utf-8")
    done, header = read_progress(p, FRAMES)
    w = LabelWriter(p, FRAMES, header)
    run_session([Candidate("b", "S", 0, "y")], FRAMES, w, keys("nn"), lambda s: None)
    w.close()
    assert [r["doc_id"] for r in rows(p)] == ["a", "b"]


def test_cli_label_with_piped_keys(run, tmp_path, monkeypatch):
    import io

    out = tmp_path / "mine.csv"
    monkeypatch.setattr("sys.stdin", io.StringIO("yn" + "n" * 4 + "q"))
    r = run("label", DEMO / "meridian-wire", "-o", out, "--sample", "3", "--seed", "5")
    assert r.code == 0, r.err
    assert "[1/3] Meridian Wire" in r.out and "stopped: coded 1 sentence" in r.err
    assert len(rows(out)) == 1 and rows(out)[0]["doc_id"].startswith("meridian-wire/")
