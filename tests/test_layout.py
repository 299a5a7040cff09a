"""Tests mirror the package: each module has tests/test_<module>.py or a row in tests/README.md."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
PACKAGE = TESTS.parent / "discourse"


def _mapped() -> set[str]:
    """Modules (``name`` or ``subpackage/``) named in the first column of tests/README.md."""
    text = (TESTS / "README.md").read_text(encoding="utf-8")
    first = [line.split("|")[1] for line in text.splitlines() if line.startswith("| `")]
    return {m for cell in first for m in re.findall(r"`([\w/]+)`", cell)}


def test_every_module_has_its_tests():
    mapped = _mapped()
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        name = rel.stem
        if (TESTS / f"test_{name}.py").exists() or name in mapped:
            continue
        if len(rel.parts) > 1 and f"{rel.parts[0]}/" in mapped:
            continue
        missing.append(str(rel))
    assert not missing, "add tests/test_<module>.py or a row in tests/README.md: " + ", ".join(
        missing
    )


def test_the_mapping_names_existing_files():
    text = (TESTS / "README.md").read_text(encoding="utf-8")
    for name in re.findall(r"`(test_[\w]+\.py|reference_v1\.py)`", text):
        assert (TESTS / name).exists(), name
    for module in _mapped():
        assert (PACKAGE / module).is_dir() or (PACKAGE / f"{module}.py").exists(), module


def test_the_readme_drawing_names_every_module_and_stage():
    text = (TESTS.parent / "README.md").read_text(encoding="utf-8")
    dev = text.split("## Development", 1)[1]
    drawing = dev.split("```", 2)[1]
    words = set(re.findall(r"[\w]+/?", drawing))
    for stage in ("base", "acquire", "store", "text", "frames", "analysis", "output"):
        assert stage in words, stage
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.stem in ("__init__", "__main__"):
            continue
        assert rel.stem in words or f"{rel.parts[0]}/" in words, rel
