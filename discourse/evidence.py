"""Evidence behind the numbers: keyness, keyword in context, trends, pairwise tests, lexicon checks.

The store-facing side of issue 4: each function reads articles from a
:class:`~discourse.store.Store` (through a :class:`~discourse.store.Selection`),
tokenizes and matches them with the project's tokenizer and lexicon matcher,
gathers counts, and hands them to the pure functions in :mod:`discourse.stats`.
Each returns an :class:`Evidence`: flat records (one dict per row, JSON-safe:
missing values are ``None``), a ``meta`` dict (provenance, the rule that was
applied, notes for the user) and, where one table is not enough, named extra
``tables``. Rendering is left to :mod:`discourse.render`.

* :func:`keyness` — log-odds ratio with informative Dirichlet prior per source
  (each against the rest, or against one other), unigrams and bigrams, optionally
  within the sentences that carry a frame;
* :func:`kwic` — keyword in context for a term, a phrase with ``*`` wildcards or
  ``frame:NAME``; sentence-bounded or a fixed token window; sampling;
* :func:`trend` — prevalence and intensity per period and source, with periods
  that depart from the trailing baseline flagged (binomial test);
* :func:`pairwise` — every pair of sources per frame: difference in prevalence
  with Newcombe interval and corrected p-values;
* :func:`lexicon_stats` — per term firings, articles and sources; dead and
  generic terms; spans counted for several frames;
* :func:`suggest` — candidate new terms for a frame from keyness of its
  sentences against the rest.

Streaming: articles are read one at a time and only counts are kept, so memory
grows with the vocabulary, not with the corpus.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from importlib import resources

from discourse import stats as st
from discourse.dates import period_of, periods_between
from discourse.errors import InputError
from discourse.lexicon import Frame, GlobMatcher, Lexicon, Matcher, is_glob
from discourse.models import Article, Sentence
from discourse.provenance import provenance
from discourse.scoring import Scorer, iter_scores
from discourse.shared import DEFAULT_BOOT, DEFAULT_SEED, Progress
from discourse.stats import Reservoir
from discourse.store import Selection, Store
from discourse.tokenize import SENTENCE_SEP, Tokenizer, normalize, tokenize_terms
from discourse.workers import imap

ALL_SOURCES = "all sources"
KEYNESS_METHOD = (
    "log-odds ratio with informative Dirichlet prior (Monroe, Colaresi & Quinn 2008); "
    "prior = counts of the whole selection{scaled}; z = delta / sqrt(1/(y_a+a_w) + 1/(y_b+a_w))"
)
PAIRWISE_METHOD = (
    "difference in prevalence (A - B, percentage points) with Newcombe's hybrid score 95% "
    "interval; p from the pooled two-proportion z test, or Fisher's exact test when an "
    "expected count is below 5; {correction} within each frame{per_period}"
)
_CORRECTION_NAMES = {
    "holm": "Holm-corrected",
    "bh": "Benjamini-Hochberg (FDR) corrected",
    "none": "uncorrected",
}


@dataclass
class Evidence:
    """The result of an evidence function: flat records, provenance and extra tables."""

    records: list[dict]
    meta: dict
    tables: dict[str, list[dict]] = field(default_factory=dict)

    @property
    def notes(self) -> list[str]:
        """Messages for the user (empty selections, groups without data); print to stderr."""
        return self.meta.get("notes", [])

    def to_dict(self) -> dict:
        """``{"meta": ..., "records": ..., <table>: ...}`` for JSON output."""
        return {"meta": self.meta, "records": self.records, **self.tables}


# ------------------------------------------------------------------ stop words


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """The shipped English stop-word list (``discourse/stopwords.txt``), normalized."""
    text = resources.files("discourse").joinpath("stopwords.txt").read_text(encoding="utf-8")
    words: set[str] = set()
    for line in text.splitlines():
        words.update(line.split("#", 1)[0].lower().split())
    return frozenset(words)


def _stop(use_shipped: bool, extra: Sequence[str] = ()) -> frozenset[str]:
    base = stopwords() if use_shipped else frozenset()
    return base | frozenset(normalize(w.strip()) for w in extra if w.strip())


def _is_content(tok: str, stop: frozenset[str]) -> bool:
    """A word with at least one letter that is not a stop word (numbers and punctuation are not)."""
    return tok[0].isalnum() and tok not in stop and any(c.isalpha() for c in tok)


def ngrams(
    tokens: Sequence[str],
    sizes: Sequence[int] = (1, 2),
    stop: frozenset[str] = frozenset(),
    masked: set[int] | frozenset[int] = frozenset(),
) -> Iterator[tuple[int, str]]:
    """``(n, gram)`` for the unigrams and bigrams of a sentence's normalized tokens.

    Only content words count (:func:`_is_content`); a stop word, punctuation, a
    number or a masked token index breaks a bigram, so bigrams are adjacent
    content words (``mutual trust``, ``cold war``). Bigrams are joined by a space.
    """
    prev: str | None = None
    want1, want2 = 1 in sizes, 2 in sizes
    for i, tok in enumerate(tokens):
        if i in masked or not _is_content(tok, stop):
            prev = None
            continue
        if want1:
            yield 1, tok
        if want2 and prev is not None:
            yield 2, f"{prev} {tok}"
        prev = tok


# ---------------------------------------------------------------------- helpers


def _meta(store: Store, sel: Selection, lexicon: Lexicon | None = None, **extra) -> dict:
    first, last = store.date_range(sel)
    meta = provenance(
        lexicon,
        n_articles=store.count(sel),
        n_sources=len(store.sources(sel)),
        date_from=first,
        date_to=last,
        since=sel.since,
        until=sel.until,
        **extra,
    )
    meta.setdefault("notes", [])
    return meta


def _check_frame(lexicon: Lexicon | None, frame: str, option: str = "`frame`") -> int:
    if lexicon is None:
        raise InputError(f"{option} {frame!r} needs a lexicon")
    if frame not in lexicon.frames:
        raise InputError(
            f"no frame {frame!r} in {lexicon.name}; frames: {', '.join(lexicon.frames)}"
        )
    return lexicon.frame_names.index(frame)


def _check_known(names: Sequence[str], known: Sequence[str], option: str) -> None:
    for name in names:
        if name not in known:
            listing = ", ".join(known) or "none"
            raise InputError(f"unknown source {name!r} for {option}; sources: {listing}")


def _check_counts(min_count: int, top: int) -> None:
    if min_count < 1:
        raise InputError(f"`min_count` {min_count} must be at least 1")
    if top < 0:
        raise InputError(f"`top` {top} must be 0 (all) or more")


def _check_ngrams(sizes: Sequence[int] | str) -> tuple[int, ...]:
    if isinstance(sizes, str):
        return parse_ngram(sizes)
    return parse_ngram(",".join(map(str, sizes)))


def parse_ngram(text: str) -> tuple[int, ...]:
    """``"1"``, ``"2"`` or ``"1,2"`` (the ``--ngram`` option) -> n-gram sizes."""
    try:
        sizes = tuple(int(p) for p in str(text).split(",") if p.strip())
    except ValueError:
        sizes = ()
    if not sizes or any(n not in (1, 2) for n in sizes):
        raise InputError(f"`ngram` {text!r} is not supported; use 1, 2 or 1,2")
    return tuple(sorted(set(sizes)))


def _articles(store: Store, sel: Selection, progress: Progress | None) -> Iterator[Article]:
    """Stream the selection's articles, reporting the count done every 200 articles."""
    done = 0
    for art in store.iter_articles(sel):
        yield art
        done += 1
        if progress is not None and done % 200 == 0:
            progress(done)
    if progress is not None and done % 200:
        progress(done)


