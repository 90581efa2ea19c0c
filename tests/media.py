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
