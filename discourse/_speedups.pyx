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
    cdef Py_ssize_t a, b, i, e, out = 0, size = 2  # the two outer spaces
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


cdef extern from "stdlib.h":
    void qsort(void *base, size_t n, size_t size,
               int (*cmp)(const void *, const void *) noexcept nogil) nogil


# the kinds of patterns (discourse.lexicon.TERM, EXCLUDE, NEAR_A, NEAR_B)
cdef enum:
    K_TERM = 0
    K_EXCLUDE = 1
    K_NEAR_A = 2
    K_NEAR_B = 3

#: More occurrences in one sentence than this: select() counts it, in time linear in
#: them (the checks below compare them pairwise); discourse.lexicon.MAX_PAIRWISE
DEF MAX_SELECT = 256


cdef struct GOcc:  # an occurrence of any kind, for _select
    int kind
    Py_ssize_t fr  # frame (a term, an exclude) or proximity rule (a side)
    Py_ssize_t start  # its first token's first character in the joined tokens
    Py_ssize_t n  # tokens
    long long rank
    Py_ssize_t a  # tokens before it in its sentence
    Py_ssize_t b  # a + n


cdef int _gocc_order(const void *pa, const void *pb) noexcept nogil:
    """_longest's order: longest first, then leftmost, then in scan order (rank)."""
    cdef const GOcc *x = <const GOcc *> pa
    cdef const GOcc *y = <const GOcc *> pb
    if x.n != y.n:
        return -1 if x.n > y.n else 1
    if x.a != y.a:
        return -1 if x.a < y.a else 1
    if x.rank != y.rank:
        return -1 if x.rank < y.rank else 1
    return 0


cdef int _gocc_start(const void *pa, const void *pb) noexcept nogil:
    cdef const GOcc *x = <const GOcc *> pa
    cdef const GOcc *y = <const GOcc *> pb
    if x.start != y.start:
        return -1 if x.start < y.start else 1
    return 0


cdef bint _excluded(GOcc *g, Py_ssize_t n, GOcc *o, Py_ssize_t frame) noexcept:
    """Whether ``o`` touches a token of an exclude occurrence of ``frame``."""
    cdef Py_ssize_t i
    for i in range(n):
        if g[i].kind == K_EXCLUDE and g[i].fr == frame and o.a < g[i].b and g[i].a < o.b:
            return True
    return False


cdef Py_ssize_t _take(GOcc *g, Py_ssize_t n, int kind, Py_ssize_t fr, Py_ssize_t ex_frame,
                      GOcc *out) noexcept:
    """_longest over the occurrences of ``kind`` and ``fr`` (``g`` sorted in its order):
    those taken, into ``out``, in that order; how many."""
    cdef Py_ssize_t i, j, taken = 0
    cdef bint free
    for i in range(n):
        if g[i].kind != kind or g[i].fr != fr or _excluded(g, n, &g[i], ex_frame):
            continue
        free = True
        for j in range(taken):
            if g[i].a < out[j].b and out[j].a < g[i].b:
                free = False
                break
        if free:
            out[taken] = g[i]
            taken += 1
    return taken


cdef Py_ssize_t _pairs(GOcc *sa, Py_ssize_t na, GOcc *sb, Py_ssize_t nb,
                       Py_ssize_t window) noexcept:
    """discourse.lexicon._pair's hits: reading the two sides' taken occurrences left to
    right (by start, end, side), each pairs with the earliest unpaired one of the other
    side that ends before it starts, at most ``window`` tokens before it."""
    cdef Py_ssize_t ia = 0, ib = 0, head_a = 0, head_b = 0, pairs = 0
    cdef Py_ssize_t *wa = <Py_ssize_t *> PyMem_Malloc((na + 1) * sizeof(Py_ssize_t))
    cdef Py_ssize_t *wb = <Py_ssize_t *> PyMem_Malloc((nb + 1) * sizeof(Py_ssize_t))
    cdef Py_ssize_t n_wa = 0, n_wb = 0  # the waiting occurrences' ends, per side
    cdef Py_ssize_t a, b
    cdef bint side_b
    if wa == NULL or wb == NULL:
        PyMem_Free(wa)
        PyMem_Free(wb)
        return -1
    # the sides, each sorted by (start, end) as _take leaves them in _longest order
    qsort(sa, na, sizeof(GOcc), _gocc_span)
    qsort(sb, nb, sizeof(GOcc), _gocc_span)
    while ia < na or ib < nb:
        side_b = ia >= na or (
            ib < nb and (sb[ib].a < sa[ia].a or (sb[ib].a == sa[ia].a and sb[ib].b < sa[ia].b))
        )
        if side_b:
            a, b = sb[ib].a, sb[ib].b
            ib += 1
            while head_a < n_wa and a - wa[head_a] > window:
                head_a += 1
            if head_a < n_wa and wa[head_a] <= a:
                head_a += 1
                pairs += 1
            else:
                wb[n_wb] = b
                n_wb += 1
        else:
            a, b = sa[ia].a, sa[ia].b
            ia += 1
            while head_b < n_wb and a - wb[head_b] > window:
                head_b += 1
            if head_b < n_wb and wb[head_b] <= a:
                head_b += 1
                pairs += 1
            else:
                wa[n_wa] = b
                n_wa += 1
    PyMem_Free(wa)
    PyMem_Free(wb)
    return pairs


