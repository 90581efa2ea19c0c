"""``eioku worker``: a pool of worker processes serving the analysis queues.

Each process runs one procrastinate worker (one job at a time: analysis is
CPU-bound, so parallelism comes from processes, not threads). Processes are
started with ``spawn`` so CUDA can be initialised safely in each. SIGTERM or
Ctrl-C stops them gracefully: a job in progress finishes, or, past the
process's grace (``grace_s``), the process exits and leaves the job to
stalled-job recovery, which runs it again (a run is only ever completed whole).

A worker never outlives the process that started it: the kernel sends it
SIGTERM when its parent dies (Linux's PR_SET_PDEATHSIG), and it watches its
parent's pid as well (other systems, or a parent that died before the worker
could ask).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing as mp
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence

from eioku.store.compilations import COMPILATION_QUEUE
from eioku.store.jobs import queue_for
from eioku.store.playback import PLAYBACK_QUEUE

log = logging.getLogger(__name__)
SHUTDOWN_TIMEOUT_S = 600.0  # `eioku worker`: a job in progress has this long to finish
PARENT_POLL_S = 1.0
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
# Threads that wait sleep instead of spinning: worker processes, their frame-pass lanes and
# the models' own thread pools together ask for more threads than there are cores, and a
# spinning wait takes a core from one that has work (the benchmark video: 6.5 s less CPU of
# ~128, most of it system time). numpy's BLAS in one thread: its work here is small (a
# clustering, a norm), and its pool's spinning cost more than it saved. A value already set
# in the environment wins.
THREAD_ENV = {"OMP_WAIT_POLICY": "PASSIVE", "OPENBLAS_NUM_THREADS": "1"}


def queues_for(analyzers: Sequence[str] | None, queues: Sequence[str] | None) -> list[str] | None:
    """The queues to listen on; None means all. A worker serving only some
    analyzers still makes playback files and compilations (the ``playback`` and
    ``compilations`` queues), unless queues are named explicitly (then exactly those)."""
    names = list(queues or [])
    names += [queue_for(a) for a in analyzers or []]
    if analyzers and not queues:
        names += [PLAYBACK_QUEUE, COMPILATION_QUEUE]
    return names or None


def pin_process(cores: set[int]) -> None:
    """Pin every thread of this process to ``cores``. An affinity belongs to a
    thread, and threads already running (OpenBLAS's pool, started when numpy
    was imported) keep theirs; new threads inherit the mask of their creator."""
    tasks = os.listdir("/proc/self/task") if os.path.isdir("/proc/self/task") else ["0"]
    for tid in tasks:
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            os.sched_setaffinity(int(tid), cores)


def die_with_parent(parent_pid: int) -> None:
    """Ask the kernel for SIGTERM when the parent dies (Linux); exit now if it
    has died already (this process was then adopted by another)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent_pid:
        log.warning("the process that started this worker has gone; exiting")
        os._exit(0)


