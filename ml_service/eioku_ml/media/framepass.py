"""The frame pass: decode a video once and push its frames to every frame
analyzer, at the rate and size each asks for.

Each analyzer says what it wants (:class:`FrameWant`: width, pixel format,
sampling interval) and whether a frame is due; the pass converts a decoded
frame once per (width, pixel format) that some due analyzer asked for and
hands the same array to all of them. An analyzer that raises is dropped from
the pass and its error reported; the others go on. Scenes see each frame
first, in the decoding thread, so a cut found at a frame is known when the
others are offered it (OCR samples the first frame of each shot); every
other analyzer takes its frames in order in a thread of its own, so one
pass uses several cores (their models are native code that releases the
GIL) while a bounded queue keeps memory flat.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter
from eioku.media.geometry import coded_size, quarter_turns, scaled_size, upright_size

from eioku_ml.errors import MediaError
from eioku_ml.media.decode import Damage, DecodeClock, Frame, _open, decode_through, has_video

if TYPE_CHECKING:
    from eioku_ml.analyzers.base import FrameAnalyzer, FrameWant, Item

# how many times a video stream was opened for decoding in this process (tests count them)
DECODES = {"video": 0}


@dataclass
class PassState:
    """What the analyzers of one pass learn from each other while it runs."""

    cuts_ms: list[int] = field(default_factory=list)  # scene starts found so far (after 0)
    # [start, end) ms without a decoded frame: damage, or a file cut short (known at the end)
    gaps: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class PassResult:
    items: list[Item] | None
    error: BaseException | None
    seconds: float  # time spent in this analyzer (take + finish), not decoding
    partial: dict[str, Any] | None = None  # a chunk's findings (window passes)


_DONE = object()
QUEUE_FRAMES = 8  # frames waiting per analyzer: bounds memory, lets slow analyzers lag a little


class _Lane:
    """One analyzer's thread: it takes its frames in order, then finishes. Most
    analyzer work is native code that releases the GIL (ONNX Runtime, OpenCV,
    dlib, TFLite), so analyzers of one pass run on several cores at once."""

    def __init__(self, name: str, analyzer: FrameAnalyzer, threaded: bool, chunk: bool) -> None:
        self.name, self.analyzer, self.chunk = name, analyzer, chunk
        self.items: Any = None  # the items, or a chunk's partial
        self.error: BaseException | None = None
        self.seconds = 0.0
        self.queue: queue.Queue[Any] = queue.Queue(QUEUE_FRAMES)
        self.thread = threading.Thread(target=self._run, name=f"frame-pass-{name}", daemon=True) \
            if threaded else None
        if self.thread is not None:
            self.thread.start()

    def _run(self) -> None:
        while (message := self.queue.get()) is not _DONE:
            if self.error is None:
                self._call(message)
        self.finish()

    def finish(self) -> None:
        """The analyzer's items, or in a chunk what it found (its partial)."""
        if self.error is None:
            self._call(lambda: setattr(self, "items", self.analyzer.partial() if self.chunk
                                       else self.analyzer.finish()))

    def _call(self, fn: Callable[[], Any], timed: bool = True) -> None:
        started = time.perf_counter()
        try:
            fn()
        except Exception as exc:  # one analyzer's bug ends its own run only
            self.error = exc
        if timed:
            self.seconds += time.perf_counter() - started


