"""What produced an output: the one builder of provenance records.

Every command's ``meta`` (compare, score, the evidence commands, evaluate), the
report's provenance and the model card name the tool, the lexicon and the model
the same way because they are all built here. The lexicon and the model are
read by attribute (``name``, ``version``, ``hash``, ``sha256``; ``model_hash``),
so this base module imports neither.
"""

from __future__ import annotations

from typing import Any, Protocol

from discourse import __version__


class _LexiconLike(Protocol):
    name: str
    version: str

    @property
    def hash(self) -> str: ...

    @property
    def sha256(self) -> str: ...


class _ModelLike(Protocol):
    @property
    def model_hash(self) -> str: ...


def provenance(
    lexicon: _LexiconLike | None = None,
    *,
    method: str | None = None,
    model: _ModelLike | None = None,
    tool: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """A flat provenance record: tool, lexicon, method, model, then ``extra`` in order.

    Parameters
    ----------
    lexicon : Lexicon, optional
        Adds ``lexicon``, ``lexicon_version`` and ``lexicon_hash`` (12 hex digits).
    method : str, optional
        The scoring method (``lexicon``, ``classifier``, ``both``...), as ``method``.
    model : FrameClassifier, optional
        Adds ``model_hash`` (12 hex digits).
    tool : bool
        Start with ``tool_version``, the version of discourse.
    **extra
        Further keys, kept in the order given; they may replace the keys above.

    Returns
    -------
    dict
        Keys in a fixed order (JSON output depends on it); no key for an argument
        that is None.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> lex = SimpleNamespace(name="demo", version="1.0", hash="abc", sha256="abc...")
    >>> meta = provenance(lex, method="lexicon", n_articles=3)
    >>> list(meta)
    ['tool_version', 'lexicon', 'lexicon_version', 'lexicon_hash', 'method', 'n_articles']
    """
    meta: dict[str, Any] = {"tool_version": __version__} if tool else {}
    if lexicon is not None:
        meta["lexicon"] = lexicon.name
        meta["lexicon_version"] = lexicon.version
        meta["lexicon_hash"] = lexicon.hash
    if method is not None:
        meta["method"] = method
    if model is not None:
        meta["model_hash"] = model.model_hash
    meta.update(extra)
    return meta


def lexicon_record(lexicon: _LexiconLike | None) -> dict[str, str] | None:
    """The lexicon as a nested record (model cards, validation samples).

    Parameters
    ----------
    lexicon : Lexicon or None

    Returns
    -------
    dict or None
        ``name``, ``version``, ``hash`` (12 hex digits) and ``sha256``; None without
        a lexicon.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> lexicon_record(SimpleNamespace(name="demo", version="1.0", hash="ab", sha256="abcd"))
    {'name': 'demo', 'version': '1.0', 'hash': 'ab', 'sha256': 'abcd'}
    """
    if lexicon is None:
        return None
    return {
        "name": lexicon.name,
        "version": lexicon.version,
        "hash": lexicon.hash,
        "sha256": lexicon.sha256,
    }
