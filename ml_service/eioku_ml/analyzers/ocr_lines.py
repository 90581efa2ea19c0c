"""RapidOCR for video: ONNX Runtime threads that sleep when idle, and lines
read once per shot.

**Idle threads sleep.** ONNX Runtime's intra-op threads spin-wait between
operators by default (``session.intra_op.allow_spinning``): beside the other
analyzers of a frame pass, each in a thread of its own on few cores, the
spinning burned as much CPU as the models (158 ms a frame of the benchmark
video against 99 ms with spinning off, same threads, same text).
:func:`no_spinning` turns it off for every session RapidOCR makes while it is
entered; :func:`load_models` makes them all then.

**Lines read once.** In most videos a line of text stays on screen for
seconds while the samples go on: a title, a caption, a slide, a label over a
moving picture. The detector still runs on every sample (text may appear
anywhere); a detected line whose box is where a line of the last sample read
in the same shot was, and whose pixels are that line's (cell by cell, see
``reuse``), has that line's text and score, and only the other lines go to
the recogniser. A character that changed (a clock, a counter, a typed word)
changes a cell, and the line is read again. :class:`LineReader` runs
``engine(image)``'s detector, crops, recogniser and filters, except that each
line is recognised alone: RapidOCR's batches pad every line to the widest
of the batch, so a line's text depended on the other lines of its frame
(noise on poorly read text) and a line taken over would not be what reading
it again gives; alone it costs no more (26.6 against 27.5 ms a line).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from eioku_ml.analyzers import reuse

BOX_SLACK = 0.4  # share of the line's height each side of its box may move and it stays the line
LINE_DIFF = 8.0  # grey levels: the largest mean difference of a cell (half a line high) of a line
# the detector's box reaches past the letters (the background there may move): what is
# compared is both boxes together less this share of the line's height, across and up/down
INSET = (0.1, 0.2)

@contextlib.contextmanager
def no_spinning() -> Iterator[None]:
    """ONNX Runtime sessions made by RapidOCR in this block have
    ``session.intra_op.allow_spinning`` = 0 (their idle threads sleep)."""
    from rapidocr.inference_engine.onnxruntime import main as ort_main

    original = ort_main.OrtInferSession._init_sess_opts

    def options(cfg: Any) -> Any:
        opts = original(cfg)
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return opts

    ort_main.OrtInferSession._init_sess_opts = staticmethod(options)
    try:
        yield
    finally:
        ort_main.OrtInferSession._init_sess_opts = staticmethod(original)


def load_models(engine: Any, use_cls: bool) -> None:
    """Load RapidOCR's models now (it loads each on first use otherwise)."""
    engine._load_det_model()
    engine._load_rec_model()
    if use_cls:
        engine._load_cls_model()


def sessions(engine: Any) -> list[Any]:
    """The ONNX Runtime sessions of a RapidOCR engine's loaded models."""
    return [holder.session.session for holder in (engine.text_det, engine.text_cls, engine.text_rec)
            if holder is not None and hasattr(holder.session, "session")]


Rect = tuple[int, int, int, int]  # x1, y1, x2, y2


def _rect(box: np.ndarray) -> Rect:
    return (int(np.floor(box[:, 0].min())), int(np.floor(box[:, 1].min())),
            int(np.ceil(box[:, 0].max())), int(np.ceil(box[:, 1].max())))


@dataclass
class _Line:
    """A line as it was recognised: its box, text and score, and the frame
    (grey, the detector's picture) it was read in: a line is always compared
    with the pixels it was read from, so slow changes cannot add up unseen."""

    rect: Rect
    text: str
    score: float
    frame: np.ndarray


class LineReader:
    """``engine(image)`` as (text, score, box) lines, reading again only the
    lines that changed since the last call; :meth:`forget` at a cut.

    The detector's box of one line moves by a few pixels from sample to sample
    (more when the picture behind it moves), so a line is the one of the last
    sample when no side of its box moved by more than ``BOX_SLACK`` of the
    line's height and the pixels of both boxes together (less a margin,
    ``INSET``) are the same in both frames, cell by cell (``LINE_DIFF``; a cell
    is half the line's height, about a character). A character added at either
    end lies inside the boxes together, so it is compared too."""

    def __init__(self, engine: Any, use_cls: bool) -> None:
        self.engine, self.use_cls = engine, use_cls
        self.lines: list[_Line] = []  # of the last frame read
        self.read = self.reused = 0  # lines recognised / taken over (for measurements)

    def forget(self) -> None:
        self.lines = []

    def _known(self, rect: Rect, now: np.ndarray) -> _Line | None:
        for line in self.lines:
            if line.frame.shape != now.shape:
                continue
            height = min(rect[3] - rect[1], line.rect[3] - line.rect[1])
            if height <= 0 or max(abs(a - b) for a, b in zip(rect, line.rect, strict=True)) \
                    > BOX_SLACK * height:
                continue
            dx, dy = round(INSET[0] * height), round(INSET[1] * height)
            h, w = now.shape[:2]
            x1, y1 = max(0, min(rect[0], line.rect[0]) + dx), max(0, min(rect[1], line.rect[1]) + dy)
            x2, y2 = min(w, max(rect[2], line.rect[2]) - dx), min(h, max(rect[3], line.rect[3]) - dy)
            if x2 - x1 < 2 or y2 - y1 < 2:
                continue
            if reuse.same_pixels(now[y1:y2, x1:x2], line.frame[y1:y2, x1:x2], LINE_DIFF,
                                 max(4, height // 2)):
                return line
        return None

    def __call__(self, image: np.ndarray) -> list[tuple[str, float, list[list[float]]]]:
        from rapidocr.main import RapidOCRError
        from rapidocr.utils.process_img import map_boxes_to_original

        engine = self.engine
        original = engine.load_img(image)
        img, op_record = engine.preprocess_img(original)
        try:
            crops, det = engine.detect_and_crop(img, op_record)
        except RapidOCRError:  # no text detected
            self.forget()
            return []
        now = reuse.grey(img)
        rects = [_rect(box) for box in det.boxes]
        lines = [self._known(rect, now) for rect in rects]
        todo = [i for i, line in enumerate(lines) if line is None]
        for i in todo:  # one at a time: a line's text does not depend on the others
            crop = [crops[i]]
            if self.use_cls:
                crop, _ = engine.cls_and_rotate(crop)
            rec = engine.recognize_txt(crop)
            lines[i] = _Line(rects[i], rec.txts[0], float(rec.scores[0]), now)
        self.read += len(todo)
        self.reused += len(crops) - len(todo)
        self.lines = [line for line in lines if line is not None]
        h, w = original.shape[:2]
        boxes = map_boxes_to_original(det.boxes.copy(), op_record, h, w)
        return [(line.text, line.score, box.tolist())
                for line, box in zip(self.lines, boxes, strict=True)
                if line.text.strip() and line.score >= engine.text_score]
