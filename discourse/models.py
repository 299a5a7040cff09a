"""Plain data passed between modules. No behaviour beyond small conveniences."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Article:
    """One article as read from a file, a feed or the store."""

    text: str
    source: str
    title: str = ""
    date: str | None = None  # ISO 8601: "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS[+HH:MM]"
    url: str = ""
    lang: str = "en"
    author: str = ""
    origin: str = ""  # where it came from: "path" or "path:line"
    id: int | None = None  # set once stored
    encoding: str = ""  # how the file's bytes were decoded, e.g. "utf-8", "cp1252"
    meta: dict = field(default_factory=dict)  # document variables: extra columns and keys

    @property
    def day(self) -> str | None:
        """The date part (``YYYY-MM-DD``) or None."""
        return self.date[:10] if self.date else None


@dataclass(frozen=True)
class Skip:
    """A record that was not ingested, and why."""

    origin: str  # "path" or "path:line"
    reason: str


@dataclass
class Sentence:
    """A sentence: character span in the article text and its word tokens."""

    index: int
    start: int
    end: int
    text: str
    tokens: list[str]  # normalized (lower-cased) tokens used for matching


@dataclass(frozen=True)
class Hit:
    """One lexicon match: a term of a frame fired on tokens [tok_start, tok_end)."""

    frame: str
    term: str
    sentence: int
    tok_start: int
    tok_end: int


@dataclass
class FrameScore:
    """Per article and frame."""

    hits: int
    per_1k: float
    present: bool
    sentences_with: int  # sentences carrying the frame (by the scoring method)
    sentence_share: float
    lex_present: bool | None = None  # the lexicon fired
    clf_share: float | None = None  # share of sentences at/above the classifier's threshold
    clf_present: bool | None = None  # some sentence at/above the threshold


@dataclass
class RawCounts:
    """An article's raw counts per frame, in the lexicon's frame order.

    Everything an :class:`ArticleScore` is derived from, whatever the scoring
    method, so one cached entry serves ``lexicon``, ``classifier`` and ``both``.
    The score cache keeps it as JSON with one-letter keys (:meth:`to_payload`).
    """

    n_tokens: int
    n_sentences: int
    hits: list[int]  # lexicon matches
    sents_with: list[int]  # sentences with a lexicon match
    clf_with: list[int] | None = None  # sentences at/above the classifier's threshold
    both_with: list[int] | None = None  # sentences with either

    def to_payload(self) -> dict:
        """The cached form: ``{"t", "s", "h", "w"}`` and, with a classifier, ``"c"``, ``"b"``."""
        out = {"t": self.n_tokens, "s": self.n_sentences, "h": self.hits, "w": self.sents_with}
        if self.clf_with is not None:
            out["c"], out["b"] = self.clf_with, self.both_with
        return out

    @classmethod
    def from_payload(cls, payload) -> RawCounts | None:
        """Read :meth:`to_payload`'s form back; None if it is not that form."""
        try:
            return cls(
                payload["t"], payload["s"], list(payload["h"]), list(payload["w"]),
                _list_or_none(payload.get("c")), _list_or_none(payload.get("b")),
            )  # fmt: skip
        except (TypeError, KeyError):
            return None


def _list_or_none(value) -> list | None:
    return None if value is None else list(value)


@dataclass
class ArticleScore:
    """Scoring result for one article."""

    article: Article
    n_tokens: int
    n_sentences: int
    frames: dict[str, FrameScore]
    dominant: str | None
    sentences: list[Sentence] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    sentence_probs: list[dict[str, float]] | None = None  # per sentence: frame -> probability
    raw: RawCounts | None = None  # what the scores derive from; the cached form
