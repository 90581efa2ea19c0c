"""Frame decoding through the frame pass: sampling, selection, scaling, shared
conversions and decode timing."""

from __future__ import annotations

from eioku_ml.analyzers.base import FrameAnalyzer, FrameWant
from eioku_ml.media.decode import DecodeClock, probe
from eioku_ml.media.framepass import run_pass

from tests.media import SAMPLE


class Recorder(FrameAnalyzer):
    name = "recorder"

    def __init__(self, want, times=None):
        super().__init__({})
        self._want, self.times, self.seen = want, times, []

    @property
    def want(self):
        return self._want

    def due(self, time_ms):
        return super().due(time_ms) if self.times is None else time_ms in self.times

    def take(self, frame):
        self.seen.append((frame.index, frame.time_ms, frame.image.shape, id(frame.image)))

    def finish(self):
        return []


def test_every_frame_and_sampling_at_each_analyzers_size():
    info = probe(SAMPLE)
    every = Recorder(FrameWant(64, "rgb24"))
    sampled = Recorder(FrameWant(64, "rgb24", 1000))
    grey = Recorder(FrameWant(32, "gray", 4000))
    results = run_pass(SAMPLE, {"every": every, "sampled": sampled, "grey": grey})
    assert all(r.error is None for r in results.values())
    assert len(every.seen) == round(info.duration_s * info.fps) == 300
    assert every.seen[0][2] == (36, 64, 3)  # aspect kept, even height
    assert [t for _, t, _, _ in sampled.seen] == list(range(0, 12_000, 1000))
    assert grey.seen[0][2] == (18, 32) and [t for _, t, _, _ in grey.seen] == [0, 4000, 8000]


def test_a_size_is_converted_once_and_shared_and_selection_is_by_time():
    a = Recorder(FrameWant(64, "rgb24"))
    b = Recorder(FrameWant(64, "rgb24"), times={0, 3000, 3040, 11_960})
    run_pass(SAMPLE, {"a": a, "b": b})
    assert [(i, t) for i, t, _, _ in b.seen] == [(0, 0), (75, 3000), (76, 3040), (299, 11_960)]
    same = {t: key for _, t, _, key in a.seen}
    assert all(same[t] == key for _, t, _, key in b.seen)  # the very same array


def test_decode_clock_measures_only_inside_its_block():
    with DecodeClock.measure() as clock:
        run_pass(SAMPLE, {"r": Recorder(FrameWant(64, "rgb24", 4000))})
    assert clock.seconds > 0
    inside = clock.seconds
    run_pass(SAMPLE, {"r": Recorder(FrameWant(64, "rgb24", 4000))})  # outside: not counted
    assert clock.seconds == inside
