"""Conversations with known turns for the speakers evaluation, built from
distinct real and synthetic voices in Debian packages:

- real: the LibriVox narrator (pocketsphinx-testdata ``librivox/``) and the
  speaker of its ``cards/`` recordings;
- voices recorded from real people: flite's ``awb``, ``rms``, ``slt`` and ``kal``;
- synthetic: espeak-ng ``en-us+m3``, ``en+f3`` and ``en-us+klatt``;
- held out (``HELD_OUT_VOICES``, never used to calibrate): ten Festival voices
  recorded from real people, in five languages.

A conversation has 2–6 of them taking 8–14 turns of 1–20 s, cut from a long
passage each voice reads (so no two turns are the same audio), each voice at
its own level (±3 dB), separated by pauses of 0.1–0.9 s; about one change in
four overlaps the previous turn by 0.5–1.5 s; in every other conversation
real music (Debian's drascula-music, a track of the game's score) plays under
a 20 s stretch at -15 dB below the speech. The reference is each turn's
span (the cut audio with its silent ends trimmed).
"""

from __future__ import annotations

import functools
import random
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.speech_media import POCKETSPHINX, RATE, load_16k

MUSIC = Path("/usr/share/scummvm/drascula/audio/track4.ogg")
PASSAGE = (
    "Good morning everyone, thank you for joining the call on such short notice. "
    "The first thing on the list is the delivery schedule for the spring catalogue. "
    "We promised the printers a final draft by the end of the month, and we are behind. "
    "I spoke to the design team yesterday and they need two more days for the cover. "
    "That leaves us very little time for proof reading, so I would like volunteers. "
    "Next, the budget. Travel costs went up by almost a third compared to last year. "
    "Most of that came from the trade fair in October, which was more expensive than planned. "
    "We should decide today whether we go again next year or spend the money elsewhere. "
    "Personally I think the fair brought us two good customers and a lot of attention. "
    "On the other hand, the online campaign cost half as much and reached more people. "
    "Let us also talk about hiring. We have one open position in the support team. "
    "The candidates we interviewed last week were strong, especially the second one. "
    "If nobody objects, I will send her an offer before the weekend. "
    "Finally, a reminder that the office will be closed on the fourteenth for maintenance. "
    "Please take your laptops home the evening before, and check that your files are saved. "
    "Does anybody have questions, or anything else we should put on next week's agenda?"
)
VOICES = ("narrator", "cards", "flite:awb", "flite:rms", "flite:slt", "flite:kal",
          "espeak:en-us+m3", "espeak:en+f3", "espeak:en-us+klatt")
# voices the clustering was never calibrated on: Festival's diphone and HTS voices, recorded
# from real people, reading the same passage with their own language's rules (Debian's
# festival and festvox-* packages): American English (kal, ked), Catalan, Czech (three),
# Finnish (two) and Italian (two)
HELD_OUT_VOICES = tuple(f"festival:{v}" for v in (
    "kal_diphone", "ked_diphone", "upc_ca_ona_hts", "czech_dita", "czech_machac", "czech_ph",
    "suo_fi_lj_diphone", "hy_fi_mv_diphone", "lp_diphone", "pc_diphone"))


@dataclass(frozen=True)
class Conversation:
    seed: int
    audio: np.ndarray  # 16 kHz mono float32
    turns: list[tuple[float, float, str]]  # (start_s, end_s, voice)
    music: tuple[float, float] | None

    @property
    def speakers(self) -> int:
        return len({v for _, _, v in self.turns})


@functools.cache
def voice_audio(voice: str) -> np.ndarray:
    """A long stretch of one voice's speech, normalised to a common RMS."""
    if voice == "narrator":
        audio = np.concatenate([load_16k(p) for p in sorted((POCKETSPHINX / "librivox").glob("*.wav"))])
    elif voice == "cards":
        audio = np.concatenate([load_16k(p) for p in sorted((POCKETSPHINX / "cards").glob("*.wav"))])
    else:
        engine, name = voice.split(":")
        with tempfile.TemporaryDirectory() as tmp:
            out, text = Path(tmp) / "voice.wav", Path(tmp) / "passage.txt"
            text.write_text(PASSAGE)
            cmd = {"flite": ["flite", "-voice", name, "-t", PASSAGE, "-o", str(out)],
                   "espeak": ["espeak-ng", "-v", name, "-s", "165", "-w", str(out), PASSAGE],
                   "festival": ["text2wave", "-eval", f"(voice_{name})", str(text), "-o", str(out)],
                   }[engine]
            subprocess.run(cmd, check=True, capture_output=True)
            audio = load_16k(out)
    return (audio / (np.sqrt(np.mean(audio**2)) + 1e-9) * 0.08).astype(np.float32)


