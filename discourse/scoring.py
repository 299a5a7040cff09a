"""Scoring: tokenize an article and count lexicon hits per frame, per article and per sentence.

The scoring result of an article depends only on its text, the lexicon's hash
and the tokenizer version, so it is cached in the store under that key
(:attr:`Scorer.key`): a second run over an unchanged store scores nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

from discourse.errors import InputError
from discourse.lexicon import Lexicon, Matcher
from discourse.models import Article, ArticleScore, FrameScore, Hit, RawCounts, Sentence
from discourse.provenance import provenance
from discourse.tokenize import Tokenizer
from discourse.workers import Pool

# "fast-2": matching normalizes with NFC and casefold() (was lower())
TOKENIZER_VERSION = "fast-2"
#: "fast": one automaton pass per article; "reference": sentence by sentence (same hits)
ENGINES = ("fast", "reference")
METHODS = ("lexicon", "classifier", "both")


def check_method(method: str, has_model: bool) -> None:
    """A scoring method must be known, and anything but the lexicon needs a model.

    Parameters
    ----------
    method : str
        One of :data:`METHODS`.
    has_model : bool
        Whether a trained model was given.

    Returns
    -------
    None
        Raises :class:`InputError` naming `method` (or `model`) otherwise.

    Examples
    --------
    >>> check_method("lexicon", has_model=False)
    >>> check_method("both", has_model=False)
    Traceback (most recent call last):
    discourse.errors.InputError: `method` both needs a trained model: add `model` MODEL
    """
    if method not in METHODS:
        raise InputError(f"`method` {method!r} is not known; use one of {', '.join(METHODS)}")
    if method != "lexicon" and not has_model:
        raise InputError(f"`method` {method} needs a trained model: add `model` MODEL")


class Scorer:
    """Scores articles with a lexicon, and with a trained classifier when given one.

    ``method`` decides what fills each frame's ``present`` and ``sentence_share``
    (and so every statistic computed from them): the lexicon (a sentence carries
    the frame when a term fires), the classifier (its probability is at or above
    the frame's threshold) or ``both`` (either). Hits and hits per 1,000 tokens
    always count lexicon matches. ``key`` identifies the cached raw counts.

    Parameters
    ----------
    lexicon : Lexicon
    tokenizer : Tokenizer, optional
        Default: the standard one.
    model : FrameClassifier, optional
        A trained model (needed by the methods ``classifier`` and ``both``).
    method : {"lexicon", "classifier", "both"}
    engine : {"fast", "reference"}
        ``reference`` matches sentence by sentence (the same hits, slower).

    Examples
    --------
    >>> from discourse.lexicon import load_lexicon
    >>> from discourse.models import Article
    >>> from discourse.resources import default_lexicon_path
    >>> scorer = Scorer(load_lexicon(default_lexicon_path()))
    >>> sc = scorer.score(Article("They pledged mutual trust. Missiles.", "X"))
    >>> sc.n_sentences, sc.frames["partnership"].hits, sc.dominant
    (2, 1, 'partnership')
    """

    def __init__(
        self,
        lexicon: Lexicon,
        tokenizer: Tokenizer | None = None,
        model=None,
        method: str = "lexicon",
        engine: str = "fast",
    ) -> None:
        check_method(method, model is not None)
        if engine not in ENGINES:
            raise ValueError(f"unknown scoring engine {engine!r}")
        self.engine = engine
        self.lexicon = lexicon
        self.matcher = Matcher(lexicon)
        self._keyable: bool | None = None  # whether count_canon can count (on first use)
        self.tokenizer = tokenizer or Tokenizer()
        self.frames = lexicon.frame_names
        self.model = model
        self.method = method
        self._cols: list[int | None] = []
        if model is not None:
            mframes = list(model.frames_)
            self._cols = [mframes.index(f) if f in mframes else None for f in self.frames]
            missing = [f for f, c in zip(self.frames, self._cols) if c is None]
            if missing and method != "lexicon":
                raise InputError(
                    f"the model has no frame {missing[0]!r} of lexicon {lexicon.name}; use a "
                    f"lexicon with the model's frames ({', '.join(mframes)}) or `method` lexicon"
                )
            self._thr = [float(model.thresholds_[c]) if c is not None else None for c in self._cols]

    @property
    def key(self) -> str:
        key = f"lexicon:{self.lexicon.sha256[:20]}:tok:{TOKENIZER_VERSION}"
        if self.model is not None:
            key += ":" + self.model.cache_key
        return key

    def provenance(self) -> dict:
        """Tool, lexicon, method and model (if any): what produced these scores."""
        return provenance(self.lexicon, method=self.method, model=self.model)

    def score(self, article: Article, keep: bool = False) -> ArticleScore:
        """Score one article. With ``keep``, the sentences and hits are kept for evidence."""
        return self.score_batch([article], keep)[0]

    def score_batch(self, articles: list[Article], keep: bool = False) -> list[ArticleScore]:
        """Score several articles; the classifier (if any) runs once over all their sentences."""
        lex = [self._lexicon_pass(a, keep) for a in articles]
        probs = None
        if self.model is not None:
            from discourse.classifier import classify_articles

            probs = classify_articles(self.model, [[s.text for s in r[0]] for r in lex])
        out = []
        for i, (
            art,
            (sentences, n_sent, n_words, hits, lex_with, hit_sents, all_hits),
        ) in enumerate(zip(articles, lex)):
            clf_with = both_with = sent_probs = None
            if probs is not None:
                clf_with, both_with, sent_probs = self._classifier_counts(probs[i], hit_sents, keep)
            counts = RawCounts(n_words, n_sent, hits, lex_with, clf_with, both_with)
            out.append(
                build_score(
                    art, self.frames, counts, self.method,
                    sentences if keep else [], all_hits, sent_probs,
                )
            )  # fmt: skip
        return out

    def _lexicon_pass(self, article: Article, keep: bool):
        """Tokenize and match one article: the hot path (one automaton pass per article)."""
        if self.engine == "reference":
            return self._lexicon_pass_reference(article, keep)
        if not keep and self.model is None:  # counts only: most sentences skip select()
            n_sent, n_words, hits, with_, found = self._count(article.text)
            more_hits, more_with, _, _ = self._tally(found, False)
            hits = [a + b for a, b in zip(hits, more_hits)]
            with_ = [a + b for a, b in zip(with_, more_with)]
            return None, n_sent, n_words, hits, with_, None, []
        text, spans, flat, firsts = self.tokenizer.flat_tokens(article.text)
        n_words, occ = self.matcher.scan_flat(flat, firsts)
        select = self.matcher.select
        found = {k: select(occ[k]) for k in sorted(occ)}
        sentences = None
        if keep or self.model is not None:
            sentences = [
                Sentence(i, a, b, text[a:b], flat[firsts[i] : firsts[i + 1] - 1])
                for i, (a, b) in enumerate(spans)
            ]
        return (sentences, len(spans), n_words, *self._tally(found, keep))

    def _count(self, text: str) -> tuple[int, int, list[int], list[int], dict[int, list]]:
        """Sentences, word tokens, hits per frame, sentences with each frame, and the
        hits of the sentences :meth:`Matcher.select` counted: compiled when it can be."""
        if self._keyable is None:
            self._keyable = self.matcher.keyable
        joined = self.tokenizer.canon(text) if self._keyable else None
        if joined is not None:
            _, spans, canon, n_words = joined
            return len(spans), n_words, *self.matcher.count_canon(canon)
        _, spans, flat, firsts = self.tokenizer.flat_tokens(text)
        return len(spans), *self.matcher.count_flat(flat, firsts)

    def _lexicon_pass_reference(self, article: Article, keep: bool):
        """The same counts sentence by sentence with :meth:`Matcher.scan` (the reference)."""
        sentences = self.tokenizer.sentences(article.text)
        n_words = 0
        found = {}
        for sent in sentences:
            words, hits = self.matcher.count_and_match(sent.tokens)
            n_words += words
            if hits:
                found[sent.index] = hits
        return (sentences, len(sentences), n_words, *self._tally(found, keep))

    def _tally(self, found: dict[int, list], keep: bool):
        """Per-frame hits and sentences from the counted hits of each sentence."""
        nf = len(self.frames)
        hits_per = [0] * nf
        sents_with = [0] * nf
        # which sentences fired, per frame: needed only to combine with a classifier
        hit_sents: list[set[int]] | None = (
            [set() for _ in range(nf)] if self.model is not None else None
        )
        all_hits: list[Hit] = []
        frames = self.frames
        for k, hits in found.items():
            if not hits:
                continue
            seen = set()
            for fi, term, a, b in hits:
                hits_per[fi] += 1
                seen.add(fi)
                if keep:
                    all_hits.append(Hit(frames[fi], term, k, a, b))
            for fi in seen:
                sents_with[fi] += 1
                if hit_sents is not None:
                    hit_sents[fi].add(k)
        return hits_per, sents_with, hit_sents, all_hits

    def _classifier_counts(self, probs, hit_sents: list[set[int]], keep: bool):
        n = probs.shape[0]
        clf_with, both_with = [], []
        sent_probs = [{} for _ in range(n)] if keep else None
        for fi, col in enumerate(self._cols):
            if col is None:
                clf_with.append(0)
                both_with.append(len(hit_sents[fi]))
                continue
            above = {i for i in range(n) if probs[i, col] >= self._thr[fi]}
            clf_with.append(len(above))
            both_with.append(len(above | hit_sents[fi]))
            if keep:
                for i in range(n):
                    sent_probs[i][self.frames[fi]] = float(probs[i, col])
        return clf_with, both_with, sent_probs


def build_score(
    article: Article,
    frames: list[str],
    counts: RawCounts,
    method: str = "lexicon",
    sentences=None,
    all_hits=None,
    sentence_probs: list[dict[str, float]] | None = None,
) -> ArticleScore:
    """Per-frame scores from raw counts.

    Parameters
    ----------
    article : Article
    frames : list of str
        The frames, in the order of ``counts``' lists.
    counts : RawCounts
        Tokens, sentences and per-frame counts (``clf_with`` and ``both_with``
        needed for the methods ``classifier`` and ``both``).
    method : {"lexicon", "classifier", "both"}
        What fills ``present`` and ``sentences_with``.
    sentences, all_hits, sentence_probs : optional
        Kept on the score for evidence (``--explain``).

    Returns
    -------
    ArticleScore

    Examples
    --------
    >>> from discourse.models import Article, RawCounts
    >>> sc = build_score(Article("", "X"), ["a", "b"], RawCounts(200, 4, [2, 0], [1, 0]))
    >>> sc.frames["a"].per_1k, sc.frames["a"].sentence_share, sc.dominant
    (10.0, 0.25, 'a')
    """
    n_tokens, n_sentences, hits = counts.n_tokens, counts.n_sentences, counts.hits
    sents_with, clf_with, both_with = counts.sents_with, counts.clf_with, counts.both_with
    lex = [h > 0 for h in hits]
    if method == "lexicon":
        basis, present, with_ = hits, lex, sents_with
    elif method == "classifier":
        basis, present, with_ = clf_with, [c > 0 for c in clf_with], clf_with
    else:
        basis, present = both_with, [h > 0 or c > 0 for h, c in zip(hits, clf_with)]
        with_ = both_with
    n = len(frames)
    per_1k = [1000.0 * h / n_tokens for h in hits] if n_tokens else [0.0] * n
    share = [w / n_sentences for w in with_] if n_sentences else [0.0] * n
    if clf_with is None:
        clf_share = clf_present = [None] * n
    else:
        clf_share = [c / n_sentences for c in clf_with] if n_sentences else [0.0] * n
        clf_present = [c > 0 for c in clf_with]
    cols = zip(hits, per_1k, present, with_, share, lex, clf_share, clf_present)
    fs = {f: FrameScore(*v) for f, v in zip(frames, cols)}
    # the most basis, then the most hits, then the first frame
    best = -max(zip(basis, hits, range(0, -n, -1)))[2] if frames else None
    dominant = frames[best] if best is not None and basis[best] > 0 else None
    return ArticleScore(
        article,
        n_tokens,
        n_sentences,
        fs,
        dominant,
        list(sentences or []),
        list(all_hits or []),
        sentence_probs,
        counts,
    )


@dataclass
class ScoreStats:
    """How many articles a scoring run scored and how many it read from the cache.

    Parameters
    ----------
    scored, cached : int

    Examples
    --------
    >>> ScoreStats()
    ScoreStats(scored=0, cached=0)
    """

    scored: int = 0
    cached: int = 0


def iter_scores(
    articles: Iterable[Article],
    scorer: Scorer,
    store=None,
    use_cache: bool = True,
    stats: ScoreStats | None = None,
    chunk: int = 200,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
    cluster: Callable | None = None,
) -> Iterator[ArticleScore]:
    """Score a stream of articles; with a store, read and fill its score cache.

    Memory stays bounded by a few chunks of ``chunk`` articles; article texts
    are not kept. With ``workers`` > 1, articles that need scoring are scored in
    that many processes, several chunks in flight, while this process reads the
    next chunk and the cache; results come back, and the cache is written, in
    input order, so the output is the same as with one worker. ``cluster`` (e.g.
    :func:`discourse.cluster.dask_pool`) makes the pool that scores them instead:
    ``cluster(scorer, keep)``.

    Parameters
    ----------
    articles : iterable of Article
    scorer : Scorer
    store : Store, optional
        Whose cache to read and fill.
    use_cache : bool
    stats : ScoreStats, optional
        Counts scored and cached articles.
    chunk : int
        Articles per chunk.
    progress : callable, optional
        Receives the number of articles done so far.
    workers : int
    cluster : callable, optional
        Makes the pool (a Dask cluster's) instead of local processes.

    Returns
    -------
    iterator of ArticleScore
        In input order, without the article texts.

    Examples
    --------
    >>> from discourse.lexicon import load_lexicon
    >>> from discourse.models import Article
    >>> from discourse.resources import default_lexicon_path
    >>> scorer, stats = Scorer(load_lexicon(default_lexicon_path())), ScoreStats()
    >>> [sc.frames["partnership"].hits for sc in iter_scores(
    ...     [Article("mutual trust", "X")], scorer, stats=stats)], stats
    ([1], ScoreStats(scored=1, cached=0))
    """
    stats = stats if stats is not None else ScoreStats()
    done = 0
    chunks = _chunks(articles, chunk)
    for batch, results, fresh in _pipeline(
        chunks, scorer, workers, store, use_cache, cluster=cluster
    ):
        _fill(results, fresh, scorer, store, use_cache, stats)
        yield from _light(iter(results))
        done += len(batch)
        if progress:
            progress(done)


def score_stream(
    articles: Iterable[Article], scorer: Scorer, keep: bool = False, workers: int = 1,
    chunk: int = 100, cluster: Callable | None = None,
) -> Iterator[ArticleScore]:  # fmt: skip
    """Score a stream of articles in order, in ``workers`` processes (no cache).

    With ``keep``, each score holds its sentences and hits (for ``--explain``).
    The output is the same whatever the number of workers.

    Parameters
    ----------
    articles : iterable of Article
    scorer : Scorer
    keep : bool
    workers : int
    chunk : int
        Articles per chunk.

    Returns
    -------
    iterator of ArticleScore

    Examples
    --------
    >>> from discourse.lexicon import load_lexicon
    >>> from discourse.models import Article
    >>> from discourse.resources import default_lexicon_path
    >>> scorer = Scorer(load_lexicon(default_lexicon_path()))
    >>> [len(sc.hits) for sc in score_stream([Article("mutual trust", "X")], scorer, keep=True)]
    [1]
    """
    chunks = _chunks(articles, chunk)
    for _, results, _ in _pipeline(chunks, scorer, workers, None, False, keep, cluster):
        yield from results


def _chunks(articles: Iterable[Article], size: int) -> Iterator[list[Article]]:
    batch: list[Article] = []
    for art in articles:
        batch.append(art)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _cached(batch, scorer: Scorer, store, use_cache: bool) -> list[ArticleScore | None]:
    """The cached score of each article of ``batch`` (None where it must be scored).

    Articles read from the store without their text (``text`` None) get it here
    when they must be scored, so a cached article's text is never read.
    """
    ids = [a.id for a in batch if a.id is not None]
    cached = store.cached_scores(scorer.key, ids) if store is not None and use_cache and ids else {}
    out: list[ArticleScore | None] = []
    n_frames, with_model = len(scorer.frames), scorer.model is not None
    for art in batch:
        counts = RawCounts.from_payload(cached[art.id]) if art.id in cached else None
        ok = counts is not None and _usable(counts, n_frames, with_model)
        out.append(build_score(art, scorer.frames, counts, scorer.method) if ok else None)
    missing = [a.id for a, c in zip(batch, out) if c is None and a.text is None]
    if missing:
        texts = store.texts(missing)
        for art, c in zip(batch, out):
            if c is None and art.text is None:
                art.text = texts.get(art.id, "")
    return out


def _pipeline(
    chunks, scorer: Scorer, workers: int, store, use_cache: bool, keep: bool = False,
    cluster: Callable | None = None,
):  # fmt: skip
    """(chunk, its scores, which are fresh) per chunk of ``chunks``, in order.

    Scores come from the store's cache where usable; the others are scored here
    or, with ``workers`` > 1 and a chunk worth it, in a pool that keeps up to
    two chunks per worker in flight (``cluster(scorer, keep)`` makes that pool when
    given, whatever the chunk's size). A fresh score (computed in this run, not
    read from the cache) is flagged True for :func:`_fill`.
    """
    pool = None
    pending: deque = deque()
    try:
        for batch in chunks:
            cached = _cached(batch, scorer, store, use_cache)
            todo = [a for a, c in zip(batch, cached) if c is None]
            if pool is None and todo and (cluster or (workers > 1 and _big(batch))):
                pool = cluster(scorer, keep) if cluster else _Pool(scorer, workers, keep)
            if pool is None:
                fresh = scorer.score_batch(todo, keep) if todo else []
                yield batch, *_merge(cached, fresh)
                continue
            pending.append((batch, cached, pool.submit(todo)))
            while len(pending) > 2 * pool.workers:
                b, c, fut = pending.popleft()
                yield b, *_merge(c, pool.result(fut))
        while pending:
            b, c, fut = pending.popleft()
            yield b, *_merge(c, pool.result(fut))
    finally:
        if pool is not None:
            pool.close()


def _big(batch: list[Article]) -> bool:
    """Worth starting processes for: a full chunk (small inputs are scored in process)."""
    return len(batch) >= 50


def _merge(cached: list, fresh: list[ArticleScore]) -> tuple[list[ArticleScore], list[bool]]:
    """The scores in input order (cached where there was one), and which are fresh."""
    it = iter(fresh)
    return [c if c is not None else next(it) for c in cached], [c is None for c in cached]


def _fill(results, fresh, scorer: Scorer, store, use_cache: bool, stats: ScoreStats) -> None:
    """Count fresh and cached scores; write the fresh ones to the store's cache."""
    new = []
    for sc, is_fresh in zip(results, fresh):
        if is_fresh:
            stats.scored += 1
            if sc.article.id is not None:
                new.append((sc.article.id, sc.raw.to_payload()))
        else:
            stats.cached += 1
    if store is not None and use_cache and new:
        store.put_scores(scorer.key, new)


def score_light(scorer: Scorer, keep: bool, articles: list[Article]) -> list[ArticleScore]:
    """Score a chunk in a worker (a local process or a Dask worker); the article texts are
    not sent back."""
    scores = scorer.score_batch(articles, keep)
    for sc in scores:
        sc.article.text = ""  # do not send the text back
    return scores


def count_light(scorer: Scorer, texts: list[str]) -> list[RawCounts]:
    """Score texts in a worker, sending back only what a score is built from: its counts."""
    return [sc.raw for sc in scorer.score_batch([Article(text, "") for text in texts])]


class _Pool(Pool):
    """A :class:`discourse.workers.Pool` that scores chunks of articles with copies of one
    scorer (``submit(articles)`` -> a future of their scores).

    Without ``keep``, only the texts go to the workers and only the counts
    (:class:`RawCounts`) come back; this process builds the scores from them, as it
    does from the score cache: pickling whole articles and scores cost more than
    scoring them.
    """

    def __init__(self, scorer: Scorer, workers: int, keep: bool = False) -> None:
        task = partial(score_light, scorer, keep) if keep else partial(count_light, scorer)
        super().__init__(task, workers)
        self._scorer, self._keep = scorer, keep

    def submit(self, articles: list[Article]) -> Any:
        if self._keep:
            return super().submit(articles)
        return articles, super().submit([a.text for a in articles])

    def result(self, future) -> list[ArticleScore]:
        if self._keep:
            return Pool.result(future)
        articles, counts = future[0], Pool.result(future[1])
        frames, method = self._scorer.frames, self._scorer.method
        return [build_score(a, frames, c, method) for a, c in zip(articles, counts)]


def _usable(counts: RawCounts, n_frames: int, with_model: bool) -> bool:
    """Cached counts fit this scorer: one per frame, and the classifier's if it has one."""
    if len(counts.hits) != n_frames:
        return False
    return not with_model or len(counts.clf_with or ()) == n_frames


def _light(scores: Iterator[ArticleScore]) -> Iterator[ArticleScore]:
    """Drop the article text from streamed scores so memory does not grow with the corpus."""
    for sc in scores:
        sc.article.text = ""
        yield sc


def article_row(score: ArticleScore, frames: list[str], meta_keys: Sequence[str] = ()) -> dict:
    """One flat row per article: metadata, then hits, rate, presence and share per frame.

    Parameters
    ----------
    score : ArticleScore
    frames : list of str
        The columns' frames, in order.
    meta_keys : sequence of str
        Document variables to carry as ``meta.KEY`` columns (empty where the article
        has none).

    Returns
    -------
    dict

    Examples
    --------
    >>> from discourse.models import Article, RawCounts
    >>> sc = build_score(Article("", "X"), ["a"], RawCounts(200, 4, [2], [1]))
    >>> row = article_row(sc, ["a"])
    >>> row["a_hits"], row["a_per_1k"], row["a_present"], row["a_sentence_share"], row["dominant"]
    (2, 10.0, 1, 0.25, 'a')
    """
    a = score.article
    row = {
        "id": a.id,
        "source": a.source,
        "date": a.day,
        "title": a.title,
        "url": a.url,
        "tokens": score.n_tokens,
        "sentences": score.n_sentences,
    }
    for f, (k_hits, k_rate, k_present, k_share, k_clf, k_clf_present) in zip(
        frames, _frame_columns(tuple(frames))
    ):
        fs = score.frames[f]
        row[k_hits] = fs.hits
        row[k_rate] = round(fs.per_1k, 3)
        row[k_present] = int(fs.present)
        row[k_share] = round(fs.sentence_share, 4)
        if fs.clf_share is not None:
            row[k_clf] = round(fs.clf_share, 4)
            row[k_clf_present] = int(fs.clf_present)
    row["dominant"] = score.dominant or ""
    row.update(meta_columns(a, meta_keys))
    return row


@lru_cache(maxsize=32)
def _frame_columns(frames: tuple[str, ...]) -> list[tuple[str, ...]]:
    """:func:`article_row`'s column names per frame, made once per run."""
    ends = ("hits", "per_1k", "present", "sentence_share", "clf_share", "clf_present")
    return [tuple(f"{f}_{end}" for end in ends) for f in frames]


def meta_columns(article: Article, keys: Sequence[str]) -> dict:
    """``{"meta.KEY": value}`` for each of ``keys`` (None where the article has none)."""
    return {f"meta.{k}": article.meta.get(k) for k in keys}


def sentence_rows(
    score: ArticleScore,
    frames: list[str],
    scorer: Scorer | None = None,
    meta_keys: Sequence[str] = (),
) -> list[dict]:
    """One row per sentence: hits and presence per frame (and probabilities with a model).

    ``<frame>_present`` follows the scorer's method: the lexicon fired, the
    probability reached the threshold, or either.

    Parameters
    ----------
    score : ArticleScore
        Scored with ``keep=True``.
    frames : list of str
    scorer : Scorer, optional
        Its method and thresholds (default: the lexicon).

    Returns
    -------
    list of dict

    Examples
    --------
    >>> from discourse.lexicon import load_lexicon
    >>> from discourse.models import Article
    >>> from discourse.resources import default_lexicon_path
    >>> scorer = Scorer(load_lexicon(default_lexicon_path()))
    >>> sc = scorer.score(Article("They pledged mutual trust. Missiles.", "X"), keep=True)
    >>> [(r["sent_idx"], r["terms"]) for r in sentence_rows(sc, scorer.frames, scorer)]
    [(0, 'partnership:mutual trust'), (1, '')]
    """
    by_sent: dict[int, list[Hit]] = {}
    for h in score.hits:
        by_sent.setdefault(h.sentence, []).append(h)
    method = scorer.method if scorer is not None else "lexicon"
    thr = {}  # the scorer's thresholds are in the order of its frames, not of ``frames``
    if scorer is not None and scorer.model is not None:
        thr = dict(zip(scorer.frames, scorer._thr))
    rows = []
    a = score.article
    for s in score.sentences:
        hs = by_sent.get(s.index, [])
        probs = score.sentence_probs[s.index] if score.sentence_probs else {}
        row = {"id": a.id, "source": a.source, "date": a.day, "sent_idx": s.index, "text": s.text}
        for f in frames:
            n = sum(1 for h in hs if h.frame == f)
            row[f"{f}_hits"] = n
            p = probs.get(f)
            clf = p is not None and thr.get(f) is not None and p >= thr[f]
            present = {"lexicon": n > 0, "classifier": clf, "both": n > 0 or clf}[method]
            row[f"{f}_present"] = int(present)
            if p is not None:
                row[f"{f}_prob"] = round(p, 4)
        row["terms"] = "; ".join(f"{h.frame}:{h.term}" for h in hs)
        row.update(meta_columns(a, meta_keys))
        rows.append(row)
    return rows
