"""Workers killed with SIGKILL at random points, many times, while they work
through a queue of videos (frame passes, per-run jobs and chunk jobs of a
chunked video): after restarts every run ends completed exactly once, no
artifact is partial or duplicated, and the projections and appearances equal
a rebuild from the artifacts."""

from __future__ import annotations

import os
import random
import signal
import time

import pytest
from eioku.store.uow import UnitOfWork
from sqlalchemy import text

from tests.integration.worker.test_queue import _queue, _scalar, _start_worker, _wait_for
from tests.media import SAMPLE, copy_with_suffix, make_clip, noise_frames

pytestmark = pytest.mark.models
ANALYZERS = ["metadata", "scenes", "quality", "objects"]
KILLS = 8


def _snapshot(factory):
    """Every projection and appearance row, to compare with a rebuild."""
    tables = ["scene_ranges", "object_labels", "object_appearances"]
    with factory() as session:
        return {t: sorted(tuple(str(v) for v in r) for r in session.execute(text(
            f"SELECT * FROM {t}"))) for t in tables}


def test_random_kills_lose_and_duplicate_nothing(session_factory, db_url, tmp_path):
    clips = [copy_with_suffix(SAMPLE, tmp_path / f"v{i}.mp4", f"#{i}".encode()) for i in range(4)]
    clips.append(make_clip(tmp_path / "long.mp4", noise_frames(400, (320, 192)), size=(320, 192)))
    env = {"EIOKU_STALLED_AFTER_S": "2", "EIOKU_CHUNK_S": "6"}  # the 16 s clip goes in chunks
    run_ids = _queue(session_factory, clips, ANALYZERS)
    rng = random.Random(11)
    workers = [_start_worker(db_url, env) for _ in range(2)]
    kills = 0
    try:
        while kills < KILLS:
            time.sleep(rng.uniform(0.5, 4.0))  # decode, inference or the artifact write
            victim = rng.randrange(len(workers))
            os.kill(workers[victim].pid, signal.SIGKILL)
            workers[victim].join(10)
            kills += 1
            workers[victim] = _start_worker(db_url, env)
        assert _wait_for(lambda: _scalar(
            session_factory, "SELECT count(*) FROM runs WHERE status NOT IN ('completed', 'failed')"
        ) == 0, timeout=600)
    finally:
        for w in workers:
            if w.is_alive():
                os.kill(w.pid, signal.SIGTERM)
        for w in workers:
            w.join(60)
    with UnitOfWork(session_factory) as uow:
        runs = uow.session.execute(text(
            "SELECT r.run_id, r.analyzer, r.status, r.error, count(a.artifact_id) AS n, "
            "count(DISTINCT (a.span_start_ms, a.payload)) FILTER (WHERE a.artifact_id IS NOT NULL) "
            "AS distinct_n "
            "FROM runs r LEFT JOIN artifacts a USING (run_id) GROUP BY r.run_id")).all()
    assert len(runs) == len(run_ids) == len(clips) * len(ANALYZERS)
    assert [r for r in runs if r.status != "completed"] == []
    assert [(r.analyzer, r.n, r.distinct_n) for r in runs if r.n != r.distinct_n] == []  # nothing twice
    assert all(r.n == 1 for r in runs if r.analyzer in ("metadata", "quality"))
    scenes = {r.n for r in runs if r.analyzer == "scenes"}
    assert scenes and min(scenes) >= 1
    sample_scenes = [r.n for r in runs if r.analyzer == "scenes"]
    assert sample_scenes.count(4) >= 4  # each copy of the sample: its four shots, whole
    restarted = _scalar(session_factory, "SELECT count(*) FROM (SELECT job_id FROM procrastinate_events "
                                         "WHERE type = 'started' GROUP BY job_id HAVING count(*) > 1) t")
    assert restarted >= 1  # kills did land mid-job (those jobs ran again)
    print(f"{kills} kills, {restarted} jobs started again")
    before = _snapshot(session_factory)
    with UnitOfWork(session_factory) as uow:
        uow.projections.rebuild(None)
        uow.commit()
    assert _snapshot(session_factory) == before
