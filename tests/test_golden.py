"""Every command's output on the demo corpus is byte-identical to tests/golden/expected/.

A failure here means output changed. If the change is intended (a new lexicon version,
a new column), regenerate with ``python -m tests.golden.regenerate [CASE...]`` and review
``git diff tests/golden/expected``; see tests/golden/__init__.py.
"""

from __future__ import annotations

import difflib
import shutil

import pytest

from tests.golden.cases import CASES, expected_files, make_workspace, run_case

from .conftest import built_once

# Cases that take over about a second each on the project's machines; the rest
# keep the default run short and still cover every command and format.
SLOW = {"report_all", "report_model"}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """This module's copy of the workspace, which is built once per run (the model's
    training is most of its cost) and shared by the xdist workers."""
    work = tmp_path_factory.mktemp("golden") / "work"
    shutil.copytree(built_once(tmp_path_factory, "golden-workspace", make_workspace), work)
    return work


def _param(case):
    marks = [pytest.mark.slow] if case.slow or case.name in SLOW else []
    return pytest.param(case, id=case.name, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_golden_output(case, workspace):
    expected = expected_files(case)
    assert expected, f"no golden files for {case.name}; run python -m tests.golden.regenerate"
    actual = run_case(case, workspace)
    for name, body in expected.items():
        if actual.get(name) != body:
            diff = difflib.unified_diff(
                body.decode("utf-8", "replace").splitlines(),
                actual.get(name, b"(missing)").decode("utf-8", "replace").splitlines(),
                "expected/" + name,
                "actual/" + name,
                lineterm="",
                n=1,
            )
            pytest.fail(f"{name} differs from the golden file:\n" + "\n".join(list(diff)[:40]))
    assert sorted(actual) == sorted(expected)