def _scored(
    store: Store,
    sel: Selection,
    scorer: Scorer,
    progress: Progress | None,
    group: str | None = None,
    workers: int = 1,
) -> Iterable:
    """Scores of the selection's articles, through the store's score cache (as ``compare``),
    in ``workers`` processes; with ``group``, the source replaced by that document
    variable's value."""
    return iter_scores(  # cached articles' texts are not read (iter_scores reads the others')
        st.by_meta(store.iter_articles(sel, text=store.in_memory), group),
        scorer,
        store=store,
        use_cache=not store.in_memory,
        progress=progress,
        workers=workers,
    )


def _per_article(
    store: Store, sel: Selection, progress: Progress | None, workers: int, fn, *args
) -> Iterator:
    """``fn(*args, article)`` for each article of the selection, in order, in ``workers``
    processes (:func:`discourse.workers.imap`); small selections stay in this process."""
    return imap(_articles(store, sel, progress), partial(_each, fn, args), workers)


def _each(fn, args: tuple, articles: list[Article]) -> list:
    return [fn(*args, art) for art in articles]


def _space(text: str) -> str:
    """Collapse runs of whitespace (newlines included) to one space, keeping edge spaces."""
    return re.sub(r"\s+", " ", text)


# ---------------------------------------------------------------------- keyness


KEYNESS_TESTS = {
    "chi2": "chi-square",
    "lr": "likelihood-ratio G2",
}
KEYNESS_TEST_METHOD = (
    "signed {name} of each term's 2x2 table (term vs other tokens, source vs comparison) as "
    "quanteda's textstat_keyness computes it: Yates' correction when |ad - bc| >= N/2 and an "
    "expected count is below 5; positive = used more than expected; p = 1 - pchisq(|stat|, 1)"
)
#: Per measure: the record's column that ranks the terms.
KEYNESS_STAT = {"logodds": "z", "chi2": "chi2", "lr": "G2"}


def _keyness_statistic(prior_size: float | None, measure: str = "logodds") -> str:
    if measure != "logodds":
        return KEYNESS_TEST_METHOD.format(name=KEYNESS_TESTS[measure])
    return KEYNESS_METHOD.format(scaled=f", rescaled to a0 = {prior_size:g}" if prior_size else "")


def _check_measure(measure: str, prior_size: float | None) -> None:
    if measure not in st.KEYNESS_MEASURES:
        raise InputError(
            f"`measure` {measure!r} is not known; use one of {', '.join(st.KEYNESS_MEASURES)}"
        )
    if prior_size is not None and measure != "logodds":
        raise InputError(f"`prior_size` applies to `measure` logodds only, not {measure!r}")


def _evident(r: dict) -> bool:
    """Over-used with some evidence: the statistic is positive at the two decimals shown."""
    return round(r["z"] if "z" in r else r["stat"], 2) > 0


def _keyness_groups(known: list[str], sources, vs: str | None) -> tuple[str | None, list[str]]:
    """The sources to describe and the one to compare with (None: the rest), checked."""
    if vs is not None:
        _check_known([vs], known, "`vs`")
    focus = list(sources) if sources else [s for s in known if s != vs]
    _check_known(focus, known, "`source`")
    if vs is not None and vs in focus:
        raise InputError(f"`vs` {vs!r} is also a `source`; compare a source with another one")
    return vs, focus


def _keyness_notes(known, focus, vs, n_sent: Counter, frame: str | None) -> list[str]:
    notes: list[str] = []
    where = f"sentences carrying {frame}" if frame else "articles"
    if not known:
        notes.append("no articles in the selection; nothing to compare")
    for s in focus:
        if not n_sent[s]:
            notes.append(f"{s}: no {where} in the selection; no keyness terms")
    if vs is not None and not n_sent[vs]:
        notes.append(f"{vs}: no {where} in the selection to compare with")
    return notes


def _keyness_record(source: str, vs, frame, n: int, rank: int, r: dict) -> dict:
    rec = {
        "source": source,
        "vs": vs or "rest",
        "frame": frame or "",
        "ngram": n,
        "rank": rank,
        "term": r["term"],
        "count": r["count_a"],
        "count_vs": r["count_b"],
        "per_1k": r["per_1k_a"],
        "per_1k_vs": r["per_1k_b"],
    }
    if "stat" in r:  # chi2 or lr: the statistic and its p-value instead of log-odds and z
        rec.update({KEYNESS_STAT[r["measure"]]: r["stat"], "p": r["p"]})
    else:
        rec.update({"log_odds": r["log_odds"], "z": r["z"]})
    return rec


