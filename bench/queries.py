"""Navigation queries vs the raw SQL a hand-written client would send.

The baseline knows the run id already and reads the projection directly; the
service resolves the selection policy, checks the video and groups ties.
Usage: ``python -m bench.queries [N_ARTIFACTS] [CALLS]``.
"""

from __future__ import annotations

import contextlib
import random
import sys
import time

import psycopg
from eioku.db.engine import make_engine, make_session_factory
from eioku.domain.enums import Direction, JumpKind, RunStatus
from eioku.services import navigation
from eioku.services.navigation import JumpQuery
from eioku.store.uow import UnitOfWork

from bench.common import bench_database, print_table, summary

WORDS = ["invoice", "budget", "meeting", "river", "coffee", "report", "total", "dog"]


def _populate(factory, n: int):
    rng = random.Random(1)
    with UnitOfWork(factory) as uow:
        video, _ = uow.videos.add(path="/q.mp4", filename="q.mp4", content_hash="sha256:q",
                                  size_bytes=1)
        runs = {}
        # objects: sampled every 500 ms in appearances of 20 samples with 3 s gaps
        appearance_label = [rng.choice(["dog", "cat", "person"]) for _ in range(n // 20 + 1)]
        for artifact_type, at, make in (
            ("object.detection", lambda i: i * 500 + (i // 20) * 3000,
             lambda i: {"label": appearance_label[i // 20], "confidence": rng.random(),
                        "frame_number": i, "bbox": {"x": 1, "y": 1, "w": 1, "h": 1}}),
            ("transcript.segment", lambda i: i * 100,
             lambda i: {"text": " ".join(rng.choices(WORDS, k=8)), "confidence": 0.9,
                        "language": "en"}),
        ):
            for profile in ("fast", "balanced"):  # two runs: selection has to choose
                run = uow.runs.create(asset_id=video.video_id, artifact_type=artifact_type,
                                      producer="bench", producer_version="1", model_profile=profile,
                                      input_hash="x", status=RunStatus.RUNNING)
                uow.artifacts.batch_create(run, [
                    {"span_start_ms": at(i), "span_end_ms": at(i) + 490, "payload": make(i)}
                    for i in range(n)])
                runs[artifact_type] = uow.runs.complete(run.run_id).run_id
        uow.commit()
    return video.video_id, runs


def main(n: int = 50_000, calls: int = 300) -> None:
    with bench_database() as url:
        factory = make_session_factory(make_engine(url))
        video_id, runs = _populate(factory, n)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        rng = random.Random(2)
        positions = [rng.randrange(0, n * 100) for _ in range(calls)]
        cases = {
            "jump object label=dog": (  # the next appearance and the detections opening it
                lambda s, p: navigation.jump(s, video_id, JumpQuery(JumpKind.OBJECT, Direction.NEXT,
                                                                   p, label="dog")),
                "SELECT a.start_ms, a.end_ms, (SELECT array_agg(o.artifact_id) FROM object_labels o "
                "WHERE o.run_id = a.run_id AND o.label = a.label AND o.start_ms = a.start_ms) "
                "FROM object_appearances a WHERE a.run_id = %s AND a.label = 'dog' "
                "AND a.start_ms > %s ORDER BY a.start_ms LIMIT 1",
                runs["object.detection"]),
            "find 'invoice' (limit 20)": (
                lambda s, p: navigation.find(s, video_id, "invoice", from_ms=p,
                                             source=navigation.FindSource.TRANSCRIPT),
                "SELECT start_ms, end_ms, artifact_id, ts_headline('simple', text, q) FROM "
                "transcript_fts, websearch_to_tsquery('simple', 'invoice') q WHERE run_id = %s "
                "AND tsv @@ q AND start_ms > %s ORDER BY start_ms LIMIT 20",
                runs["transcript.segment"]),
        }
        rows = []
        for name, (service_call, raw_sql, run_id) in cases.items():
            raw, svc = [], []
            with psycopg.connect(url) as conn, UnitOfWork(factory) as uow:
                for p in positions:
                    t = time.perf_counter()
                    conn.execute(raw_sql, (run_id, p)).fetchall()
                    raw.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    with contextlib.suppress(navigation.NoMatchError):
                        service_call(uow.session, p)
                    svc.append(time.perf_counter() - t)
            for label, samples in (("raw SQL", raw), ("eioku", svc)):
                lo, med, hi = summary(samples)
                rows.append([name, label, f"{lo * 1e3:.2f}", f"{med * 1e3:.2f}", f"{hi * 1e3:.2f}",
                             f"{summary(raw)[1] / med:.0%}"])
        print_table(f"Navigation over {n:,} artifacts per run, 2 runs per type ({calls} calls)",
                    ["query", "path", "min ms", "median ms", "max ms", "speed vs raw"], rows)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
