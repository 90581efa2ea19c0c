"""The API process SIGKILLed mid-request (issue 25's proof): a half-received
upload, registrations and analysis requests in flight. After a restart
nothing is half done: no upload file is left behind, no video without its
content, no queued run without the job that will execute it, and the server
answers at once."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from eioku.services.pipeline import ANALYZERS

from tests.media import tiny_mp4

EIOKU = str(Path(sys.executable).parent / "eioku")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(env: dict[str, str], port: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([EIOKU, "serve", "--workers", "0", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, "eioku serve exited"
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("eioku serve did not start")


def _half_an_upload(base: str, size: int) -> socket.socket:
    """Headers and the first part of a multipart upload of ``size`` bytes; the rest never comes."""
    boundary = "killtest"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n").encode()
    length = len(head) + size + len(f"\r\n--{boundary}--\r\n")
    sock = socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])))
    sock.sendall((f"POST /v1/videos/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                  f"Content-Length: {length}\r\n\r\n").encode() + head + os.urandom(size // 3))
    return sock


def _keep_asking(base: str, paths: list[Path], stop: threading.Event, answers: list[int]) -> None:
    """Register and analyse files over and over until the server dies."""
    with httpx.Client(base_url=base, timeout=10) as client:
        i = 0
        while not stop.is_set():
            try:
                r = client.post("/v1/videos", json={"path": str(paths[i % len(paths)]), "analyze": True,
                                                    "analyzers": ["metadata", "scenes", "quality"]})
                answers.append(r.status_code)
                if r.status_code == 202:
                    client.post(f"/v1/videos/{r.json()['video_id']}/analyze",
                                json={"analyzers": ["metadata", "objects"], "profile": "fast"})
            except httpx.HTTPError:
                answers.append(0)
            i += 1


def _inconsistencies(db_url: str) -> list[tuple]:
    """A queued run with no live job is stuck, unless it waits for a run it
    uses that is itself still to come (it is deferred when that one ends)."""
    waits_on = {name: [*spec.depends_on, *spec.uses] for name, spec in ANALYZERS.items()}
    with psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return conn.execute("""
            SELECT 'queued run without a job', r.run_id::text FROM runs r
             WHERE r.status = 'queued' AND NOT EXISTS (
                   SELECT 1 FROM procrastinate_jobs j
                    WHERE j.status IN ('todo', 'doing') AND strpos(j.args::text, r.run_id::text) > 0)
               AND NOT EXISTS (
                   SELECT 1 FROM runs d WHERE d.asset_id = r.asset_id AND d.status IN ('queued', 'running')
                      AND d.analyzer IN (SELECT jsonb_array_elements_text(%(w)s::jsonb -> r.analyzer)))
            UNION ALL
            SELECT 'registered video without content', v.video_id::text FROM videos v
             WHERE v.status = 'registered' AND v.content_hash IS NULL""",
            {"w": json.dumps(waits_on)}).fetchall()


@pytest.mark.parametrize("kill_after_s", [0.3, 1.0])
def test_sigkill_mid_request_leaves_nothing_half_done(tmp_path, db_url, kill_after_s):
    media = tmp_path / "media"
    media.mkdir()
    paths = [tiny_mp4(media / f"v{i}.mp4", seed=i) for i in range(6)]
    env = {**os.environ, "DATABASE_URL": db_url, "EIOKU_DATA_DIR": str(tmp_path / "data"),
           "EIOKU_MEDIA_ROOTS": str(media), "EIOKU_UPLOAD_MAX_BYTES": str(64 * 1024**2)}
    port = _free_port()
    proc, base = _start(env, port)
    uploads = tmp_path / "data" / "uploads"
    stop = threading.Event()
    answers: list[int] = []
    try:
        sock = _half_an_upload(base, 6 * 1024**2)
        deadline = time.monotonic() + 10
        while not any(p.stat().st_size for p in uploads.glob("*.part")):
            assert time.monotonic() < deadline, "the upload never started"
            time.sleep(0.05)
        askers = [threading.Thread(target=_keep_asking, args=(base, paths, stop, answers))
                  for _ in range(3)]
        for t in askers:
            t.start()
        time.sleep(kill_after_s)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        stop.set()
        for t in askers:
            t.join(timeout=30)
        sock.close()
        assert 202 in answers  # the server was working when it died
        assert list(uploads.glob("*.part"))  # the half upload was on disk

        proc, base = _start(env, port)
        t0 = time.monotonic()
        assert httpx.get(base + "/v1/videos", timeout=5).status_code == 200
        assert time.monotonic() - t0 < 5
        assert list(uploads.glob("*.part")) == []  # swept at start-up
        assert _inconsistencies(db_url) == []
        titles = {v["filename"] for v in httpx.get(base + "/v1/videos?limit=500", timeout=5)
                  .json()["videos"]}
        assert "big.mp4" not in titles and titles <= {p.name for p in paths}
    finally:
        stop.set()
        proc.kill()
        proc.wait(timeout=10)
