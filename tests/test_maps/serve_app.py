"""A bare FastAPI app with the maps routers, run by uvicorn in a subprocess for the tests.

It stands in for the product's API app: a role guard from a header, live stock and dispatches
from fixed data, and a problem+json handler for :class:`~supply.errors.JungongError`.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from maps.api import assets_router, coverage_router
from maps.assets import STATIC_DIR
from supply.errors import JungongError
from supply.network import build_network
from supply.scenario import load_scenario

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
    app.include_router(assets_router())
    app.include_router(
        coverage_router(
            lambda: network,
            get_stock=lambda: STOCK,
            get_dispatches=lambda: DISPATCHES,
            dependencies=[Depends(require_commander)],
        )
    )

    tile = (STATIC_DIR / "leaflet/images/layers.png").read_bytes()

    @app.get("/tiles/{z}/{x}/{y}.png")
    def tiles(z: int, x: int, y: int) -> Response:  # a stand-in for a tile server on the user's network
        return Response(tile, media_type="image/png")

    @app.exception_handler(JungongError)
    def problem(_request: Request, exc: JungongError) -> JSONResponse:
        body = {"type": "about:blank", "title": exc.title, "status": exc.status, "detail": str(exc)}
        return JSONResponse(body, status_code=exc.status, media_type="application/problem+json")

    return app
