"""X25519 on libsodium (PyNaCl), and libp2p's X25519 key type on it, not on `cryptography`.

libp2p 0.8.1's `libp2p.crypto.x25519` wraps `cryptography`'s X25519 keys; `slim.py` serves
`X25519PrivateKey`, `X25519PublicKey` and `create_new_key_pair` from here for that module
while libp2p imports (`new_host` makes a Noise key pair each time, even when given its
transports; the Noise pattern checks `isinstance` against `X25519PublicKey`). Same raw
32-byte keys; libsodium clamps the scalar as RFC 7748 says, as `cryptography` does. This
module imports nothing of libp2p but its key interfaces, so the stand-in can load it while
libp2p's `__init__` runs. Written against libp2p==0.8.1, PyNaCl==1.6.2.
"""

from __future__ import annotations

import os
from typing import Self

from libp2p.crypto.keys import KeyPair, KeyType, PrivateKey, PublicKey
from nacl import bindings, exceptions

KEY_LEN = 32


def x25519(private: bytes, public: bytes) -> bytes:
    """The X25519 shared secret; `ValueError` for a small-order peer key (as `cryptography`)."""
    try:
        return bindings.crypto_scalarmult(private, public)
    except exceptions.RuntimeError:
        raise ValueError("Error computing shared key.") from None


def x25519_public(private: bytes) -> bytes:
    return bindings.crypto_scalarmult_base(private)


# libp2p's key type (libp2p.crypto.x25519 in libp2p 0.8.1): the same methods, raw 32 bytes

class _RawKey:
    """What both key types share: 32 raw bytes, and the type."""

    def __init__(self, raw: bytes) -> None:
        if len(raw) != KEY_LEN:
            raise ValueError("An X25519 key is 32 bytes long.")
        self.raw = bytes(raw)

    def to_bytes(self) -> bytes:
        return self.raw

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        return cls(data)

    def get_type(self) -> KeyType:
        return KeyType.X25519


class X25519PublicKey(_RawKey, PublicKey):
    def verify(self, data: bytes, signature: bytes) -> bool:
        raise TypeError("X25519 does not support signatures.")


class X25519PrivateKey(_RawKey, PrivateKey):
    @classmethod
    def new(cls) -> X25519PrivateKey:
        return cls(os.urandom(KEY_LEN))

    def sign(self, data: bytes) -> bytes:
        raise TypeError("X25519 does not support signatures.")

    def get_public_key(self) -> X25519PublicKey:
        return X25519PublicKey(x25519_public(self.raw))


def create_new_key_pair() -> KeyPair:
    private = X25519PrivateKey.new()
    return KeyPair(private, private.get_public_key())


