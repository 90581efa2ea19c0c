"""Navigation over HTTP: `eioku serve` (a separate process, as deployed) against
raw SQL of the same query on the same database, at growing sizes.

- jump (object, label) in one video of 10^4, 10^5, 10^6 detections;
- find (transcript words) in one video of 10^5, 10^6 segments;
- global jump (object label, and transcript words) over 10^2, 10^3, 10^4 videos.

Each figure is the p50/p99 of sequential requests on one keep-alive
connection from random positions; the sizes of one table are measured
together, round-robin (each its own database and server), with each raw
statement timed beside its request. Usage: ``python -m bench.navigation [--quick]``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httptools
import httpx
import psycopg
from eioku.db.engine import make_engine, make_session_factory
from eioku.db.steps import Statement, Steps, to_psycopg
from eioku.domain.enums import JumpKind, RunStatus
from eioku.services import navigation
from eioku.services.navigation import JumpQuery
from eioku.store.uow import UnitOfWork

from bench.common import bench_database, print_table

EIOKU = Path(sys.executable).parent / "eioku"
WORDS = ["budget", "meeting", "river", "coffee", "report", "total", "dog", "garden", "window"]
CALLS = 400
STEP_MS = 500


@contextlib.contextmanager
def server(url: str) -> Iterator[str]:
    """`eioku serve --workers 0` on a free port, talking to ``url``."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="eioku-bench-serve-") as data:
        env = {**os.environ, "DATABASE_URL": url, "EIOKU_DATA_DIR": data, "EIOKU_LOG_LEVEL": "WARNING"}
        env.pop("EIOKU_API_TOKEN", None)
        proc = subprocess.Popen([str(EIOKU), "serve", "--workers", "0", "--port", str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("eioku serve did not start")
                time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            proc.wait(30)


def _video(uow: UnitOfWork, name: str, recorded_s: int = 0):
    video, _ = uow.videos.add(path=f"/bench/{name}.mp4", filename=f"{name}.mp4",
                              content_hash=f"sha256:{name}", size_bytes=1)
    return video


def _run(uow: UnitOfWork, video_id: uuid.UUID, artifact_type: str, items: list[dict]) -> uuid.UUID:
    run = uow.runs.create(asset_id=video_id, artifact_type=artifact_type, producer="bench",
                          producer_version="1", model_profile="fast", input_hash="x",
                          status=RunStatus.RUNNING)
    for i in range(0, len(items), 50_000):
        uow.artifacts.batch_create(run, items[i:i + 50_000])
    return uow.runs.complete(run.run_id).run_id


def _objects(n: int, rng: random.Random) -> list[dict]:
    """Detections every 500 ms, in appearances of 10 samples with a gap between."""
    labels = [rng.choice(["dog", "cat", "person", "car"]) for _ in range(n // 10 + 1)]
    return [{"span_start_ms": i * STEP_MS + (i // 10) * 2000,
             "span_end_ms": i * STEP_MS + (i // 10) * 2000 + 400,
             "payload": {"label": labels[i // 10], "confidence": 0.9, "frame_number": i,
                         "bbox": {"x": 1, "y": 1, "w": 1, "h": 1}}} for i in range(n)]


def _segments(n: int, rng: random.Random, rare: str = "invoice") -> list[dict]:
    """Sentences every 500 ms; one in 50 says ``rare``."""
    return [{"span_start_ms": i * STEP_MS, "span_end_ms": i * STEP_MS + 450,
             "payload": {"text": " ".join(rng.choices(WORDS, k=7) + ([rare] if i % 50 == 0 else [])),
                         "confidence": 0.9, "language": "en"}} for i in range(n)]


def _p(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1] * 1000


class Client:
    """A keep-alive HTTP/1.1 client: a socket, and httptools' C parser for the
    responses (the parser uvicorn uses for requests). A round trip to a
    do-nothing ASGI app on uvicorn takes 0.10 ms with it and 0.16 ms with the
    standard library's ``http.client``, whose own Python would be counted as
    the server's."""

    def __init__(self, base: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.host = host
        self.sock = socket.create_connection((host, int(port)))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._body = bytearray()
        self._complete = False

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    # httptools' callbacks
    def on_body(self, body: bytes) -> None:
        self._body += body

    def on_message_complete(self) -> None:
        self._complete = True

    def get(self, url: str) -> tuple[int, bytes]:
        self.sock.sendall(f"GET {url} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode("ascii"))
        self._body, self._complete = bytearray(), False
        parser = httptools.HttpResponseParser(self)
        while not self._complete:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the server closed the connection")
            parser.feed_data(data)
        return parser.get_status_code(), bytes(self._body)


def _time_http(client: Client, urls: list[str]) -> list[float]:
    out = []
    for url in urls:
        started = time.perf_counter()
        status, body = client.get(url)
        out.append(time.perf_counter() - started)
        assert status in (200, 404), (url, status, body[:200])
    return out


def _time_sql(url: str, statements: list[Statement]) -> list[float]:
    """Each statement as the server sends it, from psycopg, prepared."""
    with psycopg.connect(url, autocommit=True) as conn:
        return _time_statements(conn, statements)


def _analyze(url: str) -> None:
    """Statistics for the planner, then a checkpoint: the pages the load
    dirtied are written now, not by the checkpointer during the measurement."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")


def _read_into_cache(url: str) -> None:
    """Every table and index of the database read once (``pg_prewarm`` in
    'read' mode: into the operating system's cache, not PostgreSQL's small
    default buffer cache), right before the timing: each size starts with its
    pages cached, as on a server that has been answering for a while, whatever
    the loads after it pushed out."""
    with psycopg.connect(url, autocommit=True) as conn:
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        except psycopg.Error as exc:  # a server of DATABASE_URL's that does not allow it
            print(f"(not read into the cache first: {exc})")
            return
        conn.execute("SELECT pg_prewarm(c.oid, 'read') FROM pg_class c WHERE c.relkind IN ('r', 'i') "
                     "AND c.relnamespace = 'public'::regnamespace")


def _jump_steps(video_id: uuid.UUID, position: int) -> Steps:
    return navigation.jump_steps(video_id, JumpQuery(JumpKind.OBJECT, from_ms=position, label="dog"))


def _find_steps(video_id: uuid.UUID, position: int) -> Steps:
    return navigation.find_steps(video_id, "invoice", from_ms=position)


@dataclasses.dataclass
class _Target:
    """One size under test: its own database and `eioku serve`, the requests
    to send and, for per-video queries, the statements the server sends."""

    size: int
    client: Client
    urls: list[str]
    conn: psycopg.Connection | None = None
    statements: list[Statement] = dataclasses.field(default_factory=list)
    http: list[float] = dataclasses.field(default_factory=list)
    sql: list[float] = dataclasses.field(default_factory=list)
    database: str | None = None  # its URL

    def row(self) -> dict:
        row = {"http_p50_ms": round(_p(self.http, 50), 3), "http_p99_ms": round(_p(self.http, 99), 3)}
        if self.sql:
            row |= {"sql_p50_ms": round(_p(self.sql, 50), 3),
                    "ratio_p50": round(_p(self.http, 50) / _p(self.sql, 50), 2)}
        return row


def _measure(targets: list[_Target], warm_up: int = 50, block: int = 25) -> None:
    """Round-robin over the sizes in blocks of ``block`` calls, raw statements
    then requests, so every size (and the SQL beside its HTTP) sees the same
    stretches of a shared machine: what drifts between minutes here moves
    all of them together. Within a block the caches stay warm: alternating
    at every request made each one cold (1.6–1.9× the p50 measured in blocks
    of 25 or of 400, which agree with each other). Each database is first
    read into the OS cache (:func:`_read_into_cache`)."""
    for t in targets:
        if t.database is not None:
            _read_into_cache(t.database)
    for t in targets:  # each pooled connection plans and prepares
        _time_http(t.client, t.urls[:warm_up])
        if t.conn is not None:
            _time_statements(t.conn, t.statements[:warm_up])
    for i in range(0, CALLS, block):
        for t in targets:
            if t.conn is not None:
                t.sql += _time_statements(t.conn, t.statements[i:i + block])
            t.http += _time_http(t.client, t.urls[i:i + block])


def _time_statements(conn: psycopg.Connection, statements: list[Statement]) -> list[float]:
    out = []
    for st in statements:
        sql = to_psycopg(st.sql)
        started = time.perf_counter()
        conn.execute(sql, dict(st.params), prepare=True).fetchall()
        out.append(time.perf_counter() - started)
    return out


def _per_video(sizes: list[int], artifact_type: str, make_items, steps_for, url_for) -> list[dict]:
    """p50/p99 over HTTP and p50 of the raw SQL, at random positions in one
    video holding ``n`` artifacts of one type, for each ``n`` in ``sizes``. The
    raw SQL is the statement the server sends for that request (the selected
    run, the hits, their ids), taken from the service, so the ratio is what
    HTTP, FastAPI and Python add."""
    with contextlib.ExitStack() as stack:
        targets = []
        for n in sizes:
            url = stack.enter_context(bench_database())
            factory = make_session_factory(make_engine(url))
            with UnitOfWork(factory) as uow:
                video = _video(uow, artifact_type)
                _run(uow, video.video_id, artifact_type, make_items(n, random.Random(1)))
                uow.commit()
            _analyze(url)
            rng = random.Random(2)
            positions = [rng.randrange(0, n * STEP_MS) for _ in range(CALLS)]
            client = stack.enter_context(Client(stack.enter_context(server(url))))
            targets.append(_Target(
                n, client, [url_for(video.video_id, p) for p in positions],
                stack.enter_context(psycopg.connect(url, autocommit=True)),
                [next(steps_for(video.video_id, p)) for p in positions], database=url))
        _measure(targets)
        return [t.row() for t in targets]


def jump(sizes: list[int]) -> list[dict]:
    rows = _per_video(sizes, "object.detection", _objects, _jump_steps,
                      lambda v, p: f"/v1/videos/{v}/jump?kind=object&label=dog&from_ms={p}")
    return [{"artifacts": n, **row} for n, row in zip(sizes, rows, strict=True)]


def find(sizes: list[int]) -> list[dict]:
    rows = _per_video(sizes, "transcript.segment", _segments, _find_steps,
                      lambda v, p: f"/v1/videos/{v}/find?q=invoice&from_ms={p}")
    return [{"segments": n, **row} for n, row in zip(sizes, rows, strict=True)]


def global_jump(sizes: list[int], per_video: int = 20) -> list[dict]:
    with contextlib.ExitStack() as stack:
        targets = []
        for videos in sizes:
            url = stack.enter_context(bench_database())
            factory = make_session_factory(make_engine(url))
            rng = random.Random(1)
            ids = []
            for start in range(0, videos, 500):
                with UnitOfWork(factory) as uow:
                    for v in range(start, min(videos, start + 500)):
                        video = _video(uow, f"g{v}")
                        _run(uow, video.video_id, "object.detection", _objects(per_video, rng))
                        _run(uow, video.video_id, "transcript.segment", _segments(per_video, rng))
                        ids.append(video.video_id)
                    uow.commit()
            _analyze(url)
            picks = [rng.choice(ids) for _ in range(CALLS)]
            urls = [(f"/v1/jump/global?kind=object&label=dog&from_video={v}&from_ms=0"
                     if i % 2 else f"/v1/jump/global?kind=transcript&q=invoice&from_video={v}"
                     f"&from_ms=0") for i, v in enumerate(picks)]
            targets.append(_Target(videos, stack.enter_context(Client(stack.enter_context(server(url)))),
                                   urls, database=url))
        _measure(targets)
        return [{"videos": t.size, **t.row()} for t in targets]


def main(quick: bool = False, large: bool = False) -> dict:
    result = {
        "jump": jump([10_000, 100_000] if quick else
                     [10_000, 100_000, 1_000_000, *([10_000_000] if large else [])]),
        "find": find([100_000] if quick else [100_000, 1_000_000]),
        "global_jump": global_jump([100, 1_000] if quick else [100, 1_000, 10_000]),
    }
    print_table("Jump over HTTP (object label, one video) vs the raw SQL",
                ["artifacts", "http p50 ms", "http p99 ms", "sql p50 ms", "http/sql"],
                [[f"{r['artifacts']:,}", r["http_p50_ms"], r["http_p99_ms"], r["sql_p50_ms"],
                  r["ratio_p50"]] for r in result["jump"]])
    print_table("Find over HTTP (transcript words, one video) vs the raw SQL",
                ["segments", "http p50 ms", "http p99 ms", "sql p50 ms", "http/sql"],
                [[f"{r['segments']:,}", r["http_p50_ms"], r["http_p99_ms"], r["sql_p50_ms"],
                  r["ratio_p50"]] for r in result["find"]])
    print_table("Global jump over HTTP (object label / transcript words across the library)",
                ["videos", "http p50 ms", "http p99 ms"],
                [[f"{r['videos']:,}", r["http_p50_ms"], r["http_p99_ms"]] for r in result["global_jump"]])
    return result


if __name__ == "__main__":
    main(quick="--quick" in sys.argv, large="--large" in sys.argv)
