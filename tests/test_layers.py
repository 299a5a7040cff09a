"""The package's shape, read with ``ast``: layers, third-party libraries, cycles, sizes.

Data flows one way (README, Development): a module may import modules of its own
layer or of layers below it, never above; each third-party library is imported
only where it is allowed; no import cycle, counting imports inside functions and
under ``TYPE_CHECKING``; no function over 80 lines; no CLI command body over 15.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "discourse"

#: Lowest first. A module is in the first layer whose prefixes match its name.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "base",
        (
            "discourse",
            "errors",
            "shared",
            "models",
            "resources",
            "formats",
            "atomic",
            "safeyaml",
            "workers",
            "columnar",
            "speedups",  # the compiled accelerator, or None
        ),  # fmt: skip
    ),
    ("provenance", ("provenance",)),  # reads lexicon and model by attribute
    ("dates", ("dates",)),
    ("acquire and store", ("extract", "ingest", "http", "store", "tokenize")),
    ("lexicon", ("lexicon",)),
    ("measurement error", ("correction",)),  # pure numpy/scipy; evaluate uses it
    ("classifier", ("classifier",)),
    ("scoring", ("scoring", "cluster")),  # cluster: the same scoring on dask workers
    ("statistics", ("stats",)),
    ("evidence", ("evidence", "labeling")),
    ("library api", ("api", "stream")),  # stream: score PATH... without a store
    ("commands and report", ("commands", "report")),
    ("output", ("render", "terminal")),
    ("command line", ("cli", "__main__")),
]

#: Third-party library -> the modules (or subpackages) that may import it.
THIRD_PARTY = {
    "sqlite3": ("store",),
    "nltk": ("tokenize",),
    "tabulate": ("formats",),
    "typer": ("cli",),
    "click": (),  # never: typer vendors its own
    "sklearn": ("classifier",),
    "numpy": ("classifier", "stats", "correction"),
    "scipy": ("classifier", "stats", "correction"),
    "trafilatura": ("extract",),
    "feedparser": ("http.feeds",),
    "tomli": ("http.feeds",),
    "tomllib": ("http.feeds",),
    "jinja2": ("report.documents",),
    "markupsafe": ("report.documents",),
    "matplotlib": ("report.documents",),
    "yaml": ("safeyaml",),
    "ahocorasick": ("lexicon",),  # the scoring hot path's automaton
    "pyarrow": ("columnar",),  # parquet files and datasets
    "dask": ("cluster",),
    "distributed": ("cluster",),  # one strict loader for front matter, lexicons and convert
    "pickle": (),
    "joblib": (),
}

#: Functions over 80 lines, being rewritten elsewhere (none left).
LONG_FUNCTIONS_ALLOWED: set[tuple[str, str]] = set()


def _modules() -> dict[str, Path]:
    out = {}
    for p in sorted(PACKAGE.rglob("*.py")):
        parts = p.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts) or "discourse"] = p
    return out


MODULES = _modules()


@cache
def _tree(path: Path) -> ast.Module:
    """The module's syntax tree, parsed once per test process (the tests only read it)."""
    return ast.parse(path.read_text(encoding="utf-8"))


def _imports(path: Path) -> list[tuple[str, int]]:
    """Every imported module name (absolute), anywhere in the file, with its line."""
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module, node.lineno))
            found += [(f"{node.module}.{a.name}", node.lineno) for a in node.names]
    return found


def _internal(name: str) -> str | None:
    """``discourse.x.y`` -> the package module it names (``x.y`` or ``x``), else None."""
    if name != "discourse" and not name.startswith("discourse."):
        return None
    rest = name[len("discourse.") :] if name != "discourse" else "discourse"
    while rest not in MODULES and "." in rest:
        rest = rest.rsplit(".", 1)[0]
    return rest if rest in MODULES else None


def _matches(module: str, prefixes) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _layer(module: str) -> int:
    for i, (_, prefixes) in enumerate(LAYERS):
        if _matches(module, prefixes):
            return i
    raise AssertionError(f"discourse.{module} is in no layer; add it to LAYERS")


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for mod, path in MODULES.items():
        deps = {_internal(name) for name, _ in _imports(path)}
        graph[mod] = {d for d in deps if d is not None and d != mod}
    return graph


def test_every_module_has_a_layer():
    for mod in MODULES:
        _layer(mod)


def test_no_upward_import():
    upward = []
    for mod, path in MODULES.items():
        for name, line in _imports(path):
            dep = _internal(name)
            if dep and dep != mod and _layer(dep) > _layer(mod):
                upward.append(
                    f"{path.name}:{line} discourse.{mod} ({LAYERS[_layer(mod)][0]}) imports "
                    f"discourse.{dep} ({LAYERS[_layer(dep)][0]})"
                )
    assert not upward, "\n".join(upward)


def test_third_party_libraries_only_in_their_module():
    stray = []
    for mod, path in MODULES.items():
        for name, line in _imports(path):
            top = name.split(".")[0]
            if top in THIRD_PARTY and not _matches(mod, THIRD_PARTY[top]):
                stray.append(f"discourse.{mod} (line {line}) imports {top}")
    assert not stray, "\n".join(stray)


def test_no_import_cycle_even_lazy_or_type_checking():
    graph = _graph()
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                cycles.append(" -> ".join([*stack[stack.index(dep) :], dep]))
            elif dep not in state:
                visit(dep, [*stack, dep])
        state[node] = 2

    for mod in sorted(graph):
        if mod not in state:
            visit(mod, [mod])
    # a package's __init__ re-exporting its own modules is not a cycle of concern
    cycles = [c for c in cycles if len(set(c.split(" -> "))) > 1]
    assert not cycles, "\n".join(cycles)


def _functions(path: Path):
    for node in ast.walk(_tree(path)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def test_no_function_over_80_lines():
    long = []
    for mod, path in MODULES.items():
        for fn in _functions(path):
            n = fn.end_lineno - fn.lineno + 1
            if n > 80 and (mod, fn.name) not in LONG_FUNCTIONS_ALLOWED:
                long.append(f"discourse.{mod}.{fn.name}: {n} lines")
    assert not long, "\n".join(long)


def test_cli_command_bodies_are_short():
    """Signature and docstring excluded: parse, call one library function, render."""
    tree = ast.parse(MODULES["cli"].read_text(encoding="utf-8"))
    long = []
    commands = 0
    for fn in tree.body:
        is_command = isinstance(fn, ast.FunctionDef) and any(
            isinstance(d, ast.Call) and getattr(d.func, "attr", "") == "command"
            for d in fn.decorator_list
        )
        if not is_command:
            continue
        commands += 1
        body = fn.body
        if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]
        n = body[-1].end_lineno - body[0].lineno + 1
        if n > 15:
            long.append(f"{fn.name}: {n} lines")
    assert commands >= 20
    assert not long, "\n".join(long)


@pytest.mark.parametrize("mod", ["api", "commands", "evidence", "stats", "report.build"])
def test_library_never_imports_renderers(mod):
    deps = _graph()[mod]
    assert not deps & {"render", "terminal", "cli"}, deps