def keyness(
    store: Store,
    sel: Selection | None = None,
    *,
    sources: Sequence[str] | None = None,
    vs: str | None = None,
    frame: str | None = None,
    lexicon: Lexicon | None = None,
    ngram: str | Sequence[int] = (1, 2),
    min_count: int = 5,
    top: int = 20,
    use_stopwords: bool = True,
    extra_stopwords: Sequence[str] = (),
    prior_size: float | None = None,
    measure: str = "logodds",
    tokenizer: Tokenizer | None = None,
    progress: Progress | None = None,
    workers: int = 1,
) -> Evidence:
    """Which words does each source use more than the others? (Monroe et al. 2008 keyness.)

    Counts unigrams and bigrams (:func:`ngrams`) per source over the articles
    of ``sel`` — or, with ``frame``, only over the sentences in which the
    lexicon's ``frame`` fires — and ranks, for each source in ``sources``
    (default: every source in the selection), the terms it over-uses against
    the rest of the selection (``vs`` None or ``"rest"``) or against the source
    ``vs``. The prior is the combined counts of the whole selection
    (:func:`discourse.stats.keyness_groups`). Terms counted fewer than
    ``min_count`` times in the two groups together are left out; ``top`` (0 =
    all) terms with ``z > 0`` are kept per source and n-gram size. Stop words:
    the shipped list (``use_stopwords``) plus ``extra_stopwords``. Articles are
    counted in ``workers`` processes (the same records whatever their number).

    ``measure`` ``"chi2"`` or ``"lr"`` ranks by quanteda's signed chi-square or G²
    (:func:`discourse.stats.keyness_tests`) instead of the log-odds z. Terms whose
    statistic is 0.00 at the two decimals shown carry no evidence and are left out
    (a note counts them).

    Records: ``source, vs, frame, ngram, rank, term, count, count_vs, per_1k,
    per_1k_vs, log_odds, z`` (``chi2, p`` or ``G2, p`` for the other measures).
    """
    _check_measure(measure, prior_size)
    sel, tokenizer = sel or Selection(), tokenizer or Tokenizer()
    sizes = _check_ngrams(ngram)
    _check_counts(min_count, top)
    known = store.sources(sel)
    vs, focus = _keyness_groups(known, sources, None if vs == "rest" else vs)
    fi = _check_frame(lexicon, frame) if frame else None
    matcher = Matcher(lexicon) if frame else None  # type: ignore[arg-type]
    stop = _stop(use_stopwords, extra_stopwords)
    task = (tokenizer, matcher, fi, sizes, stop)
    cacheable = frame is None and prior_size is None and not store.in_memory
    counts, n_sent = _keyness_counts(store, sel, known, task, cacheable, progress, workers)
    notes = _keyness_notes(known, focus, vs, n_sent, frame)
    records, left_out = _keyness_ranked(
        counts, focus, vs, frame, prior_size, min_count, top, measure
    )
    tokens = {s: sum(counts[1][s].values()) if 1 in counts else None for s in known}
    meta = _meta(
        store,
        sel,
        lexicon if frame else None,
        statistic=_keyness_statistic(prior_size, measure),
        measure=measure,
        frame=frame,
        vs=vs or "rest",
        ngram=list(sizes),
        min_count=min_count,
        top=top,
        stopwords=use_stopwords,
        sentences=dict(n_sent),
        content_tokens=tokens,
        notes=notes + left_out,
    )
    return Evidence(records, meta)


def _keyness_ranked(counts, focus, vs, frame, prior_size, min_count, top, measure):
    """The kept records per source and n-gram size, and a note on terms left out."""
    records: list[dict] = []
    dropped = 0
    for n, per_source in counts.items():
        res = st.keyness_groups(
            {s: dict(c) for s, c in per_source.items()}, focus, vs, prior_size, min_count, measure
        )
        for s in focus:
            over = [
                {**r, "measure": measure} for r in res.get(s, []) if r.get("z", r.get("stat")) > 0
            ]
            rows = [r for r in over if _evident(r)]
            shown = top or len(over)
            dropped += min(len(over), shown) - min(len(rows), shown)
            records += [
                _keyness_record(s, vs, frame, n, rank, r)
                for rank, r in enumerate(rows[:top] if top else rows, 1)
            ]
    notes = (
        [f"{dropped} terms with {KEYNESS_STAT[measure]} = 0.00 (no evidence of over-use) left out"]
        if dropped
        else []
    )
    return records, notes


def _keyness_counts(store, sel, known, task: tuple, cacheable: bool, progress, workers):
    """(n -> source -> n-gram Counter, sentences counted per source) over the selection;
    ``cacheable`` counts (every sentence, the prior from the counts) go through the store's
    keyness cache (:func:`_keyness_incremental`)."""
    sizes = task[3]
    counts: dict[int, dict[str, Counter]] = {n: {s: Counter() for s in known} for n in sizes}
    if cacheable:
        return counts, _keyness_incremental(store, sel, counts, task, progress, workers)
    n_sent: Counter = Counter()
    for source, n_in, grams in _per_article(store, sel, progress, workers, _keyness_art, *task):
        if n_in:
            n_sent[source] += n_in
        for n in sizes:
            counts[n][source].update(grams[n])
    return counts, n_sent


#: Bumped when the counting of :func:`_all_grams` changes (old cached counts then miss).
KEYNESS_CACHE_VERSION = 1


def _keyness_incremental(store, sel, counts: dict, task: tuple, progress, workers) -> Counter:
    """Fill ``counts`` (n -> source -> Counter) over the whole selection, from the store's
    keyness cache where it holds a source's counts of the same selection and settings
    (a file store): only articles added since (higher ids) are tokenized, unless an
    article counted then has left the selection or changed (that source is counted
    afresh). Writes the new counts back; returns the sentences per source."""
    from discourse import __version__

    tokenizer, _, _, sizes, stop = task
    where = sel.where()
    parts = [KEYNESS_CACHE_VERSION, __version__, tokenizer.engines, sizes, sorted(stop), where]
    key = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()
    keys = store.article_keys(sel)
    by_src: dict[str, list[tuple[int, str]]] = {}
    for aid, src, ident in keys:
        by_src.setdefault(src, []).append((aid, ident))
    todo: set[int] = set()
    sents: Counter = Counter()
    cached = store.keyness_cached(key)
    for src, items in by_src.items():
        upto, fp, payload = cached.get(src, (0, "", {}))
        if payload and _fingerprint(a for a in items if a[0] <= upto) == fp:
            sents[src] += payload["sentences"]
            for n in sizes:
                counts[n][src].update(payload[str(n)])
            todo.update(aid for aid, _ in items if aid > upto)
        else:
            todo.update(aid for aid, _ in items)
    done = len(keys) - len(todo)
    if progress is not None and done:
        progress(done)
    fresh = _texts_of(store, [(aid, src) for aid, src, _ in keys if aid in todo])
    for src, n_in, grams in imap(fresh, partial(_each, _keyness_art, task), workers):
        sents[src] += n_in
        for n in sizes:
            counts[n][src].update(grams[n])
        done += 1
        if progress is not None and done % 200 == 0:
            progress(done)
    put = []
    for src, items in by_src.items():
        payload = {str(n): counts[n][src] for n in sizes}
        put.append((src, max(items)[0], _fingerprint(items), {**payload, "sentences": sents[src]}))
    if todo:
        store.put_keyness(key, put)
    first = [src for src in dict.fromkeys(src for _, src, _ in keys) if sents[src]]
    return Counter({src: sents[src] for src in first})


