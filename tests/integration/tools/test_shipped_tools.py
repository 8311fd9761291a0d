"""Every shipped tool on the sandbox and on Docker, with real files in a temporary shared/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from praxis_sdk.tools.contract import load_contracts_dir
from praxis_sdk.tools.engines import Engine


def contract(workspace: Path, name: str):
    return next(c for c in load_contracts_dir(workspace / "tools") if c.name == name)


async def run(engine: Engine, workspace: Path, name: str, arguments: dict):
    result = await engine.run(contract(workspace, name), arguments, timeout=60)
    assert result.engine == engine.name
    return result


async def test_calculator(engine: Engine, workspace: Path) -> None:
    result = await run(engine, workspace, "calculator", {"expression": "2 * (3 + 4) ** 2"})
    assert result.ok, result.error
    assert result.structured == {"expression": "2 * (3 + 4) ** 2", "result": 98}
    bad = await run(engine, workspace, "calculator", {"expression": "9**9**9"})
    assert not bad.ok
    assert bad.error.details["exit_code"] == 1
    assert "exponent 387420489 is too large" in bad.error.message


async def test_word_counter(engine: Engine, workspace: Path) -> None:
    (workspace / "shared" / "poem.txt").write_text("one two three\nfour five\n")
    result = await run(engine, workspace, "word_counter", {"file_path": "poem.txt"})
    assert result.structured == {"file_path": "poem.txt", "lines": 2, "words": 5,
                                 "characters": 24, "bytes": 24}
    missing = await run(engine, workspace, "word_counter", {"file_path": "nope.txt"})
    assert not missing.ok and "file 'nope.txt' not found" in missing.error.message


async def test_text_analyzer(engine: Engine, workspace: Path) -> None:
    text = "Cats purr. Cats sleep a lot!\n\nDogs bark."
    result = await run(engine, workspace, "text_analyzer", {"text": text, "top": 1})
    data = result.structured
    assert (data["words"], data["sentences"], data["paragraphs"]) == (8, 3, 2)
    assert data["top_words"] == [{"word": "cats", "count": 2}]


async def test_json_formatter_writes_output(engine: Engine, workspace: Path) -> None:
    arguments = {"json_data": '{"b": 1, "a": [1, 2]}', "sort_keys": True, "indent": 1,
                 "output_path": "pretty.json"}
    result = await run(engine, workspace, "json_formatter", arguments)
    assert result.ok, result.error
    expected = json.dumps({"a": [1, 2], "b": 1}, indent=1, sort_keys=True)
    assert result.structured["formatted"] == expected
    assert (workspace / "shared" / "pretty.json").read_text() == expected + "\n"
    bad = await run(engine, workspace, "json_formatter", {"json_data": '{"a": }'})
    assert not bad.ok and "invalid JSON at line 1 column 7" in bad.error.message


async def test_file_merger(engine: Engine, workspace: Path) -> None:
    shared = workspace / "shared"
    (shared / "a.txt").write_text("alpha")
    (shared / "b.txt").write_text("beta")
    result = await run(engine, workspace, "file_merger",
                       {"files": ["a.txt", "b.txt"], "output_path": "ab.txt", "separator": "|"})
    assert result.ok, result.error
    assert result.structured["files_merged"] == 2
    assert (shared / "ab.txt").read_text() == "alpha|beta"


async def test_system_info(engine: Engine, workspace: Path) -> None:
    result = await run(engine, workspace, "system_info", {})
    assert result.ok, result.error
    assert result.structured["os"] == "Linux"
    assert result.structured["cwd"] == "/shared"
    assert result.structured["python"].startswith("3.")


@pytest.mark.parametrize("name", ["word_counter", "file_merger"])
async def test_missing_arguments_fail_clearly(engine: Engine, workspace: Path, name: str) -> None:
    result = await run(engine, workspace, name, {})
    assert not result.ok
    assert result.error.details["exit_code"] == 2
    assert name in result.error.details["stderr"]
