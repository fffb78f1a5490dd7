"""The import direction: simulation builds on the supply core only; the core never imports it."""

from __future__ import annotations

import ast

import pytest

from tests.conftest import ROOT


def imported_modules(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "simulation").glob("*.py")), ids=lambda p: p.name)
def test_simulation_uses_only_the_supply_core(path):
    bad = {m for m in imported_modules(path) if m.split(".")[0] == "maps" or m.startswith(("supply.cli", "supply.api"))}
    assert not bad, f"{path.name} imports {bad}"


def test_the_core_never_imports_simulation():
    core = [p for p in (ROOT / "supply").rglob("*.py") if not {"cli", "api"} & set(p.relative_to(ROOT).parts)]
    assert core
    for path in core:
        assert not {m for m in imported_modules(path) if m.split(".")[0] == "simulation"}, path
