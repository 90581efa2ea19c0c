"""Running analysis jobs in-process: orchestration with fake analyzers (allowed
inside orchestration tests) and the real metadata/scenes/quality analyzers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from eioku.domain.errors import ValidationFailedError
from eioku.services import analysis, pipeline
from eioku.store.uow import UnitOfWork
from eioku_ml.analyzers.base import Analyzer, Item
from eioku_ml.worker.execute import AnalyzerCache, execute_run
from sqlalchemy import text

from tests.media import SAMPLE, constant_frames, copy_with_suffix, corrupt_copy, make_clip

TRUTH = json.loads((SAMPLE.parent / "sample.json").read_text())


@pytest.fixture(autouse=True)
def per_run_jobs(monkeypatch):
    """These tests drive the one-job-per-analyzer path (EIOKU_FRAME_PASS=0);
    test_frame_pass.py covers the shared decode."""
    from eioku.config import get_settings

    monkeypatch.setenv("EIOKU_FRAME_PASS", "0")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


class FakeScenes(Analyzer):
    name = "scenes"
    calls = 0

    def _analyze(self, media, progress, context):
        FakeScenes.calls += 1
        return [Item(0, 1000, {"scene_index": 0, "method": "fake", "score": 1.0,
                               "frame_number": 0})]


class Broken(Analyzer):
    name = "metadata"

    def _analyze(self, media, progress, context):
        raise RuntimeError("model exploded")


def _queue(session_factory, path, analyzers, profile="fast"):
    with UnitOfWork(session_factory) as uow:
        from eioku.services.ingest import register_path

        video, _ = register_path(uow, path)
        runs = analysis.queue_analysis(uow, video, profile, analyzers)
        uow.commit()
    return video, {r.analyzer: r for r in runs}


def _run_all(session_factory, runs, cache):
    return {name: execute_run(session_factory, run.run_id, cache) for name, run in runs.items()}


@pytest.fixture
def hard_dependent(monkeypatch):
    """An analyzer that cannot run without scenes (the built-in ones only *use*
    scenes when present, so the hard-dependency path needs its own spec)."""
    spec = pipeline.AnalyzerSpec("needs_scenes", "video.metadata", "test/needs-scenes", "1",
                                 depends_on=("scenes",), profiles={"fast": {}})
    monkeypatch.setitem(pipeline.ANALYZERS, spec.name, spec)
    return spec


def test_dependency_validation_errors(hard_dependent):
    with pytest.raises(ValidationFailedError, match="'needs_scenes' depends on scenes"):
        pipeline.resolve(["needs_scenes"])
    with pytest.raises(ValidationFailedError, match="unknown analyzer"):
        pipeline.resolve(["telepathy"])
    assert [s.name for s in pipeline.resolve(["quality", "scenes"])] == ["scenes", "quality"]
    assert [s.name for s in pipeline.resolve(["quality"])] == ["quality"]  # scenes is optional


def test_dependent_waits_for_its_dependency(session_factory):
    video, runs = _queue(session_factory, SAMPLE, ["scenes", "quality"])
    with UnitOfWork(session_factory) as uow:
        assert uow.session.execute(text(
            "SELECT analyzer, job_id IS NOT NULL FROM runs ORDER BY analyzer")).all() == [
            ("quality", False), ("scenes", True)]  # quality not deferred before scenes is done
    execute_run(session_factory, runs["scenes"].run_id, AnalyzerCache())
    with UnitOfWork(session_factory) as uow:
        assert uow.runs.get(runs["quality"].run_id).status == "queued"
        deferred = uow.session.execute(text(
            "SELECT job_id FROM runs WHERE run_id = :r"), {"r": runs["quality"].run_id}).scalar()
        assert deferred is not None


def test_failing_analyzer_fails_only_its_run(session_factory):
    cache = AnalyzerCache(lambda name, cfg: Broken(cfg) if name == "metadata" else FakeScenes(cfg))
    video, runs = _queue(session_factory, SAMPLE, ["metadata", "scenes"])
    outcomes = _run_all(session_factory, runs, cache)
    assert outcomes["metadata"].status == "failed"
    assert "RuntimeError: model exploded" in outcomes["metadata"].error
    assert outcomes["scenes"].status == "completed"
    with UnitOfWork(session_factory) as uow:
        assert uow.runs.get(runs["metadata"].run_id).error.startswith("metadata failed")
        assert len(uow.artifacts.get_by_asset(video.video_id, "scene")) == 1


def test_failed_dependency_fails_dependents(session_factory, tmp_path, hard_dependent):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"this is not a video at all")
    video, runs = _queue(session_factory, bad, ["scenes", "needs_scenes", "quality"])
    outcome = execute_run(session_factory, runs["scenes"].run_id, AnalyzerCache())
    assert outcome.status == "failed" and "not a readable video" in outcome.error
    with UnitOfWork(session_factory) as uow:
        dependent = uow.runs.get(runs["needs_scenes"].run_id)
        assert dependent.status == "failed" and dependent.error == "dependency scenes failed"
        assert uow.runs.get(runs["quality"].run_id).status == "queued"  # only uses scenes
        deferred = uow.session.execute(text(
            "SELECT job_id FROM runs WHERE run_id = :r"), {"r": runs["quality"].run_id}).scalar()
        assert deferred is not None  # ... so it goes ahead without it


def test_quality_flags_a_file_that_breaks_mid_stream(session_factory, tmp_path):
    """A file corrupted in the middle: scenes analyses what decodes on both
    sides of the damage; quality, run on its own, says where it is
    (test_interrupted_files.py covers cut and damaged files in detail)."""
    corrupt = corrupt_copy(SAMPLE, tmp_path / "corrupt.mp4")
    video, runs = _queue(session_factory, corrupt, ["scenes", "quality"])
    cache = AnalyzerCache()
    assert execute_run(session_factory, runs["scenes"].run_id, cache).status == "completed"
    assert execute_run(session_factory, runs["quality"].run_id, cache).status == "completed"
    with UnitOfWork(session_factory) as uow:
        (quality,) = uow.artifacts.get_by_asset(video.video_id, "video.quality")
    assert quality.payload["frame_count"] > 0  # it measured what did decode
    if quality.payload["gaps"]:  # the decoder lost frames to the damage
        assert quality.payload["status"] == "flagged" and not quality.payload["decode_ok"]
        assert any(r.startswith("damaged:") for r in quality.payload["reasons"])
    else:  # it concealed the damage: every frame decoded
        assert quality.payload["decode_ok"]


def test_identical_completed_run_is_reused(session_factory):
    FakeScenes.calls = 0
    cache = AnalyzerCache(lambda name, cfg: FakeScenes(cfg))
    video, first = _queue(session_factory, SAMPLE, ["scenes"])
    assert execute_run(session_factory, first["scenes"].run_id, cache).status == "completed"
    _, second = _queue(session_factory, SAMPLE, ["scenes"])
    assert second["scenes"].run_id != first["scenes"].run_id
    outcome = execute_run(session_factory, second["scenes"].run_id, cache)
    assert outcome.status == "reused" and outcome.artifacts == 1
    assert FakeScenes.calls == 1  # not recomputed
    with UnitOfWork(session_factory) as uow:
        run = uow.runs.get(second["scenes"].run_id)
        assert run.reused_from == first["scenes"].run_id and run.status == "completed"
        arts = uow.artifacts.get_by_asset(video.video_id, "scene")
        assert [a.run_id for a in arts] == [run.run_id]  # the newest run is shown, copied rows
    # a different profile (different config) is computed, not reused
    _, third = _queue(session_factory, SAMPLE, ["scenes"], profile="high_quality")
    assert execute_run(session_factory, third["scenes"].run_id, cache).status == "completed"
    assert FakeScenes.calls == 2


def test_models_load_once_per_process():
    loads = []

    class Counting(FakeScenes):
        def load(self):
            loads.append(1)

    cache = AnalyzerCache(lambda name, cfg: Counting(cfg))
    from eioku.domain.models import Run
    run = Run(run_id=None, asset_id=None, analyzer="scenes", artifact_type="scene",
              model_profile="fast", producer="p", producer_version="1", config={},
              config_hash="h", input_hash="i", status="queued", progress=0, created_at=None,
              started_at=None, finished_at=None, error=None)
    assert cache.get(run) is cache.get(run)
    analyzer = cache.get(run)
    analyzer.analyze(None, lambda f: None, {})
    analyzer.analyze(None, lambda f: None, {})
    assert loads == [1]  # loaded on first use only


def test_real_analyzers_on_the_sample(session_factory):
    video, runs = _queue(session_factory, SAMPLE, ["metadata", "scenes", "quality"])
    cache = AnalyzerCache()
    for name in ("metadata", "scenes", "quality"):
        assert execute_run(session_factory, runs[name].run_id, cache).status == "completed"
    with UnitOfWork(session_factory) as uow:
        scenes = uow.artifacts.get_by_asset(video.video_id, "scene")
        cuts = [a.span_start_ms / 1000 for a in scenes[1:]]
        assert len(cuts) == len(TRUTH["cuts_s"])  # no extra cuts
        for found, true in zip(cuts, TRUTH["cuts_s"], strict=True):
            assert abs(found - true) <= 0.3
        (meta,) = uow.artifacts.get_by_asset(video.video_id, "video.metadata")
        assert meta.payload["gps"] == {**TRUTH["gps"], "altitude": None}
        assert meta.payload["creation_time"].startswith("2024-05-01T10:00:00")
        (quality,) = uow.artifacts.get_by_asset(video.video_id, "video.quality")
        assert quality.payload["status"] == "pass", quality.payload["reasons"]
        assert quality.payload["scene_cut_count"] == 3
        refreshed = uow.videos.get(video.video_id)
        assert refreshed.duration_ms == 12000 and refreshed.recorded_at is not None


@pytest.mark.parametrize(("frames", "reason"), [
    (lambda: constant_frames(100, 128), "frozen"),
    (lambda: constant_frames(100, 0), "black"),
])
def test_frozen_or_black_clip_is_flagged(session_factory, tmp_path, frames, reason):
    clip = make_clip(tmp_path / f"{reason}.mp4", frames())
    video, runs = _queue(session_factory, clip, ["scenes", "quality"])
    cache = AnalyzerCache()
    execute_run(session_factory, runs["scenes"].run_id, cache)
    execute_run(session_factory, runs["quality"].run_id, cache)
    with UnitOfWork(session_factory) as uow:
        (quality,) = uow.artifacts.get_by_asset(video.video_id, "video.quality")
    assert quality.payload["status"] == "flagged"
    assert any(r.startswith(reason) for r in quality.payload["reasons"]), quality.payload


@pytest.mark.parametrize("content", [b"", b"\x00" * 2048, b"RIFF....WAVEfmt garbage"])
def test_bad_input_fails_once_with_a_readable_reason(session_factory, tmp_path, content):
    path = tmp_path / "broken.mp4"
    path.write_bytes(content + b"x")  # register_path refuses truly empty files
    video, runs = _queue(session_factory, path, ["metadata"])
    outcome = execute_run(session_factory, runs["metadata"].run_id, AnalyzerCache())
    assert outcome.status == "failed" and "broken.mp4" in outcome.error


def test_truncated_video_fails_cleanly(session_factory, tmp_path):
    data = SAMPLE.read_bytes()
    truncated = copy_with_suffix(SAMPLE, tmp_path / "cut.mp4", b"")
    truncated.write_bytes(data[: len(data) // 3])
    video, runs = _queue(session_factory, truncated, ["scenes"])
    outcome = execute_run(session_factory, runs["scenes"].run_id, AnalyzerCache())
    # a truncated MP4 either decodes its first part or fails with the file named; never crashes
    assert outcome.status in ("completed", "failed")
    if outcome.status == "failed":
        assert "cut.mp4" in outcome.error


@pytest.mark.models
def test_the_same_face_in_two_videos_gets_one_identity(session_factory, tmp_path):
    """Real dlib faces: the astronaut of the sample and a mirrored, rescaled
    astronaut in another clip join one library-wide identity."""
    from skimage import data, transform

    image = data.astronaut()[:, ::-1]  # mirrored
    small = (transform.rescale(image, 0.85, channel_axis=2) * 255).astype("uint8")  # 435x435
    canvas = np.full((480, 640, 3), 90, dtype="uint8")
    canvas[20:20 + small.shape[0], 150:150 + small.shape[1]] = small
    clip = make_clip(tmp_path / "other.mp4", [canvas] * 50, size=(640, 480))
    people = []
    for path in (SAMPLE, clip):
        video, runs = _queue(session_factory, path, ["faces"])
        assert execute_run(session_factory, runs["faces"].run_id, AnalyzerCache()).status == "completed"
        with UnitOfWork(session_factory) as uow:
            faces = uow.artifacts.get_by_asset(video.video_id, "face.detection", to_ms=3000)
        assert faces, f"no face found in {path.name}"
        people.append({f.payload["cluster_id"] for f in faces})
    assert len(people[0]) == 1 and people[0] == people[1]
    with UnitOfWork(session_factory) as uow:
        [identity] = [i for i in uow.faces.list() if i.identity_id in people[0]]
        assert identity.embedding_model == "dlib-resnet-v1" and len(identity.centroid) == 128


@pytest.mark.models
def test_high_quality_transcript_uses_the_named_whisper_folder(session_factory, tmp_path):
    from eioku.config import Settings
    from eioku.services.ingest import register_path
    from eioku_ml.models.catalog import whisper_base_dir

    folder = whisper_base_dir(tmp_path / "models")  # a CTranslate2 Whisper folder of our own
    outcomes = {}
    for name, model_dir in (("given", folder), ("missing", tmp_path / "large-v3")):
        with UnitOfWork(session_factory) as uow:
            video, _ = register_path(uow, SAMPLE)
            [run] = analysis.queue_analysis(uow, video, "high_quality", ["transcript"],
                                            settings=Settings(whisper_model_dir=model_dir))
            uow.commit()
        assert run.config["model_dir"] == str(model_dir)
        outcomes[name] = execute_run(session_factory, run.run_id, AnalyzerCache())
    assert outcomes["given"].status == "completed" and outcomes["given"].artifacts == 4
    assert outcomes["missing"].status == "failed"
    assert str(tmp_path / "large-v3") in outcomes["missing"].error
    assert "EIOKU_WHISPER_MODEL_DIR" in outcomes["missing"].error
