"""The long-transcript evaluation (issue 28): 20 minutes of narration from
Debian packages (tests/long_speech.py: LibriVox's Sense and Sensibility, then
flite's awb/rms/slt voices reading the GNU GPL v3, no paragraph twice) in a
video analysed as the worker analyses a long one: 300 s chunks heard with the
configured overlap (EIOKU_CHUNK_OVERLAP_S), then merged; Whisper base with the
default (fast) profile. Against the text that was read it prints and asserts:
>= 99 % of the words kept (a word counts as kept when the alignment pairs it
with a transcribed word, right or misheard: losses are what is asserted; the
word error rate is printed), no stretch of speech over 3 s without a word, no
repeated sentence, <= 5 % of segments under three words; and a run is
repeatable: the last chunk (and its border), heard again by a second
analyzer (a fresh model load), gives the same words and times. (Only one
chunk is heard twice, to keep the suite's CPU time in bounds.)
Cost: about 150 s of CPU (about 150 s of wall time on 2 cores) for the 20 minutes."""

from __future__ import annotations

import time

import pytest
from eioku.config import get_settings
from eioku.services.pipeline import ANALYZERS
from eioku_ml.analyzers.base import MediaInput
from eioku_ml.analyzers.transcript import TranscriptAnalyzer
from eioku_ml.media.decode import probe

from tests.long_speech import measure, narration
from tests.speech_media import talking_video

pytestmark = pytest.mark.models
MINUTES = 20.5
CHUNK_MS = 300_000
CONFIG = ANALYZERS["transcript"].config("fast")


@pytest.fixture(scope="module")
def narrated(tmp_path_factory):
    work = tmp_path_factory.mktemp("narration")
    audio, passages = narration(MINUTES, work)
    video = talking_video(work / "narration.mp4", audio, fps=1, size=(32, 32))
    return MediaInput(video, probe(video)), passages


@pytest.fixture(scope="module")
def chunked(narrated):
    media, _ = narrated
    analyzer = TranscriptAnalyzer(CONFIG)
    analyzer.ensure_loaded()
    overlap_s = get_settings().chunk_overlap_s
    windows = [(s, min(media.duration_ms, s + CHUNK_MS)) for s in range(0, media.duration_ms, CHUNK_MS)]
    cpu, wall = time.process_time(), time.perf_counter()
    partials = [analyzer.analyze_chunk(media, w, overlap_s, lambda _: None) for w in windows]
    items = analyzer.merge(partials)
    print(f"\n{media.duration_ms / 60000:.1f} min in {len(windows)} chunks: "
          f"{time.process_time() - cpu:.0f} s CPU, {time.perf_counter() - wall:.0f} s")
    return windows, overlap_s, partials, items


def test_a_long_narration_in_chunks_keeps_its_words_once_in_sentences(narrated, chunked):
    _, passages = narrated
    *_, items = chunked
    segments = [{"text": i.payload["text"], "start_ms": i.span_start_ms, "end_ms": i.span_end_ms,
                 "words": i.payload["words"]} for i in items]
    m = measure(segments, passages)
    print(f"words kept {m.kept:.4f}, word error rate {m.wer:.3f}, longest speech without a word "
          f"{m.longest_gap_s:.1f} s, repeated {m.repeated}, invented {m.invented}, "
          f"segments under three words {m.short_share:.3f} of {m.segments}")
    assert m.kept >= 0.99
    assert m.longest_gap_s <= 3.0
    assert m.repeated == []
    assert m.short_share <= 0.05
    hyphenated = [w["word"] for s in segments for w in s["words"] or [] if "-" in w["word"].strip("-")]
    assert "ill-disposed" in " ".join(hyphenated).lower()  # LibriVox: "he was not an ill-disposed young man"


def test_a_second_run_hears_the_same_words(narrated, chunked):
    media, _ = narrated
    windows, overlap_s, partials, _ = chunked
    again = TranscriptAnalyzer(CONFIG)
    again.ensure_loaded()
    # the last chunk (its border with the one before included): the cheapest to hear twice
    heard = again.analyze_chunk(media, windows[-1], overlap_s, lambda _: None)
    assert heard == partials[-1]
    assert [i.payload for i in again.merge(partials[:-1] + [heard])] == [i.payload for i in chunked[3]]
