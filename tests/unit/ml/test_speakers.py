"""The speakers analyzer's bookkeeping, without the model: the window grid,
clustering with and without a number of speakers, turns, overlap marks,
snapping changes of speaker to word gaps, and chunks merged as one pass."""

from __future__ import annotations

import numpy as np
from eioku_ml.analyzers.speakers import SpeakersAnalyzer, diarize, transcript_words, window_centres


def _voices(seed: int, count: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(count, 192))


def _windows(voices: np.ndarray, script: list[int], seed: int = 1, noise: float = 0.6) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([voices[v] + rng.normal(scale=noise * np.linalg.norm(voices[v]) / np.sqrt(192), size=192)
                     for v in script])


def test_windows_sit_on_the_files_grid():
    assert window_centres([(100, 2000)], 750) == [750, 1500]
    assert window_centres([(800, 1100)], 750) == [950]  # too short for a grid point: its middle
    # a region split at a chunk border gets the same grid points as the whole
    assert window_centres([(100, 1600), (1600, 4000)], 750) == window_centres([(100, 4000)], 750)


def test_speakers_found_without_being_told_how_many():
    voices = _voices(0, 3)
    script = [0] * 8 + [1] * 6 + [2] * 5 + [0] * 6 + [1] * 4
    centres = [i * 750 for i in range(len(script))]
    turns = diarize([(0, len(script) * 750)], centres, _windows(voices, script), {})
    assert [t.speaker for t in turns] == ["Speaker 1", "Speaker 2", "Speaker 3", "Speaker 1", "Speaker 2"]
    assert [t.start_ms for t in turns] == [0, 5625, 10125, 13875, 18375]  # halfway between windows
    assert turns[-1].end_ms == len(script) * 750
    assert all(0.5 < t.confidence <= 1 and not t.overlap for t in turns)


def test_a_hint_gives_that_many_speakers():
    voices = _voices(2, 4)
    script = [0] * 5 + [1] * 5 + [2] * 5 + [3] * 5
    centres = [i * 750 for i in range(len(script))]
    vectors = _windows(voices, script)
    assert len({t.speaker for t in diarize([(0, 15000)], centres, vectors, {})}) == 4
    assert len({t.speaker for t in diarize([(0, 15000)], centres, vectors, {"speakers": 2})}) == 2
    assert len({t.speaker for t in diarize([(0, 15000)], centres, vectors, {"speakers": 1})}) == 1


def test_one_stray_window_is_no_turn_and_silence_is_no_ones():
    voices = _voices(3, 2)
    script = [0] * 6 + [1] + [0] * 6 + [1] * 6
    centres = [i * 750 for i in range(13)] + [20000 + i * 750 for i in range(6)]
    regions = [(0, 9750), (19800, 24500)]
    turns = diarize(regions, centres, _windows(voices, script), {})
    assert [(t.start_ms, t.end_ms, t.speaker) for t in turns] == [
        (0, 9750, "Speaker 1"), (19800, 24500, "Speaker 2")]


def test_overlapping_speech_is_given_to_both_speakers():
    voices = _voices(4, 2)
    mixed = (voices[0] + voices[1])[None]  # two voices at once
    vectors = np.concatenate([_windows(voices, [0] * 8), mixed, _windows(voices, [1] * 8)])
    centres = [i * 750 for i in range(17)]
    turns = diarize([(0, 13000)], centres, vectors, {"overlap_similarity": 0.3, "overlap_margin": 0.2})
    both = [t for t in turns if t.start_ms <= 6000 < t.end_ms]
    assert {t.speaker for t in both} == {"Speaker 1", "Speaker 2"}
    assert all(t.overlap for t in both)


def test_a_change_of_speaker_moves_to_the_gap_between_words():
    voices = _voices(5, 2)
    script = [0] * 6 + [1] * 6
    centres = [i * 750 for i in range(12)]
    words = [(i * 400, i * 400 + 300) for i in range(22)]  # a word every 400 ms, gaps of 100 ms
    segments = [{"payload": {"words": [{"start_ms": s, "end_ms": e, "word": "w", "confidence": 1}
                                       for s, e in words]}}]
    turns = diarize([(0, 9000)], centres, _windows(voices, script), {}, words=transcript_words(segments))
    change = turns[0].end_ms
    assert change == turns[1].start_ms and abs(change - 4125) <= 400
    assert not any(s < change < e for s, e in words)  # no word cut in two
    assert change % 400 == 350  # the middle of a gap


def test_chunks_merge_as_one_pass():
    voices = _voices(6, 2)
    script = [0] * 10 + [1] * 10
    centres = [i * 750 for i in range(20)]
    vectors = _windows(voices, script)
    windows = [[c, v.tolist()] for c, v in zip(centres, vectors, strict=True)]
    analyzer = SpeakersAnalyzer({})
    whole = analyzer.merge([{"regions": [[0, 15000]], "windows": windows}])
    parts = analyzer.merge([{"regions": [[0, 6000]], "windows": windows[:8]},
                            {"regions": [[6000, 15000]], "windows": windows[8:]}])
    assert [i.as_dict() for i in parts] == [i.as_dict() for i in whole]
    assert [i.payload["speaker"] for i in whole] == ["Speaker 1", "Speaker 2"]
    assert analyzer.merge([{"regions": [], "windows": []}]) == []


def test_the_number_of_speakers_is_recorded_in_the_run_config():
    from eioku.config import Settings
    from eioku.services.pipeline import ANALYZERS

    producer, config = ANALYZERS["speakers"].plan("fast", Settings(speakers=3))
    assert producer == "eioku.speakers/ecapa-tdnn" and config["speakers"] == 3 and config["int8"] is True
    assert "speakers" not in ANALYZERS["speakers"].plan("fast", Settings())[1]
    assert ANALYZERS["speakers"].plan("high_quality", Settings())[1]["int8"] is False


def test_a_change_of_speaker_goes_to_the_pause_not_after_the_next_speakers_first_word():
    """'…questions?' (pause) 'Last year, most…': the embeddings put the change
    near "Last"/"year" (words touching there); it goes to the widest pause near
    it, before "Last", not the nearest gap or the short one after "year,"."""
    from eioku_ml.analyzers.speakers import Turn, _snap

    words = [(42724, 43124), (43124, 43384), (43804, 43984), (43984, 44144), (44284, 44624)]
    for widest, expected in ((True, (43384 + 43804) // 2), (False, 43984)):
        turns = [Turn(42468, 43990, "Speaker 2", 0.9), Turn(43990, 46864, "Speaker 1", 0.9)]
        _snap(turns, words, 600, widest)
        assert turns[0].end_ms == turns[1].start_ms == expected
