"""The optional compiled accelerators of the scoring hot path, or None.

``discourse/_speedups.pyx`` (the word tokenizer and the counting loop) and
``discourse/_sentences.pyx`` (the sentence splitter), in Cython, are built by the
package's build hook (``hatch_build.py``) when a C compiler is at hand. They give
exactly what the pure-Python code gives (tests/test_speedups.py and
tests/test_sentences_ext.py compare them), only faster; a pure-Python install runs
the same code paths without them. Setting the environment variable
``DISCOURSE_PURE`` (to anything) turns both off, for tests and debugging.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType


def _load(name: str) -> ModuleType | None:
    if os.environ.get("DISCOURSE_PURE"):
        return None
    try:
        return importlib.import_module(f"discourse.{name}")
    except ImportError:  # pragma: no cover - a pure-Python install
        return None


#: The compiled tokenizer and counting loop, or None (not built, or ``DISCOURSE_PURE``).
ext = _load("_speedups")
#: The compiled sentence splitter, or None.
sentences = _load("_sentences")
