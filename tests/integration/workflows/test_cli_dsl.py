"""`praxis-agent dsl` against a running agent: live progress, results, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.integration.workflows.wf_helpers import sections


def dsl(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "praxis_sdk", "dsl", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, **env})


def test_cli_dsl(spawn_agent: Any, tmp_path: Path) -> None:
    agent = spawn_agent("cli", **sections(http={"auth_token": "s3cret"}))
    env = {"PRAXIS_URL": agent.url, "PRAXIS_TOKEN": "s3cret"}

    out = dsl('CALL calculator "6*7" AS x\nCALL word_counter --text "$x.result apples"',
              env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "[run] running 2 step(s)" in out.stderr
    assert "s1 calculator: running" in out.stderr and "s2 word_counter: completed" in out.stderr
    assert '"result": 42' in out.stdout and '"words": 2' in out.stdout
    assert out.stdout.rstrip().endswith("workflow completed")

    script = tmp_path / "count.praxis"
    script.write_text("# from a file\nCALL calculator '2 ** 8'\n")
    out = dsl("-f", str(script), "--json", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert '"success": true' in out.stdout and "256" in out.stdout

    failed = dsl('CALL calculator "1/0"', env=env, cwd=tmp_path)
    assert failed.returncode == 1
    assert "division by zero" in failed.stderr.splitlines()[-1]
    assert failed.stderr.splitlines()[-1].startswith("error:")

    bad = dsl("CALL nope 1\nCALL calculator", env=env, cwd=tmp_path)
    assert bad.returncode == 1
    assert "2 problems" in bad.stderr and "line 2" in bad.stderr

    stray = dsl('CALL calculator@praxis-agent-3 "1"', env=env, cwd=tmp_path)
    assert stray.returncode == 1
    assert "unknown provider 'praxis-agent-3' (for tool 'calculator'); known providers: " \
        in stray.stderr and "did you mean calculator" not in stray.stderr

    denied = dsl("CALL calculator 1", env={**env, "PRAXIS_TOKEN": "wrong"}, cwd=tmp_path)
    assert denied.returncode == 1 and "token" in denied.stderr

    down = dsl("--url", "http://127.0.0.1:9", "CALL calculator 1", env=env, cwd=tmp_path)
    assert down.returncode == 1 and "cannot reach" in down.stderr

    for result in (failed, bad, stray, denied, down):
        assert "Traceback" not in result.stderr
