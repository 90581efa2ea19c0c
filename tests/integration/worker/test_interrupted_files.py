"""Interrupted downloads and damaged files: what decodes is analysed on both
sides of the damage, and quality says where the video could not be decoded
(``gaps``) and how much of it did (``decoded_duration_s``). Whole files and
files analysed in chunks get the same verdict."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from eioku.config import get_settings
from eioku.services import analysis
from eioku.services.ingest import register_path
from eioku.store.uow import UnitOfWork
from eioku_ml.media.decode import decode_audio
from eioku_ml.worker.chunks import execute_chunk
from eioku_ml.worker.execute import AnalyzerCache, execute_pass, execute_run
from sqlalchemy import text

SECONDS, FPS = 10, 25
FRAME = ["scenes", "quality"]
COLOURS = [(200, 40, 40), (40, 200, 40), (40, 40, 200), (200, 200, 40), (40, 200, 200)]


def _download(path: Path) -> Path:
    """10 s, its index first (as downloads are streamed): a new shot every
    second (a colour over noise), a keyframe every second, a tone."""
    rng = np.random.default_rng(7)
    with av.open(str(path), "w", format="mp4", options={"movflags": "faststart"}) as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = 160, 96, "yuv420p"
        video.options = {"g": str(FPS), "keyint_min": str(FPS), "sc_threshold": "0"}
        audio = out.add_stream("aac", rate=16000)
        audio.layout = "mono"
        per_frame = 16000 // FPS
        for i in range(SECONDS * FPS):
            noise = rng.integers(0, 60, (96, 160, 1), dtype=np.uint8)
            image = np.clip(np.array(COLOURS[(i // FPS) % len(COLOURS)], np.uint16) + noise, 0, 255)
            picture = av.VideoFrame.from_ndarray(image.astype(np.uint8), format="rgb24")
            picture.pts = i
            out.mux(video.encode(picture))
            tone = np.sin(np.arange(i * per_frame, (i + 1) * per_frame) / 8) * 0.3
            sound = av.AudioFrame.from_ndarray(tone.astype(np.float32)[None, :], format="fltp",
                                               layout="mono")
            sound.sample_rate, sound.pts = 16000, i * per_frame
            out.mux(audio.encode(sound))
        out.mux(video.encode())
        out.mux(audio.encode())
    return path


@pytest.fixture
def cut(tmp_path: Path) -> Path:
    """The download stopped at 60 % of its bytes: the index still says 10 s."""
    data = _download(tmp_path / "whole.mp4").read_bytes()
    assert data[4:8] == b"ftyp" and data.index(b"moov") < data.index(b"mdat")
    path = tmp_path / "cut.mp4"
    path.write_bytes(data[: len(data) * 6 // 10])
    return path


@pytest.fixture
def damaged(tmp_path: Path) -> Path:
    """Garbage written over the middle tenth of the bytes (about 4.5 s to 5.5 s)."""
    data = bytearray(_download(tmp_path / "whole.mp4").read_bytes())
    start, end = len(data) * 45 // 100, len(data) * 55 // 100
    data[start:end] = np.random.default_rng(3).integers(0, 256, end - start, np.uint8).tobytes()
    path = tmp_path / "damaged.mp4"
    path.write_bytes(bytes(data))
    return path


@pytest.fixture(params=["whole", "chunks"])
def chunking(request, monkeypatch):
    """Analysed in one pass, or in 4 s chunks (each decodes its own part)."""
    if request.param == "chunks":
        monkeypatch.setenv("EIOKU_CHUNK_S", "4")
    get_settings.cache_clear()
    yield request.param
    get_settings.cache_clear()


def _analyse(session_factory, path: Path) -> tuple[dict[str, str], list[int], dict]:
    """Scenes and quality (one frame pass, or its chunks) and metadata: each
    run's status, the scene starts, the quality payload."""
    with UnitOfWork(session_factory) as uow:
        video, _ = register_path(uow, path)
        runs = {r.analyzer: r for r in analysis.queue_analysis(uow, video, "fast", [*FRAME, "metadata"])}
        uow.commit()
    cache = AnalyzerCache()
    execute_pass(session_factory, [runs[a].run_id for a in FRAME], cache)
    execute_run(session_factory, runs["metadata"].run_id, cache)
    with UnitOfWork(session_factory) as uow:
        chunks = uow.session.execute(text(
            "SELECT c.chunk, array_agg(c.run_id) FROM run_chunks c JOIN runs r USING (run_id) "
            "WHERE r.asset_id = :v GROUP BY c.job_id, c.chunk ORDER BY c.chunk"),
            {"v": video.video_id}).all()
    for chunk, run_ids in chunks:
        execute_chunk(session_factory, list(run_ids), chunk, cache)
    with UnitOfWork(session_factory) as uow:
        status = dict(uow.session.execute(text(
            "SELECT analyzer, status || coalesce(': ' || error, '') FROM runs WHERE asset_id = :v"),
            {"v": video.video_id}).tuples().all())
        scenes = sorted(a.span_start_ms for a in uow.artifacts.get_by_asset(video.video_id, "scene"))
        quality = [a.payload for a in uow.artifacts.get_by_asset(video.video_id, "video.quality")]
    return status, scenes, quality[0] if quality else {}


