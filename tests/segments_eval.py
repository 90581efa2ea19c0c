"""A generated series for the typed-segments evaluation, from Debian and PyPI
package media: footage from opencv-doc (``vtest.avi`` pedestrians,
``Megamind.avi``), photographs from scikit-image's wheel, voices recorded from
real speakers (flite) and real music (drascula-music).

Each episode: a cold open of its own length (footage, a voice), the intro —
the same 20 s of a music track over the same title picture in every episode,
at its own level and under its own room noise — then the episode (photographs,
another voice over another track), rolling credits (white names scrolling up a
black screen at 40 px/s, over a closing theme every episode shares), and a
second of black. A special in the same folder shares neither the intro nor
credits, and ends on a dark photograph of stars (the Hubble deep field) and
dark footage.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import skimage

from tests.sounds_eval import spoken, track
from tests.speech_media import RATE, talking_video

FPS = 10
SIZE = (640, 360)
OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
PHOTOS = Path(skimage.__file__).parent / "data"
INTRO_S = 20.0
CREDITS_S = 16.0
NAMES = ("Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov",
         "Donald Knuth", "Frances Allen", "Ken Thompson", "Margaret Hamilton", "John McCarthy",
         "Radia Perlman", "Tim Berners-Lee", "Shafi Goldwasser", "Niklaus Wirth", "Leslie Lamport",
         "Dennis Ritchie", "Sophie Wilson", "Claude Shannon", "Hedy Lamarr", "Linus Torvalds")
ROLES = ("Directed by", "Written by", "Produced by", "Music", "Camera", "Editing", "Sound",
         "Lighting", "Costumes", "Casting")


@dataclass(frozen=True)
class Episode:
    path: Path
    intro: tuple[float, float] | None
    credits: tuple[float, float] | None


def _footage(name: str, start: int) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(OPENCV_DATA / name))
    capture.set(cv2.CAP_PROP_POS_FRAMES, start)
    frames = []
    while len(frames) < 200:
        ok, bgr = capture.read()
        if not ok:
            break
        frames.append(cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), SIZE))
    capture.release()
    return frames


def _photo(name: str) -> np.ndarray:
    image = cv2.imread(str(PHOTOS / name), cv2.IMREAD_COLOR)
    return cv2.resize(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), SIZE)


def _credits_roll(seed: int) -> np.ndarray:
    """A tall black image of names, scrolled through the screen."""
    rng = random.Random(seed)
    lines = []
    for role in ROLES:
        lines += [role, *rng.sample(NAMES, 2), ""]
    roll = np.zeros((40 * len(lines) + SIZE[1], SIZE[0], 3), np.uint8)
    for i, line in enumerate(lines):
        scale = 0.7 if line in ROLES else 0.9
        (w, _), _ = cv2.getTextSize(line, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
        cv2.putText(roll, line, ((SIZE[0] - w) // 2, 40 + 40 * i), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (235, 235, 235), 2, cv2.LINE_AA)
    return roll


def _seconds(audio: np.ndarray, seconds: float) -> np.ndarray:
    n = int(seconds * RATE)
    return np.resize(audio, n) if len(audio) < n else audio[:n]


def _voice(rng: random.Random, seconds: float) -> np.ndarray:
    from tests.sounds_eval import SENTENCES

    parts = []
    while sum(len(p) for p in parts) < seconds * RATE:
        parts += [spoken(rng.choice(("flite:awb", "flite:rms", "flite:slt", "flite:kal")),
                         rng.choice(SENTENCES)), np.zeros(int(0.4 * RATE), np.float32)]
    return _seconds(np.concatenate(parts), seconds)


def episode(folder: Path, number: int, cold_open_s: float) -> Episode:
    rng = random.Random(number)
    noise = np.random.default_rng(number)
    body_s = 20.0
    theme = track(2)[5 * RATE: int((5 + INTRO_S) * RATE)] * 10 ** (rng.uniform(-3, 0) / 20)
    closing = _seconds(track(3)[10 * RATE:], CREDITS_S) * 0.6
    audio = np.concatenate([
        _voice(rng, cold_open_s) + _seconds(track(20 + number), cold_open_s) * 0.05,
        theme,
        _voice(rng, body_s) + _seconds(track(10 + number), body_s) * 0.15,
        closing,
        np.zeros(RATE, np.float32),
    ])
    audio = (audio + noise.normal(0, 10 ** (-50 / 20), len(audio))).astype(np.float32)
    intro = (cold_open_s, cold_open_s + INTRO_S)
    credits = (intro[1] + body_s, intro[1] + body_s + CREDITS_S)
    pedestrians = _footage("vtest.avi", 40 * number)
    title = _photo("rocket.jpg")
    cv2.putText(title, "THE SERIES", (170, 200), cv2.FONT_HERSHEY_DUPLEX, 2.0, (255, 255, 255), 3)
    photos = [_photo(n) for n in ("astronaut.png", "chelsea.png", "coffee.png", "motorcycle_left.png")]
    roll = _credits_roll(number)

    def picture(t: float) -> np.ndarray:
        if t < intro[0]:
            return pedestrians[int(t * FPS) % len(pedestrians)]
        if t < intro[1]:
            return title
        if t < credits[0]:
            return photos[int((t - intro[1]) / 5) % len(photos)]
        if t < credits[1]:
            y = int((t - credits[0]) * 40)
            return roll[y:y + SIZE[1]]
        return np.zeros((SIZE[1], SIZE[0], 3), np.uint8)

    path = talking_video(folder / f"episode {number:02d}.mp4", audio, fps=FPS, size=SIZE,
                         picture=picture)
    return Episode(path, intro, credits)


def special(folder: Path) -> Episode:
    """The same folder's video without the intro or credits, ending in the dark."""
    rng = random.Random(99)
    audio = np.concatenate([_voice(rng, 30.0) + _seconds(track(7), 30.0) * 0.15,
                            _seconds(track(8), 20.0) * 0.4])
    pedestrians = _footage("vtest.avi", 500)
    dark = _footage("Megamind.avi", 0)
    stars = _photo("hubble_deep_field.jpg")
    stars = (stars * 0.6).astype(np.uint8)

    def picture(t: float) -> np.ndarray:
        if t < 30:
            return pedestrians[int(t * FPS) % len(pedestrians)]
        if t < 40:
            return stars
        return (dark[int(t * FPS) % len(dark)] * 0.4).astype(np.uint8)

    path = talking_video(folder / "special.mp4", audio, fps=FPS, size=SIZE, picture=picture)
    return Episode(path, None, None)


def series(folder: Path) -> list[Episode]:
    folder.mkdir(parents=True, exist_ok=True)
    return [episode(folder, n, s) for n, s in ((1, 4.0), (2, 11.0), (3, 19.0), (4, 26.0))] + \
        [special(folder)]
