"""An intro shared by the videos of a folder: the same audio passage near the
start of several episodes, found by audio fingerprints.

Fingerprint (after Haitsma & Kalker's robust hash, the idea Chromaprint and
Jellyfin's intro skipper build on): the audio at 8 kHz, a 256 ms Hann frame
every 32 ms, the energy of 33 bands spaced evenly in log frequency between
300 and 2000 Hz, and one 32-bit word per frame whose bit m says whether the
energy difference of bands m and m+1 grew since the previous frame. Frames
quieter than ``QUIET_DB`` carry no bits worth comparing (silence in two videos
is alike) and are masked.

Matching two videos (:func:`shared_passage`): words equal in both vote for the
offset between them; at each of the best offsets the bit error rate of
aligned frames is smoothed over a second and the longest stretch below
``MAX_BER`` (random audio: 0.5) of at least ``min_s`` is the shared passage,
in both videos' times.

A folder's videos (:func:`find_intro`): this video against each of its
siblings (the nearest ``max_siblings`` by name); the intro is the passage
most siblings share, its ends the median of theirs. Siblings' fingerprints
are kept in the cache folder, keyed by path, size and modification time.
"""

from __future__ import annotations

import hashlib
import statistics
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 8000
FRAME = 2048  # 256 ms
HOP = 256  # 32 ms
HOP_S = HOP / RATE
BANDS = np.geomspace(300.0, 2000.0, 34)
QUIET_DB = -55.0
MAX_BER = 0.35
VIDEO_SUFFIXES = {".mp4", ".mkv", ".webm", ".mov", ".m4v", ".avi", ".ts", ".mpg", ".mpeg", ".wmv",
                  ".ogv", ".flv", ".3gp"}
VERSION = 1  # of the fingerprint: part of the cache key
_WINDOW = np.hanning(FRAME).astype(np.float32)
_BAND_MATRIX = (np.digitize(np.fft.rfftfreq(FRAME, 1 / RATE), BANDS)[:, None] - 1
                == np.arange(33)[None, :]).astype(np.float32)  # (bins, 33): which band a bin is in


@dataclass(frozen=True)
class Print:
    words: np.ndarray  # uint32 per frame
    loud: np.ndarray  # bool per frame: loud enough to compare

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{id(self)}.tmp.npz")
        np.savez(tmp, words=self.words, loud=self.loud)
        tmp.replace(path)

    @staticmethod
    def load(path: Path) -> Print:
        with np.load(path) as data:
            return Print(data["words"], data["loud"])


def fingerprint(audio_16k: np.ndarray) -> Print:
    """The fingerprint of 16 kHz mono float32 audio."""
    import scipy.fft
    from scipy.signal import resample_poly

    x = resample_poly(audio_16k.astype(np.float32), 1, 2).astype(np.float32)
    n = 1 + (len(x) - FRAME) // HOP if len(x) >= FRAME else 0
    if n < 2:
        return Print(np.zeros(0, np.uint32), np.zeros(0, bool))
    frames = np.lib.stride_tricks.sliding_window_view(x, FRAME)[::HOP][:n]
    energy = np.empty((n, 33), np.float32)
    level = np.empty(n, np.float32)
    for s in range(0, n, 2048):  # bounded memory on long passages
        block = frames[s:s + 2048]
        spectrum = np.abs(scipy.fft.rfft(block * _WINDOW, axis=1)) ** 2  # float32 throughout
        energy[s:s + 2048] = spectrum @ _BAND_MATRIX
        level[s:s + 2048] = (block.astype(np.float32) ** 2).mean(axis=1)
    d = energy[:, :-1] - energy[:, 1:]  # (n, 32)
    bits = (d[1:] - d[:-1]) > 0  # (n-1, 32)
    words = np.packbits(bits, axis=1, bitorder="little").view("<u4").reshape(-1).astype(np.uint32)
    loud = 10 * np.log10(np.maximum(level[1:], 1e-12)) > QUIET_DB
    return Print(words, loud)


def _popcount(v: np.ndarray) -> np.ndarray:
    return np.unpackbits(v.view(np.uint8).reshape(-1, 4), axis=1).sum(axis=1)


@dataclass(frozen=True)
class Passage:
    start_s: float  # in this video
    end_s: float
    other_start_s: float  # in the other
    ber: float


