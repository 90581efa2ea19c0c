"""Which raw detections of a shot become object labels (object.detection v2).

SSD-MobileNet-v2 sees many things that are not there: a patch of litter on a
lawn is a "sports ball", a kerb is "skis", coins are a "clock". Its raw
detections of one shot (every sample between two cuts) are decided here,
together, in four steps:

1. **Tracks.** Detections of one label in successive samples whose boxes
   overlap (IoU >= ``LINK_IOU``) or, of a like size, lie at most one box
   length apart (at most ``MAX_GAP`` samples apart) are one object: one
   appearance on the timeline, whose payload keeps every raw detection it
   was made of.
2. **Per-class thresholds.** A track's best score must reach its class's
   threshold (``THRESHOLDS``, calibrated on the calibration half of the
   hand-labelled set in tests/data/objects-eval by :func:`calibrate`; classes
   the set says nothing about keep the configured default).
3. **Persistence.** In a shot of two or more samples, an object must be seen
   in at least two of them unless its score is high (``HIGH``). A shot of
   one sample (a photo, a very short shot) has no second look to ask for.
4. **Context from the same shot.** Indoor-only classes (toilet, bed, oven…) in
   a shot with outdoor evidence (a car, a bus, a boat, a cow…) need ``INDOOR_BAR``;
   sports objects with no person in the shot at the same time need
   ``SPORTS_BAR`` and two samples; a hand-sized object (ball, phone, cup…)
   whose box is larger than every person in its frame is not that object.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

BBox = dict[str, float]

LINK_IOU = 0.2
MAX_GAP = 2  # samples: a track survives one missed sample
HIGH = 0.8  # seen once in a longer shot: kept only from this score
INDOOR_BAR = 0.9
SPORTS_BAR = 0.8
FLOOR = 0.3  # raw detections kept (and linked into tracks) from this score
CALIBRATION_GRID = tuple(round(0.3 + 0.05 * i, 2) for i in range(14))  # 0.3 .. 0.95
FALSE_LABEL_COST = 3  # calibration: one false label costs as much as three missed ones

INDOOR_ONLY = frozenset({"toilet", "bed", "oven", "refrigerator", "microwave", "sink",
                         "toaster", "hair drier", "couch"})
OUTDOOR_CUES = frozenset({"car", "bus", "truck", "train", "airplane", "boat", "traffic light",
                          "fire hydrant", "stop sign", "parking meter", "horse", "sheep", "cow",
                          "elephant", "bear", "zebra", "giraffe"})
SPORTS = frozenset({"sports ball", "skis", "snowboard", "frisbee", "kite", "baseball bat",
                    "baseball glove", "skateboard", "surfboard", "tennis racket"})
HAND_SIZED = frozenset({"sports ball", "cell phone", "remote", "mouse", "cup", "wine glass",
                        "fork", "knife", "spoon", "scissors", "toothbrush", "apple", "orange",
                        "donut", "tie", "baseball glove", "hair drier"})

# Per-class thresholds: :func:`calibrate` on the calibration half of
# tests/data/objects-eval (tests/unit/ml/test_objects_eval.py checks this table
# is what it gives). Classes not named here use the configured min_confidence.
THRESHOLDS: dict[str, float] = {"car": 0.3, "person": 0.3, "sheep": 0.6, "skis": 0.7, "tie": 0.95}


def iou(a: BBox, b: BBox) -> float:
    x1, y1 = max(a["x"], b["x"]), max(a["y"], b["y"])
    x2, y2 = min(a["x"] + a["w"], b["x"] + b["w"]), min(a["y"] + a["h"], b["y"] + b["h"])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = a["w"] * a["h"] + b["w"] * b["h"] - inter
    return inter / union if union > 0 else 0.0


@dataclass
class Sample:
    """One sampled frame: its time, index and raw detections (label, score, box)."""

    time_ms: int
    frame_number: int
    detections: list[tuple[str, float, BBox]]


@dataclass
class Track:
    label: str
    id: int
    hits: list[tuple[int, BBox, float]] = field(default_factory=list)  # (sample, box, score)
    # raw detections (sample, time_ms, frame_number, score, box)
    raw: list[tuple[int, int, int, float, BBox]] = field(default_factory=list)
    implausible: bool = False  # a hand-sized object larger than every person in its frame
    reason: str = ""  # why it was dropped (see :func:`decide`)

    @property
    def best(self) -> float:
        return max(score for _, _, score in self.hits)

    @property
    def first(self) -> int:
        return self.hits[0][0]

    @property
    def last(self) -> int:
        return self.hits[-1][0]


def closeness(a: BBox, b: BBox) -> float:
    """How well box ``b`` continues box ``a`` in the next sample: their IoU
    if they overlap enough, else (a walking person, a moving car) 0.1 when ``b``
    is of a like size and its centre at most one box length away, else 0."""
    overlap = iou(a, b)
    if overlap >= LINK_IOU:
        return overlap
    area_a, area_b = a["w"] * a["h"], b["w"] * b["h"]
    if area_a <= 0 or area_b <= 0 or not 0.5 <= area_a / area_b <= 2:
        return 0.0
    dx = (a["x"] + a["w"] / 2) - (b["x"] + b["w"] / 2)
    dy = (a["y"] + a["h"] / 2) - (b["y"] + b["h"] / 2)
    reach = max(a["w"], a["h"], b["w"], b["h"])
    return 0.1 if dx * dx + dy * dy <= reach * reach else 0.0


def _plausible(label: str, box: BBox, people: Sequence[BBox]) -> bool:
    """A hand-sized object is never larger than every person in its frame."""
    if label not in HAND_SIZED or not people:
        return True
    return box["w"] * box["h"] <= max(p["w"] * p["h"] for p in people)


def track(samples: Sequence[Sample], first_id: int = 0, floor: float = FLOOR) -> list[Track]:
    """The tracks of one shot (greedy, best overlap first, per label), from
    the detections scoring ``floor`` or more."""
    tracks: list[Track] = []
    open_tracks: dict[str, list[Track]] = {}
    next_id = first_id
    for i, sample in enumerate(samples):
        people = [b for label, score, b in sample.detections if label == "person" and score >= floor]
        found = sorted(((label, score, box) for label, score, box in sample.detections
                        if score >= floor), key=lambda d: -d[1])
        taken: set[int] = set()
        for label, score, box in found:
            implausible = not _plausible(label, box, people)
            key = f"{label}\0{implausible}"
            candidates = [t for t in open_tracks.get(key, [])
                          if t.id not in taken and i - t.last <= MAX_GAP]
            match = max(candidates, key=lambda t: closeness(t.hits[-1][1], box), default=None)
            if match is None or closeness(match.hits[-1][1], box) == 0:
                match = Track(label, next_id, implausible=implausible)
                next_id += 1
                tracks.append(match)
                open_tracks.setdefault(key, []).append(match)
            taken.add(match.id)
            match.hits.append((i, box, score))
            match.raw.append((i, sample.time_ms, sample.frame_number, score, box))
    return tracks


def threshold(label: str, default: float, table: dict[str, float] | None = None) -> float:
    return (THRESHOLDS if table is None else table).get(label, default)


def decide(samples: Sequence[Sample], default: float, table: dict[str, float] | None = None,
           first_id: int = 0, floor: float = FLOOR) -> tuple[list[Track], list[Track]]:
    """The shot's tracks, split into (kept, dropped). ``default``: the
    threshold of classes the table does not name."""
    tracks = track(samples, first_id, min(floor, default))
    longer = len(samples) >= 2

    for t in tracks:
        bar = threshold(t.label, default, table)
        if t.implausible:
            t.reason = "larger than the people beside it"
        elif t.best < bar:
            t.reason = "under its class threshold"
        elif longer and len(t.hits) < 2 and t.best < max(HIGH, bar):
            t.reason = "seen once"
    passed = [t for t in tracks if not t.reason]
    outdoor = any(t.label in OUTDOOR_CUES for t in passed)
    people = [t for t in passed if t.label == "person"]
    for t in passed:
        alone = not any(p.first <= t.last and t.first <= p.last for p in people)
        if t.label in INDOOR_ONLY and outdoor and t.best < INDOOR_BAR:
            t.reason = "indoor-only, in an outdoor shot"
        elif t.label in SPORTS and alone and (t.best < SPORTS_BAR or (longer and len(t.hits) < 2)):
            t.reason = "sports object, no person"
    return [t for t in tracks if not t.reason], [t for t in tracks if t.reason]


def labels_at(samples: Sequence[Sample], at: int, default: float,
              table: dict[str, float] | None = None) -> set[str]:
    """The labels the decision shows at sample ``at`` (evaluation helper):
    a kept track covers the samples from its first to its last detection."""
    kept, _ = decide(samples, default, table)
    return {t.label for t in kept if t.first <= at <= t.last}


def calibrate(frames: Iterable[tuple[dict[str, float], set[str], set[str]]],
              default: float) -> dict[str, float]:
    """Per-class thresholds from hand-labelled frames: each frame's best raw
    score per label, its true labels and its ignored ("maybe") labels. For
    each class, the grid threshold that keeps most true labels at a cost of
    ``FALSE_LABEL_COST`` per false one (the lowest such); a class with fewer
    than three true examples never goes below ``default``. Only classes whose
    threshold differs from ``default`` are returned."""
    seen: dict[str, list[tuple[float, bool]]] = {}
    for scores, true, maybe in frames:
        for label, score in scores.items():
            if label not in maybe:
                seen.setdefault(label, []).append((score, label in true))
    table = {}
    for label, examples in sorted(seen.items()):
        positives = sum(1 for _, ok in examples if ok)
        grid = [t for t in CALIBRATION_GRID if positives >= 3 or t >= default]

        def utility(t: float, examples: list[tuple[float, bool]] = examples) -> float:
            return sum(1 if ok else -FALSE_LABEL_COST for score, ok in examples if score >= t)

        best = max(grid, key=lambda t: (utility(t), -t))
        if best != default:
            table[label] = best
    return table


def payload(t: Track, frame_number: int) -> dict[str, Any]:
    """A kept track's artifact payload: its best detection and every raw one."""
    _, box, score = max(t.hits, key=lambda h: h[2])
    return {"label": t.label, "confidence": round(score, 4), "bbox": box,
            "frame_number": frame_number, "track_id": t.id, "samples": len(t.hits),
            "frames": [{"time_ms": time_ms, "frame_number": n, "confidence": round(s, 4),
                        "bbox": b} for _, time_ms, n, s, b in t.raw]}
