"""Making a file a browser plays (``eioku.media.playability`` decides what):

- a **remux** copies the packets of the picture and one audio track into an
  MP4 with its index first (``movflags=+faststart``) or a WebM with cues;
- a **proxy** encodes what does not play: the picture to H.264 (libx264, or
  h264_nvenc on a GPU worker, falling back to libx264 when NVENC cannot open),
  upright (the rotation applied), at most ``max_height`` tall, square pixels,
  8-bit 4:2:0 (10-bit and HDR mapped to SDR BT.709); the sound to AAC. A
  stream that already plays in MP4 is copied.

Times count from the original's clock start, as analysis does: a recording
whose clock starts at 10 s has its proxy start at 0, so the player's time
and every stored time agree. Progress is how far into the file the reading
is (bytes), which also works for files that do not say how long they are.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
from eioku.media.geometry import quarter_turns, sample_aspect
from eioku.media.playability import Plan

from eioku_ml.errors import MediaError

log = logging.getLogger(__name__)
X264 = {"preset": "veryfast", "crf": "23", "profile": "high"}
NVENC = {"preset": "p4", "rc": "vbr", "cq": "23", "profile": "high"}
KEYFRAME_S = 2  # a keyframe at least this often: seeking a proxy lands quickly
AUDIO_RATE = 48000
AUDIO_BIT_RATE = 128_000
PROGRESS_EVERY_S = 0.5
HDR_TRANSFERS = {16, 18}  # SMPTE ST 2084 (PQ), ARIB STD-B67 (HLG)
BT2020 = 9


@dataclass(frozen=True)
class Prepared:
    encoder: str | None  # the video encoder used (None: the picture was copied or absent)
    seconds: float


def encoders_for(device: str) -> list[str]:
    """Video encoders to try, best first: NVENC on a GPU worker, libx264 always last."""
    return ["h264_nvenc", "libx264"] if device == "cuda" else ["libx264"]


def prepare(src: Path, out: Path, plan: Plan, *, max_height: int = 1080, device: str = "cpu",
            progress: Callable[[float], None] | None = None) -> Prepared:
    """Write ``src`` as ``plan`` says to ``out`` (MP4 or WebM)."""
    started = time.monotonic()
    size = max(1, src.stat().st_size)
    report = _Throttle(progress)
    try:
        with av.open(str(src)) as inp:
            video_in = next((s for s in inp.streams.video
                             if not s.disposition & av.stream.Disposition.attached_pic), None)
            audio_in = inp.streams.audio[plan.track] if plan.audio else None
            if plan.video is None:
                video_in = None
            origin = Fraction(inp.start_time or 0, av.time_base)
            options = {"movflags": "+faststart"} if plan.container == "mp4" else {}
            with av.open(str(out), "w", format=plan.container, options=options) as output:
                video = _video_writer(src, video_in, output, plan, max_height, device) if video_in else None
                audio = _audio_writer(audio_in, output, plan) if audio_in else None
                writers = {w.source.index: w for w in (video, audio) if w is not None}
                for packet in inp.demux([w.source for w in writers.values()]):
                    writer = writers[packet.stream.index]
                    writer.take(packet, origin)
                    if packet.pos is not None and packet.pos > 0:
                        report(min(1.0, packet.pos / size))
                for writer in writers.values():
                    writer.flush()
                encoder = video.encoder if video is not None else None
    except av.error.FFmpegError as exc:
        out.unlink(missing_ok=True)
        raise MediaError(f"cannot make a playable copy of {src.name}: {exc}") from exc
    report(1.0, force=True)
    return Prepared(encoder=encoder, seconds=time.monotonic() - started)


class _Throttle:
    def __init__(self, callback: Callable[[float], None] | None) -> None:
        self.callback = callback
        self.last = 0.0

    def __call__(self, value: float, force: bool = False) -> None:
        now = time.monotonic()
        if self.callback is not None and (force or now - self.last >= PROGRESS_EVERY_S):
            self.last = now
            self.callback(value)


def _shift(packet: Any, origin: Fraction) -> None:
    """Move a packet to the clock that starts at the original's origin."""
    offset = int(origin / packet.time_base) if origin else 0
    if packet.pts is not None:
        packet.pts -= offset
    if packet.dts is not None:
        packet.dts -= offset


