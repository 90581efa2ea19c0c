"""The intro and credits evaluation: a generated series of four episodes in
one folder (tests/segments_eval.py: opencv-doc footage, scikit-image
photographs, flite voices, drascula music) sharing a 20 s intro after cold
opens of 4–26 s and ending in rolling credits, and a special in the same
folder with neither. Prints each found span against the truth; asserts both
within ±2 s (start and end) in >= 3 of 4 episodes and nothing of either in
the special."""

from __future__ import annotations

import pytest
from eioku_ml.analyzers.base import MediaInput
from eioku_ml.analyzers.segments import SegmentsAnalyzer
from eioku_ml.media.decode import probe

from tests.segments_eval import series

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def found(tmp_path_factory):
    from eioku.config import get_settings

    out = []
    with pytest.MonkeyPatch.context() as mp:  # siblings' fingerprints cached in a data dir of its own
        mp.setenv("EIOKU_DATA_DIR", str(tmp_path_factory.mktemp("data")))
        get_settings.cache_clear()
        for e in series(tmp_path_factory.mktemp("series") / "The Series"):
            items = SegmentsAnalyzer({}).analyze(MediaInput(e.path, probe(e.path)), lambda f: None, {})
            out.append((e, items))
        cached = list((get_settings().cache_dir / "fingerprints").glob("*.npz"))
    get_settings.cache_clear()
    assert len(cached) == 5  # each video's fingerprint made once, then read by the others
    return out


def _within(truth, items, kind, tolerance_s=2.0):
    spans = [(i.span_start_ms / 1000, i.span_end_ms / 1000) for i in items if i.payload["type"] == kind]
    hit = any(abs(s - truth[0]) <= tolerance_s and abs(e - truth[1]) <= tolerance_s for s, e in spans)
    return hit, spans


def test_intro_and_credits_found_within_two_seconds(found):
    intros = credits = 0
    for e, items in found[:4]:
        intro_hit, intro_spans = _within(e.intro, items, "intro")
        credits_hit, credits_spans = _within(e.credits, items, "credits")
        intros, credits = intros + intro_hit, credits + credits_hit
        print(f"{e.path.name}: intro {e.intro} found {intro_spans}; credits {e.credits} found "
              f"{credits_spans}")
    print(f"intro within ±2 s in {intros}/4 episodes, credits in {credits}/4")
    assert intros >= 3
    assert credits >= 3
    for _, items in found[:4]:
        (intro,) = [i for i in items if i.payload["type"] == "intro"] or [None]
        if intro is not None:
            assert intro.payload["shared_with"] >= 2


def test_nothing_found_in_the_video_without(found):
    e, items = found[4]
    print(f"{e.path.name}: {[(i.payload['type'], i.span_start_ms, i.span_end_ms) for i in items]}")
    assert not [i for i in items if i.payload["type"] in ("intro", "credits")]


def test_payloads_validate(found):
    from eioku.artifacts.payloads.sounds import SegmentV1

    for _, items in found:
        for item in items:
            SegmentV1.model_validate(item.payload)
            assert item.span_start_ms <= item.span_end_ms


def test_a_chunked_episode_gets_what_a_whole_pass_finds(found, tmp_path, monkeypatch):
    """Three windows of a frame pass (as a long video's chunks), their findings
    through JSON, merged: the same segments as one pass over the whole."""
    import json

    from eioku.config import get_settings
    from eioku_ml.media.framepass import run_pass

    monkeypatch.setenv("EIOKU_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    e, whole = found[1]
    media = MediaInput(e.path, probe(e.path))
    parts = []
    for window in ((0, 30_000), (30_000, 50_000), (50_000, 70_000)):
        analyzer = SegmentsAnalyzer({})
        analyzer.start(media, {})
        result = run_pass(e.path, {"s": analyzer}, duration_s=media.probe.duration_s, window=window)["s"]
        assert result.error is None
        parts.append(json.loads(json.dumps(result.partial)))
    analyzer = SegmentsAnalyzer({})
    analyzer.start(media, {})
    merged = analyzer.merge(parts)
    get_settings.cache_clear()
    assert [(i.span_start_ms, i.span_end_ms, i.payload) for i in merged] == \
        [(i.span_start_ms, i.span_end_ms, i.payload) for i in whole]
    assert {i.payload["type"] for i in merged} >= {"intro", "credits"}


def test_audio_heard_in_windows_finds_the_same(found, tmp_path, monkeypatch):
    """The audio is decoded ten minutes at a time; in 17 s windows (borders inside
    the intro and the credits) an episode gets the same segments."""
    import eioku_ml.analyzers.segments as segments
    from eioku.config import get_settings

    monkeypatch.setenv("EIOKU_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(segments, "WINDOW_S", 17.0)
    get_settings.cache_clear()
    e, whole = found[2]
    windowed = SegmentsAnalyzer({}).analyze(MediaInput(e.path, probe(e.path)), lambda f: None, {})
    get_settings.cache_clear()
    assert [(i.span_start_ms, i.span_end_ms, i.payload["type"]) for i in windowed] == \
        [(i.span_start_ms, i.span_end_ms, i.payload["type"]) for i in whole]
