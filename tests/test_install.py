"""A non-editable install (a built wheel) finds the default lexicon and the demo corpus."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT


@pytest.fixture(scope="module")
def wheel_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    (wheel,) = out.glob("discourse-*.whl")
    site = out / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    return site


def _run(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site), "NO_COLOR": "1"}
    env.pop("DISCOURSE_DB", None)
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )


def test_wheel_carries_lexicon_and_demo_corpus(wheel_dir, tmp_path):
    r = _run(
        wheel_dir,
        "-c",
        "import discourse.resources as r, discourse;"
        "print(discourse.__file__); print(r.default_lexicon_path());"
        "print(r.demo_corpus_path())",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    pkg, lexicon, demo = (Path(line) for line in r.stdout.splitlines())
    assert str(pkg).startswith(str(wheel_dir))  # not the checkout
    assert lexicon.is_file() and str(lexicon).startswith(str(wheel_dir))
    assert demo.is_dir() and len(list(demo.glob("*/*.md"))) >= 80


def test_installed_tool_runs_on_demo_corpus(wheel_dir, tmp_path):
    r = _run(wheel_dir, "-m", "discourse", "compare", "--demo", "-f", "json", "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["meta"]["lexicon"] == "china-russia-frames"
    assert data["meta"]["n_sources"] == 5
    r = _run(wheel_dir, "-m", "discourse", "lexicon", "test", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.strip().endswith("0 failed")


@pytest.mark.slow
def test_installed_report_finds_its_templates(wheel_dir, tmp_path):
    """The HTML template and CSS are package data (importlib.resources), in the wheel."""
    names = {p.relative_to(wheel_dir).as_posix() for p in wheel_dir.rglob("templates/*")}
    assert {
        "discourse/report/templates/report.html.j2",
        "discourse/report/templates/report.css",
    } <= names
    r = _run(
        wheel_dir, "-m", "discourse", "report", "--demo", "--week", "2026-W47", "-o", "out",
        "-q", "--boot", "100", cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "out" / "2026-W47" / "report.html").read_text(encoding="utf-8")
    assert "<style>" in html and ":root" in html
