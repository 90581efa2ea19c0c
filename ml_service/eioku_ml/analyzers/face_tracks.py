"""Face tracks within a shot, so dlib's embedding (≈ 75–100 ms a face, most
of the faces analyzer's cost) runs once per track rather than once per
sampled face.

A face found in one sample continues a face of the previous sample when
their boxes overlap (IoU ≥ ``min_iou`` with the face's box there, or with
that box moved on as much as it moved since the sample before: a pan, a
walk; best pair first, one to one) and no shot cut lies between the two
samples. A track keeps the embedding of the
face it was embedded from, and every face of the track carries it; the
track is embedded again when

* its face has grown or shrunk a lot since (area × ``resize`` or ÷ it): a
  zoom, or someone walking towards the camera, shows the face anew;
* its face turned clearly more frontal (the nose between the eyes; a
  profile embeds worse than a frontal view of the same person);
* a new period of ``period_ms`` starts (on the video's clock: 0, 10 s,
  20 s, ...), so a long shot is embedded every ``period_ms`` and a wrong
  continuation cannot last.

A face that continues nothing (new on screen, after a cut, after a sample
without it, or moved too far in one interval) starts a track and is
embedded. Each chunk of a long video starts with no track (one more
embedding per face at a chunk's start than a whole pass makes).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

Box = tuple[float, float, float, float]  # x, y, w, h


def iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def frontality(landmarks: np.ndarray) -> float:
    """1 for a frontal face (the nose tip halfway between the eyes, sideways),
    towards 0 as the head turns to a profile."""
    right_eye, left_eye, nose = landmarks[0], landmarks[1], landmarks[2]
    a, b = abs(float(nose[0] - right_eye[0])), abs(float(left_eye[0] - nose[0]))
    return min(a, b) / max(a, b) if max(a, b) > 0 else 0.0


@dataclass
class _Track:
    box: Box  # where it was last seen
    seen_ms: int  # when
    velocity: tuple[float, float]  # its centre's shift per ms between its last two sightings
    embedding: list[float]
    area: float  # of the face it was embedded from
    frontal: float  # of the face it was embedded from
    period: int  # the period it was embedded in
    number: int  # which track (kept when it is embedded again)


def _centre(box: Box) -> tuple[float, float]:
    return box[0] + box[2] / 2, box[1] + box[3] / 2


def _ahead(track: _Track, time_ms: int) -> Box:
    """Where the track's face is at ``time_ms`` if it goes on moving as it did
    (a pan, a walk)."""
    x, y, w, h = track.box
    dt = time_ms - track.seen_ms
    return x + track.velocity[0] * dt, y + track.velocity[1] * dt, w, h


class FaceTracker:
    """:meth:`step` each sample in time order; it calls ``embed(i)`` only for
    the faces that need an embedding of their own."""

    def __init__(self, min_iou: float = 0.2, period_ms: int = 10_000, resize: float = 2.0,
                 turn: float = 0.3, gap_ms: int = 2_000) -> None:
        self.min_iou, self.period_ms, self.resize, self.turn = min_iou, period_ms, resize, turn
        self.gap_ms = gap_ms
        self.tracks: list[_Track] = []  # seen within gap_ms, in this shot
        self.embedded = 0  # how many faces ``embed`` was called for
        self.why: Counter[str] = Counter()  # and why: new, period, resized, turned
        self.started = 0  # tracks started
        self.numbers: list[int] = []  # after step: the track of each of its faces

    def step(self, time_ms: int, boxes: Sequence[Box], frontal: Sequence[float], cut: bool,
             embed: Callable[[int], list[float]]) -> list[list[float]]:
        """The embedding of each face of this sample (``cut``: a shot cut lies
        between the previous sample and this one)."""
        period = time_ms // self.period_ms if self.period_ms > 0 else 0
        alive = [] if cut else [t for t in self.tracks if time_ms - t.seen_ms <= self.gap_ms]
        pairs = sorted(((max(iou(box, t.box), iou(box, _ahead(t, time_ms))), i, k)
                        for i, box in enumerate(boxes) for k, t in enumerate(alive)),
                       reverse=True)
        continues: dict[int, _Track] = {}
        taken: set[int] = set()
        for overlap, i, k in pairs:
            if overlap < self.min_iou:
                break
            if i not in continues and k not in taken:
                continues[i] = alive[k]
                taken.add(k)
        tracks = [t for k, t in enumerate(alive) if k not in taken]  # unseen here, may come back
        embeddings = []
        for i, box in enumerate(boxes):
            area = box[2] * box[3]
            track = continues.get(i)
            why = ("new" if track is None else "period" if track.period != period
                   else "resized" if not track.area / self.resize <= area <= track.area * self.resize
                   else "turned" if frontal[i] >= track.frontal + self.turn else None)
            velocity = (0.0, 0.0)
            if track is not None:
                dt = max(1, time_ms - track.seen_ms)
                velocity = ((_centre(box)[0] - _centre(track.box)[0]) / dt,
                            (_centre(box)[1] - _centre(track.box)[1]) / dt)
            if track is None:
                self.started += 1
            number = self.started - 1 if track is None else track.number
            if why is not None:
                self.why[why] += 1
                self.embedded += 1
                track = _Track(box, time_ms, velocity, list(embed(i)), area, frontal[i], period,
                               number)
            else:
                assert track is not None
                track = _Track(box, time_ms, velocity, track.embedding, track.area, track.frontal,
                               track.period, number)
            tracks.append(track)
            embeddings.append(track.embedding)
        self.tracks = tracks
        self.numbers = [t.number for t in tracks[len(tracks) - len(boxes):]]
        return embeddings
