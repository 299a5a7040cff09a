"""Keyed sentence fingerprints: training-set membership that only the key holder can test.

A model file that listed a plain hash of every training sentence would let anyone
confirm that a guessed sentence was in the training data. Instead a model stores
HMAC-SHA256 digests under a random secret key that lives outside the model files
(``DISCOURSE_KEY_FILE``, default ``$XDG_CONFIG_HOME/discourse/fingerprint.key``, created
on first use, readable only by its owner). ``evaluate`` on the machine that holds the
key can still count gold sentences that were in the training data; anyone without the
key learns nothing from the digests.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from discourse.tokenize import normalize

_DIGEST_HEX = 16  # 64 bits: no chance collisions within a labels file


def key_path() -> Path:
    """Where the fingerprint key lives: ``DISCOURSE_KEY_FILE``, else the user's config folder."""
    env = os.environ.get("DISCOURSE_KEY_FILE", "").strip()
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME", "").strip() or str(Path.home() / ".config")
    return Path(base) / "discourse" / "fingerprint.key"


def _read_key(path: Path) -> bytes | None:
    try:
        raw = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(raw)
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return key if len(key) >= 16 else None


def local_key(create: bool = False) -> bytes | None:
    """The secret key, created (mode 0600) when ``create`` and missing; None if unusable."""
    path = key_path()
    key = _read_key(path)
    if key is not None or not create:
        return key
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)  # another run created it meanwhile
    except OSError:
        return None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    return _read_key(path)


def key_id(key: bytes) -> str:
    """A short public name of a key (it reveals nothing about the key or the sentences)."""
    return hmac.new(key, b"discourse key id", hashlib.sha256).hexdigest()[:12]


def _norm(text: str) -> bytes:
    return " ".join(normalize(text).split()).encode("utf-8")


def keyed_fingerprints(texts: Iterable[str], key: bytes) -> list[str]:
    """HMAC-SHA256 (truncated) of each normalized sentence, sorted and deduplicated.

    Parameters
    ----------
    texts : iterable of str
        Sentences.
    key : bytes
        The secret key (:func:`local_key`).

    Returns
    -------
    list of str
        Hex digests; without the key they cannot be matched to any sentence.
    """
    return sorted(
        {hmac.new(key, _norm(t), hashlib.sha256).hexdigest()[:_DIGEST_HEX] for t in texts}
    )


def training_hmac(texts: Iterable[str]) -> dict | None:
    """``{"key_id", "digests"}`` for a model's training sentences; None without a usable key."""
    key = local_key(create=True)
    if key is None:
        return None
    return {"key_id": key_id(key), "digests": keyed_fingerprints(texts, key)}


def overlap(stored: dict | None, texts: list[str]) -> int | None:
    """How many of ``texts`` are among the stored digests; None when this key cannot tell."""
    if not stored:
        return None
    key = local_key()
    if key is None or key_id(key) != stored.get("key_id"):
        return None
    seen = set(stored.get("digests") or ())
    return sum(
        1
        for t in texts
        if hmac.new(key, _norm(t), hashlib.sha256).hexdigest()[:_DIGEST_HEX] in seen
    )