class _Copy:
    """Packets copied as they are. A demuxer may not know the decode times
    (dts) of the first packets (Matroska stores presentation times only, and
    with B-frames they differ): those wait for the first packet that has one
    and are numbered back from it, one packet duration apart."""

    encoder: str | None = None

    def __init__(self, source: Any, output: Any) -> None:
        self.source = source
        self.stream = output.add_stream_from_template(source)
        self.output = output
        self.waiting: list[Any] = []
        self.last_dts: int | None = None

    def take(self, packet: Any, origin: Fraction) -> None:
        if not packet.size or (packet.pts is None and packet.dts is None):
            return  # a muxer cannot place a packet without a time
        _shift(packet, origin)
        if packet.dts is None and self.last_dts is not None:
            packet.dts = min(packet.pts, self.last_dts + (packet.duration or 1))
        if packet.dts is None:
            self.waiting.append(packet)
            return
        for back, early in enumerate(reversed(self.waiting), start=1):
            early.dts = packet.dts - back * (early.duration or 1)
        for early in self.waiting:
            self._mux(early)
        self.waiting.clear()
        self._mux(packet)

    def _mux(self, packet: Any) -> None:
        if self.last_dts is not None and packet.dts <= self.last_dts:
            packet.dts = self.last_dts + 1
            if packet.pts is not None and packet.pts < packet.dts:
                return  # a packet out of order beyond repair: dropped rather than fail the file
        self.last_dts = packet.dts
        packet.stream = self.stream
        self.output.mux(packet)

    def flush(self) -> None:
        for packet in sorted(self.waiting, key=lambda p: p.pts):
            packet.dts = packet.pts
            self._mux(packet)
        self.waiting.clear()


class _VideoEncode:
    """Decode, turn upright, scale, 8-bit 4:2:0, encode H.264."""

    def __init__(self, source: Any, output: Any, first: Any, max_height: int, device: str) -> None:
        """``first``: the first decoded frame (its rotation and colours shape the
        filters); every output stream must exist before the first packet is muxed."""
        self.source, self.output = source, output
        source.thread_type = "AUTO"
        self.last_pts: int | None = None
        self.origin = Fraction(0)
        turns = quarter_turns(getattr(first, "rotation", 0))
        width, height = _target_size(first.width, first.height, sample_aspect(source), turns, max_height)
        self.graph = _graph(first, source, turns, width, height)
        rate = source.average_rate or source.guessed_rate or Fraction(25)
        self.step = max(1, int(1 / (Fraction(rate) * source.time_base)))  # one frame, in ticks
        self.stream: Any = None
        self.encoder: str | None = None
        for name in encoders_for(device):
            try:
                self.stream = _open_encoder(output, name, width, height, rate, source.time_base)
                self.encoder = name
                break
            except (av.error.FFmpegError, ValueError) as exc:
                log.warning("%s cannot encode here (%s); trying the next encoder", name, exc)
        if self.stream is None:
            raise MediaError("no H.264 encoder could be opened")

    def take(self, packet: Any, origin: Fraction) -> None:
        try:
            frames = packet.decode()
        except av.error.InvalidDataError:
            return  # a damaged packet: the frames around it still play
        self.origin = origin
        for frame in frames:
            self._encode(frame)

    def flush(self) -> None:
        try:
            for frame in self.source.codec_context.decode(None):  # the frames the decoder held back
                self._encode(frame)
        except av.error.FFmpegError:
            pass
        if self.graph is not None:
            self.graph.push(None)
            self._drain()
        for packet in self.stream.encode(None):
            self.output.mux(packet)

    def _encode(self, frame: Any) -> None:
        tb = self.source.time_base
        if frame.pts is None:  # no time (some AVI frames): one frame after the last
            pts = 0 if self.last_pts is None else self.last_pts + self.step
        else:
            pts = frame.pts - (int(self.origin / tb) if self.origin else 0)
        if self.last_pts is not None and pts <= self.last_pts:
            return  # a repeated or out-of-order time: the encoder needs them rising
        self.last_pts = pts
        frame.pts, frame.time_base = pts, tb
        if self.graph is None:
            self._send(frame)
            return
        self.graph.push(frame)
        self._drain()

    def _drain(self) -> None:
        while True:
            try:
                out = self.graph.pull()
            except (av.error.BlockingIOError, av.error.EOFError):
                return
            self._send(out)

    def _send(self, frame: Any) -> None:
        frame.pict_type = av.video.frame.PictureType.NONE  # the encoder places keyframes
        for packet in self.stream.encode(frame):
            self.output.mux(packet)


def _open_encoder(output: Any, name: str, width: int, height: int, rate: Fraction,
                  time_base: Fraction) -> Any:
    """Add the encoder's stream to ``output``, once a trial context has shown it
    opens here (a stream that cannot open must never join the output: every
    stream is opened again when the header is written)."""
    options = dict(NVENC if name == "h264_nvenc" else X264)
    trial = av.CodecContext.create(name, "w")
    _configure(trial, width, height, rate, time_base)
    trial.options = options
    trial.open()  # raises when the encoder cannot run here (no GPU, no driver)
    del trial
    stream = output.add_stream(name, rate=rate, options=options)
    stream.time_base = time_base
    _configure(stream.codec_context, width, height, rate, time_base)
    return stream


def _configure(ctx: Any, width: int, height: int, rate: Fraction, time_base: Fraction) -> None:
    ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
    ctx.time_base = 1 / rate if rate else time_base
    ctx.framerate = rate
    ctx.gop_size = max(1, int(round(float(rate) * KEYFRAME_S)))
    ctx.color_primaries = ctx.color_trc = ctx.colorspace = 1  # BT.709


