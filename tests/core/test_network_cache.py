"""The compiled-network cache: served back only while every input is unchanged, never stale."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from supply.cli import app
from supply.core import network_cache
from supply.core.coverage import coverage
from supply.core.network_cache import cache_key, cached_network
from supply.core.routing import fastest_route
from supply.core.scenario import load_scenario
from supply.core.settings import get_settings
from tests.conftest import write
from tests.core.test_osm import SCENARIO, graphml


@pytest.fixture
def scenario_path(tmp_path):
    graphml(tmp_path / "roads.graphml")
    return write(tmp_path, SCENARIO)


def test_second_build_is_served_from_the_cache(scenario_path, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = cached_network(load_scenario(scenario_path), cache)
    assert [p.name for p in cache.iterdir()] == [cache_key(load_scenario(scenario_path))]  # one entry, no leftovers

    def no_build(*_a, **_k):
        raise AssertionError("built again although nothing changed")

    monkeypatch.setattr(network_cache, "build_network", no_build)
    again = cached_network(load_scenario(scenario_path), cache)
    mapped = again.tables.arrays["csr_data"]
    assert isinstance(mapped.base, np.memmap) and not mapped.flags.writeable  # memory-mapped, not read into memory
    assert sorted(again.graph.edges) == sorted(first.graph.edges)
    assert again.index.nodes == first.index.nodes and (again.index.matrix != first.index.matrix).nnz == 0
    assert fastest_route(again, "H", "E").minutes == pytest.approx(fastest_route(first, "H", "E").minutes)


def test_a_changed_road_file_or_scenario_is_never_served_stale(scenario_path, tmp_path):
    cache = tmp_path / "cache"
    before = fastest_route(cached_network(load_scenario(scenario_path), cache), "H", "E").minutes
    # the same roads, but Alpha Rd's own segment now takes 10 times as long
    text = (tmp_path / "roads.graphml").read_text(encoding="utf-8")
    (tmp_path / "roads.graphml").write_text(text.replace("['50', '30']", "4"), encoding="utf-8")
    after = fastest_route(cached_network(load_scenario(scenario_path), cache), "H", "E").minutes
    assert after > before + 5
    moved = write(tmp_path, SCENARIO.replace("lon = 113.03", "lon = 113.02"))  # E now sits on node 3
    assert fastest_route(cached_network(load_scenario(moved), cache), "H", "E").minutes < after
    assert len(list(cache.iterdir())) == 3


def damage_truncate(entry: Path) -> None:
    f = entry / "csr_data.npy"
    f.write_bytes(f.read_bytes()[:-8])  # a partial write: the array's last value missing


def damage_flip(entry: Path) -> None:
    f = entry / "minutes.npy"
    data = bytearray(f.read_bytes())
    data[-3] ^= 0xFF  # the same size and header, one edge's minutes altered
    f.write_bytes(bytes(data))


def damage_missing(entry: Path) -> None:
    (entry / "src.npy").unlink()


def damage_meta(entry: Path) -> None:
    (entry / "meta.json").write_text("{not json", encoding="utf-8")


def damage_header(entry: Path) -> None:
    (entry / "csr_indices.npy").write_bytes(b"not an array")


def damage_pickle(entry: Path) -> None:
    shutil.rmtree(entry)
    entry.write_bytes(b"not a pickle")  # an old entry's shape: a file where the folder goes


@pytest.mark.parametrize(
    "damage", [damage_truncate, damage_flip, damage_missing, damage_meta, damage_header, damage_pickle]
)
def test_a_damaged_entry_is_rebuilt_not_served(scenario_path, tmp_path, damage):
    cache = tmp_path / "cache"
    scenario = load_scenario(scenario_path)
    built = cached_network(scenario, cache)
    entry = cache / cache_key(scenario)
    damage(entry)
    assert network_cache.load_tables(entry) is None
    again = cached_network(scenario, cache)  # rebuilt and stored anew
    assert "graph" in again.__dict__  # built from the GraphML, not loaded
    assert coverage(again).as_dict() == coverage(built).as_dict()
    reloaded = network_cache.load_tables(entry)
    assert reloaded is not None and np.array_equal(reloaded.arrays["minutes"], built.tables.arrays["minutes"])
    assert sorted(p.name for p in cache.iterdir()) == [entry.name]  # no temporary or stale folders left


def test_cli_caches_unless_told_not_to(scenario_path, tmp_path, monkeypatch):
    monkeypatch.setenv("JUNGONG_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        res = runner.invoke(app, ["coverage", str(scenario_path), "--json", "--no-cache"])
        assert res.exit_code == 0, res.output
        assert not (tmp_path / "data" / "cache").exists()
        cached = runner.invoke(app, ["coverage", str(scenario_path), "--json"])
        assert cached.exit_code == 0, cached.output
        assert len(list((tmp_path / "data" / "cache" / "networks").iterdir())) == 1
        assert json.loads(cached.stdout) == json.loads(res.stdout)
    finally:
        get_settings.cache_clear()
