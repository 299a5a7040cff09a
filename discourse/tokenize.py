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
* For matching, text and lexicon terms are normalized the same way
  (:func:`normalize`): Unicode NFC, then one case-folding rule, ``str.casefold``
  (so ``Straße`` matches ``strasse``), with the Turkish capital dotted ``İ``
  folded to a plain ``i`` (``İstanbul`` matches ``istanbul``; the dotless ``ı``
  stays distinct); curly apostrophes and quotes made straight, Unicode hyphens
  made ``-``. :meth:`Tokenizer.sentences` works on the NFC form of the text.
* A sentence ends at ``.``, ``!``, ``?`` or ``…`` (plus closing quotes or
  brackets) before whitespace and a character that is not a lower-case letter,
  and always at a blank line. It does not end after a title (``Mr.``,
  ``Dr.``), an initial (``J.``), ``No.`` before a number, or after another
  abbreviation (``Jan.``, ``U.S.``, ``Inc.``) unless the next word is a common
  sentence opener such as ``The`` or ``He``.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterator
from typing import Any

from discourse.models import Sentence
from discourse.speedups import ext as _speedups
from discourse.speedups import sentences as _sentences

#: The compiled sentence splitter (the same spans as :func:`sentence_spans`), or None.
_c_sentence_spans = _sentences.sentence_spans if _sentences is not None else None

# NLTK is imported on first use of a class that implements its interface (see
# __getattr__ at the end): importing it costs about a second (it pulls in SciPy),
# which the scoring hot path, built on the module-level functions below, avoids.

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
#: The pseudo-token that ends each sentence in :meth:`Tokenizer.flat_tokens` (a
#: text holding it is tokenized sentence by sentence instead).
SENTENCE_SEP = "\x00"
if sys.version_info >= (3, 11):
    # The same tokens, faster, for the hot path (Tokenizer.token_lists): possessive
    # quantifiers (3.11+) where backtracking can never help, and a possessive
    # whitespace skip before each token, so whitespace is crossed once rather than
    # tried against every alternative. Only for text without trailing whitespace
    # (stripped sentence spans): a trailing run would be rescanned from each position.
    # The first alternative is the common token, a lower-case ASCII word of two or
    # more characters with no hyphen or apostrophe next: the one the others would give
    # (it cannot start an abbreviation), found without trying them first.
    _HOT_WORD_RE = re.compile(
        r"\s*+("
        rf"[a-z][a-z0-9_]++(?![{_HYPHENS}{_APOS}\w])"
        r"|(?:[^\W\d_]\.){2,}"
        r"|\d+(?:[.,]\d+)+"
        rf"|[{_APOS}][sS]\b"
        rf"|\w++(?:[{_HYPHENS}]\w++|[{_APOS}](?![sS]\b)\w++)*+"
        r"|[^\w\s])"
    )
    # Possessive quantifiers before a lookahead were mis-compiled by early 3.11
    # releases (3.11.2 gives "china's" as one token): check on tricky text at import
    # and fall back to the plain pattern where they disagree.
    _PROBE = "china's rise, u.s. and russia's don't win-win 1,000 3.1 o'neill's 's x's."
    if _HOT_WORD_RE.findall(_PROBE) != _WORD_RE.findall(_PROBE):  # pragma: no cover
        _HOT_WORD_RE = _WORD_RE
else:  # pragma: no cover
    _HOT_WORD_RE = _WORD_RE

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


def nfc(text: str) -> str:
    """``text`` in Unicode normal form C (returned as is when it already is)."""
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def normalize(text: str) -> str:
    """Normalize text for matching: NFC, case-folded, straight quotes, ASCII hyphens.

    Case folding is ``str.casefold`` everywhere (matching and deduplication),
    except that the Turkish capital ``İ`` (U+0130) folds to a plain ``i`` rather
    than to ``i`` plus a combining dot.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        The normalized text; it may differ in length from ``text`` (``ß`` -> ``ss``).
    """
    if text.isascii():
        return text.lower()  # the same as casefold() for ASCII, and faster
    text = nfc(text)
    if "\u0130" in text:
        text = text.replace("\u0130", "i")
    return nfc(text.casefold()).translate(_NORMALIZE)


def word_spans(s: str) -> Iterator[tuple[int, int]]:
    """Character spans of the words of ``s`` (the default word tokenizer)."""
    for m in _WORD_RE.finditer(s):
        yield m.span()


