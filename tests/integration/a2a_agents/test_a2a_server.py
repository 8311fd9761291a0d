"""A real agent process, driven by the official a2a-sdk client (protocol 1.0 and 0.3)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
from a2a.client import ClientConfig, ClientFactory
from a2a.compat.v0_3 import types as v03
from a2a.types.a2a_pb2 import (
    CancelTaskRequest,
    GetTaskRequest,
    ListTasksRequest,
    SubscribeToTaskRequest,
    TaskState,
)
from a2a.utils.constants import TransportProtocol

from tests.integration.a2a_agents.a2a_helpers import (
    card_of,
    data_message,
    replayed_events,
    rpc,
    sdk_client,
    send,
    text_message,
    tools_section,
)
from tests.support.agents import AgentProcess
from tests.support.p2p_agents import ENV
from tests.support.waiting import wait_until

Spawn = Callable[..., AgentProcess]
DONE = TaskState.TASK_STATE_COMPLETED


def spawn(spawn_agent: Spawn, name: str = "a2a-a", **sections: dict) -> AgentProcess:
    return spawn_agent(name, env=ENV, agent=tools_section(), **sections)


async def test_card_lists_tools_and_skills_with_real_urls_and_cache_headers(
        spawn_agent: Spawn) -> None:
    agent = spawn(spawn_agent, http={"host": "0.0.0.0"})
    card = await card_of(agent)  # parsed by the SDK's own resolver into its AgentCard
    skills = {s.id: s for s in card.skills}
    assert {"echo", "describe", "b_slow", "praxis-dsl", "plain-language"} <= set(skills)
    assert "delegate" not in skills  # not exposed
    assert "unavailable" in skills["plain-language"].tags  # no LLM configured
    assert card.capabilities.streaming and not card.capabilities.push_notifications
    urls = {i.url for i in card.supported_interfaces}
    assert urls and not any("0.0.0.0" in u for u in urls)
    assert f"{agent.url.replace('0.0.0.0', '127.0.0.1')}/a2a/v1" in urls
    assert not card.security_schemes
    reply = httpx.get(f"{agent.url}/.well-known/agent-card.json")
    assert "max-age" in reply.headers["cache-control"] and reply.headers["etag"]
    again = httpx.get(f"{agent.url}/.well-known/agent-card.json",
                      headers={"if-none-match": reply.headers["etag"]})
    assert again.status_code == 304
    legacy = httpx.get(f"{agent.url}/.well-known/agent.json").json()
    old = v03.AgentCard.model_validate(legacy)  # what 0.3 clients read
    assert old.name == "a2a-a" and "0.0.0.0" not in old.url
    assert {s.id for s in old.skills} == set(skills)


async def test_send_blocking_and_not_get_list_with_both_protocol_versions(
        spawn_agent: Spawn) -> None:
    agent = spawn(spawn_agent)
    for version in ("1.0", "0.3"):
        async with sdk_client(agent, version=version, streaming=False) as client:
            [reply] = await send(client, text_message("CALL echo hello"))
            task = reply.task
            assert task.status.state == DONE, task
            [artifact] = task.artifacts
            assert artifact.parts[0].text == "hello"
            assert artifact.parts[1].data.struct_value["ok"] is True
            [early] = await send(client, text_message("CALL b_slow 0.5"), immediately=True)
            assert early.task.status.state in (TaskState.TASK_STATE_SUBMITTED,
                                               TaskState.TASK_STATE_WORKING)
            done = await _until_final(client, early.task.id)
            assert done.status.state == DONE and done.artifacts[0].parts[0].text == "woke up"
        tasks = httpx.get(f"{agent.url}/tasks", params={"kind": "a2a"}).json()["items"]
        assert {t["id"] for t in tasks} >= {task.id, early.task.id}
    async with sdk_client(agent) as client:
        page = await client.list_tasks(ListTasksRequest(page_size=2))
        assert len(page.tasks) == 2 and page.total_size >= 4 and page.next_page_token


async def test_the_http_json_binding_answers_the_sdk_rest_client(spawn_agent: Spawn) -> None:
    agent = spawn(spawn_agent)
    card = await card_of(agent)
    config = ClientConfig(supported_protocol_bindings=[TransportProtocol.HTTP_JSON.value],
                          streaming=False)
    async with ClientFactory(config).create(card) as client:
        [reply] = await send(client, text_message("CALL echo over-rest"))
        assert reply.task.status.state == DONE
        again = await client.get_task(GetTaskRequest(id=reply.task.id))
        assert again.artifacts[0].parts[0].text == "over-rest"


async def test_stream_event_sequence_and_resubscribe(spawn_agent: Spawn) -> None:
    agent = spawn(spawn_agent)
    async with sdk_client(agent) as client:
        kinds = []
        async for event in client.send_message(_request("CALL echo one AS a\nCALL echo two")):
            kinds.append(_kind(event))
        assert kinds[0] == "task:submitted" and kinds[-1] == "status:completed"
        assert kinds.count("artifact") == 2
        assert "status:working" in kinds
        assert kinds.index("status:working") < kinds.index("artifact")
    task_id = _task_id(event)
    events = replayed_events(agent, "taskStatusUpdate,taskArtifactUpdate", lambda seen: any(
        e["payload"].get("taskId") == task_id and e["payload"].get("state") == "completed"
        for e in seen))
    mine = [e for e in events if e["payload"].get("taskId") == task_id]
    assert [e["payload"].get("state") for e in mine if e["type"] == "taskStatusUpdate"] == [
        "submitted", "working", "completed"]
    assert len([e for e in mine if e["type"] == "taskArtifactUpdate"]) == 2

    async with sdk_client(agent, streaming=False) as starter:
        [started] = await send(starter, text_message("CALL b_slow 1.5"), immediately=True)
    async with sdk_client(agent) as client:
        seen = [_kind(e) async for e in client.subscribe(SubscribeToTaskRequest(
            id=started.task.id))]
        assert seen[0].startswith("task:") and seen[-1] == "status:completed"
        assert "artifact" in seen


async def test_cancel_mid_run_stops_the_steps(spawn_agent: Spawn) -> None:
    agent = spawn(spawn_agent)
    async with sdk_client(agent, version="0.3", streaming=False) as old, \
            sdk_client(agent, streaming=False) as client:
        [started] = await send(client, text_message("CALL b_slow 30"), immediately=True)
        task_id = started.task.id
        await _until(client, task_id, lambda t: any(  # the step is running
            "s1 (b_slow) running" in p.text for p in t.status.message.parts))
        canceled = await old.cancel_task(CancelTaskRequest(id=task_id))
        assert canceled.status.state == TaskState.TASK_STATE_CANCELED
        stored = await client.get_task(GetTaskRequest(id=task_id))
        assert stored.status.state == TaskState.TASK_STATE_CANCELED
        row = httpx.get(f"{agent.url}/tasks/{task_id}").json()
        assert row.get("state") == "canceled", row
        run = httpx.get(f"{agent.url}/workflows/{row['meta']['run_id']}").json()
        assert run["status"] == "cancelled"


async def test_data_part_is_a_tool_call_and_missing_arguments_ask_for_input(
        spawn_agent: Spawn) -> None:
    agent = spawn(spawn_agent)
    async with sdk_client(agent, streaming=False) as client:
        [reply] = await send(client, data_message({"tool": "describe",
                                                   "arguments": {"text": "ab", "times": 2}}))
        assert reply.task.status.state == DONE
        data = reply.task.artifacts[0].parts[1].data.struct_value
        assert data["structured"]["text"] == "abab"

        [asked] = await send(client, data_message({"tool": "describe", "arguments": {}}))
        assert asked.task.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
        assert "text" in asked.task.status.message.parts[0].text
        [answered] = await send(client, data_message(
            {"arguments": {"text": "z"}}, task_id=asked.task.id,
            context_id=asked.task.context_id))
        assert answered.task.status.state == DONE
        assert answered.task.id == asked.task.id


async def test_plain_text_without_llm_fails_at_once_saying_how_to_configure_one(
        spawn_agent: Spawn) -> None:
    agent = spawn(spawn_agent)
    async with sdk_client(agent, streaming=False) as client:
        [reply] = await send(client, text_message("please count the words in my report"))
    assert reply.task.status.state == TaskState.TASK_STATE_FAILED
    text = reply.task.status.message.parts[0].text
    assert "llm" in text.lower() and "base_url" in text


async def test_one_task_table_for_a2a_and_execute(spawn_agent: Spawn) -> None:
    agent = spawn(spawn_agent)
    executed = httpx.post(f"{agent.url}/execute", json={"dsl": "CALL echo via-execute"},
                          timeout=30).json()
    async with sdk_client(agent) as client:
        task = await client.get_task(GetTaskRequest(id=executed["id"]))
        assert task.status.state == DONE
        assert task.artifacts[0].parts[0].text == "via-execute"
        listed = await client.list_tasks(ListTasksRequest())
        assert executed["id"] in {t.id for t in listed.tasks}
    async with sdk_client(agent, streaming=False) as client:
        [first] = await send(client, text_message("CALL echo one"))
        conversation = first.task.context_id
        [second] = await send(client, text_message("CALL echo two", context_id=conversation))
        assert second.task.context_id == conversation and second.task.id != first.task.id
        grouped = await client.list_tasks(ListTasksRequest(context_id=conversation))
        assert {t.id for t in grouped.tasks} == {first.task.id, second.task.id}


async def test_json_rpc_errors_have_the_spec_codes_never_500(spawn_agent: Spawn) -> None:
    agent = spawn(spawn_agent)
    cases = [
        (rpc(agent, "GetTask", {"id": "no-such-task"}), -32001),
        (rpc(agent, "tasks/get", {"id": "no-such-task"}, version=None), -32001),
        (rpc(agent, "CreateTaskPushNotificationConfig",
             {"taskId": "x", "url": "http://127.0.0.1:9/hook"}), -32003),
        (rpc(agent, "SendMessage", {"message": 5}), -32602),
        (rpc(agent, "GetTask", raw=b'{"jsonrpc": "2.0", "id": 1, "method": '), -32700),
        (rpc(agent, "NoSuchMethod"), -32601),
        (rpc(agent, "GetTask", {"id": "x"}, path="/"), -32001),
    ]
    for reply, code in cases:
        assert reply.status_code == 200, reply.text
        assert reply.json()["error"]["code"] == code, reply.text
    async with sdk_client(agent, streaming=False) as client:
        [done] = await send(client, text_message("CALL echo x"))
    finished = rpc(agent, "SubscribeToTask", {"id": done.task.id})
    assert finished.status_code == 200 and finished.json()["error"]["code"] == -32004
    assert httpx.post(f"{agent.url}/", json={}, follow_redirects=False).status_code == 200
    metrics = httpx.get(f"{agent.url}/metrics").text
    assert 'praxis_a2a_requests_total{method="GetTask",outcome="error"}' in metrics
    assert 'praxis_tasks_total{kind="a2a",state="completed"}' in metrics


async def test_execute_answers_a_json_rpc_body_as_a2a_v1_does(spawn_agent: Spawn) -> None:
    agent = spawn(spawn_agent)
    sent = rpc(agent, "SendMessage", {"message": {
        "messageId": "m-1", "role": "ROLE_USER", "parts": [{"text": "CALL echo via-rpc"}]}},
        path="/execute")
    assert sent.status_code == 200, sent.text
    task = sent.json()["result"]["task"]
    assert task["status"]["state"] == "TASK_STATE_COMPLETED"
    assert task["artifacts"][0]["parts"][0]["text"] == "via-rpc"
    found = rpc(agent, "GetTask", {"id": task["id"]}).json()["result"]
    assert found["id"] == task["id"] and found["status"]["state"] == "TASK_STATE_COMPLETED"
    old = rpc(agent, "message/send", {"message": {
        "messageId": "m-2", "role": "user", "kind": "message",
        "parts": [{"kind": "text", "text": "CALL echo old-names"}]}}, version=None,
        path="/execute").json()["result"]
    assert old["status"]["state"] == "completed"
    for method, params, version in (("GetTask", {"id": "no-such-task"}, "1.0"),
                                    ("tasks/get", {"id": "no-such-task"}, None),
                                    ("SendMessage", {"message": 5}, "1.0"),
                                    ("NoSuchMethod", {}, "1.0")):
        here, there = (rpc(agent, method, params, version=version, path=path)
                       for path in ("/execute", "/a2a/v1"))
        assert here.status_code == there.status_code == 200, here.text
        assert here.json()["error"]["code"] == there.json()["error"]["code"], here.text
    plain = httpx.post(f"{agent.url}/execute", json={"dsl": "CALL echo plain"}, timeout=30)
    assert plain.json()["state"] == "completed"
    metrics = httpx.get(f"{agent.url}/metrics").text
    assert 'praxis_a2a_requests_total{method="SendMessage",outcome="ok"}' in metrics


async def test_with_a_token_the_card_is_open_and_every_method_needs_it(
        spawn_agent: Spawn) -> None:
    agent = spawn(spawn_agent, http={"auth_token": "s3cret"})
    card = httpx.get(f"{agent.url}/.well-known/agent-card.json")
    assert card.status_code == 200
    assert card.json()["securitySchemes"]["bearer"]["httpAuthSecurityScheme"]["scheme"] == \
        "Bearer"
    for path in ("/", "/a2a/v1", "/a2a/rest/tasks", "/execute"):
        for method in ("SendMessage", "GetTask", "ListTasks", "CancelTask", "message/send"):
            reply = httpx.post(f"{agent.url}{path}", json={"jsonrpc": "2.0", "id": 1,
                                                          "method": method, "params": {}})
            assert reply.status_code == 401, (path, method, reply.text)
    async with sdk_client(agent, streaming=False) as client:  # sends the token
        [reply] = await send(client, text_message("CALL echo ok"))
        assert reply.task.status.state == DONE


def _request(text: str):  # noqa: ANN202
    from a2a.types.a2a_pb2 import SendMessageRequest

    return SendMessageRequest(message=text_message(text))


def _task_id(event) -> str:  # noqa: ANN001
    return event.status_update.task_id if event.HasField("status_update") else event.task.id


def _kind(event) -> str:  # noqa: ANN001
    if event.HasField("task"):
        return "task:" + TaskState.Name(event.task.status.state)[11:].lower()
    if event.HasField("status_update"):
        return "status:" + TaskState.Name(event.status_update.status.state)[11:].lower()
    if event.HasField("artifact_update"):
        return "artifact"
    return "message"


async def _until(client, task_id: str, check, timeout: float = 30):  # noqa: ANN001, ANN202
    async with asyncio.timeout(timeout):
        while True:
            task = await client.get_task(GetTaskRequest(id=task_id))
            if check(task):
                return task
            await asyncio.sleep(0.05)


async def _until_final(client, task_id: str):  # noqa: ANN001, ANN202
    final = {TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_FAILED,
             TaskState.TASK_STATE_CANCELED}
    return await _until(client, task_id, lambda t: t.status.state in final)


__all__ = ["wait_until"]
