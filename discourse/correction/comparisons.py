"""Attaching corrected shares to comparisons: counts collected as scores flow past, the
records' fields and the provenance of the correction."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from discourse.correction.bootstrap import SourceCounts
from discourse.correction.estimators import SHRINK, UNSTABLE_J
from discourse.correction.sample import ValidationSample


class CountsCollector:
    """Collects per-article counts from a stream of article scores as it flows past.

    ``wrap(scores)`` yields the scores unchanged (so :func:`discourse.stats.compare` can
    consume them) and keeps, per group (``by``: source, or source and period, as given by
    ``group_key(score)``; None leaves a score out), each article's sentence count and the
    sentences the method flagged per frame; with ``unit="article"``, 1 and whether the
    method finds the frame in the article (for article prevalence).

    Parameters
    ----------
    frames : sequence of str
        The frames, in the order of the counts' columns.
    by : tuple of str
        The grouping; it must hold ``source``.
    group_key : callable, optional
        Score -> its group key, or None to leave it out (default: ``(source,)``).
    unit : {"sentence", "article"}
    """

    def __init__(
        self,
        frames: Sequence[str],
        by: tuple[str, ...] = ("source",),
        group_key: Callable[[object], tuple | None] | None = None,
        unit: str = "sentence",
    ) -> None:
        self.frames = list(frames)
        self.by = by
        self.group_key = group_key or (lambda sc: (sc.article.source,))
        self.unit = unit
        self._groups: dict[tuple, tuple[list[int], list[list[int]]]] = {}

    def wrap(self, scores):
        """Pass ``scores`` through, keeping the counts of each.

        Parameters
        ----------
        scores : iterable of ArticleScore

        Yields
        ------
        ArticleScore
            Each score, unchanged.
        """
        article = self.unit == "article"
        for sc in scores:
            key = self.group_key(sc)
            if key is not None:
                sent, flagged = self._groups.setdefault(key, ([], []))
                sent.append(1 if article else sc.n_sentences)
                flagged.append(
                    [
                        int(sc.frames[f].present) if article else sc.frames[f].sentences_with
                        for f in self.frames
                    ]
                )
            yield sc

    def counts(self) -> list[SourceCounts]:
        """One :class:`SourceCounts` per group, its ``source`` the group's source.

        Returns
        -------
        list of SourceCounts
            Sorted by group key.
        """
        out = []
        si = self.by.index("source")
        for key in sorted(self._groups):
            sent, flagged = self._groups[key]
            out.append(
                SourceCounts(
                    key[si], np.asarray(sent, dtype=float),
                    np.asarray(flagged, dtype=float).reshape(len(sent), len(self.frames)),
                    key=key, unit=self.unit,
                )
            )  # fmt: skip
        return out


def correction_label(val: ValidationSample, estimator: str, scope: str) -> str:
    """The ``correction`` field: what a corrected figure rests on, in one line.

    Parameters
    ----------
    val : ValidationSample
        The coded sample the rates come from.
    estimator : str
        The estimator that corrected the figure.
    scope : str
        Whose rates were used (``pooled``, ``partial``, ...).

    Returns
    -------
    str
        ``key=value`` pairs separated by ``;``.
    """
    return (
        f"estimator={estimator};method={val.method or 'unknown'};"
        f"validation_sha256={val.sha256[:16]};n={len(val)};rates={scope};unit={val.unit}"
    )


def _matched(records: list[dict], corrected: list[dict], by: tuple[str, ...]):
    """(record, its corrected figures) for each record that has them (same group and frame)."""
    index = {(tuple(c["key"]), c["frame"]): c for c in corrected}
    for rec in records:
        c = index.get((tuple(rec[b] for b in by), rec["frame"]))
        if c is not None:
            yield rec, c


def attach(
    records: list[dict], corrected: list[dict], val: ValidationSample, by: tuple[str, ...]
) -> list[dict]:
    """Add ``corrected``, ``corrected_lo``, ``corrected_hi``, ``corrected_unstable`` and
    ``correction`` to comparison records (matched on the group key and frame).

    Parameters
    ----------
    records : list of dict
        Comparison records; changed in place.
    corrected : list of dict
        The corrected figures, one per (group, frame).
    val : ValidationSample
        The sample behind them (named in ``correction``).
    by : tuple of str
        The grouping of both.

    Returns
    -------
    list of dict
        ``records``.
    """
    for rec, c in _matched(records, corrected, by):
        rec["corrected"] = c["corrected"]
        rec["corrected_lo"] = c["corrected_lo"]
        rec["corrected_hi"] = c["corrected_hi"]
        rec["corrected_unstable"] = bool(c["unstable"])
        rec["correction"] = correction_label(val, c["estimator"], c["rates_scope"])
    return records


def attach_probabilistic(
    records: list[dict], corrected: list[dict], by: tuple[str, ...]
) -> list[dict]:
    """Add the probabilistic figures to comparison records: ``pcc`` (mean probability),
    ``pcc_corrected`` (adjusted), ``pcc_corrected_lo``/``_hi`` and ``pcc_unstable``.

    Parameters
    ----------
    records : list of dict
        Comparison records; changed in place.
    corrected : list of dict
        The probabilistic figures, one per (group, frame).
    by : tuple of str
        The grouping of both.

    Returns
    -------
    list of dict
        ``records``.
    """
    for rec, c in _matched(records, corrected, by):
        rec["pcc"] = c["raw"]
        rec["pcc_corrected"] = c["corrected"]
        rec["pcc_corrected_lo"] = c["corrected_lo"]
        rec["pcc_corrected_hi"] = c["corrected_hi"]
        rec["pcc_unstable"] = bool(c["unstable"])
    return records


def correction_meta(val: ValidationSample, corrected: Sequence[dict]) -> dict:
    """What the corrected figures rest on, for a command's provenance.

    Parameters
    ----------
    val : ValidationSample
        The coded sample.
    corrected : sequence of dict
        The corrected figures (their notes and rate scopes are gathered).

    Returns
    -------
    dict
        The sample's provenance, the estimator, the interval, the instability
        threshold, how many figures are unstable, and notes.
    """
    notes = list(val.notes)
    for r in corrected:
        if r["note"] and r["note"] not in notes:
            notes.append(r["note"])
    scopes = {r["rates_scope"] for r in corrected}
    if "partial" in scopes:
        notes.append(
            "each source's sensitivity and specificity are its own, shrunk towards the "
            f"pooled ones as if those had been seen in {SHRINK:g} more coded {val.unit}s"
        )
    return {
        **val.provenance(),
        "corrects": "prevalence" if val.unit == "article" else "sentence_share",
        "estimator": "adjusted classify-and-count (Rogan-Gladen), clipped to [0, 1]",
        "interval": "percentile bootstrap over articles and validation rows within strata",
        "unstable_below": UNSTABLE_J,
        "n_unstable": sum(1 for r in corrected if r["unstable"]),
        "notes": notes,
    }