cdef int _gocc_span(const void *pa, const void *pb) noexcept nogil:
    cdef const GOcc *x = <const GOcc *> pa
    cdef const GOcc *y = <const GOcc *> pb
    if x.a != y.a:
        return -1 if x.a < y.a else 1
    if x.b != y.b:
        return -1 if x.b < y.b else 1
    return 0


cdef int _select(Text *t, Py_ssize_t base, GOcc *g, Py_ssize_t n, Py_ssize_t n_frames,
                 Py_ssize_t n_rules, Py_ssize_t *rule_frame, Py_ssize_t *rule_window,
                 list hits, list with_) except -1:
    """Matcher.select's counts for one sentence from all its occurrences (terms,
    excludes, proximity sides), added to ``hits`` and ``with_``."""
    cdef Py_ssize_t i, j, at = base, spaces = 0, taken, fi, r, na, nb, pairs
    cdef GOcc *out = <GOcc *> PyMem_Malloc(2 * (n + 1) * sizeof(GOcc))
    cdef Py_ssize_t *found = <Py_ssize_t *> PyMem_Malloc((n_frames + 1) * sizeof(Py_ssize_t))
    if out == NULL or found == NULL:
        PyMem_Free(out)
        PyMem_Free(found)
        raise MemoryError()
    try:
        for i in range(n_frames):
            found[i] = 0
        # token positions: the spaces between the sentence's start and each first token
        qsort(g, n, sizeof(GOcc), _gocc_start)
        for i in range(n):
            while at < g[i].start - 1:
                if _at(t, at) == u" ":
                    spaces += 1
                at += 1
            g[i].a = spaces
            g[i].b = spaces + g[i].n
        qsort(g, n, sizeof(GOcc), _gocc_order)
        for fi in range(n_frames):  # terms, per frame
            taken = _take(g, n, K_TERM, fi, fi, out)
            found[fi] += taken
        for r in range(n_rules):  # proximity rules with both sides present
            fi = rule_frame[r]
            na = _take(g, n, K_NEAR_A, r, fi, out)
            nb = _take(g, n, K_NEAR_B, r, fi, out + na)
            if na and nb:
                pairs = _pairs(out, na, out + na, nb, rule_window[r])
                if pairs < 0:
                    raise MemoryError()
                found[fi] += pairs
        for fi in range(n_frames):
            if found[fi]:
                hits[fi] += found[fi]
                with_[fi] += 1
        return 0
    finally:
        PyMem_Free(out)
        PyMem_Free(found)


cdef extern from "Python.h":
    Py_ssize_t PyUnicode_Tailmatch(object s, object sub, Py_ssize_t start, Py_ssize_t end,
                                   int direction) except -1


cdef Py_ssize_t _find_space(Text *t, Py_ssize_t i) noexcept:
    while i < t.n:
        if _at(t, i) == u" ":
            return i
        i += 1
    return -1


cdef Py_ssize_t _joined_end(Text *t, str canon, Py_ssize_t end, tuple check) except -2:
    """discourse.lexicon._joined_end: where a pattern with a prefix before its last
    token ends in the joined tokens, its key matched at ``end``; else -1. ``check`` is
    (whether its first token is a prefix, its other tokens as (text, is_prefix))."""
    cdef Py_ssize_t q = _find_space(t, end + 1) if check[0] else end
    cdef str text
    for text, prefix in <tuple> check[1]:
        if not PyUnicode_Tailmatch(canon, text, q + 1, t.n, -1):
            return -1
        q += 1 + len(text)
        if prefix:
            q = _find_space(t, q)
        elif q >= t.n or _at(t, q) != u" ":
            return -1
    return q


