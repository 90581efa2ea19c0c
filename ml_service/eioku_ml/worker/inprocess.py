"""`eioku analyze`: run the pool right here until the given videos are done,
with a progress bar per run."""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from eioku_ml.worker.daemon import SHUTDOWN_TIMEOUT_S, start_pool, stop_pool

_POLL_S = 0.3
_STALL_S = 60.0  # no run running and none changed for this long: give up waiting


def _runs(factory: sessionmaker[Session], video_ids: list[uuid.UUID]) -> list[tuple]:
    with factory() as session:
        return list(session.execute(text(
            "SELECT r.run_id, v.filename, r.analyzer, r.status, r.progress, r.job_id "
            "FROM runs r JOIN videos v ON v.video_id = r.asset_id "
            "WHERE r.asset_id = ANY(:ids) ORDER BY v.filename, r.created_at"), {"ids": video_ids}))


def run_until_done(url: str, factory: sessionmaker[Session], video_ids: list[uuid.UUID], *,
                   quiet: bool = False, workers: int | None = None) -> None:
    """Run a pool of worker processes until every run of ``video_ids`` has ended.

    The workers wait for jobs (they are stopped here once nothing is left): a
    worker that found the queue empty for a moment (its run waits for another
    to finish) stays to take the jobs deferred later, so the runs that become
    ready together (speakers, names, vectors after the transcript) run side by
    side and each process keeps the models it has loaded."""
    with Progress(TextColumn("{task.description:<40}"), BarColumn(), TextColumn("{task.fields[status]}"),
                  TimeElapsedColumn(), disable=quiet, transient=False) as bars:
        tasks: dict[uuid.UUID, int] = {}
        procs: list[Any] = []
        last, still_since = None, time.monotonic()
        try:
            while True:
                runs = _runs(factory, video_ids)
                _render(bars, tasks, runs)
                open_runs = [r for r in runs if r.status in ("queued", "running")]
                if not open_runs:
                    break
                state = [(r.run_id, r.status, r.progress, r.job_id) for r in open_runs]
                if state != last:
                    last, still_since = state, time.monotonic()
                elif (not any(r.status == "running" for r in open_runs)
                      and time.monotonic() - still_since > _STALL_S):
                    break  # nothing moves (e.g. jobs held by a worker elsewhere that is gone)
                if not any(p.is_alive() for p in procs):
                    waiting = [r for r in open_runs if r.job_id is not None]
                    if waiting:  # the first start, or every worker ended (killed): start again
                        size = workers or max(1, min(os.cpu_count() or 1, len(open_runs)))
                        procs = start_pool(url, concurrency=size, wait=True)
                time.sleep(_POLL_S)
        finally:
            if procs:
                stop_pool(procs, timeout_s=SHUTDOWN_TIMEOUT_S)


def _render(bars: Progress, tasks: dict[uuid.UUID, int], runs: list[tuple]) -> None:
    for r in runs:
        if r.run_id not in tasks:
            tasks[r.run_id] = bars.add_task(f"{r.filename[:24]} · {r.analyzer}", total=1.0,
                                            status=r.status)
        done = 1.0 if r.status in ("completed", "failed", "canceled") else r.progress
        bars.update(tasks[r.run_id], completed=done, status=r.status)
