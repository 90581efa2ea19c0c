"""`eioku analyze`: run the pool right here until the given videos are done,
with a progress bar per run."""

from __future__ import annotations

import os
import threading
import time
import uuid

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from eioku_ml.worker.daemon import run_pool

_POLL_S = 0.3


def _runs(factory: sessionmaker[Session], video_ids: list[uuid.UUID]) -> list[tuple]:
    with factory() as session:
        return list(session.execute(text(
            "SELECT r.run_id, v.filename, r.analyzer, r.status, r.progress, r.job_id "
            "FROM runs r JOIN videos v ON v.video_id = r.asset_id "
            "WHERE r.asset_id = ANY(:ids) ORDER BY v.filename, r.created_at"), {"ids": video_ids}))


def run_until_done(url: str, factory: sessionmaker[Session], video_ids: list[uuid.UUID], *,
                   quiet: bool = False, workers: int | None = None) -> None:
    with Progress(TextColumn("{task.description:<40}"), BarColumn(), TextColumn("{task.fields[status]}"),
                  TimeElapsedColumn(), disable=quiet, transient=False) as bars:
        tasks: dict[uuid.UUID, int] = {}
        idle_rounds = 0
        while True:
            runs = _runs(factory, video_ids)
            waiting = [r for r in runs if r.status in ("queued", "running") and r.job_id is not None]
            if not waiting:
                break
            size = workers or max(1, min(os.cpu_count() or 1, len(waiting)))
            pool = threading.Thread(target=run_pool, args=(url,),
                                    kwargs={"concurrency": size, "wait": False,
                                            "forward_signals": False}, daemon=True)
            pool.start()
            while pool.is_alive():
                _render(bars, tasks, _runs(factory, video_ids))
                time.sleep(_POLL_S)
            _render(bars, tasks, _runs(factory, video_ids))
            after = [r for r in _runs(factory, video_ids) if r.status in ("queued", "running")]
            idle_rounds = idle_rounds + 1 if len(after) >= len(waiting) else 0
            if idle_rounds >= 2:  # nothing moves (e.g. jobs held by another live worker)
                break


def _render(bars: Progress, tasks: dict[uuid.UUID, int], runs: list[tuple]) -> None:
    for r in runs:
        if r.run_id not in tasks:
            tasks[r.run_id] = bars.add_task(f"{r.filename[:24]} · {r.analyzer}", total=1.0,
                                            status=r.status)
        done = 1.0 if r.status in ("completed", "failed", "canceled") else r.progress
        bars.update(tasks[r.run_id], completed=done, status=r.status)
