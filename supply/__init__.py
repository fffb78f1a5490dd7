"""jungong's core: scenario files, the road and sea network, routing and coverage.

Later layers (the stock ledger and the API) live here too; ``simulation`` and ``maps`` build
on this package and it never imports them. Only the edges (``supply.cli``, ``supply.api``)
compose all three.
"""

__version__ = "0.1.0"
