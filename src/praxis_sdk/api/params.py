"""Query parameters every list route shares, bounded so no value reaches the store unchecked."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

MAX_PAGE = 500
MAX_OFFSET = 1_000_000_000  # far past any real list; well inside SQLite's 64-bit integers

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"At most {MAX_PAGE} items")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip")]