def _fingerprint(items: Iterable[tuple[int, str]]) -> str:
    """A digest of (id, identity) pairs, in id order."""
    h = hashlib.sha256()
    for aid, ident in sorted(items):
        h.update(f"{aid} {ident}\n".encode())
    return h.hexdigest()


def _texts_of(store: Store, items: list[tuple[int, str]]) -> Iterator[Article]:
    """The articles ``(id, source)`` with their texts, read 200 at a time, in order."""
    for i in range(0, len(items), 200):
        part = items[i : i + 200]
        texts = store.texts([aid for aid, _ in part])
        for aid, src in part:
            if aid in texts:
                yield Article(texts[aid], src, id=aid)


def _keyness_art(tokenizer, matcher, fi, sizes, stop, art: Article) -> tuple:
    """(source, sentences counted, n-gram counts per size) of one article."""
    if matcher is None:
        return art.source, *_all_grams(tokenizer, sizes, stop, art.text)
    grams: dict[int, Counter] = {n: Counter() for n in sizes}
    n_in = 0
    for sent in tokenizer.sentences(art.text):
        if matcher is not None and not any(h[0] == fi for h in matcher.match(sent.tokens)):
            continue
        n_in += 1
        for n, gram in ngrams(sent.tokens, sizes, stop):
            grams[n][gram] += 1
    return art.source, n_in, grams


def _all_grams(tokenizer, sizes, stop, text: str) -> tuple[int, dict[int, Counter]]:
    """(sentences, n-gram counts per size) over every sentence of ``text``: the counts of
    :func:`ngrams` over :meth:`Tokenizer.sentences`, from the flat token list, each
    token's content test done once per article (the same keys in the same order)."""
    _, spans, flat, _ = tokenizer.flat_tokens(text)
    content: dict[str, bool] = {SENTENCE_SEP: False}
    for tok in flat:
        if tok not in content:
            content[tok] = _is_content(tok, stop)
    grams: dict[int, Counter] = {n: Counter() for n in sizes}
    if 1 in sizes:
        grams[1] = Counter({t: c for t, c in Counter(flat).items() if content[t]})
    if 2 in sizes:  # adjacent content words (the separator is not one)
        grams[2] = Counter(f"{a} {b}" for a, b in zip(flat, flat[1:]) if content[a] and content[b])
    return len(spans), grams


# ------------------------------------------------------------------------- kwic


def _pattern_matcher(pattern: str, lexicon: Lexicon | None) -> tuple[Matcher, int, str]:
    """A matcher for a KWIC pattern: ``frame:NAME``, a term/phrase with ``*`` at word ends,
    or glob words (``*lateral``, ``multi*ism``, ``?``) matched by :class:`GlobMatcher`."""
    p = pattern.strip()
    if p.lower().startswith("frame:"):
        name = p[6:].strip()
        fi = _check_frame(lexicon, name, "PATTERN frame:")
        return Matcher(lexicon), fi, name  # type: ignore[arg-type]
    toks = tokenize_terms(p)
    if not toks:
        raise InputError(f"PATTERN {pattern!r} has no words; give a term, a phrase or frame:NAME")
    if any(not w.strip("*?") for w in p.split()):
        raise InputError(
            f"PATTERN {pattern!r}: a word of only '*' or '?' matches nearly every token; "
            "give letters too, e.g. 'hegemon*', '*lateral' or 'multi*ism'"
        )
    if is_glob(p):
        return GlobMatcher(p), 0, ""  # type: ignore[return-value]
    lex = Lexicon(
        name="kwic",
        version="0",
        language="en",
        description="",
        frames={"pattern": Frame(name="pattern", label="pattern", description="", terms=[p])},
    )
    return Matcher(lex), 0, ""


def _doc_spans(sentences: list[Sentence], tokenizer: Tokenizer) -> tuple[list, list[int]]:
    """Article-level token spans, and the index of each sentence's first token in them."""
    spans: list[tuple[int, int]] = []
    offsets: list[int] = []
    for s in sentences:
        offsets.append(len(spans))
        spans += [(s.start + a, s.start + b) for a, b in tokenizer.token_spans(s.text)]
    return spans, offsets


def _kwic_rows(art, tokenizer, matcher, fi: int, frame: str, window: int | None):
    """Every hit of frame index ``fi`` in one article, as a KWIC record."""
    sentences = tokenizer.sentences(art.text)
    doc = None
    for s in sentences:
        found = [h for h in matcher.match(s.tokens) if h[0] == fi]
        if not found:
            continue
        spans = tokenizer.token_spans(s.text)
        for _, term, a, b in found:
            if b - 1 >= len(spans):  # tokenization mismatch (exotic case folding)
                continue
            cs, ce = spans[a][0], spans[b - 1][1]
            start, end = s.start + cs, s.start + ce
            if window is None:
                left, right = s.text[:cs], s.text[ce:]
            elif window == 0:
                left = right = ""
            else:
                if doc is None:
                    doc = _doc_spans(sentences, tokenizer)
                dspans, offsets = doc
                ga, gb = offsets[s.index] + a, offsets[s.index] + b - 1
                left = art.text[dspans[max(0, ga - window)][0] : start]
                right = art.text[end : dspans[min(len(dspans) - 1, gb + window)][1]]
            yield {
                "id": art.id,
                "source": art.source,
                "date": art.day,
                "title": art.title,
                "sentence": s.index,
                "start": start,
                "end": end,
                "left": _space(left),
                "keyword": _space(art.text[start:end]),
                "right": _space(right),
                "term": term,
                "frame": frame,
            }


def _kwic_list(tokenizer, matcher, fi: int, frame: str, window: int | None, art) -> list:
    return list(_kwic_rows(art, tokenizer, matcher, fi, frame, window))


