"""Sentences and word tokens with character offsets. The only module that imports NLTK.

NLTK is the tokenization library of record: the project's tokenizers implement
NLTK's :class:`~nltk.tokenize.api.TokenizerI` interface (``tokenize`` and
``span_tokenize``), and NLTK's own tokenizers can be selected instead
(``engine="punkt"`` for sentences, ``engine="treebank"`` for words).

The default engine (``"fast"``) uses one fixed, vetted regular expression per
level and a shipped abbreviation list, because NLTK 3.10's regex-based
tokenizers route every pattern through a ReDoS guard and run at 0.5-3 MB/s.
Nothing here downloads data: Punkt is used untrained, with the project's
abbreviation list as its parameters.

Decisions (tested in ``tests/test_tokenize.py``):

* Words keep internal hyphens and apostrophes: ``win-win``,
  ``people-to-people``, ``long-arm``, ``don't`` are one token each. The
  Unicode hyphens U+2010 and U+2011 count as hyphens.
* The possessive ``'s``/``’s`` is its own token: ``China's`` -> ``China`` ``'s``,
  so a lexicon term ``china`` matches it.
* En and em dashes separate words: ``China–Russia`` -> ``China`` ``–`` ``Russia``
  (they mark relations and ranges, not compounds).
* Dotted abbreviations are one token (``U.S.``, ``U.N.``, ``e.g.``); numbers
  keep their separators (``162.4``, ``1,000``); every other non-space
  character is a token of its own.
* For matching, tokens are normalized: lower-cased, curly apostrophes and
  quotes made straight, Unicode hyphens made ``-``.
* A sentence ends at ``.``, ``!``, ``?`` or ``…`` (plus closing quotes or
  brackets) before whitespace and a character that is not a lower-case letter,
  and always at a blank line. It does not end after a title (``Mr.``,
  ``Dr.``), an initial (``J.``), ``No.`` before a number, or after another
  abbreviation (``Jan.``, ``U.S.``, ``Inc.``) unless the next word is a common
  sentence opener such as ``The`` or ``He``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from nltk.tokenize.api import TokenizerI

from discourse.models import Sentence

# --------------------------------------------------------------------------- words

_HYPHENS = "-\u2010\u2011"
_APOS = "'\u2019"

WORD_PATTERN = (
    r"(?:[^\W\d_]\.){2,}"  # dotted abbreviations: U.S., U.N., e.g.
    r"|\d+(?:[.,]\d+)+"  # numbers with separators: 162.4, 1,000, 3.1
    rf"|[{_APOS}][sS]\b"  # possessive 's as its own token
    rf"|\w+(?:[{_HYPHENS}]\w+|[{_APOS}](?![sS]\b)\w+)*"  # words, hyphenated, apostrophes
    r"|[^\w\s]"  # any other single non-space character
)
_WORD_RE = re.compile(WORD_PATTERN)

_NORMALIZE = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2010": "-",
        "\u2011": "-",
    }
)


def normalize(text: str) -> str:
    """Normalize text for matching: lower case, straight quotes, ASCII hyphens."""
    return text.lower().translate(_NORMALIZE)


class WordTokenizer(TokenizerI):
    """The default word tokenizer (NLTK ``TokenizerI`` with spans)."""

    def tokenize(self, s: str) -> list[str]:
        return _WORD_RE.findall(s)

    def span_tokenize(self, s: str) -> Iterator[tuple[int, int]]:
        for m in _WORD_RE.finditer(s):
            yield m.span()


class TreebankWordTokenizer(TokenizerI):
    """NLTK's Treebank-style word tokenizer (slow; for comparison and teaching)."""

    def __init__(self) -> None:
        from nltk.tokenize import NLTKWordTokenizer

        self._tok = NLTKWordTokenizer()

    def tokenize(self, s: str) -> list[str]:
        return [s[a:b] for a, b in self.span_tokenize(s)]

    def span_tokenize(self, s: str) -> Iterator[tuple[int, int]]:
        yield from self._tok.span_tokenize(s)


# ----------------------------------------------------------------------- sentences


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Abbreviations that never end a sentence (titles and honorifics).
TITLES = _wordset(
    """mr mrs ms dr prof gen lt col capt sgt adm rev hon sen rep gov amb pres supt cmdr
    maj brig messrs mme mmes st"""
)
#: Abbreviations that end a sentence only before a common sentence opener.
ABBREVIATIONS = _wordset(
    """jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri
    sat sun no nos vs etc inc ltd co corp plc bros jr sr approx dept est fig govt intl
    natl assn univ ave blvd rd mt ft vol vols pp p cf al ca"""
)
#: Words that, capitalized after an abbreviation, start a new sentence.
OPENERS = _wordset(
    """the a an he she it they we i you this that these those there his her its their our
    but and or so yet in on at for from by with as after before when while if although
    though because since however meanwhile moscow beijing washington"""
)

_END_RE = re.compile(r"[.!?\u2026]+[\"'\u2019\u201d)\]]*(?=\s)|\n[ \t]*\n\s*")
_LAST_WORD_RE = re.compile(r"[^\W\d_](?:[\w.\-]*\w)?$")
_NEXT_WORD_RE = re.compile(r"[\s\"'\u2018\u201c(\[]*(\S)(\w*)")


