"""What a window of speech costs the transcript: Whisper's encoder (the most
expensive step) runs once per window, for the language and the words both,
and the words are those faster-whisper's own detection (which encodes the
window a second time) gives."""

from __future__ import annotations

import pytest
from eioku.services.pipeline import ANALYZERS
from eioku_ml.analyzers.transcript import TranscriptAnalyzer

from tests.speech_media import RATE, flite

pytestmark = pytest.mark.models
SAID = ("The quarterly figures were sent to the printers on Monday morning, "
        "and the design team will need two more days for the cover of the catalogue. "
        "That leaves very little time for proof reading, so we would like volunteers.")


class _Counting:
    """The CTranslate2 model, counting its encoder runs."""

    def __init__(self, inner):
        self.inner, self.encodes = inner, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def encode(self, *args, **kwargs):
        self.encodes += 1
        return self.inner.encode(*args, **kwargs)


def test_a_window_is_encoded_once_and_heard_as_faster_whisper_hears_it(tmp_path):
    audio = flite("slt", SAID, tmp_path / "said.wav")
    assert len(audio) / RATE >= 8  # long enough for its language to be detected
    analyzer = TranscriptAnalyzer(ANALYZERS["transcript"].config("fast"))
    analyzer.ensure_loaded()
    counting = analyzer.model.model = _Counting(analyzer.model.model)
    words, language = analyzer._transcribe(audio, 0.0, None, short=False)
    assert counting.encodes == 1
    assert language == "en"
    own, info = analyzer.model.transcribe(  # faster-whisper detecting the language itself
        audio, language=None, beam_size=1, temperature=0.0, condition_on_previous_text=False,
        compression_ratio_threshold=2.4, log_prob_threshold=-1.0, no_speech_threshold=0.6,
        vad_filter=False, word_timestamps=True, hallucination_silence_threshold=2.0)
    expected = [w.word.strip() for seg in own for w in seg.words]
    assert counting.encodes == 3 and info.language == "en"
    assert [w["word"] for w in words] == expected
    assert "quarterly" in " ".join(expected).lower()
