"""The sounds and segments stages through the worker on a registered video:
their artifacts validate, are stored and projected (what jumps and the
timeline read), and a segments run is never copied from an earlier run of
the same file — its intro depends on the other videos of the folder."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from eioku.services import analysis
from eioku.store.uow import UnitOfWork
from eioku_ml.worker.execute import AnalyzerCache, execute_run
from sqlalchemy import text

from tests.speech_media import RATE, talking_video


@pytest.fixture(autouse=True)
def per_run_jobs(monkeypatch, tmp_path):
    from eioku.config import get_settings

    monkeypatch.setenv("EIOKU_FRAME_PASS", "0")
    monkeypatch.setenv("EIOKU_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _queue(session_factory, path, analyzers):
    with UnitOfWork(session_factory) as uow:
        from eioku.services.ingest import register_path

        video, _ = register_path(uow, path)
        runs = analysis.queue_analysis(uow, video, "fast", analyzers)
        uow.commit()
    return video, {r.analyzer: r for r in runs}


@pytest.fixture
def clip(tmp_path):
    """4 s of a tone, 3 s of silence, 3 s of a tone over a black picture."""
    t = np.arange(4 * RATE) / RATE
    tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    audio = np.concatenate([tone, np.zeros(3 * RATE, np.float32), tone[: 3 * RATE]])
    folder = tmp_path / "show"
    folder.mkdir()
    return talking_video(folder / "a.mp4", audio, fps=4, size=(64, 48),
                         picture=lambda s: np.full((48, 64, 3), 0 if s < 5 else 120, np.uint8))


def test_sounds_and_segments_stored_and_projected(session_factory, clip):
    cache = AnalyzerCache()
    video, runs = _queue(session_factory, clip, ["sounds", "segments"])
    for name in ("sounds", "segments"):
        outcome = execute_run(session_factory, runs[name].run_id, cache)
        assert outcome.status == "completed", outcome
    with UnitOfWork(session_factory) as uow:
        events = uow.session.execute(text(
            "SELECT label, start_ms, end_ms FROM audio_events WHERE run_id = :r ORDER BY start_ms, label"),
            {"r": runs["sounds"].run_id}).all()
        segments = uow.session.execute(text(
            "SELECT segment_type, start_ms, end_ms FROM segments WHERE run_id = :r ORDER BY start_ms"),
            {"r": runs["segments"].run_id}).all()
    labels = [e.label for e in events]
    assert "programme" in labels and "silence" in labels
    (silence,) = [e for e in events if e.label == "silence"]
    assert abs(silence.start_ms - 4000) <= 300 and abs(silence.end_ms - 7000) <= 300
    kinds = {s.segment_type: s for s in segments}
    assert abs(kinds["silence"].start_ms - 4000) <= 300 and abs(kinds["silence"].end_ms - 7000) <= 300
    assert kinds["black"].start_ms == 0 and abs(kinds["black"].end_ms - 5000) <= 500


def test_a_segments_run_is_never_reused(session_factory, clip, tmp_path):
    cache = AnalyzerCache()
    video, first = _queue(session_factory, clip, ["segments", "sounds"])
    for name in ("segments", "sounds"):
        assert execute_run(session_factory, first[name].run_id, cache).status == "completed"
    shutil.copy(clip, clip.parent / "b.mp4")  # a sibling arrives: the folder changed
    _, second = _queue(session_factory, clip, ["segments", "sounds"])
    assert execute_run(session_factory, second["segments"].run_id, cache).status == "completed"
    assert execute_run(session_factory, second["sounds"].run_id, cache).status == "reused"
    with UnitOfWork(session_factory) as uow:
        assert uow.runs.get(second["segments"].run_id).reused_from is None


def _episode(path, seed):
    """3 s of its own noise, the shared 14 s theme (drascula-music), 5 s of its own noise."""
    from tests.sounds_eval import track

    rng = np.random.default_rng(seed)
    own = lambda s: (rng.normal(0, 0.05, int(s * RATE))).astype(np.float32)  # noqa: E731
    audio = np.concatenate([own(3), track(2)[5 * RATE:19 * RATE], own(5)])
    return talking_video(path, audio, fps=2, size=(64, 48))


def test_an_intro_found_later_reanalyses_the_older_episode(session_factory, tmp_path):
    cache = AnalyzerCache()
    folder = tmp_path / "series"
    folder.mkdir()
    first = _episode(folder / "e1.mp4", 1)
    one, runs = _queue(session_factory, first, ["segments"])
    assert execute_run(session_factory, runs["segments"].run_id, cache).status == "completed"

    def intro(video_id):
        with UnitOfWork(session_factory) as uow:
            return uow.session.execute(text(
                "SELECT s.start_ms, s.end_ms FROM segments s JOIN runs r ON r.run_id = s.run_id "
                "WHERE r.asset_id = :v AND s.segment_type = 'intro' ORDER BY r.created_at DESC"),
                {"v": video_id}).first()

    assert intro(one.video_id) is None  # alone in its folder
    two, runs = _queue(session_factory, _episode(folder / "e2.mp4", 2), ["segments"])
    assert execute_run(session_factory, runs["segments"].run_id, cache).status == "completed"
    assert intro(two.video_id) is not None
    with UnitOfWork(session_factory) as uow:  # the first episode's stage queued again
        again = uow.session.execute(text(
            "SELECT run_id FROM runs WHERE asset_id = :v AND analyzer = 'segments' AND status = 'queued'"),
            {"v": one.video_id}).scalars().all()
    assert len(again) == 1
    assert execute_run(session_factory, again[0], cache).status == "completed"
    start, end = intro(one.video_id)
    assert abs(start - 3000) <= 1000 and abs(end - 17_000) <= 1000
    with UnitOfWork(session_factory) as uow:  # and nothing loops: no run queued for either now
        assert uow.session.execute(text(
            "SELECT count(*) FROM runs WHERE analyzer = 'segments' AND status = 'queued'")).scalar_one() == 0
