"""Synthesized test clips (PyAV), for cases the committed sample cannot show."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

SAMPLE = Path(__file__).parent / "data" / "sample.mp4"
# the base URL of in-process test clients: the app answers loopback host names only (api/guard.py)
LOOPBACK = "http://127.0.0.1"


def make_clip(path: Path, frames, *, fps: int = 25, size: tuple[int, int] = (160, 96),
              container: str | None = None) -> Path:
    """Encode an iterable of HxWx3 uint8 frames (or a callable index -> frame) as H.264
    (in the container the name's extension says, or ``container``)."""
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        for i, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def tiny_mp4(path: Path, seed: int = 0) -> Path:
    """A real H.264 MP4 of a few kilobytes (ten frames; another seed, other bytes)."""
    return make_clip(path, [np.full((96, 160, 3), (seed * 37 + i * 20) % 256, np.uint8)
                            for i in range(10)], container="mp4")


def noise_frames(n: int, size: tuple[int, int] = (160, 96), seed: int = 0):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        yield rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)


def constant_frames(n: int, value: int, size: tuple[int, int] = (160, 96)):
    image = np.full((size[1], size[0], 3), value, dtype=np.uint8)
    for _ in range(n):
        yield image


def copy_with_suffix(src: Path, dst: Path, suffix: bytes) -> Path:
    """Same video, different bytes (trailing data is ignored by demuxers)."""
    dst.write_bytes(src.read_bytes() + suffix)
    return dst


def corrupt_copy(src: Path, dst: Path, seed: int = 3, flips: int = 200) -> Path:
    """The same file with random bytes overwritten in its middle half."""
    import random

    data = bytearray(src.read_bytes())
    rng = random.Random(seed)
    for _ in range(flips):
        data[rng.randrange(len(data) // 4, len(data) * 3 // 4)] = rng.randrange(256)
    dst.write_bytes(bytes(data))
    return dst


def as_phone_portrait(src: Path, dst: Path) -> Path:
    """The same MP4 with the display matrix a phone writes when held upright
    (tkhd matrix 0,1,-1,0: FFmpeg reads rotation -90, shown turned a quarter
    clockwise). Only the matrix bytes change."""
    import struct

    data = bytearray(src.read_bytes())
    at = data.index(b"tkhd") + 4
    version = data[at]
    matrix = at + 4 + (32 if version == 1 else 20) + 8 + 8
    data[matrix:matrix + 36] = struct.pack(">9i", 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)
    dst.write_bytes(bytes(data))
    return dst


def encode_video(path: Path, frames, *, codec: str = "libx264", size: tuple[int, int] = (160, 96),
                 times_ms=None, fps: int = 25, sar: Fraction | None = None,
                 container: str | None = None, options: dict[str, str] | None = None) -> Path:
    """Encode HxWx3 uint8 frames with any of PyAV's encoders: each frame at its
    time in ``times_ms`` (variable frame rate) or one per 1/``fps``; ``sar``
    writes a sample aspect ratio (anamorphic pixels)."""
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.time_base = stream.codec_context.time_base = Fraction(1, 1000)
        if sar is not None:
            stream.codec_context.sample_aspect_ratio = sar
        if options:
            stream.options = options
        for i, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = times_ms[i] if times_ms is not None else i * 1000 // fps
            frame.time_base = Fraction(1, 1000)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def mp4_boxes(data: bytes, start: int = 0, end: int | None = None):
    """(type, payload start, payload end) of the MP4 boxes in ``data[start:end]``."""
    end = len(data) if end is None else end
    while start + 8 <= end:
        size, kind = int.from_bytes(data[start:start + 4], "big"), data[start + 4:start + 8]
        head = 8
        if size == 1:
            size, head = int.from_bytes(data[start + 8:start + 16], "big"), 16
        elif size == 0:
            size = end - start
        yield kind.decode("latin-1"), start + head, start + size
        start += size


def sample_entries(path: Path) -> list[str]:
    """The sample entry fourcc of each track of an MP4 (``avc1``, ``hvc1``, ``hev1``,
    ``mp4a``…): moov/trak/mdia/minf/stbl/stsd, read from the bytes."""
    data = path.read_bytes()
    found = []

    def walk(start: int, end: int, route: list[str]) -> None:
        for kind, body, stop in mp4_boxes(data, start, end):
            if kind == route[0] and len(route) == 1:  # stsd: version+flags, count, then entries
                found.append(data[body + 12:body + 16].decode("latin-1"))
            elif kind == route[0]:
                walk(body, stop, route[1:])

    walk(0, len(data), ["moov", "trak", "mdia", "minf", "stbl", "stsd"])
    return found
