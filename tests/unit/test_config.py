"""Configuration: precedence, interpolation, legacy names, errors, round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from praxis_sdk.config import LEGACY_ENV, Settings, load_config
from praxis_sdk.errors import ConfigError

ENV_PREFIXES = ("PRAXIS_", "AGENT_", "CONFIG_FILE", "OPENAI_API_KEY", "P2PP", "MYNAME")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each case starts from an environment without Praxis variables."""
    import os

    for key in list(os.environ):
        if key.startswith(ENV_PREFIXES) or key in LEGACY_ENV:
            monkeypatch.delenv(key)


def write(tmp_path: Path, data: dict | str) -> Path:
    path = tmp_path / "agent.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


CASES = [
    # (yaml, env, cli, dotted path, expected)
    ({}, {}, {}, "http.port", 8000),
    ({"http": {"port": 9000}}, {}, {}, "http.port", 9000),
    ({"http": {"port": 9000}}, {"PRAXIS_HTTP__PORT": "9100"}, {}, "http.port", 9100),
    ({"http": {"port": 9000}}, {"PRAXIS_HTTP__PORT": "9100"}, {"port": 9200}, "http.port", 9200),
    ({}, {"praxis_http__port": "9101"}, {}, "http.port", 9101),
    ({}, {"PRAXIS_API__PORT": "9300"}, {}, "http.port", 9300),
    ({}, {"PRAXIS_API__PORT": "9300", "PRAXIS_HTTP__PORT": "9301"}, {}, "http.port", 9301),
    ({}, {"PRAXIS_P2P__PORT": "4002"}, {}, "p2p.port", 4002),
    ({}, {"PRAXIS_P2P__MDNS_ENABLED": "false"}, {}, "p2p.enable_mdns", False),
    ({}, {"AGENT_NAME": "legacy"}, {}, "agent.name", "legacy"),
    ({"agent": {"name": "yaml"}}, {"AGENT_NAME": "legacy"}, {}, "agent.name", "legacy"),
    ({}, {"AGENT_NAME": "legacy"}, {"name": "cli"}, "agent.name", "cli"),
    ({}, {"AGENT_VERSION": "2.0"}, {}, "agent.version", "2.0"),
    ({}, {"PRAXIS_ENV": "production"}, {}, "environment", "production"),
    ({}, {"PRAXIS_ENVIRONMENT": "staging"}, {}, "environment", "staging"),
    ({}, {"PRAXIS_LOG_LEVEL": "warning"}, {}, "logging.level", "warning"),
    ({}, {"PRAXIS_LOGGING__LEVEL": "error"}, {}, "logging.level", "error"),
    ({}, {"PRAXIS_DEBUG": "true"}, {}, "logging.level", "debug"),
    ({}, {"PRAXIS_P2P__BOOTSTRAP_NODES": '["http://a:8000"]'}, {}, "p2p.bootstrap_nodes",
     ["http://a:8000"]),
    ({"agent": {"name": "${MYNAME}"}}, {"MYNAME": "from-env"}, {}, "agent.name", "from-env"),
    ({"agent": {"name": "${MYNAME:-fallback}"}}, {}, {}, "agent.name", "fallback"),
    ({"p2p": {"port": "${P2PP:-4010}"}}, {"P2PP": "4011"}, {}, "p2p.port", 4011),
    ({}, {}, {"p2p_port": 4999}, "p2p.port", 4999),
    ({}, {}, {"log_level": "debug"}, "logging.level", "debug"),
]


def get(settings: Settings, dotted: str) -> object:
    value: object = settings
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


@pytest.mark.parametrize(("data", "env", "cli", "path", "expected"), CASES)
def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: dict,
                    env: dict, cli: dict, path: str, expected: object) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert get(load_config(write(tmp_path, data), **cli), path) == expected


def test_openai_key_is_secret_and_masked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret")
    settings = load_config(write(tmp_path, {"http": {"auth_token": "tok-123"}}))
    assert settings.llm.api_key.get_secret_value() == "sk-very-secret"
    printed = settings.to_yaml()
    assert "sk-very-secret" not in printed and "tok-123" not in printed
    assert "**********" in printed


def test_config_file_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONFIG_FILE", str(write(tmp_path, {"agent": {"name": "via-env"}})))
    assert load_config().agent.name == "via-env"


