"""`eioku serve` leaves nothing behind (issue 25, item 10): stopped with SIGTERM
while a worker runs a job, it takes its workers and the embedded PostgreSQL
(it was the last user) down within 10 s; SIGKILLed, its workers exit by
themselves, and the next Eioku process to use the embedded server forgets
the dead user and stops the server when it leaves. A real `eioku serve`
process each, on an embedded server in a data dir of its own."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil

from tests.conftest import REPO_ROOT
from tests.e2e.browser import free_port
from tests.media import make_clip, noise_frames

STOP_WITHIN_S = 10.0


def _env(data_dir: Path, media: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "EIOKU_API_TOKEN")}
    env.update({"EIOKU_DATA_DIR": str(data_dir), "EIOKU_MEDIA_ROOTS": str(media),
                "EIOKU_LOG_LEVEL": "WARNING"})
    return env


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> float:
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, f"{what}: not within {timeout:.0f} s"
        time.sleep(0.1)
    return time.monotonic() - start


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _postgres_pids(pgdata: Path) -> set[int]:
    """The postmaster of ``pgdata`` and all its children (backends, helpers)."""
    with contextlib.suppress(FileNotFoundError, ValueError, psutil.NoSuchProcess):
        postmaster = psutil.Process(int((pgdata / "postmaster.pid").read_text().split()[0]))
        return {postmaster.pid, *(c.pid for c in postmaster.children(recursive=True))}
    return set()


@contextlib.contextmanager
def serve(env: dict[str, str], workers: int) -> Iterator[tuple[subprocess.Popen[str], str]]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "eioku.cli", "serve", "--workers", str(workers),
                             "--port", str(port)], env=env, cwd=REPO_ROOT, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    pgdata = Path(env["EIOKU_DATA_DIR"]) / "pgdata"
    left: set[int] = set()
    try:
        def up() -> bool:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
            return False

        _wait(up, 120, "eioku serve answering")
        left = {c.pid for c in psutil.Process(proc.pid).children(recursive=True)}
        yield proc, base
    finally:  # whatever the test found, nothing it started outlives it
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        for pid in left | _postgres_pids(pgdata):
            with contextlib.suppress(psutil.NoSuchProcess):
                psutil.Process(pid).send_signal(signal.SIGINT if pid in _postgres_pids(pgdata)
                                                else signal.SIGKILL)


def _workers(proc: subprocess.Popen[str]) -> list[psutil.Process]:
    return [c for c in psutil.Process(proc.pid).children()
            if "spawn_main" in " ".join(c.cmdline())]


def test_sigterm_stops_workers_and_the_embedded_server_with_a_job_running(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    clip = make_clip(media / "long.mp4", noise_frames(1500, (320, 192)), size=(320, 192))  # 60 s
    env = _env(tmp_path / "data", media)
    pgdata = tmp_path / "data" / "pgdata"
    with serve(env, workers=1) as (proc, base):
        video = httpx.post(f"{base}/v1/videos", timeout=30, json={
            "path": str(clip), "analyze": True, "analyzers": ["scenes", "quality"]}).json()

        def a_job_runs() -> bool:
            runs = httpx.get(f"{base}/v1/videos/{video['video_id']}/runs", timeout=10).json()
            return any(r["status"] == "running" for r in runs["runs"])

        _wait(a_job_runs, 120, "a run started by the worker")
        processes = {c.pid for c in psutil.Process(proc.pid).children(recursive=True)}
        processes |= _postgres_pids(pgdata)
        assert len(_workers(proc)) == 1 and len(processes) > 3
        proc.send_signal(signal.SIGTERM)
        took = _wait(lambda: all(_gone(p) for p in processes | {proc.pid}), STOP_WITHIN_S,
                     "serve, its worker and PostgreSQL gone")
        assert proc.wait(5) == 0, proc.stderr.read() if proc.stderr else ""
        with contextlib.suppress(httpx.HTTPError):  # nothing answers on its port any more
            httpx.get(f"{base}/healthz", timeout=1)
            raise AssertionError("something still answers on the port of the stopped server")
    assert not (pgdata / "postmaster.pid").exists()
    assert json.loads((pgdata / ".handle_pids.json").read_text()) == []
    print(f"stopped in {took:.1f} s")


ATTACH = "from eioku.config import Settings; from eioku.db.server import database_url; " \
         "database_url(Settings())"


def test_workers_exit_by_themselves_when_serve_is_killed(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    env = _env(tmp_path / "data", media)
    pgdata = tmp_path / "data" / "pgdata"
    with serve(env, workers=2) as (proc, _base):
        _wait(lambda: len(_workers(proc)) == 2, 30, "two workers")
        workers = [w.pid for w in _workers(proc)]
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        _wait(lambda: all(_gone(p) for p in workers), STOP_WITHIN_S, "orphaned workers gone")
        # the embedded server outlives a SIGKILLed user; the dead pid stays listed ...
        postgres = _postgres_pids(pgdata)
        assert postgres and proc.pid in json.loads((pgdata / ".handle_pids.json").read_text())
        # ... until the next process attaches: it forgets it, and stops the server as it leaves
        subprocess.run([sys.executable, "-c", ATTACH], env=env, cwd=REPO_ROOT, check=True,
                       timeout=120)
        _wait(lambda: all(_gone(p) for p in postgres), STOP_WITHIN_S, "PostgreSQL stopped")
        assert json.loads((pgdata / ".handle_pids.json").read_text()) == []
