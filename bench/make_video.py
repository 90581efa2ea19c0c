"""The pipeline benchmark's video: 3 minutes of 1280x720 at 25 fps with
continuous speech, people, animals and things on camera moving (a slow pan
across each photo), hard cuts every 15 s, and burned-in text that changes
every 5 s in every third shot. Built reproducibly from photos that ship in
installed packages (scikit-image, ultralytics) and Debian's espeak-ng;
ground truth (cuts, text and when it is shown, the spoken script) goes to a
JSON file beside it. Cached in bench/.cache.

    python -m bench.make_video [OUT_DIR]
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import wave
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

SIZE = (1280, 720)
FPS = 25
SHOT_S = 15
SHOTS = [  # (photo, package), in order; people first and often
    ("zidane.jpg", "ultralytics"), ("chelsea.png", "skimage"), ("bus.jpg", "ultralytics"),
    ("coffee.png", "skimage"), ("astronaut.png", "skimage"), ("motorcycle_left.png", "skimage"),
    ("zidane.jpg", "ultralytics"), ("rocket.jpg", "skimage"), ("bus.jpg", "ultralytics"),
    ("camera.png", "skimage"), ("astronaut.png", "skimage"), ("chelsea.png", "skimage"),
]
TEXTS = ["INVOICE 2024-0117", "QUARTERLY REPORT", "MEETING ROOM 4B", "TOTAL DUE 1,250 EUR",
         "PROJECT ATLAS", "SHIPPING LABEL", "EXIT", "WELCOME TO BERLIN", "CHAPTER TWO",
         "PASSWORD RESET", "OPEN 9 TO 5", "ORDER NUMBER 5531"]
SCRIPT = (
    "Good morning and welcome to the quarterly review. Today we look at the invoices that are "
    "still open, the shipping delays in the north, and the plan for the new office. "
    "Mister Smith from accounting will start with the numbers. Please pay the outstanding invoice "
    "before Friday, or the supplier will stop the deliveries. The cat in the lobby is fine, by "
    "the way, and the coffee machine has finally been repaired. After the break we will talk "
    "about the motorcycle courier, the rocket launch campaign, and the photographs for the "
    "annual report. Every team should send its budget by the end of the month. The meeting "
    "room on the fourth floor is booked for the whole afternoon. If you have questions about "
    "your password reset, ask the help desk. Thank you all for coming, and see you next week. "
)
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
CACHE = Path(__file__).resolve().parent / ".cache"


def _photo(name: str, package: str) -> Image.Image:
    import importlib

    root = Path(importlib.import_module(package).__file__).parent
    path = root / ("assets" if package == "ultralytics" else "data") / name
    return Image.open(path).convert("RGB")


def _speech(tmp: Path, seconds: int) -> tuple[np.ndarray, int]:
    if shutil.which("espeak-ng") is None:
        raise SystemExit("the benchmark video needs Debian's espeak-ng (make bench installs it)")
    wav = tmp / "speech.wav"
    text = SCRIPT * 4
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(wav), text], check=True, capture_output=True)
    with wave.open(str(wav)) as w:
        rate = w.getframerate()
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    samples = samples[: seconds * rate]
    return np.pad(samples, (0, seconds * rate - len(samples))), rate


def _frame(photo: Image.Image, progress: float, text: str | None, font: ImageFont.ImageFont) -> np.ndarray:
    """A window 1/1.3 of the photo (scaled to cover the frame) panning left to right."""
    scale = max(SIZE[0] * 1.3 / photo.width, SIZE[1] * 1.3 / photo.height)
    big = (round(photo.width * scale), round(photo.height * scale))
    x = round((big[0] - SIZE[0]) * progress)
    y = round((big[1] - SIZE[1]) * (0.5 + 0.3 * np.sin(progress * np.pi)) * 0.5)
    box = (x / scale, y / scale, (x + SIZE[0]) / scale, (y + SIZE[1]) / scale)
    image = photo.resize(SIZE, Image.Resampling.BILINEAR, box=box)
    if text:
        draw = ImageDraw.Draw(image)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        w, h = right - left, bottom - top
        x0, y0 = (SIZE[0] - w) // 2, SIZE[1] - h - 110
        draw.rectangle((x0 - 24, y0 - 18, x0 + w + 24, y0 + h + 24), fill=(255, 255, 255))
        draw.text((x0 - left, y0 - top), text, fill=(0, 0, 0), font=font)
    return np.asarray(image)


def build(out_dir: Path = CACHE) -> Path:
    out = out_dir / "bench-720p.mp4"
    truth_path = out.with_suffix(".json")
    if out.is_file() and truth_path.is_file():
        return out
    out_dir.mkdir(parents=True, exist_ok=True)
    seconds = SHOT_S * len(SHOTS)
    font = ImageFont.truetype(FONT, 56) if Path(FONT).is_file() else ImageFont.load_default(56)
    texts = []
    with tempfile.TemporaryDirectory() as tmp_dir:
        audio, rate = _speech(Path(tmp_dir), seconds)
        partial = out_dir / ".bench-720p.partial.mp4"
        with av.open(str(partial), "w") as container:
            video = container.add_stream("libx264", rate=FPS)
            video.width, video.height, video.pix_fmt = *SIZE, "yuv420p"
            video.options = {"preset": "veryfast", "crf": "26", "g": "250"}
            sound = container.add_stream("aac", rate=rate)
            sound.layout = "mono"
            for shot, (name, package) in enumerate(SHOTS):
                photo = _photo(name, package)
                for i in range(SHOT_S * FPS):
                    t = shot * SHOT_S + i / FPS
                    text = None
                    if shot % 3 == 2:  # text shots: a new line every 5 s
                        k = (shot // 3) * 3 + i // (5 * FPS)
                        text = TEXTS[k % len(TEXTS)]
                        if i % (5 * FPS) == 0:
                            texts.append({"text": text, "start_s": t, "end_s": t + 5})
                    frame = av.VideoFrame.from_ndarray(_frame(photo, i / (SHOT_S * FPS), text, font),
                                                       format="rgb24")
                    frame.pts = shot * SHOT_S * FPS + i
                    frame.time_base = Fraction(1, FPS)
                    container.mux(video.encode(frame))
            container.mux(video.encode())
            chunk = 1024
            for start in range(0, len(audio), chunk):
                piece = audio[start:start + chunk]
                frame = av.AudioFrame.from_ndarray(piece[None, :], format="s16", layout="mono")
                frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
                container.mux(sound.encode(frame))
            container.mux(sound.encode())
        partial.rename(out)
    truth = {"file": out.name, "duration_s": seconds, "size": list(SIZE), "fps": FPS,
             "cuts_s": [SHOT_S * i for i in range(1, len(SHOTS))], "texts": texts,
             "script": SCRIPT}
    truth_path.write_text(json.dumps(truth, indent=2) + "\n")
    return out


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else CACHE))
