"""Reading pictures out of a video with PyAV: its size, one frame at a time,
and frames at regular times for scrub previews."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

import av
from PIL import Image

from eioku.domain.errors import MediaUnreadableError
from eioku.media.geometry import (
    coded_size,
    display_size,
    quarter_turns,
    sample_aspect,
    upright_size,
)

# longer videos get scrub previews from keyframes only: a few seconds instead
# of a full decode, at the price of tiles that may lag by up to one GOP
KEYFRAMES_ONLY_AFTER_S = 600.0


@dataclass(frozen=True)
class VideoFacts:
    """``width`` x ``height``: the upright picture in coded pixels, as the
    analyzers see it (their boxes are in those pixels); ``display_*``: as a
    player shows it, pixels stretched to their shape (an anamorphic 720x576
    recording is shown 1024x576)."""

    width: int
    height: int
    duration_s: float
    fps: float
    display_width: int = 0
    display_height: int = 0


def _open(path: Path) -> Any:
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise MediaUnreadableError(f"cannot read {path.name}: {reason}") from exc
    if not container.streams.video:
        container.close()
        raise MediaUnreadableError(f"{path.name} has no video stream")
    return container


@lru_cache(maxsize=256)
def _facts(path: str, mtime_ns: int) -> VideoFacts:
    with _open(Path(path)) as container:
        stream = container.streams.video[0]
        duration = (container.duration or 0) / av.time_base
        if not duration and stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        fps = float(stream.average_rate or stream.guessed_rate or 0) or 25.0
        coded, turns = stream.codec_context, quarter_turns(first_frame_rotation(container))
        size = upright_size(coded.width, coded.height, turns)
        shown = display_size(coded.width, coded.height, sample_aspect(stream), turns)
        if not duration > 0:  # e.g. a WebM recorded live (MediaRecorder): no duration, no cues
            duration = demuxed_duration(container, stream)
        return VideoFacts(*size, duration, fps, *shown)


def demuxed_duration(container: Any, stream: Any) -> float:
    """How long ``stream`` lasts when its container does not say: the end of
    its last packet, from reading (not decoding) every packet, counted from
    the file's clock origin as frame times are. A packet without a duration
    (WebM's blocks carry none) lasts one frame. 0 when nothing can be read.
    Reads ``container`` to its end."""
    rate = stream.average_rate or stream.guessed_rate
    frame = 1 / Fraction(rate) if rate else Fraction(0)
    first: Fraction | None = None
    end = Fraction(0)
    with contextlib.suppress(av.error.FFmpegError):  # not seekable: read on from here
        container.seek(0)
    try:
        for packet in container.demux(stream):
            if packet.pts is None or packet.time_base is None:
                continue
            at = packet.pts * packet.time_base
            first = at if first is None else min(first, at)
            end = max(end, at + (packet.duration * packet.time_base if packet.duration else frame))
    except av.error.FFmpegError:
        pass  # a damaged tail: the packets before it tell how long it is
    if first is None:
        return 0.0
    origin = Fraction(container.start_time, av.time_base) if container.start_time else first
    return max(0.0, float(end - origin))


def first_frame_rotation(container: Any) -> float:
    """The display rotation of the first decodable frame (0 if none): FFmpeg
    hands a phone's display matrix to each decoded frame, not to the stream."""
    try:
        for frame in container.decode(video=0):
            return float(getattr(frame, "rotation", 0) or 0)
    except av.error.FFmpegError:
        pass
    return 0.0


def video_facts(path: Path) -> VideoFacts:
    """Picture size, duration and frame rate (cached per file version)."""
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise MediaUnreadableError(f"cannot read {path}: {exc.strerror}") from exc
    return _facts(str(path), mtime)


def origin(container: Any) -> float:
    """Where the file's clock starts (seconds): every time Eioku stores or serves
    counts from it, as players show it (a file may start its clock anywhere)."""
    return float(container.start_time / av.time_base) if container.start_time else 0.0


def frame_at(path: Path, t_ms: int, width: int | None = None) -> Image.Image:
    """The frame shown at ``t_ms`` (the last one starting at or before it)."""
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        target = origin(container) + max(0.0, t_ms / 1000)
        if stream.time_base:
            container.seek(int(target / stream.time_base), stream=stream, backward=True)
        chosen = None
        try:
            for frame in container.decode(stream):
                if frame.time is not None and frame.time > target + 1e-3 and chosen is not None:
                    break
                chosen = frame
        except av.error.FFmpegError as exc:
            if chosen is None:
                raise MediaUnreadableError(f"{path.name}: no frame at {t_ms} ms: {exc}") from exc
        if chosen is None:
            raise MediaUnreadableError(f"{path.name}: no frame at {t_ms} ms")
        return _image(chosen, width, sample_aspect(stream))


_TURN = {1: Image.Transpose.ROTATE_90, 2: Image.Transpose.ROTATE_180, 3: Image.Transpose.ROTATE_270}


def _image(frame: Any, width: int | None, sar: Fraction = Fraction(1)) -> Image.Image:
    """The frame as displayed (pixels of shape ``sar`` stretched, turned
    upright), ``width`` pixels wide at most."""
    turns = quarter_turns(getattr(frame, "rotation", 0))
    shown_w, shown_h = display_size(frame.width, frame.height, sar, turns)
    if width and width < shown_w:
        shown_w, shown_h = width, max(2, round(shown_h * width / shown_w))
    coded = coded_size((shown_w, shown_h), turns)
    image = frame.to_image() if coded == (frame.width, frame.height) \
        else frame.to_image(width=coded[0], height=coded[1])
    return image.transpose(_TURN[turns]) if turns else image


def frames_every(path: Path, interval_s: float, count: int, width: int) -> Iterator[Image.Image]:
    """``count`` pictures, one per ``interval_s`` from 0: each the first frame at
    or after its time (keyframes only for long videos); the last frame fills
    any tail the decoder could not reach."""
    facts = video_facts(path)
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        sar = sample_aspect(stream)
        if facts.duration_s > KEYFRAMES_ONLY_AFTER_S:
            stream.codec_context.skip_frame = "NONKEY"
        done, last, start = 0, None, origin(container)
        try:
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                while done < count and frame.time - start + 1e-3 >= done * interval_s:
                    last = _image(frame, width, sar)
                    yield last
                    done += 1
                if done >= count:
                    return
        except av.error.FFmpegError:
            pass  # a damaged tail: repeat the last good picture
        if last is None:
            raise MediaUnreadableError(f"{path.name}: no frame could be decoded")
        for _ in range(count - done):
            yield last


def tile_plan(duration_s: float, max_tiles: int = 300) -> tuple[float, int]:
    """Interval and number of scrub-preview tiles: one per second for short
    videos, at most ``max_tiles`` for long ones."""
    duration_s = max(duration_s, 0.001)
    interval = max(1.0, math.ceil(duration_s / max_tiles))
    return interval, max(1, math.ceil(duration_s / interval))
