"""`POST /workflows/validate`: check a DSL script as the runner would, without running it.

The console calls it as the user types; every problem comes back with its line (and
column for syntax errors) so the editor can underline it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from praxis_sdk.api.services import Services, get_services
from praxis_sdk.errors import InvalidInput, Unavailable

router = APIRouter(tags=["workflows"])


class ValidateRequest(BaseModel):
    dsl: str = Field(description="A DSL script (INTERFACES 6)")


class Problem(BaseModel):
    line: int | None = Field(None, description="1-based line, when the problem has one")
    column: int | None = Field(None, description="1-based column, for syntax errors")
    message: str


class Validation(BaseModel):
    ok: bool
    problems: list[Problem]
    nodes: list[dict[str, Any]] = Field(default_factory=list,
                                        description="The plan's steps, when it compiles")
    edges: list[dict[str, str]] = Field(default_factory=list)


@router.post("/workflows/validate", response_model=Validation)
async def validate(body: ValidateRequest, services: Services = Depends(get_services)
                   ) -> Validation:
    """Compile and check `dsl` against the catalog; `ok` false lists every problem."""
    if services.runner is None:
        raise Unavailable("workflows are not available on this node")
    try:
        plan = services.runner.compile(body.dsl)
    except InvalidInput as exc:
        found = exc.details.get("problems") or [{"message": exc.message}]
        return Validation(ok=False, problems=[_problem(p) for p in found])
    return Validation(ok=True, problems=[], **plan.to_graph())


def _problem(raw: dict[str, Any]) -> Problem:
    return Problem(line=raw.get("line") or None, column=raw.get("column") or None,
                   message=str(raw.get("message", "invalid")))
