"""object.detection: objects in sampled frames, tracked across samples.

The detector is SSD-MobileNet-v2 COCO (default) or an ultralytics YOLO
weights file the user names (``engine: ultralytics-yolo``, see
``detectors.py``). Frames are sampled every ``interval_ms``; detections of
the same label in consecutive samples whose boxes overlap (IoU >= 0.3) share
a ``track_id``.
"""

from __future__ import annotations

from typing import Any

from eioku.config import get_settings

from eioku_ml.analyzers.base import Analyzer, Item, MediaInput, Progress
from eioku_ml.analyzers.detectors import BBox, Detector, SsdMobileNet, UltralyticsYolo
from eioku_ml.media.decode import iter_frames


def iou(a: BBox, b: BBox) -> float:
    x1, y1 = max(a["x"], b["x"]), max(a["y"], b["y"])
    x2, y2 = min(a["x"] + a["w"], b["x"] + b["w"]), min(a["y"] + a["h"], b["y"] + b["h"])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = a["w"] * a["h"] + b["w"] * b["h"] - inter
    return inter / union if union > 0 else 0.0


class ObjectAnalyzer(Analyzer):
    name = "objects"

    def load(self) -> None:
        min_conf = float(self.config.get("min_confidence", 0.5))
        self.detector: Detector
        if self.config.get("engine") == "ultralytics-yolo":
            self.detector = UltralyticsYolo(
                str(self.config["weights"]), min_conf, int(self.config.get("width", 640)),
                get_settings().data_dir / "ultralytics")
        else:
            self.detector = SsdMobileNet(min_conf)

    def _analyze(self, media: MediaInput, progress: Progress, context: dict[str, Any]) -> list[Item]:
        interval = int(self.config.get("interval_ms", 500))
        items: list[Item] = []
        tracks: list[tuple[int, str, dict[str, float]]] = []  # last sample's (id, label, box)
        next_id = 0
        for frame in iter_frames(media.path, width=int(self.config.get("width", 640)),
                                 every_ms=interval):
            current = []
            for label, conf, box in self.detector(frame.image):
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
