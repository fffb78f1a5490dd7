"""A bare FastAPI app with the maps routers, run by uvicorn in a subprocess for the tests.

It stands in for the product's API app: a role guard from a header, live stock and dispatches
from fixed data, and a problem+json handler for :class:`~supply.core.errors.JungongError`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response

from maps.assets import STATIC_DIR
from maps.coverage_map import coverage_map
from supply.api.routers.maps import assets
from supply.core.coverage import coverage, parse_thresholds
from supply.core.errors import JungongError
from supply.core.network import Disruptions, build_network
from supply.core.scenario import load_scenario

STOCK = {
    "GZ-HUB": {
        "meals": {"on_hand": 12000, "days_of_supply": 2.5, "unit": "meals"},
        "water_l": {"on_hand": 5000, "days_of_supply": None},
    }
}
DISPATCHES = [{"path": ["GZ-HUB", "J-RING-S", "GZS-RAIL"], "label": "D-0001 meals to Guangzhou South"}]


def require_commander(x_role: str = Header(default="")) -> None:
    if x_role not in ("commander", "admin"):
        raise HTTPException(status_code=403, detail="commander or above")


def create_app() -> FastAPI:
    app = FastAPI()
    network = build_network(load_scenario(None))
    app.include_router(assets)

    @app.get("/maps/coverage", dependencies=[Depends(require_commander)])
    def coverage_page(
        minutes: str = "30,60,120",
        tiles: str | None = None,
        assets: str = "served",
        close: Annotated[list[str] | None, Query()] = None,
        offline: Annotated[list[str] | None, Query()] = None,
    ) -> Response:
        net = network.disrupted(Disruptions.parse(close, offline))
        result = coverage(net, parse_thresholds(minutes))
        html = coverage_map(net, result, stock=STOCK, dispatches=DISPATCHES, tiles=tiles, assets=assets)
        return Response(html, media_type="text/html")

    tile = (STATIC_DIR / "leaflet/images/layers.png").read_bytes()

    @app.get("/tiles/{z}/{x}/{y}.png")
    def tiles(z: int, x: int, y: int) -> Response:  # a stand-in for a tile server on the user's network
        return Response(tile, media_type="image/png")

    @app.exception_handler(JungongError)
    def problem(_request: Request, exc: JungongError) -> JSONResponse:
        body = {"type": "about:blank", "title": exc.title, "status": exc.status, "detail": str(exc)}
        return JSONResponse(body, status_code=exc.status, media_type="application/problem+json")

    return app
