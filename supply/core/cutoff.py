"""Which stations a closed link cuts off from resupply: no hub reaches them once it is closed.

Resupply comes from the hub(s) (``tier = "hub"``). Closing a link either cuts a station off — no
route from any hub — or only lengthens its route (a detour, in extra minutes), which still resupplies it.
"""

from __future__ import annotations

import numpy as np

from supply.core.network import Disruptions, Network
from supply.core.routing import travel_minutes


def cut_off(network: Network, link: str) -> tuple[list[str], dict[str, float]]:
    """(stations no hub reaches once ``link`` is closed, {station: extra minutes} of those on a detour)."""
    hubs = network.station_codes(["hub"])
    others = [s.code for s in network.scenario.stations if s.tier != "hub"]
    after_net = network.disrupted(Disruptions(close=(link,)))
    before = travel_minutes(network, hubs, others).min(axis=0)
    after = travel_minutes(after_net, hubs, others).min(axis=0)
    isolated = [code for code, a, b in zip(others, after, before, strict=True) if not np.isfinite(a) and np.isfinite(b)]
    detours = {
        code: round(float(a - b), 1)
        for code, a, b in zip(others, after, before, strict=True)
        if np.isfinite(a) and a > b + 1e-6
    }
    return isolated, detours
