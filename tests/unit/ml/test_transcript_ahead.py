"""The transcript begun ahead (analyzers/transcript_ahead.py): windows decoded
ahead are taken only when everything that decides them is the same — the
audio, where it starts, the language asked and the hotwords — and the words
come out as a decode would give them. A fake decoder counts the decodes (the
orchestration is under test; the worker test runs Whisper)."""

from __future__ import annotations

import json

import numpy as np
from eioku_ml.analyzers import transcript_ahead
from eioku_ml.analyzers.base import MediaInput


class Windows:
    """Three 1 s windows; the middle one has text on screen once OCR is in."""

    def __init__(self) -> None:
        self.decodes: list[tuple[float, str | None]] = []
        self.screen: list[str] = []
        self.audio = np.random.default_rng(7).standard_normal(48_000).astype(np.float32)

    def use_context(self, context):
        self.screen = [a for a in context.get("ocr", [])]
        self.names = context.get("names", [])

    def _transcribe(self, audio, offset_s, language, short, hotwords=None):
        self.decodes.append((offset_s, hotwords))
        return [{"word": f"w{offset_s:g}", "hot": hotwords, "start_ms": int(offset_s * 1000)}], "en"

    def analyze_chunk(self, media, window, overlap_s, progress):
        words = []
        for i in range(3):
            hot = ", ".join([*self.names, *(self.screen if i == 1 else [])]) or None
            heard, _ = self._transcribe(self.audio[i * 16_000:(i + 1) * 16_000], float(i), "en",
                                        False, hotwords=hot)
            words += heard
        return {"words": words}

    def analyze(self, media, progress, context):
        self.use_context(context)
        return self.analyze_chunk(media, None, 0.0, progress)["words"]


def test_only_windows_whose_inputs_changed_are_decoded_again():
    media = MediaInput.__new__(MediaInput)
    ahead_worker = Windows()
    ahead = transcript_ahead.prepare(ahead_worker, media, {"names": ["Aoife"]})
    assert len(ahead["windows"]) == 3 and len(ahead_worker.decodes) == 3
    ahead = json.loads(json.dumps(ahead))  # as the prepared file holds it

    run = Windows()
    words = transcript_ahead.analyze_prepared(run, media, lambda f: None,
                                              {"names": ["Aoife"], "ocr": ["INVOICE"]}, ahead)
    assert run.decodes == [(1.0, "Aoife, INVOICE")]  # only the window near the text on screen
    fresh = Windows()
    assert words == fresh.analyze(media, None, {"names": ["Aoife"], "ocr": ["INVOICE"]})
    assert not hasattr(run, "_transcribe") or run._transcribe.__func__ is Windows._transcribe


def test_other_audio_or_names_are_decoded_again():
    media = MediaInput.__new__(MediaInput)
    ahead = json.loads(json.dumps(transcript_ahead.prepare(Windows(), media, {"names": []})))
    run = Windows()
    run.audio = run.audio * 0.5  # other samples at the same times: nothing taken
    transcript_ahead.analyze_prepared(run, media, lambda f: None, {"names": []}, ahead)
    assert len(run.decodes) == 3
    named = Windows()
    transcript_ahead.analyze_prepared(named, media, lambda f: None, {"names": ["Siobhan"]}, ahead)
    assert len(named.decodes) == 3


def test_a_malformed_prepared_file_decodes_everything():
    run = Windows()
    words = transcript_ahead.analyze_prepared(run, MediaInput.__new__(MediaInput), lambda f: None,
                                              {"names": []}, {"windows": [["k", 3]]})
    assert len(run.decodes) == 3 and len(words) == 3
