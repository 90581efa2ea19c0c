"""Workers run nicer than the API (EIOKU_WORKER_NICE): the soak run measured a
read p99 of 5.4 s with two analysing workers and the API on two cores, at equal
priority. Under contention the kernel now serves the API first."""

from __future__ import annotations

import os
import time

import pytest
from eioku.config import get_settings


@pytest.mark.parametrize("nice", [10, 0])
def test_pool_workers_run_at_the_configured_niceness(db_url, monkeypatch, nice):
    from eioku_ml.worker.daemon import start_pool, stop_pool

    monkeypatch.setenv("EIOKU_WORKER_NICE", str(nice))
    get_settings.cache_clear()
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    (proc,) = start_pool(db_url.replace("postgresql+psycopg://", "postgresql://"), concurrency=1)
    try:
        expected = min(19, mine + nice)
        deadline = time.monotonic() + 60
        seen = mine
        while time.monotonic() < deadline:
            seen = os.getpriority(os.PRIO_PROCESS, proc.pid)
            if seen == expected and (nice or time.monotonic() > deadline - 55):
                break
            time.sleep(0.1)
        assert seen == expected
    finally:
        stop_pool([proc], timeout_s=20)
        get_settings.cache_clear()
