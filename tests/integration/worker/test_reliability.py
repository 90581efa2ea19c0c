"""Defects found by trying Eioku as a new user would (issue 11), each with its
regression test: reuse keeps the profile of the run it serves, external
producers cannot poison reuse, and the worker checks the media roots again
when it opens a file."""

from __future__ import annotations

import pytest
from eioku.config import get_settings
from eioku.domain.enums import ModelProfile
from eioku.domain.models import SelectionOverride
from eioku.services import analysis
from eioku.services.ingest import register_path
from eioku.services.pipeline import ANALYZERS
from eioku.store.uow import UnitOfWork
from eioku_ml.analyzers.base import Analyzer, Item
from eioku_ml.worker.execute import AnalyzerCache, execute_run
from sqlalchemy import text

from tests.factories import add_run, payload_for
from tests.media import SAMPLE


class CountingScenes(Analyzer):
    name = "scenes"
    calls = 0

    def _analyze(self, media, progress, context):
        CountingScenes.calls += 1
        return [Item(0, 1000, payload_for("scene", 0))]


@pytest.fixture(autouse=True)
def one_job_per_run(monkeypatch):
    monkeypatch.setenv("EIOKU_FRAME_PASS", "0")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _queue(factory, path, profile, analyzers=("scenes",)):
    with UnitOfWork(factory) as uow:
        video, _ = register_path(uow, path)
        (run,) = analysis.queue_analysis(uow, video, profile, list(analyzers))
        uow.commit()
    return video, run


def test_a_reused_run_shows_its_own_profile(session_factory, monkeypatch):
    from eioku.services import pipeline

    # a profile whose scenes config equals the fast one: the run is reused, not recomputed
    spec = pipeline.ANALYZERS["scenes"]
    monkeypatch.setitem(pipeline.ANALYZERS, "scenes", pipeline.AnalyzerSpec(
        spec.name, spec.artifact_type, spec.producer, spec.version,
        profiles={"fast": spec.config("fast"), "high_quality": spec.config("fast")}))
    cache = AnalyzerCache(lambda name, cfg: CountingScenes(cfg))
    CountingScenes.calls = 0
    video, fast = _queue(session_factory, SAMPLE, "fast")
    assert execute_run(session_factory, fast.run_id, cache).status == "completed"
    _, best = _queue(session_factory, SAMPLE, "high_quality")
    assert execute_run(session_factory, best.run_id, cache).status == "reused"
    assert CountingScenes.calls == 1
    with UnitOfWork(session_factory) as uow:
        shown = uow.artifacts.get_by_asset(
            video.video_id, "scene", selection=SelectionOverride(profile=ModelProfile.HIGH_QUALITY))
        assert shown and {a.model_profile for a in shown} == {"high_quality"}
        assert {a.run_id for a in shown} == {best.run_id}
        fast_rows = uow.artifacts.get_by_asset(
            video.video_id, "scene", selection=SelectionOverride(profile=ModelProfile.FAST))
        assert {a.model_profile for a in fast_rows} == {"fast"}


def test_runs_of_external_producers_are_never_reused(session_factory):
    with UnitOfWork(session_factory) as uow:
        video, _ = register_path(uow, SAMPLE)
        producer_spec = analysis.ANALYZERS["scenes"]
        producer, config = producer_spec.plan("fast", get_settings())
        # someone claims the built-in producer, version, config and this file's hash
        poison = add_run(uow, video.video_id, "scene", producer=producer,
                         version=producer_spec.version, config=config, input_hash=video.content_hash)
        uow.session.execute(text("UPDATE runs SET analyzer = 'external:evil' WHERE run_id = :r"),
                            {"r": poison.run_id})
        uow.artifacts.batch_create(poison, [{"span_start_ms": 0, "span_end_ms": 5,
                                             "payload": payload_for("scene", 0, method="poison")}])
        uow.runs.complete(poison.run_id)
        uow.commit()
    CountingScenes.calls = 0
    _, run = _queue(session_factory, SAMPLE, "fast")
    outcome = execute_run(session_factory, run.run_id, AnalyzerCache(lambda n, c: CountingScenes(c)))
    assert outcome.status == "completed" and CountingScenes.calls == 1  # computed, not copied


def test_the_worker_rechecks_the_media_roots_when_it_opens_the_file(session_factory, tmp_path,
                                                                    monkeypatch):
    root = tmp_path / "media"
    root.mkdir()
    link = root / "clip.mp4"
    link.write_bytes(SAMPLE.read_bytes())
    monkeypatch.setenv("EIOKU_MEDIA_ROOTS", str(root))
    get_settings.cache_clear()
    _, run = _queue(session_factory, link, "fast", ("metadata",))
    secret = tmp_path / "secret.mp4"
    secret.write_bytes(SAMPLE.read_bytes() + b"secret")
    link.unlink()
    link.symlink_to(secret)  # swapped after registration: now points out of the roots
    outcome = execute_run(session_factory, run.run_id, AnalyzerCache())
    assert outcome.status == "failed" and "outside the media roots" in outcome.error


