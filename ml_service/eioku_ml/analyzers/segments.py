"""segment: typed stretches of a video — intro, credits, black, silence, colour bars.

Frame statistics come from the frame pass (a 320-pixel RGB frame every
``interval_ms``), the rest from the main audio track, decoded once at the end:

- **black**: mean luma below ``black_luma`` with almost no variation
  (standard deviation below ``black_std``), for at least ``min_black_s``.
- **colour bars**: the upper two thirds of the frame made of 5–9 vertical bars
  of saturated, uniform colour (SMPTE/EBU test patterns), for ``min_bars_s``.
- **credits**: near the end, a dark frame (median luma below ``dark_luma``)
  carrying lines of text — bright rows with many dark/bright changes along
  them, in at least two separate bands — or, when an OCR run exists, at least
  ``ocr_lines`` lines read around that time; a vertical shift between
  successive frames (phase correlation) marks rolling credits. The credits are
  the last run of such frames (gaps under ``gap_s`` closed) of at least
  ``min_credits_s`` that starts in the last ``credits_zone`` of the video.
- **silence**: the audio below ``silence_db`` dBFS (or 35 dB under its own
  loudness, whichever is higher) for at least ``min_silence_s``.
- **intro**: a passage of at least ``min_intro_s`` starting in the first
  ``intro_zone`` of the video (at most ``intro_max_start_s``) whose audio is
  heard in other videos of the same folder too (eioku_ml/analyzers/intro.py).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from eioku_ml.analyzers import intro as fp
from eioku_ml.analyzers.base import FrameAnalyzer, FrameWant, Item, MediaInput
from eioku_ml.analyzers.sounds import Meter, integrated, level_db, spans
from eioku_ml.errors import MediaError
from eioku_ml.media.decode import Frame, decode_audio, probe
from eioku_ml.media.tracks import main_audio

log = logging.getLogger(__name__)
RATE = 16_000
FRAME = RATE // 10  # 100 ms
WINDOW_S = 600.0  # audio decoded at a time
DEFAULTS: dict[str, Any] = {
    "width": 320, "interval_ms": 250,
    "black_luma": 20.0, "black_std": 6.0, "min_black_s": 0.5, "min_bars_s": 1.0,
    "dark_luma": 50.0, "ocr_lines": 3, "gap_s": 2.0, "min_credits_s": 8.0, "credits_zone": 0.35,
    "silence_db": -50.0, "silence_below_lufs": 35.0, "min_silence_s": 2.0,
    "min_intro_s": 10.0, "intro_zone": 0.5, "intro_max_start_s": 600.0, "intro_listen_s": 900.0,
    "max_siblings": 8,
}


class SegmentsAnalyzer(FrameAnalyzer):
    name = "segments"
    margin_ms = (300, 0)  # the sample before a chunk, to measure its first shift against

    def setting(self, key: str) -> Any:
        value = self.config.get(key)
        return DEFAULTS[key] if value is None else value

    @property
    def want(self) -> FrameWant:
        return FrameWant(int(self.setting("width")), "rgb24", int(self.setting("interval_ms")))

    def start(self, media: MediaInput, context: dict[str, Any]) -> None:
        super().start(media, context)
        self.samples: list[list[Any]] = []  # [time_ms, luma, std, bars, bands, dark, shift]
        self.prev: np.ndarray | None = None

    def warm(self, frame: Frame) -> None:
        self.prev = _gray(frame.image)

    def observe(self, frame: Frame) -> list[Any]:
        rgb = frame.image
        gray = _gray(rgb)
        luma, std = float(gray.mean()), float(gray.std())
        dark = float(np.median(gray)) < float(self.setting("dark_luma"))
        bands = _text_bands(gray) if dark else 0
        shift = None
        if dark and bands and self.prev is not None and self.prev.shape == gray.shape:
            (dx, dy), response = cv2.phaseCorrelate(self.prev, gray)
            if response > 0.2 and abs(dx) < 1.0:
                shift = round(float(dy), 2)
        self.prev = gray
        return [round(luma, 2), round(std, 2), _colour_bars(rgb), bands, dark, shift]

    def fold(self, time_ms: int, index: int, observation: list[Any]) -> None:
        self.samples.append([time_ms, *observation])

    def finish(self) -> list[Item]:
        duration_ms = self.media.duration_ms
        step = int(self.setting("interval_ms"))
        out: list[Item] = []
        t = np.array([s[0] for s in self.samples], np.int64)
        if len(t):
            luma = np.array([s[1] for s in self.samples])
            std = np.array([s[2] for s in self.samples])
            bars = np.array([bool(s[3]) for s in self.samples])
            black = (luma < float(self.setting("black_luma"))) & (std < float(self.setting("black_std")))
            out += self._runs(t, black, step, "min_black_s", "black", "frames are black",
                              duration_ms)
            out += self._runs(t, bars, step, "min_bars_s", "colour_bars",
                              "colour bars (a test pattern) fill the picture", duration_ms)
            credits = self._credits(t, step, duration_ms)
            if credits is not None:
                out.append(credits)
        if self.media.probe.has_audio:
            out += self._audio(duration_ms)
        return sorted(out, key=lambda i: (i.span_start_ms, i.payload["type"]))

    def _runs(self, t: np.ndarray, on: np.ndarray, step: int, minimum: str, kind: str,
              why: str, duration_ms: int) -> list[Item]:
        min_samples = max(1, int(round(float(self.setting(minimum)) * 1000 / step)))
        return [Item(int(t[s]), min(duration_ms, int(t[e - 1]) + step),
                     {"type": kind, "confidence": 0.9, "evidence": why})
                for s, e in spans(on, 1, min_samples)]

    def _credits(self, t: np.ndarray, step: int, duration_ms: int) -> Item | None:
        bands = np.array([s[4] for s in self.samples])
        dark = np.array([bool(s[5]) for s in self.samples])
        ocr_lines = _ocr_lines_near(self.context.get("ocr", []), t, 1000)
        text = dark & ((bands >= 2) | (ocr_lines >= int(self.setting("ocr_lines"))))
        gap = int(round(float(self.setting("gap_s")) * 1000 / step))
        runs = spans(text, gap, max(1, int(round(float(self.setting("min_credits_s")) * 1000 / step))))
        zone_start = duration_ms * (1 - float(self.setting("credits_zone")))
        runs = [r for r in runs if t[r[0]] >= zone_start]
        if not runs:
            return None
        s, e = runs[-1]
        # a line or two of text entering or leaving the picture belongs to them too
        while s > 0 and dark[s - 1] and bands[s - 1] >= 1:
            s -= 1
        while e < len(t) and dark[e] and bands[e] >= 1:
            e += 1
        shifts = [x[6] for x in self.samples[s:e] if x[6] is not None and abs(x[6]) >= 0.5]
        rolling = bool(len(shifts) >= 0.4 * (e - s)) and bool(
            abs(sum(np.sign(shifts))) >= 0.8 * len(shifts))
        read = int(ocr_lines[s:e].max()) if len(ocr_lines) else 0
        evidence = ("rolling text on a dark background" if rolling
                    else "text on a dark background") + " near the end"
        if read:
            evidence += f"; up to {read} lines read at once"
        confidence = 0.6 + 0.2 * bool(rolling) + 0.2 * (read >= int(self.setting("ocr_lines")))
        return Item(int(t[s]), min(duration_ms, int(t[e - 1]) + step),
                    {"type": "credits", "confidence": round(float(confidence), 2), "evidence": evidence})

    def _audio(self, duration_ms: int) -> list[Item]:
        """Silences, and the intro shared with the folder's other videos."""
        track = main_audio(self.media.path, list(self.config.get("audio_languages") or []))
        index = track.index if track else None
        listen_s = float(self.setting("intro_listen_s"))
        levels, squares, opening = [], [], []  # opening: the first listen_s, for the fingerprint
        meter, offset_s, start_s = Meter(), 0.0, 0.0
        duration_s = duration_ms / 1000
        try:  # ten minutes at a time: a long file never sits in memory whole
            while start_s < max(duration_s, 0.1):
                end_s = start_s + WINDOW_S
                audio, first_s = decode_audio(self.media.path, RATE, start_s, end_s, track=index)
                if start_s == 0:
                    offset_s = first_s
                first = max(0, int(round((start_s - first_s) * RATE))) if start_s else 0
                part = audio[first:first + int(round(WINDOW_S * RATE))]
                part = part[: len(part) // FRAME * FRAME] if start_s + WINDOW_S < duration_s else part
                levels.append(level_db(part))
                squares.append(meter.frames(part))
                if start_s < listen_s:
                    opening.append(part[: int((listen_s - start_s) * RATE)])
                start_s = end_s
        except MediaError as exc:
            if not levels:
                log.info("%s: no silences or intro: %s", self.media.path.name, exc.message)
                return []
        out: list[Item] = []
        level = np.concatenate(levels)
        programme = integrated(np.concatenate(squares))
        audio = np.concatenate(opening) if opening else np.zeros(0, np.float32)
        floor = float(self.setting("silence_db"))
        if programme is not None:
            floor = max(floor, programme - float(self.setting("silence_below_lufs")))
        base = int(round(offset_s * 1000))
        for s, e in spans(level < floor, 1, int(round(float(self.setting("min_silence_s")) * 10))):
            out.append(Item(base + s * 100, min(duration_ms, base + e * 100), {
                "type": "silence", "confidence": 0.9,
                "evidence": f"the sound stays below {floor:.0f} dBFS"}))
        found = self._intro(audio, offset_s, duration_ms)
        if found is not None:
            out.append(found)
        return out

    def _intro(self, audio: np.ndarray, offset_s: float, duration_ms: int) -> Item | None:
        listen_s = float(self.setting("intro_listen_s"))  # of every video: one cached print each
        others: list[fp.Print] = []
        for path in fp.siblings(self.media.path, int(self.setting("max_siblings"))):
            theirs = self._sibling_print(path, listen_s)
            if theirs is not None:
                others.append(theirs)
        if not others:
            return None
        mine = fp.fingerprint(audio[: int(listen_s * RATE)])
        start_within = min(float(self.setting("intro_max_start_s")),
                           duration_ms / 1000 * float(self.setting("intro_zone")))
        found = fp.find_intro(mine, others, float(self.setting("min_intro_s")), start_within)
        if found is None:
            return None
        start_ms = int(round((found.start_s + offset_s) * 1000))
        end_ms = min(duration_ms, int(round((found.end_s + offset_s) * 1000)))
        share = found.shared_with / len(others)
        return Item(start_ms, max(start_ms, end_ms), {
            "type": "intro", "confidence": round(min(1.0, 0.5 + 0.5 * share) * (1 - found.ber), 4),
            "evidence": f"the same {(end_ms - start_ms) / 1000:.0f} s of sound opens "
                        f"{found.shared_with} other video{'s' if found.shared_with > 1 else ''} "
                        "of this folder",
            "shared_with": found.shared_with})

    def _sibling_print(self, path: Path, listen_s: float) -> fp.Print | None:
        """A sibling's fingerprint, from the cache when its file has not changed."""
        from eioku.config import get_settings

        try:
            key = fp.cache_key(path, listen_s)
            cached = get_settings().cache_dir / "fingerprints" / f"{key}.npz"
            if cached.is_file():
                return fp.Print.load(cached)
            if not probe(path).has_audio:
                return None
            track = main_audio(path, list(self.config.get("audio_languages") or []))
            audio, _ = decode_audio(path, RATE, 0.0, listen_s, track=track.index if track else None)
            made = fp.fingerprint(audio)
            made.save(cached)
            return made
        except (MediaError, OSError, ValueError) as exc:  # an unreadable sibling is no evidence
            log.info("%s: not compared: %s", path.name, exc)
            return None
        except Exception as exc:  # noqa: BLE001 - decoder errors of every kind: skip that file
            log.info("%s: not compared: %s", path.name, exc)
            return None


def _gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)