def run_pass(path: Path, analyzers: Mapping[str, FrameAnalyzer], *, duration_s: float = 0.0,
             progress: Callable[[float], None] | None = None,
             window: tuple[int, int] | None = None) -> dict[str, PassResult]:
    """Decode ``path`` once and feed ``analyzers``; every analyzer gets a result.
    Analyzers with ``pass_order`` 0 (scenes) see each frame in this thread before
    the others are offered it; the rest run in a thread each. A file with sound
    but no picture has nothing for them: each completes with no artifacts.

    With ``window`` ([start, end) ms: one chunk of a long video) the pass seeks
    near its start, decodes each analyzer's ``margin_ms`` around it, and each
    result is the analyzer's :meth:`~FrameAnalyzer.partial` instead of items."""
    if not has_video(path):
        empty: Any = (lambda: {"observations": [], "cuts_ms": []}) if window else (lambda: [])
        return {name: PassResult([] if window is None else None, None, 0.0, empty() if window else None)
                for name in analyzers}
    state = PassState()
    inline: list[_Lane] = []
    lanes: list[_Lane] = []
    for name, analyzer in sorted(analyzers.items(), key=lambda kv: kv[1].pass_order):
        first = analyzer.pass_order == 0
        lane = _Lane(name, analyzer, threaded=not first, chunk=window is not None)
        (inline if first else lanes).append(lane)
        lane._call(lambda a=analyzer: a.begin(state, window), timed=False)
    try:
        failure = _decode(path, analyzers, inline, lanes, window, duration_s, progress, state)
    except BaseException:
        _stop(lanes)  # no analyzer thread outlives the pass
        raise
    for lane in inline:
        if failure is not None and lane.error is None:
            lane._call(lambda a=lane.analyzer, e=failure: a.decode_failed(e))
        lane.finish()
    _stop(lanes, failure)
    return {lane.name: _result(lane, window) for lane in (*inline, *lanes)}


def _stop(lanes: list[_Lane], failure: MediaError | None = None) -> None:
    """Tell each analyzer thread the frames are over (and why, if decoding
    failed), and wait for it to finish."""
    for lane in lanes:
        if failure is not None:
            lane.queue.put(lambda a=lane.analyzer, e=failure: a.decode_failed(e))
        lane.queue.put(_DONE)
    for lane in lanes:
        assert lane.thread is not None
        lane.thread.join()


def _decode(path: Path, analyzers: Mapping[str, FrameAnalyzer], inline: list[_Lane],
            lanes: list[_Lane], window: tuple[int, int] | None, duration_s: float,
            progress: Callable[[float], None] | None, state: PassState) -> MediaError | None:
    """Decode the video (or the window's part of it) and offer each frame;
    returns why decoding failed, if nothing could be decoded. Damage costs
    only what it covers: decoding goes on past it, and the spans without a
    frame are noted in ``state.gaps``."""
    start_ms, end_ms = window or (0, 2**62)
    before = max((a.margin_ms[0] for a in analyzers.values()), default=0)
    after = max((a.margin_ms[1] for a in analyzers.values()), default=0)
    span_s = (end_ms - start_ms) / 1000 if window else duration_s
    clock = DecodeClock.current()
    damage = Damage()
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        src = (stream.codec_context.width, stream.codec_context.height)
        fps = float(stream.average_rate or stream.guessed_rate or 25)
        origin = float(container.start_time / av.time_base) if container.start_time else 0.0
        if window and start_ms - before > 0:
            container.seek(int((origin + (start_ms - before) / 1000) / stream.time_base), stream=stream)
        gaps = _Gaps(start_ms, fps)
        scalers: dict[tuple[int, int, str], Any] = {}  # one FFmpeg scaler per output, kept
        DECODES["video"] += 1
        index, seen, last_progress, reached = 0, 0, 0.0, False
        resumed = time.perf_counter()
        for decoded in decode_through(container, stream, damage):
            clock.seconds += time.perf_counter() - resumed
            # times from the start of the stream (a file may start its clock anywhere)
            t = int(round((decoded.time - origin) * 1000)) if decoded.time is not None else 0
            if window:
                if t >= end_ms + after:
                    reached = True
                    break
                # frame numbers from time: a chunk does not see the frames before it
                index = int(round(t / 1000 * fps))
            if window is None or t >= start_ms - before:
                seen += 1
                gaps.frame(t, _frame_ms(decoded), damage)
                _offer(_Conversions(decoded, src, clock, scalers), index, t, inline, lanes, window)
            index += 1
            if progress and span_s and (t - start_ms) / 1000 - last_progress > span_s / 50:
                last_progress = (t - start_ms) / 1000
                progress(min(0.95, last_progress / span_s))
            resumed = time.perf_counter()
        video_end_ms = int(_video_end(container, stream, origin, duration_s) * 1000)
    if seen == 0 and window is None:
        reason = f": {damage.first}" if damage.first else ""
        return MediaError(f"{path.name}: no frame could be decoded{reason}")
    if not reached:  # the frames ran out: before the end of the window, or of the video?
        if video_end_ms and end_ms >= video_end_ms:
            gaps.end(video_end_ms, damage, slack=True)
        elif window:
            gaps.end(end_ms, damage, slack=False)
    state.gaps += gaps.found
    return None


