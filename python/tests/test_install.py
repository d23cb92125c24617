"""`cmake --install` puts a package Debian's python3 imports, stubs and all."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

from conftest import EXAMPLE


def test_cmake_install_gives_an_importable_package_with_stubs(tmp_path):
    build = pathlib.Path(os.environ.get("TW_BUILD_DIR", pathlib.Path(__file__).resolve().parents[2] / "build"))
    if not (build / "CMakeCache.txt").exists():
        pytest.fail(f"no build at {build} (set TW_BUILD_DIR)")
    subprocess.run(["cmake", "--install", str(build), "--prefix", str(tmp_path), "--component", "python"],
                   check=True, capture_output=True)
    packages = list(tmp_path.glob("lib/python3*/dist-packages/tonewatch"))
    assert len(packages) == 1, list(tmp_path.rglob("*"))
    installed = {p.name for p in packages[0].iterdir()}
    assert {"__init__.py", "__init__.pyi", "dask.py", "dask.pyi", "py.typed"} <= installed
    assert any(name.startswith("_native.") and name.endswith(".so") for name in installed)
    # A fresh interpreter that sees only the installed copy (not the build tree).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(packages[0].parent)
    code = ("import tonewatch, sys; c = tonewatch.analyze(sys.argv[1]); "
            "print(tonewatch.__file__); print(c.summary['detection']['final_stage'])")
    out = subprocess.run([sys.executable, "-c", code, str(EXAMPLE)], env=env, cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0].startswith(str(packages[0]))
    assert out[1] == "calm"


def test_help_shows_the_documentation():
    import pydoc

    import tonewatch
    import tonewatch.dask

    text = pydoc.render_doc(tonewatch.analyze, renderer=pydoc.plaintext)
    assert "sample_rate" in text and "Raises:" in text and "AudioError" in text
    assert "Dask" in pydoc.render_doc(tonewatch.dask.analyze_archive, renderer=pydoc.plaintext)
    assert tonewatch.Session.__doc__ and tonewatch.Config.__doc__ and tonewatch.Call.__doc__