def worker_process(url: str, queues: list[str] | None, wait: bool, device: str, index: int = 0,
                   parent_pid: int | None = None, grace_s: float = SHUTDOWN_TIMEOUT_S) -> None:
    """Entry point of one pool process."""
    if parent_pid is not None:
        die_with_parent(parent_pid)
    from eioku.config import get_settings

    os.environ.setdefault("EIOKU_DEVICE", device)
    settings = get_settings()
    if settings.worker_nice and hasattr(os, "nice"):
        os.nice(settings.worker_nice)  # before any model thread starts: they inherit it
    if settings.pin_cpus and hasattr(os, "sched_setaffinity"):
        cores = sorted(os.sched_getaffinity(0))
        pin_process({cores[index % len(cores)]})  # one core per worker, round robin

    from eioku_ml.worker.queue import make_app, retry_stalled_jobs, stalled_after_s

    logging.basicConfig(level=os.environ.get("EIOKU_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    app = make_app(url, warm=settings.warm_models)

    async def main() -> None:
        """Run the procrastinate worker; when it stops without being asked (its
        database connection was lost: a restart, the network), reconnect with
        backoff and go on. SIGTERM/SIGINT stop it gracefully."""
        stopping = asyncio.Event()
        running: list[asyncio.Task[None]] = []
        loop = asyncio.get_running_loop()

        def on_signal() -> None:
            if stopping.is_set():
                return
            stopping.set()
            for task in running:
                task.cancel()  # procrastinate finishes the current job, then stops
            # a job still running after the grace is abandoned: a sync job cannot be
            # interrupted, so the process ends; stalled-job recovery runs the job again
            loop.call_later(grace_s, _abandon, grace_s)

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_signal)
        # held for as long as main runs (asyncio keeps only weak references to tasks)
        watcher = None if parent_pid is None else asyncio.create_task(
            _watch_parent(parent_pid, on_signal))
        delay = 1.0
        while not stopping.is_set():
            try:
                async with app.open_async():
                    await retry_stalled_jobs(app)  # recover what a killed worker left behind
                    task = asyncio.create_task(app.run_worker_async(
                        queues=list(queues) if queues else None, concurrency=1, wait=wait,
                        install_signal_handlers=False, shutdown_graceful_timeout=grace_s,
                        update_heartbeat_interval=min(5.0, stalled_after_s() / 3),
                        stalled_worker_timeout=stalled_after_s(),
                        delete_jobs="never",  # job history stays beside its run
                    ))
                    running[:] = [task]
                    if stopping.is_set():  # asked to stop while connecting
                        task.cancel()
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
        del watcher

    asyncio.run(main())
    _end(app)


def _end(app: object) -> None:
    """The worker is done: end the process without the interpreter's teardown. A
    model still loading ahead in its thread (warm.py) is given a few seconds; torn
    down under native code it would abort ("terminate called without an active
    exception"), and the load is only a head start for a job no longer coming."""
    warmer = getattr(app, "eioku_warmer", None)
    if warmer is not None:
        warmer.stop(wait_s=5.0)
    with contextlib.suppress(Exception):  # what multiprocessing does at exit: its named semaphores
        from multiprocessing import util  # unlinked (else the parent's tracker reports them leaked)

        util._exit_function()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


def _abandon(grace_s: float) -> None:
    log.warning("the job in progress did not finish within %.0f s of the stop; leaving it to "
                "stalled-job recovery", grace_s)
    logging.shutdown()
    os._exit(0)


async def _watch_parent(parent_pid: int, stop: Callable[[], None]) -> None:
    """The portable fallback of PR_SET_PDEATHSIG: once the parent has gone,
    this process is adopted and its parent pid changes."""
    while os.getppid() == parent_pid:
        await asyncio.sleep(PARENT_POLL_S)
    log.warning("the process that started this worker has gone; stopping")
    stop()


def start_pool(url: str, *, concurrency: int, queues: list[str] | None = None,
               wait: bool = True, device: str = "cpu",
               grace_s: float = SHUTDOWN_TIMEOUT_S) -> list[mp.process.BaseProcess]:
    """Start ``concurrency`` worker processes (spawned: safe for CUDA). Each
    stops when this process dies, and ends its job within ``grace_s`` of a stop."""
    for key, value in THREAD_ENV.items():  # read by the runtimes when the workers load them
        os.environ.setdefault(key, value)
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=worker_process, args=(url, queues, wait, device, i, os.getpid(),
                                                      grace_s),
                         name=f"eioku-worker-{i}") for i in range(concurrency)]
    for p in procs:
        p.start()
    return procs


def stop_pool(procs: Sequence[mp.process.BaseProcess], timeout_s: float = SHUTDOWN_TIMEOUT_S) -> None:
    """Ask each process to stop (SIGTERM: it finishes its job within its grace),
    wait up to ``timeout_s`` in all, then kill (SIGKILL) any still running."""
    for p in procs:
        if p.is_alive() and p.pid:
            os.kill(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
    for p in procs:
        if p.is_alive():
            log.warning("worker %s did not stop within %.0f s; killing it", p.pid, timeout_s)
            p.kill()
            p.join(5)


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
