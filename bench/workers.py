"""Throughput of the worker pool: analysis jobs per minute with 1 and 2 worker
processes on a queue of short videos (copies of the 12 s sample, each made
distinct so nothing is reused; every analyzer, default profile), through
`eioku analyze --workers N` on a fresh embedded database.

Usage: ``python -m bench.workers [VIDEOS]``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import print_table

EIOKU = Path(sys.executable).parent / "eioku"
SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "sample.mp4"
JOBS_SQL = ("SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded' "
            "AND task_name LIKE 'eioku.%' AND task_name <> 'eioku.retry_stalled'")


def _jobs(env: dict[str, str]) -> int:
    code = ("from eioku.config import get_settings; from eioku.db.server import database_url; "
            "from eioku.db.engine import make_engine; from sqlalchemy import text; "
            "e = make_engine(database_url(get_settings())); c = e.connect(); "
            f"print(c.execute(text({JOBS_SQL!r})).scalar())")
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
    return int(out.stdout.strip())


def jobs_per_minute(videos: int, workers: int) -> tuple[float, int, float]:
    with tempfile.TemporaryDirectory(prefix="eioku-bench-workers-") as data:
        folder = Path(data) / "videos"
        folder.mkdir()
        paths = []
        for i in range(videos):  # distinct bytes, same pictures: no reuse between them
            path = folder / f"clip{i}.mp4"
            path.write_bytes(SAMPLE.read_bytes() + f"#{i}".encode())
            paths.append(str(path))
        env = {**os.environ, "EIOKU_DATA_DIR": data}
        env.pop("DATABASE_URL", None)
        subprocess.run([str(EIOKU), "db", "upgrade"], env=env, check=True, capture_output=True)
        # one video first: model caches (Whisper's assembly) are built outside the timing
        subprocess.run([str(EIOKU), "analyze", paths[0], "--json", "--workers", "1"], env=env,
                       check=True, capture_output=True)
        before = _jobs(env)
        started = time.perf_counter()
        done = subprocess.run([str(EIOKU), "analyze", *paths[1:], "--json", "--workers", str(workers)],
                              env=env, check=True, capture_output=True, text=True)
        wall = time.perf_counter() - started
        assert not any(s["failed"] for s in json.loads(done.stdout))
        jobs = _jobs(env) - before
    return jobs / wall * 60, jobs, wall


def main(videos: int = 9) -> dict[str, float]:
    result, rows = {}, []
    for workers in (1, 2):
        rate, jobs, wall = jobs_per_minute(videos, workers)
        result[str(workers)] = round(rate, 1)
        rows.append([workers, jobs, f"{wall:.1f}", f"{rate:.1f}"])
    print_table(f"Worker pool on {videos - 1} short videos (12 s each, every analyzer)",
                ["workers", "jobs", "wall s", "jobs/min"], rows)
    return result


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
