"""SQLite persistence (SQLAlchemy async): tasks and workflow runs, additive schema."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import JSON, Float, Integer, String, event, func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from praxis_sdk.errors import NotFound, Unavailable

SCHEMA_VERSION = 1
FINAL_STATES = frozenset({"completed", "failed", "canceled", "rejected"})


class Base(DeclarativeBase):
    pass


class SchemaVersion(Base):
    __tablename__ = "schema_version"
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    applied_at: Mapped[float] = mapped_column(Float)


class TaskRow(Base):
    __tablename__ = "tasks"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    context_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    input: Mapped[Any] = mapped_column(JSON)
    result: Mapped[Any] = mapped_column(JSON, nullable=True)
    error: Mapped[Any] = mapped_column(JSON, nullable=True)
    meta: Mapped[Any] = mapped_column(JSON, nullable=True)
    created_at: Mapped[float] = mapped_column(Float, index=True)
    updated_at: Mapped[float] = mapped_column(Float)


class RunRow(Base):
    __tablename__ = "workflow_runs"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    task_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    data: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Float, index=True)
    updated_at: Mapped[float] = mapped_column(Float)


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


class Store:
    """One SQLite database per node (WAL mode), created on first start."""

    name = "store"

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: AsyncEngine | None = None
        self._session: async_sessionmaker | None = None

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
        self._engine = create_async_engine(self.url)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self._engine.sync_engine, "connect", _sqlite_pragmas)
        self._session = async_sessionmaker(self._engine, expire_on_commit=False)
        async with self._engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        async with self._session() as s, s.begin():
            if await s.get(SchemaVersion, SCHEMA_VERSION) is None:
                s.add(SchemaVersion(version=SCHEMA_VERSION, applied_at=time.time()))

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def stop(self) -> None:
        await self.close()

    def health(self) -> dict[str, Any]:
        return {"status": "healthy" if self._engine else "unhealthy", "url": _safe_url(self.url)}

    @property
    def session(self) -> async_sessionmaker:
        if self._session is None:
            raise Unavailable("store is not started")
        return self._session

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
        row = TaskRow(
            id=task_id or uuid.uuid4().hex, kind=kind, state=state, context_id=context_id,
            input=input, meta=meta or {}, created_at=now, updated_at=now,
        )
        async with self.session() as s, s.begin():
            s.add(row)
        return _task(row)

    async def update_task(self, task_id: str, **fields: Any) -> Task:
        """Change state, result, error or meta; `updated_at` moves on."""
        fields["updated_at"] = time.time()
        async with self.session() as s, s.begin():
            row = await s.get(TaskRow, task_id)
            if row is None:
                raise NotFound(f"no task {task_id!r}")
            for key, value in fields.items():
                setattr(row, key, value)
        return _task(row)

    async def get_task(self, task_id: str) -> Task:
        async with self.session() as s:
            row = await s.get(TaskRow, task_id)
        if row is None:
            raise NotFound(f"no task {task_id!r}")
        return _task(row)

    async def list_tasks(
        self, *, state: str | None = None, kind: str | None = None,
        limit: int = 50, offset: int = 0,
    ) -> tuple[list[Task], int]:
        """A page of tasks, newest first, and the total that match."""
        query = select(TaskRow)
        count = select(func.count()).select_from(TaskRow)
        if state:
            query, count = query.where(TaskRow.state == state), count.where(TaskRow.state == state)
        if kind:
            query, count = query.where(TaskRow.kind == kind), count.where(TaskRow.kind == kind)
        query = query.order_by(TaskRow.created_at.desc()).limit(limit).offset(offset)
        async with self.session() as s:
            rows = (await s.scalars(query)).all()
            total = (await s.execute(count)).scalar_one()
        return [_task(r) for r in rows], total

    async def fail_unfinished(self, reason: str) -> int:
        """At start-up: tasks and runs a previous process left running are marked failed."""
        now = time.time()
        error = {"code": "interrupted", "message": reason}
        async with self.session() as s, s.begin():
            tasks = await s.execute(
                update(TaskRow).where(TaskRow.state.not_in(FINAL_STATES))
                .values(state="failed", error=error, updated_at=now)
            )
            runs = (await s.scalars(
                select(RunRow).where(RunRow.status.in_(("pending", "running")))
            )).all()
            for run in runs:
                run.status = "failed"
                run.data = {**run.data, "status": "failed", "error": reason}
                run.updated_at = now
        return (tasks.rowcount or 0) + len(runs)

    # ---------------------------------------------------------------- runs

    async def save_run(self, run_id: str, data: dict[str, Any], *, task_id: str | None = None
                       ) -> None:
        """Insert or replace a workflow run's JSON state."""
        now = time.time()
        async with self.session() as s, s.begin():
            row = await s.get(RunRow, run_id)
            if row is None:
                s.add(RunRow(id=run_id, task_id=task_id, status=data.get("status", "pending"),
                             data=data, created_at=now, updated_at=now))
            else:
                row.status = data.get("status", row.status)
                row.data = data
                row.updated_at = now
                if task_id:
                    row.task_id = task_id

    async def get_run(self, run_id: str) -> dict[str, Any]:
        async with self.session() as s:
            row = await s.get(RunRow, run_id)
        if row is None:
            raise NotFound(f"no workflow run {run_id!r}")
        return row.data

    async def list_runs(self, *, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        query = select(RunRow).order_by(RunRow.created_at.desc()).limit(limit).offset(offset)
        async with self.session() as s:
            return [r.data for r in (await s.scalars(query)).all()]


def _task(row: TaskRow) -> Task:
    return Task(
        id=row.id, kind=row.kind, state=row.state, context_id=row.context_id, input=row.input,
        result=row.result, error=row.error, meta=row.meta or {},
        created_at=row.created_at, updated_at=row.updated_at,
    )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


__all__ = ["FINAL_STATES", "Store", "Task"]
