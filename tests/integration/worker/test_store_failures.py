"""A failure while storing a job's results ends every run the job owns as
failed, with the reason, so that asking for the analysis again creates new
runs instead of returning ones that stay "running" for ever. The store step is
made to fail in several ways: a payload that fails validation, a NUL in text,
a span error, a fault injected in PostgreSQL (a trigger that raises) and a bug
in the code that prepares the rows. Two real files that used to get there: a
MOV whose ISO 6709 altitude has 400 digits (a float of ``inf``), and a WebM
written the way Chrome's MediaRecorder writes it (no duration, no cues)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from eioku.cli import app as cli_app
from eioku.config import get_settings
from eioku.services import analysis
from eioku.services.ingest import register_path
from eioku.store.uow import UnitOfWork
from eioku_ml.analyzers import analyzer_class
from eioku_ml.analyzers.base import FrameAnalyzer, FrameWant, Item
from eioku_ml.analyzers.metadata import MetadataAnalyzer
from eioku_ml.errors import TransientAnalysisError
from eioku_ml.media.decode import probe
from eioku_ml.worker.chunks import execute_chunk
from eioku_ml.worker.execute import AnalyzerCache, Attempt, execute_pass, execute_run
from sqlalchemy import text
from typer.testing import CliRunner

from tests.media import SAMPLE, make_clip

HUGE_ALTITUDE = "+48.8577+002.2950+" + "9" * 400 + "/"


@pytest.fixture(autouse=True)
def _settings(monkeypatch):
    monkeypatch.setenv("EIOKU_FRAME_PASS", "1")
    monkeypatch.setenv("EIOKU_CHUNK_S", "0")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _queue(session_factory, path, analyzers, profile="fast"):
    with UnitOfWork(session_factory) as uow:
        video, _ = register_path(uow, path)
        runs = analysis.queue_analysis(uow, video, profile, analyzers)
        uow.commit()
    return video, {r.analyzer: r for r in runs}


def _runs(session_factory, video_id):
    """analyzer -> [(run_id, status, error, job_id)] in creation order."""
    out: dict[str, list] = {}
    with UnitOfWork(session_factory) as uow:
        for row in uow.session.execute(text(
                "SELECT analyzer, run_id, status, error, job_id FROM runs WHERE asset_id = :v "
                "ORDER BY created_at"), {"v": video_id}):
            out.setdefault(row.analyzer, []).append((row.run_id, row.status, row.error, row.job_id))
    return out


def _job_ended(session_factory, run_id):
    """The run's job ends, as procrastinate ends it when the task returns."""
    with UnitOfWork(session_factory) as uow:
        uow.session.execute(text(
            "UPDATE procrastinate_jobs SET status = 'succeeded' WHERE id = "
            "(SELECT job_id FROM runs WHERE run_id = :r)"), {"r": run_id})
        uow.commit()


def _inject_store_fault(session_factory, message="injected store fault", code="raise_exception"):
    """A real fault in the store: PostgreSQL refuses every artifact row (with
    ``code`` serialization_failure, a fault the queue retries)."""
    with UnitOfWork(session_factory) as uow:
        uow.session.execute(text(
            "CREATE FUNCTION refuse_artifacts() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION USING ERRCODE = '{code}', MESSAGE = '{message}'; END $$"))
        uow.session.execute(text(
            "CREATE TRIGGER refuse_artifacts BEFORE INSERT ON artifacts "
            "FOR EACH ROW EXECUTE FUNCTION refuse_artifacts()"))
        uow.commit()


def _lift_store_fault(session_factory):
    with UnitOfWork(session_factory) as uow:
        uow.session.execute(text("DROP TRIGGER refuse_artifacts ON artifacts"))
        uow.commit()


class _BrokenItem(Item):
    def as_dict(self):
        raise RuntimeError("a bug while preparing the rows")


def _spoil(kind):
    """Items of the real metadata analyzer, spoiled so that storing them fails."""
    def spoil(items):
        (item,) = items
        payload = json.loads(json.dumps(item.payload))
        if kind == "validation":
            payload["fps"] = float("inf")
        elif kind == "nul":
            payload["tags"]["title"] = "before\x00after"
        elif kind == "span":
            return [Item(2007, 0, payload)]
        elif kind == "bug":
            return [_BrokenItem(item.span_start_ms, item.span_end_ms, payload)]
        return [Item(item.span_start_ms, item.span_end_ms, payload)]
    return spoil