def _frame_ms(frame: Any) -> int:
    """How long a decoded frame is shown (0 when its file does not say)."""
    if frame.duration and frame.time_base:
        return int(round(frame.duration * frame.time_base * 1000))
    return 0


def _video_end(container: Any, stream: Any, origin: float, duration_s: float) -> float:
    """Where the video stream ends by its file's index (its own duration, as an
    audio track may run longer), in seconds from the clock origin; else the
    file's duration."""
    if stream.duration and stream.time_base:
        first = float(stream.start_time * stream.time_base) if stream.start_time is not None else origin
        return first - origin + float(stream.duration * stream.time_base)
    return duration_s


class _Gaps:
    """The spans of a pass without a decoded frame where decoding failed (a
    damaged region), or at the end where the frames stop before the file's
    index says they should (a cut download). A frame that comes later than
    the previous one ends is a gap only soon after a failure (variable-frame-
    rate video holds frames as long as it likes); "soon", because a decoder's
    threads hand out frames of packets read before the failed one."""

    # frames may stop this much before the index's end without a failure (timestamp
    # rounding, an edit list, a last frame without a duration)
    SLACK_MS = 1000
    # frames in order after a failure that clear it: more than a decoder's threads hold
    CLEAR_AFTER = 32
    JOIN_MS = 1000  # gaps closer than this are one damaged region

    def __init__(self, start_ms: int, fps: float) -> None:
        self.frame_ms = int(round(1000 / fps)) if fps else 40
        self.until = start_ms  # decoded up to (the end of the last frame)
        self.found: list[tuple[int, int]] = []
        self.errors, self.clean = 0, 0  # failures seen; frames in order since the last

    def frame(self, t: int, shown_ms: int, damage: Damage) -> None:
        if damage.errors != self.errors:
            self.errors, self.clean = damage.errors, 0
        if damage.pending and t - self.until > self.frame_ms // 2:
            self._add(self.until, t)
            self.clean = 0
        elif damage.pending:
            self.clean += 1
            damage.pending = self.clean < self.CLEAR_AFTER
        self.until = max(self.until, t + (shown_ms or self.frame_ms))

    def _add(self, start: int, end: int) -> None:
        """One damaged region is one gap, though a few frames inside it decoded."""
        if self.found and start - self.found[-1][1] < self.JOIN_MS:
            self.found[-1] = (self.found[-1][0], end)
        else:
            self.found.append((start, end))

    def end(self, expected_ms: int, damage: Damage, slack: bool) -> None:
        """The frames ran out: a gap to ``expected_ms`` if they stopped short of it
        (at the video's end, by more than its index may be off unless decoding failed)."""
        short = expected_ms - self.until
        allowed = 0 if damage.pending or not slack else max(self.SLACK_MS, 3 * self.frame_ms)
        if short > max(allowed, self.frame_ms // 2):
            self._add(self.until, expected_ms)


def _offer(image: _Conversions, index: int, t: int, inline: list[_Lane], lanes: list[_Lane],
           window: tuple[int, int] | None) -> None:
    """Offer one decoded frame to each analyzer that is due it; in a chunk, frames
    in an analyzer's margin go to its ``warm`` (scenes takes them all)."""
    for lane in (*inline, *lanes):
        if lane.error is None:
            lane._call(lambda ln=lane: _offer_one(image, index, t, ln, window), timed=False)


def _offer_one(image: _Conversions, index: int, t: int, lane: _Lane,
               window: tuple[int, int] | None) -> None:
    """Offer the frame to one analyzer (a bug in its ``due`` or ``want``, or a
    frame that cannot be converted as it asks, ends its run only)."""
    analyzer = lane.analyzer
    if window is not None:
        (start, end), (before, after) = window, analyzer.margin_ms
        if not start - before <= t < end + after:
            return
    inside = window is None or window[0] <= t < window[1]
    if inside and not analyzer.due(t) or not inside and analyzer.margin_ms == (0, 0):
        return
    frame = Frame(index, t, image(analyzer.want))
    if lane.thread is None:  # first at each frame, in this thread
        lane._call(lambda a=analyzer, f=frame: a.push(f))
    elif inside:
        analyzer.mark(t)
        lane.queue.put(lambda a=analyzer, f=frame: a.take(f))
    else:
        lane.queue.put(lambda a=analyzer, f=frame: a.warm(f))


def _result(lane: _Lane, window: tuple[int, int] | None) -> PassResult:
    if lane.error is not None:
        return PassResult(None, lane.error, lane.seconds)
    if window is None:
        return PassResult(lane.items, None, lane.seconds)
    return PassResult(None, None, lane.seconds, lane.items)  # type: ignore[arg-type]


class _Conversions:
    """One decoded frame, converted at most once per (width, pixel format), and
    turned upright as it is displayed (a phone's display matrix), so analyzers
    see what the viewer sees and their boxes fit the picture the player shows."""

    def __init__(self, frame: Any, src: tuple[int, int], clock: DecodeClock,
                 scalers: dict[tuple[int, int, str], Any] | None = None) -> None:
        self.frame, self.clock = frame, clock
        self.scalers = {} if scalers is None else scalers
        self.turns = quarter_turns(getattr(frame, "rotation", 0))
        self.src = upright_size(*src, self.turns)
        self.done: dict[tuple[int | None, str], Any] = {}

    def __call__(self, want: FrameWant) -> Any:
        key = (want.width, want.pixel_format)
        if key not in self.done:
            self.done[key] = _convert(self.frame, self.src, *key, self.clock, self.turns,
                                      self.scalers)
        return self.done[key]


def _convert(frame: Any, src: tuple[int, int], width: int | None, pixel_format: str,
             clock: DecodeClock, turns: int = 0,
             scalers: dict[tuple[int, int, str], Any] | None = None) -> Any:
    """Scale and convert with FFmpeg's scaler; small grey pictures (quality)
    come straight from the luma plane with OpenCV's area resize, which is
    several times cheaper than a conversion of the whole frame. ``src`` and
    ``width`` are of the upright picture; the coded one is turned last.
    ``scalers`` keeps one FFmpeg scaler per output size and format for the
    whole pass: ``to_ndarray(width=...)`` builds a new one for every frame,
    which cost more than the scaling itself (1.35 against 0.77 ms a frame for
    scenes' 320 px; the pixels are the same)."""
    started = time.perf_counter()
    w, h = coded_size(scaled_size(*src, width) if width else src, turns)
    coded = coded_size(src, turns)
    if pixel_format == "gray" and frame.format.name in _PLANAR_YUV:
        plane = frame.planes[0]
        luma = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[:frame.height, :frame.width]
        image = cv2.resize(luma, (w, h), interpolation=cv2.INTER_AREA) if (w, h) != coded else luma.copy()
        if not frame.format.name.startswith("yuvj") and getattr(frame, "color_range", 1) != 2:
            # limited ("TV") range: luma 16..235 means black..white, as FFmpeg's grey gives it
            image = cv2.convertScaleAbs(image, alpha=255 / 219, beta=-16 * 255 / 219)
    elif width:
        scaler = (scalers if scalers is not None else {}).setdefault((w, h, pixel_format),
                                                                      VideoReformatter())
        image = scaler.reformat(frame, w, h, pixel_format).to_ndarray()
    else:
        image = frame.to_ndarray(format=pixel_format)
    if turns:
        image = np.ascontiguousarray(np.rot90(image, k=turns))
    clock.seconds += time.perf_counter() - started
    return image


_PLANAR_YUV = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12"}
