"""Build hook: compiles the optional scoring accelerators (discourse/_*.pyx).

hatchling builds the wheel; this hook, run before it, turns the Cython source into
a C extension with setuptools' ``build_ext`` and puts the module into the wheel
(or, for an editable install, next to the source). The accelerator is optional:
when it cannot be built (no C compiler, no Python headers) the hook says so and the
wheel is pure Python, which gives the same results, more slowly (see
``discourse/speedups.py``). ``DISCOURSE_NO_EXT=1`` skips it on purpose.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCES = {
    "discourse._speedups": "discourse/_speedups.pyx",  # word tokenizer, counting loop
    "discourse._sentences": "discourse/_sentences.pyx",  # sentence splitter
}


class SpeedupsHook(BuildHookInterface):
    """Compile :data:`SOURCES` in place and ship the built modules in the wheel."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel" or os.environ.get("DISCOURSE_NO_EXT"):
            return
        try:
            built = _build(Path(self.root))
        except Exception as e:  # no compiler, no headers, no Cython: a pure wheel
            print(f"discourse: the accelerator was not built ({e}); pure Python", file=sys.stderr)
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if version != "editable":  # an editable install finds them in the source tree
            for path in built:
                build_data["force_include"][str(path)] = str(path.relative_to(self.root))


def _build(root: Path) -> list[Path]:
    """Compile the extensions in place (next to their sources); their paths."""
    from Cython.Build import cythonize
    from setuptools import Distribution, Extension

    exts = [Extension(name, [str(root / src)]) for name, src in SOURCES.items()]
    dist = Distribution({"ext_modules": cythonize(exts, language_level=3, quiet=True)})
    dist.script_args = []
    cmd = dist.get_command_obj("build_ext")
    cmd.inplace = True
    cmd.build_temp = str(root / "build" / "temp")
    cmd.ensure_finalized()
    cwd = os.getcwd()
    os.chdir(root)  # build_ext --inplace writes next to the package directories
    try:
        cmd.run()
        return [Path(cmd.get_ext_fullpath(name)).resolve() for name in SOURCES]
    finally:
        os.chdir(cwd)
