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


#: Library modules whose public functions, classes and methods carry numpydoc
#: Parameters and Returns (or Yields) sections, and their examples run (below).
NUMPYDOC = [
    "discourse.stats",
    "discourse.store",
    "discourse.classifier.estimator",
    "discourse.correction.bootstrap",
    "discourse.correction.comparisons",
    "discourse.correction.estimators",
    "discourse.correction.sample",
    "discourse.correction.sampling",
]
#: Store methods the score-cache work is rewriting: documented there.
NUMPYDOC_PENDING: set[str] = set()


def _has(doc: str, section: str) -> bool:
    return f"\n{section}\n{'-' * len(section)}\n" in f"\n{doc}\n"


def _callables(module):
    """(qualified name, object, is a class) of a module's public functions, classes and
    their public methods."""
    for name, obj in _public(module):
        if inspect.isclass(obj) and issubclass(obj, BaseException):
            continue  # an error documents its message, not a constructor
        yield name, obj, inspect.isclass(obj)
        if inspect.isclass(obj):
            for attr, fn in vars(obj).items():
                if not attr.startswith("_") and inspect.isfunction(fn):
                    yield f"{name}.{attr}", fn, False


def _missing_sections(obj, is_class: bool) -> list[str]:
    doc = inspect.getdoc(obj) or ""
    sig = inspect.signature(obj)
    params = [p for p in sig.parameters if p not in ("self", "cls")]
    if is_class:  # a class documents its constructor (Parameters, or Attributes)
        ok = not params or _has(doc, "Parameters") or _has(doc, "Attributes")
        return [] if ok else ["Parameters"]
    missing = [] if not params or _has(doc, "Parameters") else ["Parameters"]
    returns_none = sig.return_annotation in ("None", None)
    if not returns_none and not (_has(doc, "Returns") or _has(doc, "Yields")):
        missing.append("Returns")
    return missing


@pytest.mark.parametrize("module", NUMPYDOC)
def test_library_public_callables_have_parameters_and_returns(module):
    import importlib

    mod = importlib.import_module(module)
    found = list(_callables(mod))
    assert found
    missing = [
        f"{module}.{name}: {section}"
        for name, obj, is_class in found
        if name not in NUMPYDOC_PENDING
        for section in _missing_sections(obj, is_class)
    ]
    assert not missing, missing


def test_the_section_check_finds_a_missing_section():
    def documented(a: int) -> int:
        """Add one.

        Parameters
        ----------
        a : int

        Returns
        -------
        int
        """
        return a + 1

    def bare(a: int) -> int:
        """Add one."""
        return a + 1

    def quiet(a: int) -> None:
        """Say nothing.

        Parameters
        ----------
        a : int
        """

    assert _missing_sections(documented, False) == []
    assert _missing_sections(bare, False) == ["Parameters", "Returns"]
    assert _missing_sections(quiet, False) == []


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
    "discourse.correction.bootstrap",
]


@pytest.mark.parametrize("module", DOCUMENTED)
def test_docstring_examples_run(module, monkeypatch):
    import importlib

    monkeypatch.chdir(ROOT)  # the examples read corpora/demo
    mod = importlib.import_module(module)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
