"""The API's hot reads (jump, find, timelines) on psycopg's async pool.

A jump is one indexed probe, a fraction of a millisecond in PostgreSQL;
through a SQLAlchemy session in FastAPI's thread pool it cost several times
that in hops (thread pool, session, the rollback round trip). These routes
run their statements (:mod:`eioku.db.steps`) straight on the event loop's
connections: autocommit (no transaction to end), prepared after a few uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, TypeVar

import psycopg
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine

from eioku.db.steps import Steps, run_async

T = TypeVar("T")
log = logging.getLogger(__name__)

POOL_MAX = 10
WAIT_S = 10.0  # for a free connection; then 503, like the rest of the API when the database is away


class Reads:
    """Runs read steps on a pool opened with the app (its lifespan). Without
    one (an app driven without its lifespan, as some test clients do) each
    call connects for itself: slower, same answers."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.pool: AsyncConnectionPool[AsyncConnection[Any]] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def of(cls, engine: Engine) -> Reads:
        """The same database as the app's SQLAlchemy engine."""
        return cls(engine.url.set(drivername="postgresql").render_as_string(hide_password=False))

    async def open(self) -> None:
        self.pool = AsyncConnectionPool(self.conninfo, min_size=2, max_size=POOL_MAX, timeout=WAIT_S,
                                        kwargs={"autocommit": True}, open=False, name="eioku-reads")
        await self.pool.open(wait=False)  # a database still starting is waited for per request
        self._loop = asyncio.get_running_loop()

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()
            self.pool = None

    async def run(self, steps: Steps[T], wait_s: float | None = None) -> T:
        """``wait_s``: how long to wait for a free connection (or for the
        database to accept one) before :class:`psycopg_pool.PoolTimeout`;
        the pool's ``WAIT_S`` by default."""
        if self.pool is None or self._loop is not asyncio.get_running_loop():
            async with await AsyncConnection.connect(self.conninfo, autocommit=True) as conn:
                return await run_async(conn, steps)
        try:
            async with self.pool.connection(timeout=wait_s) as conn:
                return await run_async(conn, steps)
        except (psycopg.OperationalError, psycopg.InterfaceError):
            # the server went away: its other idle connections are dead too; replace them
            # now rather than fail one request per connection (the caller gets a 503)
            log.warning("database connection lost; checking the read pool", exc_info=True)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.pool.check(), WAIT_S)
            raise
