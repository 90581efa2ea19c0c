"""Analysis asked for several times at once (a double click, two tabs, a
retrying client) is queued once: one run per analyzer and one frame-pass job,
and every caller gets the same runs (docs/api.md). Real concurrency: requests
on a real server socket, and the service function in parallel sessions."""

from __future__ import annotations

import threading

import httpx
import pytest
from eioku.config import Settings, get_settings
from eioku.services import analysis
from eioku.services.ingest import register_path
from eioku.store.jobs import FRAME_PASS_TASK
from eioku.store.uow import UnitOfWork
from sqlalchemy import text

from tests.e2e.browser import live_server
from tests.media import SAMPLE

CALLERS = 4


@pytest.fixture(autouse=True)
def _frame_pass(monkeypatch):
    monkeypatch.setenv("EIOKU_FRAME_PASS", "1")
    monkeypatch.delenv("EIOKU_ANALYZERS", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _register(session_factory, tmp_path, name):
    clip = tmp_path / name
    clip.write_bytes(SAMPLE.read_bytes() + name.encode())  # another video each time
    with UnitOfWork(session_factory) as uow:
        video, _ = register_path(uow, clip)
        uow.commit()
    return video.video_id


def _queued(session_factory, video_id):
    """(runs per analyzer, frame-pass jobs) of the video."""
    with UnitOfWork(session_factory) as uow:
        per_analyzer = dict(uow.session.execute(text(
            "SELECT analyzer, count(*) FROM runs WHERE asset_id = :v GROUP BY analyzer"),
            {"v": video_id}).tuples().all())
        passes = uow.session.execute(text(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = :t AND args -> 'run_ids' ?| "
            "(SELECT array_agg(CAST(run_id AS text)) FROM runs WHERE asset_id = :v)"),
            {"t": FRAME_PASS_TASK, "v": video_id}).scalar_one()
    return per_analyzer, passes


def _at_once(call):
    """Run ``call(i)`` in CALLERS threads released together; their results."""
    start = threading.Barrier(CALLERS)
    results: list = [None] * CALLERS
    errors: list[BaseException] = []

    def caller(i):
        try:
            start.wait(10)
            results[i] = call(i)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(CALLERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a caller hung"
    assert errors == []
    return results


def test_concurrent_requests_on_a_real_server_queue_the_analysis_once(db_url, session_factory, tmp_path):
    video_id = _register(session_factory, tmp_path, "clip.mp4")
    with live_server(Settings(database_url=db_url, data_dir=tmp_path / "data")) as base, \
            httpx.Client(base_url=base, timeout=30) as http:
        answers = _at_once(lambda i: http.post(f"/v1/videos/{video_id}/analyze",
                                               json={"profile": "fast"}))
    assert [a.status_code for a in answers] == [202] * CALLERS, [a.text for a in answers]
    run_ids = [sorted(a.json()["run_ids"]) for a in answers]
    assert all(ids == run_ids[0] for ids in run_ids)  # every caller got the same runs
    per_analyzer, passes = _queued(session_factory, video_id)
    assert set(per_analyzer.values()) == {1} and len(per_analyzer) == len(run_ids[0]), per_analyzer
    assert {"metadata", "scenes", "faces", "embeddings"} <= set(per_analyzer)
    assert passes == 1


def test_queue_analysis_in_parallel_sessions_creates_one_run_per_analyzer(session_factory, tmp_path):
    for attempt in range(3):
        video_id = _register(session_factory, tmp_path, f"clip-{attempt}.mp4")

        def queue(i, video_id=video_id):
            with UnitOfWork(session_factory) as uow:
                runs = analysis.queue_analysis(uow, uow.videos.get(video_id), "fast")
                uow.commit()
            return sorted(r.run_id for r in runs)

        results = _at_once(queue)
        assert all(ids == results[0] for ids in results)
        per_analyzer, passes = _queued(session_factory, video_id)
        assert set(per_analyzer.values()) == {1}, per_analyzer
        assert passes == 1
