"""Frame sizes shared by the analyzers and the API.

Analyzers store boxes in pixels of the frame they analysed, which is the
video downscaled to the width their config asks for. The API turns those
boxes back into fractions of the picture with the same rule.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any


def scaled_size(src_w: int, src_h: int, width: int | None) -> tuple[int, int]:
    """The size a frame is analysed at: ``width`` (never upscaled), aspect kept, even height."""
    if not width or src_w <= 0:
        return src_w, src_h
    w = min(width, src_w)
    return w, max(2, int(round(src_h * w / src_w / 2)) * 2)


def normalise_box(box: dict[str, float], analysed: tuple[int, int]) -> dict[str, float]:
    """A pixel box of an analysed frame as fractions (0..1) of the picture."""
    w, h = analysed
    x0, y0 = max(0.0, box["x"] / w), max(0.0, box["y"] / h)
    x1, y1 = min(1.0, (box["x"] + box["w"]) / w), min(1.0, (box["y"] + box["h"]) / h)
    return {"x": round(x0, 4), "y": round(y0, 4), "w": round(max(0.0, x1 - x0), 4),
            "h": round(max(0.0, y1 - y0), 4)}


def quarter_turns(rotation: float | None) -> int:
    """Counter-clockwise quarter turns that make a decoded picture upright, from
    its display matrix rotation in degrees (FFmpeg's convention: a phone video
    shot upright says -90, to be turned a quarter clockwise: 3)."""
    return int(round((rotation or 0) / 90)) % 4


def upright_size(width: int, height: int, turns: int) -> tuple[int, int]:
    """The displayed size of a coded picture turned ``turns`` quarter turns."""
    return (height, width) if turns % 2 else (width, height)


def coded_size(display: tuple[int, int], turns: int) -> tuple[int, int]:
    """The coded size that, turned, is displayed at ``display``."""
    return upright_size(*display, turns)


def sample_aspect(stream: Any) -> Fraction:
    """The shape of one coded pixel (width / height): 64:45 for a 720x576
    recording shown 16:9, 1 for square pixels. The container's value wins
    over the codec's (as FFmpeg decides); a missing or absurd one is 1."""
    for value in (getattr(stream, "sample_aspect_ratio", None),
                  getattr(stream.codec_context, "sample_aspect_ratio", None)):
        if value and Fraction(1, 10) <= Fraction(value) <= 10:
            return Fraction(value)
    return Fraction(1)


def display_size(width: int, height: int, sar: Fraction, turns: int) -> tuple[int, int]:
    """The size a coded ``width`` x ``height`` picture is shown at: its pixels
    stretched to their shape (the width changes, as players do), then turned
    upright."""
    shown_w = width if sar == 1 else max(2, int(round(width * sar)))
    return upright_size(shown_w, height, turns)
