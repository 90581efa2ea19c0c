"""Ingest: ``ArtifactRepository.batch_create`` vs a raw psycopg COPY.

Both write the same rows into the same ``artifacts`` table in one
transaction; batch_create also validates every payload and writes the
projection rows, and completing the run merges detections into appearances.
Usage: ``python -m bench.ingest [N] [REPEATS]``.
"""

from __future__ import annotations

import json
import sys
import uuid

import psycopg
from eioku.db.engine import make_engine, make_session_factory
from eioku.domain.enums import RunStatus
from eioku.store.artifacts import COPY_SQL
from eioku.store.uow import UnitOfWork

from bench.common import bench_database, print_table, summary, timed

ARTIFACT_TYPE = "object.detection"  # projected into object_labels: the realistic, costlier case


def make_items(n: int) -> list[dict]:
    labels = ["person", "dog", "cat", "car", "cup"]
    return [
        {"span_start_ms": i * 40, "span_end_ms": i * 40 + 40,
         "payload": {"label": labels[i % 5], "confidence": (i % 100) / 100,
                     "bbox": {"x": 10.0, "y": 20.0, "w": 64.0, "h": 48.0},
                     "frame_number": i, "track_id": i % 7}}
        for i in range(n)
    ]


def main(n: int = 200_000, repeats: int = 5) -> dict:
    items = make_items(n)
    with bench_database() as url:
        factory = make_session_factory(make_engine(url))
        with UnitOfWork(factory) as uow:
            video, _ = uow.videos.add(path="/bench.mp4", filename="bench.mp4",
                                      content_hash="sha256:bench", size_bytes=1)
            uow.commit()

        def new_run(uow: UnitOfWork):
            return uow.runs.create(asset_id=video.video_id, artifact_type=ARTIFACT_TYPE,
                                   producer="bench", producer_version="1", model_profile="fast",
                                   input_hash="sha256:x", status=RunStatus.RUNNING)

        def reset() -> None:
            with psycopg.connect(url) as conn:
                conn.execute("TRUNCATE artifacts, object_labels, object_appearances, runs CASCADE")
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE artifacts")

        def raw_copy() -> None:
            with UnitOfWork(factory) as uow:
                run = new_run(uow)
                rows = [(uuid.uuid4(), run.asset_id, ARTIFACT_TYPE, 1, it["span_start_ms"],
                         it["span_end_ms"], json.dumps(it["payload"]), run.producer,
                         run.producer_version, run.model_profile, run.config_hash,
                         run.input_hash, run.run_id) for it in items]
                cur = uow.session.connection().connection.driver_connection.cursor()
                with cur.copy(COPY_SQL) as copy:
                    for row in rows:
                        copy.write_row(row)
                uow.commit()

        def batch_create() -> None:  # + completion, which merges the appearances
            with UnitOfWork(factory) as uow:
                run = new_run(uow)
                uow.artifacts.batch_create(run, items)
                uow.runs.complete(run.run_id)
                uow.commit()

        samples: dict[str, list[float]] = {"raw COPY": [], "batch_create+complete": []}
        for _ in range(repeats):  # interleaved, each on an emptied table
            for name, fn in (("raw COPY", raw_copy), ("batch_create+complete", batch_create)):
                reset()
                samples[name].append(timed(fn))
        base = summary(samples["raw COPY"])[1]
        rows = []
        for name, s in samples.items():
            lo, med, hi = summary(s)
            rows.append([name, f"{n / med:,.0f}", f"{lo:.2f}", f"{med:.2f}", f"{hi:.2f}",
                         f"{base / med:.0%}"])
        print_table(f"Ingest of {n:,} {ARTIFACT_TYPE} artifacts ({repeats} runs each)",
                    ["path", "rows/s (median)", "min s", "median s", "max s", "vs COPY"], rows)
        ours = summary(samples["batch_create+complete"])[1]
        return {"rows": n, "batch_create_rows_per_s": round(n / ours), "copy_rows_per_s": round(n / base),
                "ratio": round(base / ours, 3)}


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