def test_a_cut_download_is_flagged_with_what_decodes(session_factory, cut, chunking):
    status, scenes, quality = _analyse(session_factory, cut)
    assert status == {"scenes": "completed", "quality": "completed", "metadata": "completed"}
    assert scenes and max(scenes) < 6500  # the shots up to where it stops
    assert quality["status"] == "flagged"
    assert quality["video_duration_s"] == pytest.approx(10.0, abs=0.1)  # what the index says
    (gap,) = quality["gaps"]
    assert gap["end_ms"] == 10_000 and 4500 < gap["start_ms"] < 6500
    assert quality["decoded_duration_s"] == pytest.approx(gap["start_ms"] / 1000, abs=0.05)
    assert any(r.startswith("cut short: the video decodes to") for r in quality["reasons"])


def test_a_damaged_middle_is_analysed_on_both_sides(session_factory, damaged, chunking):
    status, scenes, quality = _analyse(session_factory, damaged)
    assert status == {"scenes": "completed", "quality": "completed", "metadata": "completed"}
    # shots before and after the damage (a new one each second)
    assert {s // 1000 for s in scenes} >= {1, 2, 3, 7, 8, 9}
    assert quality["status"] == "flagged"
    (gap,) = quality["gaps"]
    assert 3500 <= gap["start_ms"] < gap["end_ms"] <= 6500
    decoded = 10.0 - (gap["end_ms"] - gap["start_ms"]) / 1000
    assert quality["decoded_duration_s"] == pytest.approx(decoded, abs=0.01)
    assert any(r.startswith("damaged:") for r in quality["reasons"])
    assert quality["frame_count"] > 200  # of 250: most of the file


def test_a_whole_file_has_no_gaps(session_factory, tmp_path):
    status, scenes, quality = _analyse(session_factory, _download(tmp_path / "whole.mp4"))
    assert status["quality"] == "completed" and quality["status"] == "pass"
    assert quality["gaps"] == [] and quality["decoded_duration_s"] == quality["video_duration_s"]
    assert len(scenes) == SECONDS


def test_audio_is_heard_past_the_damage_with_its_times_kept(damaged):
    """The transcript's audio: no failure, and silence where the damage was, so
    what is said after it keeps its time."""
    audio, first = decode_audio(damaged, 16000)
    assert first == pytest.approx(0.0, abs=0.1)
    assert len(audio) / 16000 == pytest.approx(SECONDS, abs=0.2)
    assert np.abs(audio[int(9.0 * 16000):int(9.5 * 16000)]).mean() > 0.05  # the tone after it
