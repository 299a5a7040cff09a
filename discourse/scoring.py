"""Scoring: tokenize an article and count lexicon hits per frame, per article and per sentence.

The scoring result of an article depends only on its text, the lexicon's hash
and the tokenizer version, so it is cached in the store under that key
(:attr:`Scorer.key`): a second run over an unchanged store scores nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from discourse.lexicon import Lexicon, Matcher
from discourse.models import Article, ArticleScore, FrameScore, Hit
from discourse.tokenize import Tokenizer

TOKENIZER_VERSION = "fast-1"


class Scorer:
    """Scores articles with a lexicon. ``key`` identifies its results for caching."""

    def __init__(self, lexicon: Lexicon, tokenizer: Tokenizer | None = None) -> None:
        self.lexicon = lexicon
        self.matcher = Matcher(lexicon)
        self.tokenizer = tokenizer or Tokenizer()
        self.frames = lexicon.frame_names

    @property
    def key(self) -> str:
        return f"lexicon:{self.lexicon.sha256[:20]}:tok:{TOKENIZER_VERSION}"

    def score(self, article: Article, keep: bool = False) -> ArticleScore:
        """Score one article. With ``keep``, the sentences and hits are kept for evidence."""
        sentences = self.tokenizer.sentences(article.text)
        nf = len(self.frames)
        hits_per = [0] * nf
        sents_with = [0] * nf
        n_words = 0
        count_and_match = self.matcher.count_and_match
        all_hits: list[Hit] = []
        for sent in sentences:
            words, found = count_and_match(sent.tokens)
            n_words += words
            if not found:
                continue
            seen = set()
            for fi, term, a, b in found:
                hits_per[fi] += 1
                seen.add(fi)
                if keep:
                    all_hits.append(Hit(self.frames[fi], term, sent.index, a, b))
            for fi in seen:
                sents_with[fi] += 1
        return build_score(
            article,
            self.frames,
            n_words,
            len(sentences),
            hits_per,
            sents_with,
            sentences if keep else [],
            all_hits,
        )


def build_score(
    article: Article,
    frames: list[str],
    n_tokens: int,
    n_sentences: int,
    hits: list[int],
    sents_with: list[int],
    sentences=None,
    all_hits=None,
) -> ArticleScore:
    fs = {}
    for i, f in enumerate(frames):
        fs[f] = FrameScore(
            hits=hits[i],
            per_1k=1000.0 * hits[i] / n_tokens if n_tokens else 0.0,
            present=hits[i] > 0,
            sentences_with=sents_with[i],
            sentence_share=sents_with[i] / n_sentences if n_sentences else 0.0,
        )
    best = max(range(len(frames)), key=lambda i: (hits[i], -i)) if frames else None
    dominant = frames[best] if best is not None and hits[best] > 0 else None
    return ArticleScore(
        article, n_tokens, n_sentences, fs, dominant, list(sentences or []), list(all_hits or [])
    )


def to_payload(score: ArticleScore, frames: list[str]) -> dict:
    """The compact cached form of a score."""
    return {
        "t": score.n_tokens,
        "s": score.n_sentences,
        "h": [score.frames[f].hits for f in frames],
        "w": [score.frames[f].sentences_with for f in frames],
    }


def from_payload(article: Article, frames: list[str], payload: dict) -> ArticleScore:
    return build_score(article, frames, payload["t"], payload["s"], payload["h"], payload["w"])


@dataclass
class ScoreStats:
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
) -> Iterator[ArticleScore]:
    """Score a stream of articles; with a store, read and fill its score cache.

    Memory stays bounded by ``chunk`` articles; article texts are not kept.
    """
    stats = stats if stats is not None else ScoreStats()
    frames = scorer.frames
    key = scorer.key
    batch: list[Article] = []
    done = 0

    def flush(batch: list[Article]) -> Iterator[ArticleScore]:
        cached = {}
        ids = [a.id for a in batch if a.id is not None]
        if store is not None and use_cache and ids:
            cached = store.cached_scores(key, ids)
        new = []
        for art in batch:
            payload = cached.get(art.id) if art.id is not None else None
            if payload is not None and len(payload.get("h", ())) == len(frames):
                stats.cached += 1
                yield from_payload(art, frames, payload)
            else:
                sc = scorer.score(art)
                stats.scored += 1
                if art.id is not None:
                    new.append((art.id, to_payload(sc, frames)))
                yield sc
        if store is not None and use_cache and new:
            store.put_scores(key, new)

    for art in articles:
        batch.append(art)
        if len(batch) >= chunk:
            yield from _light(flush(batch))
            done += len(batch)
            if progress:
                progress(done)
            batch = []
    if batch:
        yield from _light(flush(batch))
        done += len(batch)
        if progress:
            progress(done)


def _light(scores: Iterator[ArticleScore]) -> Iterator[ArticleScore]:
    """Drop the article text from streamed scores so memory does not grow with the corpus."""
    for sc in scores:
        sc.article.text = ""
        yield sc


def article_row(score: ArticleScore, frames: list[str]) -> dict:
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
    for f in frames:
        fs = score.frames[f]
        row[f"{f}_hits"] = fs.hits
        row[f"{f}_per_1k"] = round(fs.per_1k, 3)
        row[f"{f}_present"] = int(fs.present)
        row[f"{f}_sentence_share"] = round(fs.sentence_share, 4)
    row["dominant"] = score.dominant or ""
    return row


def sentence_rows(score: ArticleScore, frames: list[str]) -> list[dict]:
    by_sent: dict[int, list[Hit]] = {}
    for h in score.hits:
        by_sent.setdefault(h.sentence, []).append(h)
    rows = []
    a = score.article
    for s in score.sentences:
        hs = by_sent.get(s.index, [])
        row = {"id": a.id, "source": a.source, "date": a.day, "sent_idx": s.index, "text": s.text}
        for f in frames:
            fh = [h for h in hs if h.frame == f]
            row[f"{f}_hits"] = len(fh)
            row[f"{f}_present"] = int(bool(fh))
        row["terms"] = "; ".join(f"{h.frame}:{h.term}" for h in hs)
        rows.append(row)
    return rows
