"""Models loaded ahead, while a worker has no job.

Runs of a video wait for one another (the transcript for the on-screen
words, speakers for the transcript, ...), so a worker often sits idle while
another process runs the long frame pass, and the runs deferred after it
then start by loading their models, on the critical path of the analysis.
A :class:`Warmer` thread in each worker process looks, whenever the process
has no job, at the runs waiting in the queue and loads the analyzers (with
their configs) this process has not loaded yet, into the same
:class:`~eioku_ml.worker.execute.AnalyzerCache` the jobs use: a job that then
comes here finds its model loaded (or waits for the load under way, never
loading twice). It loads nothing while a job runs, and a model that fails to
load is left for the job, which fails with the reason as it always did.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from eioku_ml.worker.execute import AnalyzerCache
from eioku_ml.worker.prepared import LOWEST, can_restore

log = logging.getLogger(__name__)

_WAITING = text(
    "SELECT DISTINCT ON (analyzer, config_hash) analyzer, config_hash, config FROM runs "
    "WHERE status = 'queued' ORDER BY analyzer, config_hash, created_at LIMIT 32")


class Warmer:
    def __init__(self, factory: sessionmaker[Session], cache: AnalyzerCache,
                 interval_s: float = 1.0) -> None:
        self.factory, self.cache, self.interval_s = factory, cache, interval_s
        self._busy = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._tried: set[tuple[str, str]] = set()
        self._thread = threading.Thread(target=self._run, name="eioku-warm", daemon=True)

    def start(self) -> Warmer:
        self._thread.start()
        return self

    def stop(self, wait_s: float = 0.0) -> None:
        """No more loading ahead; ``wait_s``: give a load under way that long to end."""
        self._stop.set()
        if wait_s and self._thread.is_alive():
            self._thread.join(wait_s)

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._busy > 0

    @contextlib.contextmanager
    def job(self) -> Iterator[None]:
        """Around every job: no loading ahead while it runs."""
        with self._lock:
            self._busy += 1
        try:
            yield
        finally:
            with self._lock:
                self._busy -= 1

    def _run(self) -> None:
        self._tid = threading.get_native_id()
        while not self._stop.wait(self.interval_s):
            try:
                self.warm_once(low=self.busy)
            except Exception as exc:  # noqa: BLE001 - the database away: the jobs say so
                log.debug("loading ahead skipped: %s", exc)

    def warm_once(self, low: bool = False) -> list[str]:
        """Load what the waiting runs need and this process lacks; the analyzers
        loaded. ``low``: while a job runs, at the lowest CPU priority (only the
        CPU the job and the other workers leave idle; where the priority can be
        raised back), stopping when the job ends."""
        if low and not can_restore():
            return []
        with self.factory() as session:
            waiting = list(session.execute(_WAITING))
        loaded = []
        for analyzer, config_hash, config in waiting:
            key = (analyzer, config_hash)
            if key in self._tried or self.busy != low or self._stop.is_set():
                continue
            self._tried.add(key)
            try:
                with self._priority(low):
                    self.cache.get_for(analyzer, config_hash, config).ensure_loaded()
            except Exception as exc:  # noqa: BLE001 - its job loads it again and fails with the reason
                log.info("loading %s ahead failed (its job will say why): %s", analyzer, exc)
                continue
            loaded.append(analyzer)
            log.debug("loaded %s ahead", analyzer)
        return loaded

    @contextlib.contextmanager
    def _priority(self, low: bool) -> Iterator[None]:
        """This thread (and the threads a load starts: a model's thread pool) at
        the lowest priority while inside, then at the process's own again."""
        if not low:
            yield
            return
        me, base = threading.get_native_id(), os.getpriority(os.PRIO_PROCESS, 0)
        before = set(_threads())
        os.setpriority(os.PRIO_PROCESS, me, LOWEST)
        try:
            yield
        finally:
            for tid in {me, *(set(_threads()) - before)}:
                with contextlib.suppress(OSError):
                    os.setpriority(os.PRIO_PROCESS, tid, base)


def _threads() -> list[int]:
    return [int(t) for t in os.listdir("/proc/self/task")] if os.path.isdir("/proc/self/task") else []