def _audio_only(path):
    """The sample's sound track alone, in an MP4 audio file (a voice memo)."""
    import av

    with av.open(str(SAMPLE)) as src, av.open(str(path), "w", format="mp4") as dst:
        audio = src.streams.audio[0]
        out = dst.add_stream_from_template(audio)
        for packet in src.demux(audio):
            if packet.dts is None:
                continue
            packet.stream = out
            dst.mux(packet)
    return path


@pytest.mark.models
def test_an_audio_only_file_is_transcribed_and_frame_analyzers_find_nothing(session_factory, tmp_path,
                                                                             monkeypatch):
    from eioku_ml.worker.execute import execute_pass

    monkeypatch.setenv("EIOKU_FRAME_PASS", "1")
    get_settings.cache_clear()
    memo = _audio_only(tmp_path / "memo.m4a")
    with UnitOfWork(session_factory) as uow:
        video, _ = register_path(uow, memo)
        runs = {r.analyzer: r for r in analysis.queue_analysis(uow, video, "fast")}
        uow.commit()
    cache = AnalyzerCache()
    frame = [r.run_id for name, r in runs.items() if ANALYZERS[name].frame_pass]
    outcomes = [*execute_pass(session_factory, frame, cache),
                execute_run(session_factory, runs["metadata"].run_id, cache),
                execute_run(session_factory, runs["transcript"].run_id, cache),
                execute_run(session_factory, runs["embeddings"].run_id, cache)]
    assert {o.status for o in outcomes} == {"completed"}, [o.error for o in outcomes]
    with UnitOfWork(session_factory) as uow:
        counts = {name: len(uow.artifacts.get_by_asset(video.video_id, r.artifact_type))
                  for name, r in runs.items()}
        assert counts["transcript"] >= 3 and counts["metadata"] == 1
        # what was said is searchable by meaning (segments, and the one "shot": the whole file)
        assert counts["embeddings"] == counts["transcript"] + 1
        assert all(counts[n] == 0 for n in ("scenes", "quality", "objects", "ocr", "faces", "places"))
        (meta,) = uow.artifacts.get_by_asset(video.video_id, "video.metadata")
        assert meta.payload["width"] is None and meta.payload["duration_s"] == pytest.approx(12, abs=0.2)
        from eioku.services import navigation

        (hit,) = navigation.find(uow.session, video.video_id, "invoice")
        assert abs(hit.start_ms - 6400) <= 1000


def test_stages_switched_off_by_configuration(session_factory, monkeypatch):
    """EIOKU_ANALYZERS: only those stages are queued; one that only *uses* a
    switched-off stage runs without waiting for it; asking for a switched-off
    stage, or one whose hard dependency is off, is refused at once."""
    from eioku.domain.errors import ValidationFailedError
    from eioku.services import pipeline

    monkeypatch.setenv("EIOKU_ANALYZERS", "metadata, quality")
    get_settings.cache_clear()
    with UnitOfWork(session_factory) as uow:
        video, _ = register_path(uow, SAMPLE)
        runs = analysis.queue_analysis(uow, video, "fast")
        uow.commit()
    assert sorted(r.analyzer for r in runs) == ["metadata", "quality"]
    quality = next(r for r in runs if r.analyzer == "quality")
    outcome = execute_run(session_factory, quality.run_id, AnalyzerCache())
    assert outcome.status == "completed"  # scenes is off: quality did not wait for it
    with UnitOfWork(session_factory) as uow, pytest.raises(ValidationFailedError,
                                                           match="switched off by EIOKU_ANALYZERS"):
        analysis.queue_analysis(uow, video, "fast", ["scenes"])
    spec = pipeline.AnalyzerSpec("needs_scenes", "video.metadata", "test/needs", "1",
                                 depends_on=("scenes",), profiles={"fast": {}})
    monkeypatch.setitem(pipeline.ANALYZERS, spec.name, spec)
    with pytest.raises(ValidationFailedError, match="which EIOKU_ANALYZERS"):
        pipeline.resolve(None, ["metadata", "needs_scenes"])
    with pytest.raises(ValidationFailedError, match="unknown analyzer"):
        pipeline.resolve(None, ["metadata", "telepathy"])


class OutOfMemory(Analyzer):
    name = "scenes"

    def _analyze(self, media, progress, context):
        raise MemoryError()


def test_out_of_memory_is_retried_then_fails_the_run_with_the_reason(session_factory):
    from eioku_ml.errors import TransientAnalysisError
    from eioku_ml.worker.execute import Attempt

    _, run = _queue(session_factory, SAMPLE, "fast")
    cache = AnalyzerCache(lambda name, cfg: OutOfMemory(cfg))
    with pytest.raises(TransientAnalysisError, match="out of memory; retrying"):
        execute_run(session_factory, run.run_id, cache, Attempt(0, 3))
    with UnitOfWork(session_factory) as uow:
        assert uow.runs.get(run.run_id).status == "running"  # not failed: it will be retried
    outcome = execute_run(session_factory, run.run_id, cache, Attempt(2, 3))
    assert outcome.status == "failed"
    assert outcome.error == "scenes: out of memory (gave up after 3 attempts)"


