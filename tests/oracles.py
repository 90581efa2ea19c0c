"""Brute-force oracles the property tests compare the database against."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field


@dataclass
class Appearance:
    key: str
    start: int
    end: int
    confidence: float
    detections: int = 0
    opening_ids: list[uuid.UUID] = field(default_factory=list)


def merge_appearances(
    detections: list[tuple[str, int, int, float, uuid.UUID]], gap_ms: int, cuts: list[int] = ()
) -> list[Appearance]:
    """Detections (key, start, end, confidence, id) merged per key: one starting
    more than ``gap_ms`` after the end of everything before it opens a new
    appearance, and so does the first one in a new shot (``cuts``: scene starts
    after 0); an appearance ends at the next cut at the latest. Written the
    obvious way, independent of the SQL."""
    cut_list = sorted(c for c in cuts if c > 0)

    def shot(t: int) -> int:
        return sum(1 for c in cut_list if c <= t)

    def next_cut(t: int) -> int | None:
        return next((c for c in cut_list if c > t), None)

    by_key: dict[str, list[tuple[int, int, float, uuid.UUID]]] = defaultdict(list)
    for key, start, end, confidence, artifact_id in detections:
        by_key[key].append((start, end, confidence, artifact_id))
    merged: list[Appearance] = []
    for key, dets in by_key.items():
        current: Appearance | None = None
        current_shot = -1
        for start, end, confidence, artifact_id in sorted(dets, key=lambda d: (d[0], d[1])):
            limit = next_cut(start)
            end = end if limit is None else min(end, limit)
            if current is None or start - current.end > gap_ms or shot(start) != current_shot:
                current = Appearance(key, start, end, confidence)
                current_shot = shot(start)
                merged.append(current)
            current.end = max(current.end, end)
            current.confidence = max(current.confidence, confidence)
            current.detections += 1
            if start == current.start:
                current.opening_ids.append(artifact_id)
    return sorted(merged, key=lambda a: (a.start, a.key))
