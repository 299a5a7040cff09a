"""Rewrite the golden files: ``python -m tests.golden.regenerate [CASE...]``.

Run it only after an intentional change of output, then review
``git diff tests/golden/expected`` before committing.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from tests.golden.cases import BY_NAME, CASES, EXPECTED, make_workspace, run_case


def regenerate(names: list[str]) -> None:
    cases = [BY_NAME[n] for n in names] if names else CASES
    if not names and EXPECTED.exists():
        shutil.rmtree(EXPECTED)
    EXPECTED.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        make_workspace(work)
        for case in cases:
            folder = EXPECTED / case.name
            if folder.is_dir():
                shutil.rmtree(folder)
            for rel, body in run_case(case, work).items():
                path = EXPECTED / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(body)
            print(f"wrote {case.name}", file=sys.stderr)


if __name__ == "__main__":
    unknown = [n for n in sys.argv[1:] if n not in BY_NAME]
    if unknown:
        sys.exit(f"unknown golden case(s): {', '.join(unknown)}; see tests/golden/cases.py")
    regenerate(sys.argv[1:])