class _WordTokenizer:
    """The default word tokenizer (NLTK ``TokenizerI`` with spans)."""

    def tokenize(self, s: str) -> list[str]:
        return _WORD_RE.findall(s)

    def span_tokenize(self, s: str) -> Iterator[tuple[int, int]]:
        return word_spans(s)


class _TreebankWordTokenizer:
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

_NOT_ENDS = TITLES | ABBREVIATIONS  # a period after these may not end a sentence

_END_RE = re.compile(r"[.!?\u2026]+[\"'\u2019\u201d)\]]*(?=\s)|\n[ \t]*\n\s*")
_RUN_RE = re.compile(r"[\w.\-]*")  # the characters a word before a period may hold
_LETTER_RE = re.compile(r"[^\W\d_]")


def _last_word(seg: str) -> str | None:
    """The word that ends ``seg`` (the text between the last space and a period).

    It starts with a letter, holds letters, digits, ``_``, ``.`` and ``-``, and
    ends with a letter, digit or ``_`` (the longest such suffix). Computed on the
    reversed text, so its cost is linear in ``seg`` (a ``$``-anchored search is not).
    """
    if seg.isalpha():  # the common case: letters only
        return seg
    if not seg or not (seg[-1].isalnum() or seg[-1] == "_"):
        return None
    run = len(_RUN_RE.match(seg[::-1]).group())
    m = _LETTER_RE.search(seg, len(seg) - run)
    return seg[m.start() :] if m else None


# _END_RE, with the end's first character, whether its second is a period, and the
# first character and the rest of the next word (in a lookahead, so the matches are
# _END_RE's) past spaces, quotes and brackets, captured. An end before an ASCII
# lower-case word is not matched at all (sentence_spans would skip it; nor is any end
# inside the same run of punctuation).
_END_NEXT_RE = re.compile(
    # a leading character set lets the regex engine skip other characters fast; the
    # lookbehinds tell a blank line from an end and capture the end's first character
    r"[.!?\u2026\n](?:(?<=\n)[ \t]*\n\s*"
    r"|(?<=([.!?\u2026]))(\.?)[.!?\u2026]*[\"'\u2019\u201d)\]]*(?=\s)"
    r"(?![\s\"'\u2018\u201c(\[]*[a-z])(?:(?=[\s\"'\u2018\u201c(\[]*(\S)(\w*)))?)"
)


