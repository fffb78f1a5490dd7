"""Benchmark: a coverage map with 3,000 sites (Guangzhou has 2,976 service stations).

Prints the HTML size and the seconds until headless Chromium has drawn the map (from navigation
start to the frame after every site marker is in the page), beside the same figures for the
built-in 35-site scenario, as ratios within this run. Targets: ≤ 5 MB and ≤ 3 s.

    python bench/bench_map.py [--sites 3000] [--keep out/]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from maps import coverage_map  # noqa: E402
from supply.core.coverage import coverage  # noqa: E402
from supply.core.network import build_network  # noqa: E402
from supply.core.scenario import Scenario, load_scenario  # noqa: E402
from tools.chromium import chromium_page, file_url  # noqa: E402

DRAWN = """() => new Promise(done => {
    const want = %d;
    const check = () => document.querySelectorAll('path.jg-site').length >= want
        ? requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now())))
        : setTimeout(check, 10);
    check();
})"""


def scenario_with_sites(n: int, seed: int = 2976) -> Scenario:
    """The built-in scenario plus ``n`` random sites, each linked to its nearest existing place by urban road."""
    data = tomllib.loads((ROOT / "scenarios" / "guangzhou.toml").read_text(encoding="utf-8"))
    rng = np.random.default_rng(seed)
    places = data["stations"] + data["sites"] + data["junctions"]
    xy = np.array([[p["lon"], p["lat"]] for p in places])
    lon = rng.uniform(113.0, 114.0, n)
    lat = rng.uniform(22.55, 23.75, n)
    _, nearest = cKDTree(xy).query(np.column_stack([lon, lat]))
    for i in range(n):
        code = f"B-{i:04d}"
        ring = "city" if 113.15 < lon[i] < 113.85 and 22.6 < lat[i] < 23.65 else "region"
        data["sites"].append({"code": code, "kind": "road", "ring": ring, "lat": float(lat[i]), "lon": float(lon[i])})
        data["links"].append({"a": places[nearest[i]]["code"], "b": code, "road_class": "urban"})
    return Scenario.from_dict(data, source="<bench>")


def measure(scenario: Scenario, workdir: Path, name: str) -> dict:
    t0 = time.perf_counter()
    net = build_network(scenario)
    result = coverage(net, (30, 60, 120))
    html = coverage_map(net, result)
    render_s = time.perf_counter() - t0
    path = workdir / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    with chromium_page() as s:
        s.page.goto(file_url(path), wait_until="commit")
        drawn_ms = s.page.evaluate(DRAWN % len(result.sites))
        s.page.screenshot(path=str(workdir / f"{name}.png"))
        assert not s.outside and not s.failed and not s.errors, (s.outside, s.failed, s.errors)
    return {
        "sites": len(result.sites),
        "mb": len(html.encode()) / 1e6,
        "render_s": render_s,
        "drawn_s": drawn_ms / 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=3000)
    parser.add_argument("--keep", type=Path, help="keep the HTML and screenshots in this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        base = measure(load_scenario(None), workdir, "base")
        big = measure(scenario_with_sites(args.sites), workdir, "big")
    print(f"{'map':<10}{'sites':>7}{'HTML MB':>10}{'python s':>10}{'drawn s':>10}")  # noqa: T201
    for label, r in (("built-in", base), (f"+{args.sites}", big)):
        print(f"{label:<10}{r['sites']:>7}{r['mb']:>10.2f}{r['render_s']:>10.2f}{r['drawn_s']:>10.2f}")  # noqa: T201
    print(  # noqa: T201
        f"ratios big/built-in: size ×{big['mb'] / base['mb']:.1f}, drawn ×{big['drawn_s'] / base['drawn_s']:.1f}\n"
        f"targets: size {big['mb']:.2f}/5 MB ({'ok' if big['mb'] <= 5 else 'OVER'}), "
        f"drawn {big['drawn_s']:.2f}/3 s ({'ok' if big['drawn_s'] <= 3 else 'OVER'})"
    )


if __name__ == "__main__":
    main()
