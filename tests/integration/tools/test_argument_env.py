"""Arguments cannot reach the loader, the shell or the host-side helpers.

Every reserved name is refused when a contract declares it; an argument smuggled past the
schema is refused when the tool runs; and a real sandbox run shows `prlimit`/`bwrap` start
with the fixed helper environment while the tool alone sees its arguments.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import anyio
import pytest

from praxis_sdk.config import ExecutionConfig
from praxis_sdk.errors import ConfigError, InvalidInput
from praxis_sdk.tools.contract import parse_contract
from praxis_sdk.tools.engines import LocalEngine, SandboxEngine
from praxis_sdk.tools.engines.base import HELPER_ENV, MAX_ARGS_BYTES
from praxis_sdk.tools.envnames import RESERVED_NAMES

PREFIXED = ["LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "DYLD_INSERT_LIBRARIES",
            "MALLOC_CHECK_", "BASH_FUNC_ls", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME",
            "PERL5OPT", "RUBYOPT", "NODE_OPTIONS", "LC_ALL", "GIT_SSH_COMMAND", "PRAXIS_ARGS"]
ESCAPE_NAMES = sorted(RESERVED_NAMES | set(PREFIXED))


def contract(params: list[str], **spec: object) -> dict[str, object]:
    return {"name": "victim", "engine": "sandbox",
            "params": [{"name": name, "type": "string"} for name in params],
            "engineSpec": {"command": ["sh", "-c", "true"], **spec}}


@pytest.mark.parametrize("name", ESCAPE_NAMES)
@pytest.mark.parametrize("spelling", [str.lower, str.upper])
def test_contract_declaring_a_reserved_name_is_refused(name: str, spelling) -> None:
    declared = spelling(name)
    with pytest.raises(ConfigError) as refused:
        parse_contract(contract([declared]), "tools/victim/contract.yaml")
    message = refused.value.message
    assert f"parameter {declared!r} is reserved" in message
    assert message.startswith("tools/victim/contract.yaml: ")


def test_parameter_clashing_with_the_contracts_own_env_is_refused() -> None:
    with pytest.raises(ConfigError, match="parameter 'mode' clashes with .* MODE"):
        parse_contract(contract(["mode"], env={"MODE": "safe"}), "c.yaml")
    with pytest.raises(ConfigError, match="parameter 'token' clashes"):
        parse_contract(contract(["token"], env_passthrough=["TOKEN"]), "c.yaml")


def test_ordinary_names_still_load() -> None:
    loaded = parse_contract(contract(["file_path", "text", "lang", "mode"]), "c.yaml")
    assert [p.name for p in loaded.params] == ["file_path", "text", "lang", "mode"]


@pytest.mark.parametrize("engine_name", ["sandbox", "local"])
@pytest.mark.parametrize("name", ["ld_preload", "PATH", "home", "BASH_ENV", "pythonpath"])
async def test_argument_smuggled_past_the_schema_is_refused_at_run(
    tmp_path: Path, engine_name: str, name: str
) -> None:
    execution = ExecutionConfig(allow_unsandboxed=True)
    engine = (SandboxEngine if engine_name == "sandbox" else LocalEngine)(execution, tmp_path)
    victim = parse_contract(contract([]), "c.yaml")
    refusal = f"argument {name!r} would set {name.upper()}, which is reserved"
    with pytest.raises(InvalidInput, match=refusal):
        await engine.run(victim, {name: "/tmp/evil.so"}, timeout=10)


async def test_oversized_and_nul_arguments_are_invalid_input(tmp_path: Path) -> None:
    engine = SandboxEngine(ExecutionConfig(), tmp_path)
    victim = parse_contract(contract(["text"]), "c.yaml")
    with pytest.raises(InvalidInput, match=f"over the limit of {MAX_ARGS_BYTES} bytes"):
        await engine.run(victim, {"text": "x" * 1_000_000}, timeout=10)
    with pytest.raises(InvalidInput, match="NUL byte"):
        await engine.run(victim, {"text": "a\x00b"}, timeout=10)


def _processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


async def test_host_helpers_run_with_the_fixed_environment(tmp_path: Path) -> None:
    """While a sandboxed tool runs, bwrap (exec'd by prlimit) on the host has exactly the
    helper environment and no argument on its command line; the tool has its arguments."""
    marker = f"praxis-marker-{uuid.uuid4().hex}"
    secret = f"argument-value-{uuid.uuid4().hex}"
    os.environ["PRAXIS_TEST_AGENT_ONLY"] = "agent-secret"
    engine = SandboxEngine(ExecutionConfig(), tmp_path)
    victim = parse_contract(contract(["text"], command=["sh", "-c", "sleep 3", marker]),
                            "c.yaml")
    seen: dict[str, object] = {}

    async def watch() -> None:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and "tool" not in seen:
            for pid in _processes_with(marker):
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                    env = _environ(pid)
                except OSError:
                    continue
                if Path(cmdline[0].decode()).name == "bwrap":
                    seen["helper"], seen["helper_cmdline"] = env, cmdline
                elif cmdline[0] == b"sh" and "helper" in seen:
                    seen["tool"] = env
            await anyio.sleep(0.05)

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(watch)
            result = await engine.run(victim, {"text": secret}, timeout=20)
    finally:
        del os.environ["PRAXIS_TEST_AGENT_ONLY"]
    assert result.ok, result.error
    assert seen.get("helper") == HELPER_ENV, seen
    assert not any(secret.encode() in part for part in seen["helper_cmdline"])
    tool_env = seen["tool"]
    assert tool_env["TEXT"] == secret and tool_env["text"] == secret
    assert tool_env["PATH"] == "/usr/local/bin:/usr/bin:/bin"
    assert "PRAXIS_TEST_AGENT_ONLY" not in tool_env


async def test_local_engine_tool_env_is_only_its_own(tmp_path: Path) -> None:
    """`env -i` sets the local tool's environment: the agent's variables stay out."""
    os.environ["PRAXIS_TEST_AGENT_ONLY"] = "agent-secret"
    engine = LocalEngine(ExecutionConfig(allow_unsandboxed=True), tmp_path)
    victim = parse_contract(contract(["text"], command=["sh", "-c", "env"]), "c.yaml")
    victim.engine = "local"
    try:
        result = await engine.run(victim, {"text": "hello"}, timeout=20)
    finally:
        del os.environ["PRAXIS_TEST_AGENT_ONLY"]
    assert result.ok, result.error
    names = {line.split("=", 1)[0] for line in result.content[0].text.splitlines() if "=" in line}
    assert {"TEXT", "text", "PRAXIS_ARGS", "PATH", "LANG"} <= names
    assert "PRAXIS_TEST_AGENT_ONLY" not in names