def shared_passage(a: Print, b: Print, min_s: float, offsets: int = 3) -> Passage | None:
    """The longest passage of ``a`` heard in ``b`` (at one offset), at least ``min_s`` long."""
    if len(a.words) < 2 or len(b.words) < 2:
        return None
    usable_b = b.loud & (b.words != 0) & (b.words != 0xFFFFFFFF)
    order = np.argsort(b.words[usable_b], kind="stable")
    b_pos = np.flatnonzero(usable_b)[order]
    b_sorted = b.words[b_pos]
    ia = np.flatnonzero(a.loud & (a.words != 0) & (a.words != 0xFFFFFFFF))
    lo = np.searchsorted(b_sorted, a.words[ia], "left")
    hi = np.searchsorted(b_sorted, a.words[ia], "right")
    votes: dict[int, int] = {}
    for i, start, end in zip(ia.tolist(), lo.tolist(), hi.tolist(), strict=True):
        for j in b_pos[start:min(end, start + 8)].tolist():  # a common word votes little
            votes[j - i] = votes.get(j - i, 0) + 1
    if not votes:
        return None
    # neighbouring offsets (a frame apart) are one alignment: vote in a window of ±2
    best: Passage | None = None
    tried: list[int] = []
    for offset, _ in sorted(votes.items(), key=lambda kv: -sum(votes.get(kv[0] + k, 0)
                                                            for k in range(-2, 3))):
        if len(tried) >= offsets:
            break
        if any(abs(offset - t) <= 10 for t in tried):
            continue
        tried.append(offset)
        found = _at_offset(a, b, offset, min_s)
        if found is not None and (best is None or found.end_s - found.start_s > best.end_s - best.start_s):
            best = found
    return best


def _at_offset(a: Print, b: Print, offset: int, min_s: float) -> Passage | None:
    first = max(0, -offset)
    last = min(len(a.words), len(b.words) - offset)
    if last - first < min_s / HOP_S:
        return None
    wa, wb = a.words[first:last], b.words[first + offset:last + offset]
    loud = a.loud[first:last] & b.loud[first + offset:last + offset]
    ber = _popcount(wa ^ wb) / 32.0
    ber = np.where(loud, ber, 0.5)
    width = int(round(1.0 / HOP_S))
    smooth = np.convolve(ber, np.ones(width) / width, mode="same")
    good = smooth < MAX_BER
    padded = np.concatenate([[False], good, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    runs = [(int(s), int(e)) for s, e in zip(edges[::2], edges[1::2], strict=True)]
    if not runs:
        return None
    s, e = max(runs, key=lambda r: r[1] - r[0])
    if (e - s) * HOP_S < min_s:
        return None
    # the smoothing window spreads a passage by half a window either side
    half = width // 2
    s, e = s + half // 2, e - half // 2
    return Passage(round((first + s) * HOP_S, 3), round((first + e) * HOP_S + FRAME / RATE / 2, 3),
                   round((first + s + offset) * HOP_S, 3), round(float(ber[s:e].mean()), 4))


def siblings(path: Path, limit: int) -> list[Path]:
    """Other videos of the same folder, the ``limit`` nearest by name order."""
    try:
        names = sorted(p for p in path.parent.iterdir()
                       if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file() and p.name != path.name)
    except OSError:
        return []
    everyone = sorted([*names, path])
    me = everyone.index(path)
    return sorted(names, key=lambda p: (abs(everyone.index(p) - me), p.name))[:limit]


def cache_key(path: Path, seconds: float) -> str:
    st = path.stat()
    raw = f"{VERSION}|{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{seconds:.1f}"
    return hashlib.sha1(raw.encode()).hexdigest()


@dataclass(frozen=True)
class Intro:
    start_s: float
    end_s: float
    shared_with: int
    ber: float


def find_intro(mine: Print, others: list[Print], min_s: float, start_within_s: float,
               tolerance_s: float = 3.0) -> Intro | None:
    """The passage near the start of this video that most others share."""
    found = [p for p in (shared_passage(mine, o, min_s) for o in others)
             if p is not None and p.start_s <= start_within_s]
    if not found:
        return None
    # the largest group of passages that agree on where it starts
    groups = [[q for q in found if abs(q.start_s - p.start_s) <= tolerance_s] for p in found]
    group = max(groups, key=lambda g: (len(g), -statistics.median(q.ber for q in g)))
    return Intro(round(statistics.median(q.start_s for q in group), 3),
                 round(statistics.median(q.end_s for q in group), 3), len(group),
                 round(statistics.median(q.ber for q in group), 4))
