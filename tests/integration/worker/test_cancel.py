"""Cancelling a video's analysis while a worker runs it (POST /v1/videos/{id}/cancel
calls services.analysis.cancel_analysis): the run ends failed "cancelled by the
user" and stays so; what the worker finishes anyway is not stored; a run
cancelled before its job starts is skipped. Fake analyzers stand in for models
(orchestration test)."""

from __future__ import annotations

import pytest
from eioku.services import analysis
from eioku.services.analysis import CANCELLED
from eioku.store.uow import UnitOfWork
from eioku_ml.analyzers.base import Analyzer, Item
from eioku_ml.worker.execute import AnalyzerCache, execute_run

from tests.media import SAMPLE, copy_with_suffix


@pytest.fixture(autouse=True)
def per_run_jobs(monkeypatch):
    from eioku.config import get_settings

    monkeypatch.setenv("EIOKU_FRAME_PASS", "0")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def queue(session_factory, path):
    with UnitOfWork(session_factory) as uow:
        from eioku.services.ingest import register_path

        video, _ = register_path(uow, path)
        (run,) = analysis.queue_analysis(uow, video, "fast", ["scenes"])
        uow.commit()
    return video, run


def cancel(session_factory, video_id):
    with UnitOfWork(session_factory) as uow:
        cancelled = analysis.cancel_analysis(uow, video_id)
        uow.commit()
    return cancelled


def state(session_factory, video_id, run_id):
    with UnitOfWork(session_factory) as uow:
        run = uow.runs.get(run_id)
        return run.status, run.error, len(uow.artifacts.get_by_asset(video_id, "scene"))


def test_a_run_cancelled_while_the_worker_analyses_stays_cancelled(session_factory, tmp_path):
    video, run = queue(session_factory, copy_with_suffix(SAMPLE, tmp_path / "a.mp4", b"\0cancel-a"))

    class CancelledMidway(Analyzer):
        name = "scenes"

        def _analyze(self, media, progress, context):
            progress(0.5)
            assert [r.run_id for r in cancel(session_factory, video.video_id)] == [run.run_id]
            return [Item(0, 1000, {"scene_index": 0, "method": "fake", "score": 1.0, "frame_number": 0})]

    outcome = execute_run(session_factory, run.run_id, AnalyzerCache(lambda name, cfg: CancelledMidway(cfg)))
    assert outcome.status != "completed"
    assert state(session_factory, video.video_id, run.run_id) == ("failed", CANCELLED, 0)


def test_a_run_cancelled_before_its_job_starts_is_skipped(session_factory, tmp_path):
    video, run = queue(session_factory, copy_with_suffix(SAMPLE, tmp_path / "b.mp4", b"\0cancel-b"))
    assert [r.run_id for r in cancel(session_factory, video.video_id)] == [run.run_id]

    class NeverCalled(Analyzer):
        name = "scenes"

        def _analyze(self, media, progress, context):
            raise AssertionError("a cancelled run was analysed")

    outcome = execute_run(session_factory, run.run_id, AnalyzerCache(lambda name, cfg: NeverCalled(cfg)))
    assert outcome.status == "skipped"
    assert state(session_factory, video.video_id, run.run_id) == ("failed", CANCELLED, 0)
    assert cancel(session_factory, video.video_id) == []