def count_events(str canon, object events, Py_ssize_t n_frames, object a_bits, list rules):
    """:func:`discourse.lexicon._count_events_py`, compiled, and more: the sentences
    the Python loop leaves to the general path are counted here too, as
    :meth:`discourse.lexicon.Matcher.select` counts them (excludes, overlaps,
    proximity pairs; a pattern with a prefix before its last token checked here),
    unless they hold more than 256 occurrences.

    Parameters
    ----------
    canon : str
        The joined tokens (:meth:`discourse.tokenize.Tokenizer.canon`).
    events : iterator of (int, tuple)
        The automaton's hits over them (``automaton.iter(canon)``).
    n_frames : int
    a_bits : int
        A bit per proximity rule, its side A's.
    rules : list of (int, int)
        Each proximity rule's frame and window.

    Returns
    -------
    (list of int, list of int, list of (int, int, int, bool))
        Hits per frame and sentences with each frame over the sentences counted
        here; (sentence, start, end, whether ``_overlapping`` may decide) of the
        others.
    """
    cdef list hits = [0] * n_frames, with_ = [0] * n_frames, general = []
    cdef Py_ssize_t k = 0, base = 0, max_e = 0, end, s, e, i, fi, n_occ = 0, cap = 64
    cdef Py_ssize_t n_g = 0, n_rules = len(rules)
    cdef Py_ssize_t *seen = <Py_ssize_t *> PyMem_Malloc((n_frames + 1) * sizeof(Py_ssize_t))
    cdef Py_ssize_t *rule_frame = <Py_ssize_t *> PyMem_Malloc((n_rules + 1) * sizeof(Py_ssize_t))
    cdef Py_ssize_t *rule_window = <Py_ssize_t *> PyMem_Malloc((n_rules + 1) * sizeof(Py_ssize_t))
    # the frame of each term of the sentence (all its terms, when none overlaps)
    cdef Py_ssize_t *frames = <Py_ssize_t *> PyMem_Malloc(cap * sizeof(Py_ssize_t))
    cdef GOcc *g = <GOcc *> PyMem_Malloc(MAX_SELECT * sizeof(GOcc))
    cdef Py_ssize_t *grown
    cdef Text t
    cdef int tag
    cdef bint gen = False, overlap = False, excl = False, plain = True, found
    cdef tuple val, entry
    cdef object sides = 0, bits
    t.kind = PyUnicode_KIND(canon)
    t.data = PyUnicode_DATA(canon)
    t.n = len(canon)
    try:
        if seen == NULL or frames == NULL or g == NULL or rule_frame == NULL or rule_window == NULL:
            raise MemoryError()
        for i in range(n_frames):
            seen[i] = -1  # the last sentence that counted the frame
        for i in range(n_rules):
            rule_frame[i], rule_window[i] = rules[i]
        for end, val in events:
            tag = val[0]
            if tag == AC_SEP:  # a sentence ends
                if gen or overlap or (sides and sides & (sides >> 1) & a_bits):
                    # an exclude, overlapping terms or both sides of a proximity rule
                    if plain:  # select()'s counts, here
                        _select(&t, base, g, n_g, n_frames, n_rules, rule_frame,
                                rule_window, hits, with_)
                    else:
                        general.append((k, base, end, not excl))
                else:  # each term counts
                    for i in range(n_occ):
                        fi = frames[i]
                        hits[fi] += 1
                        if seen[fi] != k:
                            seen[fi] = k
                            with_[fi] += 1
                k += 1
                base = end
                n_occ = n_g = 0
                sides = 0
                gen = overlap = excl = False
                plain = True
                continue
            # every occurrence, for _select (a pattern with a prefix before its last
            # token only when the rest follows)
            found = False
            for entry in <tuple> val[8]:
                if entry[5] is not None and _joined_end(&t, canon, end, entry[5]) < 0:
                    continue
                found = True
                if n_g == MAX_SELECT:
                    plain = False
                elif plain:
                    g[n_g].kind = entry[0]
                    g[n_g].fr = entry[1]
                    g[n_g].start = end - <Py_ssize_t> entry[2]
                    g[n_g].n = entry[3]
                    g[n_g].rank = entry[4]
                    n_g += 1
            if tag == AC_TERM:  # one term (no prefix before its last token), maybe sides
                s = end - <Py_ssize_t> val[2]
                e = end + <Py_ssize_t> val[3]
                if s < max_e:
                    overlap = True
                if e > max_e:
                    max_e = e
                if n_occ == cap:
                    grown = <Py_ssize_t *> PyMem_Realloc(frames, 2 * cap * sizeof(Py_ssize_t))
                    if grown == NULL:
                        raise MemoryError()
                    frames, cap = grown, 2 * cap
                frames[n_occ] = val[1]
                n_occ += 1
                bits = val[5]
                if bits:
                    sides |= bits
            elif tag == AC_SIDES:  # proximity sides only: a bit per rule and side
                sides |= val[5]
            else:  # several terms, an exclude, a term to verify (checked above)
                if val[7]:
                    excl = True
                if found:
                    gen = True
        return hits, with_, general
    finally:
        PyMem_Free(seen)
        PyMem_Free(frames)
        PyMem_Free(g)
        PyMem_Free(rule_frame)
        PyMem_Free(rule_window)
