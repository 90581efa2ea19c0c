"""MP4 clips of a time range.

When a keyframe sits at the start of the range (within one frame) and the
codecs can live in MP4, packets are copied: fast and lossless, with the
display matrix and pixel shape of the source (and HEVC tagged ``hvc1``, which
Apple's players need). Otherwise the range is re-encoded (H.264 + AAC), so
the clip starts exactly where it was asked to: turned upright, with the
source's pixel shape and its frame times (variable frame rates included).

Times count from the file's own clock start (``frames.origin``), as players
show them: an MPEG-TS or camcorder ``.MTS`` file may start its clock at 10 s
or 10 hours. The work is bounded by the range: the file is sought to its
start and read no further than its end (plus what the interleaving of the
streams needs), so a clip costs the same near the start of a long file as
near its end. A range starting past the end of the video, or one in which no
frame can be read, is an error, never an empty MP4.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from eioku.domain.errors import MediaUnreadableError, ValidationFailedError
from eioku.media.frames import _open, first_frame_rotation, origin
from eioku.media.geometry import quarter_turns, sample_aspect, upright_size

COPYABLE_VIDEO = {"h264", "hevc", "av1", "mpeg4", "vp9"}
COPYABLE_AUDIO = {"aac", "mp3", "opus", "alac", "ac3"}
# how far one stream may run ahead of another in the file (muxers interleave
# within a second or two); reading stops once any stream is this far past the end
INTERLEAVE_S = 10.0


def make_clip(video: Path, out: Path, from_ms: int, to_ms: int) -> str:
    """Write [from_ms, to_ms) of ``video`` to ``out`` (MP4); returns the method used.
    ``ValidationFailedError`` when the range starts at or past the end of the video,
    ``MediaUnreadableError`` when it holds no readable frame."""
    try:
        with _open(video) as src:
            _check_range(src, video, from_ms)
            start, end = origin(src) + from_ms / 1000, origin(src) + to_ms / 1000
            method = "copy" if _keyframe_at_start(src, start) and _copyable(src) else "reencode"
            if method == "copy":
                written = _copy(src, out, start, end)
        if method == "reencode":
            with _open(video) as src:
                written = _reencode(src, out, start, end)
    except av.error.FFmpegError as exc:
        raise MediaUnreadableError(f"cannot cut a clip from {video.name}: {exc}") from exc
    if not written:
        out.unlink(missing_ok=True)
        raise MediaUnreadableError(
            f"{video.name} has no readable frame in [{from_ms}, {to_ms}) ms")
    return method


def _check_range(src: Any, video: Path, from_ms: int) -> None:
    duration_ms = int((src.duration or 0) * 1000 / av.time_base)
    if duration_ms and from_ms >= duration_ms:
        raise ValidationFailedError(
            f"from_ms={from_ms} is past the end of {video.name} ({duration_ms} ms long)",
            field="from_ms")


def _copyable(src: Any) -> bool:
    audio = src.streams.audio[0] if src.streams.audio else None
    return src.streams.video[0].codec_context.name in COPYABLE_VIDEO and (
        audio is None or audio.codec_context.name in COPYABLE_AUDIO)


def _streams(src: Any) -> list[Any]:
    return [s for s in (src.streams.video[0], src.streams.audio[0] if src.streams.audio else None)
            if s is not None]


def _seek(src: Any, start: float) -> None:
    stream = src.streams.video[0]
    src.seek(int(start / stream.time_base), stream=stream, backward=True)


def _seek_keyframe(src: Any, start: float) -> None:
    """Seek to a keyframe at or before ``start``. A file without an index
    (MPEG-TS) is sought by timestamps and may land between keyframes, whose
    frames cannot be decoded: then seek further back, twice as far each time."""
    stream, back, first = src.streams.video[0], 0.0, origin(src)
    while True:
        target = start - back
        _seek(src, target)
        packet = next((p for p in src.demux(stream) if p.pts is not None), None)
        if (packet is None or target < first - 1.0  # before the file: its first packet
                or (packet.is_keyframe and float(packet.pts * stream.time_base) <= start + 1e-3)):
            _seek(src, target)
            return
        back = max(1.0, back * 2)


def _keyframe_at_start(src: Any, start: float) -> bool:
    stream = src.streams.video[0]
    _seek_keyframe(src, start)
    frame_s = 1 / float(stream.average_rate or 25)
    for packet in src.demux(stream):
        if packet.pts is None:
            continue
        if packet.is_keyframe and abs(float(packet.pts * stream.time_base) - start) < frame_s:
            return True
        if packet.dts is not None and float(packet.dts * stream.time_base) > start + frame_s:
            return False
    return False


def _packets(src: Any, streams: list[Any], end: float) -> Iterator[Any]:
    """Packets of ``streams`` from the current position until each stream has
    decoded past ``end`` (a packet's decode time only grows, and a frame is
    never shown before it is decoded), or one is INTERLEAVE_S past it."""
    waiting = {s.index for s in streams}
    for packet in src.demux(*streams):
        if packet.dts is not None:
            t = float(packet.dts * packet.time_base)
            if t >= end:
                waiting.discard(packet.stream.index)
                if not waiting or t >= end + INTERLEAVE_S:
                    return
        yield packet


def _copy(src: Any, out: Path, start: float, end: float) -> int:
    video = src.streams.video[0]
    streams = _streams(src)
    _seek_keyframe(src, start)
    written = 0
    with av.open(str(out), "w", format="mp4") as dst:
        outs = {s.index: dst.add_stream_from_template(s) for s in streams}
        if video.codec_context.name == "hevc":
            # Apple's players refuse HEVC tagged hev1 (parameter sets in the stream);
            # hvc1 (in the sample entry) plays everywhere. The display matrix and the
            # pixel shape come with the template.
            outs[video.index].codec_tag = "hvc1"
        offsets: dict[int, int] = {}
        for packet in _packets(src, streams, end):
            if packet.pts is None:
                continue
            t = float(packet.pts * packet.time_base)
            if t < start - 1e-3 or t >= end:
                continue
            # Matroska stores no decode times: FFmpeg guesses them, except for the first
            # frames of video with B-frames; the MP4 muxer works those out (dropping them
            # would drop the keyframe, and leave a clip nothing can decode)
            offset = offsets.setdefault(packet.stream.index,
                                        packet.pts if packet.dts is None else packet.dts)
            written += packet.stream.index == video.index
            packet.pts -= offset
            if packet.dts is not None:
                packet.dts -= offset
            packet.stream = outs[packet.stream.index]
            dst.mux(packet)
    return written


def _frames(src: Any, streams: list[Any], end: float) -> Iterator[Any]:
    """Decoded frames of ``streams`` up to the end of the range, the decoders
    flushed at the last packet read (frame threading and B-frames hold some back)."""
    for packet in _packets(src, streams, end):
        yield from packet.decode()
    for stream in streams:
        try:
            held = stream.codec_context.decode(None)
        except av.error.EOFError:  # the demuxer flushed it at the end of the file
            continue
        for frame in held:
            frame.time_base = stream.time_base  # a flushed frame comes without one
            yield frame


def _reencode(src: Any, out: Path, start: float, end: float) -> int:
    """Re-encode the range as H.264 + AAC. The picture is turned upright (the
    display matrix applied: players of the clip need none) and keeps its pixel
    shape (the sample aspect ratio, turned with it); each frame keeps its
    source time, so variable-frame-rate video plays at its own speed."""
    video = src.streams.video[0]
    video.thread_type = "AUTO"
    audio = src.streams.audio[0] if src.streams.audio else None
    turns = quarter_turns(first_frame_rotation(src))
    _seek_keyframe(src, start)
    written = 0
    with av.open(str(out), "w", format="mp4") as dst:
        vout = _video_out(dst, video, turns)
        upright = _Upright(turns, (vout.width, vout.height))
        last_pts = -1
        aout = None
        if audio is not None:
            aout = dst.add_stream("aac", rate=audio.codec_context.sample_rate or 48000)
            aout.time_base = Fraction(1, aout.rate)
        for frame in _frames(src, _streams(src), end):
            if frame.time is None or frame.time < start - 1e-3 or frame.time >= end:
                continue
            if isinstance(frame, av.VideoFrame):
                # the source's own time (never a slot of the average rate), one tick apart at least
                pts = max(last_pts + 1, int(round((frame.time - start) / CLIP_TIME_BASE)))
                shown = upright(frame)
                shown.pts, shown.time_base, last_pts = pts, CLIP_TIME_BASE, pts
                dst.mux(vout.encode(shown))
                written += 1
            elif aout is not None:
                frame.pts = int(round((frame.time - start) * aout.rate))
                frame.time_base = aout.time_base
                dst.mux(aout.encode(frame))
        dst.mux(vout.encode())
        if aout is not None:
            dst.mux(aout.encode())
    return written


# the clock of re-encoded video (MPEG's 90 kHz): any source frame time fits it within 11 µs
CLIP_TIME_BASE = Fraction(1, 90000)


def _video_out(dst: Any, video: Any, turns: int) -> Any:
    """The clip's H.264 stream: the upright size (even), the source's pixel
    shape turned with the picture, the source's clock."""
    rate = video.average_rate or video.guessed_rate or Fraction(25)
    vout = dst.add_stream("libx264", rate=rate)
    width, height = upright_size(video.codec_context.width, video.codec_context.height, turns)
    vout.width, vout.height = width - width % 2, height - height % 2
    vout.pix_fmt = "yuv420p"
    vout.time_base = vout.codec_context.time_base = CLIP_TIME_BASE
    sar = sample_aspect(video)
    if sar != 1:
        vout.codec_context.sample_aspect_ratio = 1 / sar if turns % 2 else sar
    vout.options = {"preset": "veryfast", "crf": "23"}
    return vout


