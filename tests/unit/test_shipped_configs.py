"""The configs we ship load strictly, seed-style contracts included, and are safe by default."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from praxis_sdk.agent import load_tool_contracts
from praxis_sdk.config import load_config

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted((REPO / "configs").glob("*.yaml")) + [
    REPO / "sample_config.yaml", REPO / "src" / "praxis_sdk" / "starter.yaml",
]
# The production config refuses to start without a token; give it one to load.
TOKEN_ENV = {"PRAXIS_AUTH_TOKEN": "a-token"}


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_config_and_contracts_load(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    for name, value in TOKEN_ENV.items():
        monkeypatch.setenv(name, value)
    settings = load_config(path, strict=True)
    names = {c.name for c in load_tool_contracts(settings)}
    assert {"calculator", "word_counter", "text_analyzer"} <= names


def test_seed_style_contract_in_agent2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    settings = load_config(REPO / "configs" / "agent2.yaml", strict=True)
    report = next(c for c in load_tool_contracts(settings) if c.name == "shared_report")
    assert report.engine == "dagger"
    assert report.params[0].required is True
    assert report.engine_spec.env_passthrough == ["LANG"]
    assert report.engine_spec.mounts == {str(REPO / "shared"): "/shared",
                                         str(REPO / "tools"): "/tools:ro"}


def test_the_env_file_with_the_token_is_never_committed() -> None:
    # The README: `cp .env.example .env`, then append PRAXIS_AUTH_TOKEN=... to it.
    def ignored(name: str) -> bool:
        return subprocess.run(["git", "check-ignore", "-q", name], cwd=REPO,
                              check=False).returncode == 0

    assert ignored(".env") and not ignored(".env.example")
