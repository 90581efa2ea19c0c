"""Chunk jobs: a long video's run is split into ranges any worker can take;
it completes (and becomes visible) only when every chunk is stored, a chunk
done twice counts once, a chunk that fails transiently is retried alone, and
one that fails for good fails its run (real models on the sample, 4 s chunks)."""

from __future__ import annotations

import pytest
from eioku.config import get_settings
from eioku.store.jobs import TO_THE_END, plan_chunks
from eioku.store.uow import UnitOfWork
from eioku_ml.analyzers import analyzer_class
from eioku_ml.analyzers.quality import QualityAnalyzer
from eioku_ml.errors import TransientAnalysisError
from eioku_ml.media import framepass
from eioku_ml.worker.chunks import execute_chunk
from eioku_ml.worker.execute import AnalyzerCache, Attempt, execute_pass
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from tests.integration.worker.test_frame_pass import _queue
from tests.media import SAMPLE

pytestmark = pytest.mark.models


@pytest.fixture(autouse=True)
def _four_second_chunks(monkeypatch):
    monkeypatch.setenv("EIOKU_CHUNK_S", "4")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _state(session_factory, video_id):
    with UnitOfWork(session_factory) as uow:
        runs = dict(uow.session.execute(text(
            "SELECT analyzer, status FROM runs WHERE asset_id = :v"), {"v": video_id}).tuples().all())
        artifacts = uow.session.execute(text(
            "SELECT count(*) FROM artifacts WHERE asset_id = :v"), {"v": video_id}).scalar_one()
        chunks = uow.session.execute(text(
            "SELECT c.chunk, c.start_ms, c.end_ms, c.done_at IS NOT NULL, c.job_id FROM run_chunks c "
            "JOIN runs r USING (run_id) WHERE r.asset_id = :v AND r.analyzer = 'scenes' ORDER BY chunk"),
            {"v": video_id}).all()
    return runs, artifacts, chunks


@given(duration_ms=st.integers(0, 10**8), chunk_s=st.floats(0, 10**4))
def test_chunk_plans_cover_the_video_once(duration_ms, chunk_s):
    ranges = plan_chunks(duration_ms, chunk_s)
    if not ranges:  # short enough to stay whole
        assert chunk_s * 1000 < 1 or duration_ms <= int(chunk_s * 1000) * 1.25
        return
    assert ranges[0][0] == 0 and ranges[-1][1] == TO_THE_END
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))  # no gap, no overlap
    assert all(e - s <= chunk_s * 1000 for s, e in ranges[:-1])
    assert len(ranges) >= 2


def test_a_run_is_visible_only_when_every_chunk_is_in(session_factory):
    video, runs = _queue(session_factory, SAMPLE, ["scenes", "quality"])
    ids = [runs["scenes"].run_id, runs["quality"].run_id]
    outcomes = execute_pass(session_factory, ids, AnalyzerCache())
    assert {o.status for o in outcomes} == {"chunked"}
    _, artifacts, chunks = _state(session_factory, video.video_id)
    assert [(c, s, e) for c, s, e, _, _ in chunks] == [(0, 0, 4000), (1, 4000, 8000), (2, 8000, TO_THE_END)]
    assert len({job for *_, job in chunks}) == 3  # a job per chunk, for both runs
    assert execute_pass(session_factory, ids, AnalyzerCache())[0].status == "chunked"  # a retried split
    assert len(_state(session_factory, video.video_id)[2]) == 3  # ... queues nothing new

    cache = AnalyzerCache()
    before = framepass.DECODES["video"]
    for chunk in (2, 0):  # any order, any worker
        assert {o.status for o in execute_chunk(session_factory, ids, chunk, cache)} == {"chunk"}
    assert framepass.DECODES["video"] - before == 2  # one decode per chunk for both analyzers
    states, artifacts, chunks = _state(session_factory, video.video_id)
    assert states == {"scenes": "running", "quality": "running"} and artifacts == 0
    assert [done for _, _, _, done, _ in chunks] == [True, False, True]

    assert {o.status for o in execute_chunk(session_factory, ids, 1, cache)} == {"completed"}
    assert {o.status for o in execute_chunk(session_factory, ids, 1, cache)} == {"skipped"}  # done twice
    states, artifacts, _ = _state(session_factory, video.video_id)
    assert states == {"scenes": "completed", "quality": "completed"}
    with UnitOfWork(session_factory) as uow:
        scenes = uow.artifacts.get_by_asset(video.video_id, "scene")
        (quality,) = uow.artifacts.get_by_asset(video.video_id, "video.quality")
        assert uow.runs.get(runs["scenes"].run_id).timings["chunks"] == 3
    assert [round(s.span_start_ms / 1000) for s in scenes] == [0, 3, 6, 9]
    assert [s.payload["scene_index"] for s in scenes] == [0, 1, 2, 3]
    assert quality.payload["scene_cut_count"] == 3 and quality.payload["status"] == "pass"


class FlakyQuality(QualityAnalyzer):
    """Runs out of memory once in the chunk from 4 to 8 s."""

    failures = 1

    def observe(self, frame):
        if frame.time_ms >= 5000 and FlakyQuality.failures:
            FlakyQuality.failures -= 1
            raise MemoryError
        return super().observe(frame)


def _split_with_flaky_quality(session_factory):
    """Scenes and a quality analyzer that runs out of memory once, split in chunks."""
    FlakyQuality.failures = 1
    cache = AnalyzerCache(lambda name, cfg: FlakyQuality(cfg) if name == "quality"
                          else analyzer_class(name)(cfg))
    video, runs = _queue(session_factory, SAMPLE, ["scenes", "quality"])
    ids = [runs["scenes"].run_id, runs["quality"].run_id]
    execute_pass(session_factory, ids, cache)
    return video, ids, cache


def test_a_chunk_that_fails_transiently_is_retried_alone(session_factory):
    video, ids, cache = _split_with_flaky_quality(session_factory)
    execute_chunk(session_factory, ids, 0, cache)
    with pytest.raises(TransientAnalysisError, match="out of memory"):
        execute_chunk(session_factory, ids, 1, cache, Attempt(0, 4))
    with UnitOfWork(session_factory) as uow:
        done = dict(uow.session.execute(text(
            "SELECT r.analyzer, c.done_at IS NOT NULL FROM run_chunks c JOIN runs r USING (run_id) "
            "WHERE c.chunk = 1")).tuples().all())
    assert done == {"scenes": True, "quality": False}  # scenes' part of the chunk is kept
    before = framepass.DECODES["video"]
    outcomes = execute_chunk(session_factory, ids, 1, cache, Attempt(1, 4))  # the retry
    assert [o.status for o in outcomes] == ["skipped", "chunk"]  # only quality is redone
    assert framepass.DECODES["video"] - before == 1
    execute_chunk(session_factory, ids, 2, cache)
    states, _, _ = _state(session_factory, video.video_id)
    assert states == {"scenes": "completed", "quality": "completed"}


def test_a_chunk_that_fails_for_good_fails_its_run(session_factory):
    video, ids, cache = _split_with_flaky_quality(session_factory)
    outcomes = execute_chunk(session_factory, ids, 1, cache, Attempt(3, 4))  # the last attempt
    assert [o.status for o in outcomes] == ["chunk", "failed"]
    assert "out of memory (gave up after 4 attempts)" in outcomes[1].error
    for chunk in (0, 2):
        execute_chunk(session_factory, ids, chunk, cache)
    states, _, _ = _state(session_factory, video.video_id)
    assert states == {"scenes": "completed", "quality": "failed"}