class SpoiledMetadata(MetadataAnalyzer):
    spoil = staticmethod(lambda items: items)

    def _analyze(self, media, progress, context):
        return self.spoil(super()._analyze(media, progress, context))


@dataclass(frozen=True)
class Case:
    kind: str
    reason: str  # a part of the failed run's error


CASES = [
    Case("validation", "fps"),
    Case("nul", "NUL character"),
    Case("span", "span_start_ms (2007) must be <= span_end_ms (0)"),
    Case("injected", "injected store fault"),
    Case("bug", "RuntimeError: a bug while preparing the rows"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.kind for c in CASES])
def test_a_failing_store_step_fails_the_run_and_analysis_can_be_asked_again(session_factory, case):
    analyzer = type("Spoiled", (SpoiledMetadata,), {"spoil": staticmethod(_spoil(case.kind))})
    if case.kind == "injected":
        _inject_store_fault(session_factory)
    video, runs = _queue(session_factory, SAMPLE, ["metadata"])
    outcome = execute_run(session_factory, runs["metadata"].run_id,
                          AnalyzerCache(lambda name, cfg: analyzer(cfg)))
    assert outcome.status == "failed" and case.reason in outcome.error
    _job_ended(session_factory, runs["metadata"].run_id)
    ((run_id, status, error, _),) = _runs(session_factory, video.video_id)["metadata"]
    assert status == "failed" and case.reason in error
    with UnitOfWork(session_factory) as uow:
        assert uow.artifacts.get_by_asset(video.video_id, "video.metadata") == []
    # asked again: a new run, queued with a job of its own (not the stuck one returned)
    if case.kind == "injected":
        _lift_store_fault(session_factory)
    _, again = _queue(session_factory, SAMPLE, ["metadata"])
    assert again["metadata"].run_id != run_id
    (_, (new_id, new_status, _, new_job)) = _runs(session_factory, video.video_id)["metadata"]
    assert new_id == again["metadata"].run_id and new_status == "queued" and new_job is not None
    assert execute_run(session_factory, new_id, AnalyzerCache()).status == "completed"


def test_a_run_left_running_by_a_job_that_ended_is_failed_not_returned(session_factory):
    """A run an older version (or a lost worker) left "running" after its job
    ended is not handed out again: asking for the analysis fails it and queues anew."""
    video, runs = _queue(session_factory, SAMPLE, ["metadata"])
    stuck = runs["metadata"].run_id
    with UnitOfWork(session_factory) as uow:
        uow.runs.start(stuck)
        uow.session.execute(text("UPDATE procrastinate_jobs SET status = 'failed' WHERE id = "
                                 "(SELECT job_id FROM runs WHERE run_id = :r)"), {"r": stuck})
        uow.commit()
    _, again = _queue(session_factory, SAMPLE, ["metadata"])
    assert again["metadata"].run_id != stuck
    (old, new) = _runs(session_factory, video.video_id)["metadata"]
    assert old[1] == "failed" and "ended without finishing it" in old[2]
    assert new[1] == "queued" and new[3] is not None
    _, third = _queue(session_factory, SAMPLE, ["metadata"])  # its job is alive: returned
    assert third["metadata"].run_id == new[0]


class SpanErrorScenes(analyzer_class("scenes")):
    """The real scene detector, with one artifact whose span ends before it starts."""

    def finish(self):
        items = super().finish()
        return [*items, Item(2007, 0, items[0].payload)]


class Dim(FrameAnalyzer):
    """A frame analyzer without a model (stands in for objects)."""

    name = "objects"

    @property
    def want(self):
        return FrameWant(32, "rgb24", 1000)

    def take(self, frame):
        pass

    def finish(self):
        return []


class BuggyDue(Dim):
    def due(self, time_ms):
        raise RuntimeError("a bug outside any analyzer's own thread")


def _pass(session_factory, analyzers, factory):
    video, runs = _queue(session_factory, SAMPLE, analyzers)
    jobs = {s[0][3] for s in _runs(session_factory, video.video_id).values()}
    assert len(jobs) == 1 and None not in jobs  # one frame-pass job owns them all
    outcomes = execute_pass(session_factory, [runs[a].run_id for a in analyzers], AnalyzerCache(factory))
    return video, runs, {o.run_id: o for o in outcomes}


