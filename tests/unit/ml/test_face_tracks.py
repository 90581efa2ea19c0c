"""Face tracks (eioku_ml.analyzers.face_tracks): a face followed from sample
to sample in one shot is embedded once, and again only when it must be."""

from __future__ import annotations

import numpy as np
from eioku_ml.analyzers.face_tracks import FaceTracker, frontality, iou


class _Embedder:
    """Stands in for dlib: each call returns a new, distinct vector."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, i: int) -> list[float]:
        self.calls += 1
        return [float(self.calls)]


def _run(tracker, samples, cuts=()):
    """samples: [(time_ms, [box, ...], [frontality, ...] or None)] -> embeddings per sample."""
    embed, out, last = _Embedder(), [], None
    for t, boxes, frontal in samples:
        cut = last is None or any(last < c <= t for c in cuts)
        last = t
        out.append(tracker.step(t, boxes, frontal or [0.9] * len(boxes), cut, embed))
    return out, embed.calls


def test_a_face_panning_across_a_shot_is_embedded_once():
    # 45 px face moving 25 px a second diagonally: IoU with the last box 0.27, ahead of it ~1
    samples = [(t * 1000, [(300 - 18 * t, 300 - 18 * t, 45, 54)], None) for t in range(9)]
    out, calls = _run(FaceTracker(), samples)
    assert calls == 1 and all(e == out[0] for e in out)


def test_a_cut_starts_a_new_track_even_where_the_box_stays():
    box = (100, 100, 60, 70)
    out, calls = _run(FaceTracker(), [(0, [box], None), (1000, [box], None), (2000, [box], None)],
                      cuts=(1500,))
    assert calls == 2 and out[0] == out[1] != out[2]


def test_a_long_track_is_embedded_again_each_period():
    box = (100, 100, 60, 70)
    out, calls = _run(FaceTracker(period_ms=10_000), [(t * 1000, [box], None) for t in range(25)])
    assert calls == 3  # at 0, 10 and 20 s
    assert out[9] == out[0] != out[10] and out[19] == out[10] != out[20]


def test_a_face_much_larger_or_turned_frontal_is_embedded_again():
    out, calls = _run(FaceTracker(resize=2.0), [(0, [(100, 100, 40, 40)], None),
                                                (1000, [(95, 95, 50, 50)], None),  # ×1.56 area
                                                (2000, [(80, 80, 60, 60)], None)])  # ×2.25
    assert calls == 2 and out[0] == out[1] != out[2]
    out, calls = _run(FaceTracker(turn=0.3), [(0, [(100, 100, 40, 40)], [0.1]),
                                              (1000, [(100, 100, 40, 40)], [0.3]),
                                              (2000, [(100, 100, 40, 40)], [0.8])])
    assert calls == 2 and out[0] == out[1] != out[2]


def test_two_faces_keep_their_own_tracks_and_a_new_face_its_own():
    a, b = (100, 100, 50, 60), (300, 100, 50, 60)
    out, calls = _run(FaceTracker(), [(0, [a, b], None), (1000, [b, a], None),
                                      (2000, [b, a, (500, 300, 40, 40)], None)])
    assert calls == 3
    assert out[1] == [out[0][1], out[0][0]] and out[2][:2] == out[1] and out[2][2] not in out[0]


def test_a_face_missed_in_one_sample_continues_but_not_after_a_long_gap():
    box = (100, 100, 60, 70)
    out, calls = _run(FaceTracker(gap_ms=2000), [(0, [box], None), (1000, [], None),
                                                 (2000, [box], None), (5000, [box], None)])
    assert calls == 2 and out[0] == out[2] != out[3]


def test_far_apart_faces_are_not_joined():
    out, calls = _run(FaceTracker(), [(0, [(0, 0, 40, 40)], None), (1000, [(200, 0, 40, 40)], None)])
    assert calls == 2 and out[0] != out[1]


def test_frontality_and_iou():
    frontal = np.array([[40, 50], [80, 50], [60, 70], [45, 90], [75, 90]], np.float32)
    profile = np.array([[40, 50], [52, 50], [43, 70], [42, 90], [50, 90]], np.float32)
    assert frontality(frontal) == 1.0 and frontality(profile) < 0.5
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0 and iou((0, 0, 10, 10), (20, 0, 10, 10)) == 0.0
    assert iou((0, 0, 0, 0), (0, 0, 0, 0)) == 0.0


def test_the_embeddings_of_one_track_cluster_together():
    """A person followed through a shot and embedded twice (10 s apart, the face
    drifted: 0.55 apart, over the 0.5 threshold) is one cluster; another face
    as far away in another track is not joined to it."""
    import dlib
    from eioku_ml.analyzers.faces import FaceAnalyzer

    class _Media:
        duration_ms = 60_000

    rng = np.random.default_rng(7)
    first = rng.normal(size=128)
    first /= np.linalg.norm(first)
    drift = rng.normal(size=128)
    drift -= drift @ first * first
    second = first + drift / np.linalg.norm(drift) * 0.55
    stranger = first - drift / np.linalg.norm(drift) * 0.55
    analyzer = FaceAnalyzer({"interval_ms": 1000})
    analyzer.dlib, analyzer.media = dlib, _Media()
    rows = [(0, first, "0-0"), (1000, first, "0-0"), (10_000, second, "0-0"), (11_000, second, "0-0"),
            (30_000, stranger, "0-1"), (31_000, stranger, "0-1")]
    analyzer.found = [(t, t // 40, 0.9, {"x": 1.0, "y": 1.0, "w": 40.0, "h": 40.0}) for t, _, _ in rows]
    analyzer.embeddings = [dlib.vector(list(e)) for _, e, _ in rows]
    analyzer.tracks = [track for _, _, track in rows]
    labels = [i.payload["cluster_id"] for i in analyzer.finish()]
    assert labels[0] == labels[1] == labels[2] == labels[3] != labels[4] == labels[5]
    analyzer.tracks = [None] * len(rows)  # without the track, the drift splits the person
    labels = [i.payload["cluster_id"] for i in analyzer.finish()]
    assert labels[0] == labels[1] != labels[2] == labels[3]
