"""Clips (GET /v1/videos/{id}/clip, ``media.clips``): times count from the
file's clock start, the work is bounded by the range, ranges outside the
video are refused and never cached, and a server cuts a few clips at once."""

from __future__ import annotations

import io
import shutil
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from eioku.api.routers.media import CLIP_SLOTS, clip_slots
from eioku.domain.errors import ValidationFailedError
from eioku.media import clips

from tests.media import SAMPLE

FPS = 10


def _gray(i: int) -> int:
    return (i // FPS) * 20 % 250  # changes every second


def make_av(path: Path, seconds: float, *, fmt: str | None = None, offset_s: float = 0.0,
            gop: int = 20) -> Path:
    """A 64x48 H.264 video (B-frames, a keyframe every ``gop`` frames) whose
    brightness changes each second, with an AAC tone; its clock starts at ``offset_s``."""
    with av.open(str(path), "w", format=fmt) as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        video.options = {"g": str(gop), "keyint_min": str(gop), "sc_threshold": "0", "bf": "2"}
        audio = out.add_stream("aac", rate=16000)
        audio.layout = "mono"
        per_frame = 16000 // FPS
        for i in range(int(seconds * FPS)):
            picture = av.VideoFrame.from_ndarray(np.full((48, 64, 3), _gray(i), np.uint8),
                                                 format="rgb24")
            picture.pts, picture.time_base = round(offset_s * FPS) + i, Fraction(1, FPS)
            out.mux(video.encode(picture))
            tone = np.sin(np.arange(i * per_frame, (i + 1) * per_frame) / 10) * 0.3
            sound = av.AudioFrame.from_ndarray(tone.astype(np.float32)[None, :], format="fltp",
                                               layout="mono")
            sound.sample_rate = 16000
            sound.pts, sound.time_base = round(offset_s * 16000) + i * per_frame, Fraction(1, 16000)
            out.mux(audio.encode(sound))
        out.mux(video.encode())
        out.mux(audio.encode())
    return path


def _first_frame_from(path: Path, t_s: float) -> float:
    """Oracle: decode from the file's start; the brightness of the first frame
    shown at or after ``t_s`` seconds of the file's own clock."""
    with av.open(str(path)) as container:
        zero = container.start_time / av.time_base
        for frame in container.decode(video=0):
            if frame.time >= zero + t_s - 1e-3:
                return float(frame.to_ndarray(format="gray").mean())
    raise AssertionError("no frame")


def _read_clip(content: bytes) -> tuple[float, list[Any]]:
    with av.open(io.BytesIO(content)) as clip:
        return clip.duration / av.time_base, list(clip.decode(video=0))


def _register(client, path: Path) -> str:
    r = client.post("/v1/videos", json={"path": str(path)})
    assert r.status_code == 202, r.text
    return r.json()["video_id"]


@pytest.mark.parametrize(("from_ms", "method"), [(2500, "reencode"), (2064, "copy")])
def test_a_transport_stream_is_cut_on_its_own_clock(client, media_root, from_ms, method):
    """The TS clock starts near 10 s (the AAC priming puts it at 9.936 s);
    before, the cut sought to 2.5 s of an absolute clock and found nothing."""
    path = make_av(media_root / "camcorder.mts", 12, fmt="mpegts", offset_s=10)
    with av.open(str(path)) as container:
        assert container.start_time / av.time_base > 9
    video = _register(client, path)
    r = client.get(f"/v1/videos/{video}/clip", params={"from_ms": from_ms, "to_ms": from_ms + 4000})
    assert r.status_code == 200, r.text
    duration, frames = _read_clip(r.content)
    assert abs(duration - 4) <= 0.25
    assert len(frames) == pytest.approx(4 * FPS, abs=2)
    first = float(frames[0].to_ndarray(format="gray").mean())
    assert first == pytest.approx(_first_frame_from(path, from_ms / 1000), abs=3)
    # and which method cut it: a keyframe sits at 2.064 s of the TS clock
    assert clips.make_clip(path, media_root / "check.mp4", from_ms, from_ms + 4000) == method


class _Counting:
    """A container that counts the packets demuxed from it."""

    def __init__(self, container: Any, counter: dict[str, int]) -> None:
        self._container, self._counter = container, counter

    def __getattr__(self, name: str) -> Any:
        return getattr(self._container, name)

    def __enter__(self) -> _Counting:
        return self

    def __exit__(self, *exc: object) -> None:
        self._container.close()

    def demux(self, *streams: Any) -> Any:
        for packet in self._container.demux(*streams):
            self._counter["packets"] += 1
            yield packet


@pytest.mark.parametrize(("from_ms", "method"), [(1000, "reencode"), (2000, "copy")])
def test_a_clip_near_the_start_reads_only_its_range(tmp_path, monkeypatch, from_ms, method):
    """Before, the cut read every packet from the range's start to the end of the file."""
    path = make_av(tmp_path / "long.mp4", 120)
    with av.open(str(path)) as container:
        total = sum(1 for p in container.demux() if p.size)
    counter = {"packets": 0}
    real_open = clips._open
    monkeypatch.setattr(clips, "_open", lambda p: _Counting(real_open(p), counter))
    out = tmp_path / "clip.mp4"
    assert clips.make_clip(path, out, from_ms, from_ms + 4000) == method
    duration, frames = _read_clip(out.read_bytes())
    assert abs(duration - 4) <= 0.25 and len(frames) == pytest.approx(40, abs=2)
    # 4 s of a ~26 packets/s file, plus a GOP before it and the keyframe probe
    assert counter["packets"] < 300 < total


def test_a_range_past_the_end_is_refused_and_nothing_is_cached(client, media_root, settings):
    shutil.copyfile(SAMPLE, media_root / "sample.mp4")
    video = _register(client, media_root / "sample.mp4")
    with av.open(str(SAMPLE)) as container:
        end_ms = container.duration * 1000 // av.time_base
    r = client.get(f"/v1/videos/{video}/clip", params={"from_ms": end_ms + 5000,
                                                       "to_ms": end_ms + 9000})
    assert r.status_code == 422 and "past the end" in r.json()["detail"], r.text
    assert r.json()["field"] == "from_ms"
    assert not list((settings.cache_dir / video).glob("*.mp4"))
    # a range running past the end is cut to it
    tail = client.get(f"/v1/videos/{video}/clip", params={"from_ms": end_ms - 2000,
                                                          "to_ms": end_ms + 3000})
    assert tail.status_code == 200
    assert _read_clip(tail.content)[0] == pytest.approx(2, abs=0.3)


def test_make_clip_refuses_a_range_past_the_end(tmp_path):
    out = tmp_path / "clip.mp4"
    with pytest.raises(ValidationFailedError, match="past the end"):
        clips.make_clip(SAMPLE, out, 3_600_000, 3_604_000)
    assert not out.exists()


def test_clips_beyond_the_slots_wait_their_turn(client, media_root):
    shutil.copyfile(SAMPLE, media_root / "sample.mp4")
    video = _register(client, media_root / "sample.mp4")
    assert client.get(f"/v1/videos/{video}/clip", params={"from_ms": 0, "to_ms": 1000}).status_code == 200
    slots = clip_slots(client.app)
    for _ in range(CLIP_SLOTS):
        assert slots.acquire(blocking=False)
    try:
        busy = client.get(f"/v1/videos/{video}/clip", params={"from_ms": 1000, "to_ms": 2000})
        assert busy.status_code == 503 and int(busy.headers["Retry-After"]) > 0
        assert "retry" in busy.json()["detail"]
        # a cached clip needs no slot
        cached = client.get(f"/v1/videos/{video}/clip", params={"from_ms": 0, "to_ms": 1000})
        assert cached.status_code == 200
    finally:
        for _ in range(CLIP_SLOTS):
            slots.release()
    assert client.get(f"/v1/videos/{video}/clip", params={"from_ms": 1000, "to_ms": 2000}).status_code == 200


def test_thumbnails_keep_the_cache_under_its_limit(settings, session_factory, media_root):
    from eioku.api.app import create_app
    from fastapi.testclient import TestClient

    small = settings.model_copy(update={"cache_max_bytes": 100_000})
    shutil.copyfile(SAMPLE, media_root / "sample.mp4")
    with TestClient(create_app(small, session_factory), raise_server_exceptions=False,
                    base_url="http://127.0.0.1") as client:
        video = _register(client, media_root / "sample.mp4")
        sizes = []
        for t_ms in range(0, 12_000, 500):  # each a new file (any t_ms and width makes one)
            r = client.get(f"/v1/videos/{video}/thumbnail", params={"t_ms": t_ms, "width": 640})
            assert r.status_code == 200
            sizes.append(len(r.content))
    kept = [p for p in small.cache_dir.rglob("*") if p.is_file()]
    assert sum(sizes) > 2 * small.cache_max_bytes  # the limit was reached many times over
    assert sum(p.stat().st_size for p in kept) <= small.cache_max_bytes
    assert (small.cache_dir / video / "thumb-11500-640.jpg") in kept  # the newest stays
