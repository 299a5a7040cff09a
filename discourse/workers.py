"""Worker processes: the one pool behind every ``--workers`` option.

A task is a callable that takes a list of items (a chunk of articles, a few
cross-validation folds) and returns one result per item. :func:`imap` runs it
over a stream of items in ``workers`` processes, a few chunks in flight, and
yields the results in input order, so the output is the same whatever the number
of workers. Small inputs (fewer items than ``min_chunk``) never start a process.

Processes are forked where the platform allows it, so the task (a scorer, a
matcher, the labels of a cross-validation) is inherited, not pickled; only the
chunks and their results travel between processes.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

MAX_WORKERS = 8

Task = Callable[[list], list]


def default_workers() -> int:
    """Processes when none are asked for: the cores, at most :data:`MAX_WORKERS`."""
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


_TASK: Task | None = None


def _init(task: Task) -> None:
    import signal

    global _TASK
    _TASK = task
    # Ctrl-C goes to the whole process group: the main process stops the run and
    # reports it; a worker must not print a traceback of its own. SIGINT arrives
    # blocked (see Pool.submit): ignore it, then unblock.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _run(chunk: list) -> list:
    return _TASK(chunk)  # type: ignore[misc]


class Pool:
    """Processes that each hold one task and run it on the chunks submitted to them.

    Parameters
    ----------
    task : callable
        ``task(chunk) -> list``; inherited by each process (fork) or pickled once.
    workers : int
        Processes.
    """

    def __init__(self, task: Task, workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
        self.workers = workers
        self.executor = ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_init, initargs=(task,)
        )

    def submit(self, chunk: list) -> Any:
        """A future for ``task(chunk)`` (None for an empty chunk)."""
        if not chunk:
            return None
        # Workers are started by submit. A Ctrl-C between a worker's start and its
        # initializer would raise KeyboardInterrupt in it (a traceback, and a broken
        # pool): SIGINT is blocked meanwhile; workers ignore it before unblocking, and
        # here a pending Ctrl-C arrives on unblocking.
        import signal
        import threading

        blockable = hasattr(signal, "pthread_sigmask") and (
            threading.current_thread() is threading.main_thread()
        )
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if blockable else None
        try:
            return self.executor.submit(_run, chunk)
        finally:
            if blockable:
                signal.pthread_sigmask(signal.SIG_SETMASK, old)

    @staticmethod
    def result(future) -> list:
        """The results of a submitted chunk, waiting for them."""
        return future.result() if future is not None else []

    def close(self) -> None:
        """Stop the processes, dropping chunks not started yet."""
        self.executor.shutdown(cancel_futures=True)


def chunks(items: Iterable, size: int) -> Iterator[list]:
    """Consecutive lists of ``size`` items (the last one shorter)."""
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def imap(
    items: Iterable, task: Task, workers: int = 1, chunk: int = 100, min_chunk: int = 50
) -> Iterator:
    """``task``'s result for each item of ``items``, in order, computed in ``workers`` processes.

    Parameters
    ----------
    items : iterable
        Read lazily, ``chunk`` at a time.
    task : callable
        ``task(list_of_items) -> list_of_results`` (one result per item).
    workers : int
        Processes; 1 runs everything in this process.
    chunk : int
        Items per task call.
    min_chunk : int
        Processes start only once a chunk of at least this many items is read, so
        small inputs are handled in this process.

    Yields
    ------
    object
        One result per item, in input order (the same as with one worker).

    Examples
    --------
    >>> list(imap(range(5), lambda xs: [x * x for x in xs], workers=1, chunk=2))
    [0, 1, 4, 9, 16]
    """
    pool: Pool | None = None
    pending: deque = deque()
    try:
        for batch in chunks(items, chunk):
            if workers > 1 and pool is None and len(batch) >= min_chunk:
                pool = Pool(task, workers)
            if pool is None:
                yield from task(batch)
                continue
            pending.append(pool.submit(batch))
            while len(pending) > 2 * workers:
                yield from pool.result(pending.popleft())
        while pending:
            yield from pool.result(pending.popleft())  # type: ignore[union-attr]
    finally:
        if pool is not None:
            pool.close()
