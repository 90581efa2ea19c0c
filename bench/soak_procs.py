"""The processes of the soak (``bench/soak.py``): ``eioku serve`` started and
SIGKILLed together with everything it runs — its worker processes, the embedded
postmaster and every PostgreSQL backend — in one sweep.

Every process ``eioku serve`` starts carries ``EIOKU_SOAK_TAG`` in its
environment (the workers inherit it); PostgreSQL's processes are found from
``postmaster.pid`` and by the data folder on their command line (a backend
overwrites its environment with its process title, so the tag cannot be read
there). This process makes itself a child subreaper and reaps what is left to
it, as an init does: in a container whose PID 1 does not reap, a killed
postmaster stays a zombie that looks alive to ``kill(pid, 0)``, so the next
start would refuse "another postmaster is running"."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import httpx
import psutil

PR_SET_CHILD_SUBREAPER = 36


class Reaper:
    """Become a subreaper and reap orphans (never the children this script waits for itself)."""

    def __init__(self) -> None:
        self.managed: set[int] = set()
        self.reaped = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="soak-reaper", daemon=True)

    def start(self) -> Reaper:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _loop(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.1):
            with contextlib.suppress(psutil.Error):
                for child in me.children():
                    if child.pid in self.managed:
                        continue
                    with contextlib.suppress(psutil.Error, ChildProcessError):
                        if child.status() == psutil.STATUS_ZOMBIE:
                            os.waitpid(child.pid, os.WNOHANG)
                            self.reaped += 1


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def postmaster_pid(pgdata: Path) -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int((pgdata / "postmaster.pid").read_text().splitlines()[0])
    return None


def soak_processes(tag: str, pgdata: Path, roots: Iterable[int] = ()) -> list[psutil.Process]:
    """Every live process of the soak's service: the trees of ``roots`` (the
    serve process) and of the postmaster, processes carrying ``tag`` and
    PostgreSQL processes of ``pgdata``."""
    found: dict[int, psutil.Process] = {}
    pgdata_s = str(pgdata.resolve())
    starts = [*roots]
    if (pid := postmaster_pid(pgdata)) is not None:
        starts.append(pid)
    for pid in starts:
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(pid)
            for p in [root, *root.children(recursive=True)]:
                found[p.pid] = p
    me = os.getpid()
    for p in psutil.process_iter(["cmdline"]):
        if p.pid == me or p.pid in found:
            continue
        with contextlib.suppress(psutil.Error):
            if pgdata_s in " ".join(p.info["cmdline"] or ()) or p.environ().get("EIOKU_SOAK_TAG") == tag:
                found[p.pid] = p
    return [p for p in found.values() if _alive(p)]


def sweep(tag: str, pgdata: Path, roots: Iterable[int] = (), timeout_s: float = 10.0) -> tuple[int, int]:
    """SIGKILL every process of the service in one pass; then again any that
    appeared meanwhile (a backend forked during the pass), until none is left.
    The count killed and the processes still alive after ``timeout_s``."""
    roots = list(roots)
    killed = 0
    deadline = time.monotonic() + timeout_s
    while True:
        procs = soak_processes(tag, pgdata, roots)
        if not procs:
            return killed, 0
        if time.monotonic() > deadline:
            return killed, len(procs)
        for p in procs:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(p.pid, signal.SIGKILL)
                killed += 1
        psutil.wait_procs(procs, timeout=2)


class Serve:
    """``eioku serve`` as a child of this process, its output appended to a log."""

    def __init__(self, eioku: Path, env: dict[str, str], port: int, workers: int, log: Path,
                 reaper: Reaper) -> None:
        self.eioku, self.env, self.port, self.workers = eioku, env, port, workers
        self.log, self.reaper = log, reaper
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = f"http://127.0.0.1:{port}"

    def start(self) -> float:
        """Start it; the monotonic time of the start command."""
        with self.log.open("ab") as log:
            started = time.monotonic()
            self.proc = subprocess.Popen(
                [str(self.eioku), "serve", "--workers", str(self.workers), "--port", str(self.port)],
                env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.reaper.managed.add(self.proc.pid)
        return started

    def forget(self) -> None:
        """After a sweep: collect the exit status of the killed process."""
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(5)
            self.reaper.managed.discard(self.proc.pid)
            self.proc = None

    def roots(self) -> list[int]:
        return [self.proc.pid] if self.proc is not None and self.proc.poll() is None else []

    def wait_ready(self, read_path: str, timeout_s: float = 120.0) -> tuple[float, float]:
        """Poll /healthz and ``read_path`` every 50 ms: the monotonic times of the
        first 200 of each. Raises if the service is not back within ``timeout_s``."""
        health = read = None
        deadline = time.monotonic() + timeout_s
        with httpx.Client(base_url=self.base, timeout=5) as client:
            while health is None or read is None:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"eioku serve not ready after {timeout_s:.0f} s "
                                       f"(healthz {health is not None}, read {read is not None})")
                for which in ("health", "read"):
                    if (health if which == "health" else read) is not None:
                        continue
                    with contextlib.suppress(httpx.HTTPError):
                        r = client.get("/healthz" if which == "health" else read_path)
                        if r.status_code == 200:
                            now = time.monotonic()
                            health, read = (now, read) if which == "health" else (health, now)
                if health is None or read is None:
                    time.sleep(0.05)
        return health, read

    def terminate(self, timeout_s: float = 60.0) -> int | None:
        """SIGTERM, as a service manager stops it; its exit code (None: still running)."""
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            return None
