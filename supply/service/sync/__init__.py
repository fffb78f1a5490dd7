"""Sync between the centre and station nodes: identity, keys, signed bundles, the merge rules.

See :mod:`supply.service.sync.exchange` (what travels, acknowledgements) and
:mod:`supply.service.sync.merge` (which of two concurrent changes stands).
"""

from supply.service.sync.exchange import SyncReport, export_bundle, import_bundle, list_conflicts
from supply.service.sync.identity import node_code, set_node
from supply.service.sync.keys import ensure_key, public_key_pem, trust_key
from supply.service.sync.merge import ConflictView

__all__ = [
    "ConflictView",
    "SyncReport",
    "ensure_key",
    "export_bundle",
    "import_bundle",
    "list_conflicts",
    "node_code",
    "public_key_pem",
    "set_node",
    "trust_key",
]
