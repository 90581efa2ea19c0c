"""Frame decoding: sampling, selection, scaling and decode timing."""

from __future__ import annotations

from eioku_ml.media.decode import DecodeClock, iter_frames, probe

from tests.media import SAMPLE


def test_every_frame_and_sampling():
    info = probe(SAMPLE)
    frames = list(iter_frames(SAMPLE, width=64))
    assert len(frames) == round(info.duration_s * info.fps) == 300
    assert frames[0].image.shape == (36, 64, 3)  # aspect kept, even height
    sampled = [f.time_ms for f in iter_frames(SAMPLE, width=64, every_ms=1000)]
    assert sampled == list(range(0, 12_000, 1000))


def test_wanted_selects_frames_by_time_and_sees_every_one():
    asked = []

    def wanted(time_ms):
        asked.append(time_ms)
        return time_ms in (0, 3000, 3040, 11_960)

    got = [(f.index, f.time_ms) for f in iter_frames(SAMPLE, width=32, wanted=wanted)]
    assert got == [(0, 0), (75, 3000), (76, 3040), (299, 11_960)]
    assert len(asked) == 300  # asked about every decoded frame, converted four


def test_decode_clock_measures_only_inside_its_block():
    with DecodeClock.measure() as clock:
        for _ in iter_frames(SAMPLE, width=64, every_ms=4000):
            pass
    assert clock.seconds > 0
    inside = clock.seconds
    list(iter_frames(SAMPLE, width=64, every_ms=4000))  # outside: not counted
    assert clock.seconds == inside
