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

from eioku_ml.analyzers.base import FrameAnalyzer, FrameWant, Item, MediaInput
from eioku_ml.analyzers.detectors import BBox, Detector, SsdMobileNet, UltralyticsYolo
from eioku_ml.media.decode import Frame


def iou(a: BBox, b: BBox) -> float:
    x1, y1 = max(a["x"], b["x"]), max(a["y"], b["y"])
    x2, y2 = min(a["x"] + a["w"], b["x"] + b["w"]), min(a["y"] + a["h"], b["y"] + b["h"])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = a["w"] * a["h"] + b["w"] * b["h"] - inter
    return inter / union if union > 0 else 0.0


class ObjectAnalyzer(FrameAnalyzer):
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

    @property
    def want(self) -> FrameWant:
        return FrameWant(int(self.config.get("width", 640)), "rgb24",
                         int(self.config.get("interval_ms", 500)))

    def start(self, media: MediaInput, context: dict[str, Any]) -> None:
        super().start(media, context)
        self.items: list[Item] = []
        self.tracks: list[tuple[int, str, BBox]] = []  # last sample's (id, label, box)
        self.next_id = 0

    def observe(self, frame: Frame) -> list[tuple[str, float, BBox]]:
        return [(label, round(conf, 4), box) for label, conf, box in self.detector(frame.image)]

    def fold(self, time_ms: int, index: int, observation: list[Any]) -> None:
        interval = self.want.every_ms or 500
        current = []
        for label, conf, box in observation:
            match = max((t for t in self.tracks if t[1] == label), default=None,
                        key=lambda t: iou(t[2], box))
            if match is not None and iou(match[2], box) >= 0.3:
                track = match[0]
            else:
                track, self.next_id = self.next_id, self.next_id + 1
            current.append((track, label, box))
            end = min(self.media.duration_ms, time_ms + interval)
            self.items.append(Item(time_ms, max(time_ms, end), {
                "label": label, "confidence": conf, "bbox": box,
                "frame_number": index, "track_id": track}))
        self.tracks = current

    def finish(self) -> list[Item]:
        return self.items
