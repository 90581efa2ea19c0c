"""The frame pass: one decode per video feeds every frame analyzer, each run
keeps its own result and failure, and the results equal running each
analyzer on its own (real models on the sample)."""

from __future__ import annotations

import json

import pytest
from eioku.services import analysis
from eioku.services.ingest import register_path
from eioku.store.uow import UnitOfWork
from eioku_ml.analyzers import analyzer_class
from eioku_ml.analyzers.base import FrameAnalyzer, FrameWant, MediaInput
from eioku_ml.media import framepass
from eioku_ml.media.decode import probe
from eioku_ml.worker.execute import AnalyzerCache, execute_pass
from sqlalchemy import text

from tests.media import SAMPLE, corrupt_copy

FRAME_ANALYZERS = ["scenes", "quality", "objects", "ocr", "faces", "places"]
pytestmark = pytest.mark.models


def _queue(session_factory, path, analyzers):
    with UnitOfWork(session_factory) as uow:
        video, _ = register_path(uow, path)
        runs = analysis.queue_analysis(uow, video, "fast", analyzers)
        uow.commit()
    return video, {r.analyzer: r for r in runs}


def _canonical(items):
    return sorted((s, e, json.dumps(p, sort_keys=True)) for s, e, p in items)


def _jobs(session_factory, video_id):
    with UnitOfWork(session_factory) as uow:
        return dict(uow.session.execute(text(
            "SELECT analyzer, job_id FROM runs WHERE asset_id = :v"), {"v": video_id}).tuples().all())


def test_frame_analyzers_queued_together_share_one_job(session_factory):
    video, runs = _queue(session_factory, SAMPLE, None)
    jobs = _jobs(session_factory, video.video_id)
    assert len({jobs[a] for a in FRAME_ANALYZERS}) == 1  # one frame-pass job
    # every run has its job, but embeddings, transcript (it reads the on-screen words), speakers,
    # chapters, entities and languages: they wait for the runs they use
    waiting = ("embeddings", "transcript", "speakers", "chapters", "entities", "languages")
    assert None not in [j for a, j in jobs.items() if a not in waiting]
    assert [jobs[a] for a in waiting] == [None] * len(waiting)
    assert jobs["metadata"] not in {jobs[a] for a in FRAME_ANALYZERS}


def test_one_decode_and_the_same_results_as_separate_runs(session_factory):
    video, runs = _queue(session_factory, SAMPLE, FRAME_ANALYZERS)
    before = framepass.DECODES["video"]
    outcomes = execute_pass(session_factory, [runs[a].run_id for a in FRAME_ANALYZERS], AnalyzerCache())
    assert framepass.DECODES["video"] - before == 1  # the whole analysis decoded the video once
    assert {o.status for o in outcomes} == {"completed"}
    media = MediaInput(SAMPLE, probe(SAMPLE))
    with UnitOfWork(session_factory) as uow:
        for name in FRAME_ANALYZERS:
            run = uow.runs.get(runs[name].run_id)
            assert run.timings["frame_pass_runs"] == len(FRAME_ANALYZERS)
            assert run.timings["pass_cpu_s"] > 0  # the pass's CPU, all its threads (make bench)
            stored = [(a.span_start_ms, a.span_end_ms, a.payload)
                      for a in uow.artifacts.get_by_asset(video.video_id, run.artifact_type)]
            context = {"scenes": uow.artifacts.get_by_asset(video.video_id, "scene")} \
                if name in ("quality", "ocr", "places") else {}
            alone = analyzer_class(name)(run.config).analyze(media, lambda f: None, context)
            expected = [(i.span_start_ms, i.span_end_ms, i.payload) for i in alone]
            if name == "faces":  # identities replace per-video cluster ids when stored
                stored = [(s, e, {**p, "cluster_id": None}) for s, e, p in stored]
                expected = [(s, e, {**p, "cluster_id": None}) for s, e, p in expected]
            assert _canonical(stored) == _canonical(expected), name


class Exploding(FrameAnalyzer):
    name = "objects"

    @property
    def want(self):
        return FrameWant(64, "rgb24", 1000)

    def take(self, frame):
        if frame.time_ms >= 3000:
            raise RuntimeError("detector exploded")

    def finish(self):
        return []


def test_one_analyzer_raising_fails_only_its_run(session_factory):
    cache = AnalyzerCache(lambda name, cfg: Exploding(cfg) if name == "objects"
                          else analyzer_class(name)(cfg))
    video, runs = _queue(session_factory, SAMPLE, ["scenes", "objects", "quality"])
    outcomes = {o.run_id: o for o in execute_pass(
        session_factory, [r.run_id for r in runs.values()], cache)}
    assert outcomes[runs["objects"].run_id].status == "failed"
    assert "RuntimeError: detector exploded" in outcomes[runs["objects"].run_id].error
    assert outcomes[runs["scenes"].run_id].status == "completed"
    assert outcomes[runs["quality"].run_id].status == "completed"
    with UnitOfWork(session_factory) as uow:
        (quality,) = uow.artifacts.get_by_asset(video.video_id, "video.quality")
        assert quality.payload["scene_cut_count"] == 3  # the cuts the same pass found


def test_a_file_that_breaks_mid_stream_in_a_pass(session_factory, tmp_path):
    corrupt = corrupt_copy(SAMPLE, tmp_path / "corrupt.mp4")
    video, runs = _queue(session_factory, corrupt, ["scenes", "quality"])
    outcomes = {o.run_id: o for o in execute_pass(
        session_factory, [r.run_id for r in runs.values()], AnalyzerCache())}
    assert outcomes[runs["quality"].run_id].status == "completed"  # a verdict, with the reason
    # decoding goes on past the damage: what decodes is analysed (test_interrupted_files.py)
    assert outcomes[runs["scenes"].run_id].status == "completed"
    with UnitOfWork(session_factory) as uow:
        (quality,) = uow.artifacts.get_by_asset(video.video_id, "video.quality")
    assert quality.payload["decode_ok"] == (quality.payload["gaps"] == [])
    if quality.payload["gaps"]:
        assert quality.payload["status"] == "flagged"
        assert quality.payload["decoded_duration_s"] < quality.payload["video_duration_s"]


def test_a_run_already_finished_is_skipped_and_a_missing_file_fails_every_run(session_factory, tmp_path):
    clip = tmp_path / "gone.mp4"
    clip.write_bytes(SAMPLE.read_bytes() + b"x")
    video, runs = _queue(session_factory, clip, ["scenes", "quality"])
    clip.unlink()
    outcomes = execute_pass(session_factory, [r.run_id for r in runs.values()], AnalyzerCache())
    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert all("no such file" in o.error for o in outcomes)
    again = execute_pass(session_factory, [r.run_id for r in runs.values()], AnalyzerCache())
    assert [o.status for o in again] == ["skipped", "skipped"]
