"""A face found once in a whole video at a modest score is dropped (seen on
the sample: YuNet gave a motorcycle's headlight 0.77 in one frame, and the
library gained a second "person"); a person seen in several samples, or once
with a sure score, is kept."""

from __future__ import annotations

import dlib
import numpy as np
from eioku_ml.analyzers.faces import SINGLE_MIN_SCORE, FaceAnalyzer


class _Media:
    duration_ms = 60_000


def _analyzer(found: list[tuple[int, float, np.ndarray]]) -> FaceAnalyzer:
    analyzer = FaceAnalyzer({"interval_ms": 1000})
    analyzer.dlib = dlib
    analyzer.media = _Media()
    analyzer.found = [(t, t // 1000, score, {"x": 1.0, "y": 1.0, "w": 20.0, "h": 20.0})
                      for t, score, _ in found]
    analyzer.embeddings = [dlib.vector(list(e)) for _, _, e in found]
    analyzer.tracks = [None] * len(found)
    return analyzer


def _face(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=128)
    return v / np.linalg.norm(v) * 0.6  # far apart from other seeds (Euclidean ~0.85)


def test_a_single_modest_detection_is_dropped_and_recurring_or_sure_ones_kept():
    alice, headlight, bob = _face(1), _face(2), _face(3)
    items = _analyzer([(0, 0.70, alice), (1000, 0.65, alice), (2000, 0.68, alice),
                       (10_000, 0.77, headlight),
                       (20_000, SINGLE_MIN_SCORE + 0.05, bob)]).finish()
    kept = sorted(i.span_start_ms for i in items)
    assert kept == [0, 1000, 2000, 20_000]
    assert len({i.payload["cluster_id"] for i in items}) == 2


def test_the_threshold_is_the_configured_one():
    analyzer = _analyzer([(10_000, 0.77, _face(2))])
    assert analyzer.finish() == []
    analyzer = _analyzer([(10_000, 0.77, _face(2))])
    analyzer.config["single_min_score"] = 0.7
    assert [i.span_start_ms for i in analyzer.finish()] == [10_000]
