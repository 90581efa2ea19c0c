"""speaker.turn: who speaks when (diarization), on the decoded audio.

1. Speech regions: Silero VAD (shipped inside faster-whisper) on 16 kHz mono
   audio of the main audio track (chosen as the transcript chooses it).
2. One ECAPA-TDNN embedding (eioku_ml.models.ecapa) per window of
   ``window_s`` seconds centred on a fixed grid every ``hop_s`` seconds of the
   file, for each grid point inside speech (a region too short to hold one
   gets one window at its middle). The grid is the file's, not the chunk's,
   so a chunk embeds exactly the windows a whole pass would.
3. Clustering with the number of speakers unknown: average-linkage
   agglomerative clustering of the windows on cosine distance, cut at
   ``threshold`` (calibrated on the evaluation's calibration conversations;
   docs/models.md); ``speakers`` (a hint, when the user knows how many) cuts
   the tree at that many clusters instead. Each window is then given to the
   nearest cluster centroid (two passes), and a window whose label differs
   from both neighbours that agree is smoothed to theirs.
4. Overlap: a window about as close to a second speaker's centroid as to its
   own (both above ``overlap_similarity``, within ``overlap_margin``) is
   overlapping speech: the span is given to both speakers, each turn marked
   ``overlap``, rather than forced onto one.
5. Turns: speech time belongs to the nearest window centre of its region;
   consecutive time of one speaker is one turn. When a transcript run exists,
   a change of speaker inside speech moves to the nearest gap between two
   words (within ``snap_ms``), so no word is cut in two.

Chunked analysis: each chunk keeps its speech regions and window embeddings
(``analyze_chunk``); :meth:`merge` clusters them all at once, so the speakers
of a chunked video are those of one pass over it.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from eioku.config import get_settings

from eioku_ml.analyzers.base import Item, MediaInput, Progress
from eioku_ml.analyzers.transcript import ListeningAnalyzer

RATE = 16_000
DEFAULTS: dict[str, Any] = {
    "window_s": 1.5, "hop_s": 0.75, "threshold": 0.55, "speakers": None,
    "overlap_similarity": 0.35, "overlap_margin": 0.08, "snap_ms": 600, "snap_widest": False,
    "min_silence_ms": 300, "speech_pad_ms": 60, "vad_threshold": 0.5, "max_windows": 3000,
    "min_windows": 3, "centre": False, "merge_similarity": 0.55, "int8": True,
}


@dataclass
class Turn:
    start_ms: int
    end_ms: int
    speaker: str
    confidence: float
    overlap: bool = False
    windows: list[int] = field(default_factory=list)
    embedding: list[float] | None = None  # the turn's voice: unit mean of its windows

    def item(self) -> Item:
        payload: dict[str, Any] = {"speaker": self.speaker, "confidence": round(self.confidence, 4),
                                   "overlap": self.overlap}
        if self.embedding is not None:
            payload["embedding"] = self.embedding
        return Item(self.start_ms, self.end_ms, payload)


class SpeakersAnalyzer(ListeningAnalyzer):
    name = "speakers"
    chunkable = True

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.context: dict[str, Any] = {}

    def setting(self, key: str) -> Any:
        value = self.config.get(key)
        return DEFAULTS[key] if value is None else value

    def load(self) -> None:
        from eioku_ml.models import ecapa

        self.model = ecapa.shared(int8=bool(self.setting("int8")),
                                  cache_dir=get_settings().data_dir / "models" / "ecapa")

    def _analyze(self, media: MediaInput, progress: Progress, context: dict[str, Any]) -> list[Item]:
        self.context = context
        return self.merge([self.analyze_chunk(media, None, 0.0, progress)])

    def use_context(self, context: dict[str, Any]) -> None:
        """The completed artifacts of what this run uses (the transcript), before
        :meth:`merge` of a chunked run."""
        self.context = context

    def analyze_chunk(self, media: MediaInput, window: tuple[int, int] | None, overlap_s: float,
                      progress: Progress) -> dict[str, Any]:
        """Speech regions and window embeddings whose centre is in ``window``
        ([start, end) ms; None: the whole file), heard with ``overlap_s`` of
        audio either side."""
        self.ensure_loaded()
        if not media.probe.has_audio:
            progress(1.0)
            return {"regions": [], "windows": []}
        start_ms, end_ms = window or (0, None)
        half = self.setting("window_s") / 2
        audio, offset_s = self.decode(media, RATE, start_ms, end_ms, max(overlap_s, half))
        progress(0.1)
        found = self.observe(audio, offset_s, start_ms, end_ms)
        progress(1.0)
        return found

    def observe(self, audio: np.ndarray, offset_s: float, start_ms: int = 0,
                end_ms: int | None = None) -> dict[str, Any]:
        """Regions and embeddings of 16 kHz ``audio`` whose first sample is at
        ``offset_s`` in the file, kept for [start_ms, end_ms)."""
        regions = [(s, e) for s, e in speech_regions(audio, offset_s, self.config)
                   if e > start_ms and (end_ms is None or s < end_ms)]
        regions = [(max(s, start_ms), e if end_ms is None else min(e, end_ms)) for s, e in regions]
        centres = window_centres(regions, int(self.setting("hop_s") * 1000))
        width = int(self.setting("window_s") * RATE)
        clips = np.zeros((len(centres), width), np.float32)
        for i, centre in enumerate(centres):
            first = int(round((centre / 1000 - offset_s) * RATE)) - width // 2
            piece = audio[max(0, first):max(0, first + width)]
            clips[i, max(0, -first):max(0, -first) + len(piece)] = piece
        vectors = self.model.embed(clips) if len(clips) else np.zeros((0, 192), np.float32)
        return {"regions": [list(r) for r in regions],
                "windows": [[c, [round(float(v), 5) for v in vec]]
                            for c, vec in zip(centres, vectors, strict=True)]}

    def merge(self, partials: list[dict[str, Any]]) -> list[Item]:
        regions: list[list[int]] = []
        for part in partials:
            for s, e in part["regions"]:
                if regions and s <= regions[-1][1]:  # one region across a chunk border
                    regions[-1][1] = max(regions[-1][1], e)
                else:
                    regions.append([s, e])
        windows = [w for part in partials for w in part["windows"]]
        centres = [int(c) for c, _ in windows]
        vectors = np.array([v for _, v in windows], np.float32).reshape(len(windows), -1) if windows \
            else np.zeros((0, 192), np.float32)
        turns = diarize([(s, e) for s, e in regions], centres, vectors, self.config,
                        words=transcript_words(self.context.get("transcript", [])))
        return [t.item() for t in turns]


def speech_regions(audio: np.ndarray, offset_s: float, config: dict[str, Any]) -> list[tuple[int, int]]:
    """Speech as [start, end) ms of the file (Silero VAD)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    def get(key: str) -> Any:
        return DEFAULTS[key] if config.get(key) is None else config[key]

    if not len(audio):
        return []
    options = VadOptions(threshold=get("vad_threshold"), min_silence_duration_ms=get("min_silence_ms"),
                         speech_pad_ms=get("speech_pad_ms"), min_speech_duration_ms=200)
    def ms(sample: int) -> int:
        return int(round((offset_s + sample / RATE) * 1000))

    return [(ms(r["start"]), min(ms(r["end"]), ms(len(audio))))  # padding never past the audio
            for r in get_speech_timestamps(audio, options)]


