"""Lexicon files: load, validate, compile to a matcher, match tokens -> hits.

A lexicon is one YAML file with several frames (see DESIGN.md §4 and the
README). Terms are literal words and phrases, matched case-insensitively on
the tokens produced by :mod:`discourse.tokenize`; ``*`` at the end of a word
matches any continuation. Longest match wins within a frame; one span may count
for several frames; a match that overlaps an ``exclude`` span of its frame
does not count. No regular expressions: matching is a dictionary look-up per
token, so its cost does not grow with the number of terms.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import wraps
from itertools import compress, islice
from operator import itemgetter, or_
from pathlib import Path
from typing import Any

import ahocorasick

from discourse import safeyaml
from discourse.errors import LexiconError
from discourse.provenance import provenance
from discourse.speedups import ext as _speedups
from discourse.tokenize import SENTENCE_SEP, normalize, tokenize_terms

FRAME_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_LEXICON_BYTES = 5_000_000
_TOP_KEYS = {"name", "version", "language", "description", "frames", "author", "license", "notes"}
_FRAME_KEYS = {"label", "description", "terms", "exclude", "examples", "notes", "near"}
_NEAR_KEYS = ("name", "terms_a", "terms_b", "window")
MAX_WINDOW = 100
_EXAMPLE_KEYS = {"match", "no_match"}


@dataclass
class NearRule:
    """A proximity rule: a term of ``terms_a`` and one of ``terms_b`` in one sentence,
    at most ``window`` tokens apart (tokens between them, punctuation included).

    Parameters
    ----------
    name : str
        Shown as ``near:<name>`` where the rule fires.
    terms_a, terms_b : list of str
    window : int

    Examples
    --------
    >>> NearRule("bloc", ["bloc*"], ["confrontation"], 3).window
    3
    """

    name: str
    terms_a: list[str]
    terms_b: list[str]
    window: int


@dataclass
class Frame:
    """One frame of a lexicon: its terms, excludes, proximity rules and examples.

    Parameters
    ----------
    name : str
        Lower-case letters, digits and ``_``.
    label, description : str
    terms, exclude : list of str
        Words and phrases; ``*`` ends a prefix. Excluded spans never count.
    match_examples, no_match_examples : list of str
        Sentences that must (and must not) fire the frame (:func:`run_examples`).
    near : list of NearRule

    Examples
    --------
    >>> Frame("partnership", "Partnership", "", ["mutual trust"]).exclude
    []
    """

    name: str
    label: str
    description: str
    terms: list[str]
    exclude: list[str] = field(default_factory=list)
    match_examples: list[str] = field(default_factory=list)
    no_match_examples: list[str] = field(default_factory=list)
    near: list[NearRule] = field(default_factory=list)


@dataclass
class Lexicon:
    r"""A validated lexicon: named frames of terms, excludes, proximity rules and examples.

    Built by :func:`load_lexicon` or :func:`parse_lexicon`, which validate it.

    Parameters
    ----------
    name, version, language, description : str
        From the file's top level.
    frames : dict of str to Frame
        In the file's order.
    path : str
        Where it was read from.

    Examples
    --------
    >>> lex = parse_lexicon(
    ...     "name: demo\nversion: 1.0.0\nlanguage: en\n"
    ...     "frames:\n  partnership:\n    terms: [mutual trust, friend*]\n"
    ... )
    >>> lex.name, lex.frame_names, lex.provenance()["lexicon_version"]
    ('demo', ['partnership'], '1.0.0')
    """

    name: str
    version: str
    language: str
    description: str
    frames: dict[str, Frame]
    path: str = ""

    @property
    def frame_names(self) -> list[str]:
        return list(self.frames)

    @property
    def sha256(self) -> str:
        """Hash of what matching depends on (name, version, terms, excludes, proximity
        rules), not of comments. A lexicon without proximity rules hashes as before they
        existed, so score caches stay valid."""
        frames = {}
        for n, f in self.frames.items():
            frames[n] = {"terms": f.terms, "exclude": f.exclude}
            if f.near:
                frames[n]["near"] = [
                    [r.name, r.terms_a, r.terms_b, r.window] for r in f.near
                ]  # fmt: skip
        canon = {"name": self.name, "version": self.version, "frames": frames}
        blob = json.dumps(canon, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()

    @property
    def hash(self) -> str:
        """Short form of :attr:`sha256` (12 hex digits), shown in headers."""
        return self.sha256[:12]

    def provenance(self) -> dict[str, str]:
        """``lexicon``, ``lexicon_version`` and ``lexicon_hash``, for a provenance record."""
        return provenance(self, tool=False)


# ----------------------------------------------------------------------- loading


def _where(path: str, node: safeyaml.Node | None) -> str:
    if node is None:
        return path
    return f"{path}, line {node.start_mark.line + 1}"


def _get(node: safeyaml.Node | None, key: str) -> safeyaml.Node | None:
    if isinstance(node, safeyaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, safeyaml.ScalarNode) and k.value == key:
                return v
    return None


def _item(node: safeyaml.Node | None, i: int) -> safeyaml.Node | None:
    if isinstance(node, safeyaml.SequenceNode) and i < len(node.value):
        return node.value[i]
    return None


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {value}"
    if value is None:
        return "empty (null)"
    return f"a {type(value).__name__} ({value!r})"


def load_lexicon(path: str | Path) -> Lexicon:
    """Load and validate a lexicon file; raise :class:`LexiconError` with a line number.

    Parameters
    ----------
    path : str or Path
        A lexicon YAML file (at most ``MAX_LEXICON_BYTES``).

    Returns
    -------
    Lexicon

    Examples
    --------
    >>> lex = load_lexicon("lexicons/china-russia-frames.yaml")  # doctest: +SKIP
    >>> lex.name  # doctest: +SKIP
    'china-russia-frames'
    """
    p = Path(path)
    try:
        if p.stat().st_size > MAX_LEXICON_BYTES:
            raise LexiconError(f"{p}: lexicon is larger than {MAX_LEXICON_BYTES} bytes")
        raw = p.read_bytes()
    except FileNotFoundError:
        raise LexiconError(
            f"lexicon not found: {p}; check the path or run "
            "'discourse lexicon show' for the default"
        ) from None
    except IsADirectoryError:
        raise LexiconError(f"{p} is a folder; give the path of a .yaml lexicon file") from None
    except OSError as e:
        raise LexiconError(f"cannot read lexicon {p}: {e.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LexiconError(f"{p}: lexicon is not UTF-8 text; save it as UTF-8") from None
    return parse_lexicon(text, str(p))


def parse_lexicon(text: str, path: str = "<lexicon>") -> Lexicon:
    r"""Parse lexicon YAML text (plain data; no aliases, no duplicate keys) and validate it.

    Parameters
    ----------
    text : str
        The YAML text.
    path : str
        Named in error messages.

    Returns
    -------
    Lexicon

    Examples
    --------
    >>> lex = parse_lexicon(
    ...     "name: demo\nversion: 1.0.0\nlanguage: en\n"
    ...     "frames:\n  partnership:\n    terms: [mutual trust, friend*]\n"
    ... )
    >>> lex.frames["partnership"].terms
    ['mutual trust', 'friend*']
    """
    try:
        data, root = safeyaml.load_with_nodes(text)
    except safeyaml.YamlError as e:
        line = f", line {e.line}" if e.line else ""
        raise LexiconError(f"{path}{line}: YAML error: {e.problem}") from None
    return _validate(data, root, path)


def _str_field(data: dict, node, key: str, path: str, required: bool, default: str = "") -> str:
    value = data.get(key)
    if value is None:
        if required:
            raise LexiconError(f"{path}: missing '{key}:' at the top of the lexicon")
        return default
    if not isinstance(value, str):
        vnode = _get(node, key)
        raw = getattr(vnode, "value", None)
        raw = raw if isinstance(raw, str) and raw else str(value)  # as written: no, 1.0
        raise LexiconError(
            f"{_where(path, vnode)}: '{key}' must be text, got {_describe(value)}; "
            f'quote it, e.g. {key}: "{raw}"'
        )
    return value.strip()


def _str_list(value: Any, node, what: str, path: str, allow_empty: bool = True) -> list[str]:
    if value is None:
        if allow_empty:
            return []
        raise LexiconError(f"{_where(path, node)}: {what} is empty; add at least one entry")
    if not isinstance(value, list):
        raise LexiconError(f"{_where(path, node)}: {what} must be a list, got {_describe(value)}")
    out = []
    for i, v in enumerate(value):
        where = _where(path, _item(node, i))
        if not isinstance(v, str):
            hint = ""
            if isinstance(v, bool) or v is None:
                raw = getattr(_item(node, i), "value", "") or "no"
                hint = (
                    "; YAML reads unquoted yes/no/on/off/true/false/null as non-text, "
                    f"so quote it: '{raw}'"
                )
            elif isinstance(v, (int, float)):
                hint = "; quote numbers: '2030'"
            raise LexiconError(f"{where}: {what} entry {i + 1} is {_describe(v)}, not text{hint}")
        v = v.strip()
        if not v:
            raise LexiconError(f"{where}: {what} entry {i + 1} is empty")
        out.append(v)
    if not out and not allow_empty:
        raise LexiconError(f"{_where(path, node)}: {what} is empty; add at least one entry")
    return out


#: Bidi embeddings, overrides and isolates: they reorder how a term is shown.
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def _control_char(term: str) -> str | None:
    """The first control character, line/paragraph separator or bidi control in ``term``."""
    for ch in term:
        if ch in _BIDI or unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp"):
            return ch
    return None


def _check_term(term: str, where: str, what: str) -> None:
    bad = _control_char(term)
    if bad is not None:
        raise LexiconError(
            f"{where}: {what} {term!r} contains the control character U+{ord(bad):04X}; "
            "a term is plain words: remove it (a NUL, tab or line break in a term "
            "could match across a sentence separator)"
        )
    if re.search(r"\*(?=[\w*])|(?:^|[\s\W])\*", term):
        raise LexiconError(
            f"{where}: {what} {term!r}: '*' is allowed only at the end of a word, e.g. 'hegemon*'"
        )
    if not tokenize_terms(term):
        raise LexiconError(f"{where}: {what} {term!r} has no words")


def _near_rules(value: Any, node, fname: str, path: str) -> list[NearRule]:
    """Validate a frame's ``near:`` list of proximity rules (see :class:`NearRule`)."""
    if value is None:
        return []
    what = f"'near' of frame '{fname}'"
    if not isinstance(value, list) or not value:
        raise LexiconError(
            f"{_where(path, node)}: {what} must be a list of rules, each with "
            f"{', '.join(_NEAR_KEYS)}; got {_describe(value)}"
        )
    rules: list[NearRule] = []
    for i, item in enumerate(value):
        inode = _item(node, i)
        rules.append(_near_rule(item, inode, f"{what}, rule {i + 1}", path))
        if any(r.name == rules[-1].name for r in rules[:-1]):
            raise LexiconError(
                f"{_where(path, _get(inode, 'name'))}: duplicate rule name "
                f"'{rules[-1].name}' in {what}; give each rule its own name"
            )
    return rules


