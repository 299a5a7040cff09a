"""What the classifier reads: word tokens as everywhere in the tool, and lexicon hits."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import numpy as np
from scipy import sparse

from discourse.errors import ModelError
from discourse.lexicon import Frame, Lexicon, Matcher, NearRule, load_lexicon
from discourse.tokenize import WordTokenizer, normalize

# ------------------------------------------------------------------ tokenization

_WORDS = WordTokenizer()


def word_tokens(text: str) -> list[str]:
    """Word tokens of normalized text, as the rest of the tool tokenizes; punctuation dropped.

    Used as the ``tokenizer`` of the word n-gram vectorizer (its ``preprocessor`` is
    :func:`discourse.tokenize.normalize`), so training and prediction see the same tokens
    as the lexicon.
    """
    return [t for t in _WORDS.tokenize(text) if t[0].isalnum()]


def _matcher_tokens(text: str) -> list[str]:
    # the same tokens Tokenizer.sentences() gives the lexicon matcher
    return _WORDS.tokenize(normalize(text))


# ---------------------------------------------------------------------- lexicon


def resolve_lexicon(lexicon: Lexicon | str | os.PathLike | None) -> Lexicon | None:
    if lexicon is None or isinstance(lexicon, Lexicon):
        return lexicon
    return load_lexicon(lexicon)


def lexicon_hits(matcher: Matcher, text: str) -> dict[str, list[str]]:
    """The lexicon's hits in a sentence: frame -> matched terms (in order)."""
    out: dict[str, list[str]] = {}
    for fi, term, _, _ in matcher.match(_matcher_tokens(text)):
        out.setdefault(matcher.frames[fi], []).append(term)
    return out


def lexicon_predict(lexicon: Lexicon, texts: Sequence[str], frames: Sequence[str]) -> np.ndarray:
    """0/1 matrix (n, len(frames)): the frame is present iff the lexicon fires for it.

    A frame the lexicon does not have is never present.
    """
    matcher = Matcher(lexicon)
    index = {f: i for i, f in enumerate(frames)}
    out = np.zeros((len(texts), len(frames)), dtype=np.int8)
    for r, text in enumerate(texts):
        for fi, _, _, _ in matcher.match(_matcher_tokens(text)):
            j = index.get(matcher.frames[fi])
            if j is not None:
                out[r, j] = 1
    return out


def lexicon_counts(matcher: Matcher, texts: Sequence[str]) -> sparse.csr_matrix:
    rows, cols, vals = [], [], []
    for r, text in enumerate(texts):
        counts: dict[int, int] = {}
        for fi, _, _, _ in matcher.match(_matcher_tokens(text)):
            counts[fi] = counts.get(fi, 0) + 1
        for fi, c in counts.items():
            rows.append(r)
            cols.append(fi)
            vals.append(math.log1p(c))
    return sparse.csr_matrix(
        (vals, (rows, cols)), shape=(len(texts), len(matcher.frames)), dtype=np.float64
    )


def neighbour_context(
    texts: Sequence[str],
    doc_ids: Sequence | None,
    positions: Sequence[int | None] | None = None,
) -> list[str]:
    """Per sentence, the text of its neighbours: the previous and the next sentence of
    the same document, joined by a space ("" for a sentence alone in its document).

    Parameters
    ----------
    texts : sequence of str
        The sentences.
    doc_ids : sequence or None
        The document of each sentence; None: every sentence is alone (no context).
    positions : sequence of int or None, optional
        The position of each sentence in its document; without it (or where it is
        None) sentences keep the order in which they appear in ``texts``.

    Returns
    -------
    list of str
        One context string per sentence, aligned with ``texts``.
    """
    if doc_ids is None:
        return [""] * len(texts)
    by_doc: dict[Any, list[int]] = {}
    for i, d in enumerate(doc_ids):
        by_doc.setdefault(d, []).append(i)
    out = [""] * len(texts)
    for rows in by_doc.values():
        if positions is not None and all(positions[i] is not None for i in rows):
            rows = sorted(rows, key=lambda i: (positions[i], i))
        for k, i in enumerate(rows):
            prev = texts[rows[k - 1]] if k > 0 else ""
            nxt = texts[rows[k + 1]] if k + 1 < len(rows) else ""
            out[i] = f"{prev} {nxt}".strip()
    return out


def lexicon_to_data(lex: Lexicon) -> dict:
    return {
        "name": lex.name,
        "version": lex.version,
        "language": lex.language,
        "sha256": lex.sha256,
        "frames": {
            n: {
                "label": f.label,
                "terms": list(f.terms),
                "exclude": list(f.exclude),
                # proximity rules are part of what matching (and so the features) depend on
                **({"near": [asdict(r) for r in f.near]} if f.near else {}),
            }
            for n, f in lex.frames.items()
        },
    }


def _near_from_data(items, where: str) -> list[NearRule]:
    try:
        return [
            NearRule(str(r["name"]), list(r["terms_a"]), list(r["terms_b"]), int(r["window"]))
            for r in items
        ]
    except (KeyError, TypeError, ValueError):
        raise ModelError(f"{where}: the embedded lexicon has a malformed proximity rule") from None


def lexicon_from_data(data: dict, where: str) -> Lexicon:
    frames = {}
    for name, fd in data["frames"].items():
        terms, exclude = fd["terms"], fd.get("exclude", [])
        if not all(isinstance(t, str) for t in [*terms, *exclude]):
            raise ModelError(f"{where}: the embedded lexicon has a term that is not text")
        frames[str(name)] = Frame(
            name=str(name),
            label=str(fd.get("label", name)),
            description="",
            terms=list(terms),
            exclude=list(exclude),
            near=_near_from_data(fd.get("near", []), where),
        )
    lex = Lexicon(
        name=str(data["name"]),
        version=str(data["version"]),
        language=str(data.get("language", "en")),
        description="",
        frames=frames,
        path=f"{where} (embedded)",
    )
    if lex.sha256 != data.get("sha256"):
        raise ModelError(
            f"{where}: the embedded lexicon does not match its hash; the file was changed: "
            "retrain the model or copy it again"
        )
    return lex
