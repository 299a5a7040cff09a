# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The scoring accelerator: the default word tokenizer, compiled (optional).

:func:`canon` gives, in one pass over the normalized text and no Python object per
token, what the pure-Python hot path builds from a list of tokens: the tokens of
each sentence joined by single spaces, the sentences joined by the separator
pseudo-token, between spaces (the string :meth:`discourse.lexicon.Matcher.count_canon`
runs its automaton over), and the number of word tokens.

The tokens are exactly those of ``discourse.tokenize.WORD_PATTERN`` under Python's
``re`` (checked in tests/test_speedups.py on the demo corpus, generated news and
random Unicode text): its classes use the predicates ``re`` uses, ``\\s`` is
``Py_UNICODE_ISSPACE``, ``\\w`` is ``Py_UNICODE_ISALNUM`` or ``_`` and ``\\d`` is
``Py_UNICODE_ISDECIMAL``.
"""

from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.unicode cimport (
    Py_UNICODE_ISALNUM,
    Py_UNICODE_ISDECIMAL,
    Py_UNICODE_ISSPACE,
    PyUnicode_DATA,
    PyUnicode_KIND,
    PyUnicode_READ,
)


cdef extern from "Python.h":
    object PyUnicode_FromKindAndData(int kind, const void *buffer, Py_ssize_t size)
    int PyUnicode_4BYTE_KIND


# ASCII character classes, the predicates below without a Unicode table look-up
cdef enum:
    SPACE = 1
    ALNUM = 2
    DECIMAL = 4

cdef unsigned char ASCII[128]
for _c in range(128):
    ASCII[_c] = (
        (SPACE if chr(_c).isspace() else 0)
        | (ALNUM if chr(_c).isalnum() else 0)
        | (DECIMAL if chr(_c).isdecimal() else 0)
    )


cdef inline bint _space(Py_UCS4 c) noexcept:
    """``\\s``."""
    return ASCII[c] & SPACE if c < 128 else Py_UNICODE_ISSPACE(c)


cdef inline bint _alnum(Py_UCS4 c) noexcept:
    return ASCII[c] & ALNUM if c < 128 else Py_UNICODE_ISALNUM(c)


cdef inline bint _decimal(Py_UCS4 c) noexcept:
    """``\\d``."""
    return ASCII[c] & DECIMAL if c < 128 else Py_UNICODE_ISDECIMAL(c)


cdef inline bint _word(Py_UCS4 c) noexcept:
    """``\\w``."""
    return c == u"_" or _alnum(c)


cdef struct Text:
    int kind
    void *data
    Py_ssize_t n  # where the sentence ends


cdef inline Py_UCS4 _at(Text *t, Py_ssize_t i) noexcept:
    return PyUnicode_READ(t.kind, t.data, i)


cdef inline bint _apos(Py_UCS4 c) noexcept:
    return c == u"'" or c == u"\u2019"


cdef inline bint _hyphen(Py_UCS4 c) noexcept:
    return c == u"-" or c == u"\u2010" or c == u"\u2011"


cdef inline bint _possessive(Text *s, Py_ssize_t j) noexcept:
    """``[sS]\\b`` at ``j``: an s that no word character follows."""
    cdef Py_UCS4 c = _at(s, j)
    return (c == u"s" or c == u"S") and (j + 1 >= s.n or not _word(_at(s, j + 1)))


cdef Py_ssize_t _token_end(Text *s, Py_ssize_t i) noexcept:
    """The end of the token that starts at ``i`` (not a space) of the sentence: the
    alternatives of WORD_PATTERN, tried in its order."""
    cdef Py_ssize_t n = s.n
    cdef Py_UCS4 c = _at(s, i)
    cdef Py_ssize_t j = i, m
    cdef int k = 0
    if _alnum(c) and not _decimal(c):
        # dotted abbreviations: (?:[^\W\d_]\.){2,}
        while j + 1 < n and _at(s, j + 1) == u"." and _alnum(_at(s, j)) \
                and not _decimal(_at(s, j)):
            j += 2
            k += 1
        if k >= 2:
            return j
        j = i
    elif _decimal(c):
        # numbers with separators: \d+(?:[.,]\d+)+
        while j < n and _decimal(_at(s, j)):
            j += 1
        m = j
        while m + 1 < n and (_at(s, m) == u"." or _at(s, m) == u",") and _decimal(_at(s, m + 1)):
            m += 2
            while m < n and _decimal(_at(s, m)):
                m += 1
            k += 1
        if k:
            return m
        j = i
    elif _apos(c):
        # the possessive 's: ['\u2019][sS]\b
        if i + 1 < n and _possessive(s, i + 1):
            return i + 2
        return i + 1
    if not _word(c):
        return i + 1  # any other single character
    # words: \w+(?:[-\u2010\u2011]\w+|['\u2019](?![sS]\b)\w+)*
    while j < n and _word(_at(s, j)):
        j += 1
    while j + 1 < n and _word(_at(s, j + 1)) and (
        _hyphen(_at(s, j)) or (_apos(_at(s, j)) and not _possessive(s, j + 1))
    ):
        j += 2
        while j < n and _word(_at(s, j)):
            j += 1
    return j


def canon(str norm, list spans):
    """The canonical joined form of the tokens of ``norm``'s sentences, and its word
    tokens.

    Parameters
    ----------
    norm : str
        Normalized text (:func:`discourse.tokenize.normalize`), holding no
        ``SENTENCE_SEP``.
    spans : list of (int, int)
        Its sentences' character spans.

    Returns
    -------
    (str, int)
        ``" " + " ".join(flat) + " "``, ``flat`` being each sentence's tokens
        followed by ``"\\x00"``; and the number of tokens whose first character is
        alphanumeric.
    """
    cdef Py_ssize_t a, b, i, e, out = 0, size = 1
    cdef Py_ssize_t n_words = 0
    cdef Py_UCS4 *buf
    cdef Py_UCS4 c
    cdef Text t
    t.kind = PyUnicode_KIND(norm)
    t.data = PyUnicode_DATA(norm)
    for a, b in spans:
        size += 2 * (b - a) + 2
    buf = <Py_UCS4 *> PyMem_Malloc(size * sizeof(Py_UCS4))
    if buf == NULL:
        raise MemoryError()
    try:
        buf[out] = u" "
        out += 1
        for a, b in spans:
            i = a
            t.n = b
            while i < b:
                c = _at(&t, i)
                if _space(c):
                    i += 1
                    continue
                e = _token_end(&t, i)
                if _alnum(c):
                    n_words += 1
                while i < e:
                    buf[out] = _at(&t, i)
                    out += 1
                    i += 1
                buf[out] = u" "
                out += 1
            buf[out] = u"\x00"
            buf[out + 1] = u" "
            out += 2
        if not spans:  # " " + " ".join([]) + " "
            buf[out] = u" "
            out += 1
        return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, out), n_words
    finally:
        PyMem_Free(buf)


# the kinds of automaton values (discourse.lexicon._AC_*)
cdef enum:
    AC_TERM = 0
    AC_SIDES = 1
    AC_SEP = 2
    AC_MIXED = 3


cdef struct Occ:  # a term's occurrence in a sentence, as discourse.lexicon._longest_frames
    Py_ssize_t neg_n  # minus its length in tokens: longest first
    Py_ssize_t start
    long long rank
    Py_ssize_t end
    Py_ssize_t frame


cdef int _occ_cmp(const void *pa, const void *pb) noexcept nogil:
    """Tuple order on (-tokens, start, rank, end, frame)."""
    cdef const Occ *a = <const Occ *> pa
    cdef const Occ *b = <const Occ *> pb
    if a.neg_n != b.neg_n:
        return -1 if a.neg_n < b.neg_n else 1
    if a.start != b.start:
        return -1 if a.start < b.start else 1
    if a.rank != b.rank:
        return -1 if a.rank < b.rank else 1
    if a.end != b.end:
        return -1 if a.end < b.end else 1
    if a.frame != b.frame:
        return -1 if a.frame < b.frame else 1
    return 0


cdef extern from "stdlib.h":
    void qsort(void *base, size_t n, size_t size,
               int (*cmp)(const void *, const void *) noexcept nogil) nogil


cdef Py_ssize_t _longest(Occ *occ, Py_ssize_t n) noexcept:
    """_longest_frames in place: sorts ``occ`` and moves the taken ones to its front;
    how many were taken."""
    cdef Py_ssize_t i, j, taken = 0
    cdef bint free
    qsort(occ, n, sizeof(Occ), _occ_cmp)
    for i in range(n):
        free = True
        for j in range(taken):
            if occ[j].frame == occ[i].frame and occ[i].start < occ[j].end \
                    and occ[j].start < occ[i].end:
                free = False
                break
        if free:
            occ[taken] = occ[i]
            taken += 1
    return taken


def count_events(object events, Py_ssize_t n_frames, object a_bits, object needs_select):
    """:func:`discourse.lexicon._count_events_py`, compiled: the same counts and the
    same sentences left to the general path, from the same automaton hits.

    Parameters
    ----------
    events : iterator of (int, tuple)
        The automaton's hits over the joined tokens (``automaton.iter(canon)``).
    n_frames : int
    a_bits : int
        A bit per proximity rule, its side A's.
    needs_select : callable
        ``needs_select(end, entries)``: whether a hit of several patterns sends its
        sentence to the general path.

    Returns
    -------
    (list of int, list of int, list of (int, int, int, bool))
        Hits per frame and sentences with each frame over the sentences counted
        here; (sentence, start, end, whether ``_overlapping`` may decide) of the
        others.
    """
    cdef list hits = [0] * n_frames, with_ = [0] * n_frames, general = []
    cdef Py_ssize_t k = 0, base = 0, max_e = 0, end, s, e, i, n_occ = 0, cap = 64, taken
    cdef Py_ssize_t *seen = <Py_ssize_t *> PyMem_Malloc(max(n_frames, 1) * sizeof(Py_ssize_t))
    cdef Occ *occ = <Occ *> PyMem_Malloc(cap * sizeof(Occ))
    cdef Occ *grown
    cdef int tag
    cdef bint gen = False, overlap = False, excl = False
    cdef tuple val
    cdef object sides = 0, bits
    if seen == NULL or occ == NULL:
        PyMem_Free(seen)
        PyMem_Free(occ)
        raise MemoryError()
    try:
        for i in range(n_frames):
            seen[i] = -1  # the last sentence that counted the frame
        for end, val in events:
            tag = val[0]
            if tag == AC_TERM:  # one term (no prefix before its last token), maybe sides
                s = end - <Py_ssize_t> val[2]
                e = end + <Py_ssize_t> val[3]
                if s < max_e:
                    overlap = True
                if e > max_e:
                    max_e = e
                if n_occ == cap:
                    grown = <Occ *> PyMem_Realloc(occ, 2 * cap * sizeof(Occ))
                    if grown == NULL:
                        raise MemoryError()
                    occ, cap = grown, 2 * cap
                occ[n_occ].neg_n = -<Py_ssize_t> val[6]
                occ[n_occ].start = s
                occ[n_occ].rank = val[7]
                occ[n_occ].end = e
                occ[n_occ].frame = val[1]
                n_occ += 1
                bits = val[5]
                if bits:
                    sides |= bits
            elif tag == AC_SIDES:  # proximity sides only: a bit per rule and side
                sides |= val[5]
            elif tag == AC_SEP:  # a sentence ends
                if gen or (sides and sides & (sides >> 1) & a_bits):  # or both sides
                    general.append((k, base, end, not excl))
                elif n_occ:
                    taken = _longest(occ, n_occ) if overlap else n_occ
                    for i in range(taken):
                        hits[occ[i].frame] += 1
                        if seen[occ[i].frame] != k:
                            seen[occ[i].frame] = k
                            with_[occ[i].frame] += 1
                k += 1
                base = end
                n_occ = 0
                sides = 0
                gen = overlap = excl = False
            else:  # several terms, an exclude, a term to verify
                if val[7]:
                    excl = True
                if not gen:
                    gen = val[6] or needs_select(end, val[4])
        return hits, with_, general
    finally:
        PyMem_Free(seen)
        PyMem_Free(occ)
