"""Clips with known speech, music and silence for the sounds evaluation, built
from Debian packages: voices recorded from real speakers (flite's awb, rms,
slt, kal) and espeak-ng's, real music (drascula-music: the game's score, Ogg
Vorbis), and silence (a -70 dBFS hiss, as a quiet room records).

A clip strings 8–11 parts of 2–12 s: a sentence spoken, an excerpt of a
music track at its own level (-6 to -20 dB), a silence; one part in four is
speech over music at -15 dB (both classes on). The reference is each part's
span (speech trimmed of its silent ends). Scored by DCASE's segment-based F1
on 1 s segments: a class is on in a second it covers for at least half of it.
"""

from __future__ import annotations

import functools
import random
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.speech_media import RATE, load_16k

MUSIC_DIR = Path("/usr/share/scummvm/drascula/audio")
SENTENCES = (
    "The train to the coast leaves at seven, so we should pack tonight.",
    "Our results this quarter were better than anyone expected.",
    "Please remember to water the plants while I am away.",
    "The museum opens a new exhibition about the history of maps.",
    "Turn left after the bridge and the bakery is on your right.",
    "We measured the temperature every hour during the whole night.",
    "The committee will announce its decision next Tuesday morning.",
    "I have never seen so many birds on the lake at once.",
    "Could you send me the report before lunch, if it is ready?",
    "The recipe needs two eggs, a cup of flour and some butter.",
)
VOICES = ("flite:awb", "flite:rms", "flite:slt", "flite:kal", "espeak:en-us+m3", "espeak:en+f3")
CLASSES = ("speech", "music", "silence")


@dataclass(frozen=True)
class Clip:
    seed: int
    audio: np.ndarray
    reference: dict[str, list[tuple[float, float]]]  # class -> spans (s)


@functools.cache
def spoken(voice: str, sentence: str) -> np.ndarray:
    engine, name = voice.split(":")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "s.wav"
        cmd = (["flite", "-voice", name, "-t", sentence, "-o", str(out)] if engine == "flite"
               else ["espeak-ng", "-v", name, "-w", str(out), sentence])
        subprocess.run(cmd, check=True, capture_output=True)
        audio = load_16k(out)
    loud = np.flatnonzero(np.abs(audio) > 0.01)
    audio = audio[loud[0]:loud[-1] + 1] if len(loud) else audio
    return (audio / max(1e-6, float(np.sqrt(np.mean(audio**2)))) * 0.08).astype(np.float32)


@functools.cache
def track(number: int) -> np.ndarray:
    audio = load_16k(MUSIC_DIR / f"track{number}.ogg")
    return (audio / max(1e-6, float(np.sqrt(np.mean(audio**2)))) * 0.08).astype(np.float32)


def music_excerpt(rng: random.Random, seconds: float) -> np.ndarray:
    """``seconds`` of a track that keeps playing (no pause inside it)."""
    for _ in range(50):
        audio = track(rng.choice([n for n in range(1, 32) if n not in (12, 17, 28)]))
        if len(audio) < seconds * RATE + RATE:
            continue
        start = rng.randrange(0, len(audio) - int(seconds * RATE))
        part = audio[start:start + int(seconds * RATE)]
        frames = part[: len(part) // 1600 * 1600].reshape(-1, 1600)
        if np.sqrt((frames**2).mean(axis=1)).min() > 0.004:  # never near-silent for 100 ms
            return part
    raise AssertionError("no excerpt of the music plays without pauses")


def clip(seed: int) -> Clip:
    rng = random.Random(seed)
    parts: list[np.ndarray] = []
    reference: dict[str, list[tuple[float, float]]] = {c: [] for c in CLASSES}
    noise = np.random.default_rng(seed)
    t = 0.0
    kinds = ["speech", "music", "silence", "speech", "music", "both", "silence", "speech"]
    kinds += rng.sample(["speech", "music", "silence", "both"], rng.randint(0, 3))
    rng.shuffle(kinds)
    for kind in kinds:
        if kind == "silence":
            part = (noise.normal(0, 10 ** (-70 / 20), int(rng.uniform(2.0, 5.0) * RATE))
                    ).astype(np.float32)
        elif kind == "speech":
            part = spoken(rng.choice(VOICES), rng.choice(SENTENCES)) * 10 ** (rng.uniform(-3, 3) / 20)
        elif kind == "music":
            part = music_excerpt(rng, rng.uniform(4.0, 12.0)) * 10 ** (rng.uniform(-14, 0) / 20)
        else:
            speech = spoken(rng.choice(VOICES), rng.choice(SENTENCES))
            part = speech + music_excerpt(rng, len(speech) / RATE + 0.01)[: len(speech)] * 10 ** (-15 / 20)
        seconds = len(part) / RATE
        for name in (("speech", "music") if kind == "both" else (kind,)):
            reference[name].append((t, t + seconds))
        parts.append(part.astype(np.float32))
        t += seconds
    return Clip(seed, np.concatenate(parts), reference)


def active(spans: list[tuple[float, float]], seconds: int) -> np.ndarray:
    """Per 1 s segment: covered for at least half of it."""
    covered = np.zeros(seconds)
    for start, end in spans:
        for k in range(int(start), min(seconds, int(np.ceil(end)))):
            covered[k] += max(0.0, min(end, k + 1) - max(start, k))
    return covered >= 0.5


def segment_counts(reference: list[tuple[float, float]], found: list[tuple[float, float]],
                   seconds: int) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) over 1 s segments."""
    ref, sys_ = active(reference, seconds), active(found, seconds)
    return int((ref & sys_).sum()), int((~ref & sys_).sum()), int((ref & ~sys_).sum())


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0
