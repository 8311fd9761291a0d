"""mDNS: two nodes in two network namespaces on one bridge find each other, no bootstrap."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.e2e import netns

CARDS_PROBE = (
    "import sys, httpx; print(httpx.get(sys.argv[1], timeout=5).text)"
)


def start_in(lan: Any, helper: dict[str, Any], namespace: str, name: str,
             keys: Path) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    options = {"name": name, "p2p": {"host": "0.0.0.0", "port": 4001, "enable_mdns": True,
                                     "keystore_path": str(keys), "ping_interval": 2.0}}
    proc = subprocess.Popen(
        lan.exec_argv(namespace, [sys.executable, helper["path"], json.dumps(options)]),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=helper["env"],
    )
    return proc, helper["read_ready"](proc, 30)


def cards_in(lan: Any, namespace: str, http: str, path: str = "/p2p/cards") -> Any:
    done = subprocess.run(
        lan.exec_argv(namespace, [sys.executable, "-c", CARDS_PROBE, http + path]),
        capture_output=True, timeout=20)
    return json.loads(done.stdout) if done.returncode == 0 and done.stdout else {}


def test_two_nodes_in_two_namespaces_find_each_other_by_mdns(
        tmp_path: Path, helper_script: dict[str, Any]) -> None:
    with netns.lan(2) as lan:
        (ns_a, ip_a), (ns_b, ip_b) = lan.nodes.items()
        procs = []
        try:
            started = time.monotonic()
            proc_a, ready_a = start_in(lan, helper_script, ns_a, "agent-a", tmp_path / "keys")
            procs.append(proc_a)
            proc_b, ready_b = start_in(lan, helper_script, ns_b, "agent-b", tmp_path / "keys")
            procs.append(proc_b)
            assert any(f"/ip4/{ip_a}/tcp/4001" in a for a in ready_a["addresses"])
            deadline = time.monotonic() + 30
            found: dict[str, Any] = {}
            while time.monotonic() < deadline:
                found = cards_in(lan, ns_a, ready_a["http"])
                if ready_b["peer_id"] in found and ready_a["peer_id"] in cards_in(
                        lan, ns_b, ready_b["http"]):
                    break
                time.sleep(0.2)
            assert ready_b["peer_id"] in found, "A never found B over mDNS"
            assert found[ready_b["peer_id"]]["name"] == "agent-b"
            print(f"mDNS discovery and card exchange took {time.monotonic() - started:.2f}s")
            found_by = [peer["found_by"] for ns, ready in ((ns_a, ready_a), (ns_b, ready_b))
                        for peer in cards_in(lan, ns, ready["http"], "/peers")]
            assert sorted(found_by) in (["inbound", "mdns"], ["mdns", "mdns"]), found_by
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
