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
    raw: dict = field(default_factory=dict)  # raw counts, the cached form
