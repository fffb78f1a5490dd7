"""A non-editable install works: the wheel carries the data, and ``jungong`` finds them from any folder.

Builds the wheel from a copy of the project (``uv build --wheel``, so nothing is written into the
tree), checks what it carries — the built-in scenarios as ``supply.scenarios``, the maps' vendored
assets and base-map data, the Alembic migrations — then installs it **with the dependencies it
declares** into a throwaway venv isolated from this interpreter's packages (no system site
packages: a dependency missing from ``pyproject.toml`` fails here, whichever interpreter runs the
tests), and runs ``jungong coverage``, ``jungong drill`` and ``jungong db init`` from an empty
folder. The venv's own copy must be the one imported (not an editable install of the repository).

uv (a test dependency) builds and installs: it resolves the dependencies from the package index as
pip would, but links them from its cache, so the install takes seconds where pip unpacks for half a
minute.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from maps.assets import STATIC_DIR, asset_files
from supply.core.scenario import load_scenario
from tests.conftest import ROOT

pytestmark = pytest.mark.slow
_SKIP = shutil.ignore_patterns(
    ".git", "build", "dist", "*.egg-info", "__pycache__", "test-artifacts", ".*_cache", ".venv", "*.db", "*.html"
)


def _run(
    cmd: list[str], cwd: Path, env: dict[str, str] | None = None, *, ok: int = 0, timeout: float = 300
) -> subprocess.CompletedProcess:
    res = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert res.returncode == ok, f"{' '.join(cmd)}\n{res.stdout[-2000:]}\n{res.stderr[-4000:]}"
    return res


def _uv() -> str:
    """The uv executable installed beside this interpreter (``pip install -e ".[dev]"``)."""
    from uv import find_uv_bin

    return find_uv_bin()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=_SKIP)
    _run([_uv(), "build", "--wheel", "-q", "-o", str(tmp / "dist"), str(src)], cwd=tmp, timeout=600)
    (found,) = (tmp / "dist").glob("jungong-*.whl")
    return found


def test_the_wheel_carries_scenarios_map_assets_and_migrations(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    scenarios = ROOT / "scenarios"
    shipped = {p.relative_to(scenarios).as_posix() for p in scenarios.rglob("*") if p.suffix in (".toml", ".md")}
    assert shipped and {f"supply/scenarios/{n}" for n in shipped} <= names
    assert {f"maps/static/{n}" for n in asset_files()} <= names
    assert {f"maps/static/{p.relative_to(STATIC_DIR).as_posix()}" for p in STATIC_DIR.rglob("*.js")} <= names
    data = ROOT / "maps" / "data"
    assert {f"maps/data/{p.name}" for p in data.glob("*.geojson")} <= names
    migrations = ROOT / "supply" / "service" / "migrations"
    wanted = {p.relative_to(ROOT).as_posix() for p in migrations.rglob("*") if p.suffix in (".py", ".mako")}
    assert wanted and wanted <= names
    assert not any(n.startswith(("tests/", "bench/", "scenarios/")) for n in names)


def test_installed_jungong_finds_the_built_in_scenarios_from_another_folder(wheel: Path, tmp_path: Path):
    env_dir = tmp_path / "venv"
    _run([_uv(), "venv", "-q", "--python", sys.executable, str(env_dir)], cwd=tmp_path)
    py = env_dir / "bin" / "python"
    _run([_uv(), "pip", "install", "-q", "--python", str(py), str(wheel)], cwd=tmp_path, timeout=900)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("JUNGONG_")}
    env["JUNGONG_DATA_DIR"] = str(tmp_path / "data")
    isolated = _run([str(py), "-c", "import pytest"], elsewhere, env, ok=1)
    assert "No module named 'pytest'" in isolated.stderr  # the test runner's packages are not seen there
    where = _run([str(py), "-c", "import supply, maps; print(supply.__file__); print(maps.__file__)"], elsewhere, env)
    assert all(line.startswith(str(env_dir)) for line in where.stdout.split()), where.stdout

    jungong = str(env_dir / "bin" / "jungong")
    res = _run([jungong, "coverage", "--json"], elsewhere, env)
    sites = {s["code"] for s in json.loads(res.stdout)["sites"]}
    assert sites == {s.code for s in load_scenario(None).sites}
    res = _run([jungong, "drill", "--replications", "2", "--workers", "1", "--json"], elsewhere, env)
    assert json.loads(res.stdout)["replications"] == 2
    film = tmp_path / "film.mp4"  # its ffmpeg comes with the install (imageio-ffmpeg): nothing outside pip
    res = _run(
        [jungong, "film", "-n", "2", "--workers", "1", "--speed", "7200", "--fps", "2", "-o", str(film)], elsewhere, env
    )
    assert f"film written to {film}" in res.stdout and film.stat().st_size > 0
    res = _run([jungong, "db", "init", "--db", f"sqlite:///{tmp_path / 'x.db'}"], elsewhere, env)
    assert f"{len(load_scenario(None).stations)} stations" in res.stdout
    assert list(elsewhere.iterdir()) == []  # nothing written where it was run