def sentence_spans(s: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``s`` (the default sentence splitter).

    Linear in the length of ``s``: the last whitespace before each candidate
    period is found by searching only the text since the previous candidate.
    The common cases (a lower-case next word, ``!``/``?``, a plain word before
    the period) are decided inline.
    """
    out = []
    append = out.append
    start = 0
    searched, ws = 0, -1  # ws: the last space, newline or tab before ``searched``
    for m in _END_NEXT_RE.finditer(s):
        p0, dot2, first, rest = m.groups()  # the end's first and second (if ".") character
        if p0 is None:  # a blank line
            cut = m.start()
        else:
            if first is not None:
                if first.islower():
                    continue
                if p0 == "." and not dot2:  # a period, not an ellipsis of periods
                    pos = m.start()
                    r = s.rfind(" ", searched, pos)
                    if r > ws:
                        ws = r
                    seg = s[ws + 1 : pos]
                    if "\n" in seg or "\t" in seg:  # (any is after ``searched``)
                        ws = max(ws, s.rfind("\n", searched, pos), s.rfind("\t", searched, pos))
                        seg = s[ws + 1 : pos]
                    searched = pos
                    # the common case inline: a plain word, not an initial or abbreviation
                    plain = seg.isalpha() and len(seg) > 1 and seg.lower() not in _NOT_ENDS
                    if not plain and not _after_period(seg, first, rest):
                        continue
            cut = m.end()
        a, b = start, cut
        while a < b and s[a].isspace():
            a += 1
        while b > a and s[b - 1].isspace():
            b -= 1
        if a < b:
            append((a, b))
        start = m.end()
    span = _strip_span(s, start, len(s))
    if span:
        append(span)
    return out


def _after_period(seg: str, first: str, rest: str) -> bool:
    """Whether a period after ``seg`` (the text since the last space) ends a sentence,
    the next word starting with ``first`` + ``rest`` (not lower-case)."""
    word = _last_word(seg)
    if word is None:
        return True
    low = word.lower()
    if low in TITLES:
        return False
    if len(word) == 1 and word.isupper():  # an initial: "J. Smith"
        return False
    if low in ("no", "nos") and first.isdigit():
        return False
    if low in ABBREVIATIONS or "." in word:  # Jan. / U.S. / e.g.
        if first.isdigit():
            return False
        return (first + rest).lower() in OPENERS
    return True


class _SentenceTokenizer:
    """The default sentence splitter (NLTK ``TokenizerI`` with spans)."""

    def tokenize(self, s: str) -> list[str]:
        return [s[a:b] for a, b in self.span_tokenize(s)]

    def span_tokenize(self, s: str) -> Iterator[tuple[int, int]]:
        return iter(sentence_spans(s))


def _strip_span(s: str, a: int, b: int) -> tuple[int, int] | None:
    while a < b and s[a].isspace():
        a += 1
    while b > a and s[b - 1].isspace():
        b -= 1
    return (a, b) if a < b else None


class _PunktSentenceTokenizer:
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


_IMPLEMENTATIONS: dict[str, type] = {
    "WordTokenizer": _WordTokenizer,
    "TreebankWordTokenizer": _TreebankWordTokenizer,
    "SentenceTokenizer": _SentenceTokenizer,
    "PunktSentenceTokenizer": _PunktSentenceTokenizer,
}
_SENTENCE_CLASSES = {"fast": "SentenceTokenizer", "punkt": "PunktSentenceTokenizer"}
_WORD_CLASSES = {"fast": "WordTokenizer", "treebank": "TreebankWordTokenizer"}
_NLTK_CLASSES: dict[str, type] = {}


def _nltk_class(name: str) -> type:
    """The public tokenizer class ``name``: its implementation with NLTK's ``TokenizerI``."""
    cls = _NLTK_CLASSES.get(name)
    if cls is None:
        import types

        from nltk.tokenize.api import TokenizerI

        impl = _IMPLEMENTATIONS[name]

        def body(ns: dict) -> None:
            ns.update(__doc__=impl.__doc__, __module__=__name__, __qualname__=name)

        cls = types.new_class(name, (impl, TokenizerI), {}, body)
        _NLTK_CLASSES[name] = cls
    return cls


def __getattr__(name: str) -> Any:
    """``WordTokenizer`` & co. and the engine tables, built (importing NLTK) on first use."""
    if name in _IMPLEMENTATIONS:
        return _nltk_class(name)
    if name == "SENTENCE_ENGINES":
        return {k: _nltk_class(v) for k, v in _SENTENCE_CLASSES.items()}
    if name == "WORD_ENGINES":
        return {k: _nltk_class(v) for k, v in _WORD_CLASSES.items()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Tokenizer:
    """Sentence splitter + word tokenizer; turns a text into :class:`Sentence` objects.

    The default engines (``"fast"``) run on the module's functions; the NLTK
    ``TokenizerI`` objects (:attr:`sentence_tokenizer`, :attr:`word_tokenizer`)
    are built on first use.
    """

    def __init__(self, sentences: str = "fast", words: str = "fast") -> None:
        if sentences not in _SENTENCE_CLASSES:
            raise ValueError(f"unknown sentence engine {sentences!r}")
        if words not in _WORD_CLASSES:
            raise ValueError(f"unknown word engine {words!r}")
        self.engines = (sentences, words)
        self._fast_sentences = sentences == "fast"
        self._fast_words = words == "fast"
        self._sentence_tokenizer = None
        self._word_tokenizer = None

    @property
    def sentence_tokenizer(self):
        """The sentence splitter, an NLTK ``TokenizerI``."""
        if self._sentence_tokenizer is None:
            self._sentence_tokenizer = _nltk_class(_SENTENCE_CLASSES[self.engines[0]])()
        return self._sentence_tokenizer

    @property
    def word_tokenizer(self):
        """The word tokenizer, an NLTK ``TokenizerI``."""
        if self._word_tokenizer is None:
            self._word_tokenizer = _nltk_class(_WORD_CLASSES[self.engines[1]])()
        return self._word_tokenizer

    def sentence_spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the sentences of ``text``."""
        if self._fast_sentences:
            if _c_sentence_spans is not None:
                return _c_sentence_spans(text)
            return sentence_spans(text)
        return list(self.sentence_tokenizer.span_tokenize(text))

    def sentences(self, text: str) -> list[Sentence]:
        """Split ``text`` (taken in NFC) into sentences with normalized tokens."""
        text = nfc(text)
        out = []
        spans = self.sentence_spans(text)
        if self._fast_words:
            findall = _WORD_RE.findall
            norm = normalize(text)
            if len(norm) != len(text):  # rare: case folding changed a length (e.g. "ß")
                norm = None
            for i, (a, b) in enumerate(spans):
                chunk = text[a:b]
                toks = findall(norm[a:b] if norm is not None else normalize(chunk))
                out.append(Sentence(i, a, b, chunk, toks))
        else:
            for i, (a, b) in enumerate(spans):
                chunk = text[a:b]
                toks = [normalize(chunk[x:y]) for x, y in self.token_spans(chunk)]
                out.append(Sentence(i, a, b, chunk, toks))
        return out

    def flat_tokens(self, text: str) -> tuple[str, list[tuple[int, int]], list[str], list[int]]:
        """The scoring hot path: every sentence's normalized tokens in one list.

        Returns (NFC text, sentence spans, tokens, firsts): the tokens of all
        sentences, each sentence followed by the pseudo-token
        :data:`SENTENCE_SEP`, and the index in that list of each sentence's first
        token (plus one past the end). The same sentences and tokens as
        :meth:`sentences`; on the default engines, in one regex pass over the
        normalized sentences joined by the separator, instead of one per sentence.
        """
        text = nfc(text)
        spans = self.sentence_spans(text)
        if self._fast_words and spans:
            norm = normalize(text)
            if len(norm) == len(text) and SENTENCE_SEP not in norm:
                sep = f" {SENTENCE_SEP} "
                flat = _HOT_WORD_RE.findall(sep.join([norm[a:b] for a, b in spans]) + sep[:-1])
                return text, spans, flat, _firsts(flat, len(spans))
        flat: list[str] = []
        firsts = [0]
        for toks in self._token_lists(text, spans):
            flat += toks
            flat.append(SENTENCE_SEP)
            firsts.append(len(flat))
        return text, spans, flat, firsts

    def canon(self, text: str) -> tuple[str, list[tuple[int, int]], str, int] | None:
        """The scoring hot path, compiled: what :meth:`flat_tokens` gives, already joined.

        Returns (NFC text, sentence spans, ``" " + " ".join(flat) + " "`` and the
        number of word tokens), ``flat`` being :meth:`flat_tokens`' tokens; or None
        when the accelerator is not built, the engines are not the default ones, or
        the text is one :meth:`flat_tokens` tokenizes sentence by sentence (case
        folding changed its length, or it holds :data:`SENTENCE_SEP`).
        """
        if _speedups is None or not (self._fast_words and self._fast_sentences):
            return None
        text = nfc(text)
        norm = normalize(text)
        if len(norm) != len(text) or SENTENCE_SEP in norm:
            return None
        spans = self.sentence_spans(text)
        joined, n_words = _speedups.canon(norm, spans)
        return text, spans, joined, n_words

    def _token_lists(self, text: str, spans: list[tuple[int, int]]) -> list[list[str]]:
        if not self._fast_words:
            return [s.tokens for s in self.sentences(text)]
        norm = normalize(text)
        findall = _HOT_WORD_RE.findall
        if len(norm) == len(text):
            return [findall(norm, a, b) for a, b in spans]
        return [findall(normalize(text[a:b])) for a, b in spans]

    def token_spans(self, sentence_text: str) -> list[tuple[int, int]]:
        """Character spans of the tokens of one sentence (relative to the sentence)."""
        if self._fast_words:
            return list(word_spans(sentence_text))
        return list(self.word_tokenizer.span_tokenize(sentence_text))


def _firsts(flat: list[str], n: int) -> list[int]:
    """The index of each of ``n`` sentences' first token in ``flat`` (each sentence ends
    with :data:`SENTENCE_SEP`, which no other token is), plus one past the end."""
    out = [0]
    append, index = out.append, flat.index
    i = -1
    for _ in range(n):
        i = index(SENTENCE_SEP, i + 1)  # a C scan that stops at the (interned) separator
        append(i + 1)
    return out


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