def _kwic_collect(per_art: Iterator[list], keep: Reservoir | None, limit: int | None):
    """(rows in corpus order as (index, row), hits seen, truncated by ``limit``)."""
    rows: list[tuple[int, dict]] = []
    seen = 0
    truncated = False
    for art_rows in per_art:
        for row in art_rows:
            if keep is not None:
                keep.add((seen, row))
            else:
                rows.append((seen, row))
            seen += 1
            if keep is None and limit is not None and len(rows) >= limit:
                truncated = True
                break
        if truncated:
            per_art.close()  # type: ignore[attr-defined]  # stop the workers
            break
    if keep is not None:
        rows = list(keep.items)
    rows.sort(key=lambda r: r[0])
    return rows, seen, truncated


def kwic(
    store: Store,
    pattern: str,
    sel: Selection | None = None,
    *,
    lexicon: Lexicon | None = None,
    window: int | None = None,
    limit: int | None = None,
    sample: int | None = None,
    seed: int = DEFAULT_SEED,
    tokenizer: Tokenizer | None = None,
    progress: Progress | None = None,
    workers: int = 1,
) -> Evidence:
    """Keyword in context: every occurrence of ``pattern`` with its left and right context.

    ``pattern`` is a term or phrase matched like a lexicon term (case-insensitive,
    on tokens; ``*`` at the end of a word matches any continuation: ``hegemon*``,
    ``win-win coop*``), or ``frame:NAME`` for every counted hit of a frame of
    ``lexicon``. Context is the rest of the sentence (``window`` None) or
    ``window`` tokens on each side, across sentence boundaries (punctuation
    tokens count). ``sample`` draws a uniform random sample of that many hits
    (reservoir sampling, reproducible with ``seed``) and keeps corpus order;
    ``limit`` caps the rows (after sampling). Articles are searched in ``workers``
    processes (the same records whatever their number).

    Records: ``id, source, date, title, sentence, start, end, left, keyword,
    right, term, frame``; ``start``/``end`` are character offsets of the keyword
    in the article text; the context has whitespace runs collapsed to one space.
    """
    sel = sel or Selection()
    tokenizer = tokenizer or Tokenizer()
    if window is not None and window < 0:
        raise InputError(f"`window` {window} must be 0 or more tokens")
    if sample is not None and sample < 1:
        raise InputError(f"`sample` {sample} must be at least 1")
    if limit is not None and limit < 1:
        raise InputError(f"`limit` {limit} must be at least 1")
    matcher, fi, frame = _pattern_matcher(pattern, lexicon)
    keep = Reservoir(sample, random.Random(seed)) if sample is not None else None
    task = (tokenizer, matcher, fi, frame, window)
    per_art = _per_article(store, sel, progress, workers, _kwic_list, *task)
    rows, seen, truncated = _kwic_collect(per_art, keep, limit)
    records = [r for _, r in rows]
    if limit is not None and len(records) > limit:
        records, truncated = records[:limit], True
    notes = []
    if not seen:
        notes.append(f"no match for {pattern!r} in the selection")
    meta = _meta(
        store,
        sel,
        lexicon if frame else None,
        pattern=pattern,
        frame=frame or None,
        window=window,
        context="sentence" if window is None else f"{window} tokens each side",
        matches=seen if not truncated or sample is not None else None,
        shown=len(records),
        sample=sample,
        seed=seed if sample is not None else None,
        limit=limit,
        truncated=truncated,
        notes=notes,
    )
    return Evidence(records, meta)


# ------------------------------------------------------------------------ trend


def _trend_series(agg: st.Aggregate, src: str, frame: str, periods: list[str], deps: dict):
    """One source's series for one frame: every period, departures flagged."""
    empty = st.GroupFrame()
    cells = [agg.groups.get((src, p), {}).get(frame, empty) for p in periods]
    flags = st.trend_departures([(c.n_present, c.n_articles) for c in cells], **deps)
    for p, c, d in zip(periods, cells, flags):
        lo, hi = st.wilson(c.n_present, c.n_articles)
        hits, tokens = sum(c.hits), sum(c.tokens)
        yield {
            "source": src,
            "period": p,
            "frame": frame,
            "n_articles": c.n_articles,
            "n_present": c.n_present,
            "prevalence": c.n_present / c.n_articles if c.n_articles else None,
            "prevalence_lo": lo,
            "prevalence_hi": hi,
            "hits": hits,
            "tokens": tokens,
            "per_1k": 1000.0 * hits / tokens if tokens else None,
            **d,
        }


def trend(
    store: Store,
    lexicon: Lexicon,
    sel: Selection | None = None,
    *,
    by: str = "week",
    frames: Sequence[str] | None = None,
    window: int = 4,
    alpha: float = 0.05,
    min_baseline: int = 3,
    combine: bool = False,
    scorer: Scorer | None = None,
    progress: Progress | None = None,
    validation=None,
    n_boot: int = DEFAULT_BOOT,
    seed: int = DEFAULT_SEED,
    workers: int = 1,
) -> Evidence:
    """Prevalence and intensity per period (``week``/``month``) and source, departures flagged.

    Every calendar period from the first to the last dated article appears for every
    source (empty: ``n_articles`` 0 and Nones). Prevalence has a Wilson 95% interval;
    intensity is pooled hits per 1,000 tokens. Departures: :func:`discourse.stats.trend_departures`
    (exact binomial test of the period's count of articles with the frame
    against the trailing ``window`` periods; rule text in ``meta["rule"]``).
    ``combine`` pools all sources into one series (source ``"all sources"``).
    ``by`` may add ``meta:KEY`` (``month,meta:country``): one series per value of that
    document variable instead of per source (``(none)``: articles without it).
    Undated articles are left out and counted in ``meta["undated_left_out"]``.
    Scores through the cache in ``workers`` processes; ``validation`` (a coded
    validation sample) adds corrected shares (:func:`_trend_correct`).
    """
    sel = sel or Selection()
    by, group = _trend_by(by)
    if window < 1:
        raise InputError(f"`window` {window} must be at least 1 period")
    if not 0 < alpha < 1:
        raise InputError(f"`alpha` {alpha} must be between 0 and 1")
    scorer = scorer or Scorer(lexicon)
    names = list(frames) if frames else list(scorer.frames)
    for f in names:
        _check_frame(lexicon, f)

    def key(sc):
        day = sc.article.day
        return (ALL_SOURCES if combine else sc.article.source, period_of(day, by)) if day else None

    stream = _scored(store, sel, scorer, progress, group=group, workers=workers)
    fix = _trend_validation(validation, names, scorer, key) if validation is not None else None
    agg = st.aggregate(fix[1].wrap(stream) if fix else stream, names, key)
    first, last, undated = agg.first, agg.last, agg.undated
    periods = periods_between(first, last, by) if first and last else []
    sources = [ALL_SOURCES] if combine else store.sources(sel)
    if group is not None and not combine:
        sources = sorted({k[0] for k in agg.groups})
    deps = {"window": window, "alpha": alpha, "min_baseline": min_baseline}
    records = [
        r for src in sources for f in names for r in _trend_series(agg, src, f, periods, deps)
    ]
    notes = _trend_notes(periods, undated)
    meta = _meta(
        store,
        sel,
        lexicon,
        by=by,
        frames=names,
        periods=periods,
        window=window,
        alpha=alpha,
        min_baseline=min_baseline,
        combined=combine,
        rule=st.TREND_RULE.format(window=window, alpha=alpha, min_baseline=min_baseline),
        undated_left_out=undated,
        notes=notes,
    )
    if fix:
        meta["corrected_with"] = _trend_correct(records, agg, *fix, n_boot=n_boot, seed=seed)
    if group is not None:
        meta["group"] = f"meta:{group}"
    return Evidence(records, meta)


