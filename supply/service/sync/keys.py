"""Signing keys: this database's Ed25519 key (private half encrypted at rest) and the peers it trusts.

The private key is kept in Meta ``sync_private_key`` as PKCS#8 PEM encrypted with the
``JUNGONG_SYNC_PASSPHRASE`` setting (never stored in the database); the public half is in
``sync_public_key``. A peer is trusted once its public key is stored on its :class:`SyncPeer` row.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlmodel import Session

from supply.core.errors import InvalidArgumentError, SyncRefusedError, SyncSetupError
from supply.core.settings import get_settings
from supply.service.models import Meta, SyncPeer, utcnow
from supply.service.sync.identity import node_code

_PRIVATE, _PUBLIC = "sync_private_key", "sync_public_key"


def _passphrase(passphrase: str | None) -> bytes:
    if passphrase is None:
        secret = get_settings().sync_passphrase
        passphrase = secret.get_secret_value() if secret is not None else None
    if not passphrase:
        msg = (
            "no passphrase for this database's sync signing key: set JUNGONG_SYNC_PASSPHRASE "
            "(it encrypts the key at rest; keep it as you keep the database's backups)"
        )
        raise SyncSetupError(msg)
    return passphrase.encode()


def ensure_key(session: Session, passphrase: str | None = None) -> bytes:
    """Make this database's key pair if it has none (the private half encrypted); its public key PEM."""
    have = session.get(Meta, _PUBLIC)
    if have is not None:
        return have.value.encode()
    key = Ed25519PrivateKey.generate()
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_passphrase(passphrase)),
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    session.merge(Meta(key=_PRIVATE, value=encrypted.decode()))
    session.merge(Meta(key=_PUBLIC, value=public.decode()))
    session.flush()
    return public


def public_key_pem(session: Session) -> bytes:
    """This database's public key (made on first use: that needs the passphrase)."""
    return ensure_key(session)


def sign(session: Session, data: bytes, passphrase: str | None = None) -> bytes:
    """Sign ``data`` with this database's private key (64 bytes)."""
    ensure_key(session, passphrase)
    pem = session.get(Meta, _PRIVATE)
    if pem is None:  # a public key without its private half: a broken copy of the database
        msg = "this database has a public sync key but no private one: restore it or make a new node"
        raise SyncSetupError(msg)
    try:
        key = serialization.load_pem_private_key(pem.value.encode(), password=_passphrase(passphrase))
    except (ValueError, TypeError):
        msg = "JUNGONG_SYNC_PASSPHRASE does not open this database's sync signing key"
        raise SyncSetupError(msg) from None
    if not isinstance(key, Ed25519PrivateKey):
        msg = "this database's sync signing key is not an Ed25519 key"
        raise SyncSetupError(msg)
    return key.sign(data)


def _load_public(pem: bytes, where: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError:
        msg = f"{where}: not a PEM public key"
        raise InvalidArgumentError(msg) from None
    if not isinstance(key, Ed25519PublicKey):
        msg = f"{where}: not an Ed25519 public key"
        raise InvalidArgumentError(msg)
    return key


def trust_key(session: Session, node: str, pem: bytes) -> None:
    """Trust ``node``'s public key: bundles it signs are accepted from now on (replaces an older key)."""
    if node == node_code(session):
        msg = f"--node '{node}' is this database itself"
        raise InvalidArgumentError(msg)
    _load_public(pem, f"the key for '{node}'")
    peer = session.get(SyncPeer, node) or SyncPeer(node=node)
    peer.public_key = pem.decode()
    peer.trusted_at = utcnow()
    session.add(peer)
    session.flush()


def verify(session: Session, node: str, data: bytes, signature: bytes) -> None:
    """:class:`SyncRefusedError` unless ``signature`` is ``node``'s (a trusted peer) over ``data``."""
    peer = session.get(SyncPeer, node)
    own = session.get(Meta, _PUBLIC) if node == node_code(session) else None
    pem = own.value if own is not None else peer.public_key if peer is not None else None
    if not pem:
        msg = f"bundle from '{node}', whose key this database does not trust: run `jungong sync trust --node {node}`"
        raise SyncRefusedError(msg)
    try:
        _load_public(pem.encode(), f"the trusted key of '{node}'").verify(signature, data)
    except InvalidSignature:
        msg = f"bundle from '{node}': its signature does not match its content (tampered, or signed by another key)"
        raise SyncRefusedError(msg) from None
