"""`noise_nacl.py` and `x25519.py`: the node's Noise primitives (PyNaCl, hashlib) give the bytes
`cryptography` and noiseprotocol's default backend give, and a whole Noise_XX session
between the two backends agrees on every byte. (Interop with stock py-libp2p over TCP:
tests/integration/p2p/test_noise_interop.py.)"""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import x25519 as real_x25519
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from noise.backends.default import noise_backend as default_backend
from noise.connection import InvalidTag, Keypair, NoiseConnection
from noise.constants import MAX_NONCE
from noise.exceptions import NoiseInvalidMessage
from noise.functions.hash import hkdf

from praxis_sdk.p2p import noise_nacl
from praxis_sdk.p2p.noise_nacl import BACKEND, ChaChaPoly, hmac_hash
from praxis_sdk.p2p.x25519 import X25519PrivateKey, x25519, x25519_public

NAME = b"Noise_XX_25519_ChaChaPoly_SHA256"
RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


def test_x25519_rfc7748_vector_and_random_keys_match_cryptography() -> None:
    # RFC 7748 section 6.1: Alice's private key, Bob's public key, the shared secret
    alice = bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    bob = bytes.fromhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
    assert x25519_public(alice).hex() == (
        "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    assert x25519(alice, bob).hex() == (
        "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
    assert x25519(alice, bob) == real_x25519.X25519PrivateKey.from_private_bytes(
        alice).exchange(real_x25519.X25519PublicKey.from_public_bytes(bob))
    for _ in range(20):
        mine, theirs = os.urandom(32), os.urandom(32)
        real = real_x25519.X25519PrivateKey.from_private_bytes(mine)
        assert x25519_public(mine) == real.public_key().public_bytes(*RAW)
        their_public = x25519_public(theirs)
        assert x25519(mine, their_public) == real.exchange(
            real_x25519.X25519PublicKey.from_public_bytes(their_public))
        key = X25519PrivateKey(mine)  # libp2p's key wrapper: the same raw bytes
        assert key.to_bytes() == mine and key.get_public_key().to_bytes() == x25519_public(mine)


def test_a_small_order_peer_key_fails_in_both() -> None:
    zero = bytes(32)
    with pytest.raises(ValueError):
        real_x25519.X25519PrivateKey.generate().exchange(
            real_x25519.X25519PublicKey.from_public_bytes(zero))
    with pytest.raises(ValueError):
        x25519(os.urandom(32), zero)


@pytest.mark.parametrize("n", [0, 1, 255, 256, 2**32 + 5, MAX_NONCE - 1, MAX_NONCE])
@pytest.mark.parametrize("ad", [None, b"", os.urandom(32)])
def test_chachapoly_with_noise_nonces_matches_cryptography(n: int, ad: bytes | None) -> None:
    key, plaintext = os.urandom(32), os.urandom(100)
    ours = ChaChaPoly()
    ours.initialize(key)
    real_nonce = b"\x00" * 4 + n.to_bytes(8, "little")  # Noise's ChaChaPoly nonce
    sealed = ours.encrypt(key, n, ad, plaintext)
    assert sealed == ChaCha20Poly1305(key).encrypt(real_nonce, plaintext, ad)
    stock = default_backend.ciphers["ChaChaPoly"]()
    stock.initialize(key)
    assert sealed == stock.encrypt(key, n, ad, plaintext)
    assert ours.decrypt(key, n, ad, sealed) == plaintext
    assert ours.encrypt(key, n, ad, b"") == ChaCha20Poly1305(key).encrypt(real_nonce, b"", ad)
    assert ours.rekey(key) == stock.rekey(key)
    tampered = bytearray(sealed)
    tampered[0] ^= 1
    with pytest.raises(InvalidTag):  # the class noise.connection turns into its own error
        ours.decrypt(key, n, ad, bytes(tampered))
    with pytest.raises(InvalidTag):
        ours.decrypt(key, n + 1 if n < MAX_NONCE else 0, ad, sealed)
    for short in (b"", sealed[:1], sealed[:15]):  # shorter than the tag: as cryptography
        with pytest.raises(InvalidTag):
            ours.decrypt(key, n, ad, short)


def test_sha256_hmac_and_noise_hkdf_match_cryptography() -> None:
    for _ in range(10):
        chaining_key, material = os.urandom(32), os.urandom(64)
        sha256 = BACKEND.hashes["SHA256"]()
        assert sha256.hash(material) == default_backend.hashes["SHA256"]().hash(material)
        assert hmac_hash(chaining_key, material, sha256.fn) == default_backend.hmac(
            chaining_key, material, default_backend.hashes["SHA256"]().fn)
        for outputs in (2, 3):
            ours = hkdf(chaining_key, material, outputs,
                        lambda k, d, fn=sha256.fn: hmac_hash(k, d, fn))
            # Noise's HKDF is RFC 5869's with the chaining key as salt and no info
            real = HKDF(hashes.SHA256(), 32 * outputs, salt=chaining_key, info=b"").derive(
                material)
            assert b"".join(ours) == real


def connection(backend: object, initiator: bool) -> NoiseConnection:
    state = NoiseConnection.from_name(NAME, backend=backend)
    state.set_keypair_from_private_bytes(Keypair.STATIC, os.urandom(32))
    state.set_prologue(b"praxis")
    if initiator:
        state.set_as_initiator()
    else:
        state.set_as_responder()
    state.start_handshake()
    return state


@pytest.mark.parametrize("ours_initiates", [True, False])
def test_a_noise_xx_session_between_the_backends(ours_initiates: bool) -> None:
    ours = connection(BACKEND, initiator=ours_initiates)
    stock = connection(default_backend, initiator=not ours_initiates)
    first, second = (ours, stock) if ours_initiates else (stock, ours)
    second.read_message(first.write_message(b""))
    first.read_message(second.write_message(b"payload 2"))
    second.read_message(first.write_message(b"payload 3"))
    assert ours.handshake_finished and stock.handshake_finished
    assert ours.get_handshake_hash() == stock.get_handshake_hash()
    for _ in range(3):
        assert stock.decrypt(ours.encrypt(b"to stock")) == b"to stock"
        assert ours.decrypt(stock.encrypt(b"to ours")) == b"to ours"
    tampered = bytearray(stock.encrypt(b"to ours"))
    tampered[-1] ^= 1
    for bad in (bytes(tampered), b"", b"short"):
        with pytest.raises(NoiseInvalidMessage):
            ours.decrypt(bad)


def test_the_backend_knows_only_what_noise_uses() -> None:
    for name in (b"Noise_XX_448_ChaChaPoly_SHA256", b"Noise_XX_25519_AESGCM_SHA256",
                 b"Noise_XX_25519_ChaChaPoly_BLAKE2b"):
        with pytest.raises(Exception, match="Unknown"):
            NoiseConnection.from_name(name, backend=noise_nacl.BACKEND)
