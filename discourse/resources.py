"""Where the shipped lexicon and demo corpus are, in a checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

DEFAULT_LEXICON_NAME = "china-russia-frames.yaml"
_PKG = Path(__file__).resolve().parent


def _candidates(*parts: str) -> list[Path]:
    # an installed wheel carries the data in discourse/_data; a checkout has it at the top
    return [_PKG.joinpath("_data", *parts), _PKG.parent.joinpath(*parts)]


def data_path(*parts: str) -> Path:
    for p in _candidates(*parts):
        if p.exists():
            return p
    return _candidates(*parts)[0]


def default_lexicon_path() -> Path:
    return data_path("lexicons", DEFAULT_LEXICON_NAME)


def demo_corpus_path() -> Path:
    return data_path("corpora", "demo")
