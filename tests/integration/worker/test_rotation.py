"""A phone video recorded upright (coded landscape, display matrix -90): the
analyzers see it upright, so their boxes fit the picture the player shows,
and thumbnails and probe sizes are of the upright picture."""

from __future__ import annotations

import numpy as np
from eioku.media.frames import frame_at, video_facts
from eioku_ml.analyzers.base import FrameAnalyzer, FrameWant
from eioku_ml.media.decode import probe
from eioku_ml.media.framepass import run_pass

from tests.media import as_phone_portrait, make_clip

CODED = (96, 48)  # width, height as stored


def _marked_frames(n):
    """Black, with a white block in the coded top-left corner."""
    for _ in range(n):
        image = np.zeros((CODED[1], CODED[0], 3), np.uint8)
        image[:16, :16] = 255
        yield image


class Recorder(FrameAnalyzer):
    name = "recorder"

    def __init__(self, want):
        super().__init__({})
        self._want, self.images = want, []

    @property
    def want(self):
        return self._want

    def take(self, frame):
        self.images.append(frame.image)

    def finish(self):
        return []


def _bright_corner(image) -> str:
    """Which corner holds the white block."""
    h, w = image.shape[:2]
    gray = image if image.ndim == 2 else image.mean(axis=2)
    corners = {"top-left": gray[: h // 4, : w // 4], "top-right": gray[: h // 4, -(w // 4):],
               "bottom-left": gray[-(h // 4):, : w // 4], "bottom-right": gray[-(h // 4):, -(w // 4):]}
    return max(corners, key=lambda k: corners[k].mean())


def test_a_phone_video_is_analysed_and_shown_upright(tmp_path):
    coded = make_clip(tmp_path / "coded.mp4", _marked_frames(5), size=CODED)
    phone = as_phone_portrait(coded, tmp_path / "phone.mp4")
    info = probe(phone)
    assert (info.width, info.height, info.rotation) == (48, 96, -90)
    assert (video_facts(phone).width, video_facts(phone).height) == (48, 96)

    wants = [Recorder(FrameWant(None, "rgb24")), Recorder(FrameWant(24, "bgr24")),
             Recorder(FrameWant(24, "gray"))]
    results = run_pass(phone, {f"r{i}": r for i, r in enumerate(wants)})
    assert all(r.error is None for r in results.values())
    full, small, gray = (r.images[0] for r in wants)
    assert full.shape == (96, 48, 3) and small.shape == (48, 24, 3) and gray.shape == (48, 24)
    # a quarter turn clockwise: the coded top-left corner is shown top-right
    assert {_bright_corner(full), _bright_corner(small), _bright_corner(gray)} == {"top-right"}

    # the unrotated file, for contrast: nothing turned
    plain = Recorder(FrameWant(None, "rgb24"))
    run_pass(coded, {"plain": plain})
    assert plain.images[0].shape == (48, 96, 3) and _bright_corner(plain.images[0]) == "top-left"

    picture = frame_at(phone, 0)
    assert picture.size == (48, 96)
    assert _bright_corner(np.asarray(picture)) == "top-right"
    assert frame_at(phone, 0, width=24).size == (24, 48)
