"""``eioku worker``: a pool of worker processes serving the analysis queues.

Each process runs one procrastinate worker (one job at a time: analysis is
CPU-bound, so parallelism comes from processes, not threads). Processes are
started with ``spawn`` so CUDA can be initialised safely in each. SIGTERM or
Ctrl-C stops them gracefully: a job in progress finishes (or, past the
timeout, is left for stalled-job recovery).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing as mp
import os
import signal
from collections.abc import Sequence

from eioku.store.jobs import queue_for

log = logging.getLogger(__name__)
SHUTDOWN_TIMEOUT_S = 600.0


def queues_for(analyzers: Sequence[str] | None, queues: Sequence[str] | None) -> list[str] | None:
    """The queues to listen on; None means all."""
    names = list(queues or [])
    names += [queue_for(a) for a in analyzers or []]
    return names or None


def pin_process(cores: set[int]) -> None:
    """Pin every thread of this process to ``cores``. An affinity belongs to a
    thread, and threads already running (OpenBLAS's pool, started when numpy
    was imported) keep theirs; new threads inherit the mask of their creator."""
    tasks = os.listdir("/proc/self/task") if os.path.isdir("/proc/self/task") else ["0"]
    for tid in tasks:
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            os.sched_setaffinity(int(tid), cores)


def worker_process(url: str, queues: list[str] | None, wait: bool, device: str, index: int = 0) -> None:
    """Entry point of one pool process."""
    from eioku.config import get_settings

    os.environ.setdefault("EIOKU_DEVICE", device)
    if get_settings().pin_cpus and hasattr(os, "sched_setaffinity"):
        cores = sorted(os.sched_getaffinity(0))
        pin_process({cores[index % len(cores)]})  # one core per worker, round robin

    from eioku_ml.worker.queue import make_app, retry_stalled_jobs, stalled_after_s

    logging.basicConfig(level=os.environ.get("EIOKU_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    app = make_app(url)

    async def main() -> None:
        """Run the procrastinate worker; when it stops without being asked (its
        database connection was lost: a restart, the network), reconnect with
        backoff and go on. SIGTERM/SIGINT stop it gracefully."""
        stopping = asyncio.Event()
        running: list[asyncio.Task[None]] = []

        def on_signal() -> None:
            stopping.set()
            for task in running:
                task.cancel()  # procrastinate finishes the current job, then stops

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_signal)
        delay = 1.0
        while not stopping.is_set():
            try:
                async with app.open_async():
                    await retry_stalled_jobs(app)  # recover what a killed worker left behind
                    task = asyncio.create_task(app.run_worker_async(
                        queues=list(queues) if queues else None, concurrency=1, wait=wait,
                        install_signal_handlers=False, shutdown_graceful_timeout=SHUTDOWN_TIMEOUT_S,
                        update_heartbeat_interval=min(5.0, stalled_after_s() / 3),
                        stalled_worker_timeout=stalled_after_s(),
                        delete_jobs="never",  # job history stays beside its run
                    ))
                    running[:] = [task]
                    await task
                if not wait or stopping.is_set():
                    return
                log.warning("the worker stopped by itself (database connection lost?); restarting")
            except asyncio.CancelledError:
                return
            except Exception as exc:  # noqa: BLE001 - the database is away: wait, then retry
                log.warning("database unavailable (%s); retrying in %.0f s", exc, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=delay)
            delay = min(30.0, delay * 2)

    asyncio.run(main())


def start_pool(url: str, *, concurrency: int, queues: list[str] | None = None,
               wait: bool = True, device: str = "cpu") -> list[mp.process.BaseProcess]:
    """Start ``concurrency`` worker processes (spawned: safe for CUDA)."""
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=worker_process, args=(url, queues, wait, device, i),
                         name=f"eioku-worker-{i}") for i in range(concurrency)]
    for p in procs:
        p.start()
    return procs


def stop_pool(procs: Sequence[mp.process.BaseProcess], timeout_s: float = SHUTDOWN_TIMEOUT_S) -> None:
    """Ask each process to finish its job and stop (SIGTERM), then wait for it."""
    for p in procs:
        if p.is_alive() and p.pid:
            os.kill(p.pid, signal.SIGTERM)
    for p in procs:
        p.join(timeout_s)


def run_pool(url: str, *, concurrency: int, queues: list[str] | None = None,
             wait: bool = True, device: str = "cpu", forward_signals: bool = True) -> int:
    """Start ``concurrency`` worker processes and supervise them until they exit."""
    procs = start_pool(url, concurrency=concurrency, queues=queues, wait=wait, device=device)

    def forward(signum: int, _frame: object) -> None:
        for p in procs:
            if p.is_alive() and p.pid:
                os.kill(p.pid, signal.SIGTERM)

    signals = (signal.SIGTERM, signal.SIGINT) if forward_signals else ()
    previous = {s: signal.signal(s, forward) for s in signals}
    try:
        for p in procs:
            p.join()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return max((p.exitcode or 0) for p in procs)
