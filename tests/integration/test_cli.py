"""The command line as a user meets it: readable one-line errors, exit codes, no tracebacks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import yaml

from tests.support.agents import agent_config


def cli(*args: str, cwd: Path, timeout: float = 30, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "praxis_sdk", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def test_version(tmp_path: Path) -> None:
    out = cli("version", cwd=tmp_path)
    assert out.returncode == 0 and out.stdout.startswith("praxis-agent ")


def test_help_everywhere(tmp_path: Path) -> None:
    for command in ([], ["run"], ["validate-config"], ["init-config"], ["version"]):
        out = cli(*command, "--help", cwd=tmp_path)
        assert out.returncode == 0 and "Usage" in out.stdout


def test_init_then_validate(tmp_path: Path) -> None:
    assert cli("init-config", "agent.yaml", cwd=tmp_path).returncode == 0
    text = (tmp_path / "agent.yaml").read_text()
    assert text.startswith("#")
    again = cli("init-config", "agent.yaml", cwd=tmp_path)
    assert again.returncode == 1 and "exists" in again.stderr
    out = cli("validate-config", "-c", "agent.yaml", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert yaml.safe_load(out.stdout)["http"]["port"] == 8000


def test_validate_counts_the_tool_contracts(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("agent:\n  tools_dir: ./tools\n")
    out = cli("validate-config", "-c", "a.yaml", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stderr.splitlines()[-1] == "# 0 tool contracts (no tools directory at ./tools)"
    (tmp_path / "tools").mkdir()
    out = cli("validate-config", "-c", "a.yaml", cwd=tmp_path)
    assert out.stderr.splitlines()[-1] == "# 0 tool contracts"
    contract = tmp_path / "tools" / "shout" / "contract.yaml"
    contract.parent.mkdir()
    contract.write_text(yaml.safe_dump({"name": "shout", "description": "d", "engine": "python",
                                        "entrypoint": "shout.py"}))
    out = cli("validate-config", "-c", "a.yaml", cwd=tmp_path)
    assert out.stderr.splitlines()[-1] == "# 1 tool contracts: shout", out.stderr


def test_validate_masks_secrets(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("http:\n  auth_token: hunter2\nllm:\n  api_key: sk-1\n")
    out = cli("validate-config", "-c", "a.yaml", cwd=tmp_path)
    assert out.returncode == 0
    assert "hunter2" not in out.stdout and "sk-1" not in out.stdout


def assert_one_line_error(out: subprocess.CompletedProcess[str], code: int, *words: str
                          ) -> None:
    assert out.returncode == code, (out.returncode, out.stderr)
    assert "Traceback" not in out.stderr
    error_lines = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, out.stderr
    for word in words:
        assert word in error_lines[0], out.stderr


def test_malformed_yaml(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("agent:\n  name: [oops\n")
    assert_one_line_error(cli("run", "-c", "bad.yaml", cwd=tmp_path), 2, "invalid YAML", "line")


def test_wrong_type(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("p2p:\n  port: lots\n")
    assert_one_line_error(cli("validate-config", "-c", "bad.yaml", cwd=tmp_path), 2,
                          "p2p.port", "'lots'")


def test_missing_config(tmp_path: Path) -> None:
    assert_one_line_error(cli("run", "-c", "nope.yaml", cwd=tmp_path), 2, "not found")


def test_config_directory(tmp_path: Path) -> None:
    assert_one_line_error(cli("validate-config", "-c", str(tmp_path), cwd=tmp_path), 2,
                          f"config path is a directory, not a file: {tmp_path}")


def test_bad_values_name_their_flag_or_variable(tmp_path: Path) -> None:
    (tmp_path / "agent.yaml").write_text("agent:\n  name: a\n")
    assert_one_line_error(cli("run", "-c", "agent.yaml", "--port", "99999", cwd=tmp_path), 2,
                          "error: --port: invalid config: http.port: ", "(got 99999)")
    assert_one_line_error(cli("run", "-c", "agent.yaml", "--log-level", "verbose",
                              cwd=tmp_path), 2,
                          "error: --log-level: invalid config: logging.level: ")
    out = cli("validate-config", "-c", "agent.yaml", cwd=tmp_path,
              env={"PRAXIS_HTTP__PORT": "abc"})
    assert_one_line_error(out, 2, "error: PRAXIS_HTTP__PORT: invalid config: http.port: ",
                          "(got 'abc')")
    out = cli("validate-config", "-c", "agent.yaml", cwd=tmp_path, env={"AGENT_NAME": ""})
    assert_one_line_error(out, 2, "error: AGENT_NAME: invalid config: agent.name: must not be "
                          "empty or blank (got '')")


def test_unknown_key_strict(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("http:\n  prot: 1\n")
    loose = cli("validate-config", "-c", "a.yaml", cwd=tmp_path)
    assert loose.returncode == 0
    assert "warning: unknown config key ignored: http.prot (did you mean http.port?)" \
        in loose.stderr.splitlines()
    assert_one_line_error(cli("validate-config", "--strict", "-c", "a.yaml", cwd=tmp_path), 2,
                          "unknown config keys: http.prot (did you mean http.port?)")


def test_unknown_flag(tmp_path: Path) -> None:
    out = cli("run", "--colour", "blue", cwd=tmp_path)
    assert_one_line_error(out, 2, "No such option: --colour")
    assert len(out.stderr.splitlines()) == 1, out.stderr


def test_bad_option_value_is_one_line(tmp_path: Path) -> None:
    for args, option in ((["run", "--port", "abc"], "'--port'"),
                         (["run", "--p2p-port=x"], "'--p2p-port'"),
                         (["dsl", "--timeout", "soon", "CALL x"], "'--timeout'"),
                         (["init-config", "a.yaml", "b.yaml"], "unexpected extra argument")):
        out = cli(*args, cwd=tmp_path)
        assert_one_line_error(out, 2, option, "--help')")
        assert out.stderr.count("\n") == 1 and "─" not in out.stderr, out.stderr


def test_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        config = agent_config(tmp_path, "a", http={"host": "127.0.0.1", "port": port})
        (tmp_path / "a.yaml").write_text(yaml.safe_dump(config))
        out = cli("run", "-c", "a.yaml", cwd=tmp_path)
    assert_one_line_error(out, 1, f"port {port}", "in use")


def test_unwritable_data_dir(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("")
    config = agent_config(tmp_path, "a", storage={"data_dir": str(tmp_path / "blocker" / "d")})
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(config))
    assert_one_line_error(cli("run", "-c", "a.yaml", cwd=tmp_path), 1, "not writable")


def test_unwritable_log_file(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("")
    config = agent_config(tmp_path, "a", logging={"file": str(tmp_path / "blocker" / "a.log")})
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(config))
    assert_one_line_error(cli("run", "-c", "a.yaml", cwd=tmp_path), 1, "cannot write the log file")
