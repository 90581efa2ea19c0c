"""Admission to the API's SQLAlchemy sessions: at most as many requests hold
one as the engine's pool keeps connections.

A session route runs in anyio's thread pool (40 threads) and takes a pooled
connection; the teardown that gives the connection back needs a thread again.
With more clients than connections, every thread came to wait for a
connection while the connections waited for a thread to give them back,
until the pool's timeout broke the knot (issue 25: at 64 clients /v1/videos
fell from 630 to 5.5 requests a second, and /healthz took 22 s). Requests
past the gate wait on the event loop instead, holding neither a thread nor a
connection, in the order they came; one that waits longer than ``WAIT_S``
is answered 503 with Retry-After (api/errors.py), as a pool timeout is.

The gate admits the pool's ``pool_size`` (its overflow is left to what runs
outside the gate: background registrations, thumbnails, the events polls).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import HTTPException, Request
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

WAIT_S = 10.0
DEFAULT_SLOTS = 5  # an engine whose pool has no size (NullPool, StaticPool)


class SessionGate:
    def __init__(self, slots: int, wait_s: float = WAIT_S) -> None:
        if slots < 1:
            raise ValueError(f"a gate needs at least one slot, got {slots}")
        self.slots = slots
        self.wait_s = wait_s
        self._semaphore = anyio.Semaphore(slots)
        self.loop = asyncio.get_running_loop()

    @classmethod
    def for_sessions(cls, factory: sessionmaker[Session]) -> SessionGate:
        size = getattr(factory.kw["bind"].pool, "size", None)
        return cls(size() if callable(size) else DEFAULT_SLOTS)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        with anyio.move_on_after(self.wait_s) as waiting:
            await self._semaphore.acquire()
        if waiting.cancelled_caught:
            raise PoolTimeoutError(f"no database session free within {self.wait_s:g} s")
        try:
            yield
        finally:
            self._semaphore.release()


@asynccontextmanager
async def admitted(request: Request) -> AsyncIterator[None]:
    """A slot of the app's gate for this request. A GET whose client left
    while it waited is dropped unserved (499, as nginx logs it): after a
    burst, the queue empties at once instead of serving those nobody reads."""
    async with gate_of(request.app.state).slot():
        # a GET's body is empty and already read: asking the server consumes nothing
        if request.method in ("GET", "HEAD") and await request.is_disconnected():
            raise HTTPException(499, "the client closed the connection while waiting")
        yield


def gate_of(state: object) -> SessionGate:
    """The gate of an app (``app.state``), made on first use in each event loop
    (a semaphore belongs to one loop; test clients start one each)."""
    loop = asyncio.get_running_loop()
    gate: SessionGate | None = getattr(state, "session_gate", None)
    if gate is None or gate.loop is not loop:
        gate = SessionGate.for_sessions(state.session_factory)  # type: ignore[attr-defined]
        state.session_gate = gate  # type: ignore[attr-defined]
    return gate
