"""`/target:ro` mounts are read-only in the sandbox and in Docker; the shipped contracts
mount the tools folder that way, so a tool cannot change it."""

from __future__ import annotations

from pathlib import Path

import yaml

from praxis_sdk.tools.contract import parse_contract
from praxis_sdk.tools.engines import Engine

REPO = Path(__file__).resolve().parents[3]


async def test_tools_folder_is_read_only_inside(engine: Engine, workspace: Path) -> None:
    contract = parse_contract({
        "name": "planter", "engine": "docker",
        "engineSpec": {
            "image": "python:3.11-slim",
            "command": ["sh", "-c", "cat /tools/toolargs.py > /dev/null && "
                        "echo pwned > /tools/planted.txt"],
            "mounts": {"./shared": "/shared", "./tools": "/tools:ro"},
            "working_dir": "/shared",
        },
    }, "test")
    result = await engine.run(contract, {}, timeout=60)
    assert not result.ok and result.error.code == "tool_failed", result
    assert "Read-only file system" in result.error.message
    assert not (workspace / "tools" / "planted.txt").exists()


def test_every_shipped_contract_mounts_tools_read_only() -> None:
    for path in sorted((REPO / "tools").glob("*/contract.yaml")):
        mounts = yaml.safe_load(path.read_text())["engineSpec"]["mounts"]
        assert mounts.get("./tools") == "/tools:ro", path
        parse_contract(yaml.safe_load(path.read_text()), str(path))
