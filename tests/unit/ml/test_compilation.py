"""The MP4 compilation (eioku_ml.media.compilation): its duration is the sum of
its moments, within one GOP each when packets are copied (a copied moment
starts at the keyframe before it), within a frame each when encoded."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from eioku_ml.errors import MediaError
from eioku_ml.media.compilation import Cut, compile_moments

from tests.media import SAMPLE, make_clip

MOMENTS = [(1000, 2500), (4000, 7000), (9500, 11000), (200, 800)]


def _facts(path: Path) -> tuple[float, float, list[float]]:
    """The file's video duration (s), its largest keyframe interval (s), keyframe times."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        times = sorted(float(p.pts * p.time_base) for p in c.demux(v) if p.pts is not None)
        c.seek(0)
        keys = [float(p.pts * p.time_base) for p in c.demux(c.streams.video[0])
                if p.pts is not None and p.is_keyframe]
        frame = 1 / float(v.average_rate)
    gop = max(b - a for a, b in zip(keys, [*keys[1:], times[-1] + frame], strict=True))
    return times[-1] + frame - times[0], gop, sorted(keys)


def test_a_copied_compilation_lasts_its_moments_within_one_gop_each(tmp_path):
    out = tmp_path / "reel.mp4"
    seen: list[float] = []
    made = compile_moments([Cut(SAMPLE, s, e) for s, e in MOMENTS], out, progress=seen.append)
    assert made.mode == "copy" and made.copied == len(MOMENTS)
    duration, _, _ = _facts(out)
    _, gop, _ = _facts(SAMPLE)
    asked = sum(e - s for s, e in MOMENTS) / 1000
    assert asked - 0.05 <= duration <= asked + len(MOMENTS) * gop, (duration, asked, gop)
    assert abs(made.duration_ms / 1000 - duration) < 0.1
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) == len(MOMENTS)
    with av.open(str(out)) as c:
        assert c.streams.audio and sum(1 for _ in c.decode(video=0)) >= asked * 24


def test_different_sources_are_encoded_and_cut_exactly(tmp_path):
    other = make_clip(tmp_path / "other.mp4", [np.full((96, 160, 3), i * 5 % 256, np.uint8)
                                               for i in range(100)], fps=25, container="mp4")
    cuts = [Cut(SAMPLE, 1000, 2500), Cut(other, 400, 2400), Cut(SAMPLE, 9500, 11000)]
    out = tmp_path / "mixed.mp4"
    made = compile_moments(cuts, out)
    assert made.mode == "encode" and made.encoded == 3
    duration, _, _ = _facts(out)
    asked = 1.5 + 2.0 + 1.5
    assert abs(duration - asked) <= 3 / 25, (duration, asked)
    with av.open(str(out)) as c:
        v = c.streams.video[0].codec_context
        assert (v.name, v.width, v.height) == ("h264", 640, 360)
        audio = c.streams.audio[0]
        assert abs(float(audio.duration * audio.time_base) - asked) < 0.1


def test_nothing_to_compile_is_an_error(tmp_path):
    with pytest.raises(MediaError):
        compile_moments([], tmp_path / "x.mp4")
