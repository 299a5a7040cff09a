# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The default sentence splitter, compiled (optional).

:func:`sentence_spans` gives exactly the spans of the pure-Python reference,
``discourse.tokenize.sentence_spans`` (its module docstring states the rules), in
one pass over the characters instead of a regex search plus Python code per
candidate end. Each step below names the part of the reference's ``_END_NEXT_RE``
(or of its helpers) it replaces. Character classes use the predicates Python's
``re`` uses for ``str`` patterns: ``\\s`` is ``Py_UNICODE_ISSPACE``, ``\\w`` is
``Py_UNICODE_ISALNUM`` or ``_``, ``\\d`` is ``Py_UNICODE_ISDECIMAL``; the ``str``
methods the reference calls on single characters (``islower``, ``isupper``,
``isdigit``, ``isalpha``) are the ``Py_UNICODE_IS*`` functions they call. Word-list
look-ups lower-case with ``str.lower`` and use the reference's own sets (TITLES,
ABBREVIATIONS, OPENERS, _NOT_ENDS), read from ``discourse.tokenize`` on first use
(not at import, since ``discourse.tokenize`` imports this module).

Checked against the reference in tests/test_sentences_ext.py (demo corpus,
generated news, punctuation-heavy and random Unicode text).
"""

from cpython.unicode cimport (
    Py_UNICODE_ISALNUM,
    Py_UNICODE_ISALPHA,
    Py_UNICODE_ISDIGIT,
    Py_UNICODE_ISLOWER,
    Py_UNICODE_ISSPACE,
    Py_UNICODE_ISUPPER,
    Py_UNICODE_ISDECIMAL,
    PyUnicode_DATA,
    PyUnicode_KIND,
    PyUnicode_READ,
)
from cpython.mem cimport PyMem_Free, PyMem_Malloc


from libc.stdint cimport uint8_t, uint16_t, uint32_t


cdef extern from "Python.h":
    int PyUnicode_1BYTE_KIND
    int PyUnicode_2BYTE_KIND

# ----------------------------------------------------------------- character classes

# ASCII flags, so that the common characters need no Unicode table look-up
cdef enum:
    SPACE = 1  # \s
    WORD = 2  # \w
    ALPHA = 4  # str.isalpha
    END = 8  # [.!?…]: a character that may end a sentence
    CLOSER = 16  # ["'’”)\]]: closing quotes and brackets after an end
    OPENER = 32  # ["'‘“(\[]: opening quotes and brackets before the next word
    SEP = 64  # " ", "\t", "\n": what the reference's last-word search stops at
    CANDIDATE = 128  # [.!?\n]: where a match of _END_NEXT_RE may start

cdef unsigned char ASCII[128]
for _c in range(128):
    _ch = chr(_c)
    ASCII[_c] = (
        (SPACE if _ch.isspace() else 0)
        | (WORD if _ch.isalnum() or _ch == "_" else 0)
        | (ALPHA if _ch.isalpha() else 0)
        | (END if _ch in ".!?" else 0)
        | (CLOSER if _ch in "\"')]" else 0)
        | (OPENER if _ch in "\"'([" else 0)
        | (SEP if _ch in " \t\n" else 0)
        | (CANDIDATE if _ch in ".!?\n" else 0)
    )


cdef inline bint _space(Py_UCS4 c) noexcept:
    """``\\s``."""
    return ASCII[c] & SPACE if c < 128 else Py_UNICODE_ISSPACE(c)


cdef inline bint _word(Py_UCS4 c) noexcept:
    """``\\w``."""
    return ASCII[c] & WORD if c < 128 else Py_UNICODE_ISALNUM(c)


cdef inline bint _alpha(Py_UCS4 c) noexcept:
    """``str.isalpha`` of one character."""
    return ASCII[c] & ALPHA if c < 128 else Py_UNICODE_ISALPHA(c)


cdef inline bint _letter(Py_UCS4 c) noexcept:
    """``[^\\W\\d_]``: a word character that is neither a decimal digit nor ``_``."""
    if c < 128:
        return (ASCII[c] & WORD) and c != u"_" and not (u"0" <= c <= u"9")
    return Py_UNICODE_ISALNUM(c) and not Py_UNICODE_ISDECIMAL(c)


cdef inline bint _end(Py_UCS4 c) noexcept:
    """``[.!?\\u2026]``."""
    return ASCII[c] & END if c < 128 else c == 0x2026


cdef inline bint _closer(Py_UCS4 c) noexcept:
    """``["'\\u2019\\u201d)\\]]``."""
    return ASCII[c] & CLOSER if c < 128 else c == 0x2019 or c == 0x201D


cdef inline bint _skip(Py_UCS4 c) noexcept:
    """``[\\s"'\\u2018\\u201c(\\[]``: what is skipped before the next word."""
    if c < 128:
        return ASCII[c] & (SPACE | OPENER)
    return c == 0x2018 or c == 0x201C or Py_UNICODE_ISSPACE(c)


cdef inline bint _candidate(Py_UCS4 c) noexcept:
    """``[.!?\\u2026\\n]``: the leading character set of ``_END_NEXT_RE``."""
    return ASCII[c] & CANDIDATE if c < 128 else c == 0x2026


# ---------------------------------------------------------------------------- the text


cdef struct Text:
    int kind
    void *data
    Py_ssize_t n
    Py_ssize_t searched  # the text before it was searched for the last separator
    Py_ssize_t sep  # the last " ", "\t" or "\n" before ``searched`` (-1: none)


cdef inline Py_UCS4 _at(Text *t, Py_ssize_t i) noexcept:
    return PyUnicode_READ(t.kind, t.data, i)


ctypedef fused code_unit:  # the three widths of a str's characters (PEP 393)
    uint8_t
    uint16_t
    uint32_t


cdef inline Py_ssize_t _scan(const code_unit *p, Py_ssize_t i, Py_ssize_t n) noexcept:
    """:func:`_next_candidate` on the characters ``p``, without a width switch."""
    while i < n:
        if p[i] < 128:
            if ASCII[p[i]] & CANDIDATE:
                return i
        elif p[i] == 0x2026:
            return i
        i += 1
    return n


cdef Py_ssize_t _next_candidate(Text *t, Py_ssize_t i) noexcept:
    """The first position from ``i`` that may start a match of ``_END_NEXT_RE`` (an end
    character or a newline), or the length of the text. Most characters are looked at
    only here: a tight loop for each character width."""
    if t.kind == PyUnicode_1BYTE_KIND:
        return _scan(<const uint8_t *>t.data, i, t.n)
    if t.kind == PyUnicode_2BYTE_KIND:
        return _scan(<const uint16_t *>t.data, i, t.n)
    return _scan(<const uint32_t *>t.data, i, t.n)


cdef Py_ssize_t _blank_line_end(Text *t, Py_ssize_t i) noexcept:
    """``\\n[ \\t]*\\n\\s*`` at ``i``: where the match ends, or -1."""
    cdef Py_ssize_t j = i + 1
    while j < t.n and (_at(t, j) == u" " or _at(t, j) == u"\t"):
        j += 1
    if j >= t.n or _at(t, j) != u"\n":
        return -1
    j += 1
    while j < t.n and _space(_at(t, j)):
        j += 1
    return j


cdef Py_ssize_t _end_run(Text *t, Py_ssize_t i) noexcept:
    """``[.!?\\u2026]+["'\\u2019\\u201d)\\]]*`` at ``i`` (an end character): where it
    stops. Both runs are taken whole: a shorter one is never followed by ``\\s``."""
    cdef Py_ssize_t j = i + 1
    while j < t.n and _end(_at(t, j)):
        j += 1
    while j < t.n and _closer(_at(t, j)):
        j += 1
    return j


cdef Py_ssize_t _next_word(Text *t, Py_ssize_t e) noexcept:
    """The capture ``(\\S)`` of ``(?=[\\s"'\\u2018\\u201c(\\[]*(\\S)(\\w*))`` at ``e``:
    the first character after the spaces, opening quotes and brackets, or -1. At the
    end of the text the regex backtracks into them: their last non-space character."""
    cdef Py_ssize_t k = e
    while k < t.n and _skip(_at(t, k)):
        k += 1
    if k < t.n:
        return k
    k = t.n - 1
    while k >= e and _space(_at(t, k)):
        k -= 1
    return k if k >= e else -1


cdef Py_ssize_t _word_start(Text *t, Py_ssize_t pos) noexcept:
    """Where the text before ``pos`` since its last " ", "\\t" or "\\n" starts (the
    reference's ``seg``). Only the text since the previous call is searched, so a
    whole text costs one pass."""
    cdef Py_ssize_t j = pos - 1
    while j >= t.searched:
        if _at(t, j) < 128 and ASCII[_at(t, j)] & SEP:
            t.sep = j
            break
        j -= 1
    t.searched = pos
    return t.sep + 1


# -------------------------------------------------------------------------- the words

cdef class _WordList:
    """A word list (a set of lower-case words) and its ASCII words of up to 8 letters
    packed into sorted integers, so that most look-ups need no Python string."""

    cdef frozenset words
    cdef unsigned long long *keys
    cdef Py_ssize_t n_keys
    cdef Py_ssize_t longest

    def __cinit__(self, words):
        self.words = frozenset(words)
        packed = sorted({_pack(w) for w in self.words if _pack(w) is not None})
        self.keys = <unsigned long long *>PyMem_Malloc(max(len(packed), 1) * sizeof(self.keys[0]))
        if self.keys == NULL:
            raise MemoryError()
        for k, key in enumerate(packed):
            self.keys[k] = key
        self.n_keys = len(packed)
        self.longest = max([len(w) for w in self.words], default=0)

    def __dealloc__(self):
        PyMem_Free(self.keys)

    cdef bint has(self, str s, Text *t, Py_ssize_t a, Py_ssize_t b) except -1:
        """``s[a:b].lower() in words``. ``str.lower`` never shortens a text, and on
        ASCII it only maps A-Z to a-z: an ASCII text is looked up as its packed key."""
        cdef unsigned long long key = 0
        cdef Py_ssize_t j
        cdef unsigned long long c
        if b - a > self.longest:
            return False
        if b - a > 8:
            return s[a:b].lower() in self.words
        for j in range(a, b):
            c = _at(t, j)
            if c >= 128:
                return s[a:b].lower() in self.words
            if 65 <= c <= 90:  # A-Z: lower-case
                c += 32
            key |= c << (8 * (j - a))
        return self._has_key(key)

    cdef bint _has_key(self, unsigned long long key) noexcept:
        cdef Py_ssize_t lo = 0, hi = self.n_keys, mid
        while lo < hi:  # binary search
            mid = (lo + hi) // 2
            if self.keys[mid] < key:
                lo = mid + 1
            else:
                hi = mid
        return lo < self.n_keys and self.keys[lo] == key


def _pack(str word):
    """The integer key of an ASCII word of 1 to 8 characters without A-Z (what an
    ASCII text lower-cases to), byte i holding character i; None for other words."""
    if not (0 < len(word) <= 8 and word.isascii()) or word != word.lower():
        return None
    return sum(ord(c) << (8 * i) for i, c in enumerate(word))


cdef _WordList _TITLES = None
cdef _WordList _ABBREVIATIONS = None
cdef _WordList _OPENERS = None
cdef _WordList _NOT_ENDS = None
cdef _WordList _NO = _WordList(("no", "nos"))


cdef _load_word_lists():
    """The reference's word lists, from ``discourse.tokenize`` (which imports this
    module: read on first use, so that either module may be imported first)."""
    global _TITLES, _ABBREVIATIONS, _OPENERS, _NOT_ENDS
    from discourse import tokenize

    lists = [_WordList(tokenize.ABBREVIATIONS), _WordList(tokenize.OPENERS),
             _WordList(tokenize._NOT_ENDS), _WordList(tokenize.TITLES)]
    if _TITLES is None:  # not loaded by another thread meanwhile: never replace lists in use
        _ABBREVIATIONS, _OPENERS, _NOT_ENDS, _TITLES = lists  # _TITLES set: loaded


cdef bint _all_alpha(Text *t, Py_ssize_t a, Py_ssize_t b) noexcept:
    """``s[a:b].isalpha()``."""
    if a >= b:
        return False
    while a < b:
        if not _alpha(_at(t, a)):
            return False
        a += 1
    return True


cdef Py_ssize_t _last_word(Text *t, Py_ssize_t a, Py_ssize_t b) noexcept:
    """The reference's ``_last_word(s[a:b])``: where that word starts, or -1 (None).

    It starts with a letter, holds ``[\\w.\\-]`` and ends with ``\\w`` (the longest
    such suffix)."""
    cdef Py_ssize_t j
    cdef Py_UCS4 c
    if _all_alpha(t, a, b):
        return a
    if a >= b or not _word(_at(t, b - 1)):
        return -1
    j = b  # the start of the run of [\w.\-] that ends the text
    while j > a:
        c = _at(t, j - 1)
        if not (_word(c) or c == u"." or c == u"-"):
            break
        j -= 1
    while j < b:  # its first letter
        if _letter(_at(t, j)):
            return j
        j += 1
    return -1


cdef bint _has_dot(Text *t, Py_ssize_t a, Py_ssize_t b) noexcept:
    while a < b:
        if _at(t, a) == u".":
            return True
        a += 1
    return False


cdef bint _after_period(str s, Text *t, Py_ssize_t a, Py_ssize_t pos, Py_ssize_t f) except -1:
    """The reference's ``_after_period``: whether the period at ``pos``, after the text
    ``s[a:pos]``, ends a sentence, the next word starting at ``f`` (not lower-case)."""
    cdef Py_ssize_t w = _last_word(t, a, pos)
    cdef Py_UCS4 first
    cdef Py_ssize_t r
    if w < 0:
        return True
    if _TITLES.has(s, t, w, pos):  # a title: "Mr. Smith"
        return False
    first = _at(t, f)
    if pos - w == 1 and Py_UNICODE_ISUPPER(_at(t, w)):  # an initial: "J. Smith"
        return False
    if Py_UNICODE_ISDIGIT(first) and _NO.has(s, t, w, pos):  # "No. 5"
        return False
    if _ABBREVIATIONS.has(s, t, w, pos) or _has_dot(t, w, pos):  # Jan. / U.S. / e.g.
        if Py_UNICODE_ISDIGIT(first):
            return False
        r = f + 1  # the next word: its first character and the \w after it
        while r < t.n and _word(_at(t, r)):
            r += 1
        return _OPENERS.has(s, t, f, r)
    return True


cdef bint _period_ends(str s, Text *t, Py_ssize_t pos, Py_ssize_t f) except -1:
    """Whether a single period at ``pos``, the next word (not lower-case) starting at
    ``f``, ends a sentence: after a plain word of two or more letters (not a title or
    abbreviation) it does; otherwise :func:`_after_period` decides."""
    cdef Py_ssize_t a = _word_start(t, pos)
    if pos - a > 1 and _all_alpha(t, a, pos) and not _NOT_ENDS.has(s, t, a, pos):
        return True
    return _after_period(s, t, a, pos, f)


# ---------------------------------------------------------------------------- the spans


cdef int _append_stripped(list out, Text *t, Py_ssize_t a, Py_ssize_t b) except -1:
    """Append ``(a, b)`` without the whitespace at both ends, unless nothing is left."""
    while a < b and _space(_at(t, a)):
        a += 1
    while b > a and _space(_at(t, b - 1)):
        b -= 1
    if a < b:
        out.append((a, b))
    return 0


cdef bint _ends_sentence(str s, Text *t, Py_ssize_t i, Py_ssize_t e) except -1:
    """Whether the end characters and closers from ``i`` (an end character) to ``e``
    end a sentence (``_END_NEXT_RE``'s second branch matches and the reference keeps
    the match). If not, no end starts before ``e`` either: the runs would be the same."""
    cdef Py_ssize_t f
    cdef bint dot2
    if e >= t.n or not _space(_at(t, e)):  # (?=\s)
        return False
    f = _next_word(t, e)
    if f < 0:  # only spaces follow: an end
        return True
    if Py_UNICODE_ISLOWER(_at(t, f)):  # a lower-case next word: not an end
        return False
    dot2 = i + 1 < t.n and _at(t, i + 1) == u"."  # an ellipsis of periods
    if _at(t, i) == u"." and not dot2:
        return _period_ends(s, t, i, f)
    return True


def sentence_spans(s):
    """Character spans of the sentences of ``s``: ``discourse.tokenize.sentence_spans``.

    Parameters
    ----------
    s : str
        Any text (a subclass of ``str`` is read as its ``str`` value).

    Returns
    -------
    list of tuple of (int, int)
        The (start, end) of each sentence, stripped of whitespace, in order.

    Raises
    ------
    TypeError
        If ``s`` is not a ``str``.
    """
    if type(s) is not str:
        if not isinstance(s, str):
            raise TypeError(f"sentence_spans() expects a str, not {type(s).__name__}")
        s = str.__str__(s)  # the same characters, as an exact str
    if _TITLES is None:
        _load_word_lists()
    return _spans(s)


cdef list _spans(str s):
    """:func:`sentence_spans` of an exact ``str``."""
    cdef Text t
    cdef list out = []
    cdef Py_ssize_t i = 0, start = 0, e
    cdef Py_UCS4 c
    t.kind = PyUnicode_KIND(s)
    t.data = PyUnicode_DATA(s)
    t.n = len(s)
    t.searched = 0
    t.sep = -1
    while True:
        i = _next_candidate(&t, i)
        if i >= t.n:
            break
        c = _at(&t, i)
        if c == u"\n":  # a blank line ends a sentence before it
            e = _blank_line_end(&t, i)
            if e < 0:
                i += 1
            else:
                _append_stripped(out, &t, start, i)
                start = i = e
        else:  # an end character
            e = _end_run(&t, i)
            if _ends_sentence(s, &t, i, e):
                _append_stripped(out, &t, start, e)
                start = e
            i = e
    _append_stripped(out, &t, start, t.n)
    return out
