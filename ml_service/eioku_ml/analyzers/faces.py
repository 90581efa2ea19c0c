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

from eioku_ml.analyzers.base import Analyzer, Item, MediaInput, Progress
from eioku_ml.media.decode import iter_frames
from eioku_ml.models.catalog import CATALOG


class FaceAnalyzer(Analyzer):
    name = "faces"
    embedding_model = "dlib-resnet-v1"  # identities only match embeddings of the same model

    def load(self) -> None:
        import dlib

        self.dlib = dlib
        self.detector = dlib.get_frontal_face_detector()
        self.shapes = dlib.shape_predictor(str(CATALOG["dlib-5-landmarks"].locate()))
        self.encoder = dlib.face_recognition_model_v1(str(CATALOG["dlib-face-embedding"].locate()))

    def _analyze(self, media: MediaInput, progress: Progress, context: dict[str, Any]) -> list[Item]:
        interval = int(self.config.get("interval_ms", 1000))
        upsample = int(self.config.get("upsample", 1))
        min_score = float(self.config.get("min_score", 0.3))  # HOG margin; weaker hits are mostly false
        found: list[tuple[int, int, float, dict[str, float]]] = []  # (time, frame, score, box)
        embeddings = []
        for frame in iter_frames(media.path, width=int(self.config.get("width", 640)),
                                 every_ms=interval):
            image = np.ascontiguousarray(frame.image)
            rects, scores, _ = self.detector.run(image, upsample, min_score)
            for rect, score in zip(rects, scores, strict=True):
                shape = self.shapes(image, rect)
                embeddings.append(self.dlib.vector(self.encoder.compute_face_descriptor(image, shape)))
                box = {"x": float(max(0, rect.left())), "y": float(max(0, rect.top())),
                       "w": float(max(0, rect.width())), "h": float(max(0, rect.height()))}
                found.append((frame.time_ms, frame.index, float(score), box))
            if media.probe.duration_s:
                progress(min(0.95, frame.time_ms / 1000 / media.probe.duration_s))
        if not found:
            return []
        labels = self.dlib.chinese_whispers_clustering(
            embeddings, float(self.config.get("cluster_threshold", 0.5)))
        items = []
        for (t, index, score, box), label, embedding in zip(found, labels, embeddings, strict=True):
            # HOG scores are margins (~0..3); squash to 0..1 for a comparable confidence
            confidence = float(1 / (1 + np.exp(-2 * score)))
            items.append(Item(t, min(media.duration_ms, t + interval), {
                "confidence": round(confidence, 4), "bbox": box, "cluster_id": f"face-{label}",
                "frame_number": index, "embedding_ref": None}, tuple(embedding)))
        return items