def _trend_notes(periods: list, undated: int) -> list[str]:
    """What a trend leaves out: no dated articles at all, or the undated ones."""
    notes = []
    if not periods:
        notes.append("no dated articles in the selection; no trend to show")
    if undated:
        notes.append(f"{undated} undated article{'s' if undated != 1 else ''} left out")
    return notes


def _trend_validation(validation, names: Sequence[str], scorer: Scorer, key):
    """The validation sample of a corrected trend and a collector of per-period counts."""
    from discourse import correction as corr

    val = corr.read_validation(validation, names, use_prob=False)
    corr.check_method(val, scorer.method)
    return val, corr.CountsCollector(names, ("source", "period"), key, unit=val.unit)


def _trend_correct(records: list[dict], agg, val, collector, n_boot: int, seed: int) -> dict:
    """Corrected shares per period and source on the trend's records; the correction's meta.

    A sentence sample corrects the sentence share (added to the records as
    ``sentence_share``), an article sample the prevalence. The bootstrap resamples the
    articles of each period and source, and the validation sample once per replicate,
    shared by every period, so that periods are compared on the same error rates.
    """
    from discourse import correction as corr

    fixed = corr.corrected_shares(collector.counts(), val, n_boot=n_boot, seed=seed)
    if val.unit == "sentence":
        for r in records:
            c = agg.groups.get((r["source"], r["period"]), {}).get(r["frame"])
            r["sentence_share"] = c.sentences_with / c.sentences if c and c.sentences else None
    corr.attach(records, fixed, val, ("source", "period"))
    return corr.correction_meta(val, fixed)


def _trend_by(by: str) -> tuple[str, str | None]:
    """``week``, ``month``, optionally with ``meta:KEY``: (period, document variable)."""
    parts = [p.strip() for p in by.split(",") if p.strip()]
    periods = [p for p in parts if p in ("week", "month")]
    groups = [p[5:].strip() for p in parts if p.startswith("meta:")]
    if (
        len(periods) > 1
        or len(groups) > 1
        or len(periods) + len(groups) != len(parts)
        or (groups and not groups[0])
    ):
        raise InputError(
            f"`by` {by!r} is not supported; use week or month, optionally with meta:KEY "
            "(a document variable) to follow its groups instead of sources: month,meta:country"
        )
    return (periods or ["week"])[0], (groups[0] if groups else None)


# --------------------------------------------------------------------- pairwise


def pairwise(
    store: Store,
    lexicon: Lexicon,
    sel: Selection | None = None,
    *,
    by: tuple[str, ...] = ("source",),
    correction: str = "holm",
    frames: Sequence[str] | None = None,
    scorer: Scorer | None = None,
    progress: Progress | None = None,
) -> Evidence:
    """Every pair of sources per frame: prevalence difference, Newcombe interval, corrected p.

    A stand-alone version of ``compare --pairwise`` (which can call
    :func:`discourse.stats.pairwise_from_records` on its ``Comparison.records``
    instead of scoring twice). ``by`` is ``("source",)`` or ``("source",
    "week"|"month")``; the correction family is all pairs within one frame (and
    period). Records as :func:`discourse.stats.pairwise_from_records`.
    """
    sel = sel or Selection()
    if correction not in st.CORRECTIONS:
        raise InputError(
            f"`correction` {correction!r} is not known; use {', '.join(st.CORRECTIONS)}"
        )
    if tuple(by) not in (("source",), ("source", "week"), ("source", "month")):
        raise InputError(
            f"`by` {','.join(by)!r} is not supported; use source, source,week or source,month"
        )
    scorer = scorer or Scorer(lexicon)
    names = list(frames) if frames else list(scorer.frames)
    for f in names:
        _check_frame(lexicon, f)
    agg = st.aggregate(
        _scored(store, sel, scorer, progress), names, lambda sc: st.group_key(sc, tuple(by))
    )
    groups, undated = agg.groups, agg.undated
    counts = []
    for key in sorted(groups):
        for f in names:
            rec = dict(zip(by, key))
            gf = groups[key][f]
            rec.update({"frame": f, "n_articles": gf.n_articles, "n_present": gf.n_present})
            counts.append(rec)
    records = st.pairwise_from_records(counts, by, correction)
    notes = []
    if not groups:
        notes.append("no articles in the selection; nothing to compare")
    elif len({k[0] for k in groups}) < 2:
        notes.append("fewer than two sources in the selection; no pairs to compare")
    meta = _meta(
        store,
        sel,
        lexicon,
        by=",".join(by),
        correction=correction,
        statistic=pairwise_method(correction, by),
        undated_left_out=undated,
        notes=notes,
    )
    return Evidence(records, meta)


def pairwise_method(correction: str, by: Sequence[str] = ("source",)) -> str:
    """One line saying how the pairwise comparisons were made (for output headers)."""
    per = " and period" if any(b != "source" for b in by) else ""
    return PAIRWISE_METHOD.format(
        correction=_CORRECTION_NAMES.get(correction, correction) + " p-values",
        per_period=per,
    )


# ------------------------------------------------------------ lexicon diagnostics


@dataclass
class _TermCounts:
    """Per (frame, kind, term): firings, articles, firings per source, sources seen."""

    hits: Counter = field(default_factory=Counter)
    arts: Counter = field(default_factory=Counter)
    by_source: dict = field(default_factory=dict)
    sources_seen: dict = field(default_factory=dict)

    def hit(self, key: tuple, source: str, in_art: set) -> None:
        self.hits[key] += 1
        in_art.add(key)
        self.by_source.setdefault(key, Counter())[source] += 1

    def article_done(self, in_art: set, source: str) -> None:
        for key in in_art:
            self.arts[key] += 1
            self.sources_seen.setdefault(key, set()).add(source)


