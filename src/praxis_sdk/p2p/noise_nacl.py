"""Noise (`/noise`, Noise_XX_25519_ChaChaPoly_SHA256) on PyNaCl and hashlib, not `cryptography`.

py-libp2p's Noise uses noiseprotocol's default backend and its own X25519 key type, both on
`cryptography` (its Rust and OpenSSL extension: about 8.6 MiB of an idle node). The node
already holds libsodium (PyNaCl: libp2p's Ed25519 keys) and OpenSSL's hashes (hashlib), which
have every primitive Noise_XX_25519_ChaChaPoly_SHA256 needs:

- X25519: `crypto_scalarmult` / `crypto_scalarmult_base` (both clamp the scalar as RFC 7748
  says; a peer's small-order key fails in both libraries: `ValueError`, as `cryptography`);
- ChaCha20-Poly1305 (IETF, RFC 8439), nonce = 4 zero bytes + 8-byte little-endian counter;
- SHA-256, HMAC-SHA-256 (hashlib, hmac), and noiseprotocol's own HKDF on top of that HMAC.

Same bytes on the wire. What plugs in where:
- `NaclBackend`: noiseprotocol's `NoiseBackend` extension point, passed to
  `NoiseConnection.from_name(..., backend=...)` by `PatternXX.create_noise_state` below.
- libp2p's X25519 key type on libsodium: `x25519.py` (slim.py serves it for
  `libp2p.crypto.x25519` while libp2p imports).
- `PatternXX` / `Transport`: libp2p's XX pattern and Noise transport with three overrides
  (the backend; our X25519 key type; the peer's static key read as bytes, not through
  `cryptography`'s serialization enums).

Written against libp2p==0.8.1, noiseprotocol==0.3.1, PyNaCl==1.6.2 (pinned in
pyproject.toml). tests/unit/p2p/test_noise_nacl.py checks the primitives against
`cryptography` and noiseprotocol's default backend; tests/integration/p2p/
test_noise_interop.py runs sessions with stock py-libp2p Noise, both ways.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any

from libp2p.crypto.keys import PublicKey
from libp2p.security.noise import patterns
from libp2p.security.noise import transport as noise_transport
from libp2p.security.noise.exceptions import NoiseStateError
from nacl import bindings, exceptions
from noise.backends.noise_backend import NoiseBackend
from noise.connection import InvalidTag, NoiseConnection
from noise.exceptions import NoiseValueError
from noise.functions.cipher import Cipher
from noise.functions.dh import DH
from noise.functions.hash import Hash
from noise.functions.keypair import KeyPair as NoiseKeyPair

from praxis_sdk.p2p.x25519 import (
    KEY_LEN,
    X25519PrivateKey,
    X25519PublicKey,
    x25519,
    x25519_public,
)

# --- noiseprotocol's backend (noise.backends.default in noiseprotocol 0.3.1) ---

class KeyPair25519(NoiseKeyPair):
    """`private` and `public` are the raw 32 bytes."""

    @classmethod
    def from_private_bytes(cls, private_bytes: bytes) -> KeyPair25519:
        if len(private_bytes) != KEY_LEN:
            raise NoiseValueError("Invalid length of private_bytes! Should be 32")
        public = x25519_public(bytes(private_bytes))
        return cls(private=bytes(private_bytes), public=public, public_bytes=public)

    @classmethod
    def from_public_bytes(cls, public_bytes: bytes) -> KeyPair25519:
        if len(public_bytes) != KEY_LEN:
            raise NoiseValueError("Invalid length of public_bytes! Should be 32")
        return cls(public=bytes(public_bytes), public_bytes=bytes(public_bytes))


class DH25519(DH):
    @property
    def klass(self) -> type[KeyPair25519]:
        return KeyPair25519

    @property
    def dhlen(self) -> int:
        return KEY_LEN

    def generate_keypair(self) -> KeyPair25519:
        return KeyPair25519.from_private_bytes(os.urandom(KEY_LEN))

    def dh(self, private_key: bytes, public_key: bytes) -> bytes:
        return x25519(private_key, public_key)


TAG_LEN = 16  # Poly1305


def nonce(n: int) -> bytes:
    """ChaChaPoly's nonce in Noise: 32 zero bits, then the counter, little-endian."""
    return b"\x00\x00\x00\x00" + n.to_bytes(8, "little")


