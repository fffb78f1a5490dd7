"""The files a scenario names: its own TOML, the base it ``extends``, its ``graphml`` and ``outline``.

:func:`read_toml` reads a scenario file through :mod:`supply.core.toml_input` (bounded size and
nesting, finite numbers); :func:`with_base` merges in the chain of ``extends``;
:func:`with_graphml` checks the road network's file name; :func:`read_outline` reads and checks
the GeoJSON outline. Given ``confine`` (the API's scenarios folder), every file named must lie
inside it and messages name files only relative to it, never a path outside. Faults are
:class:`~supply.core.errors.ScenarioError` s naming the referring key (``scenario.extends``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from supply.core.errors import Problem, ScenarioError
from supply.core.toml_input import parse_toml
from supply.core.types import control_char

#: The longest chain of ``extends`` followed.
MAX_EXTENDS = 8


def read_toml(path: Path, source: Path, key: str, shown: str | None = None) -> dict[str, Any]:
    """Parse a TOML file; faults are reported against ``source`` (or ``shown``) at ``key`` (the referring key)."""
    label = shown or str(source)
    what = "file" if path == source else f"base scenario {path.name if shown else path}"
    try:
        if path.stat().st_size > 4 * 5_000_000:  # the character limit's worst case in UTF-8
            raise ScenarioError([Problem(label, key, f"{what} is too large")])
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Problem(label, key, f"{what} not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = type(exc).__name__ if shown else str(exc)
        raise ScenarioError([Problem(label, key, f"cannot read {what}: {reason}")]) from None
    return parse_toml(text, label, key, what)


def _inside(path: Path, confine: Path | None) -> bool:
    return confine is None or path.is_relative_to(confine.resolve())


def _path_value(value: Any, label: str, key: str) -> str | None:
    """A file name given at ``key``: ``None`` if absent; a :class:`ScenarioError` if not plain text."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ScenarioError([Problem(label, key, "must be a file name (text)")])
    if (bad := control_char(value)) is not None:
        raise ScenarioError([Problem(label, key, f"control character {bad} is not allowed in a file name")])
    return value


def with_base(
    data: dict[str, Any], path: Path, chain: tuple[Path, ...], confine: Path | None, shown: str | None = None
) -> dict[str, Any]:
    """Resolve ``[scenario] extends = "base.toml"`` (relative to ``path``'s folder).

    The file inherits every top-level section it does not define itself (stations, sites,
    junctions, links, stock…) and the base's ``[scenario]`` keys it does not override; a
    section it defines replaces the base's whole. Bases may extend further bases (at most
    :data:`MAX_EXTENDS` deep), within ``confine`` when given.
    """
    label = shown or str(path)
    meta = data.get("scenario")
    base_name = _path_value(meta.get("extends"), label, "scenario.extends") if isinstance(meta, dict) else None
    if base_name is None:
        return data
    base_path = (path.parent / base_name).resolve()
    if not _inside(base_path, confine):
        msg = "scenario.extends may only name a file in the scenarios folder"
        raise ScenarioError([Problem(label, "scenario.extends", msg)])
    if base_path in chain:
        names = (p.name if shown else str(p) for p in (*chain, base_path))
        raise ScenarioError([Problem(label, "scenario.extends", f"extends cycle: {' → '.join(names)}")])
    if len(chain) > MAX_EXTENDS:
        raise ScenarioError([Problem(label, "scenario.extends", f"more than {MAX_EXTENDS} bases in a row")])
    base = read_toml(base_path, path, "scenario.extends", shown)
    base = with_base(base, base_path, (*chain, base_path), confine, shown)
    base_meta = dict(base.get("scenario", {}))
    if base_meta.get("graphml"):
        base_meta["graphml"] = str(base_path.parent / base_meta["graphml"])
    base_meta.pop("extends", None)
    base_meta.pop("outline", None)  # a file of the base's folder: each scenario names its own
    merged = {**base, **data}
    merged["scenario"] = {**base_meta, **(meta if isinstance(meta, dict) else {})}
    return merged


def with_graphml(data: dict[str, Any], path: Path, confine: Path | None, shown: str | None = None) -> dict[str, Any]:
    """Check ``[scenario] graphml`` names a file (inside ``confine`` when given) without revealing other paths."""
    meta = data.get("scenario")
    name = _path_value(meta.get("graphml"), shown or str(path), "scenario.graphml") if isinstance(meta, dict) else None
    if name is not None and not _inside((path.parent / name).resolve(), confine):
        msg = "scenario.graphml may only name a file in the scenarios folder"
        raise ScenarioError([Problem(shown or str(path), "scenario.graphml", msg)])
    return data


#: The largest outline file read (bytes), and the GeoJSON types it may hold.
MAX_OUTLINE_BYTES = 20_000_000
_GEOJSON_TYPES = frozenset(
    {"FeatureCollection", "Feature", "Polygon", "MultiPolygon", "LineString", "MultiLineString", "GeometryCollection"}
)


def read_outline(
    data: dict[str, Any], path: Path, confine: Path | None, shown: str | None = None
) -> dict[str, Any] | None:
    """The GeoJSON named by ``[scenario] outline``, or ``None``: a file in the scenario's own folder
    (and inside ``confine`` when given) holding a FeatureCollection, a Feature or a geometry."""
    label = shown or str(path)
    meta = data.get("scenario")
    name = _path_value(meta.get("outline"), label, "scenario.outline") if isinstance(meta, dict) else None
    if name is None:
        return None
    folder = path.parent.resolve()
    target = (folder / name).resolve()
    if not target.is_relative_to(folder) or not _inside(target, confine):
        msg = f"scenario.outline may only name a file in the scenario's folder ({name!r} is outside it)"
        raise ScenarioError([Problem(label, "scenario.outline", msg)])
    try:
        if target.stat().st_size > MAX_OUTLINE_BYTES:
            raise ScenarioError(
                [Problem(label, "scenario.outline", f"{name} is larger than {MAX_OUTLINE_BYTES:,} bytes")]
            )
        geo = json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        msg = f"outline file {name} not found beside the scenario"
        raise ScenarioError([Problem(label, "scenario.outline", msg)]) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        msg = f"{name} is not readable GeoJSON ({type(exc).__name__}): write it as a FeatureCollection of polygons"
        raise ScenarioError([Problem(label, "scenario.outline", msg)]) from None
    if not isinstance(geo, dict) or geo.get("type") not in _GEOJSON_TYPES:
        kinds = ", ".join(sorted(_GEOJSON_TYPES))
        msg = f"{name} is not a GeoJSON outline: its top-level 'type' must be one of {kinds}"
        raise ScenarioError([Problem(label, "scenario.outline", msg)])
    return geo