def _target_size(width: int, height: int, sar: Fraction, turns: int, max_height: int) -> tuple[int, int]:
    """Square pixels, upright, at most ``max_height`` tall, even sides."""
    shown_w = width * sar if sar != 1 else Fraction(width)
    w, h = (Fraction(height), shown_w) if turns % 2 else (shown_w, Fraction(height))
    if h > max_height:
        w, h = w * max_height / h, Fraction(max_height)
    return max(2, int(round(w / 2)) * 2), max(2, int(round(h / 2)) * 2)


def _graph(frame: Any, source: Any, turns: int, width: int, height: int) -> Any:
    """The filters a decoded picture goes through, or None when it is already
    what the encoder wants (upright, the size, square pixels, 8-bit 4:2:0, BT.709):
    most H.264-bound HEVC from phones and cameras then goes straight to the encoder."""
    steps: list[tuple[str, str]] = []
    if _is_hdr_or_wide(frame):
        # zscale (zimg) is not in PyAV's FFmpeg: BT.2020 is converted to BT.709 by the
        # colorspace filter, PQ/HLG read as BT.2020 gamma (no highlight tone mapping)
        steps.append(("colorspace", "all=bt709:iall=bt2020:format=yuv420p:fast=1"))
    steps += {1: [("transpose", "cclock")], 2: [("hflip", ""), ("vflip", "")],
              3: [("transpose", "clock")]}.get(turns, [])
    if (frame.width, frame.height) != ((height, width) if turns % 2 else (width, height)) \
            or sample_aspect(source) != 1:
        steps += [("scale", f"{width}:{height}:flags=bicubic"), ("setsar", "1")]
    if steps or frame.format.name != "yuv420p":
        steps.append(("format", "yuv420p"))
    if not steps:
        return None
    graph = av.filter.Graph()
    chain = [graph.add_buffer(template=source, time_base=source.time_base)]
    for name, args in steps:
        chain.append(graph.add(name, args))
    chain.append(graph.add("buffersink"))
    for a, b in zip(chain, chain[1:], strict=False):
        a.link_to(b)
    graph.configure()
    return graph


def _is_hdr_or_wide(frame: Any) -> bool:
    return int(getattr(frame, "color_trc", 2) or 2) in HDR_TRANSFERS or \
        int(getattr(frame, "color_primaries", 2) or 2) == BT2020


class _AudioEncode:
    """Decode, resample to 48 kHz float (mono or stereo), encode AAC."""

    encoder: str | None = None

    def __init__(self, source: Any, output: Any) -> None:
        self.source, self.output = source, output
        channels = source.codec_context.channels or 2
        layout = "mono" if channels == 1 else "stereo"
        self.stream = output.add_stream("aac", rate=AUDIO_RATE, layout=layout)
        self.stream.bit_rate = AUDIO_BIT_RATE
        self.stream.time_base = Fraction(1, AUDIO_RATE)
        self.resampler = av.AudioResampler(format="fltp", layout=layout, rate=AUDIO_RATE, frame_size=1024)
        self.next_pts: int | None = None

    def take(self, packet: Any, origin: Fraction) -> None:
        try:
            frames = packet.decode()
        except av.error.InvalidDataError:
            return
        for frame in frames:
            if self.next_pts is None and frame.pts is not None and frame.time_base is not None:
                # the first sound's time on the proxy's clock (it may start after the picture)
                start = frame.pts * frame.time_base - origin
                self.next_pts = max(0, int(round(start * AUDIO_RATE)))
            frame.pts = None  # resampled frames are numbered by their samples from here
            self._encode(self.resampler.resample(frame))

    def flush(self) -> None:
        self._encode(self.resampler.resample(None))
        for packet in self.stream.encode(None):
            self.output.mux(packet)

    def _encode(self, frames: list[Any]) -> None:
        for frame in frames:
            frame.pts = self.next_pts or 0
            frame.time_base = Fraction(1, AUDIO_RATE)
            self.next_pts = frame.pts + frame.samples
            for packet in self.stream.encode(frame):
                self.output.mux(packet)


def _video_writer(src: Path, source: Any, output: Any, plan: Plan, max_height: int, device: str) -> Any:
    if plan.video == "copy":
        return _Copy(source, output)
    first = _first_frame(src, source.index)
    if first is None:
        raise MediaError(f"{src.name}: no picture can be decoded")
    return _VideoEncode(source, output, first, max_height, device)


def _first_frame(src: Path, index: int) -> Any:
    with av.open(str(src)) as inp:
        try:
            for frame in inp.decode(inp.streams[index]):
                return frame
        except av.error.FFmpegError:
            return None
    return None


def _audio_writer(source: Any, output: Any, plan: Plan) -> Any:
    return _Copy(source, output) if plan.audio == "copy" else _AudioEncode(source, output)
