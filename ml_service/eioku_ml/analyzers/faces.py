"""face.detection: dlib's HOG face detector + 128-d ResNet embeddings,
clustered per video with Chinese Whispers. Each face carries its embedding
to the worker, which joins every cluster to a library-wide identity
(``eioku.store.faces``), so ``cluster_id`` (person-1, person-2, ...) names the
same person across frames and across videos.

Weights: ``face_recognition_models`` (CC0). Frames are sampled every
``interval_ms``; HOG finds frontal faces of about 40 px and more at the
analysed width.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from eioku_ml.analyzers.base import FrameAnalyzer, FrameWant, Item, MediaInput
from eioku_ml.media.decode import Frame
from eioku_ml.models.catalog import CATALOG


class FaceAnalyzer(FrameAnalyzer):
    name = "faces"
    embedding_model = "dlib-resnet-v1"  # identities only match embeddings of the same model

    def load(self) -> None:
        import dlib

        self.dlib = dlib
        self.detector = dlib.get_frontal_face_detector()
        self.shapes = dlib.shape_predictor(str(CATALOG["dlib-5-landmarks"].locate()))
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
        upsample = int(self.config.get("upsample", 1))
        min_score = float(self.config.get("min_score", 0.3))  # HOG margin; weaker hits are mostly false
        image = np.ascontiguousarray(frame.image)
        rects, scores, _ = self.detector.run(image, upsample, min_score)
        faces = []
        for rect, score in zip(rects, scores, strict=True):
            shape = self.shapes(image, rect)
            embedding = list(self.encoder.compute_face_descriptor(image, shape))
            box = {"x": float(max(0, rect.left())), "y": float(max(0, rect.top())),
                   "w": float(max(0, rect.width())), "h": float(max(0, rect.height()))}
            faces.append((float(score), box, embedding))
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
        items = []
        for (t, index, score, box), label, embedding in zip(self.found, labels, self.embeddings,
                                                            strict=True):
            # HOG scores are margins (~0..3); squash to 0..1 for a comparable confidence
            confidence = float(1 / (1 + np.exp(-2 * score)))
            items.append(Item(t, min(self.media.duration_ms, t + interval), {
                "confidence": round(confidence, 4), "bbox": box, "cluster_id": f"face-{label}",
                "frame_number": index, "embedding_ref": None}, tuple(embedding)))
        return items
