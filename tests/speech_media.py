"""Real and synthetic voices from Debian packages, for the speaker tests:
LibriVox narration and recordings in pocketsphinx-testdata, flite's voices
recorded from real speakers, and espeak-ng."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np

POCKETSPHINX = Path("/usr/share/pocketsphinx/test/data")
RATE = 16_000


def load_16k(path: Path) -> np.ndarray:
    """Mono float32 at 16 kHz."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
    with av.open(str(path)) as container:
        return np.concatenate([f.to_ndarray().reshape(-1) for frame in container.decode(audio=0)
                               for f in resampler.resample(frame)])


def flite(voice: str, text: str, out: Path) -> np.ndarray:
    assert shutil.which("flite"), "install Debian's flite (make test does)"
    subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(out)], check=True)
    return load_16k(out)


def espeak(voice: str, text: str, out: Path) -> np.ndarray:
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(out), text], check=True)
    return load_16k(out)


def talking_video(path: Path, audio: np.ndarray, fps: int = 2, size: tuple[int, int] = (64, 48),
                  picture: Callable[[float], np.ndarray] | None = None) -> Path:
    """An MP4 of ``audio`` (16 kHz mono float32, as AAC) over a grey picture of
    ``size`` (width, height), or over ``picture(t)``: the RGB frame of that size
    shown around ``t`` s (the middle of the frame's time)."""
    from fractions import Fraction

    width, height = size
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.time_base = Fraction(1, fps)
        sound = out.add_stream("aac", rate=RATE)
        sound.layout = "mono"
        for i in range(int(len(audio) / RATE * fps) + 1):
            rgb = np.full((height, width, 3), 128, np.uint8) if picture is None else picture((i + 0.5) / fps)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode())
        pcm = np.clip(audio, -1, 1).astype(np.float32)
        for start in range(0, len(pcm), 1024):
            block = av.AudioFrame.from_ndarray(pcm[None, start:start + 1024], format="fltp", layout="mono")
            block.sample_rate, block.pts = RATE, start
            out.mux(sound.encode(block))
        out.mux(sound.encode())
    return path
