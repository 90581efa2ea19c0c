"""The sounds evaluation: eight clips of speech (Debian's flite and espeak-ng
voices), real music (drascula-music) and silence, one part in four speech
over music (tests/sounds_eval.py), each muxed into an MP4 (AAC) and heard by
the sounds analyzer as a video would be. Prints DCASE's segment-based F1 per
class on 1 s segments; asserts >= 0.8 for speech, music and silence. The
programme loudness agrees with pyloudnorm's meter on the clip itself."""

from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest
from eioku_ml.analyzers.base import MediaInput
from eioku_ml.analyzers.sounds import SoundsAnalyzer
from eioku_ml.media.decode import probe

from tests.sounds_eval import CLASSES, clip, f1, segment_counts
from tests.speech_media import RATE, talking_video

pytestmark = pytest.mark.models
SEEDS = range(8)


@pytest.fixture(scope="module")
def heard(tmp_path_factory):
    analyzer = SoundsAnalyzer({})
    out = []
    for seed in SEEDS:
        c = clip(seed)
        path = talking_video(tmp_path_factory.mktemp("sounds") / f"clip{seed}.mp4", c.audio)
        items = analyzer.analyze(MediaInput(path, probe(path)), lambda f: None, {})
        out.append((c, items))
    return out


def test_speech_music_and_silence_segment_f1(heard):
    totals = {name: [0, 0, 0] for name in CLASSES}
    for c, items in heard:
        seconds = int(np.ceil(len(c.audio) / RATE))
        line = []
        for name in CLASSES:
            found = [(i.span_start_ms / 1000, i.span_end_ms / 1000) for i in items
                     if i.payload["label"] == name]
            counts = segment_counts(c.reference[name], found, seconds)
            totals[name] = [a + b for a, b in zip(totals[name], counts, strict=True)]
            line.append(f"{name} {f1(*counts):.2f}")
        print(f"seed {c.seed} ({seconds} s): " + ", ".join(line))
    scores = {name: f1(*totals[name]) for name in CLASSES}
    print("segment-based F1 (1 s): " + ", ".join(f"{n} {s:.3f} (tp/fp/fn {totals[n]})"
                                                 for n, s in scores.items()))
    assert all(score >= 0.8 for score in scores.values()), scores


def test_programme_loudness_is_the_meters(heard):
    for c, items in heard:
        (programme,) = [i for i in items if i.payload["label"] == "programme"]
        reference = pyloudnorm.Meter(RATE).integrated_loudness(c.audio.astype(np.float64))
        print(f"seed {c.seed}: {programme.payload['loudness_lufs']} LUFS, pyloudnorm {reference:.2f}")
        assert abs(programme.payload["loudness_lufs"] - reference) < 0.5  # (through AAC)
        assert programme.payload["loudness_range_lu"] is not None
        assert programme.payload["max_momentary_lufs"] >= programme.payload["loudness_lufs"]
