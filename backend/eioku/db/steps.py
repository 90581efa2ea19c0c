"""Queries written once, run on a SQLAlchemy session or on psycopg's async pool.

A read that needs more than one statement (a jump: the hit, and on a miss
whether the video exists at all) is written as a generator that *yields*
:class:`Statement` objects and is sent their rows back; it returns its
result. :func:`run` drives it on a SQLAlchemy session (the CLI, workers,
tests), :func:`run_async` on an async psycopg connection (the API's hot
routes: no thread hop, no ORM session, no rollback round trip). The logic —
SQL, parameters, what a miss means — exists once.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any, TypeVar

from psycopg import AsyncConnection
from psycopg.rows import namedtuple_row
from sqlalchemy import text
from sqlalchemy.orm import Session

T = TypeVar("T")


class Fetch(Enum):
    ONE_OR_NONE = "one_or_none"  # a row or None; more than one is a bug
    ALL = "all"  # a list of rows
    SCALAR = "scalar"  # the first column of the one row


@dataclass(frozen=True)
class Statement:
    sql: str  # with SQLAlchemy-style :name parameters
    params: Mapping[str, object]
    fetch: Fetch = Fetch.ALL


Steps = Generator[Statement, Any, T]

# SQLAlchemy's own rule for a bind parameter in text(): ":name", not "::type" or "\:"
_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")


@lru_cache(maxsize=512)
def to_psycopg(sql: str) -> str:
    """``:name`` parameters as psycopg's ``%(name)s`` (a literal ``%`` doubled)."""
    return _BIND.sub(r"%(\1)s", sql.replace("%", "%%"))


def run(session: Session, steps: Steps[T]) -> T:
    """Drive ``steps`` on a SQLAlchemy session."""
    rows: Any = None
    try:
        while True:
            statement = steps.send(rows)
            result = session.execute(text(statement.sql), dict(statement.params))
            rows = (result.one_or_none() if statement.fetch is Fetch.ONE_OR_NONE
                    else result.scalar_one() if statement.fetch is Fetch.SCALAR else result.all())
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


async def run_async(conn: AsyncConnection[Any], steps: Steps[T]) -> T:
    """Drive ``steps`` on an async psycopg connection (autocommit: each
    statement is its own snapshot, like a read-only transaction of one)."""
    rows: Any = None
    try:
        while True:
            statement = steps.send(rows)
            cur = conn.cursor(row_factory=namedtuple_row)
            await cur.execute(to_psycopg(statement.sql), dict(statement.params))
            if statement.fetch is Fetch.ALL:
                rows = await cur.fetchall()
            else:
                found = await cur.fetchall()
                if len(found) > 1:
                    raise RuntimeError(f"expected at most one row, got {len(found)}")
                rows = found[0] if found else None
                if statement.fetch is Fetch.SCALAR:
                    if rows is None:
                        raise RuntimeError("expected one row, got none")
                    rows = rows[0]
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
