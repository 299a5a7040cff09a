"""The optional compiled accelerator of the scoring hot path, or None.

``discourse/_speedups.pyx`` (Cython) is built by the package's build hook
(``hatch_build.py``) when a C compiler is at hand. It gives exactly what the
pure-Python code gives (tests/test_speedups.py compares the two), only faster; a
pure-Python install runs the same code paths without it. Setting the environment
variable ``DISCOURSE_PURE`` (to anything) turns it off, for tests and debugging.
"""

from __future__ import annotations

import os
from types import ModuleType


def _load() -> ModuleType | None:
    if os.environ.get("DISCOURSE_PURE"):
        return None
    try:
        from discourse import _speedups
    except ImportError:  # pragma: no cover - a pure-Python install
        return None
    return _speedups


#: The compiled module, or None (not built, or ``DISCOURSE_PURE`` set).
ext = _load()
