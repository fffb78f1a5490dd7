"""The bundle on the wire or on a USB stick: a signed header line, then the compressed content.

    JUNGONG-SYNC/1\n
    {"from": "<node>", "signature": "<base64 Ed25519 over from + \\n + content>"}\n
    <zlib-compressed JSON content>

Nothing of a bundle is read before its signature is checked against the sender's trusted key.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

from sqlmodel import Session

from supply.core.errors import SyncRefusedError
from supply.service.sync.keys import sign, verify

MAGIC = b"JUNGONG-SYNC/1\n"
#: The largest content a bundle may unpack to: a few million records, well within memory to parse.
#: Only trusted senders reach decompression, but a bug on their side must not exhaust this one.
MAX_UNPACKED = 512 * 1024 * 1024


def _signed(sender: str, content: bytes) -> bytes:
    return sender.encode() + b"\n" + content


def pack(session: Session, sender: str, body: dict[str, Any]) -> bytes:
    """``body`` compressed and signed with this database's key."""
    content = zlib.compress(json.dumps(body, separators=(",", ":"), default=str).encode(), 6)
    signature = base64.b64encode(sign(session, _signed(sender, content))).decode()
    header = json.dumps({"from": sender, "signature": signature}).encode()
    return MAGIC + header + b"\n" + content


def unpack(session: Session, data: bytes) -> dict[str, Any]:
    """The content of a bundle whose signature a trusted key verifies; else :class:`SyncRefusedError`."""
    if not data.startswith(MAGIC):
        msg = "not a jungong sync bundle (it does not start with JUNGONG-SYNC/1)"
        raise SyncRefusedError(msg)
    header_line, sep, content = data[len(MAGIC) :].partition(b"\n")
    try:
        header = json.loads(header_line) if sep else None
    except ValueError:
        header = None
    if not isinstance(header, dict) or not isinstance(header.get("from"), str):
        msg = "bundle header unreadable: no sender named"
        raise SyncRefusedError(msg)
    sender = header["from"]
    if not header.get("signature"):
        msg = f"bundle from '{sender}' is unsigned"
        raise SyncRefusedError(msg)
    try:
        signature = base64.b64decode(header["signature"], validate=True)
    except ValueError:
        msg = f"bundle from '{sender}': its signature is not base64"
        raise SyncRefusedError(msg) from None
    verify(session, sender, _signed(sender, content), signature)
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(content, MAX_UNPACKED)
        if inflater.unconsumed_tail:
            msg = f"bundle from '{sender}' unpacks to more than {MAX_UNPACKED // 2**20} MiB: split it (sync more often)"
            raise SyncRefusedError(msg)
        body = json.loads(raw)
    except (zlib.error, ValueError):  # signed yet unreadable: written by something that is not jungong
        msg = f"bundle from '{sender}': signed, but its content is not a readable bundle"
        raise SyncRefusedError(msg) from None
    if not isinstance(body, dict) or body.get("from") != sender or not isinstance(body.get("tables"), dict):
        msg = f"bundle from '{sender}': its content does not name the same sender"
        raise SyncRefusedError(msg)
    return body