class _Upright:
    """Turns decoded frames upright and fits them to the clip's size and pixel
    format, through one FFmpeg filter graph made at the first frame (its pixel
    format is known only then)."""

    _TURNS = {1: ["transpose=cclock"], 2: ["hflip", "vflip"], 3: ["transpose=clock"]}

    def __init__(self, turns: int, size: tuple[int, int]) -> None:
        self.turns, self.size = turns, size
        self.graph: Any = None

    def __call__(self, frame: Any) -> Any:
        if not self.turns:
            return frame.reformat(width=self.size[0], height=self.size[1], format="yuv420p")
        if self.graph is None:
            self.graph = self._graph(frame)
        self.graph.push(frame)
        return self.graph.pull()

    def _graph(self, frame: Any) -> Any:
        graph = av.filter.Graph()
        nodes = [graph.add_buffer(width=frame.width, height=frame.height, format=frame.format,
                                  time_base=frame.time_base or Fraction(1, 90000))]
        for step in [*self._TURNS[self.turns], f"scale={self.size[0]}:{self.size[1]}",
                     "format=yuv420p"]:
            name, _, args = step.partition("=")
            nodes.append(graph.add(name, args or None))
        nodes.append(graph.add("buffersink"))
        graph.link_nodes(*nodes)
        graph.configure()
        return graph
