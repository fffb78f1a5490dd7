"""The network model planners use: plain data, no database or web.

The scenario file and its validation, the value types, the network (networkx) and its compiled
CSR index (cached on disk), routing, coverage, N-1 robustness, siting, the background analyses'
states and results (files, no database), planning factors and the item catalogue; and the
server's one log format (``logs``), which the API and the CLI's ``serve`` share.
"""
