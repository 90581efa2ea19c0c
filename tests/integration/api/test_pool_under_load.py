"""Connection pools under load (issue 25, items 11 and 17), against `eioku serve`
in a process of its own, configured as deployed: clients slow to read an
export hold no database connection, a burst of 64 clients gets no 5xx and
leaves the service answering at once, and a wait for a pooled connection
that runs out is a 503 with Retry-After, never a 500. Timings here are
correctness bounds (seconds), not speed: bench/load.py measures that."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from eioku.api.app import create_app
from eioku.config import Settings
from eioku.db.engine import MAX_OVERFLOW, POOL_SIZE, make_engine, make_session_factory
from eioku.services import exports
from eioku.store.uow import UnitOfWork
from fastapi.testclient import TestClient

from tests.conftest import REPO_ROOT
from tests.e2e.browser import free_port, live_server
from tests.factories import add_run, add_video

SLOW_READERS = POOL_SIZE + MAX_OVERFLOW + 5  # more than the API's pool holds (25, as in the issue)


@contextlib.contextmanager
def serve(db_url: str, data_dir) -> Iterator[str]:  # type: ignore[no-untyped-def]
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "EIOKU_DATA_DIR": str(data_dir),
           "EIOKU_LOG_LEVEL": "WARNING"}
    env.pop("EIOKU_API_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "eioku.cli", "serve", "--workers", "0",
                             "--port", str(port)], env=env, cwd=REPO_ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "eioku serve did not start"
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _video_with_a_long_export(session_factory) -> str:  # type: ignore[no-untyped-def]
    """About 6 MB of export.json: more than a stalled socket takes in (its
    send buffer grows to 4 MB on Linux)."""
    with UnitOfWork(session_factory) as uow:
        video = add_video(uow)
        run = add_run(uow, video.video_id, "transcript.segment")
        uow.artifacts.batch_create(run, [
            {"span_start_ms": i * 1000, "span_end_ms": i * 1000 + 900,
             "payload": {"text": f"sentence {i} " + "word " * 1200, "confidence": 0.9,
                         "language": "en"}} for i in range(1000)])
        uow.runs.complete(run.run_id)
        uow.commit()
    return str(video.video_id)


def _stalled_reader(port: int, path: str) -> socket.socket:
    """A client that asks for ``path`` and then reads nothing (a tiny receive
    window, so the server's writes block at once)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
    return sock


def _read_all(sock: socket.socket) -> bytes:
    sock.settimeout(60)
    chunks = []
    while data := sock.recv(1 << 16):
        chunks.append(data)
    return b"".join(chunks)


def _dechunk(body: bytes) -> bytes:
    out, rest = [], body
    while True:
        size_line, rest = rest.split(b"\r\n", 1)
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return b"".join(out)
        out.append(rest[:size])
        rest = rest[size + 2:]


def test_slow_export_readers_hold_no_database_connection(db_url, session_factory, tmp_path):
    video_id = _video_with_a_long_export(session_factory)
    path = f"/v1/videos/{video_id}/export.json"
    with serve(db_url, tmp_path / "data") as base:
        port = int(base.rsplit(":", 1)[1])
        readers = [_stalled_reader(port, path) for _ in range(SLOW_READERS)]
        try:
            deadline = time.monotonic() + 40
            started = 0
            for sock in readers:  # each has its answer under way (or gave up waiting)
                sock.settimeout(max(0.1, deadline - time.monotonic()))
                with contextlib.suppress(TimeoutError):
                    started += sock.recv(12) == b"HTTP/1.1 200"
            assert started == SLOW_READERS
            for probe in ("/healthz", "/v1/videos", f"/v1/videos/{video_id}"):
                r = httpx.get(base + probe, timeout=10)
                assert r.status_code == 200, (probe, r.status_code, r.text)
            # a stalled reader still gets the whole document when it reads at last
            head, _, body = _read_all(readers[0]).partition(b"\r\n\r\n")
            assert b"transfer-encoding: chunked" in head.lower()
            document = json.loads(_dechunk(body))
            assert len(document["types"]["transcript.segment"]["artifacts"]) == 1000
        finally:
            for sock in readers:
                sock.close()


async def _burst(base: str, path: str, clients: int, seconds: float) -> list[int]:
    statuses: list[int] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        deadline = asyncio.get_running_loop().time() + seconds

        async def one_client() -> None:
            while asyncio.get_running_loop().time() < deadline:
                statuses.append((await client.get(path)).status_code)

        await asyncio.gather(*(one_client() for _ in range(clients)))
    return statuses


@pytest.mark.parametrize("path", ["/v1/videos", "/healthz"])
def test_a_burst_of_64_clients_gets_no_5xx_and_leaves_the_service_answering(
        db_url, session_factory, tmp_path, path):
    with UnitOfWork(session_factory) as uow:
        for _ in range(30):
            add_video(uow)
        uow.commit()
    with serve(db_url, tmp_path / "data") as base:
        statuses = asyncio.run(_burst(base, path, clients=64, seconds=4))
        start = time.monotonic()
        after = httpx.get(f"{base}/healthz", timeout=60)
        waited = time.monotonic() - start
    assert len(statuses) > 64  # every client was answered, and more than once
    assert sorted(set(statuses)) == [200]
    assert after.status_code == 200
    assert waited < 2.0, f"/healthz took {waited:.1f} s right after the burst"


def test_a_pool_timeout_is_503_with_retry_after(db_url, session_factory, tmp_path):
    """Every connection of the pool taken: the request waits the pool's
    timeout and is told to come back, on FastAPI's routes and the export's."""
    video_id = _video_with_a_long_export(session_factory)
    engine = make_engine(db_url, pool_size=1, max_overflow=0, pool_timeout=0.5)
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url)
    app = create_app(settings, make_session_factory(engine))
    try:
        with engine.connect(), TestClient(  # the pool's only connection, held
                app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
            for path in ("/v1/videos", f"/v1/videos/{video_id}/export.json"):
                r = client.get(path)
                assert r.status_code == 503, (path, r.status_code, r.text)
                assert r.headers["retry-after"] == "2"
        with TestClient(app, base_url="http://127.0.0.1") as client:  # the connection is back
            assert client.get("/v1/videos").status_code == 200
    finally:
        engine.dispose()


def test_a_request_whose_client_left_while_it_waited_is_not_served(
        db_url, session_factory, tmp_path, monkeypatch):
    """Every session slot taken by an export that waits: 20 more exports are
    asked for and their clients leave; once the slots free up, none of the 20
    is built (each would have cost a full export for nobody)."""
    video_id = _video_with_a_long_export(session_factory)
    built, go_on = [], threading.Event()

    def export_json(uow, video):  # type: ignore[no-untyped-def]
        built.append(video)
        go_on.wait(60)
        return exports_service(uow, video)

    exports_service = exports.export_json
    monkeypatch.setattr(exports, "export_json", export_json)
    settings = Settings(data_dir=tmp_path / "data", database_url=db_url)
    with live_server(settings) as base:
        port = int(base.rsplit(":", 1)[1])
        path = f"/v1/videos/{video_id}/export.json"
        holders = [_stalled_reader(port, path) for _ in range(POOL_SIZE)]
        _wait_until(lambda: len(built) == POOL_SIZE)
        leavers = [_stalled_reader(port, path) for _ in range(20)]
        time.sleep(1)  # they wait for a slot ...
        for sock in leavers:
            sock.close()  # ... and leave
        time.sleep(1)
        go_on.set()
        for sock in holders:
            head, _, body = _read_all(sock).partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200")
            sock.close()
        assert httpx.get(base + path, timeout=60).status_code == 200
    assert len(built) == POOL_SIZE + 1


def _wait_until(condition, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.05)
