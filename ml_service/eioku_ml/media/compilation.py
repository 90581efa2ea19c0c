"""One MP4 made of moments of videos, in order (exports of a collection or a query).

Two ways, chosen for the whole file:

- **copy**: when every source's picture (and sound, if any) has the same codec
  and parameters, packets are copied without decoding. A copied moment starts
  at the keyframe at or before its start (a decoder needs it), so it may run
  up to one GOP longer than asked; it ends at its end.
- **encode**: otherwise (different codecs, sizes, or a codec MP4 does not
  carry) every moment is decoded and encoded to H.264 + AAC at the first
  moment's size, cut at its exact start and end.

Progress is reported as the share of the moments' total length written.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from eioku_ml.errors import MediaError

log = logging.getLogger(__name__)
COPYABLE = {"h264", "hevc", "mpeg4", "av1", "vp9"}
AUDIO_COPYABLE = {"aac", "mp3", "ac3", "opus", "alac"}
RATE = 48_000
TB = Fraction(1, 90_000)


@dataclass(frozen=True)
class Cut:
    path: Path
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Made:
    mode: str  # copy | encode
    duration_ms: int
    copied: int
    encoded: int


Progress = Callable[[float], None]


def _signature(path: Path) -> tuple[Any, ...] | None:
    """What must be equal for packets of two files to share one stream (None: not copyable)."""
    with av.open(str(path)) as c:
        if not c.streams.video:
            return None
        v = c.streams.video[0].codec_context
        if v.name not in COPYABLE:
            return None
        a = c.streams.audio[0].codec_context if c.streams.audio else None
        if a is not None and a.name not in AUDIO_COPYABLE:
            return None
        return (v.name, v.width, v.height, bytes(v.extradata or b""),
                None if a is None else (a.name, a.sample_rate, a.channels, bytes(a.extradata or b"")))


def compile_moments(cuts: Sequence[Cut], out: Path, *, progress: Progress | None = None,
                    force_encode: bool = False) -> Made:
    if not cuts:
        raise MediaError("there are no moments to put together")
    signatures = {_signature(c.path) for c in cuts}
    copy = not force_encode and len(signatures) == 1 and None not in signatures
    total = sum(max(1, c.end_ms - c.start_ms) for c in cuts)
    done = 0

    def step(cut: Cut) -> None:
        nonlocal done
        done += max(1, cut.end_ms - cut.start_ms)
        if progress is not None:
            progress(min(1.0, done / total))

    try:
        with av.open(str(out), "w", format="mp4") as output:
            writer = _Copier(output, cuts[0].path) if copy else _Encoder(output, cuts[0].path)
            for cut in cuts:
                writer.add(cut)
                step(cut)
            writer.close()
            end = writer.end_s
    except av.error.FFmpegError as exc:
        raise MediaError(f"could not make the compilation: {exc}") from exc
    return Made("copy" if copy else "encode", int(round(end * 1000)),
                len(cuts) if copy else 0, 0 if copy else len(cuts))


class _Copier:
    """Packets copied, each moment from the keyframe at or before its start."""

    def __init__(self, output: Any, first: Path) -> None:
        with av.open(str(first)) as src:
            self.video = output.add_stream_from_template(src.streams.video[0])
            self.audio = (output.add_stream_from_template(src.streams.audio[0])
                          if src.streams.audio else None)
        self.output = output
        self.end_s = 0.0  # where the next moment starts in the output
        self.last_dts: dict[int, float] = {}

    def add(self, cut: Cut) -> None:
        with av.open(str(cut.path)) as src:
            vs = src.streams.video[0]
            start_s, end_s = cut.start_ms / 1000, cut.end_ms / 1000
            src.seek(int(start_s / vs.time_base), stream=vs, backward=True, any_frame=False)
            key_s: float | None = None
            packets: list[tuple[Any, Any, float, float]] = []  # packet, out stream, pts s, dts s
            streams = [vs] + ([src.streams.audio[0]] if src.streams.audio and self.audio else [])
            for packet in src.demux(streams):
                if packet.pts is None or packet.size == 0:
                    continue
                t = float(packet.pts * packet.time_base)
                is_video = packet.stream.index == vs.index
                if is_video and key_s is None:
                    if not packet.is_keyframe:
                        continue
                    key_s = t
                if key_s is None:
                    continue
                if t >= end_s:
                    if is_video:
                        break
                    continue
                if t < key_s - 1e-6:  # open-GOP leading pictures, sound before the picture
                    continue
                dts = float((packet.dts if packet.dts is not None else packet.pts) * packet.time_base)
                packets.append((packet, self.video if is_video else self.audio, t, dts))
            if key_s is None:
                raise MediaError(f"no keyframe before {end_s:.3f} s in {cut.path.name}")
        # decode order may start before the keyframe's time (B-frames): keep dts rising
        shift = self.end_s - key_s
        for _packet, stream, _, dts in packets:
            last = self.last_dts.get(stream.index)
            if last is not None and dts + shift <= last:
                shift = last - dts + 1e-3
        seg_end = self.end_s
        for packet, stream, t, dts in packets:
            tb = packet.time_base
            dur = float((packet.duration or 0) * tb)
            packet.stream = stream
            packet.pts = int(round((t + shift) / tb))
            packet.dts = int(round((dts + shift) / tb))
            self.last_dts[stream.index] = dts + shift
            if stream is self.video:
                seg_end = max(seg_end, t + shift + dur)
            self.output.mux(packet)
        self.end_s = seg_end

    def close(self) -> None:
        pass


class _Encoder:
    """Every moment decoded and cut exactly; H.264 + AAC at the first moment's size."""

    def __init__(self, output: Any, first: Path) -> None:
        with av.open(str(first)) as src:
            if not src.streams.video:
                raise MediaError(f"{first.name} has no picture")
            v = src.streams.video[0]
            self.width, self.height = v.codec_context.width // 2 * 2, v.codec_context.height // 2 * 2
            rate = v.average_rate or Fraction(30)
        self.rate = Fraction(rate).limit_denominator(1001)
        self.video = output.add_stream("libx264", rate=self.rate)
        self.video.width, self.video.height, self.video.pix_fmt = self.width, self.height, "yuv420p"
        self.video.codec_context.time_base = 1 / self.rate
        self.video.options = {"preset": "veryfast", "crf": "20"}
        self.audio = output.add_stream("aac", rate=RATE)
        self.audio.codec_context.layout = "stereo"
        self.resampler = av.AudioResampler(format="fltp", layout="stereo", rate=RATE)
        self.output = output
        self.frames = 0  # pictures written
        self.samples = 0  # sound samples written
        self.end_s = 0.0

    def add(self, cut: Cut) -> None:
        start_s, end_s = cut.start_ms / 1000, cut.end_ms / 1000
        wanted = max(1, round((end_s - start_s) * self.rate))  # pictures this moment gets
        first, got, last = self.frames, 0, None
        with av.open(str(cut.path)) as src:
            vs = src.streams.video[0]
            src.seek(int(start_s / vs.time_base), stream=vs, backward=True)
            for frame in src.decode(vs):
                if frame.time is None or frame.time < start_s - 0.5 / float(self.rate):
                    continue
                if got >= wanted or frame.time >= end_s:
                    break
                last = frame.reformat(self.width, self.height, "yuv420p")
                self._picture(last)
                got += 1
        while got < wanted and last is not None:  # a moment past the last frame: hold it
            self._picture(last)
            got += 1
        self._sound(cut, start_s, (self.frames - first) / float(self.rate))
        self.end_s = self.frames / float(self.rate)

    def _picture(self, frame: Any) -> None:
        frame = av.VideoFrame.from_ndarray(frame.to_ndarray(), format="yuv420p")
        frame.pts = self.frames
        frame.time_base = self.video.codec_context.time_base
        self.frames += 1
        for packet in self.video.encode(frame):
            self.output.mux(packet)

    def _sound(self, cut: Cut, start_s: float, length_s: float) -> None:
        want = int(round(length_s * RATE))
        chunks: list[np.ndarray] = []
        have = 0
        with av.open(str(cut.path)) as src:
            if src.streams.audio:
                a = src.streams.audio[0]
                src.seek(int(start_s / a.time_base), stream=a, backward=True)
                for frame in src.decode(a):
                    if frame.time is None:
                        continue
                    for out in self.resampler.resample(frame):
                        data = out.to_ndarray()
                        t0 = float(frame.time)
                        skip = max(0, int(round((start_s - t0) * RATE))) if t0 < start_s else 0
                        data = data[:, skip:]
                        chunks.append(data[:, :want - have])
                        have += chunks[-1].shape[1]
                    if have >= want:
                        break
        if have < want:
            chunks.append(np.zeros((2, want - have), dtype=np.float32))
        pcm = np.concatenate(chunks, axis=1).astype(np.float32)
        for i in range(0, pcm.shape[1], 1024):
            block = np.ascontiguousarray(pcm[:, i:i + 1024])
            frame = av.AudioFrame.from_ndarray(block, format="fltp", layout="stereo")
            frame.sample_rate, frame.pts = RATE, self.samples
            frame.time_base = Fraction(1, RATE)
            self.samples += block.shape[1]
            for packet in self.audio.encode(frame):
                self.output.mux(packet)

    def close(self) -> None:
        for packet in self.video.encode(None):
            self.output.mux(packet)
        for packet in self.audio.encode(None):
            self.output.mux(packet)
