"""Concurrency: each route under 8 and 64 keep-alive clients (Debian's ``wrk``)
against ``eioku serve`` (a separate process, as deployed).

One line per route and client count: requests a second, p50, p99 and the
count of answers that were not 2xx/3xx, beside ``/healthz`` measured the same
way in the same run (the baseline: the lightest route, one statement on the read pool).
After each 64-client burst ``/healthz`` is timed once more: the service must
answer at once after a burst. Usage: ``python -m bench.load [--quick]``.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
import time

import httpx
from eioku.db.engine import make_engine, make_session_factory
from eioku.store.uow import UnitOfWork

from bench.common import bench_database, print_table
from bench.navigation import _objects, _run, _segments, _video, server

CONNECTIONS = (8, 64)
VIDEOS, PER_VIDEO = 20, 300


def _populate(url: str) -> str:
    """A small library: 20 videos, each with 300 detections and 300
    sentences; the id of one of them."""
    rng = random.Random(5)
    engine = make_engine(url)
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            ids = []
            for v in range(VIDEOS):
                video = _video(uow, f"load-{v}")
                _run(uow, video.video_id, "object.detection", _objects(PER_VIDEO, rng))
                _run(uow, video.video_id, "transcript.segment", _segments(PER_VIDEO, rng))
                ids.append(video.video_id)
            uow.commit()
    finally:
        engine.dispose()
    return str(ids[0])


def routes(video_id: str) -> list[tuple[str, str]]:
    v = f"/v1/videos/{video_id}"
    return [
        ("healthz (baseline)", "/healthz"),
        ("videos", "/v1/videos"),
        ("video", v),
        ("runs", f"{v}/runs"),
        ("artifacts page", f"{v}/artifacts?type=object.detection&limit=50"),
        ("status", "/v1/status"),
        ("people", "/v1/people"),
        ("subtitles.vtt", f"{v}/subtitles.vtt"),
        ("export.json", f"{v}/export.json"),
        ("jump (async)", f"{v}/jump?kind=object&label=dog&from_ms=60000"),
        ("find (async)", f"{v}/find?q=invoice"),
    ]


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def parse_wrk(out: str) -> dict:
    """Requests a second, p50/p99 (ms) and failures from ``wrk --latency``."""
    quantiles = {q: _ms(v, u) for q, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$",
                                                          out, re.M)}
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
            "p50_ms": round(quantiles.get("50", float("nan")), 2),
            "p99_ms": round(quantiles.get("99", float("nan")), 2),
            "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
            "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0}


def wrk(url: str, connections: int, seconds: int) -> dict:
    out = subprocess.run(["wrk", "--latency", "-t2", f"-c{connections}", f"-d{seconds}s",
                          "--timeout", "30s", url], capture_output=True, text=True, check=True,
                         timeout=seconds + 60).stdout
    return parse_wrk(out)


def _healthz_after(base: str) -> float:
    start = time.perf_counter()
    r = httpx.get(f"{base}/healthz", timeout=60)
    elapsed = (time.perf_counter() - start) * 1000
    return round(elapsed, 1) if r.status_code == 200 else float("nan")


def _ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else float("nan")


def main(quick: bool = False) -> list[dict]:
    if shutil.which("wrk") is None:
        raise SystemExit("bench.load needs Debian's wrk: apt-get install -y wrk (make bench does)")
    seconds = 2 if quick else 4
    rows = []
    with bench_database() as url:
        video_id = _populate(url)
        with server(url) as base:
            for name, path in routes(video_id):
                httpx.get(base + path, timeout=30).raise_for_status()  # warm, and a sanity check
                row: dict = {"route": name, "path": path}
                for c in CONNECTIONS:
                    row[f"c{c}"] = wrk(base + path, c, seconds)
                row["healthz_after_ms"] = _healthz_after(base)
                print(row, flush=True)
                rows.append(row)
    baseline = rows[0]
    print_table(f"Each route under 8 and 64 keep-alive clients (wrk, {seconds} s each)",
                ["route", "c", "req/s", "p50 ms", "p99 ms", "non-2xx", "errors", "x baseline",
                 "64/8", "healthz after ms"],
                [[r["route"] if c == 8 else "", c, round(r[f"c{c}"]["rps"]), r[f"c{c}"]["p50_ms"],
                  r[f"c{c}"]["p99_ms"], r[f"c{c}"]["non_2xx"], r[f"c{c}"]["socket_errors"],
                  _ratio(r[f"c{c}"]["rps"], baseline[f"c{c}"]["rps"]),
                  _ratio(r["c64"]["rps"], r["c8"]["rps"]) if c == 64 else "",
                  r["healthz_after_ms"] if c == 64 else ""]
                 for r in rows for c in CONNECTIONS])
    return rows


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
