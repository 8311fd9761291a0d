"""SQLite persistence (SQLAlchemy): tasks and workflow runs, additive schema.

Every write goes through one writer thread (`_Writer`) that owns the database's write
connection: writes that arrive while a transaction is being committed are grouped into
the next one, so N concurrent state changes cost one commit, not N, and one hand-off
between the event loop and the thread (WAL, `synchronous=NORMAL`: a commit survives a
crash of the process and no commit waits for an fsync). Whole-row writes that follow
each other in a transaction go to SQLite as one statement per table. A caller's write
has been committed when its await returns. Reads run in a worker thread on a pool of
their own connections (SQLAlchemy Core only: no ORM, no asyncio extension).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Dialect, make_url

from praxis_sdk.errors import NotFound, PraxisError, Unavailable, describe
from praxis_sdk.futures import settle

SCHEMA_VERSION = 1
log = logging.getLogger(__name__)
FINAL_STATES = frozenset({"completed", "failed", "canceled", "rejected"})
UNFINISHED_STATES = frozenset({"submitted", "working"})
TASK_COLUMNS = ("id", "kind", "state", "context_id", "input", "result", "error", "meta",
                "created_at", "updated_at")
Op = Callable[[Connection], Any]  # runs in the writer thread, inside its transaction

metadata = MetaData()
VERSIONS = Table(
    "schema_version", metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", Float, nullable=False),
)
TASKS = Table(
    "tasks", metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(32), index=True, nullable=False),
    Column("state", String(32), index=True, nullable=False),
    Column("context_id", String(64), nullable=True),
    Column("input", JSON, nullable=False),
    Column("result", JSON, nullable=True),
    Column("error", JSON, nullable=True),
    Column("meta", JSON, nullable=True),
    Column("created_at", Float, index=True, nullable=False),
    Column("updated_at", Float, nullable=False),
)
RUNS = Table(
    "workflow_runs", metadata,
    Column("id", String(64), primary_key=True),
    Column("task_id", String(64), index=True, nullable=True),
    Column("status", String(32), index=True, nullable=False),
    Column("data", JSON, nullable=False),
    Column("created_at", Float, index=True, nullable=False),
    Column("updated_at", Float, nullable=False),
)


class Task(BaseModel):
    """A unit of requested work and its outcome, as `GET /tasks/{id}` shows it."""

    id: str
    kind: str
    state: str
    context_id: str | None = None
    input: Any = None
    result: Any = None
    error: Any = None
    meta: dict[str, Any] = Field(default_factory=dict)
    created_at: float
    updated_at: float


# A write and the future of whoever awaits it (None: queued by `submit_nowait`).
Waiter = asyncio.Future[Any] | None
Item = tuple[Op, Waiter]
Outcome = tuple[Waiter, Any, BaseException | None]


@dataclass
class _Upsert:
    """Insert or replace `rows` of `table` (merged with its neighbours by `_grouped`)."""

    table: Table
    keep: tuple[str, ...]
    rows: list[dict[str, Any]]

    def __call__(self, conn: Connection) -> None:
        """One `executemany` on the driver's connection (in the open transaction): the
        statement is compiled once per table, JSON columns encoded as SQLAlchemy would."""
        sql, names, encoded = _upsert_sql(conn.dialect, self.table, self.keep)
        params = [tuple(json.dumps(row[n]) if n in encoded else row[n] for n in names)
                  for row in self.rows]
        conn.connection.driver_connection.executemany(sql, params)


def _grouped(batch: list[Item]) -> Iterator[tuple[Op, list[Waiter]]]:
    """The batch's ops in order, each run of upserts merged into one per table (rows of
    different tables do not depend on each other; within a table the order is kept)."""
    upserts: dict[tuple[Any, ...], tuple[_Upsert, list[Waiter]]] = {}
    for op, future in batch:
        if not isinstance(op, _Upsert):
            yield from upserts.values()
            upserts.clear()
            yield op, [future]
            continue
        key = (op.table, op.keep)
        merged, futures = upserts.get(key) or (_Upsert(op.table, op.keep, []), [])
        merged.rows.extend(op.rows)
        futures.append(future)
        upserts[key] = (merged, futures)
    yield from upserts.values()




class _Writer:
    """A thread that runs write operations in batches: one transaction for all waiting.

    Writes made in one turn of the event loop reach the thread together (one wake-up);
    a write nobody awaits waits up to `lazy_s` for company, so a task's progress rides
    along with the next awaited write instead of waking the thread on its own. Order is
    kept: an awaited write commits everything queued before it.

    `lazy_s` is longer than one serial call through the API (a few ms): at 5 ms each
    direct tool call's record had a commit of its own, run by this thread while the next
    call was under way, and the threads of that call waited for the GIL
    (`bench/bench_p2p_agents.py`, bench/README.md).
    """

    def __init__(self, engine: Engine, max_batch: int = 256, lazy_s: float = 0.05) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self.lazy_s = lazy_s
        self._queue: queue.SimpleQueue[list[Item] | None] = queue.SimpleQueue()
        self._pending: list[Item] = []
        self._soon: asyncio.Handle | None = None  # a flush in this turn of the loop
        self._later: asyncio.TimerHandle | None = None  # a lazy flush
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._thread.start()

    def _put(self, op: Op, future: Waiter) -> None:
        loop = self._loop
        if loop is None or self._thread is None or not self._thread.is_alive():
            raise Unavailable("store is not started")
        self._pending.append((op, future))
        if future is not None and self._soon is None:
            self._soon = loop.call_soon(self._flush)
        elif self._soon is None and self._later is None:
            self._later = loop.call_later(self.lazy_s, self._flush)

    def _flush(self) -> None:
        """Hand what is pending to the thread."""
        for handle in (self._soon, self._later):
            if handle is not None:
                handle.cancel()
        self._soon = self._later = None
        if self._pending:
            batch, self._pending = self._pending, []
            self._queue.put(batch)

    async def submit(self, op: Op) -> Any:
        """Run `op` in the next transaction; returns its result once committed."""
        assert self._loop is not None
        future = self._loop.create_future()
        self._put(op, future)
        return await future

    def submit_nowait(self, op: Op) -> None:
        """Queue `op`; a failure is logged, nobody awaits it."""
        self._put(op, None)

    def _run(self) -> None:
        stop = False
        while not stop:
            item = self._queue.get()
            batch: list[Item] = []
            while item is not None:
                batch += item
                if len(batch) >= self.max_batch:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            stop = item is None
            if batch:
                results = self._commit(batch)
                if results:  # writes nobody awaits that went well need no wake-up
                    self._report(results)

    def _commit(self, batch: list[Item]) -> list[Outcome]:
        results: list[Outcome] = []
        try:
            with self.engine.begin() as conn:
                for op, futures in _grouped(batch):
                    try:
                        value = op(conn)
                    except PraxisError as exc:  # our own check failed: nothing was written
                        results += _outcomes(futures, None, exc)
                    else:
                        results += _outcomes(futures, value, None)
        except Exception as exc:  # the transaction failed: every write in it failed
            failed = Unavailable(f"store write failed: {describe(exc)}")
            return _outcomes([future for _, future in batch], None, failed)
        return results

    def _report(self, results: list[Outcome]) -> None:
        assert self._loop is not None
        try:
            self._loop.call_soon_threadsafe(_settle, results)
        except RuntimeError:  # the loop has closed: nobody is waiting any more
            log.warning("store writes committed after the event loop closed")

    async def close(self) -> None:
        """Commit what is queued, then stop the thread."""
        if self._thread is None:
            return
        self._flush()
        self._queue.put(None)
        await asyncio.to_thread(self._thread.join)
        self._thread = None


def _outcomes(futures: list[Waiter], value: Any, error: BaseException | None
              ) -> list[Outcome]:
    """What to tell the awaiting writers; a failure of writes nobody awaits, once."""
    out: list[Outcome] = [(future, value, error) for future in futures if future is not None]
    if error is not None and len(out) < len(futures):
        out.append((None, None, error))
    return out


def _settle(results: list[Outcome]) -> None:
    for future, value, error in results:
        if future is not None:
            settle(future, value, error)
        elif error is not None:
            log.warning("queued store write failed: %s", error)


class Store:
    """One SQLite database per node (WAL mode), created on first start."""

    name = "store"

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None  # the writer thread's one connection
        self._reader: Engine | None = None  # a pool of read connections
        self._writer: _Writer | None = None

    async def start(self) -> None:
        """Create the folder, the database and the tables; record the schema version."""
        parsed = make_url(self.url)
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            folder = Path(parsed.database).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
                probe = folder / ".write-test"
                probe.write_bytes(b"")
                probe.unlink()
            except OSError as exc:
                raise Unavailable(f"data dir {folder} is not writable: {exc.strerror}") from None
        blocking = parsed.set(drivername=parsed.get_backend_name())  # sqlite+aiosqlite: sqlite
        self._engine = create_engine(blocking, pool_size=1)
        self._reader = create_engine(blocking)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self._engine, "connect", _sqlite_pragmas)
            event.listen(self._reader, "connect", _sqlite_pragmas)
        await asyncio.to_thread(_create_schema, self._engine)
        self._writer = _Writer(self._engine)
        self._writer.start()

    async def close(self) -> None:
        if self._writer is not None:
            await self._writer.close()
            self._writer = None
        for engine in (self._engine, self._reader):
            if engine is not None:
                engine.dispose()
        self._engine = self._reader = None

    async def stop(self) -> None:
        await self.close()

    def health(self) -> dict[str, Any]:
        return {"status": "healthy" if self._engine else "unhealthy", "url": _safe_url(self.url)}

    async def read(self, query: Callable[[Connection], Any]) -> Any:
        """`query(connection)` run in a worker thread on a read connection; its result."""
        if self._reader is None:
            raise Unavailable("store is not started")
        return await asyncio.to_thread(_read, self._reader, query)

    async def write(self, op: Op) -> Any:
        """Run `op(connection)` in the next grouped transaction; its result once committed."""
        if self._writer is None:
            raise Unavailable("store is not started")
        return await self._writer.submit(op)

    def write_nowait(self, op: Op) -> None:
        """Queue `op` for the next transaction without waiting for it (order is kept)."""
        if self._writer is None:
            raise Unavailable("store is not started")
        self._writer.submit_nowait(op)

    # ---------------------------------------------------------------- tasks

    async def create_task(
        self,
        kind: str,
        input: Any,
        *,
        task_id: str | None = None,
        context_id: str | None = None,
        state: str = "submitted",
        meta: dict[str, Any] | None = None,
    ) -> Task:
        now = time.time()
        task = Task(id=task_id or uuid.uuid4().hex, kind=kind, state=state,
                    context_id=context_id, input=input, meta=meta or {}, created_at=now,
                    updated_at=now)
        row = task.model_dump()

        def op(conn: Connection) -> None:
            conn.execute(insert(TASKS), [row])

        await self.write(op)
        return task

    async def update_task(self, task_id: str, **fields: Any) -> Task:
        """Change state, result, error or meta; `updated_at` moves on."""
        fields["updated_at"] = time.time()
        query = (update(TASKS).where(TASKS.c.id == task_id).values(**fields)
                 .returning(*(TASKS.c[c] for c in TASK_COLUMNS)))

        def op(conn: Connection) -> Any:
            found = conn.execute(query).first()
            if found is None:
                raise NotFound(f"no task {task_id!r}")
            return found

        found = await self.write(op)
        return Task(**dict(zip(TASK_COLUMNS, found, strict=True)))

    async def put_task(self, task: Task, *, wait: bool = True) -> None:
        """Insert or replace one whole task row; `wait=False` queues it (see `save_run`)."""
        await self.put_tasks([task], wait=wait)

    async def put_tasks(self, tasks: Iterable[Task], *, wait: bool = True) -> None:
        """Insert or replace task rows, all in one transaction."""
        rows = [t.model_dump() for t in tasks]
        if not rows:
            return
        op = _Upsert(TASKS, ("created_at",), rows)
        if wait:
            await self.write(op)
        else:
            self.write_nowait(op)

    async def delete_task(self, task_id: str) -> None:
        def op(conn: Connection) -> None:
            conn.execute(delete(TASKS).where(TASKS.c.id == task_id))

        await self.write(op)

    async def get_task(self, task_id: str) -> Task:
        task = await self.find_task(task_id)
        if task is None:
            raise NotFound(f"no task {task_id!r}")
        return task

    async def find_task(self, task_id: str) -> Task | None:
        """The task, or None when there is none with this id."""
        query = select(TASKS).where(TASKS.c.id == task_id)
        row = await self.read(lambda conn: conn.execute(query).first())
        return None if row is None else _task(row)

    async def list_tasks(
        self, *, state: str | None = None, kind: str | None = None,
        context_id: str | None = None, updated_after: float | None = None,
        limit: int = 50, offset: int = 0,
    ) -> tuple[list[Task], int]:
        """A page of tasks, newest first, and the total that match."""
        query = select(TASKS)
        count = select(func.count()).select_from(TASKS)
        for column, value in ((TASKS.c.state, state), (TASKS.c.kind, kind),
                              (TASKS.c.context_id, context_id)):
            if value:
                query, count = query.where(column == value), count.where(column == value)
        if updated_after is not None:
            query = query.where(TASKS.c.updated_at > updated_after)
            count = count.where(TASKS.c.updated_at > updated_after)
        query = query.order_by(TASKS.c.created_at.desc()).limit(limit).offset(offset)

        def page(conn: Connection) -> tuple[list[Task], int]:
            return ([_task(r) for r in conn.execute(query)],
                    conn.execute(count).scalar_one())

        return await self.read(page)

    async def fail_unfinished(self, reason: str) -> int:
        """At start-up: tasks and runs a previous process left running are marked failed."""
        tasks, runs = await self.recover(reason)
        return len(tasks) + runs

    async def recover(self, reason: str) -> tuple[list[str], int]:
        """Mark what a previous process left submitted or working failed with `reason`.

        Returns the ids of those tasks and the number of workflow runs marked failed.
        """
        now = time.time()
        error = {"code": "interrupted", "message": reason, "details": {}}

        def op(conn: Connection) -> tuple[list[str], int]:
            failed = conn.execute(
                update(TASKS).where(TASKS.c.state.in_(UNFINISHED_STATES))
                .values(state="failed", error=error, updated_at=now).returning(TASKS.c.id)
            ).scalars().all()
            stuck = conn.execute(select(RUNS.c.id, RUNS.c.data)
                                 .where(RUNS.c.status.in_(("pending", "running")))).all()
            for run_id, data in stuck:
                conn.execute(update(RUNS).where(RUNS.c.id == run_id).values(
                    status="failed", data={**data, "status": "failed", "error": reason},
                    updated_at=now))
            return list(failed), len(stuck)

        return await self.write(op)

    async def prune(self, older_than: float) -> int:
        """Delete finished tasks (and their runs) last changed before `older_than` (unix s)."""
        def op(conn: Connection) -> int:
            old = select(TASKS.c.id).where(TASKS.c.state.in_(FINAL_STATES),
                                           TASKS.c.updated_at < older_than)
            conn.execute(delete(RUNS).where(RUNS.c.task_id.in_(old)))
            conn.execute(delete(RUNS).where(
                RUNS.c.task_id.is_(None), RUNS.c.updated_at < older_than,
                RUNS.c.status.in_(("completed", "failed", "cancelled"))))
            gone = conn.execute(delete(TASKS).where(
                TASKS.c.state.in_(FINAL_STATES), TASKS.c.updated_at < older_than))
            return gone.rowcount or 0

        return await self.write(op)

    # ---------------------------------------------------------------- runs

    async def save_run(self, run_id: str, data: dict[str, Any], *, task_id: str | None = None,
                       wait: bool = True) -> None:
        """Insert or replace a workflow run's JSON state.

        With `wait=False` the write is queued for the next commit and not awaited (progress
        that a crash may lose: start-up recovery marks such runs failed anyway).
        """
        now = time.time()
        row = {"id": run_id, "task_id": task_id, "status": data.get("status", "pending"),
               "data": data, "created_at": now, "updated_at": now}

        op = _Upsert(RUNS, ("created_at", "task_id"), [row])
        if wait:
            await self.write(op)
        else:
            self.write_nowait(op)

    async def get_run(self, run_id: str) -> dict[str, Any]:
        query = select(RUNS.c.data).where(RUNS.c.id == run_id)
        row = await self.read(lambda conn: conn.execute(query).first())
        if row is None:
            raise NotFound(f"no workflow run {run_id!r}")
        return row.data

    async def list_runs(self, *, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        query = (select(RUNS.c.data).order_by(RUNS.c.created_at.desc())
                 .limit(limit).offset(offset))
        return await self.read(lambda conn: list(conn.execute(query).scalars()))


def _create_schema(engine: Engine) -> None:
    with engine.begin() as conn:
        metadata.create_all(conn)
        if conn.execute(select(VERSIONS).where(
                VERSIONS.c.version == SCHEMA_VERSION)).first() is None:
            conn.execute(insert(VERSIONS), [{"version": SCHEMA_VERSION,
                                             "applied_at": time.time()}])


def _read(engine: Engine, query: Callable[[Connection], Any]) -> Any:
    with engine.connect() as conn:
        return query(conn)


def _task(row: Row[Any]) -> Task:
    return Task(
        id=row.id, kind=row.kind, state=row.state, context_id=row.context_id, input=row.input,
        result=row.result, error=row.error, meta=row.meta or {},
        created_at=row.created_at, updated_at=row.updated_at,
    )


@functools.cache
def _upsert_sql(dialect: Dialect, table: Table, keep: tuple[str, ...]
                ) -> tuple[str, tuple[str, ...], frozenset[str]]:
    """The upsert's SQL text, its parameters' names in order, and the JSON columns."""
    compiled = _upsert_statement(dialect.name, table, keep).compile(dialect=dialect)
    if compiled.positiontup is None:
        raise Unavailable(f"the store needs a driver with positional parameters, not "
                          f"{dialect.driver}")
    encoded = frozenset(c.name for c in table.columns if isinstance(c.type, JSON))
    return str(compiled), tuple(compiled.positiontup), encoded


@functools.cache
def _upsert_statement(dialect: str, table: Table, keep: tuple[str, ...]) -> Any:
    """INSERT ... ON CONFLICT(id) DO UPDATE of every column but `keep` (SQLite, PostgreSQL).

    A `keep` column that is NULL in the row is kept as stored; otherwise it is set.
    """
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    statement = dialect_insert(table)
    columns = table.columns
    values = {c.name: statement.excluded[c.name] for c in columns
              if c.name != "id" and c.name not in keep}
    for name in keep:
        if name != "created_at":
            values[name] = func.coalesce(statement.excluded[name], columns[name])
    return statement.on_conflict_do_update(index_elements=["id"], set_=values)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


__all__ = ["FINAL_STATES", "UNFINISHED_STATES", "Store", "Task"]