def test_a_store_failure_in_a_frame_pass_fails_that_run_and_stores_the_others(session_factory):
    """Scenes is stored first; its failure must not strand the runs stored after it."""
    video, runs, outcomes = _pass(session_factory, ["scenes", "quality", "objects"], lambda name, cfg: {
        "scenes": SpanErrorScenes, "objects": Dim}.get(name, analyzer_class(name))(cfg))
    state = _runs(session_factory, video.video_id)
    (_, status, error, _), = state["scenes"]
    assert status == "failed" and "span_start_ms (2007) must be <= span_end_ms (0)" in error
    assert [s[1] for s in state["quality"]] == ["completed"]
    assert [s[1] for s in state["objects"]] == ["completed"]
    assert outcomes[runs["scenes"].run_id].status == "failed"


def test_a_store_fault_in_a_frame_pass_fails_every_run_and_a_new_pass_is_queued(session_factory):
    _inject_store_fault(session_factory)
    analyzers = ["scenes", "quality"]
    video, runs, outcomes = _pass(session_factory, analyzers, lambda name, cfg: analyzer_class(name)(cfg))
    state = _runs(session_factory, video.video_id)
    for name in analyzers:
        ((_, status, error, _),) = state[name]
        assert status == "failed" and "injected store fault" in error, name
    _lift_store_fault(session_factory)
    _, again = _queue(session_factory, SAMPLE, analyzers)
    assert {r.run_id for r in again.values()}.isdisjoint(r.run_id for r in runs.values())
    latest = [_runs(session_factory, video.video_id)[a][-1] for a in analyzers]
    assert [r[0] for r in latest] == [again[a].run_id for a in analyzers]
    assert len({r[3] for r in latest}) == 1 and latest[0][3] is not None  # one new frame-pass job


def test_what_waited_for_a_pass_that_could_not_be_stored_goes_ahead(session_factory):
    """Embeddings only use the frame analyzers: when their runs fail, it is queued
    (it used to stay queued with no job, waiting for runs that never ended)."""
    _inject_store_fault(session_factory)
    video, runs = _queue(session_factory, SAMPLE, ["scenes", "quality", "embeddings"])
    assert _runs(session_factory, video.video_id)["embeddings"][0][3] is None  # waits for the pass
    outcomes = execute_pass(session_factory, [runs["scenes"].run_id, runs["quality"].run_id],
                            AnalyzerCache())
    assert [o.status for o in outcomes] == ["failed", "failed"]
    ((_, status, _, job),) = _runs(session_factory, video.video_id)["embeddings"]
    assert status == "queued" and job is not None


def test_a_bug_in_offering_frames_fails_only_that_analyzers_run(session_factory):
    analyzers = ["scenes", "quality", "objects"]
    video, runs, outcomes = _pass(session_factory, analyzers, lambda name, cfg: (
        BuggyDue if name == "objects" else analyzer_class(name))(cfg))
    state = _runs(session_factory, video.video_id)
    ((_, status, error, _),) = state["objects"]
    assert status == "failed" and "a bug outside any analyzer's own thread" in error
    assert [s[1] for s in state["scenes"]] == [s[1] for s in state["quality"]] == ["completed"]


class Vanishing(Dim):
    """The file disappears once the pass has probed it (deleted, unmounted)."""

    def start(self, media, context):
        super().start(media, context)
        media.path.unlink()


def test_a_failure_of_the_whole_pass_fails_every_run_of_it(session_factory, tmp_path):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(SAMPLE.read_bytes() + b"another file")
    analyzers = ["scenes", "quality", "objects"]
    video, runs = _queue(session_factory, clip, analyzers)
    cache = AnalyzerCache(lambda name, cfg: (Vanishing if name == "objects" else analyzer_class(name))(cfg))
    outcomes = execute_pass(session_factory, [runs[a].run_id for a in analyzers], cache)
    assert sorted(o.status for o in outcomes) == ["failed"] * 3
    state = _runs(session_factory, video.video_id)
    for name in analyzers:
        ((_, status, error, _),) = state[name]
        assert status == "failed" and "no such file" in error, name


