"""A pool worker stops once the process that started it has gone (the
parent-pid poll, the fallback where PR_SET_PDEATHSIG is not available)."""

from __future__ import annotations

import asyncio
import os

from eioku_ml.worker import daemon


def test_the_watch_stops_the_worker_when_its_parent_is_another_process(monkeypatch):
    monkeypatch.setattr(daemon, "PARENT_POLL_S", 0.01)
    stops: list[str] = []

    async def main() -> None:
        await asyncio.wait_for(daemon._watch_parent(os.getppid() + 1, lambda: stops.append("stop")),
                               timeout=5)

    asyncio.run(main())
    assert stops == ["stop"]


def test_the_watch_leaves_a_worker_whose_parent_lives(monkeypatch):
    monkeypatch.setattr(daemon, "PARENT_POLL_S", 0.01)
    stops: list[str] = []

    async def main() -> None:
        watch = asyncio.create_task(daemon._watch_parent(os.getppid(), lambda: stops.append("stop")))
        await asyncio.sleep(0.2)  # twenty polls
        assert not watch.done()
        watch.cancel()

    asyncio.run(main())
    assert stops == []
