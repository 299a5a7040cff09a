"""YAML for hostile input: the only module that imports ``yaml``.

Plain data only (``yaml.SafeLoader``), and stricter than it:

* aliases (``*name``) are refused, so a few hundred bytes of nested anchors cannot
  expand to gigabytes (an "alias bomb"); anchors alone are harmless and allowed;
* a key given twice in one mapping is an error with both line numbers (YAML's
  own behaviour, last-wins, silently drops data);
* nesting deeper than :data:`MAX_DEPTH` is an error (no ``RecursionError``);
* a value YAML cannot build (an integer of thousands of digits) is an error.

Every problem is a :class:`YamlError` with a 1-based line number, never another
exception type.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_DEPTH = 64

Node = yaml.Node
MappingNode = yaml.MappingNode
SequenceNode = yaml.SequenceNode
ScalarNode = yaml.ScalarNode


class YamlError(ValueError):
    """YAML that cannot be loaded safely; ``line`` is 1-based (None if unknown)."""

    def __init__(self, problem: str, line: int | None = None) -> None:
        super().__init__(problem if line is None else f"line {line}: {problem}")
        self.problem = problem
        self.line = line


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses aliases, duplicate keys and deep nesting."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):  # noqa: D102 - PyYAML hook
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise YamlError(
                f"YAML alias '*{event.anchor}' is not allowed (aliases can expand to "
                "gigabytes); write the value out in full",
                event.start_mark.line + 1,
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise YamlError(f"nested deeper than {MAX_DEPTH} levels", mark.line + 1)
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if isinstance(node, yaml.MappingNode):
            _check_duplicates(node)
        return node


def _check_duplicates(node: yaml.MappingNode) -> None:
    seen: dict[tuple[str, str], int] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        ident = (key.tag, key.value)
        line = key.start_mark.line + 1
        if ident in seen:
            raise YamlError(
                f"duplicate key '{key.value}' (first given on line {seen[ident]}); "
                "keep one of them",
                line,
            )
        seen[ident] = line


def _error(e: yaml.YAMLError, text: str) -> YamlError:
    if isinstance(e, yaml.reader.ReaderError):
        line = text.count("\n", 0, e.position) + 1 if isinstance(e.position, int) else None
        char = e.character if isinstance(e.character, int) else ord(str(e.character)[:1] or "?")
        return YamlError(f"control character U+{char:04X} is not allowed in YAML", line)
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    problem = (getattr(e, "problem", None) or getattr(e, "context", None) or str(e)).strip()
    problem = " ".join(problem.split())  # one line
    if "constructor for the tag" in problem:
        problem = problem.replace(
            "could not determine a constructor for the tag", "unsupported YAML tag"
        )
        problem += " (plain data only; remove the tag)"
    return YamlError(problem, mark.line + 1 if mark is not None else None)


def load_with_nodes(text: str) -> tuple[Any, yaml.Node | None]:
    """Load one YAML document; return (data, its node tree for line numbers).

    Parameters
    ----------
    text : str
        The YAML text.

    Returns
    -------
    tuple
        The plain data (dicts, lists, scalars) and the root node (None if empty).

    Raises
    ------
    YamlError
        On invalid YAML, an alias, a duplicate key, deep nesting or an unbuildable value.
    """
    fast = _load_fast(text)
    if fast is not None:
        return fast
    loader = None
    try:
        loader = _Loader(text)  # the reader refuses control characters here already
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except YamlError:
        raise
    except yaml.YAMLError as e:
        raise _error(e, text) from None
    except (ValueError, OverflowError, RecursionError, UnicodeError) as e:
        raise YamlError(f"unreadable value: {str(e).splitlines()[0][:120]}") from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, root


def _load_fast(text: str) -> tuple[Any, yaml.Node | None] | None:
    """:func:`load_with_nodes` with libyaml (about ten times faster), for a document
    that passes every check; None when libyaml is missing or anything is wrong, so
    that the pure-Python loader above finds the problem and words its error."""
    if not yaml.__with_libyaml__ or yaml.reader.Reader.NON_PRINTABLE.search(text):
        return None
    loader = yaml.CSafeLoader(text)  # libyaml refuses nesting over 1,000 levels itself
    try:
        root = loader.get_single_node()
        if root is not None and not _plain_tree(root):
            return None
        data = loader.construct_document(root) if root is not None else None
    except (yaml.YAMLError, YamlError, ValueError, OverflowError, RecursionError, UnicodeError):
        return None
    finally:
        loader.dispose()
    return data, root


def _plain_tree(root: yaml.Node) -> bool:
    """Whether a composed tree has no alias (a node reached twice), no duplicate key
    and no nesting deeper than :data:`MAX_DEPTH` (walked without recursion)."""
    seen: set[int] = set()
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen or depth > MAX_DEPTH:
            return False
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            _check_duplicates(node)
            stack.extend((n, depth + 1) for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((n, depth + 1) for n in node.value)
    return True


def parse(text: str) -> Any:
    """Load one YAML document as plain data (see :func:`load_with_nodes`).

    Parameters
    ----------
    text : str
        The YAML text.

    Returns
    -------
    Any
        Dicts, lists and scalars; None for an empty document.
    """
    return load_with_nodes(text)[0]


def dump(data: Any) -> str:
    """Plain data as block-style YAML text (keys in the given order, Unicode kept).

    Parameters
    ----------
    data : Any
        Dicts, lists and scalars.

    Returns
    -------
    str
        The YAML text.
    """
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