def _is_boundary(text: str, end: int, punct: str) -> bool:
    """Decide whether the punctuation ``punct`` ending at ``end`` closes a sentence."""
    nxt = _NEXT_WORD_RE.match(text, end)
    if nxt is None:
        return True
    first, rest = nxt.group(1), nxt.group(2)
    if first.islower():
        return False
    if not punct.startswith(".") or punct.startswith(".."):
        return True
    # the word before the period (without it): find its start cheaply, then check its shape
    pos = end - len(punct)
    ws = max(text.rfind(" ", 0, pos), text.rfind("\n", 0, pos), text.rfind("\t", 0, pos))
    m = _LAST_WORD_RE.search(text[ws + 1 : pos])
    if m is None:
        return True
    word = m.group()
    low = word.lower()
    if low in TITLES:
        return False
    if len(word) == 1 and word.isupper():  # an initial: "J. Smith"
        return False
    next_word = (first + rest).lower()
    if low in ("no", "nos") and first.isdigit():
        return False
    if low in ABBREVIATIONS or "." in word:  # Jan. / U.S. / e.g.
        if first.isdigit():
            return False
        return next_word in OPENERS
    return True


class SentenceTokenizer(TokenizerI):
    """The default sentence splitter (NLTK ``TokenizerI`` with spans)."""

    def tokenize(self, s: str) -> list[str]:
        return [s[a:b] for a, b in self.span_tokenize(s)]

    def span_tokenize(self, s: str) -> Iterator[tuple[int, int]]:
        start = 0
        n = len(s)
        for m in _END_RE.finditer(s):
            punct = m.group()
            if punct[0] in "\r\n":
                cut = m.start()
            else:
                if not _is_boundary(s, m.end(), punct):
                    continue
                cut = m.end()
            span = _strip_span(s, start, cut)
            if span:
                yield span
            start = m.end()
        span = _strip_span(s, start, n)
        if span:
            yield span


def _strip_span(s: str, a: int, b: int) -> tuple[int, int] | None:
    while a < b and s[a].isspace():
        a += 1
    while b > a and s[b - 1].isspace():
        b -= 1
    return (a, b) if a < b else None


class PunktSentenceTokenizer(TokenizerI):
    """NLTK's Punkt, untrained, given the project's abbreviation list (no download)."""

    def __init__(self) -> None:
        from nltk.tokenize.punkt import PunktParameters
        from nltk.tokenize.punkt import PunktSentenceTokenizer as _Punkt

        params = PunktParameters()
        params.abbrev_types = set(TITLES | ABBREVIATIONS | {"u.s", "u.n", "e.g", "i.e", "u.k"})
        self._tok = _Punkt(params)

    def tokenize(self, s: str) -> list[str]:
        return [s[a:b] for a, b in self.span_tokenize(s)]

    def span_tokenize(self, s: str) -> Iterator[tuple[int, int]]:
        # Punkt does not split at blank lines; do it first, as the default engine does.
        for pa, pb in _paragraphs(s):
            for a, b in self._tok.span_tokenize(s[pa:pb]):
                yield pa + a, pa + b


def _paragraphs(s: str) -> Iterator[tuple[int, int]]:
    start = 0
    for m in re.finditer(r"\n[ \t]*\n\s*", s):
        span = _strip_span(s, start, m.start())
        if span:
            yield span
        start = m.end()
    span = _strip_span(s, start, len(s))
    if span:
        yield span


SENTENCE_ENGINES = {"fast": SentenceTokenizer, "punkt": PunktSentenceTokenizer}
WORD_ENGINES = {"fast": WordTokenizer, "treebank": TreebankWordTokenizer}


class Tokenizer:
    """Sentence splitter + word tokenizer; turns a text into :class:`Sentence` objects."""

    def __init__(self, sentences: str = "fast", words: str = "fast") -> None:
        try:
            self.sentence_tokenizer: TokenizerI = SENTENCE_ENGINES[sentences]()
        except KeyError:
            raise ValueError(f"unknown sentence engine {sentences!r}") from None
        try:
            self.word_tokenizer: TokenizerI = WORD_ENGINES[words]()
        except KeyError:
            raise ValueError(f"unknown word engine {words!r}") from None
        self._fast_words = words == "fast"

    def sentence_spans(self, text: str) -> list[tuple[int, int]]:
        return list(self.sentence_tokenizer.span_tokenize(text))

    def sentences(self, text: str) -> list[Sentence]:
        """Split ``text`` into sentences with normalized tokens (the scoring hot path)."""
        out = []
        if self._fast_words:
            findall = _WORD_RE.findall
            norm = normalize(text)
            if len(norm) != len(text):  # rare: lower-casing changed a length (e.g. "İ")
                norm = None
            for i, (a, b) in enumerate(self.sentence_tokenizer.span_tokenize(text)):
                chunk = text[a:b]
                toks = findall(norm[a:b] if norm is not None else normalize(chunk))
                out.append(Sentence(i, a, b, chunk, toks))
        else:
            for i, (a, b) in enumerate(self.sentence_tokenizer.span_tokenize(text)):
                chunk = text[a:b]
                toks = [normalize(chunk[x:y]) for x, y in self.word_tokenizer.span_tokenize(chunk)]
                out.append(Sentence(i, a, b, chunk, toks))
        return out

    def token_spans(self, sentence_text: str) -> list[tuple[int, int]]:
        """Character spans of the tokens of one sentence (relative to the sentence)."""
        return list(self.word_tokenizer.span_tokenize(sentence_text))


def tokenize_terms(phrase: str) -> list[str]:
    """Tokenize a lexicon term the same way as text (normalized).

    A ``*`` written right after a word stays on it (``partner*``), marking a prefix.
    """
    out: list[str] = []
    last_end = -1
    for m in _WORD_RE.finditer(normalize(phrase)):
        tok = m.group()
        if tok == "*" and out and m.start() == last_end and not out[-1].endswith("*"):
            out[-1] += "*"
        else:
            out.append(tok)
        last_end = m.end()
    return out
