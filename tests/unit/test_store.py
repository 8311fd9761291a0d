"""SQLite store on disk: created on first start, WAL, versioned, nothing accepted is lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from praxis_sdk.errors import NotFound, Unavailable
from praxis_sdk.store import SCHEMA_VERSION, Store


def url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def test_created_with_wal_and_version(tmp_path: Path) -> None:
    db = tmp_path / "new" / "praxis.db"
    store = Store(url(db))
    await store.start()
    await store.create_task("dsl", {"dsl": "CALL x"})
    await store.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [
            (SCHEMA_VERSION,)]


async def test_tasks_round_trip_and_pages(tmp_path: Path) -> None:
    store = Store(url(tmp_path / "p.db"))
    await store.start()
    ids = [(await store.create_task("tool", {"n": i})).id for i in range(5)]
    await store.update_task(ids[0], state="completed", result={"ok": True})
    page, total = await store.list_tasks(limit=2)
    assert total == 5 and [t.id for t in page] == ids[::-1][:2]
    done, total = await store.list_tasks(state="completed")
    assert total == 1 and done[0].result == {"ok": True}
    with pytest.raises(NotFound):
        await store.get_task("nope")
    await store.close()


async def test_unfinished_work_is_marked_failed_after_restart(tmp_path: Path) -> None:
    path = url(tmp_path / "r.db")
    store = Store(path)
    await store.start()
    running = await store.create_task("dsl", {"dsl": "CALL slow"}, state="working")
    await store.save_run("run-1", {"id": "run-1", "status": "running"}, task_id=running.id)
    await store.close()
    again = Store(path)
    await again.start()
    assert await again.fail_unfinished("stopped") == 2
    task = await again.get_task(running.id)
    assert task.state == "failed" and task.error["message"] == "stopped"
    assert (await again.get_run("run-1"))["status"] == "failed"
    assert task.input == {"dsl": "CALL slow"}
    await again.close()


async def test_unwritable_folder_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(Unavailable, match="not writable"):
        await Store(url(tmp_path / "file" / "db" / "praxis.db")).start()


async def test_recover_names_the_tasks_and_prune_drops_only_old_finished_ones(
        tmp_path: Path) -> None:
    store = Store(url(tmp_path / "k.db"))
    await store.start()
    working = await store.create_task("a2a", {}, state="working")
    waiting = await store.create_task("a2a", {}, state="input-required")
    done = await store.create_task("dsl", {}, state="completed")
    ids, runs = await store.recover("agent restarted")
    assert ids == [working.id] and runs == 0
    failed = await store.get_task(working.id)
    assert failed.state == "failed" and failed.error["message"] == "agent restarted"
    assert (await store.get_task(waiting.id)).state == "input-required"
    assert await store.prune(done.updated_at - 1) == 0
    assert await store.prune(failed.updated_at + 1) == 2  # the failed and the completed one
    assert await store.find_task(done.id) is None
    assert await store.find_task(waiting.id) is not None
    await store.close()


async def test_grouped_writes_commit_together_and_keep_created_at(tmp_path: Path) -> None:
    import asyncio

    store = Store(url(tmp_path / "g.db"))
    await store.start()
    tasks = [await store.create_task("tool", {"n": i}) for i in range(3)]
    changed = [t.model_copy(update={"state": "completed", "created_at": 0.0}) for t in tasks]
    await asyncio.gather(*(store.put_task(t) for t in changed))
    for before in tasks:
        after = await store.get_task(before.id)
        assert after.state == "completed" and after.created_at == before.created_at
    await store.put_task(changed[0].model_copy(update={"state": "failed"}), wait=False)
    await store.close()  # queued writes are committed before the store closes
    again = Store(url(tmp_path / "g.db"))
    await again.start()
    assert (await again.get_task(tasks[0].id)).state == "failed"
    await again.close()


async def test_upserts_in_one_batch_keep_their_order(tmp_path: Path) -> None:
    import asyncio

    store = Store(url(tmp_path / "o.db"))
    await store.start()
    task = await store.create_task("a2a", {"n": 1})
    states = ["working", "completed", "failed", "canceled"]
    writes = [store.put_task(task.model_copy(update={"state": s})) for s in states]
    writes.insert(2, store.save_run("r1", {"status": "running"}, task_id=task.id))
    writes.append(store.save_run("r1", {"status": "completed"}))
    await asyncio.gather(*writes)
    assert (await store.get_task(task.id)).state == "canceled"
    assert (await store.get_run("r1"))["status"] == "completed"
    await store.close()
    with sqlite3.connect(tmp_path / "o.db") as conn:
        assert conn.execute("SELECT task_id FROM workflow_runs").fetchall() == [(task.id,)]


async def test_a_failed_write_nobody_awaits_is_logged_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = Store(url(tmp_path / "f.db"))
    await store.start()
    task = await store.create_task("tool", {"n": 1})
    broken = [task.model_copy(update={"id": f"x{i}", "input": {1, 2}}) for i in range(3)]
    await store.put_tasks(broken, wait=False)  # a set is no JSON: the transaction fails
    with pytest.raises(Unavailable, match="store write failed"):
        await store.put_task(task)  # committed in the same failed transaction
    await store.put_task(task.model_copy(update={"state": "completed"}))
    assert (await store.get_task(task.id)).state == "completed"
    await store.close()
    failures = [r for r in caplog.records if "queued store write failed" in r.getMessage()]
    assert len(failures) == 1, failures