def test_unknown_key_warns_with_path(tmp_path: Path) -> None:
    warnings: list[str] = []
    path = write(tmp_path, {"p2p": {"port": 4001, "prot": 1}, "bogus": {"x": 1}})
    settings = load_config(path, warnings=warnings)
    assert settings.p2p.port == 4001
    assert warnings == ["unknown config key ignored: bogus",
                        "unknown config key ignored: p2p.prot (did you mean p2p.port?)"]


def test_unknown_section_names_the_close_one(tmp_path: Path) -> None:
    warnings: list[str] = []
    load_config(write(tmp_path, {"htpp": {"port": 1}}), warnings=warnings)
    assert warnings == ["unknown config key ignored: htpp (did you mean http?)"]
    with pytest.raises(ConfigError, match=r"unknown config keys: htpp \(did you mean http\?\)"):
        load_config(write(tmp_path, {"htpp": {"port": 1}}), strict=True)


def test_unknown_key_is_an_error_when_strict(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown config keys: mcp\.servers\[0\]\.colour"):
        load_config(write(tmp_path, {"mcp": {"servers": [{"name": "a", "colour": 1}]}}),
                    strict=True)


def test_wrong_type_names_path_and_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, {"p2p": {"port": "four"}, "http": {"port": 70000}}))
    message = info.value.message
    assert "p2p.port" in message and "'four'" in message
    assert "http.port" in message and "70000" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_directory_is_not_a_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory, not a file"):
        load_config(tmp_path)


@pytest.mark.parametrize(("env", "cli", "source", "path"), [
    ({}, {"port": 99999}, "--port", "http.port"),
    ({}, {"log_level": "verbose"}, "--log-level", "logging.level"),
    ({"PRAXIS_HTTP__PORT": "abc"}, {}, "PRAXIS_HTTP__PORT", "http.port"),
    ({"PRAXIS_LOG_LEVEL": "loud"}, {}, "PRAXIS_LOG_LEVEL", "logging.level"),
    ({"AGENT_NAME": ""}, {}, "AGENT_NAME", "agent.name"),
    ({"PRAXIS_AGENT__NAME": "  "}, {}, "PRAXIS_AGENT__NAME", "agent.name"),
])
def test_error_names_where_the_value_came_from(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict, cli: dict, source: str,
        path: str) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, {"agent": {"name": "a"}}), **cli)
    assert info.value.message.startswith(f"{source}: invalid config: {path}: ")


def test_errors_from_several_places_name_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    monkeypatch.setenv("PRAXIS_HTTP__PORT", "abc")
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, {"p2p": {"port": "four"}}))
    message = info.value.message
    assert message.startswith("invalid config: ")
    assert f"{tmp_path / 'agent.yaml'}: p2p.port: " in message
    assert "PRAXIS_HTTP__PORT: http.port: " in message


def test_blank_agent_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"agent\.name: must not be empty or blank \(got ''\)"):
        load_config(write(tmp_path, {"agent": {"name": ""}}))


def test_malformed_yaml_names_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"invalid YAML at line \d+, column \d+: expected"):
        load_config(write(tmp_path, "agent:\n  name: [unclosed\n"))


def test_top_level_must_be_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="mapping"):
        load_config(write(tmp_path, "- a\n- b\n"))


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1,
                max_size=20)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=names.filter(str.strip),
    port=st.integers(0, 65535),
    mdns=st.booleans(),
    bootstrap=st.lists(names, max_size=3),
    level=st.sampled_from(["debug", "info", "warning", "error"]),
    timeout=st.floats(0.1, 1000, allow_nan=False),
)
def test_printed_config_loads_back(tmp_path: Path, name: str, port: int, mdns: bool,
                                   bootstrap: list[str], level: str, timeout: float) -> None:
    """What `validate-config` prints is a config that loads to the same values."""
    original = load_config(**{"name": name, "port": port, "p2p__enable_mdns": mdns,
                              "p2p__bootstrap_nodes": bootstrap, "log_level": level,
                              "execution__default_timeout": timeout})
    path = tmp_path / "printed.yaml"
    path.write_text(original.to_yaml())
    assert load_config(path).dump() == original.dump()
