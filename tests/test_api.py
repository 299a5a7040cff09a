"""api: every public callable documents itself (numpydoc); the library's examples run."""

from __future__ import annotations

import doctest
import inspect

import pytest

from discourse import api

from .conftest import ROOT

SECTIONS = ("Parameters", "Returns", "Examples")


def _public(module):
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj) or inspect.isclass(obj):
            yield name, obj


def test_api_public_callables_have_numpydoc_sections():
    found = dict(_public(api))
    assert {"open_inputs", "scores", "compare_sources", "Inputs"} <= set(found)
    missing = []
    for name, obj in found.items():
        doc = inspect.getdoc(obj) or ""
        # a class documents its constructor's Parameters; it returns itself
        wanted = [s for s in SECTIONS if not (inspect.isclass(obj) and s == "Returns")]
        for section in wanted:
            if f"\n{section}\n{'-' * len(section)}\n" not in f"\n{doc}\n":
                missing.append(f"api.{name}: {section}")
    assert not missing, missing


DOCUMENTED = [
    "discourse.api",
    "discourse.provenance",
    "discourse.stats",
    "discourse.correction.sample",
    "discourse.correction.sampling",
    "discourse.correction.estimators",
    "discourse.lexicon",
    "discourse.scoring",
    "discourse.store",
    "discourse.classifier.estimator",
]


@pytest.mark.parametrize("module", DOCUMENTED)
def test_docstring_examples_run(module, monkeypatch):
    import importlib

    monkeypatch.chdir(ROOT)  # the examples read corpora/demo
    mod = importlib.import_module(module)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
