"""Drawing a validation sample: stratified, equal allocation capped at stratum size, seeded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from discourse.shared import DEFAULT_SEED


def allocate(sizes: Mapping[str, int], n: int) -> dict[str, int]:
    """Sample size per stratum: ``n`` split equally over strata, capped at their size.

    A stratum smaller than its share is taken whole and the rest is shared by the
    others (water-filling), so every non-empty stratum gets rows while ``n`` allows.
    With strata source x flagged/unflagged this oversamples what the method flags.

    Parameters
    ----------
    sizes : mapping of str to int
        Rows available per stratum.
    n : int
        The sample size.

    Returns
    -------
    dict of str to int

    Examples
    --------
    >>> allocate({"A|flagged": 3, "A|unflagged": 50, "B|flagged": 20}, 30)
    {'A|flagged': 3, 'A|unflagged': 14, 'B|flagged': 13}
    """
    alloc = {h: 0 for h in sizes}
    remaining = min(int(n), sum(max(0, int(v)) for v in sizes.values()))
    open_ = sorted(h for h in sizes if sizes[h] > 0)
    while remaining > 0 and open_:
        share = max(1, remaining // len(open_))
        for h in open_:
            take = min(share, sizes[h] - alloc[h], remaining)
            alloc[h] += take
            remaining -= take
        open_ = [h for h in open_ if alloc[h] < sizes[h]]
    return alloc


def draw_stratified(
    strata: Sequence[str], n: int, seed: int = DEFAULT_SEED
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """A stratified random sample of ``n`` items, seeded.

    Parameters
    ----------
    strata : sequence of str
        Each item's stratum.
    n : int
        Sample size (allocated by :func:`allocate`).
    seed : int
        Random seed.

    Returns
    -------
    tuple of (ndarray, ndarray, dict)
        The chosen indices (in random order, so a sample coded in part is a random part of
        each stratum), their weights ``N_h / n_h`` (inverse inclusion probabilities), and
        ``N_h`` per stratum.
    """
    labels = np.asarray(list(strata), dtype=object)
    names = sorted(set(labels.tolist()))
    sizes = {h: int((labels == h).sum()) for h in names}
    alloc = allocate(sizes, n)
    rng = np.random.default_rng(seed)
    idx, wts = [], []
    for h in names:
        if alloc[h] == 0:
            continue
        members = np.flatnonzero(labels == h)
        take = rng.choice(members, size=alloc[h], replace=False)
        idx.append(take)
        wts.append(np.full(alloc[h], sizes[h] / alloc[h]))
    if not idx:
        return np.zeros(0, dtype=np.int64), np.zeros(0), sizes
    order = rng.permutation(sum(len(i) for i in idx))
    return np.concatenate(idx)[order], np.concatenate(wts)[order], sizes