def _refuse_unknown_keys(data: dict, allowed, node, path: str, within: str = "") -> None:
    """One error naming the first unknown key of ``data`` (``within`` says where)."""
    unknown = sorted(map(str, set(data) - set(allowed)))
    if unknown:
        raise LexiconError(
            f"{_where(path, _get(node, unknown[0]))}: unknown key '{unknown[0]}'{within} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )


def _near_rule(item: Any, node, what: str, path: str) -> NearRule:
    where = _where(path, node)
    if not isinstance(item, dict):
        raise LexiconError(
            f"{where}: {what} must be a mapping with {', '.join(_NEAR_KEYS)}, got {_describe(item)}"
        )
    _refuse_unknown_keys(item, _NEAR_KEYS, node, path, f" in {what}")
    missing = [k for k in _NEAR_KEYS if k not in item]
    if missing:
        raise LexiconError(f"{where}: {what} has no '{missing[0]}:'; add it")
    name = item["name"]
    if not isinstance(name, str) or not FRAME_NAME_RE.match(name):
        raise LexiconError(
            f"{_where(path, _get(node, 'name'))}: {what}: name {name!r} must be lower-case "
            "letters, digits and '_', starting with a letter"
        )
    what = f"rule '{name}'"
    lists = []
    for key in ("terms_a", "terms_b"):
        lnode = _get(node, key)
        terms = _str_list(item[key], lnode, f"{what} {key}", path, allow_empty=False)
        seen: dict[tuple[str, ...], str] = {}
        for i, term in enumerate(terms):
            w = _where(path, _item(lnode, i))
            _check_term(term, w, f"{what} {key} term")
            tkey = tuple(tokenize_terms(term))
            if tkey in seen:
                raise LexiconError(f"{w}: duplicate term {term!r} in {what} {key}; remove one")
            seen[tkey] = term
        lists.append((terms, seen, lnode))
    (terms_a, seen_a, _), (terms_b, _, bnode) = lists
    for i, term in enumerate(terms_b):
        if tuple(tokenize_terms(term)) in seen_a:
            raise LexiconError(
                f"{_where(path, _item(bnode, i))}: {term!r} is in both terms_a and terms_b "
                f"of {what}; a rule pairs two different lists"
            )
    window = item["window"]
    if isinstance(window, bool) or not isinstance(window, int) or not 0 <= window <= MAX_WINDOW:
        raise LexiconError(
            f"{_where(path, _get(node, 'window'))}: window of {what} must be a whole number "
            f"of tokens from 0 to {MAX_WINDOW}, got {_describe(window)}"
        )
    return NearRule(name, terms_a, terms_b, window)


def _validate(data: Any, root, path: str) -> Lexicon:
    if not isinstance(data, dict):
        raise LexiconError(
            f"{path}: a lexicon is a YAML mapping with 'name', 'version' and "
            "'frames'; see 'discourse lexicon show' for an example"
        )
    _refuse_unknown_keys(data, _TOP_KEYS, root, path)
    name = _str_field(data, root, "name", path, required=True)
    version = _str_field(data, root, "version", path, required=True)
    language = _str_field(data, root, "language", path, required=False, default="en")
    description = _str_field(data, root, "description", path, required=False)
    frames_data = data.get("frames")
    fnode = _get(root, "frames")
    if not isinstance(frames_data, dict) or not frames_data:
        raise LexiconError(
            f"{_where(path, fnode)}: 'frames' must be a mapping of frame names to "
            "frames, with at least one frame"
        )
    frames = {
        str(fname): _validate_frame(fname, fdata, _get(fnode, str(fname)), path)
        for fname, fdata in frames_data.items()
    }
    return Lexicon(
        name=name,
        version=version,
        language=language,
        description=description,
        frames=frames,
        path=path,
    )


def _validate_frame(fname: Any, fdata: Any, node, path: str) -> Frame:
    """One frame of a lexicon, validated (``node`` gives the line numbers)."""
    where = _where(path, node)
    if not isinstance(fname, str) or not FRAME_NAME_RE.match(fname):
        raise LexiconError(
            f"{where}: frame name {fname!r} must be lower-case letters, "
            "digits and '_', starting with a letter"
        )
    if fdata is None:
        raise LexiconError(f"{where}: frame '{fname}' is empty; give it 'terms:'")
    if not isinstance(fdata, dict):
        raise LexiconError(f"{where}: frame '{fname}' must be a mapping with 'terms:'")
    _refuse_unknown_keys(fdata, _FRAME_KEYS, node, path, f" in frame '{fname}'")
    tnode = _get(node, "terms")
    terms = _str_list(
        fdata.get("terms"), tnode or node, f"frame '{fname}' terms", path, allow_empty=False
    )
    exnode = _get(node, "exclude")
    exclude = _str_list(fdata.get("exclude"), exnode, f"frame '{fname}' exclude", path)
    for kind, items, lnode in (("term", terms, tnode), ("exclude", exclude, exnode)):
        seen: dict[tuple[str, ...], str] = {}
        for i, term in enumerate(items):
            w = _where(path, _item(lnode, i))
            _check_term(term, w, kind)
            key = tuple(tokenize_terms(term))
            if key in seen:
                raise LexiconError(
                    f"{w}: duplicate {kind} {term!r} in frame '{fname}' "
                    f"(same as {seen[key]!r}); remove one"
                )
            seen[key] = term
    ex = fdata.get("examples") or {}
    exn = _get(node, "examples")
    if not isinstance(ex, dict):
        raise LexiconError(
            f"{_where(path, exn)}: 'examples' of frame '{fname}' must be a "
            "mapping with 'match' and 'no_match' lists"
        )
    _refuse_unknown_keys(ex, _EXAMPLE_KEYS, exn, path, " in examples")
    near = _near_rules(fdata.get("near"), _get(node, "near"), fname, path)
    label = fdata.get("label") or fname.replace("_", " ").capitalize()
    desc = fdata.get("description") or ""
    return Frame(
        name=fname,
        label=str(label).strip(),
        description=" ".join(str(desc).split()),
        terms=terms,
        exclude=exclude,
        match_examples=_str_list(
            ex.get("match"), _get(exn, "match"), f"frame '{fname}' examples.match", path
        ),
        no_match_examples=_str_list(
            ex.get("no_match"),
            _get(exn, "no_match"),
            f"frame '{fname}' examples.no_match",
            path,
        ),
        near=near,
    )


# ---------------------------------------------------------------------- matching

TERM, EXCLUDE, NEAR_A, NEAR_B = 0, 1, 2, 3


@dataclass(frozen=True)
class _Pattern:
    frame: int
    term: str
    exclude: bool
    first: tuple[str, bool]  # (text, is_prefix)
    rest: tuple[tuple[str, bool], ...]
    rank: int = 0  # order among the candidates of one token: as :meth:`Matcher.scan` tries them
    kind: int = TERM  # TERM, EXCLUDE, or a side (NEAR_A, NEAR_B) of proximity rule ``rule``
    rule: int = -1  # index into Matcher.rules

    @property
    def length(self) -> int:
        return 1 + len(self.rest)


def _element(tok: str) -> tuple[str, bool]:
    return (tok[:-1], True) if tok.endswith("*") and len(tok) > 1 else (tok, False)


# the kinds of count_flat's automaton values: a plain term (and proximity sides),
# proximity sides only, a sentence end, anything else
_AC_TERM, _AC_SIDES, _AC_SEP, _AC_MIXED = 0, 1, 2, 3
#: a space before a token that is not a word (it starts with neither a letter nor a digit)
_NON_WORD_START = re.compile(r" (?=[^\w\s]|_)")
_NO_AUTOMATON = object()  # a lexicon count_flat cannot key (a term token with a space)
#: Overlapping occurrences in one sentence beyond which it goes to select(), whose cost
#: is linear in them (the shortcuts compare them pairwise).
MAX_PAIRWISE = 256

_PREFIX_RANK = 1 << 40  # prefix patterns come after exact ones among a token's candidates

# an occurrence found in a sentence: (start token, end token, pattern)
_Occ = tuple[int, int, _Pattern]


def _locked(method):
    """Run a :class:`Matcher` method under the matcher's lock: its token caches are
    filled as it goes, and threads sharing one matcher (a Dask worker's threads share
    the scorer it was sent) must not see a token cached before its plan is made."""

    @wraps(method)
    def run(self, *args):
        with self._lock:
            return method(self, *args)

    return run


class Matcher:
    r"""A compiled lexicon: finds frame hits in a sentence's normalized tokens.

    Two engines give the same hits: :meth:`scan` (a dictionary look-up per
    token, the reference) and :meth:`scan_sentences` (all the sentences of an
    article at once, the scoring hot path); both feed :meth:`select`. A ``*``
    prefix is looked up by the token's own prefixes (a dictionary per prefix),
    so the cost per new token does not grow with the number of prefix terms.
    When only counts are needed, :meth:`count_flat` gives :meth:`select`'s
    counts with one Aho-Corasick pass per article.

    Parameters
    ----------
    lexicon : Lexicon

    Examples
    --------
    >>> lex = parse_lexicon(
    ...     "name: demo\nversion: 1.0.0\nlanguage: en\n"
    ...     "frames:\n  partnership:\n    terms: [mutual trust, friend*]\n"
    ... )
    >>> m = Matcher(lex)
    >>> n_words, occ = m.scan(["they", "pledged", "mutual", "trust", "friends"])
    >>> n_words, m.select(occ)
    (5, [(0, 'mutual trust', 2, 4), (0, 'friend*', 4, 5)])
    """

    CACHE_LIMIT = 500_000

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.frames = list(lexicon.frames)
        self.rules: list[tuple[int, NearRule]] = []
        self._patterns: list[_Pattern] = []
        self._exact: dict[str, list[_Pattern]] = {}
        self._prefix: dict[str, list[_Pattern]] = {}
        for fi, fname in enumerate(self.frames):
            frame = lexicon.frames[fname]
            for kind, items in ((TERM, frame.terms), (EXCLUDE, frame.exclude)):
                for term in items:
                    self._add(fi, term, kind, -1)
            for rule in frame.near:
                self.rules.append((fi, rule))
                for kind, items in ((NEAR_A, rule.terms_a), (NEAR_B, rule.terms_b)):
                    for term in items:
                        self._add(fi, term, kind, len(self.rules) - 1)
        self._max_prefix = max(map(len, self._prefix), default=0)
        self._cache: dict[str, tuple[_Pattern, ...]] = {}
        self._hot: set[str] = set()  # the cached tokens that have candidates
        self._plans: dict[str, tuple] = {}  # hot token -> its candidates for scan_flat
        # scan_flat's filter: a hot token is tried alone when one of its candidates is a
        # one-token term or has a prefix second element ("loose"), else only where the
        # next token is one its candidates need (a pair of tokens, "pairs")
        self._loose: set[str] = set()
        self._pairs: set[tuple[str, str]] = set()
        self._pair_plans: dict[tuple[str, str], tuple] = {}
        self._automaton: Any = None  # count_flat's automaton, built on first use
        self._a_bits = 0  # count_flat: a bit per proximity rule, its side A's
        self._rule_windows: list[tuple[int, int]] = []  # (frame, window) of each rule
        self._lock = threading.RLock()

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        del state["_lock"]  # a lock cannot be pickled (Dask sends the scorer to workers)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    def _add(self, fi: int, term: str, kind: int, rule: int) -> None:
        els = [_element(t) for t in tokenize_terms(term)]
        n = len(self._patterns)
        rank = n + (_PREFIX_RANK if els[0][1] else 0)
        pat = _Pattern(fi, term, kind == EXCLUDE, els[0], tuple(els[1:]), rank, kind, rule)
        self._patterns.append(pat)
        index = self._prefix if els[0][1] else self._exact
        index.setdefault(els[0][0], []).append(pat)

    def _candidates(self, tok: str) -> tuple[_Pattern, ...]:
        cands = list(self._exact.get(tok, ()))
        if self._prefix:
            pre = []
            for k in range(1, min(len(tok), self._max_prefix) + 1):
                pre += self._prefix.get(tok[:k], ())
            pre.sort(key=lambda p: p.rank)
            cands += pre
        if tok[0].isalnum():
            result: tuple[_Pattern, ...] = tuple(cands)
        else:  # punctuation (or "'s"): marked so that scan() can count word tokens
            result = _PunctCands(cands) if cands else _PUNCT
        self._cache[tok] = result
        if cands:
            self._hot.add(tok)
        return result

    @_locked
    def scan(self, tokens: list[str]) -> tuple[int, list[_Occ]]:
        """One pass over a sentence: (number of word tokens, every pattern occurrence).

        Occurrences are (start, end, pattern), in token order and, at one token,
        in candidate order. Word tokens are the tokens that start with a letter
        or digit (the denominator of per-1,000 rates).
        """
        found: list[_Occ] = []
        cache = self._cache
        if len(cache) >= self.CACHE_LIMIT:
            self._clear()
        n = len(tokens)
        npunct = 0
        for i, tok in enumerate(tokens):
            cands = cache.get(tok)
            if cands is None:
                cands = self._candidates(tok)
            if not cands:
                continue
            if cands is _PUNCT:
                npunct += 1
                continue
            if type(cands) is _PunctCands:
                npunct += 1
            for pat in cands:
                j = _extend(tokens, i + 1, pat.rest)
                if j >= 0:
                    found.append((i, j, pat))
        return n - npunct, found

    def scan_sentences(self, lists: list[list[str]]) -> tuple[int, dict[int, list[_Occ]]]:
        """The hits of many sentences in one pass: (word tokens, occurrences per sentence)."""
        flat: list[str] = []
        firsts = [0]
        for toks in lists:
            flat += toks
            flat.append(SENTENCE_SEP)
            firsts.append(len(flat))
        return self.scan_flat(flat, firsts)

    @_locked
    def scan_flat(self, flat: list[str], firsts: list[int]) -> tuple[int, dict[int, list[_Occ]]]:
        """The hits of many sentences in one pass: (word tokens, occurrences per sentence).

        ``flat`` holds the tokens of all sentences, each sentence followed by a
        separator pseudo-token (which stops a phrase from running across
        sentences); ``firsts`` the index of each sentence's first token, plus
        one past the end (see :meth:`Tokenizer.flat_tokens`). Gives what
        :meth:`scan` gives sentence by sentence (the occurrences of a sentence
        in the same order), with the per-token work done in C: the positions of
        tokens that can start a pattern are found by a set look-up mapped over
        all tokens, and only those positions are tried.
        """
        n_words = sum(map(str.isalnum, map(itemgetter(0), flat)))
        if len(self._cache) >= self.CACHE_LIMIT:
            self._clear()
        cache, hot, plans, loose = self._cache, self._hot, self._plans, self._loose
        for tok in set(flat).difference(cache):
            if self._candidates(tok) and tok in hot:
                self._add_plan(tok)
        # positions where a pattern may start: a loose token, or a token followed by
        # the second token of one of its candidates (both tests mapped in C)
        maybe = map(
            or_,
            map(loose.__contains__, flat),
            map(self._pairs.__contains__, zip(flat, islice(flat, 1, None))),
        )
        positions = list(compress(range(len(flat)), maybe))
        out: dict[int, list[_Occ]] = {}
        if not positions:
            return n_words, out
        pair_plans = self._pair_plans
        k, base, nxt, occ = -1, 0, 0, []
        append = occ.append
        for i in positions:
            if i >= nxt:
                k = bisect_right(firsts, i) - 1
                base, nxt = firsts[k], firsts[k + 1]
                occ = out[k] = []
                append = occ.append
            a = i - base
            tok = flat[i]
            plan = plans[tok] if tok in loose else pair_plans[tok, flat[i + 1]]
            for pat, rest in plan:
                if rest is None:  # a one-token term
                    append((a, a + 1, pat))
                elif rest.__class__ is str:  # a two-token term, exact (the list ends
                    if flat[i + 1] == rest:  # with a pseudo-token: i + 1 exists)
                        append((a, a + 2, pat))
                else:
                    j = _extend(flat, i + 1, rest)
                    if j >= 0:
                        append((a, a + j - i, pat))
        for k in [k for k, o in out.items() if not o]:
            del out[k]
        return n_words, out

    @_locked
    def count_flat(
        self, flat: list[str], firsts: list[int]
    ) -> tuple[int, list[int], list[int], dict[int, list]]:
        """Counted hits of many sentences, the common ones counted without :meth:`select`.

        Takes what :meth:`scan_flat` takes. One Aho-Corasick pass (in C) over the
        tokens joined by single spaces finds every term, exclude and proximity
        side whose tokens are adjacent there (a pattern with a prefix before its
        last token by its first token, the rest checked when it matters). A
        sentence whose terms overlap no other term, or only lie inside a longer
        term of their frame, with no exclude and no proximity rule with both
        sides, counts its terms as :meth:`select` would (:func:`_plain`,
        :func:`_longest`) as they come; the other sentences are counted by
        :meth:`_overlapping` or, with an exclude or a proximity pair, by
        :meth:`select` on :meth:`scan`'s occurrences.

        Returns
        -------
        tuple
            (word tokens, hits per frame and sentences with the frame over the
            sentences counted here, ``{sentence: select(occurrences)}`` for those
            :meth:`select` counted).
        """
        automaton = self._automaton if self._automaton is not None else self._build_automaton()
        canon = f" {' '.join(flat)} "
        if automaton is _NO_AUTOMATON or canon.count(SENTENCE_SEP) != len(firsts) - 1:
            # a term token holds a space or the separator, or a text token is the separator
            n_words, occ = self.scan_flat(flat, firsts)
            zero = [0] * len(self.frames)
            return n_words, zero, list(zero), {k: self.select(occ[k]) for k in sorted(occ)}
        # word tokens: those that start with a letter or digit (each follows one space)
        n_words = len(flat) - len(_NON_WORD_START.findall(canon))
        return (n_words, *self._count_canon(canon))

    @property
    def keyable(self) -> bool:
        """Whether :meth:`count_canon` can count with this lexicon (no term token holds a
        space or the separator)."""
        with self._lock:
            if self._automaton is None:
                self._build_automaton()
            return self._automaton is not _NO_AUTOMATON

    @_locked
    def count_canon(self, canon: str) -> tuple[list[int], list[int], dict[int, list]]:
        """:meth:`count_flat`'s counts from the tokens already joined (``canon``, see
        :func:`discourse.tokenize.Tokenizer.canon`): hits per frame, sentences with
        each frame, and ``{sentence: select(occurrences)}`` for the sentences
        :meth:`select` counted. Only for a :attr:`keyable` lexicon.
        """
        return self._count_canon(canon)

    def _count_canon(self, canon: str) -> tuple[list[int], list[int], dict[int, list]]:
        events = self._automaton.iter(canon)
        count = _count_events if _count_events is not None else _count_events_py
        hits, with_, general = count(
            canon, events, len(self.frames), self._a_bits, self._rule_windows
        )
        return self._general_counts(canon, general, hits, with_)

    def _general_counts(self, canon: str, general: list, hits: list, with_: list):
        """:meth:`count_flat`'s hits per frame and sentences with each frame, once the
        ``general`` sentences' hits are added (by :meth:`_overlapping` or, when it cannot
        decide, :meth:`select`, whose hits are returned per sentence)."""
        found = {}
        for k, start, stop, decidable in general:
            counted = self._overlapping(canon, start, stop) if decidable else None
            if counted is not None:
                for fi in counted:
                    hits[fi] += 1
                for fi in set(counted):
                    with_[fi] += 1
                continue
            raw = self._occurrences(canon, start, stop)
            if raw:
                found[k] = self.select(raw)
        return hits, with_, found

    def _overlapping(self, canon: str, start: int, stop: int) -> list[int] | None:
        """The frame of each counted hit of a sentence (as in :meth:`count_flat`) whose
        terms may overlap but which has no exclude and no proximity rule with both
        sides, else None (then :meth:`select`).

        :func:`_longest` on character spans of the joined tokens (they overlap when
        the token spans do), each term's length in tokens, ties in :meth:`scan` order.
        """
        occ = []
        sides: dict[int, int] = {}
        for end, val in self._automaton.iter(canon, start, stop):
            for pat, mode, so, eo, n in val[4]:
                e = end + eo
                if mode == 2:  # only the first token was matched: is the rest there?
                    e = _joined_end(canon, end, pat)
                    if e < 0:
                        continue
                if pat.kind == TERM:
                    occ.append((-n, end - so, pat.rank, e, pat.frame))
                elif pat.kind == EXCLUDE or sides.setdefault(pat.rule, pat.kind) != pat.kind:
                    return None
        return _longest_frames(occ) if len(occ) <= MAX_PAIRWISE else None

    def _occurrences(self, canon: str, start: int, stop: int) -> list[_Occ]:
        """What :meth:`scan` finds in the sentence between ``start`` and ``stop`` of the
        joined tokens, in the same order."""
        count = canon.count
        occ = []
        at, a = start, 0  # ``a`` spaces (tokens of the sentence) before the character ``at``
        for end, val in self._automaton.iter(canon, start, stop):
            for pat, mode, so, _, n in val[4]:
                if mode == 2 and _joined_end(canon, end, pat) < 0:
                    continue
                p = end - so - 1  # the space before its first token
                if p >= at:  # count the spaces from the last place: linear in the sentence
                    a += count(" ", at, p)
                else:
                    a -= count(" ", p, at)
                at = p
                occ.append((a, pat.rank, a + n, pat))
        occ.sort(key=itemgetter(0, 1))
        return [(a, b, pat) for a, _, b, pat in occ]

    def _build_automaton(self):
        """The automaton of :meth:`count_flat`: each pattern's key is its tokens joined by
        spaces, between spaces (no space after a last token that is a prefix); a pattern
        with a prefix before its last token is keyed by its first token and verified."""
        groups: dict[str, list] = {}
        for pat in self._patterns:
            els = (pat.first, *pat.rest)
            if any(" " in t or SENTENCE_SEP in t for t, _ in els):
                self._automaton = _NO_AUTOMATON
                return _NO_AUTOMATON
            mode = 0 if not any(p for _, p in els) else 1 if not any(p for _, p in els[:-1]) else 2
            texts = [t for t, _ in (els if mode < 2 else els[:1])]
            key = " " + " ".join(texts) + ("" if mode and (mode == 1 or pat.first[1]) else " ")
            # the first token starts at end - so; the last one ends at end + eo
            entry = (pat, mode, len(key) - 2, 1 if mode == 1 else 0, len(els))
            groups.setdefault(key, []).append(entry)
        automaton = ahocorasick.Automaton()
        for key, entries in groups.items():
            terms = [e for e in entries if e[0].kind == TERM]
            sides = [e[0] for e in entries if e[0].kind >= NEAR_A]
            bits = sum(1 << (2 * p.rule + p.kind - NEAR_A) for p in set(sides))
            # a value the loop cannot count: whether it sends the sentence to the general
            # path unverified (a pattern of modes 0 and 1 needs no check), and whether
            # surely to select() (an exclude: _overlapping would give up)
            mixed = (
                any(e[1] < 2 for e in entries),
                any(e[1] < 2 and e[0].kind == EXCLUDE for e in entries),
            )
            if len(terms) + len(sides) < len(entries) or any(e[1] == 2 for e in terms):
                val: tuple = (_AC_MIXED, None, 0, 0, tuple(entries), 0, *mixed)
            elif len(terms) == 1:
                pat, _, so, eo, n = terms[0]  # and its length in tokens, its rank
                val = (_AC_TERM, pat.frame, so, eo, tuple(entries), bits, n, pat.rank)
            else:
                tag = _AC_SIDES if not terms else _AC_MIXED
                val = (tag, None, 0, 0, tuple(entries), bits, *mixed)
            automaton.add_word(key, (*val, _plain_entries(entries)))
        self._a_bits = sum(1 << (2 * r) for r in range(len(self.rules)))
        self._rule_windows = [(fi, rule.window) for fi, rule in self.rules]
        automaton.add_word(f" {SENTENCE_SEP} ", (_AC_SEP,))
        automaton.make_automaton()
        self._automaton = automaton
        return automaton

    def _add_plan(self, tok: str) -> None:
        """Index a hot token for :meth:`scan_flat`: its plan, and whether it is tried
        alone (loose) or only before the second token of one of its candidates."""
        plan = tuple(map(_plan, self._cache[tok]))
        self._plans[tok] = plan
        seconds = []
        for pat, _ in plan:
            if not pat.rest or pat.rest[0][1]:
                self._loose.add(tok)
                return
            seconds.append(pat.rest[0][0])
        for second in dict.fromkeys(seconds):  # each plan keeps the candidates' order
            self._pairs.add((tok, second))
            self._pair_plans[tok, second] = tuple(p for p in plan if p[0].rest[0][0] == second)

    def _clear(self) -> None:
        """Empty the token caches (they are bounded by :data:`CACHE_LIMIT` tokens)."""
        for memo in (self._cache, self._hot, self._plans, self._loose, self._pairs):
            memo.clear()
        self._pair_plans.clear()

    def raw_matches(self, tokens: list[str]) -> list[tuple[int, int, int, str, bool]]:
        """Every term or exclude occurrence: (frame index, start, end, term, is_exclude)."""
        return [
            (p.frame, a, b, p.term, p.exclude) for a, b, p in self.scan(tokens)[1] if p.kind < 2
        ]

    def match(self, tokens: list[str]) -> list[tuple[int, str, int, int]]:
        """Counted hits in one sentence: (frame index, term, start, end), sorted by start.

        Within a frame the longest match wins and counted matches do not overlap;
        matches overlapping an exclude span of their frame are dropped; proximity
        rules add their hits (see :meth:`select`).
        """
        return self.select(self.scan(tokens)[1])

    def count_and_match(self, tokens: list[str]) -> tuple[int, list[tuple[int, str, int, int]]]:
        """(word tokens, counted hits) in one pass."""
        n_words, raw = self.scan(tokens)
        return n_words, (self.select(raw) if raw else [])

    def select(self, raw: list[_Occ]) -> list[tuple[int, str, int, int]]:  # noqa: C901
        """Counted hits from the occurrences of one sentence (in :meth:`scan` order).

        Per frame: occurrences overlapping an exclude occurrence are dropped; the
        others are taken longest first, then leftmost, skipping any that overlaps
        one already taken. Proximity rules pair their two lists (:func:`_pair`).
        The cost is linear in the tokens covered (plus a sort), not quadratic.
        """
        plain = _plain(raw)
        if plain is not None:
            return plain
        by_frame: dict[int, list[_Occ]] = {}
        excl: dict[int, set[int]] = {}
        parts: dict[tuple[int, int], list[_Occ]] = {}
        for occ in raw:
            pat = occ[2]
            if pat.kind == TERM:
                by_frame.setdefault(pat.frame, []).append(occ)
            elif pat.kind == EXCLUDE:
                excl.setdefault(pat.frame, set()).update(range(occ[0], occ[1]))
            else:
                parts.setdefault((pat.rule, pat.kind), []).append(occ)
        out = []
        for fi, ms in by_frame.items():
            ex = excl.get(fi)
            if len(ms) == 1 and not ex:
                a, b, pat = ms[0]
                out.append((fi, pat.term, a, b))
                continue
            for a, b, pat in _longest(ms, ex):
                out.append((fi, pat.term, a, b))
        for ri, (fi, rule) in enumerate(self.rules):
            side_a, side_b = parts.get((ri, NEAR_A)), parts.get((ri, NEAR_B))
            if side_a and side_b:
                ex = excl.get(fi)
                out += _pair(fi, rule, _longest(side_a, ex), _longest(side_b, ex))
        out.sort(key=lambda h: (h[2], h[0]))
        return out


def _plain(raw: list[_Occ]) -> list[tuple[int, str, int, int]] | None:
    """:meth:`Matcher.select` of the common case, else None: no exclude occurrence,
    terms that overlap no other term, and no proximity rule with both sides present
    (then each term counts, and proximity sides count nothing)."""
    end = 0
    sides: dict[int, int] | None = None  # a proximity rule -> the one side seen so far
    for a, b, pat in raw:
        kind = pat.kind
        if kind:
            if kind == EXCLUDE:
                return None
            if sides is None:
                sides = {}
            if sides.setdefault(pat.rule, kind) != kind:
                return None
        elif a < end:
            return None
        else:
            end = b
    if sides is None:
        return [(pat.frame, pat.term, a, b) for a, b, pat in raw]
    return [(pat.frame, pat.term, a, b) for a, b, pat in raw if not pat.kind]


def _plan(pat: _Pattern) -> tuple[_Pattern, Any]:
    """How :meth:`Matcher.scan_flat` checks a candidate: (pattern, None for one token,
    the second token's text for an exact two-token term, else the remaining elements)."""
    if not pat.rest:
        return pat, None
    if len(pat.rest) == 1 and not pat.rest[0][1]:
        return pat, pat.rest[0][0]
    return pat, pat.rest


def _plain_entries(entries: list) -> tuple:
    """An automaton value's patterns as plain data for the accelerator's
    ``count_events``, which then selects the hits of the value's sentence itself: (kind,
    frame or proximity rule, characters from its first token's start to the key's end,
    tokens, rank, None or, for a pattern with a prefix before its last token, what
    :func:`_joined_end` checks: whether its first token is a prefix, and its other
    tokens) each."""
    return tuple(
        (
            p.kind,
            p.frame if p.kind < NEAR_A else p.rule,
            so,
            n,
            p.rank,
            (p.first[1], p.rest) if mode == 2 else None,
        )
        for p, mode, so, _, n in entries
    )


def _longest_frames(occ: list[tuple[int, int, int, int, int]]) -> list[int]:
    """The frame of each counted term of a sentence with terms only (no exclude, no
    proximity pair): :func:`_longest` on (-tokens, start, rank, end, frame) of each
    occurrence, spans in characters of the joined tokens (they overlap when the token
    spans do): longest first, then leftmost, then in :meth:`Matcher.scan` order, each
    taken unless it overlaps one taken of its frame."""
    occ.sort()
    taken: list[tuple[int, int, int]] = []
    for _, s, _, e, fi in occ:
        for ts, te, tf in taken:
            if tf == fi and s < te and ts < e:
                break
        else:
            taken.append((s, e, fi))
    return [fi for _, _, fi in taken]


def _needs_select(canon: str, end: int, entries) -> bool:
    """Whether an automaton hit (at ``end`` of the joined tokens) of several patterns,
    an exclude or a pattern with a prefix before its last token sends its sentence to
    the general path: any but the last kind does, the last if it matches."""
    return any(mode < 2 or _joined_end(canon, end, pat) >= 0 for pat, mode, *_ in entries)


def _count_events_py(canon: str, events, n_frames: int, a_bits: int, rules=()):
    """:meth:`Matcher.count_canon`'s loop over the automaton hits (pure Python; the
    accelerator's ``count_events`` does the same, compiled): hits per frame and
    sentences with each frame over the sentences it can count, and (sentence, start,
    end, whether :meth:`Matcher._overlapping` may decide) of the others (an exclude,
    a pattern to verify, both sides of a proximity rule), which
    :meth:`Matcher._general_counts` counts. A sentence whose terms overlap is counted
    by :func:`_longest_frames`. (``rules``, each proximity rule's frame and window, is
    for the compiled loop, which also counts most of the others itself.)"""
    hits, with_ = [0] * n_frames, [0] * n_frames
    general = []
    # max_e: where the terms seen so far end, at most (positions grow from sentence to
    # sentence: no reset)
    k = base = max_e = sides = 0
    gen = overlap = excl = False
    cur: list[tuple[int, int, int, int, int]] = []  # (-tokens, start, rank, end, frame)
    for end, val in events:
        tag = val[0]
        if tag == _AC_TERM:  # one term (no prefix before its last token), maybe sides
            s, e = end - val[2], end + val[3]
            if s < max_e:
                overlap = True
            if e > max_e:
                max_e = e
            cur.append((-val[6], s, val[7], e, val[1]))
            sides |= val[5]
        elif tag == _AC_SIDES:  # proximity sides only: a bit per rule and side
            sides |= val[5]
        elif tag == _AC_SEP:  # a sentence ends
            if gen or sides & (sides >> 1) & a_bits:  # or both sides of a rule
                general.append((k, base, end, not excl))
            elif overlap and len(cur) > MAX_PAIRWISE:
                general.append((k, base, end, False))
            elif cur:
                frames = _longest_frames(cur) if overlap else [t[4] for t in cur]
                for fi in frames:
                    hits[fi] += 1
                for fi in set(frames):
                    with_[fi] += 1
            k, base, cur, sides, gen, overlap, excl = k + 1, end, [], 0, False, False, False
        else:  # several terms, an exclude, a term to verify
            excl = excl or val[7]
            if not gen:
                gen = val[6] or _needs_select(canon, end, val[4])
    return hits, with_, general


_count_events = _speedups.count_events if _speedups is not None else None


def _joined_end(canon: str, end: int, pat: _Pattern) -> int:
    """Where (the space after its last token) ``pat`` ends in the joined tokens ``canon``
    when its first token ends at or after ``end`` (the automaton matched its key there,
    the first token and, for an exact one, the space after it), else -1: what
    :func:`_extend` does on the tokens, on the text (tokens hold no space)."""
    q = canon.find(" ", end + 1) if pat.first[1] else end
    for text, prefix in pat.rest:
        if not canon.startswith(text, q + 1):
            return -1
        q += 1 + len(text)
        if prefix:
            q = canon.find(" ", q)
        elif canon[q] != " ":
            return -1
    return q


def _extend(tokens: list[str], j: int, rest) -> int:
    """Where a pattern's remaining elements ``rest`` end if they match from ``j``, else -1."""
    n = len(tokens)
    for text, prefix in rest:
        if j >= n:
            return -1
        t = tokens[j]
        if (prefix and not t.startswith(text)) or (not prefix and t != text):
            return -1
        j += 1
    return j


def _span_order(occ: _Occ) -> tuple[int, int]:
    return occ[0] - occ[1], occ[0]


def _longest(ms: list[_Occ], excluded: set[int] | None) -> list[_Occ]:
    """Longest first, then leftmost, non-overlapping, none touching ``excluded`` tokens."""
    taken: set[int] = set()
    out = []
    for occ in sorted(ms, key=_span_order):  # stable: ties keep scan order
        toks = range(occ[0], occ[1])
        if excluded and not excluded.isdisjoint(toks):
            continue
        if not taken.isdisjoint(toks):
            continue
        taken.update(toks)
        out.append(occ)
    return out


def _pair(fi: int, rule: NearRule, side_a: list[_Occ], side_b: list[_Occ]) -> list:
    """Hits of a proximity rule in one sentence from its two lists' occurrences.

    Reading left to right, each occurrence pairs with the earliest still
    unpaired occurrence of the other list that ends before it starts, at most
    ``rule.window`` tokens before it; otherwise it waits for a later partner.
    Each occurrence counts in at most one hit, whose span covers both and whose
    term is ``near:NAME``.
    """
    events = sorted([(a, b, 0, p) for a, b, p in side_a] + [(a, b, 1, p) for a, b, p in side_b])
    waiting: tuple[list, list] = ([], [])
    heads = [0, 0]
    out = []
    for a, b, side, pat in events:
        other, o = waiting[1 - side], 1 - side
        while heads[o] < len(other) and a - other[heads[o]][1] > rule.window:
            heads[o] += 1  # too far behind to pair with this or any later occurrence
        if heads[o] < len(other) and other[heads[o]][1] <= a:
            pa = other[heads[o]][0]
            heads[o] += 1
            out.append((fi, f"near:{rule.name}", pa, b))
        else:
            waiting[side].append((a, b, pat))
    return out


class _PunctCands(tuple):
    """Candidates of a punctuation token (rare: a term that starts with punctuation)."""


_PUNCT = _PunctCands((None,))  # truthy sentinel: a punctuation token with no candidates

# ------------------------------------------------------------------ example tests


@dataclass
class ExampleResult:
    """The outcome of one lexicon example (see :func:`run_examples`).

    Parameters
    ----------
    frame : str
    kind : {"match", "no_match"}
    sentence : str
    ok : bool
        The frame fired for a ``match`` example, or did not for a ``no_match`` one.
    terms : list of str
        The frame's terms that fired.

    Examples
    --------
    >>> ExampleResult("partnership", "match", "They pledged mutual trust.", True, []).ok
    True
    """

    frame: str
    kind: str  # "match" or "no_match"
    sentence: str
    ok: bool
    terms: list[str]


def run_examples(lexicon: Lexicon, tokenizer=None) -> list[ExampleResult]:
    r"""Run every frame's examples: ``match`` must fire the frame, ``no_match`` must not.

    Parameters
    ----------
    lexicon : Lexicon
    tokenizer : Tokenizer, optional
        Default: the standard one.

    Returns
    -------
    list of ExampleResult
        One per example sentence, with ``ok`` and the terms that fired.

    Examples
    --------
    >>> lex = parse_lexicon(
    ...     "name: demo\nversion: 1.0.0\nlanguage: en\nframes:\n  partnership:\n"
    ...     "    terms: [mutual trust]\n    examples:\n      match: [They pledged mutual trust.]\n"
    ... )
    >>> [(r.ok, r.terms) for r in run_examples(lex)]
    [(True, ['mutual trust'])]
    """
    from discourse.tokenize import Tokenizer

    tokenizer = tokenizer or Tokenizer()
    matcher = Matcher(lexicon)
    results = []
    for fi, (fname, frame) in enumerate(lexicon.frames.items()):
        for kind, sentences in (
            ("match", frame.match_examples),
            ("no_match", frame.no_match_examples),
        ):
            for text in sentences:
                terms = []
                for sent in tokenizer.sentences(text):
                    terms += [t for f, t, _, _ in matcher.match(sent.tokens) if f == fi]
                ok = bool(terms) if kind == "match" else not terms
                results.append(ExampleResult(fname, kind, text, ok, terms))
    return results


# ------------------------------------------------------------------- conversion


def _frame_name(raw: str, taken: set[str]) -> str:
    name = re.sub(r"[^a-z0-9_]+", "_", raw.strip().lower()).strip("_") or "frame"
    if not name[0].isalpha():
        name = "f_" + name
    base, i = name, 2
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    taken.add(name)
    return name


def convert_liwc(text: str, path: str = "<dic>") -> tuple[dict, list[str]]:
    r"""Convert a LIWC ``.dic`` dictionary to lexicon data. Returns (data, warnings).

    Parameters
    ----------
    text : str
        The ``.dic`` file: categories between two ``%`` lines, then ``term<TAB>ids``.
    path : str
        Named in messages.

    Returns
    -------
    (dict, list of str)
        Frames (name -> ``label`` and ``terms``) and warnings.

    Examples
    --------
    >>> data, warnings = convert_liwc("%\n1\tpartnership\n%\ntrust*\t1\n")
    >>> data, warnings
    ({'partnership': {'label': 'Partnership', 'terms': ['trust*']}}, [])
    """
    lines = text.splitlines()
    marks = [i for i, line in enumerate(lines) if line.strip() == "%"]
    if len(marks) < 2:
        raise LexiconError(
            f"{path}: not a LIWC .dic file: expected a category block between "
            "two lines holding only '%'"
        )
    categories: dict[str, str] = {}
    taken: set[str] = set()
    for i in range(marks[0] + 1, marks[1]):
        line = lines[i].strip()
        if not line:
            continue
        parts = line.split(None, 1)
        if len(parts) != 2:
            raise LexiconError(
                f"{path}, line {i + 1}: expected '<number> <category>', got {line!r}"
            )
        categories[parts[0]] = _frame_name(parts[1], taken)
    terms: dict[str, list[str]] = {name: [] for name in categories.values()}
    seen: dict[str, set] = {name: set() for name in categories.values()}
    warnings = []
    for i in range(marks[1] + 1, len(lines)):
        line = lines[i].strip()
        if not line:
            continue
        parts = line.split("\t") if "\t" in line else line.split()
        word, codes = parts[0].strip(), [c for p in parts[1:] for c in p.split()]
        if "(" in line or "/" in line or not word:
            warnings.append(
                f"{path}, line {i + 1}: skipped {line!r} (conditional LIWC "
                "entries are not supported)"
            )
            continue
        if "*" in word[:-1]:
            warnings.append(f"{path}, line {i + 1}: skipped {word!r} ('*' only at the end)")
            continue
        for code in codes:
            cat = categories.get(code)
            if cat is None:
                warnings.append(f"{path}, line {i + 1}: unknown category {code!r} for {word!r}")
                continue
            key = tuple(tokenize_terms(word))
            if key and key not in seen[cat]:
                seen[cat].add(key)
                terms[cat].append(word)
    frames = {}
    for name, ts in terms.items():
        if ts:
            frames[name] = {"label": name.replace("_", " ").capitalize(), "terms": ts}
        else:
            warnings.append(f"{path}: category '{name}' has no words; left out")
    return frames, warnings


def convert_quanteda(text: str, path: str = "<yaml>") -> tuple[dict, list[str]]:
    r"""Convert a quanteda-style YAML dictionary (``key: [terms]``, nested keys joined by '_').

    Parameters
    ----------
    text : str
        The YAML text.
    path : str
        Named in messages.

    Returns
    -------
    (dict, list of str)
        Frames (name -> ``label`` and ``terms``) and warnings.

    Examples
    --------
    >>> data, _ = convert_quanteda("economy:\n  trade: [tariff, export*]\n")
    >>> data
    {'economy_trade': {'label': 'economy_trade', 'terms': ['tariff', 'export*']}}
    """
    try:
        data = safeyaml.parse(text)
    except safeyaml.YamlError as e:
        line = f", line {e.line}" if e.line else ""
        raise LexiconError(f"{path}{line}: YAML error: {e.problem}") from None
    if not isinstance(data, dict):
        raise LexiconError(f"{path}: a quanteda dictionary is a mapping of keys to term lists")
    if isinstance(data.get("frames"), dict) and ("name" in data or "version" in data):
        raise LexiconError(
            f"{path}: this is already a discourse lexicon (it has 'frames'); it needs no "
            "conversion, and converting it would drop its excludes, examples and proximity "
            "rules: check it with 'discourse lexicon check'"
        )
    frames: dict[str, dict] = {}
    warnings: list[str] = []
    taken: set[str] = set()

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(f"{prefix}_{k}" if prefix else str(k), v)
        elif isinstance(node, list):
            ts, seen = [], set()
            for v in node:
                if not isinstance(v, str):
                    warnings.append(f"{path}: key '{prefix}': skipped non-text entry {v!r}")
                    continue
                key = tuple(tokenize_terms(v.replace("*", "")))
                if key and key not in seen:
                    seen.add(key)
                    ts.append(v.strip())
            if ts:
                frames[_frame_name(prefix, taken)] = {"label": prefix, "terms": ts}
        else:
            warnings.append(f"{path}: key '{prefix}' holds {_describe(node)}; skipped")

    walk("", data)
    return frames, warnings


def convert(
    path: str | Path, name: str | None = None, version: str = "0.1.0"
) -> tuple[str, list[str]]:
    """Convert a LIWC ``.dic`` or quanteda YAML file to lexicon YAML text."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise LexiconError(f"cannot read {p}: {e.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    if p.suffix.lower() == ".dic" or text.lstrip().startswith("%"):
        frames, warnings = convert_liwc(text, str(p))
    else:
        frames, warnings = convert_quanteda(text, str(p))
    if not frames:
        raise LexiconError(f"{p}: no category with usable terms was found")
    data = {
        "name": name or _frame_name(p.stem, set()).replace("_", "-"),
        "version": version,
        "language": "en",
        "description": f"Converted from {p.name} by discourse lexicon convert.",
        "frames": frames,
    }
    out = safeyaml.dump(data)
    parse_lexicon(out, str(p))  # what we write must load
    return out, warnings


# ------------------------------------------------------------------ glob patterns


def is_glob(pattern: str) -> bool:
    """True when a pattern needs :class:`GlobMatcher`: a ``?``, or a ``*`` not at a word's end."""
    return "?" in pattern or any("*" in w[:-1] for w in pattern.split())


def _seg_at(seg: str, tok: str, i: int) -> bool:
    """``seg`` (``?`` = any one character) at position ``i`` of ``tok``."""
    if i < 0 or i + len(seg) > len(tok):
        return False
    return all(c == "?" or c == tok[i + k] for k, c in enumerate(seg))


def glob_word(word: str):
    """A predicate for one glob word: ``*`` any run of characters, ``?`` one character.

    No regular expression and no backtracking: the pieces between ``*`` are found
    leftmost, one after the other (leftmost leaves the most room for the rest, so
    this is exact), at most ``len(token) * len(word)`` character comparisons.

    Examples
    --------
    >>> [glob_word("multi*ism")(t) for t in ("multilateralism", "multism", "multi")]
    [True, False, False]
    >>> [glob_word("*lateral")(t) for t in ("unilateral", "lateral", "laterally")]
    [True, True, False]
    """
    parts = word.split("*")
    if len(parts) == 1:
        return lambda tok: len(tok) == len(word) and _seg_at(word, tok, 0)
    first, mid, last, need = parts[0], [p for p in parts[1:-1] if p], parts[-1], len(word)

    def match(tok: str) -> bool:
        end = len(tok) - len(last)
        if len(tok) < need - word.count("*") or not _seg_at(first, tok, 0):
            return False
        if not _seg_at(last, tok, end):
            return False
        pos = len(first)
        for seg in mid:
            pos = next((j for j in range(pos, end - len(seg) + 1) if _seg_at(seg, tok, j)), -1)
            if pos < 0:
                return False
            pos += len(seg)
        return True

    return match


class GlobMatcher:
    """A KWIC pattern of glob words matched token by token (the :class:`Matcher` interface).

    Each word of the pattern matches one token (:func:`glob_word`); a phrase matches
    consecutive tokens. Matches do not overlap; the cost is linear in the tokens.
    """

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern.strip()
        self.words = [glob_word(w) for w in normalize(self.pattern).split()]

    def match(self, tokens: list[str]) -> list[tuple[int, str, int, int]]:
        """Hits in one sentence: (0, pattern, start, end), leftmost first."""
        out, i, n = [], 0, len(self.words)
        while i + n <= len(tokens):
            if all(w(tokens[i + k]) for k, w in enumerate(self.words)):
                out.append((0, self.pattern, i, i + n))
                i += n
            else:
                i += 1
        return out


# ---------------------------------------------------------------------- export

EXPORT_TARGETS = ("liwc", "quanteda")
_LIWC_UNSAFE = re.compile(r"[()/%\t]")  # LIWC reads these as conditional entries or markers


def _unsupported(lexicon: Lexicon, to: str) -> list[str]:
    """What ``to`` cannot express and matching depends on: one description per item."""
    out = []
    for fname, f in lexicon.frames.items():
        out += [f"exclude {e!r} of {fname}" for e in f.exclude]
        out += [f"proximity rule {r.name!r} of {fname}" for r in f.near]
        if to == "liwc":
            out += [f"term {t!r} of {fname} ({why})" for t in f.terms if (why := _liwc_why(t))]
    return out


def _liwc_why(term: str) -> str:
    """Why LIWC cannot hold ``term`` as it is ('' when it can)."""
    if _LIWC_UNSAFE.search(term):
        return "'(', '/', '%' or a tab mean something else in LIWC"
    if "*" in term[:-1]:
        return "LIWC has '*' only at the end of an entry"
    return ""


def _liwc_text(terms: dict[str, list[str]]) -> str:
    codes = {fname: i for i, fname in enumerate(terms, 1)}
    lines = ["%", *(f"{i}\t{fname}" for fname, i in codes.items()), "%"]
    entries: dict[str, tuple[str, list[int]]] = {}
    for fname, ts in terms.items():
        for t in ts:
            word, cats = entries.setdefault(t.lower(), (t, []))
            cats.append(codes[fname])
    lines += ["\t".join([word, *map(str, cats)]) for word, cats in entries.values()]
    return "\n".join(lines) + "\n"


def export_lexicon(
    lexicon: Lexicon, to: str, drop_unsupported: bool = False
) -> tuple[str, list[str], list[str]]:
    """A lexicon as a LIWC ``.dic`` or a quanteda YAML dictionary (``dictionary(file=)``).

    Terms (phrases and trailing ``*`` included) map to the target's categories or keys,
    one per frame. What the target cannot express but matching depends on — excludes,
    proximity rules, and for LIWC terms holding ``(``, ``/``, ``%``, a tab or a ``*`` before
    their end — is refused,
    or with ``drop_unsupported`` left out and listed. Labels, descriptions and examples
    have no place in either format; a note says so. ``lexicon convert`` reads the result
    back into the same frames and terms.

    Parameters
    ----------
    lexicon : Lexicon
    to : {"liwc", "quanteda"}
    drop_unsupported : bool
        Export without what the target cannot express (listed in the second item).

    Returns
    -------
    tuple of (str, list of str, list of str)
        The text, what was dropped, and notes on what the format does not carry.

    Raises
    ------
    LexiconError
        An unknown target, or something the target cannot express without
        ``drop_unsupported`` (one line naming it).
    """
    if to not in EXPORT_TARGETS:
        raise LexiconError(f"`to` {to!r} is not known; use one of {', '.join(EXPORT_TARGETS)}")
    dropped = _unsupported(lexicon, to)
    if dropped and not drop_unsupported:
        more = f" and {len(dropped) - 1} more" if len(dropped) > 1 else ""
        raise LexiconError(
            f"{lexicon.name} cannot be exported to {to} as it is: {dropped[0]}{more} cannot be "
            f"expressed there; use `drop_unsupported` to export without them (they are listed)"
        )
    liwc = to == "liwc"
    terms = {
        n: [t for t in f.terms if not (liwc and _liwc_why(t))] for n, f in lexicon.frames.items()
    }
    empty = [n for n, ts in terms.items() if not ts]
    if empty:
        raise LexiconError(f"frame {empty[0]!r} has no term {to} can express; nothing to export")
    text = _liwc_text(terms) if to == "liwc" else safeyaml.dump(terms)
    notes = [
        f"not carried by {to}: the lexicon's name and version, and each frame's label, "
        "description and examples"
    ]
    return text, dropped, notes
