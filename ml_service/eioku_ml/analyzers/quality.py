"""video.quality: technical health with a pass/flagged/reject badge.

Thresholds (documented in docs/models.md) are config values so a user can
tune them per profile:
- freeze: frames inside a still stretch — consecutive frames whose mean
  absolute difference stays below ``freeze_diff`` grey levels for at least
  ``min_freeze_s`` — flagged when more than ``max_freeze_ratio`` of frames.
- black: frames whose mean luma is below ``black_luma``; flagged above
  ``max_black_ratio``.
- blur: mean variance of the Laplacian; flagged below ``min_blur``.
- spikes: frame differences above mean + ``spike_sigma`` standard deviations
  that are not scene cuts.
- flicker: mean absolute change of average brightness between frames.
- audio/video duration delta above ``max_duration_delta_s``: flagged.
- gaps: spans where the video could not be decoded (found by the frame
  pass, which decodes past them), with the duration that did decode: a
  damaged region, or a download cut short (the last gap reaches the end).
  Flagged, since the rest of the file is analysed.
A file of which no frame can be decoded is rejected.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from eioku_ml.analyzers.base import FrameAnalyzer, FrameWant, Item, MediaInput
from eioku_ml.errors import MediaError
from eioku_ml.media.decode import Frame

DEFAULTS = {"width": 160, "freeze_diff": 0.5, "min_freeze_s": 1.0, "max_freeze_ratio": 0.5,
            "black_luma": 16.0, "max_black_ratio": 0.5, "min_blur": 5.0, "spike_sigma": 4.0,
            "max_flicker": 8.0,
            "max_duration_delta_s": 1.0}


class QualityAnalyzer(FrameAnalyzer):
    name = "quality"

    @property
    def want(self) -> FrameWant:
        return FrameWant(int({**DEFAULTS, **self.config}["width"]), "gray")

    def start(self, media: MediaInput, context: dict[str, Any]) -> None:
        super().start(media, context)
        self.diffs: list[float] = []
        self.lumas: list[float] = []
        self.blurs: list[float] = []
        self.decode_error: str | None = None
        self.prev: np.ndarray | None = None
        self.merged_gaps: list[tuple[int, int]] | None = None  # of a chunked video

    margin_ms = (200, 0)  # the frame before a chunk, to difference its first frame against

    def observe(self, frame: Frame) -> tuple[float, float | None, float | None]:
        """Mean luma, mean difference from the previous frame, sharpness (every 10th frame)."""
        gray = frame.image.astype(np.float32)
        diff = float(np.abs(gray - self.prev).mean()) if self.prev is not None else None
        blur = float(cv2.Laplacian(frame.image, cv2.CV_64F).var()) if frame.index % 10 == 0 else None
        self.prev = gray
        return float(gray.mean()), diff, blur

    def warm(self, frame: Frame) -> None:
        self.prev = frame.image.astype(np.float32)

    def fold(self, time_ms: int, index: int, observation: list[Any]) -> None:
        luma, diff, blur = observation
        self.lumas.append(luma)
        if diff is not None:
            self.diffs.append(diff)
        if blur is not None:
            self.blurs.append(blur)

    def decode_failed(self, error: MediaError) -> None:
        self.decode_error = error.message  # a verdict, not a failure: "reject, and why"

    def partial(self) -> dict[str, Any]:
        return {**super().partial(), "decode_error": self.decode_error,
                "gaps": [list(g) for g in self.state.gaps]}

    def merge(self, partials: list[dict[str, Any]]) -> list[Item]:
        self.decode_error = next((p["decode_error"] for p in partials if p.get("decode_error")), None)
        self.merged_gaps = _joined([(s, e) for p in partials for s, e in p.get("gaps", [])])
        return super().merge(partials)

    def finish(self) -> list[Item]:
        cfg = {**DEFAULTS, **self.config}
        # scenes found by the same pass, or by an earlier scenes run
        scenes = len(self.context["scenes"]) if "scenes" in self.context \
            else len(self.state.cuts_ms) + 1
        payload = self._payload(self.media, cfg, self.diffs, self.lumas, self.blurs,
                                self.decode_error, scenes)
        gaps = self.merged_gaps if self.merged_gaps is not None else _joined(self.state.gaps)
        if payload["status"] == "reject":  # nothing decoded
            payload = {**payload, "gaps": [], "decoded_duration_s": 0.0}
        elif gaps:
            payload = {**payload, **_gap_verdict(gaps, self.media.probe.duration_s, payload)}
        else:
            payload = {**payload, "gaps": [], "decoded_duration_s": payload["video_duration_s"]}
        return [Item(0, self.media.duration_ms, payload)]

    def _payload(self, media: MediaInput, cfg: dict[str, Any], diffs: list[float],
                 lumas: list[float], blurs: list[float], decode_error: str | None,
                 scenes: int) -> dict[str, Any]:
        p = media.probe
        d = np.array(diffs) if diffs else np.zeros(1)
        freeze = _freeze_ratio(d < cfg["freeze_diff"], int(cfg["min_freeze_s"] * (p.fps or 25)))\
            if diffs else 0.0
        black = float((np.array(lumas) < cfg["black_luma"]).mean()) if lumas else 0.0
        flicker = float(np.abs(np.diff(lumas)).mean()) if len(lumas) > 1 else 0.0
        blur = float(np.mean(blurs)) if blurs else 0.0
        cuts = max(0, scenes - 1)
        spikes = max(0, int((d > d.mean() + cfg["spike_sigma"] * d.std()).sum()) - cuts) \
            if diffs else 0
        delta = abs(p.duration_s - p.audio_duration_s) if p.audio_duration_s is not None else None
        reasons = []
        if decode_error or not lumas:
            reasons.append(f"decode failed: {decode_error or 'no frames'}")
        if freeze > cfg["max_freeze_ratio"]:
            reasons.append(f"frozen: {freeze:.0%} of frames repeat the previous one")
        if black > cfg["max_black_ratio"]:
            reasons.append(f"black: {black:.0%} of frames are black")
        if lumas and blur < cfg["min_blur"] and black <= cfg["max_black_ratio"]:
            reasons.append(f"blurry: sharpness {blur:.1f} < {cfg['min_blur']}")
        if flicker > cfg["max_flicker"]:
            reasons.append(f"flicker: brightness changes {flicker:.1f} levels per frame")
        if delta is not None and delta > cfg["max_duration_delta_s"]:
            reasons.append(f"audio and video durations differ by {delta:.2f} s")
        status = "reject" if (decode_error or not lumas) else ("flagged" if reasons else "pass")
        return {
            "decode_ok": decode_error is None and bool(lumas),
            "video_duration_s": round(p.duration_s, 3),
            "audio_duration_s": round(p.audio_duration_s, 3) if p.audio_duration_s else None,
            "duration_delta_s": round(delta, 3) if delta is not None else None,
            "fps": round(p.fps, 3), "frame_count": len(lumas),
            "freeze_frame_ratio": round(freeze, 4), "flicker_score": round(flicker, 3),
            "blur_score": round(blur, 2), "frame_diff_spike_count": spikes,
            "scene_cut_count": cuts, "status": status, "reasons": reasons,
        }


def _freeze_ratio(still: np.ndarray, min_run: int) -> float:
    """Share of frame pairs that belong to a still stretch of >= min_run pairs."""
    frozen, run = 0, 0
    for is_still in [*still.tolist(), False]:
        if is_still:
            run += 1
        else:
            frozen += run if run >= max(1, min_run) else 0
            run = 0
    return frozen / len(still)


def _joined(gaps: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Gaps in order, those that touch (across two chunks' border) made one."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(gaps):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _gap_verdict(gaps: list[tuple[int, int]], duration_s: float,
                 payload: dict[str, Any]) -> dict[str, Any]:
    """Where the video could not be decoded, what did decode, and why that is flagged."""
    end_ms = int(round(duration_s * 1000))
    missing_ms = sum(e - s for s, e in gaps)
    decoded_s = max(0.0, (end_ms - missing_ms) / 1000)
    inner = [g for g in gaps if g[1] < end_ms - 1000]  # (the index may end a little early)
    reasons = list(payload["reasons"])
    if len(inner) < len(gaps):  # the last gap reaches the end: the file stops early
        reasons.append(f"cut short: the video decodes to {gaps[-1][0] / 1000:.2f} s "
                       f"of {duration_s:.2f} s")
    if inner:
        where = ", ".join(f"{s / 1000:.2f}–{e / 1000:.2f} s" for s, e in inner[:5])
        more = f" and {len(inner) - 5} more" if len(inner) > 5 else ""
        reasons.append(f"damaged: {sum(e - s for s, e in inner) / 1000:.2f} s could not be "
                       f"decoded (at {where}{more})")
    return {"gaps": [{"start_ms": s, "end_ms": e} for s, e in gaps],
            "decoded_duration_s": round(decoded_s, 3), "decode_ok": False,
            "status": "flagged", "reasons": reasons}
