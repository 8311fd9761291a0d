"""mDNS between full agents: two namespaces on one bridge, no bootstrap entry anywhere."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.e2e import netns
from tests.e2e.lan_agents import LanAgent, start_lan_agent, wait_healthy
from tests.support.p2p_agents import ENV, agent_section, p2p_section, python_tool


def test_two_agents_in_two_namespaces_find_each_other_by_mdns(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **ENV}
    mdns = p2p_section(enable_mdns=True, bootstrap_nodes=[])
    with netns.lan(2) as lan:
        (ns_a, _), (ns_b, ip_b) = lan.nodes.items()
        agents: list[LanAgent] = []
        try:
            began = time.monotonic()
            a = start_lan_agent(lan, ns_a, tmp_path / "a", "agent-a", env, p2p=mdns,
                                agent=agent_section())
            agents.append(a)
            b = start_lan_agent(lan, ns_b, tmp_path / "b", "agent-b", env, p2p=mdns,
                                agent=agent_section(python_tool("b_echo")))
            agents.append(b)
            wait_healthy(a)
            wait_healthy(b)
            healthy = time.monotonic()
            a_id, b_id = a.get("/p2p/info")["peer_id"], b.get("/p2p/info")["peer_id"]

            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if b_id in a.get("/p2p/cards") and a_id in b.get("/p2p/cards"):
                    break
                time.sleep(0.1)
            found = time.monotonic()
            cards = a.get("/p2p/cards")
            assert b_id in cards, f"A never found B over mDNS:\n{a.log[-3000:]}"
            assert cards[b_id]["name"] == "agent-b"
            peer = next(p for p in a.get("/peers") if p["peer_id"] == b_id)
            assert any(f"/ip4/{ip_b}/" in addr for addr in peer["addresses"]), peer

            status, result = a.request("POST", "/tools/b_echo@agent-b/invoke",
                                       {"arguments": {"text": "over the LAN"}})
            assert status == 200 and result["ok"], result
            assert result["structured"]["echo"] == "over the LAN"
            assert a.get("/health")["components"]["p2p"]["peers_connected"] == 1
            print(f"\nagents healthy after {healthy - began:.2f}s, mDNS discovery and card "
                  f"exchange {found - healthy:.2f}s later")
        finally:
            for agent in agents:
                agent.stop()
