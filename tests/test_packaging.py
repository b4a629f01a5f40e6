"""The installed wheel: one top-level package, ``mexma_search``, with its data files."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA_FILES = [
    "mexma_search/store/migrations/script.py.mako",
    "mexma_search/store/migrations/versions/0001_initial_schema.py",
    "mexma_search/webapp/static/app.css",
    "mexma_search/webapp/demo_corpus/ATTRIBUTION.md",
]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("mexma_search-*.whl")
    return built


def test_the_wheel_installs_one_package_with_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names if not name.startswith("mexma_search-")}
    assert top_level == {"mexma_search"}
    assert set(DATA_FILES) <= set(names)
    entry_points = zipfile.ZipFile(wheel).read(
        next(name for name in names if name.endswith("entry_points.txt"))
    )
    assert b"mexma-search = mexma_search.cli" in entry_points


def test_the_installed_wheel_imports_outside_the_repository(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    zipfile.ZipFile(wheel).extractall(site)
    found = subprocess.run(
        [python, "-c", "import mexma_search; print(mexma_search.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    ).stdout
    assert found.startswith(site)
