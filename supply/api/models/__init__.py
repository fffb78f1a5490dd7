"""The API's response models: the ``…Public`` family, one module per resource, and the problem document.

Every JSON route declares one of these, so ``/openapi.json`` describes every answer and
schemathesis can check the answers against it. A model is built at the edge from what the domain
returns (SQLModel rows, dataclasses, named tuples) with its ``of(…, tz)`` constructor: showing
stored UTC times in the configured zone happens here, through :func:`supply.core.timefmt.local_iso`,
and nowhere in the domain's answers. Keys and value shapes are the API's contract: a field is
never renamed (``from`` is spelled through an alias) and keys that were absent stay absent.
"""
