"""The node's Noise (`praxis_sdk.p2p.noise_nacl`: PyNaCl, hashlib) against stock py-libp2p
Noise (`cryptography`), each in its own process over TCP (tests/support/noise_peer.py), both
ways: the handshake, each side's view of the other's peer id, data both ways, and a message
with one ciphertext byte flipped ending the session with noise's error."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.support.agents import REPO

PEER = REPO / "tests" / "support" / "noise_peer.py"
ENV = {"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"}


def start(options: dict[str, Any]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(PEER), json.dumps(options)], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def result(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return json.loads(out.splitlines()[-1])


def session(listener: str, dialer: str, wrong_peer: bool = False
            ) -> tuple[dict[str, Any], dict[str, Any]]:
    listening = start({"backend": listener, "role": "listen"})
    try:
        assert listening.stdout is not None
        address = json.loads(listening.stdout.readline())
        peer = address["peer"]
        if wrong_peer:  # a valid id of another key
            other = start({"backend": listener, "role": "listen"})
            assert other.stdout is not None
            peer = json.loads(other.stdout.readline())["peer"]
            other.kill()
            other.communicate()
        dialing = start({"backend": dialer, "role": "dial", "port": address["port"],
                         "peer": peer, "tamper": not wrong_peer})
        dialed = result(dialing)
        return result(listening), dialed
    finally:
        if listening.poll() is None:
            listening.kill()
            listening.communicate()


@pytest.mark.parametrize(("listener", "dialer"), [("stock", "ours"), ("ours", "stock")])
def test_our_noise_and_stock_py_libp2p_noise_talk_both_ways(listener: str,
                                                            dialer: str) -> None:
    listened, dialed = session(listener, dialer)
    assert dialed["error"] == [], dialed
    assert dialed["remote"] == listened["self"] and listened["remote"] == dialed["self"]
    # the dialer's message reached the listener, the answer came back, then the tampered one
    assert listened["got"] == [f"hello from {dialer}"], listened
    assert dialed["got"] == [f"echo:hello from {dialer}"], dialed
    assert listened["error"][0] == "NoiseInvalidMessage", listened
    ours = listened if listener == "ours" else dialed
    assert ours["cryptography"] is False, ours  # the node's side never loaded it
    stock = dialed if listener == "ours" else listened
    assert stock["cryptography"] is True, stock


@pytest.mark.parametrize("dialer", ["ours", "stock"])
def test_a_dialer_expecting_another_peer_id_is_refused(dialer: str) -> None:
    listener = "stock" if dialer == "ours" else "ours"
    _, dialed = session(listener, dialer, wrong_peer=True)
    assert dialed["error"][0] == "PeerIDMismatchesPubkey", dialed
    assert dialed["remote"] is None
