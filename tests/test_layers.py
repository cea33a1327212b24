"""The layers contract (pyproject.toml, checked by `make lint`): it holds for the code as it
is, and an import that runs upward breaks it. The second test copies the packages to a
scratch folder and adds one such import there, so the check is shown to bite."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def lint_imports(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(folder / "pyproject.toml")],
        cwd=folder,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(folder)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def copy_of_the_code(tmp_path) -> Path:
    for package in CONFIG["root_packages"]:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_layers_hold(copy_of_the_code):
    result = lint_imports(copy_of_the_code)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    "lower, upper",
    [
        ("clinic", "workspace.views"),  # the records reaching for a front end
        ("bookings", "diary.services"),  # appointments as records reaching for the diary
        ("diary", "online.api.views"),  # a service reaching for the API
    ],
)
def test_an_upward_import_breaks_the_build(copy_of_the_code, lower, upper):
    (copy_of_the_code / lower / "upward.py").write_text(f"import {upper}  # noqa: F401\n")

    result = lint_imports(copy_of_the_code)

    assert result.returncode == 1
    assert f"{lower} is not allowed to import {upper.split('.')[0]}" in result.stdout
    assert f"{lower}.upward -> {upper}" in result.stdout