def test_a_frame_pass_retries_only_the_analyzer_that_ran_out_of_memory(session_factory, monkeypatch):
    from eioku_ml.analyzers import analyzer_class
    from eioku_ml.analyzers.base import FrameAnalyzer, FrameWant
    from eioku_ml.errors import TransientAnalysisError
    from eioku_ml.worker.execute import Attempt, execute_pass

    class Hungry(FrameAnalyzer):
        name = "objects"
        want = FrameWant(64, "rgb24", 1000)

        def take(self, frame):
            raise MemoryError()

        def finish(self):
            return []

    monkeypatch.setenv("EIOKU_FRAME_PASS", "1")
    get_settings.cache_clear()
    with UnitOfWork(session_factory) as uow:
        video, _ = register_path(uow, SAMPLE)
        runs = {r.analyzer: r for r in analysis.queue_analysis(uow, video, "fast", ["scenes", "objects"])}
        uow.commit()
    cache = AnalyzerCache(lambda n, c: Hungry(c) if n == "objects" else analyzer_class(n)(c))
    ids = [r.run_id for r in runs.values()]
    with pytest.raises(TransientAnalysisError, match="objects: out of memory"):
        execute_pass(session_factory, ids, cache, Attempt(0, 2))
    with UnitOfWork(session_factory) as uow:
        assert uow.runs.get(runs["scenes"].run_id).status == "completed"  # stored, not redone
        assert uow.runs.get(runs["objects"].run_id).status == "running"
    outcomes = {o.run_id: o for o in execute_pass(session_factory, ids, cache, Attempt(1, 2))}
    assert outcomes[runs["scenes"].run_id].status == "skipped"
    assert "gave up after 2 attempts" in outcomes[runs["objects"].run_id].error


def _stalled_job(session_factory, attempts: int):
    """A queued metadata run whose job a worker took, then died (its heartbeat
    an hour old), after ``attempts`` earlier attempts."""
    _, run = _queue(session_factory, SAMPLE, "fast", ("metadata",))
    with UnitOfWork(session_factory) as uow:
        job_id = uow.session.execute(text("SELECT job_id FROM runs WHERE run_id = :r"),
                                     {"r": run.run_id}).scalar_one()
        worker = uow.session.execute(text(
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '1 hour') "
            "RETURNING id")).scalar_one()
        uow.session.execute(text(
            "UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w, attempts = :a "
            "WHERE id = :j"), {"w": worker, "a": attempts, "j": job_id})
        uow.runs.start(run.run_id)
        uow.commit()
    return run, job_id


def test_a_job_whose_worker_keeps_dying_fails_its_runs_instead_of_running_forever(
        session_factory, db_url):
    import asyncio

    from eioku_ml.worker.queue import RETRY, make_app, retry_stalled_jobs

    run, job_id = _stalled_job(session_factory, attempts=RETRY.max_attempts - 1)
    app = make_app(db_url)

    async def recover():
        async with app.open_async():
            return await retry_stalled_jobs(app, seconds=1, factory=session_factory)

    assert asyncio.run(recover()) == 1
    with UnitOfWork(session_factory) as uow:
        failed = uow.runs.get(run.run_id)
        status = uow.session.execute(text("SELECT status FROM procrastinate_jobs WHERE id = :j"),
                                     {"j": job_id}).scalar_one()
    assert failed.status == "failed" and "died 4 times" in failed.error
    assert status == "failed"


def test_workers_recovering_at_once_requeue_a_stalled_job_once(session_factory, db_url):
    """After a restart every worker recovers stalled jobs at the same moment
    (the soak run saw two requeue job 24, the second one failing): they take
    turns, and each stalled job is requeued exactly once."""
    import asyncio

    from eioku_ml.worker.queue import make_app, retry_stalled_jobs

    _, job_id = _stalled_job(session_factory, attempts=0)
    apps = [make_app(db_url) for _ in range(4)]

    async def recover_all():
        async def one(app):
            async with app.open_async():
                return await retry_stalled_jobs(app, seconds=1, factory=session_factory)

        return await asyncio.gather(*(one(app) for app in apps))

    assert sorted(asyncio.run(recover_all())) == [0, 0, 0, 1]
    with UnitOfWork(session_factory) as uow:
        status, attempts = uow.session.execute(text(
            "SELECT status, attempts FROM procrastinate_jobs WHERE id = :j"), {"j": job_id}).one()
    assert (status, attempts) == ("todo", 1)  # the one earlier attempt: the dead worker's
