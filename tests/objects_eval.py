"""The objects evaluation set (tests/data/objects-eval/labels.json): real
pictures and video frames from files that installable packages ship, each
labelled by hand with the COCO objects clearly present. A frame is named by
its source, never stored: ``package:path`` and, for a video, ``@seconds``.
``repo:`` names a picture kept in this repository (tests/data/places, taken
from packages that the test machine need not install)."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
LABELS = REPO / "tests" / "data" / "objects-eval" / "labels.json"
DEBIAN_DOC = {"opencv-doc": Path("/usr/share/doc/opencv-doc")}
PYPI = {"scikit-image": "skimage", "ultralytics": "ultralytics", "matplotlib": "matplotlib"}


@dataclass(frozen=True)
class Frame:
    source: str
    split: str  # "calibrate" or "held-out"
    objects: frozenset[str]
    maybe: frozenset[str]  # present but small, hidden or drawn: neither hit nor miss
    io: str  # "indoor" or "outdoor" (by hand, for the context rule's test)


def locate(source: str) -> tuple[Path, float | None]:
    """The file a source names (a clear error naming the package when missing)."""
    package, _, rest = source.partition(":")
    path, _, at = rest.partition("@")
    if package == "repo":
        base = REPO
    elif package in DEBIAN_DOC:
        base = DEBIAN_DOC[package]
    elif package in PYPI:
        spec = importlib.util.find_spec(PYPI[package])
        if spec is None or spec.origin is None:
            raise FileNotFoundError(f"{source}: install the PyPI package {package}")
        base = Path(spec.origin).parent.parent
    else:
        raise ValueError(f"unknown package in {source}")
    file = base / path
    if not file.is_file():
        raise FileNotFoundError(f"{file} missing: install the {package} package (make install)")
    return file, float(at) if at else None


def frame_at(video: Path, seconds: float) -> np.ndarray:
    """The RGB frame shown at ``seconds`` (the first one at or after it)."""
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            if frame.time is not None and frame.time >= seconds - 1e-3:
                return frame.to_ndarray(format="rgb24")
    raise ValueError(f"{video} has no frame at {seconds}s")


def image(source: str) -> np.ndarray:
    """The RGB pixels of one source (a picture, or a video's frame)."""
    file, at = locate(source)
    if at is not None:
        return frame_at(file, at)
    bgr = cv2.imread(str(file), cv2.IMREAD_COLOR)  # gray pictures come out as 3 channels
    if bgr is None:
        raise ValueError(f"cannot read {file}")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def frames() -> list[Frame]:
    data = json.loads(LABELS.read_text())
    return [Frame(f["source"], f["split"], frozenset(f["objects"]),
                  frozenset(f["maybe"]), f["io"])
            for f in data["frames"]]


def scaled(rgb: np.ndarray, width: int = 640) -> np.ndarray:
    """As the frame pass gives it: scaled to ``width`` (never up), aspect kept."""
    h, w = rgb.shape[:2]
    if w <= width:
        return rgb
    return cv2.resize(rgb, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)


def score(found: list[set[str]], truth: list[Frame]) -> tuple[float, float, int, int, int]:
    """Per-frame label precision and recall (a label once per frame; 'maybe'
    labels are ignored), with the true positive, false positive and miss counts."""
    tp = fp = fn = 0
    for labels, frame in zip(found, truth, strict=True):
        tp += len(labels & frame.objects)
        fp += len(labels - frame.objects - frame.maybe)
        fn += len(frame.objects - labels)
    return tp / max(1, tp + fp), tp / max(1, tp + fn), tp, fp, fn
