"""A frozen copy of the scoring hot path as it was before the fast engine (v1).

Used only by tests: the fast path must give identical sentences, tokens, word
counts and hits. Kept deliberately simple and slow (per-sentence regex search,
per-token dictionary look-ups, the quadratic overlap check of v1); the only
change is that text is normalized with today's :func:`discourse.tokenize.normalize`
(NFC + casefold), the documented rule both paths share. Proximity rules did not
exist in v1 and are not covered here.
"""

from __future__ import annotations

import re

from discourse.lexicon import Lexicon
from discourse.tokenize import ABBREVIATIONS, OPENERS, TITLES, normalize, tokenize_terms

WORD_PATTERN = (
    r"(?:[^\W\d_]\.){2,}"
    r"|\d+(?:[.,]\d+)+"
    r"|['\u2019][sS]\b"
    r"|\w+(?:[-\u2010\u2011]\w+|['\u2019](?![sS]\b)\w+)*"
    r"|[^\w\s]"
)
_WORD_RE = re.compile(WORD_PATTERN)
_END_RE = re.compile(r"[.!?\u2026]+[\"'\u2019\u201d)\]]*(?=\s)|\n[ \t]*\n\s*")
_LAST_WORD_RE = re.compile(r"[^\W\d_](?:[\w.\-]*\w)?$")
_NEXT_WORD_RE = re.compile(r"[\s\"'\u2018\u201c(\[]*(\S)(\w*)")


def _is_boundary(text: str, end: int, punct: str) -> bool:
    nxt = _NEXT_WORD_RE.match(text, end)
    if nxt is None:
        return True
    first, rest = nxt.group(1), nxt.group(2)
    if first.islower():
        return False
    if not punct.startswith(".") or punct.startswith(".."):
        return True
    pos = end - len(punct)
    ws = max(text.rfind(" ", 0, pos), text.rfind("\n", 0, pos), text.rfind("\t", 0, pos))
    m = _LAST_WORD_RE.search(text[ws + 1 : pos])
    if m is None:
        return True
    word = m.group()
    low = word.lower()
    if low in TITLES:
        return False
    if len(word) == 1 and word.isupper():
        return False
    next_word = (first + rest).lower()
    if low in ("no", "nos") and first.isdigit():
        return False
    if low in ABBREVIATIONS or "." in word:
        if first.isdigit():
            return False
        return next_word in OPENERS
    return True


def _strip_span(s: str, a: int, b: int):
    while a < b and s[a].isspace():
        a += 1
    while b > a and s[b - 1].isspace():
        b -= 1
    return (a, b) if a < b else None


def sentence_spans(s: str) -> list[tuple[int, int]]:
    out = []
    start = 0
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
            out.append(span)
        start = m.end()
    span = _strip_span(s, start, len(s))
    if span:
        out.append(span)
    return out


def sentences(text: str) -> list[tuple[int, int, list[str]]]:
    """(start, end, normalized tokens) per sentence, as v1's Tokenizer.sentences."""
    norm = normalize(text)
    if len(norm) != len(text):
        norm = None
    out = []
    for a, b in sentence_spans(text):
        chunk = text[a:b]
        out.append((a, b, _WORD_RE.findall(norm[a:b] if norm is not None else normalize(chunk))))
    return out


class Matcher:
    """v1's matcher: candidates per token, every prefix term tried, quadratic overlap check."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.pats = []  # (frame, term, is_exclude, elements), in v1's candidate order
        exact, prefix = [], []
        for fi, frame in enumerate(lexicon.frames.values()):
            for is_ex, items in ((False, frame.terms), (True, frame.exclude)):
                for term in items:
                    els = [
                        (t[:-1], True) if t.endswith("*") and len(t) > 1 else (t, False)
                        for t in tokenize_terms(term)
                    ]
                    (prefix if els[0][1] else exact).append((fi, term, is_ex, els))
        self.exact, self.prefix = exact, prefix

    def scan(self, tokens: list[str]):
        found = []
        n = len(tokens)
        npunct = 0
        for i, tok in enumerate(tokens):
            if not tok[0].isalnum():
                npunct += 1
            cands = [p for p in self.exact if p[3][0][0] == tok]
            cands += [p for p in self.prefix if tok.startswith(p[3][0][0])]
            for fi, term, is_ex, els in cands:
                j = i + 1
                ok = True
                for text, prefix in els[1:]:
                    if j >= n:
                        ok = False
                        break
                    t = tokens[j]
                    if (prefix and not t.startswith(text)) or (not prefix and t != text):
                        ok = False
                        break
                    j += 1
                if ok:
                    found.append((fi, i, j, term, is_ex))
        return n - npunct, found

    @staticmethod
    def select(raw):
        by_frame: dict = {}
        excl: dict = {}
        for fi, a, b, term, is_ex in raw:
            if is_ex:
                excl.setdefault(fi, []).append((a, b))
            else:
                by_frame.setdefault(fi, []).append((a, b, term))
        out = []
        for fi, ms in by_frame.items():
            ex = excl.get(fi, ())
            taken: list = []
            ms.sort(key=lambda m: (m[0] - m[1], m[0]))
            for a, b, term in ms:
                if any(a < eb and ea < b for ea, eb in ex):
                    continue
                if any(a < tb and ta < b for ta, tb in taken):
                    continue
                taken.append((a, b))
                out.append((fi, term, a, b))
        out.sort(key=lambda h: (h[2], h[0]))
        return out


def score(text: str, lexicon: Lexicon, matcher: Matcher | None = None):
    """(sentences as (start, end, tokens), word tokens, hits as (frame, term, sentence, a, b))."""
    matcher = matcher or Matcher(lexicon)
    names = list(lexicon.frames)
    sents = sentences(text)
    words = 0
    hits = []
    for k, (_, _, toks) in enumerate(sents):
        n, raw = matcher.scan(toks)
        words += n
        hits += [(names[fi], term, k, a, b) for fi, term, a, b in matcher.select(raw)]
    return sents, words, hits
