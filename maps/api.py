"""The API seam for maps: ``GET /maps/coverage`` and the vendored assets, as FastAPI routers.

The API app owns the network, the ledger and the roles; it hands them in as dependencies::

    app.include_router(assets_router())                       # public: browsers fetch scripts without tokens
    app.include_router(coverage_router(get_network, get_stock=live_stock, get_dispatches=under_way,
                                       dependencies=[Depends(require_role("commander"))]))

Errors (unknown codes, bad thresholds) are raised as :class:`~supply.errors.JungongError` for the
app's one problem+json handler to turn into a 4xx.
"""

# No "from __future__ import annotations": FastAPI must see the closure's Depends(...) objects.

from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from supply.coverage import coverage, parse_thresholds
from supply.network import Disruptions, Network

from .assets import ASSETS_URL, assets_router
from .coverage_map import coverage_map

__all__ = ["assets_router", "coverage_router"]


def _nothing() -> None:
    return None


def coverage_router(
    get_network: Callable[..., Network],
    *,
    get_stock: Callable[..., Any] | None = None,
    get_dispatches: Callable[..., Any] | None = None,
    dependencies: Sequence[Any] = (),
    assets_url: str = ASSETS_URL,
) -> APIRouter:
    """A router with ``GET /maps/coverage``: the coverage map with live stock and dispatches under way.

    ``get_stock`` returns ``{station: {item: {"on_hand", "days_of_supply", "unit"}}}`` (or quantities);
    ``get_dispatches`` a list of routes (lists of codes, or dicts with ``path`` and ``label``).
    Both are FastAPI dependencies, so they may take the app's session.
    """
    router = APIRouter(tags=["maps"], dependencies=list(dependencies))

    @router.get("/maps/coverage", response_class=HTMLResponse, summary="Coverage map (HTML)")
    def coverage_page(
        network: Annotated[Network, Depends(get_network)],
        stock: Annotated[Any, Depends(get_stock or _nothing)],
        dispatches: Annotated[Any, Depends(get_dispatches or _nothing)],
        minutes: Annotated[str, Query(description="Thresholds in minutes, e.g. 30,60,120.")] = "30,60,120",
        close: Annotated[list[str] | None, Query(description="Close a link (name or A~B).")] = None,
        offline: Annotated[list[str] | None, Query(description="Take a station offline.")] = None,
        slow: Annotated[list[str] | None, Query(description="Slow a link: A~B=1.5.")] = None,
        tiles: Annotated[str | None, Query(description="Tile URL template of a reachable tile server.")] = None,
        assets: Annotated[str, Query(description="served (default) or inline.")] = "served",
    ) -> HTMLResponse:
        thresholds = parse_thresholds(minutes)
        net = network.disrupted(Disruptions.parse(close, offline, slow))
        result = coverage(net, thresholds)
        html = coverage_map(
            net, result, stock=stock, dispatches=dispatches, tiles=tiles, assets=assets, assets_url=assets_url
        )
        return HTMLResponse(html)

    return router
