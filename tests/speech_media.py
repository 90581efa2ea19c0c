"""Real and synthetic voices from Debian packages, for the speaker tests:
LibriVox narration and recordings in pocketsphinx-testdata, flite's voices
recorded from real speakers, and espeak-ng."""

from __future__ import annotations

import shutil
import subprocess
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
