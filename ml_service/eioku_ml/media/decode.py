"""Opening and probing media, the frame record, and the decode clock. The
frame pass (``framepass.py``) decodes a video once and hands frames to the
analyzers at the size each asks for (aspect ratio kept, even height)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from eioku.media.frames import demuxed_duration, first_frame_rotation
from eioku.media.geometry import quarter_turns, upright_size

from eioku_ml.errors import MediaError


@dataclass(frozen=True)
class Frame:
    index: int  # decode order, 0-based
    time_ms: int
    image: np.ndarray  # H x W x 3 (RGB unless asked otherwise)


@dataclass(frozen=True)
class Probe:
    duration_s: float
    fps: float
    width: int
    height: int
    frame_count: int | None
    video_codec: str | None
    audio_codec: str | None
    has_audio: bool
    container: str
    bit_rate: int | None
    audio_duration_s: float | None
    rotation: int
    tags: dict[str, str] = field(default_factory=dict)


def _open(path: Path, need_video: bool = True) -> Any:
    if not path.is_file():
        raise MediaError(f"no such file: {path}")
    if path.stat().st_size == 0:
        raise MediaError(f"{path.name} is empty")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise MediaError(f"{path.name} is not a readable video: {exc}") from exc
    if not container.streams.video and (need_video or not container.streams.audio):
        container.close()
        raise MediaError(f"{path.name} has no video stream")
    return container


def has_video(path: Path) -> bool:
    with _open(path, need_video=False) as container:
        return bool(container.streams.video)


def probe(path: Path) -> Probe:
    """Container and stream facts, without decoding pictures. An audio-only file
    (a voice memo, a podcast) has no picture: size 0, no frame rate."""
    with _open(path, need_video=False) as container:
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        main = video or audio
        duration = _seconds(container.duration, Fraction(1, av.time_base)) or _seconds(
            main.duration, main.time_base) or 0.0
        fps = float(video.average_rate or video.guessed_rate or 0) or 0.0 if video else 0.0
        tags = {str(k): str(v) for k, v in {**container.metadata, **main.metadata}.items()}
        rotation = int(round(first_frame_rotation(container))) if video else 0
        width, height = upright_size(video.codec_context.width, video.codec_context.height,
                                     quarter_turns(rotation)) if video else (0, 0)
        if not duration > 0:  # e.g. a WebM recorded live (MediaRecorder): no duration, no cues
            duration = _demuxed_duration(path, main.index)
        return Probe(
            duration_s=duration, fps=fps, width=width,
            height=height,
            frame_count=(video.frames or None) if video else None,
            video_codec=video.codec_context.name if video else None,
            audio_codec=audio.codec_context.name if audio else None, has_audio=audio is not None,
            container=container.format.name, bit_rate=container.bit_rate or None,
            audio_duration_s=_seconds(audio.duration, audio.time_base) if audio else None,
            rotation=rotation, tags=tags,
        )


def _demuxed_duration(path: Path, index: int) -> float:
    with _open(path, need_video=False) as container:
        return demuxed_duration(container, container.streams[index])


def _seconds(value: int | None, base: Fraction | None) -> float | None:
    if value is None or base is None:
        return None
    return float(value * base)


@dataclass
class Damage:
    """What decoding met on its way through a damaged file: how many packets
    could not be read or decoded, the first reason, and whether one failed
    since the last frame came out (so the time until the next frame is a gap)."""

    errors: int = 0
    first: str | None = None
    pending: bool = False

    def note(self, exc: BaseException) -> None:
        self.errors += 1
        self.first = self.first or str(exc)
        self.pending = True


# the demuxer failing this many times in a row without a packet between: the file is over
MAX_DEMUX_STALLS = 16


def decode_through(container: Any, stream: Any, damage: Damage) -> Iterator[Any]:
    """Frames of ``stream`` from the current position to the end, decoded
    packet by packet so that damage costs only what it covers: a packet the
    decoder refuses is skipped (the next keyframe starts clean again), and
    the demuxer is asked again after a read error, as players do. Each
    failure is noted in ``damage``."""
    stalls = 0
    while True:
        try:
            for packet in container.demux(stream):
                stalls = 0
                try:
                    frames = packet.decode()
                except av.error.EOFError:
                    continue  # the decoder was flushed already
                except av.error.FFmpegError as exc:
                    damage.note(exc)
                    continue
                yield from frames
            return
        except av.error.FFmpegError as exc:  # the demuxer: read on after the damage
            damage.note(exc)
            stalls += 1
            if stalls >= MAX_DEMUX_STALLS:
                return


@dataclass
class DecodeClock:
    """Seconds spent decoding (and converting frames) in a block of code, so the
    worker can report decode vs inference time per run::

        with DecodeClock.measure() as clock:
            analyzer.analyze(...)
        clock.seconds
    """

    seconds: float = 0.0

    @staticmethod
    def current() -> DecodeClock:
        return _CLOCK.get() or DecodeClock()  # unmeasured: a throwaway clock

    @staticmethod
    @contextmanager
    def measure() -> Iterator[DecodeClock]:
        clock = DecodeClock()
        token = _CLOCK.set(clock)
        try:
            yield clock
        finally:
            _CLOCK.reset(token)

    def add(self, started: float) -> None:
        self.seconds += time.perf_counter() - started


_CLOCK: ContextVar[DecodeClock | None] = ContextVar("eioku_decode_clock", default=None)


def decode_audio(path: Path, sampling_rate: int = 16000, start_s: float = 0.0,
                 end_s: float | None = None, track: int | None = None) -> tuple[np.ndarray, float]:
    """Mono float32 samples of ``[start_s, end_s)`` (to the end when None), and
    the time in seconds of the first sample returned. Seeks near ``start_s``, so
    a chunk of a long recording decodes only its own part. ``track``: the
    stream index of the audio track to hear (default: the first).

    Decoding goes on past damage (a cut download, a damaged region); what
    could not be decoded is silence of its length, so the times after it stay
    true. Audio of which nothing decodes is a ``MediaError``."""
    with _open(path, need_video=False) as container:
        stream = audio_stream(container, track, path)
        stream.thread_type = "AUTO"
        # times from the start of the file (a file may start its clock anywhere)
        origin = float(container.start_time / av.time_base) if container.start_time else 0.0
        if start_s > 0:
            container.seek(int((origin + start_s) / stream.time_base), stream=stream)
        resampler = av.AudioResampler(format="s16", layout="mono", rate=sampling_rate)
        chunks: list[np.ndarray] = []
        first: float | None = None
        heard = 0  # samples so far
        damage = Damage()
        for frame in decode_through(container, stream, damage):
            begins = float(frame.time) - origin if frame.time is not None else 0.0
            if end_s is not None and begins >= end_s:
                break
            if begins + frame.samples / (frame.sample_rate or sampling_rate) <= start_s:
                continue
            first = begins if first is None else first
            missing = int(round((begins - first) * sampling_rate)) - heard
            if damage.pending and missing > sampling_rate // 50:  # a hole longer than 20 ms
                chunks.append(np.zeros(missing, np.int16))
                heard += missing
            damage.pending = False
            for resampled in resampler.resample(frame):
                chunks.append(resampled.to_ndarray().reshape(-1))
                heard += len(chunks[-1])
        chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    if first is None and damage.errors:
        raise MediaError(f"{path.name}: audio cannot be decoded: {damage.first}")
    audio = np.concatenate(chunks).astype(np.float32) / 32768.0 if chunks else np.zeros(0, np.float32)
    return audio, first or 0.0


def audio_stream(container: Any, track: int | None, path: Path) -> Any:
    """The audio stream of index ``track`` (the first when None)."""
    if not container.streams.audio:
        raise MediaError(f"{path.name} has no audio stream")
    if track is None:
        return container.streams.audio[0]
    chosen = [s for s in container.streams.audio if s.index == track]
    if not chosen:
        raise MediaError(f"{path.name} has no audio track #{track}: its audio tracks are "
                         f"{', '.join(str(s.index) for s in container.streams.audio)}")
    return chosen[0]
