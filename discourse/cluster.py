"""Scoring on a Dask cluster: the same scoring functions, run on ``dask.distributed`` workers.

``score``/``compare --dask ADDRESS`` replace the local worker processes by a
cluster: this process reads the articles (from the store, its cache, or PATHs),
sends the chunks that need scoring to the cluster's workers, and gets their
scores back in input order, so caching, aggregation and statistics are exactly
the local ones. ``ADDRESS`` is a scheduler (``tcp://host:8786``, started with
``dask scheduler`` and ``dask worker``) or ``local`` for a ``LocalCluster`` on
this machine. dask is optional (``pip install 'discourse[dask]'``) and imported
only here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from discourse.errors import InputError
from discourse.models import Article, ArticleScore
from discourse.scoring import Scorer, score_light
from discourse.workers import default_workers

INSTALL = "pip install 'discourse[dask]'"
CONNECT_TIMEOUT = "10s"


def distributed():
    """The ``dask.distributed`` module, or :class:`InputError` saying how to install it."""
    try:
        import distributed as d
    except ImportError:  # pragma: no cover - depends on the installation
        raise InputError(
            f"`dask` needs dask.distributed, which is not installed: {INSTALL}"
        ) from None
    return d


class DaskPool:
    """Scores chunks of articles on a Dask cluster (the interface of the local pool).

    Parameters
    ----------
    scorer : Scorer
        Sent once to every worker.
    keep : bool
        Keep sentences and hits (``--explain``).
    address : str
        A scheduler address, or ``"local"`` to start a ``LocalCluster`` of
        :func:`discourse.workers.default_workers` single-threaded worker processes.
    """

    def __init__(self, scorer: Scorer, keep: bool, address: str) -> None:
        d = distributed()
        self.cluster = None
        self.keep = keep
        if address == "local":
            self.cluster = d.LocalCluster(
                n_workers=default_workers(), threads_per_worker=1, dashboard_address=None,
                silence_logs=logging.ERROR,
            )  # fmt: skip
            address = self.cluster.scheduler_address
        try:
            self.client = d.Client(address, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as e:
            self._close_cluster()
            raise InputError(
                f"`dask` {address}: cannot reach a Dask scheduler ({type(e).__name__}); start "
                "one ('dask scheduler', then 'dask worker ADDRESS' on each machine) or use "
                "`dask` local"
            ) from None
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        self.scorer = self.client.scatter(scorer, broadcast=True)

    def submit(self, articles: list[Article]):
        """A future of the chunk's scores (None for an empty chunk)."""
        if not articles:
            return None
        return self.client.submit(score_light, self.scorer, self.keep, articles, pure=False)

    @staticmethod
    def result(future) -> list[ArticleScore]:
        """The scores of a submitted chunk, waiting for them."""
        return future.result() if future is not None else []

    def close(self) -> None:
        """Disconnect (and stop the local cluster, if this pool started one)."""
        self.client.close()
        self._close_cluster()

    def _close_cluster(self) -> None:
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None


def dask_pool(address: str) -> Callable[[Scorer, bool], DaskPool]:
    """A pool factory for :func:`discourse.scoring.iter_scores` (``cluster=``) that scores
    on the Dask cluster at ``address`` (``"local"``: a LocalCluster on this machine).

    Parameters
    ----------
    address : str
        ``tcp://host:port`` of a scheduler, or ``local``.

    Returns
    -------
    callable
        ``factory(scorer, keep) -> DaskPool``; the cluster is reached when the first
        chunk needs scoring (a run that finds everything in the cache never connects).
    """
    distributed()  # a missing installation fails before any work
    if not address.strip():
        raise InputError("`dask` needs a scheduler address (tcp://host:8786) or 'local'")
    return lambda scorer, keep: DaskPool(scorer, keep, address.strip())
