"""image.embedding: what frames look like, for text queries that match pictures.

Only with a CLIP model the user supplies (``EIOKU_CLIP_MODEL``, see
``eioku_ml.models.clip``): a frame sampled every ``interval_ms`` is embedded
by CLIP's vision model; search embeds a query with its text model and finds
the closest frames ("a red car at night" without any detector saying car).
Without the setting the analyzer is not part of the default pipeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eioku_ml.analyzers.base import FrameAnalyzer, FrameWant, Item, MediaInput
from eioku_ml.errors import ModelMissingError
from eioku_ml.media.decode import Frame
from eioku_ml.models.clip import Clip


class VisualAnalyzer(FrameAnalyzer):
    name = "visual"

    def load(self) -> None:
        if not self.config.get("model_dir"):
            raise ModelMissingError("visual search needs a CLIP model: set EIOKU_CLIP_MODEL to a "
                                    "folder with text_model.onnx, vision_model.onnx, tokenizer.json")
        self.clip = Clip(Path(self.config["model_dir"]))

    @property
    def want(self) -> FrameWant:
        return FrameWant(400, "rgb24", int(self.config.get("interval_ms", 2000)))

    def start(self, media: MediaInput, context: dict[str, Any]) -> None:
        super().start(media, context)
        self.items: list[Item] = []

    def observe(self, frame: Frame) -> list[float]:
        return [round(float(x), 6) for x in self.clip.encode_images([frame.image])[0]]

    def fold(self, time_ms: int, index: int, observation: list[Any]) -> None:
        interval = self.want.every_ms or 2000
        self.items.append(Item(time_ms, min(self.media.duration_ms, time_ms + interval),
                               {"model": self.clip.name, "vector": observation, "frame_number": index}))

    def finish(self) -> list[Item]:
        return self.items
