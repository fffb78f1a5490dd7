"""Every ``jungong`` run starts without the heavy libraries: a command imports what it needs when it runs.

``import supply.cli`` used to load networkx, scipy and numpy (the road network), pydantic (the
scenario models and the settings) and more before any command ran: ~0.6 s on every invocation,
``--help`` and ``users list`` included. ``bench/bench_cli_start.py`` measures the time; this test
checks which modules are loaded, in a fresh interpreter (the test process has imported them all).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

#: Loaded by the commands that use them, never by building the app or printing its help. Not pydantic:
#: Typer itself coerces a command's parameters with it (``typer._adapters``), help included.
HEAVY = (
    "networkx",
    "numpy",
    "scipy",
    "simpy",
    "matplotlib",
    "folium",
    "shapely",
    "pydantic_settings",
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "fastapi",
    "uvicorn",
    "simulation",
    "maps",
    "supply.core.network",
    "supply.core.scenario",
    "supply.core.settings",
    "supply.service",
    "supply.drills",
)

#: The app imported, then the help of the app, of a network command and of a database command, in one
#: interpreter: the modules loaded after each step, as JSON on the last line.
CHILD = """
import json, sys
from supply.cli import app
loaded = {"import supply.cli": sorted(sys.modules)}
for args in (["--help"], ["route", "--help"], ["users", "list", "--help"]):
    try:
        app(args, prog_name="jungong")
    except SystemExit as exc:
        assert exc.code == 0, (args, exc.code)
    loaded["jungong " + " ".join(args)] = sorted(sys.modules)
print(json.dumps(loaded))
"""


def test_building_the_app_and_its_help_load_no_heavy_library():
    r = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    for step, modules in json.loads(r.stdout.splitlines()[-1]).items():
        heavy = [m for m in modules if any(m == h or m.startswith(f"{h}.") for h in HEAVY)]
        assert not heavy, f"{step} loaded {heavy}: import them inside the command that needs them"
