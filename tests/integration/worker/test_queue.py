"""The real queue (procrastinate on PostgreSQL) with real worker processes."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time

from eioku.services import analysis
from eioku.services.ingest import register_path
from eioku.store.uow import UnitOfWork
from eioku_ml.worker.daemon import queues_for, run_pool, worker_process
from sqlalchemy import text

from tests.media import SAMPLE, copy_with_suffix, make_clip, noise_frames


def _queue(factory, paths, analyzers):
    run_ids = []
    with UnitOfWork(factory) as uow:
        for path in paths:
            video, _ = register_path(uow, path)
            run_ids += [r.run_id for r in analysis.queue_analysis(uow, video, "fast", analyzers)]
        uow.commit()
    return run_ids


def _wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _scalar(factory, sql, **params):
    with factory() as session:
        return session.execute(text(sql), params).scalar()


def test_two_workers_process_ten_jobs_exactly_once(session_factory, db_url, tmp_path):
    clips = [copy_with_suffix(SAMPLE, tmp_path / f"v{i}.mp4", f"#{i}".encode()) for i in range(10)]
    run_ids = _queue(session_factory, clips, ["metadata"])
    assert len(run_ids) == 10
    assert run_pool(db_url, concurrency=2, wait=False, forward_signals=False) == 0
    assert _scalar(session_factory, "SELECT count(*) FROM runs WHERE status = 'completed'") == 10
    assert _scalar(session_factory, "SELECT count(*) FROM artifacts") == 10  # one per run
    started = _scalar(session_factory,
                      "SELECT max(n) FROM (SELECT count(*) AS n FROM procrastinate_events "
                      "WHERE type = 'started' GROUP BY job_id) t")
    assert started == 1  # no job ran twice
    done = _scalar(session_factory, "SELECT count(*) FROM procrastinate_jobs "
                                    "WHERE task_name = 'eioku.analyze_run' AND status = 'succeeded'")
    assert done == 10


def _start_worker(db_url, env):
    ctx = mp.get_context("spawn")
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        proc = ctx.Process(target=worker_process, args=(db_url, None, True, "cpu"))
        proc.start()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return proc


def _long_clip(tmp_path):
    # a few seconds of decoding: long enough to be caught mid-job
    return make_clip(tmp_path / "long.mp4", noise_frames(1500, (320, 192)), size=(320, 192))


def test_killed_worker_leaves_nothing_and_the_job_completes_after_restart(
        session_factory, db_url, tmp_path):
    (run_id,) = _queue(session_factory, [_long_clip(tmp_path)], ["scenes"])
    env = {"EIOKU_STALLED_AFTER_S": "2"}
    first = _start_worker(db_url, env)
    try:
        assert _wait_for(lambda: _scalar(session_factory, "SELECT status FROM runs WHERE run_id = :r",
                                         r=run_id) == "running")
        os.kill(first.pid, signal.SIGKILL)
        first.join(10)
    finally:
        if first.is_alive():
            first.kill()
    assert _scalar(session_factory, "SELECT count(*) FROM artifacts") == 0  # no partial artifacts
    time.sleep(3)  # its heartbeat goes stale
    second = _start_worker(db_url, env)
    try:
        assert _wait_for(lambda: _scalar(session_factory, "SELECT status FROM runs WHERE run_id = :r",
                                         r=run_id) == "completed", timeout=120)
    finally:
        os.kill(second.pid, signal.SIGTERM)
        second.join(30)
    total = _scalar(session_factory, "SELECT count(*) FROM artifacts WHERE run_id = :r", r=run_id)
    distinct = _scalar(session_factory, "SELECT count(DISTINCT payload->>'scene_index') "
                                        "FROM artifacts WHERE run_id = :r", r=run_id)
    assert total == distinct > 0  # no duplicates


def test_sigterm_lets_the_current_job_finish(session_factory, db_url, tmp_path):
    (run_id,) = _queue(session_factory, [_long_clip(tmp_path)], ["scenes"])
    worker = _start_worker(db_url, {})
    assert _wait_for(lambda: _scalar(session_factory, "SELECT status FROM runs WHERE run_id = :r",
                                     r=run_id) == "running")
    os.kill(worker.pid, signal.SIGTERM)
    worker.join(120)
    assert worker.exitcode == 0
    assert _scalar(session_factory, "SELECT status FROM runs WHERE run_id = :r",
                   r=run_id) == "completed"


def test_worker_queues_follow_analyzers():
    assert queues_for(["scenes"], None) == ["analysis.scenes", "playback", "compilations"]  # proxies too
    assert queues_for(None, ["custom"]) == ["custom"]
    assert queues_for(None, None) is None