def _text_bands(gray: np.ndarray) -> int:
    """Horizontal bands of rows that look like lines of text: bright strokes on
    dark, many changes along the row; a band is at most a tenth of the height."""
    bright = gray > 110
    changes = np.count_nonzero(bright[:, 1:] != bright[:, :-1], axis=1)
    rows = changes >= 6
    height = gray.shape[0]
    count, run = 0, 0
    for on in [*rows.tolist(), False]:
        if on:
            run += 1
        else:
            if 1 <= run <= max(2, height // 10):
                count += 1
            run = 0
    return count


def _colour_bars(rgb: np.ndarray) -> bool:
    """Vertical bars of uniform, mostly saturated colour across the upper two thirds."""
    top = rgb[: max(1, rgb.shape[0] * 2 // 3)].astype(np.float32)
    if float(top.std(axis=0).mean()) > 12.0:  # columns not uniform from top to bottom
        return False
    columns = top.mean(axis=0)  # (width, 3)
    jumps = np.flatnonzero(np.abs(np.diff(columns, axis=0)).max(axis=1) > 40)
    edges = [0, *[j + 1 for j in jumps], len(columns)]
    widths = np.diff(edges)
    wide = widths[widths >= len(columns) * 0.05]
    if not 5 <= len(wide) <= 9 or wide.sum() < 0.8 * len(columns):
        return False
    hsv = cv2.cvtColor(columns[None].astype(np.uint8), cv2.COLOR_RGB2HSV)[0]
    return float((hsv[:, 1] > 100).mean()) > 0.5


def _ocr_lines_near(ocr: list[Any], t: np.ndarray, window_ms: int) -> np.ndarray:
    """How many OCR lines are on screen within ``window_ms`` of each sample time."""
    counts = np.zeros(len(t), np.int64)
    for a in ocr:
        start, end = getattr(a, "span_start_ms", None), getattr(a, "span_end_ms", None)
        if start is None:
            start, end = a["span_start_ms"], a["span_end_ms"]
        counts[(t >= start - window_ms) & (t <= end + window_ms)] += 1
    return counts
