"""What a sampling analyzer may take over from its last sample of the same shot.

Many videos hold still for long stretches (a lecture, an interview, a screen
recording): a sample whose picture is the last one's, to within the noise of
compression, shows what the last one showed, and a model need not look again.
"The same" is judged cell by cell, not on average: a cell is about one
character of small on-screen text (8x8 pixels of a grey picture half the
frame's width, at most 480 pixels), and a single cell whose mean difference
passes ``STILL_DIFF`` grey levels (a digit of a clock that ticked, a cursor, a
hand that moved) makes the frame a new one. Never across a cut.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

CELL = 8  # pixels of the thumbnail
STILL_DIFF = 6.0  # grey levels: the largest mean difference of a cell of a still frame
THUMB_WIDTH = 480


def grey(image: np.ndarray) -> np.ndarray:
    """A frame's grey picture (RGB and BGR alike: the weights are close enough
    to compare a frame with another of the same format)."""
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def thumb(image: np.ndarray) -> np.ndarray:
    """The picture two samples are compared on: grey, half the frame's width
    (at most ``THUMB_WIDTH``): a cell is then 16x16 pixels of a frame up to
    960 wide, about one character of small on-screen text."""
    g = grey(image)
    h, w = g.shape[:2]
    width = max(1, min(THUMB_WIDTH, w // 2))
    return cv2.resize(g, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)


def cell_diff(a: np.ndarray, b: np.ndarray, cell: int = CELL) -> float:
    """The largest mean absolute difference of a ``cell`` x ``cell`` block
    (grey levels) between two grey pictures of one size."""
    diff = cv2.absdiff(a, b).astype(np.float32)
    h, w = diff.shape[:2]
    ch, cw = -(-h // cell), -(-w // cell)
    padded = np.zeros((ch * cell, cw * cell), np.float32)
    padded[:h, :w] = diff
    blocks = padded.reshape(ch, cell, cw, cell).sum(axis=(1, 3))
    counts = np.zeros_like(padded)
    counts[:h, :w] = 1
    area = counts.reshape(ch, cell, cw, cell).sum(axis=(1, 3))
    return float((blocks / area).max())


def same_pixels(a: np.ndarray, b: np.ndarray, tolerance: float = STILL_DIFF,
                cell: int = CELL) -> bool:
    """Two grey pictures of one size whose every cell differs by at most ``tolerance``."""
    return a.shape == b.shape and cell_diff(a, b, cell) <= tolerance


def cut_between(analyzer: Any, after_ms: int, until_ms: int) -> bool:
    """Whether a shot starts in (``after_ms``, ``until_ms``] for a
    :class:`~eioku_ml.analyzers.base.ShotSampling` analyzer: the scenes run's
    starts and the cuts its pass has found so far."""
    starts = getattr(analyzer, "known_starts", [])
    cuts = getattr(getattr(analyzer, "state", None), "cuts_ms", [])
    return any(after_ms < c <= until_ms for c in (*starts, *cuts))
