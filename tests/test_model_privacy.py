"""Model files do not let anyone confirm that a guessed sentence was in the training data
(issue 10, item 12), while the card still identifies the training data.

The per-sentence identities that ``evaluate`` needs (gold sentences seen in training) are
HMACs under a secret key kept outside the model files (``DISCOURSE_KEY_FILE``).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat

import pytest

from discourse.classifier import load_model, train
from discourse.classifier.evaluation import evaluate
from discourse.tokenize import normalize

from .conftest import DEMO, LEXICON


def _unsalted(text: str) -> str:
    """The fingerprint older model files carried: guessable by anyone."""
    return hashlib.sha256(" ".join(normalize(text).split()).encode("utf-8")).hexdigest()[:12]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from discourse.lexicon import load_lexicon

    work = tmp_path_factory.mktemp("priv")
    labels = work / "labels.csv"
    rows = (DEMO / "labels.csv").read_text(encoding="utf-8").splitlines()
    labels.write_text("\n".join(rows[:400]) + "\n", encoding="utf-8")
    # dual: the solver does not matter to what the files hold, and it is much faster
    res = train(labels, work / "m", lexicon=load_lexicon(LEXICON), k=0, params={"dual": True})
    return work, labels, res


def test_model_files_hold_no_guessable_sentence_fingerprint(trained):
    work, labels, res = trained
    files = {p.name: p.read_bytes() for p in work.glob("m.*")}
    assert set(files) == {"m.json", "m.npz", "m.card.json"}
    text = files["m.json"].decode() + files["m.card.json"].decode()
    assert "training_fingerprints" not in text
    guesses = {_unsalted(t) for t in res.labels.texts}
    assert len(guesses) > 100
    found = [g for g in guesses if g in text]
    assert not found, found[:3]
    # nor a longer unsalted hash of a sentence
    full = {
        hashlib.sha256(" ".join(normalize(t).split()).encode()).hexdigest()[:8]
        for t in res.labels.texts
    }
    assert not [g for g in full if g in text]


def test_the_card_identifies_the_training_data_as_a_whole(trained):
    work, labels, res = trained
    card = json.loads((work / "m.card.json").read_text(encoding="utf-8"))
    data = card["training_data"]
    assert data["sha256"] == hashlib.sha256(labels.read_bytes()).hexdigest()
    assert data["n_sentences"] == len(res.labels) == 399


def test_the_key_is_kept_outside_the_model_folder_and_private(trained):
    work, _, _ = trained
    key = os.environ["DISCOURSE_KEY_FILE"]
    assert not key.startswith(str(work))
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600


def test_evaluate_still_counts_training_sentences_with_the_key(trained, tmp_path):
    work, labels, res = trained
    model = load_model(work / "m")
    gold = tmp_path / "gold.csv"
    rows = labels.read_text(encoding="utf-8").splitlines()
    gold.write_text("\n".join(rows[:11]) + "\n", encoding="utf-8")  # 10 training sentences
    notes: list[str] = []
    ev = evaluate(gold, model=model, warn=notes.append)
    assert ev.meta["overlap_with_training"] == 10
    assert any("10 of the 10 gold sentences were in the model's training data" in n for n in notes)


def test_without_the_key_the_overlap_is_unknown_not_zero(trained, tmp_path, monkeypatch):
    work, labels, _ = trained
    monkeypatch.setenv("DISCOURSE_KEY_FILE", str(tmp_path / "other.key"))
    model = load_model(work / "m")
    gold = tmp_path / "gold.csv"
    rows = labels.read_text(encoding="utf-8").splitlines()
    gold.write_text("\n".join(rows[:11]) + "\n", encoding="utf-8")
    notes: list[str] = []
    ev = evaluate(gold, model=model, warn=notes.append)
    assert ev.meta["overlap_with_training"] is None
    assert any("cannot tell" in n and "DISCOURSE_KEY_FILE" in n for n in notes), notes


def test_a_legacy_model_with_unsalted_fingerprints_still_counts_overlap(trained, tmp_path):
    work, labels, res = trained
    body = json.loads((work / "m.json").read_text(encoding="utf-8"))
    body["fit"].pop("training_hmac", None)
    body["fit"]["training_fingerprints"] = sorted({_unsalted(t) for t in res.labels.texts})
    for name in ("m.npz", "m.card.json"):
        (tmp_path / name).write_bytes((work / name).read_bytes())
    (tmp_path / "m.json").write_text(json.dumps(body), encoding="utf-8")
    model = load_model(tmp_path / "m")
    gold = tmp_path / "gold.csv"
    rows = labels.read_text(encoding="utf-8").splitlines()
    gold.write_text("\n".join(rows[:6]) + "\n", encoding="utf-8")
    ev = evaluate(gold, model=model)
    assert ev.meta["overlap_with_training"] == 5
