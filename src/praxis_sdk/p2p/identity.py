"""The node's Ed25519 identity: made on first start, kept in `<keystore>/<agent>/`, reused after."""

from __future__ import annotations

import os
import re
from pathlib import Path

from libp2p.crypto.ed25519 import create_new_key_pair
from libp2p.crypto.keys import KeyPair, KeyType
from libp2p.crypto.serialization import deserialize_private_key
from libp2p.peer.id import ID

from praxis_sdk.errors import ConfigError

KEY_FILE = "identity.key"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def key_dir(keystore_path: str | os.PathLike[str], agent_name: str) -> Path:
    """`<keystore>/<agent>`: the agent name made safe as one path segment."""
    safe = _SAFE_NAME.sub("_", agent_name).strip(".") or "agent"
    return Path(keystore_path) / safe


def load_or_create(keystore_path: str | os.PathLike[str], agent_name: str) -> KeyPair:
    """The key pair in the agent's key folder, creating it (dir 0700, file 0600) if absent."""
    folder = key_dir(keystore_path, agent_name)
    path = folder / KEY_FILE
    if path.exists():
        return _load(path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    pair = create_new_key_pair()
    data = pair.private_key.serialize()  # libp2p protobuf: the format Go's crypto package reads
    tmp = folder / f".{KEY_FILE}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return pair


def peer_id_of(pair: KeyPair) -> str:
    return ID.from_pubkey(pair.public_key).to_base58()


def _load(path: Path) -> KeyPair:
    try:
        private = deserialize_private_key(path.read_bytes())
    except Exception as exc:  # any corrupt file: name it, never start with a new identity
        raise ConfigError(f"cannot read the P2P identity key {path}: {exc}") from exc
    if private.get_type() != KeyType.Ed25519:
        raise ConfigError(f"P2P identity key {path} is not Ed25519")
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    return KeyPair(private, private.get_public_key())
