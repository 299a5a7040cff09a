"""atomic: a write replaces the file whole, or leaves the old one and no debris."""

from __future__ import annotations

import os

import pytest

from discourse.atomic import atomic_write


def test_write_creates_folders_and_replaces_the_file(tmp_path):
    target = tmp_path / "a" / "b" / "out.txt"
    atomic_write(target, "first\n")
    atomic_write(target, "sécond\n")
    assert target.read_bytes() == "sécond\n".encode()
    assert os.listdir(target.parent) == ["out.txt"]  # no temporary file left


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "out.bin"
    atomic_write(target, b"old")

    def broken(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.bin"]