def test_a_store_fault_when_the_last_chunk_merges_fails_the_run(session_factory, monkeypatch):
    monkeypatch.setenv("EIOKU_CHUNK_S", "4")
    get_settings.cache_clear()
    _inject_store_fault(session_factory)
    factory = lambda name, cfg: (Dim if name == "objects" else analyzer_class(name))(cfg)  # noqa: E731
    video, runs = _queue(session_factory, SAMPLE, ["scenes", "objects"])
    ids = [runs["scenes"].run_id, runs["objects"].run_id]
    assert {o.status for o in execute_pass(session_factory, ids, AnalyzerCache(factory))} == {"chunked"}
    with UnitOfWork(session_factory) as uow:
        chunks = uow.session.execute(text(
            "SELECT DISTINCT chunk FROM run_chunks WHERE run_id = ANY(:r) ORDER BY chunk"),
            {"r": ids}).scalars().all()
    assert len(chunks) >= 2
    for chunk in chunks:
        execute_chunk(session_factory, ids, chunk, AnalyzerCache(factory))
    state = _runs(session_factory, video.video_id)
    ((_, status, error, _),) = state["scenes"]
    assert status == "failed" and "injected store fault" in error
    assert [s[1] for s in state["objects"]] == ["completed"]  # it found nothing: no row to refuse


def test_a_store_fault_the_queue_retries_leaves_the_runs_to_the_retry(session_factory):
    """A fault the queue retries (the database was away) leaves the runs running for
    the retried job, which stores them; on the last attempt they fail with the reason."""
    _inject_store_fault(session_factory, "try again", code="serialization_failure")
    analyzers = ["scenes", "quality"]
    video, runs = _queue(session_factory, SAMPLE, analyzers)
    ids = [runs[a].run_id for a in analyzers]
    with pytest.raises(TransientAnalysisError, match="try again"):
        execute_pass(session_factory, ids, AnalyzerCache(), Attempt(0, 4))
    assert {a: s[0][1] for a, s in _runs(session_factory, video.video_id).items()} == {
        "scenes": "running", "quality": "running"}
    outcomes = execute_pass(session_factory, ids, AnalyzerCache(), Attempt(3, 4))  # the last
    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert all("try again" in o.error for o in outcomes)
    _lift_store_fault(session_factory)
    _, again = _queue(session_factory, SAMPLE, analyzers)
    outcomes = execute_pass(session_factory, [again[a].run_id for a in analyzers], AnalyzerCache(),
                            Attempt(1, 4))
    assert [o.status for o in outcomes] == ["completed", "completed"]


def test_a_retried_chunk_job_merges_what_its_first_attempt_could_not_store(session_factory, monkeypatch):
    monkeypatch.setenv("EIOKU_CHUNK_S", "4")
    get_settings.cache_clear()
    video, runs = _queue(session_factory, SAMPLE, ["scenes"])
    ids = [runs["scenes"].run_id]
    assert [o.status for o in execute_pass(session_factory, ids, AnalyzerCache())] == ["chunked"]
    with UnitOfWork(session_factory) as uow:
        last = uow.session.execute(text("SELECT max(chunk) FROM run_chunks WHERE run_id = :r"),
                                   {"r": ids[0]}).scalar_one()
    for chunk in range(last):
        assert [o.status for o in execute_chunk(session_factory, ids, chunk, AnalyzerCache())] == ["chunk"]
    _inject_store_fault(session_factory, "try again", code="serialization_failure")
    with pytest.raises(TransientAnalysisError, match="try again"):  # the queue retries it
        execute_chunk(session_factory, ids, last, AnalyzerCache(), Attempt(0, 4))
    assert [s[1] for s in _runs(session_factory, video.video_id)["scenes"]] == ["running"]
    _lift_store_fault(session_factory)
    outcomes = execute_chunk(session_factory, ids, last, AnalyzerCache(), Attempt(1, 4))  # the retry
    assert [o.status for o in outcomes] == ["completed"]
    with UnitOfWork(session_factory) as uow:
        assert len(uow.artifacts.get_by_asset(video.video_id, "scene")) == 4


# --- real files ---------------------------------------------------------------------------