def _overlapping(found: list, fnames: list[str]) -> Iterator[tuple]:
    """Pairs of hits of different frames whose tokens overlap, as (frame, term) pairs."""
    for i in range(len(found)):
        fa, ta, a1, b1 = found[i]
        for j in range(i + 1, len(found)):
            fb, tb, a2, b2 = found[j]
            if fa != fb and a1 < b2 and a2 < b1:
                yield (
                    (fnames[fa], ta, fnames[fb], tb)
                    if fa < fb
                    else (fnames[fb], tb, fnames[fa], ta)
                )


def _lexicon_entries(lexicon: Lexicon) -> list[tuple[str, str, str]]:
    """(frame, kind, term) of every term, exclude and proximity rule (``near:NAME``)."""
    return [
        (fname, kind, term)
        for fname, frame in lexicon.frames.items()
        for kind, items in (
            ("term", frame.terms),
            ("exclude", frame.exclude),
            ("near", [f"near:{r.name}" for r in frame.near]),
        )
        for term in items
    ]


def _term_record(
    tc: _TermCounts, fname: str, kind: str, term: str, n_articles: int, generic_share: float
) -> dict:
    key = (fname, "term" if kind == "near" else kind, term)  # a rule's hits count as terms
    h = tc.hits[key]
    src = tc.by_source.get(key)
    top_src, top_n = src.most_common(1)[0] if src else (None, 0)
    share = tc.arts[key] / n_articles if n_articles else None
    status = ""
    if n_articles and h == 0:
        status = "never fires"
    elif kind != "exclude" and share is not None and share >= generic_share:
        status = "generic"
    return {
        "frame": fname,
        "kind": kind,
        "term": term,
        "hits": h,
        "articles": tc.arts[key],
        "article_share": share,
        "sources": len(tc.sources_seen.get(key, ())),
        "top_source": top_src,
        "top_source_share": top_n / h if h else None,
        "status": status,
    }


def lexicon_stats(
    store: Store,
    lexicon: Lexicon,
    sel: Selection | None = None,
    *,
    generic_share: float = 0.8,
    tokenizer: Tokenizer | None = None,
    progress: Progress | None = None,
    workers: int = 1,
) -> Evidence:
    """How each lexicon term behaves on the store: firings, articles, sources, overlaps.

    A *firing* is a counted hit (after longest-match and excludes, as in
    scoring); for ``exclude`` entries it is an occurrence of the exclude span.
    ``status`` is ``"never fires"`` for an entry without a firing, and
    ``"generic"`` for a term that fires in at least ``generic_share`` of the
    articles. Records (lexicon order): ``frame, kind, term, hits, articles,
    article_share, sources, top_source, top_source_share, status``.

    ``tables["overlap"]``: spans counted for several frames — pairs of counted
    hits of different frames whose tokens overlap in a sentence, per term pair:
    ``frame_a, term_a, frame_b, term_b, spans, articles`` (most frequent first).
    Articles are matched in ``workers`` processes (the same records whatever their number).
    """
    sel = sel or Selection()
    if not 0 < generic_share <= 1:
        raise InputError(f"`generic_share` {generic_share} must be a share between 0 and 1")
    tokenizer = tokenizer or Tokenizer()
    matcher = Matcher(lexicon)
    tc = _TermCounts()
    overlap: Counter = Counter()
    overlap_arts: Counter = Counter()
    n_articles = 0
    task = (tokenizer, matcher, lexicon_has_exclude(lexicon))
    for source, per_sent in _per_article(store, sel, progress, workers, _stats_art, *task):
        n_articles += 1
        in_art: set[tuple] = set()
        ov_art: set[tuple] = set()
        for found, excluded in per_sent:
            for fi, term, _, _ in found:
                tc.hit((lexicon.frame_names[fi], "term", term), source, in_art)
            for fi, term in excluded:
                tc.hit((lexicon.frame_names[fi], "exclude", term), source, in_art)
            for pair in _overlapping(found, lexicon.frame_names):
                overlap[pair] += 1
                ov_art.add(pair)
        tc.article_done(in_art, source)
        for pair in ov_art:
            overlap_arts[pair] += 1
    records = [
        _term_record(tc, fname, kind, term, n_articles, generic_share)
        for fname, kind, term in _lexicon_entries(lexicon)
    ]
    overlaps = _overlap_records(overlap, overlap_arts)
    terms = [r for r in records if r["kind"] == "term"]
    notes = [] if n_articles else ["no articles in the selection; every count is 0"]
    meta = _meta(
        store,
        sel,
        lexicon,
        generic_share=generic_share,
        n_terms=len(terms),
        never_fire=sum(1 for r in terms if r["status"] == "never fires"),
        generic=sum(1 for r in terms if r["status"] == "generic"),
        overlap_spans=sum(overlap.values()),
        notes=notes,
    )
    return Evidence(records, meta, {"overlap": overlaps})


def _stats_art(tokenizer, matcher, with_exclude: bool, art: Article) -> tuple:
    """(source, [(counted hits, (frame index, exclude) spans) per sentence]) of one article."""
    out = []
    for sent in tokenizer.sentences(art.text):
        found = matcher.match(sent.tokens)
        excluded = []
        if with_exclude:
            excluded = [
                (fi, term) for fi, _, _, term, is_ex in matcher.raw_matches(sent.tokens) if is_ex
            ]
        out.append((found, excluded))
    return art.source, out