class ChaChaPoly(Cipher):
    """ChaCha20-Poly1305 (IETF); `self.cipher` is the key."""

    @property
    def klass(self) -> type[bytes]:
        return bytes

    def encrypt(self, k: bytes, n: int, ad: bytes | None, plaintext: bytes) -> bytes:
        return bindings.crypto_aead_chacha20poly1305_ietf_encrypt(
            bytes(plaintext), ad, nonce(n), self.cipher)

    def decrypt(self, k: bytes, n: int, ad: bytes | None, ciphertext: bytes) -> bytes:
        if len(ciphertext) < TAG_LEN:  # nacl.bindings would raise ValueError
            raise InvalidTag
        try:
            return bindings.crypto_aead_chacha20poly1305_ietf_decrypt(
                bytes(ciphertext), ad, nonce(n), self.cipher)
        except exceptions.CryptoError:
            # the class `NoiseConnection.decrypt` catches and turns into NoiseInvalidMessage
            # (cryptography's, or slim.py's stand-in for it while libp2p imports)
            raise InvalidTag from None


class SHA256(Hash):
    @property
    def fn(self) -> Any:
        return hashlib.sha256

    @property
    def hashlen(self) -> int:
        return 32

    @property
    def blocklen(self) -> int:
        return 64

    def hash(self, data: bytes) -> bytes:
        return hashlib.sha256(data).digest()


def hmac_hash(key: bytes, data: bytes, algorithm: Any) -> bytes:
    return hmac.digest(key, data, algorithm)


class NaclBackend(NoiseBackend):
    """Only what `/noise` uses: 25519, ChaChaPoly, SHA256; any other name is refused by
    noiseprotocol as unknown."""

    def __init__(self) -> None:
        super().__init__()
        self.diffie_hellmans = {"25519": DH25519}
        self.ciphers = {"ChaChaPoly": ChaChaPoly}
        self.hashes = {"SHA256": SHA256}
        self.keypairs = {"25519": KeyPair25519}
        self.hmac = hmac_hash


BACKEND = NaclBackend()


# --- libp2p's Noise pattern and transport, on the backend above ---

class PatternXX(patterns.PatternXX):
    def create_noise_state(self, prologue: bytes | None = None) -> NoiseConnection:
        # override: libp2p 0.8.1 calls `NoiseConnection.from_name(name)`, the default backend
        noise_state = NoiseConnection.from_name(self.protocol_name, backend=BACKEND)
        noise_state.set_keypair_from_private_bytes(
            patterns.NoiseKeypairEnum.STATIC, self.noise_static_key.to_bytes())
        if prologue is not None:
            noise_state.noise_protocol.prologue = prologue
        return noise_state

    def _validate_noise_static_key(self) -> X25519PublicKey:
        # override: libp2p 0.8.1 checks for its own X25519 key type (slim.py makes that ours
        # when libp2p is imported after praxis_sdk.p2p, as in the node; this holds either way)
        if not isinstance(self.noise_static_key, X25519PrivateKey):
            raise NoiseStateError("noise_static_key must be X25519 for Noise DH; "
                                  f"got {self.noise_static_key.get_type()}")
        return self.noise_static_key.get_public_key()

    @staticmethod
    def _get_pubkey_from_noise_keypair(key_pair: Any) -> PublicKey:
        # override: libp2p 0.8.1 reads the key through `cryptography`'s serialization enums
        if key_pair.public is None:
            raise NoiseStateError("public key is not initialized")
        return X25519PublicKey(key_pair.public_bytes)


class Transport(noise_transport.Transport):
    """libp2p's Noise transport (`/noise`) with `PatternXX` above."""

    def get_pattern(self) -> patterns.IPattern:
        # override: libp2p 0.8.1 makes its own PatternXX here
        return PatternXX(self.local_peer, self.libp2p_privkey, self.noise_privkey,
                         self.early_data)
