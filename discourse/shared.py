"""Types and defaults that every layer shares, defined once.

* :data:`Warn` — a callback that receives one warning line (no ``warning:`` prefix).
* :data:`Note` — a callback that receives one progress or status line.
* :data:`Progress` — a callback that receives the number of items done so far
  (:class:`discourse.terminal.Progress` is one; it may carry a ``total``).
* :data:`DEFAULT_SEED`, :data:`DEFAULT_BOOT` — the seed of every random choice
  (bootstrap, folds, samples) and the number of bootstrap resamples.
"""

from __future__ import annotations

from collections.abc import Callable

Warn = Callable[[str], None]
Note = Callable[[str], None]
Progress = Callable[[int], None]

DEFAULT_SEED = 20260804
DEFAULT_BOOT = 2000