def _overlap_records(overlap: Counter, overlap_arts: Counter) -> list[dict]:
    """Term pairs of different frames counted on the same span, most frequent first."""
    return [
        {
            "frame_a": fa,
            "term_a": ta,
            "frame_b": fb,
            "term_b": tb,
            "spans": n,
            "articles": overlap_arts[(fa, ta, fb, tb)],
        }
        for (fa, ta, fb, tb), n in sorted(overlap.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def lexicon_has_exclude(lexicon: Lexicon) -> bool:
    return any(f.exclude for f in lexicon.frames.values())


# ---------------------------------------------------------------------- suggest


def _new_candidates(rows, lexicon, matcher, frame: str, min_count: int, top: int) -> list:
    """Over-used terms that the frame's terms do not match yet, with the frames that do."""
    kept = []
    for r in rows:
        if r["z"] <= 0 or r["count_a"] < min_count:
            continue
        toks = r["term"].split(" ")
        covering = {
            lexicon.frame_names[h[0]]
            for h in matcher.match(toks)
            if h[2] == 0 and h[3] == len(toks)
        }
        if frame in covering:
            continue
        kept.append((r, sorted(covering)))
        if top and len(kept) >= top:
            break
    return kept


class _FrameCounts:
    """N-gram counts inside a frame's sentences (its own hits masked) and outside them."""

    def __init__(self, sizes: Sequence[int]) -> None:
        self.sizes = sizes
        self.inside: dict[int, Counter] = {n: Counter() for n in sizes}
        self.outside: dict[int, Counter] = {n: Counter() for n in sizes}
        self.n_arts: Counter = Counter()
        self.last_art: dict[tuple[int, str], int | None] = {}
        self.srcs: dict[tuple[int, str], set] = {}
        self.first_seen: dict[tuple[int, str], tuple[int | None, int]] = {}
        self.n_in = self.n_out = 0

    def add(self, art: tuple, index: int, inside: bool, grams: list) -> None:
        """Count one sentence (``index`` of article ``art`` = (id, source)): its n-grams."""
        if not inside:
            self.n_out += 1
            for n, gram in grams:
                self.outside[n][gram] += 1
            return
        self.n_in += 1
        art_id, source = art
        for n, gram in grams:
            self.inside[n][gram] += 1
            key = (n, gram)
            if key not in self.first_seen:
                self.first_seen[key] = (art_id, index)
            if self.last_art.get(key, -1) != art_id:
                self.last_art[key] = art_id
                self.n_arts[key] += 1
            self.srcs.setdefault(key, set()).add(source)


def _suggest_art(tokenizer, matcher, fi: int, sizes, stop, art: Article) -> tuple:
    """((id, source), [(sentence index, in the frame, its n-grams)]) of one article; in
    the frame's sentences the tokens of its own hits are masked."""
    out = []
    for sent in tokenizer.sentences(art.text):
        mine = [h for h in matcher.match(sent.tokens) if h[0] == fi]
        masked = {i for _, _, a, b in mine for i in range(a, b)} if mine else frozenset()
        grams = list(ngrams(sent.tokens, sizes, stop, masked))
        out.append((sent.index, bool(mine), grams))
    return (art.id, art.source), out


def suggest(
    store: Store,
    lexicon: Lexicon,
    frame: str,
    sel: Selection | None = None,
    *,
    ngram: str | Sequence[int] = (1, 2),
    min_count: int = 3,
    top: int = 30,
    prior_size: float | None = None,
    use_stopwords: bool = True,
    extra_stopwords: Sequence[str] = (),
    tokenizer: Tokenizer | None = None,
    progress: Progress | None = None,
    workers: int = 1,
) -> Evidence:
    """Candidate new terms for ``frame``: words over-used in its sentences, for a human to review.

    Sentences in which the frame fires are compared with all other sentences
    of the selection by :func:`discourse.stats.log_odds_dirichlet`. Inside the
    frame's sentences, the tokens of the frame's own hits are masked, so a
    candidate is context that the lexicon does not already capture. Left out:
    stop words, candidates the frame's terms already match, candidates seen
    fewer than ``min_count`` times in the frame's sentences. ``in_lexicon``
    names another frame whose terms already match the candidate. Articles are
    counted in ``workers`` processes (the same records whatever their number).

    Records: ``rank, candidate, ngram, count, count_other, per_1k,
    per_1k_other, log_odds, z, articles, sources, in_lexicon, example_id,
    example``.
    """
    sel, tokenizer = sel or Selection(), tokenizer or Tokenizer()
    sizes = _check_ngrams(ngram)
    fi = _check_frame(lexicon, frame)
    _check_counts(min_count, top)
    matcher, stop = Matcher(lexicon), _stop(use_stopwords, extra_stopwords)
    fc, task = _FrameCounts(sizes), (tokenizer, matcher, fi, sizes, stop)
    for art, sents in _per_article(store, sel, progress, workers, _suggest_art, *task):
        for index, inside, grams in sents:
            fc.add(art, index, inside, grams)
    records: list[dict] = []
    for n in sizes:
        rows = st.log_odds_dirichlet(dict(fc.inside[n]), dict(fc.outside[n]), prior_size=prior_size)
        kept = _new_candidates(rows, lexicon, matcher, frame, min_count, top)
        for rank, (r, covering) in enumerate(kept, 1):
            key = (n, r["term"])
            records.append(
                {
                    "rank": rank,
                    "candidate": r["term"],
                    "ngram": n,
                    "count": r["count_a"],
                    "count_other": r["count_b"],
                    "per_1k": r["per_1k_a"],
                    "per_1k_other": r["per_1k_b"],
                    "log_odds": r["log_odds"],
                    "z": r["z"],
                    "articles": fc.n_arts[key],
                    "sources": len(fc.srcs.get(key, ())),
                    "in_lexicon": ", ".join(covering),
                    "example_id": fc.first_seen[key][0],
                    "example": "",
                }
            )
    _add_examples(store, records, fc.first_seen, tokenizer)
    meta = _meta(
        store,
        sel,
        lexicon,
        frame=frame,
        statistic=_keyness_statistic(prior_size)
        + "; frame sentences (own hits masked) vs all other sentences",
        sentences_in_frame=fc.n_in,
        sentences_other=fc.n_out,
        ngram=list(sizes),
        min_count=min_count,
        top=top,
        notes=_suggest_notes(frame, fc.n_in, fc.n_out),
    )
    return Evidence(records, meta)


def _suggest_notes(frame: str, n_in: int, n_out: int) -> list[str]:
    if not n_in:
        return [f"frame {frame} fires in no sentence of the selection; nothing to suggest"]
    if not n_out:
        return [f"frame {frame} fires in every sentence; nothing to compare with"]
    return []


def _add_examples(
    store: Store, records: list[dict], first_seen: dict, tokenizer: Tokenizer
) -> None:
    """Fill ``example``: the first frame sentence holding each candidate (one read per article)."""
    texts: dict[int | None, list[Sentence]] = {}
    for r in records:
        aid, idx = first_seen[(r["ngram"], r["candidate"])]
        if aid not in texts:
            art = store.get(aid) if aid is not None else None
            texts[aid] = tokenizer.sentences(art.text) if art else []
        sents = texts[aid]
        if idx < len(sents):
            r["example"] = " ".join(sents[idx].text.split())
