"""Work done ahead for a run that waits (``AnalyzerSpec.prepares``).

A run waits for the runs it uses (speakers for the transcript's words), while
most of its work needs none of them (speakers: the speech regions and a voice
embedding per window). A *prepare* job, queued with the run, computes that
part — the analyzer's whole-file partial, as a chunk of it would (``analyze_chunk``)
— on a worker that would otherwise sit idle, and keeps it in
``<data dir>/cache/prepared/<run id>.json``; the run's own job then only
merges it with what it used. The result is the same as without (the same
code computes the same partial); a run whose job finds no file (another
machine, a prepare that failed or was not done yet) computes it itself. A
job that starts while the prepare is under way waits for it (a lock file):
it is the same work, already begun.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from eioku.config import get_settings

log = logging.getLogger(__name__)
WAIT_S = 900.0  # the longest a run's job waits for the prepare under way


def folder() -> Path:
    return get_settings().data_dir / "cache" / "prepared"


def _paths(run_id: uuid.UUID) -> tuple[Path, Path]:
    base = folder() / str(run_id)
    return base.with_suffix(".json"), base.with_suffix(".lock")


@contextlib.contextmanager
def preparing(run_id: uuid.UUID) -> Iterator[bool]:
    """Held while a prepare job computes: yields False when another holds it."""
    _, lock = _paths(run_id)
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


LOWEST = 19  # nice of a speculative prepare: it takes only CPU nothing else wants


@contextlib.contextmanager
def idle_priority() -> Iterator[None]:
    """Every thread of this process (the models' thread pools too: a nice value
    belongs to a thread) at the lowest CPU priority while inside, then back.
    For work that may be thrown away (the transcript's windows decoded before
    the words on screen are known): it uses the cores the frame pass leaves
    idle and never slows it. Only where the priority can be raised back."""
    tasks = os.listdir("/proc/self/task") if os.path.isdir("/proc/self/task") and can_restore() else []
    before = {}
    for tid in map(int, tasks):
        with contextlib.suppress(OSError):
            before[tid] = os.getpriority(os.PRIO_PROCESS, tid)
            os.setpriority(os.PRIO_PROCESS, tid, LOWEST)
    base = max(before.values(), default=os.getpriority(os.PRIO_PROCESS, 0))
    try:
        yield
    finally:
        for tid in map(int, os.listdir("/proc/self/task") if tasks else []):
            with contextlib.suppress(OSError):  # (raising it back is allowed: never above the start)
                os.setpriority(os.PRIO_PROCESS, tid, before.get(tid, base))


def can_restore() -> bool:
    """May this process raise its priority back afterwards (root, or RLIMIT_NICE
    allows its present nice)? If not, it is left as it is: a worker stuck at the
    lowest priority would slow every job after."""
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NICE)
    return os.geteuid() == 0 or soft == resource.RLIM_INFINITY or \
        20 - soft <= os.getpriority(os.PRIO_PROCESS, 0)


def save(run_id: uuid.UUID, partial: dict[str, Any], cpu_s: float) -> None:
    """Written whole or not at all (a temporary file renamed)."""
    data, _ = _paths(run_id)
    tmp = data.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"partial": partial, "cpu_s": cpu_s}))
    tmp.replace(data)


class Ahead:
    """Given to an analyzer's ``prepare`` that keeps what it has done as it goes
    (the transcript, window by window): :meth:`keep` stores it so far, and
    :attr:`stopped` says to go no further: the run's job has begun and took it
    (:attr:`taken`), or the run is ready to start (``due``: what it waited for
    has ended), so this worker had better be free for it."""

    def __init__(self, run_id: uuid.UUID, due: Callable[[], bool] | None = None) -> None:
        self.run_id, self.due = run_id, due
        self.started = time.process_time()
        self._due_seen = False

    @property
    def taken(self) -> bool:
        return _paths(self.run_id)[0].with_suffix(".stop").exists()

    @property
    def stopped(self) -> bool:
        if not self._due_seen and self.due is not None:
            self._due_seen = self.due()
        return self._due_seen or self.taken

    def keep(self, partial: dict[str, Any]) -> None:
        if not self.taken:  # taken already: what comes now would be left over
            save(self.run_id, partial, time.process_time() - self.started)


def take(run_id: uuid.UUID, wait_s: float = WAIT_S,
         partial_ok: bool = False) -> tuple[dict[str, Any], float] | None:
    """The prepared partial and the CPU seconds it took, removed from the
    cache; None when there is none. Waits (up to ``wait_s``) for a prepare
    under way on this machine — or, with ``partial_ok`` (a prepare that keeps
    its work as it goes), takes what it has kept so far and tells it to stop."""
    data, lock = _paths(run_id)
    if partial_ok and lock.exists() and _held(lock):
        data.with_suffix(".stop").touch()
        wait_s = 0.0
    if lock.exists() and wait_s > 0:
        deadline = time.monotonic() + wait_s
        with open(lock, "a+") as handle:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.flock(handle, fcntl.LOCK_UN)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        log.warning("run %s: the prepare under way took over %.0f s; analysing "
                                    "without it", run_id, wait_s)
                        return None
                    time.sleep(0.2)
    try:
        stored = json.loads(data.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:  # damaged: the run computes it itself
        log.warning("run %s: prepared work unreadable (%s); analysing without it", run_id, exc)
        stored = None
    discard(run_id)
    if not isinstance(stored, dict) or not isinstance(stored.get("partial"), dict):
        return None
    return stored["partial"], float(stored.get("cpu_s") or 0.0)


def _held(lock: Path) -> bool:
    with open(lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def discard(run_id: uuid.UUID, held: bool = False) -> None:
    """Removes the data; the lock and stop files stay while a prepare holds the
    lock (``held``: the caller is that prepare, ending)."""
    data, lock = _paths(run_id)
    with contextlib.suppress(FileNotFoundError):
        data.unlink()
    if held or not (lock.exists() and _held(lock)):
        for path in (lock, data.with_suffix(".stop")):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
