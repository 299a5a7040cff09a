"""Errors the user can act on.

Every message is one line: what went wrong, with which value, and how to fix it.
The CLI prints ``discourse: error: <message>`` and exits with ``exit_code``.
"""

from __future__ import annotations


class DiscourseError(Exception):
    """Base class: a problem with the user's input or environment (exit code 1)."""

    exit_code = 1


class UsageError(DiscourseError):
    """A command line that cannot run: a required argument missing, options that
    exclude each other (exit code 2, as for the parser's own usage errors)."""

    exit_code = 2


class InputError(DiscourseError):
    """A file or value given by the user cannot be used."""


class LexiconError(DiscourseError):
    """A lexicon file is invalid."""


class StoreError(DiscourseError):
    """The article store cannot be opened or written."""


class ModelError(DiscourseError):
    """A model file is missing, corrupt, tampered with or incompatible."""


class LockError(DiscourseError):
    """Another run holds the lock (exit code 3)."""

    exit_code = 3
