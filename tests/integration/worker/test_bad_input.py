"""The bad-input corpus: odd but valid files are analysed, broken ones fail
with a readable reason naming the file, and nothing else changes. Each file
goes through the real pipeline (frame pass of scenes, quality, objects and
OCR; metadata and transcript jobs) on the real database."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from eioku.services import analysis
from eioku.services.ingest import register_path
from eioku.store.uow import UnitOfWork
from eioku_ml.worker.chunks import execute_chunk
from eioku_ml.worker.execute import AnalyzerCache, execute_pass, execute_run
from sqlalchemy import text

from tests.media import SAMPLE, make_clip, noise_frames

pytestmark = pytest.mark.models
FRAME = ["scenes", "quality", "objects", "ocr"]
OTHERS = ["metadata", "transcript"]


def _encode(path: Path, size: tuple[int, int], times_s: list[float], *, codec: str = "libx264",
            audio: bool = False, pix_fmt: str = "yuv420p") -> Path:
    """Frames of noise at the given presentation times (any spacing, any start)."""
    base = Fraction(1, 1000)
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=25)
        stream.width, stream.height = size
        stream.pix_fmt = pix_fmt  # 4:2:0 needs even sizes; 4:4:4 takes any
        stream.time_base = base
        sound = out.add_stream("aac", rate=16000) if audio else None
        rng = np.random.default_rng(1)
        for t in times_s:
            image = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = int(round(t * 1000))
            frame.time_base = base
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
        if sound is not None:
            samples = np.zeros((1, 16000), dtype=np.float32)
            chunk = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
            chunk.sample_rate, chunk.pts = 16000, 0
            out.mux(sound.encode(chunk))
            out.mux(sound.encode())
    return path


def _analyse(session_factory, path: Path) -> dict[str, tuple[str, str | None, int]]:
    """Run every analyzer of the corpus on ``path``: analyzer -> (status, error, artifacts)."""
    with UnitOfWork(session_factory) as uow:
        video, _ = register_path(uow, path)
        runs = {r.analyzer: r for r in analysis.queue_analysis(uow, video, "fast", FRAME + OTHERS)}
        uow.commit()
    cache = AnalyzerCache()
    execute_pass(session_factory, [runs[a].run_id for a in FRAME], cache)
    for name in OTHERS:
        execute_run(session_factory, runs[name].run_id, cache)
    with UnitOfWork(session_factory) as uow:  # a file that claims to be long is analysed in chunks
        chunks = uow.session.execute(text(
            "SELECT c.chunk, array_agg(c.run_id) FROM run_chunks c JOIN runs r USING (run_id) "
            "WHERE r.asset_id = :v GROUP BY c.job_id, c.chunk ORDER BY c.chunk"),
            {"v": video.video_id}).all()
    for chunk, run_ids in chunks:
        execute_chunk(session_factory, list(run_ids), chunk, cache)
    with UnitOfWork(session_factory) as uow:
        rows = uow.session.execute(text(
            "SELECT r.analyzer, r.status, r.error, count(a.artifact_id) FROM runs r "
            "LEFT JOIN artifacts a USING (run_id) WHERE r.asset_id = :v GROUP BY 1, 2, 3"),
            {"v": video.video_id}).all()
    return {a: (s, e, n) for a, s, e, n in rows}


def _all_completed(result):
    assert {a: s for a, (s, _, _) in result.items()} == {a: "completed" for a in FRAME + OTHERS}, result


@pytest.mark.parametrize(("size", "pix_fmt"), [((1, 1), "yuv444p"), ((2, 2), "yuv420p"),
                                               ((7680, 4320), "yuv420p")], ids=["1x1", "2x2", "8K"])
def test_tiny_and_huge_frames(session_factory, tmp_path, size, pix_fmt):
    clip = _encode(tmp_path / f"{size[0]}.mp4", size, [0, 0.04, 0.08], pix_fmt=pix_fmt)
    result = _analyse(session_factory, clip)
    _all_completed(result)
    assert result["scenes"][2] == 1 and result["quality"][2] == 1  # one shot, one verdict


def test_variable_frame_rate_and_a_late_first_timestamp(session_factory, tmp_path):
    # its clock starts an hour in, and the container claims it lasts an hour and 5 s
    times = [3600.0 + t for t in (0, 0.01, 0.5, 0.52, 2.0, 2.04, 2.08, 5.0)]
    result = _analyse(session_factory, _encode(tmp_path / "vfr.mkv", (64, 48), times))
    _all_completed(result)
    with UnitOfWork(session_factory) as uow:
        detections = uow.session.execute(text(
            "SELECT a.span_start_ms FROM artifacts a WHERE a.artifact_type = 'object.detection' "
            "OR a.artifact_type = 'scene' ORDER BY 1")).scalars().all()
    assert detections and detections[0] == 0  # times count from the file's first frame
    assert all(t <= 5100 for t in detections)


def test_video_without_audio_and_unicode_names(session_factory, tmp_path):
    folder = tmp_path / "Vidéos de l'été 2024"
    folder.mkdir()
    clip = make_clip(folder / "plage à Nice — 日本.mp4", noise_frames(10))
    result = _analyse(session_factory, clip)
    _all_completed(result)
    assert result["transcript"][2] == 0  # nothing to hear, nothing failed
    with UnitOfWork(session_factory) as uow:
        (name,) = uow.session.execute(text("SELECT filename FROM videos")).scalars()
    assert name == clip.name


@pytest.mark.parametrize("content", [b"hello, this is text\n" * 50, bytes(range(256)) * 40],
                         ids=["text", "binary"])
def test_a_file_that_is_not_a_video_fails_every_run_with_its_name(session_factory, tmp_path, content):
    path = tmp_path / "not a video.mp4"
    path.write_bytes(content)
    result = _analyse(session_factory, path)
    assert {s for s, _, _ in result.values()} == {"failed"}, result
    for analyzer, (_, error, artifacts) in result.items():
        assert "not a video.mp4" in error and "Traceback" not in error, (analyzer, error)
        assert artifacts == 0


def test_bad_input_changes_nothing_else(session_factory, tmp_path):
    good = _analyse(session_factory, SAMPLE)
    _all_completed(good)
    with UnitOfWork(session_factory) as uow:
        before = uow.session.execute(text("SELECT count(*) FROM artifacts")).scalar_one()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(SAMPLE.read_bytes()[:4000])
    _analyse(session_factory, broken)
    with UnitOfWork(session_factory) as uow:
        sample = uow.session.execute(text(
            "SELECT count(*) FROM artifacts a JOIN videos v ON v.video_id = a.asset_id "
            "WHERE v.filename = 'sample.mp4'")).scalar_one()
    assert sample == before  # the good video's analysis is untouched
