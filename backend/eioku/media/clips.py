"""MP4 clips of a time range.

When a keyframe sits at the start of the range (within one frame) and the
codecs can live in MP4, packets are copied: fast and lossless. Otherwise
the range is re-encoded (H.264 + AAC), so the clip starts exactly where it
was asked to.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from eioku.domain.errors import MediaUnreadableError
from eioku.media.frames import _open

COPYABLE_VIDEO = {"h264", "hevc", "av1", "mpeg4", "vp9"}
COPYABLE_AUDIO = {"aac", "mp3", "opus", "alac", "ac3"}


def make_clip(video: Path, out: Path, from_ms: int, to_ms: int) -> str:
    """Write [from_ms, to_ms) of ``video`` to ``out`` (MP4); returns the method used."""
    try:
        with _open(video) as src:
            if _keyframe_at_start(src, from_ms / 1000) and _copyable(src):
                _copy(src, out, from_ms / 1000, to_ms / 1000)
                return "copy"
        with _open(video) as src:
            _reencode(src, out, from_ms / 1000, to_ms / 1000)
            return "reencode"
    except av.error.FFmpegError as exc:
        raise MediaUnreadableError(f"cannot cut a clip from {video.name}: {exc}") from exc


def _copyable(src: Any) -> bool:
    audio = src.streams.audio[0] if src.streams.audio else None
    return src.streams.video[0].codec_context.name in COPYABLE_VIDEO and (
        audio is None or audio.codec_context.name in COPYABLE_AUDIO)


def _seek(src: Any, start: float) -> None:
    stream = src.streams.video[0]
    src.seek(int(start / stream.time_base), stream=stream, backward=True)


def _keyframe_at_start(src: Any, start: float) -> bool:
    stream = src.streams.video[0]
    _seek(src, start)
    frame_s = 1 / float(stream.average_rate or 25)
    for packet in src.demux(stream):
        if packet.pts is None:
            continue
        return bool(packet.is_keyframe) and abs(float(packet.pts * stream.time_base) - start) < frame_s
    return False


def _copy(src: Any, out: Path, start: float, end: float) -> None:
    video = src.streams.video[0]
    audio = src.streams.audio[0] if src.streams.audio else None
    _seek(src, start)
    with av.open(str(out), "w", format="mp4") as dst:
        outs = {video.index: dst.add_stream_from_template(video)}
        if audio is not None:
            outs[audio.index] = dst.add_stream_from_template(audio)
        offsets: dict[int, int] = {}
        for packet in src.demux(*(s for s in (video, audio) if s is not None)):
            if packet.pts is None or packet.dts is None:
                continue
            t = float(packet.pts * packet.time_base)
            if t < start - 1e-3 or t >= end:
                continue
            offset = offsets.setdefault(packet.stream.index, packet.dts)
            packet.pts -= offset
            packet.dts -= offset
            packet.stream = outs[packet.stream.index]
            dst.mux(packet)


def _reencode(src: Any, out: Path, start: float, end: float) -> None:
    video = src.streams.video[0]
    video.thread_type = "AUTO"
    audio = src.streams.audio[0] if src.streams.audio else None
    rate = video.average_rate or Fraction(25)
    _seek(src, start)
    with av.open(str(out), "w", format="mp4") as dst:
        vout = dst.add_stream("libx264", rate=rate)
        vout.width = video.codec_context.width - video.codec_context.width % 2
        vout.height = video.codec_context.height - video.codec_context.height % 2
        vout.pix_fmt = "yuv420p"
        vout.options = {"preset": "veryfast", "crf": "23"}
        frame_tb = Fraction(1, 1) / Fraction(rate)
        last_pts = -1
        aout = None
        if audio is not None:
            aout = dst.add_stream("aac", rate=audio.codec_context.sample_rate or 48000)
            aout.time_base = Fraction(1, aout.rate)
        streams = [s for s in (video, audio) if s is not None]
        for packet in src.demux(*streams):
            for frame in packet.decode():
                if frame.time is None or frame.time < start - 1e-3 or frame.time >= end:
                    continue
                if packet.stream.type == "video":
                    pts = max(last_pts + 1, int(round((frame.time - start) / frame_tb)))
                    frame = frame.reformat(width=vout.width, height=vout.height, format="yuv420p")
                    frame.pts, frame.time_base, last_pts = pts, frame_tb, pts
                    dst.mux(vout.encode(frame))
                elif aout is not None:
                    frame.pts = int(round((frame.time - start) * aout.rate))
                    frame.time_base = aout.time_base
                    dst.mux(aout.encode(frame))
        dst.mux(vout.encode())
        if aout is not None:
            dst.mux(aout.encode())
