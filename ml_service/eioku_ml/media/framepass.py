"""The frame pass: decode a video once and push its frames to every frame
analyzer, at the rate and size each asks for.

Each analyzer says what it wants (:class:`FrameWant`: width, pixel format,
sampling interval) and whether a frame is due; the pass converts a decoded
frame once per (width, pixel format) that some due analyzer asked for and
hands the same array to all of them. An analyzer that raises is dropped from
the pass and its error reported; the others go on. Analyzers see frames in
a fixed order (scenes first), so a cut found at a frame is known to the
others at that same frame (OCR samples the first frame of each shot).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av
from eioku.media.geometry import scaled_size

from eioku_ml.errors import MediaError
from eioku_ml.media.decode import DecodeClock, Frame, _open

if TYPE_CHECKING:
    from eioku_ml.analyzers.base import FrameAnalyzer, Item

# how many times a video stream was opened for decoding in this process (tests count them)
DECODES = {"video": 0}


@dataclass
class PassState:
    """What the analyzers of one pass learn from each other while it runs."""

    cuts_ms: list[int] = field(default_factory=list)  # scene starts found so far (after 0)
    frames: int = 0


@dataclass
class PassResult:
    items: list[Item] | None
    error: BaseException | None
    seconds: float  # time spent in this analyzer (take + finish), not decoding


def run_pass(path: Path, analyzers: Mapping[str, FrameAnalyzer], *, duration_s: float = 0.0,
             progress: Callable[[float], None] | None = None) -> dict[str, PassResult]:
    """Decode ``path`` once and feed ``analyzers``; every analyzer gets a result."""
    live = dict(sorted(analyzers.items(), key=lambda kv: kv[1].pass_order))
    spent = dict.fromkeys(live, 0.0)
    errors: dict[str, BaseException] = {}

    def call(name: str, fn: Callable[[], Any]) -> None:
        started = time.perf_counter()
        try:
            fn()
        except Exception as exc:  # one analyzer's bug ends its own run only
            errors[name] = exc
            live.pop(name, None)
        spent[name] += time.perf_counter() - started

    state = PassState()
    for name, analyzer in list(live.items()):
        call(name, lambda a=analyzer: a.begin(state))
    clock = DecodeClock.current()
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        src = (stream.codec_context.width, stream.codec_context.height)
        DECODES["video"] += 1
        index, last_progress = 0, 0.0
        resumed = time.perf_counter()
        try:
            for decoded in container.decode(stream):
                clock.seconds += time.perf_counter() - resumed
                t = int(round(decoded.time * 1000)) if decoded.time is not None else 0
                converted: dict[tuple[int | None, str], Any] = {}
                for name, analyzer in list(live.items()):
                    if not analyzer.due(t):
                        continue
                    want = analyzer.want
                    key = (want.width, want.pixel_format)
                    if key not in converted:
                        converted[key] = _convert(decoded, src, *key, clock)
                    frame = Frame(index, t, converted[key])
                    call(name, lambda a=analyzer, f=frame: a.push(f))
                state.frames = index = index + 1
                if progress and duration_s and t / 1000 - last_progress > duration_s / 50:
                    last_progress = t / 1000
                    progress(min(0.95, t / 1000 / duration_s))
                resumed = time.perf_counter()
        except av.error.FFmpegError as exc:
            failure = MediaError(f"{path.name}: decoding failed after frame {index}: {exc}")
            for name, analyzer in list(live.items()):
                call(name, lambda a=analyzer, e=failure: a.decode_failed(e))
        if index == 0:
            failure = MediaError(f"{path.name}: no frame could be decoded")
            for name, analyzer in list(live.items()):
                call(name, lambda a=analyzer, e=failure: a.decode_failed(e))
    results: dict[str, PassResult] = {}
    for name, analyzer in list(live.items()):
        box: list[list[Item]] = []
        call(name, lambda a=analyzer, b=box: b.append(a.finish()))
        if name in live:
            results[name] = PassResult(box[0], None, spent[name])
    for name, exc in errors.items():
        results[name] = PassResult(None, exc, spent[name])
    return results


def _convert(frame: Any, src: tuple[int, int], width: int | None, pixel_format: str,
             clock: DecodeClock) -> Any:
    started = time.perf_counter()
    if width:
        w, h = scaled_size(*src, width)
        image = frame.to_ndarray(format=pixel_format, width=w, height=h)
    else:
        image = frame.to_ndarray(format=pixel_format)
    clock.seconds += time.perf_counter() - started
    return image
