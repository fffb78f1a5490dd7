"""jungong's supply package, in layers: each imports only those below it (import-linter checks).

- :mod:`supply.core` — the network model planners use (scenario, network, routing, coverage, N-1, siting).
- :mod:`supply.service` — the duty officers' persisted service (stock ledger, requests, dispatches).
- :mod:`supply.drills` — live drills (teams, command chain, board, review).
- :mod:`supply.api`, :mod:`supply.cli` — the edges: the only modules that also compose
  :mod:`simulation` and :mod:`maps`.
"""

__version__ = "0.1.0"