@functools.cache
def music_audio() -> np.ndarray:
    audio = load_16k(MUSIC)
    return (audio / (np.sqrt(np.mean(audio**2)) + 1e-9) * 0.08).astype(np.float32)


def _trim(clip: np.ndarray) -> np.ndarray:
    """Without silent ends (10 ms frames 30 dB under the clip's loudest)."""
    frames = clip[: len(clip) // 160 * 160].reshape(-1, 160)
    energy = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    loud = np.flatnonzero(energy > energy.max() - 30)
    return clip[loud[0] * 160:(loud[-1] + 1) * 160] if len(loud) else clip[:0]


def _piece(voice: str, seconds: float, rng: random.Random) -> np.ndarray:
    source = voice_audio(voice)
    length = min(int(seconds * RATE), len(source))
    start = rng.randrange(0, len(source) - length + 1)
    clip = _trim(source[start:start + length].copy())
    fade = min(len(clip) // 4, RATE // 50)
    if fade:
        ramp = np.linspace(0, 1, fade, dtype=np.float32)
        clip[:fade] *= ramp
        clip[-fade:] *= ramp[::-1]
    return clip


def conversation(seed: int, pool: tuple[str, ...] = VOICES) -> Conversation:
    rng = random.Random(seed)
    count = 2 + seed % 5  # 2..6 speakers across the seeds
    voices = rng.sample(pool, count)
    gains = {v: 10 ** (rng.uniform(-3, 3) / 20) for v in voices}
    order = list(voices)  # each speaks at least once
    while len(order) < rng.randint(max(8, count + 2), 14):
        order.append(rng.choice([v for v in voices if v != order[-1]]))
    for i in range(1, len(order)):  # no one follows themself
        if order[i] == order[i - 1]:
            order[i] = rng.choice([v for v in voices if v != order[i - 1]])
    pieces, turns, cursor = [], [], 0.5
    for i, voice in enumerate(order):
        seconds = rng.choice([rng.uniform(1, 4), rng.uniform(3, 10), rng.uniform(8, 20)])
        clip = _piece(voice, seconds, rng) * gains[voice]
        if len(clip) < RATE // 2:
            continue
        overlap = i and rng.random() < 0.25 and turns[-1][1] - turns[-1][0] > 3
        start = turns[-1][1] - rng.uniform(0.5, 1.5) if overlap else cursor + rng.uniform(0.1, 0.9)
        turns.append((round(start, 3), round(start + len(clip) / RATE, 3), voice))
        pieces.append((int(round(start * RATE)), clip))
        cursor = max(cursor, turns[-1][1])
    audio = np.zeros(int((cursor + 0.5) * RATE), np.float32)
    for at, clip in pieces:
        audio[at:at + len(clip)] += clip
    music = None
    if seed % 2:
        start = rng.uniform(0, max(0.0, cursor - 20))
        bed = music_audio()
        offset = rng.randrange(0, len(bed) - 20 * RATE)
        at = int(start * RATE)
        span = min(20 * RATE, len(audio) - at)
        audio[at:at + span] += bed[offset:offset + span] * 10 ** (-15 / 20)
        music = (start, start + span / RATE)
    return Conversation(seed, audio, turns, music)


def der(reference: list[tuple[float, float, str]], hypothesis: list[tuple[float, float, str]],
        collar_s: float = 0.25) -> tuple[float, dict[str, float]]:
    """Diarization error rate (missed + false alarm + confusion over reference
    speech, overlap scored, ``collar_s`` either side of each reference boundary
    not scored), by pyannote.metrics."""
    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    def annotation(turns: list[tuple[float, float, str]]) -> Annotation:
        a = Annotation()
        for i, (s, e, who) in enumerate(turns):
            a[Segment(s, e), i] = who
        return a

    metric = DiarizationErrorRate(collar=2 * collar_s, skip_overlap=False)
    parts = metric(annotation(reference), annotation(hypothesis), detailed=True)
    return float(parts["diarization error rate"]), {k: float(v) for k, v in parts.items()}
