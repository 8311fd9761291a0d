"""`/ws/workflow`: EXECUTE_WORKFLOW and DSL_COMMAND event sequences, CHAT_MESSAGE, PING."""

from __future__ import annotations

from typing import Any

from tests.integration.workflows.wf_helpers import WS, node_events, sections
from tests.integration.workflows.wf_helpers import ws_connect as connect


async def test_execute_workflow_event_sequence(spawn_agent: Any) -> None:
    agent = spawn_agent("wsgraph", **sections())
    workflow = {"id": "ui-1", "nodes": [
        {"id": "start", "type": "start"},
        {"id": "a", "type": "tool", "data": {"toolName": "calculator",
                                              "params": {"expression": "20+1"}}},
        {"id": "b", "type": "tool", "data": {"toolName": "calculator",
                                              "params": {"expression": "$a.result * 2"}}},
    ], "edges": [{"source": "start", "target": "a"}, {"source": "a", "target": "b"}]}
    async with connect(agent) as conn:
        ws = WS(conn)
        await ws.send("PING")
        await ws.until(lambda f: f["type"] == "PONG")
        await ws.send("EXECUTE_WORKFLOW", {"workflow": workflow})
        await ws.until(lambda f: f["type"] in ("workflowComplete", "workflowError")
                       and f["payload"]["workflowId"] == "ui-1")
        frames = ws.of("ui-1")
        assert [f["type"] for f in frames if f["type"] != "nodeStatusUpdate"] == [
            "workflowStart", "workflowComplete"]
        start = frames[0]["payload"]
        assert [n["id"] for n in start["nodes"]] == ["start", "a", "b"]
        assert {"source": "a", "target": "b"} in start["edges"]
        assert node_events(frames) == [
            ("start", "completed"), ("a", "running"), ("a", "completed"),
            ("b", "running"), ("b", "completed")]
        assert frames[-1]["payload"]["result"]["outputs"]["b"]["result"] == 42

        bad = {"id": "ui-2", "nodes": [{"id": "x", "tool": "no_such_tool"}],
               "edges": [{"source": "x", "target": "ghost"}]}
        await ws.send("EXECUTE_WORKFLOW", {"workflow": bad})
        error = await ws.until(lambda f: f["type"] == "workflowError")
        assert error["payload"]["workflowId"] == "ui-2"
        problems = error["payload"]["error"]["details"]["problems"]
        messages = " | ".join(p["message"] for p in problems)
        assert "ghost" in messages and "no_such_tool" in messages
        assert not ws.of("ui-2", "workflowStart")


async def test_dsl_command_errors_and_chat(spawn_agent: Any) -> None:
    agent = spawn_agent("wschat", **sections())
    async with connect(agent) as conn:
        ws = WS(conn)
        await ws.send("DSL_COMMAND", {"command": "CALL\nCALL calculator 1\nBOGUS"})
        result = (await ws.until(lambda f: f["type"] == "dslResult"))["payload"]
        assert result["success"] is False and result["error"]["stage"] == "parse"
        assert [p["line"] for p in result["error"]["details"]["problems"]] == [1, 3]
        assert not [f for f in ws.frames if f["type"] == "workflowStart"]

        await ws.send("CHAT_MESSAGE", {"content": "please count the words in my file"})
        chat = (await ws.until(lambda f: f["type"] == "chatMessage"))["payload"]
        assert chat["sender"] == "agent" and "llm" in chat["content"]

        await ws.send("CHAT_MESSAGE", {"content": 'CALL calculator "2**10"'})
        chat = (await ws.until(lambda f: f["type"] == "chatMessage"))["payload"]
        assert chat["success"] is True and "1024" in chat["content"]
        assert "workflow completed" in chat["content"]

        await ws.send("NOT_A_THING")
        error = (await ws.until(lambda f: f["type"] == "error"))["payload"]
        assert "DSL_COMMAND" in error["message"]