def window_centres(regions: list[tuple[int, int]], hop_ms: int) -> list[int]:
    """Grid points (multiples of ``hop_ms``) inside each region; a region
    holding none gets its middle."""
    centres: list[int] = []
    for s, e in regions:
        inside = list(range(-(-s // hop_ms) * hop_ms, e, hop_ms))
        centres += inside or [(s + e) // 2]
    return centres


def transcript_words(segments: list[Any]) -> list[tuple[int, int]]:
    """(start, end) ms of every word the transcript run timed, in order."""
    words: list[tuple[int, int]] = []
    for seg in segments:
        payload = seg.payload if hasattr(seg, "payload") else seg["payload"]
        for w in payload.get("words") or []:
            words.append((int(w["start_ms"]), int(w["end_ms"])))
    return sorted(words)


def cluster(vectors: np.ndarray, threshold: float, speakers: int | None,
            max_windows: int = 3000, min_windows: int = 1, merge_similarity: float = 1.0) -> np.ndarray:
    """Cluster labels 0..k-1 of unit-normalised ``vectors``."""
    from scipy.cluster.hierarchy import fcluster, linkage

    n = len(vectors)
    if n == 0:
        return np.zeros(0, int)
    if n == 1 or speakers == 1:
        return np.zeros(n, int)
    # a very long recording: the tree is built on an even sample, the rest joins its nearest centroid
    sample = np.linspace(0, n - 1, min(n, max_windows)).round().astype(int)
    tree = linkage(vectors[sample], method="average", metric="cosine")

    def cut(t: float, criterion: str) -> tuple[np.ndarray, np.ndarray, list[int]]:
        labels = fcluster(tree, t=t, criterion=criterion)
        sizes = np.bincount(labels, minlength=int(labels.max()) + 1)[1:]
        # a cluster of fewer windows than min_windows is no speaker of its own
        # (a breath, a laugh, two voices at once): its windows join their nearest speaker
        big = [c for c in range(len(sizes)) if sizes[c] >= min_windows] or [int(np.argmax(sizes))]
        return labels, sizes, big

    if speakers:  # cut into as many clusters as it takes to hold that many speakers
        want = min(int(speakers), len(sample))
        for m in range(want, min(len(sample), want + 40) + 1):
            labels, sizes, big = cut(m, "maxclust")
            if len(big) >= want:
                break
    else:
        labels, sizes, big = cut(threshold, "distance")
    centroids = np.stack([vectors[sample][labels == c + 1].mean(0) for c in big])
    weights = [int(sizes[c]) for c in big]
    # the two clusters whose mean voices are most alike are one speaker: merged while
    # more alike than merge_similarity, or (told how many) while there are too many
    while len(centroids) > 1:
        sim = _unit(centroids) @ _unit(centroids).T
        np.fill_diagonal(sim, -1)
        a, b = np.unravel_index(np.argmax(sim), sim.shape)
        if (len(centroids) <= want) if speakers else (sim[a, b] < merge_similarity):
            break
        centroids[a] = (centroids[a] * weights[a] + centroids[b] * weights[b]) / (weights[a] + weights[b])
        weights[a] += weights[b]
        centroids, weights = np.delete(centroids, b, 0), weights[:b] + weights[b + 1:]
    full = np.zeros(n, int)
    for _ in range(2):  # each window to its nearest centroid, then centroids of those
        full = np.argmax(vectors @ _unit(centroids).T, axis=1)
        keep = [c for c in range(len(centroids)) if (full == c).any()]
        centroids = np.stack([vectors[full == c].mean(0) for c in keep])
    return np.argmax(vectors @ _unit(centroids).T, axis=1)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)


def diarize(regions: list[tuple[int, int]], centres: list[int], vectors: np.ndarray,
            config: dict[str, Any], words: list[tuple[int, int]] | None = None) -> list[Turn]:
    """Turns from speech regions and window embeddings (see the module doc)."""
    def get(key: str) -> Any:
        return DEFAULTS[key] if config.get(key) is None else config[key]

    if not centres:
        return []
    order = np.argsort(centres, kind="stable")
    centres = [centres[i] for i in order]
    unit = _unit(vectors[order].astype(np.float64))
    if get("centre"):
        unit = _unit(unit - unit.mean(0))
    labels = cluster(unit, float(get("threshold")), get("speakers"), int(get("max_windows")),
                     int(get("min_windows")), float(get("merge_similarity")))
    labels = _smooth(labels, centres, regions)
    k = int(labels.max()) + 1
    centroids = _unit(np.stack([unit[labels == c].mean(0) for c in range(k)]))
    sims = unit @ centroids.T
    own = sims[np.arange(len(labels)), labels]
    second = np.full(len(labels), -1)
    if k > 1:
        masked = sims.copy()
        masked[np.arange(len(labels)), labels] = -np.inf
        second = np.argmax(masked, axis=1)
        near = masked[np.arange(len(labels)), second]
        floor = get("overlap_similarity")
        is_overlap = (near >= floor) & (own >= floor) & (own - near <= get("overlap_margin"))
        second = np.where(is_overlap, second, -1)
    # speaker names by first appearance: "Speaker 1", "Speaker 2", ...
    first_seen: dict[int, int] = {}
    for label in labels:
        first_seen.setdefault(int(label), len(first_seen))
    name = {c: f"Speaker {first_seen.get(c, c) + 1}" for c in range(k)}
    pieces: list[tuple[int, int, int, int]] = []  # (start, end, label, window) per owned span
    region_starts = [s for s, _ in regions]
    for i, centre in enumerate(centres):
        r = max(0, bisect.bisect_right(region_starts, centre) - 1)
        s, e = regions[r] if regions else (centre, centre)
        if not s <= centre < e:  # a window of a region that is not among these (defensive)
            s, e = centre - 1, centre + 1
        lo = max(s, (centres[i - 1] + centre) // 2) if i and s <= centres[i - 1] < e else s
        hi = min(e, (centre + centres[i + 1]) // 2) if i + 1 < len(centres) and s <= centres[i + 1] < e else e
        pieces.append((lo, hi, int(labels[i]), i))
    turns = _join(pieces, name, own)
    for t in turns:  # what matches this speaker across videos (backend: store/voices.py)
        t.embedding = [round(float(x), 4) for x in _unit(unit[t.windows].mean(0))]
    if words:
        _snap(turns, words, int(get("snap_ms")), bool(get("snap_widest")))
    overlaps = _join([(lo, hi, int(second[i]), i) for lo, hi, _, i in pieces if second[i] >= 0], name,
                     sims[np.arange(len(labels)), np.maximum(second, 0)])
    for t in overlaps:
        t.overlap = True
    for t in turns:
        t.overlap = any(o.start_ms < t.end_ms and t.start_ms < o.end_ms and o.speaker != t.speaker
                        for o in overlaps)
    return sorted([t for t in turns + overlaps if t.end_ms > t.start_ms],
                  key=lambda t: (t.start_ms, t.speaker))


def _smooth(labels: np.ndarray, centres: list[int], regions: list[tuple[int, int]]) -> np.ndarray:
    """A single window whose neighbours (in the same stretch of speech) agree
    with each other takes their label: one window is too short a turn."""
    out = labels.copy()
    for i in range(1, len(labels) - 1):
        if labels[i - 1] == labels[i + 1] != labels[i] and centres[i + 1] - centres[i - 1] <= 2000:
            out[i] = labels[i - 1]
    # labels renumbered 0..k-1 (a cluster may have lost its only window)
    _, out = np.unique(out, return_inverse=True)
    return out


def _join(pieces: list[tuple[int, int, int, int]], name: dict[int, str], score: np.ndarray) -> list[Turn]:
    """Consecutive pieces of one speaker (no gap) as one turn."""
    turns: list[Turn] = []
    for lo, hi, label, i in sorted(pieces):
        last = turns[-1] if turns else None
        if last and last.speaker == name[label] and lo <= last.end_ms:
            last.end_ms = max(last.end_ms, hi)
            last.windows.append(i)
        else:
            turns.append(Turn(lo, hi, name[label], 0.0, windows=[i]))
    for t in turns:
        t.confidence = float(np.clip(np.mean([score[i] for i in t.windows]), 0.0, 1.0))
    return turns


def _snap(turns: list[Turn], words: list[tuple[int, int]], snap_ms: int, widest: bool = False) -> None:
    """Move each change of speaker (one turn ends where the next begins) to a
    gap between words within ``snap_ms``: the nearest one, or with ``widest``
    the widest pause there (speakers take turns at pauses: the change is not
    put after the next speaker's first word where words touch), the nearest
    of equally wide ones."""
    gaps = [((words[i][1] + words[i + 1][0]) // 2, words[i + 1][0] - words[i][1])
            for i in range(len(words) - 1) if words[i + 1][0] >= words[i][1]]
    if not gaps:
        return
    middles = [g for g, _ in gaps]
    for a, b in zip(turns, turns[1:], strict=False):
        if a.end_ms != b.start_ms:
            continue
        lo = bisect.bisect_left(middles, a.end_ms - snap_ms)
        hi = bisect.bisect_right(middles, a.end_ms + snap_ms)
        if widest:
            near = gaps[lo:hi]
        else:
            j = bisect.bisect_left(middles, a.end_ms)
            near = [g for g in gaps[max(0, j - 1):j + 1] if abs(g[0] - a.end_ms) <= snap_ms]
        if near:
            point = max(near, key=lambda g: (g[1] if widest else 0, -abs(g[0] - a.end_ms)))[0]
            if a.start_ms < point < b.end_ms:
                a.end_ms = b.start_ms = point