def _mov_with_location(path: Path, location: str) -> Path:
    with av.open(str(path), "w", format="mov") as out:
        out.metadata["location"] = location
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 160, 96, "yuv420p"
        for i in range(25):
            frame = av.VideoFrame.from_ndarray(np.full((96, 160, 3), i * 5, np.uint8), format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def test_an_iso6709_altitude_of_400_digits_is_dropped_not_stored(session_factory, tmp_path):
    clip = _mov_with_location(tmp_path / "phone.mov", HUGE_ALTITUDE)
    assert probe(clip).tags["location"] == HUGE_ALTITUDE
    video, runs = _queue(session_factory, clip, ["metadata"])
    assert execute_run(session_factory, runs["metadata"].run_id, AnalyzerCache()).status == "completed"
    with UnitOfWork(session_factory) as uow:
        (meta,) = uow.artifacts.get_by_asset(video.video_id, "video.metadata")
    assert meta.payload["gps"] == {"latitude": 48.8577, "longitude": 2.295, "altitude": None}


def media_recorder_webm(path: Path, seconds: int = 6, fps: int = 25) -> Path:
    """A WebM as a browser's MediaRecorder writes it: the muxer in live mode
    writes neither a duration nor cues (ffprobe says duration N/A). The picture
    changes colour every two seconds (scene cuts)."""
    with av.open(str(path), "w", format="webm", options={"live": "1"}) as out:
        stream = out.add_stream("libvpx", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 160, 96, "yuv420p"
        for i in range(seconds * fps):
            shade = (20, 230, 20)[(i // (2 * fps)) % 3]
            image = np.full((96, 160, 3), shade, np.uint8)
            image[20:40, (i * 2) % 120:(i * 2) % 120 + 30] = 255 - shade  # something moves
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def test_a_webm_without_duration_gets_its_real_duration(tmp_path):
    clip = media_recorder_webm(tmp_path / "recording.webm")
    with av.open(str(clip)) as container:  # what makes it a MediaRecorder-like file
        assert container.duration is None and container.streams.video[0].duration is None
    assert probe(clip).duration_s == pytest.approx(6.0, abs=0.05)
    # the server's own reading (thumbnails, scrub previews, the timeline) agrees
    from eioku.media.frames import video_facts

    assert video_facts(clip).duration_s == pytest.approx(6.0, abs=0.05)


@pytest.mark.models
def test_a_media_recorder_webm_is_analysed_by_every_frame_analyzer(session_factory, tmp_path):
    clip = media_recorder_webm(tmp_path / "recording.webm")
    frame_analyzers = ["scenes", "quality", "objects", "ocr", "faces", "places"]
    video, runs = _queue(session_factory, clip, ["metadata", *frame_analyzers])
    cache = AnalyzerCache()
    assert execute_run(session_factory, runs["metadata"].run_id, cache).status == "completed"
    outcomes = execute_pass(session_factory, [runs[a].run_id for a in frame_analyzers], cache)
    assert {o.status for o in outcomes} == {"completed"}, [o.error for o in outcomes]
    with UnitOfWork(session_factory) as uow:
        assert abs(uow.videos.get(video.video_id).duration_ms - 6000) <= 50
        (meta,) = uow.artifacts.get_by_asset(video.video_id, "video.metadata")
        assert meta.payload["duration_s"] == pytest.approx(6.0, abs=0.05)
        scenes = uow.artifacts.get_by_asset(video.video_id, "scene")
    assert [round(s.span_start_ms / 1000) for s in scenes] == [0, 2, 4]
    assert scenes[-1].span_end_ms >= 5900


def test_eioku_analyze_exits_non_zero_when_storing_fails(db_url, session_factory, monkeypatch, tmp_path):
    _inject_store_fault(session_factory)
    clip = make_clip(tmp_path / "clip.mp4", (np.full((96, 160, 3), i, np.uint8) for i in range(10)))
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("EIOKU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("EIOKU_MEDIA_ROOTS", raising=False)
    get_settings.cache_clear()
    result = CliRunner().invoke(cli_app, ["analyze", str(clip), "--analyzers", "metadata", "--json"])
    assert result.exit_code == 1, result.output
    (summary,) = json.loads(result.stdout)
    assert len(summary["failed"]) == 1 and "injected store fault" in summary["failed"][0]
    state = _runs(session_factory, uuid.UUID(summary["video_id"]))
    assert [s[1] for s in state["metadata"]] == ["failed"]
