"""The session gate (api/gate.py): at most its slots at once; a wait past its
limit is the pool's TimeoutError (a 503 with Retry-After, api/errors.py)."""

from __future__ import annotations

import anyio
import pytest
from eioku.api.gate import SessionGate
from sqlalchemy.exc import TimeoutError as PoolTimeoutError


def test_a_full_gate_refuses_after_its_wait_and_admits_once_a_slot_is_free():
    async def main() -> list[str]:
        gate = SessionGate(1, wait_s=0.2)
        events: list[str] = []
        held, release = anyio.Event(), anyio.Event()

        async def holder() -> None:
            async with gate.slot():
                held.set()
                await release.wait()
            events.append("released")

        async with anyio.create_task_group() as tg:
            tg.start_soon(holder)
            await held.wait()
            with pytest.raises(PoolTimeoutError, match="within 0.2 s"):
                async with gate.slot():
                    events.append("admitted while full")
            release.set()
        async with gate.slot():
            events.append("admitted")
        return events

    assert anyio.run(main) == ["released", "admitted"]


def test_a_gate_needs_a_slot():
    async def main() -> None:
        SessionGate(0)

    with pytest.raises(ValueError, match="at least one slot"):
        anyio.run(main)
