from typing import Literal

from pydantic import Field

from eioku.artifacts.payloads._common import Payload

NonNegative = Field(ge=0, allow_inf_nan=False)


class Gap(Payload):
    """A span of the video without a decodable frame: [start_ms, end_ms)."""

    start_ms: int = Field(ge=0)
    end_ms: int = Field(ge=0)


class VideoQualityV1(Payload):
    """Technical health of the file, with a pass/flagged/reject badge.
    (``gaps`` and ``decoded_duration_s`` came later: older payloads lack them.)"""

    decode_ok: bool
    video_duration_s: float = NonNegative
    audio_duration_s: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    duration_delta_s: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    fps: float = NonNegative
    frame_count: int = Field(ge=0)
    freeze_frame_ratio: float = Field(ge=0, le=1, allow_inf_nan=False)
    flicker_score: float = NonNegative
    blur_score: float = NonNegative
    frame_diff_spike_count: int = Field(ge=0)
    scene_cut_count: int = Field(ge=0)
    status: Literal["pass", "flagged", "reject"]
    reasons: list[str] = Field(default_factory=list)
    # where the video could not be decoded (a damaged region, a download cut short:
    # the last gap then reaches the end), and how much of it did decode
    gaps: list[Gap] = Field(default_factory=list, max_length=1000)
    decoded_duration_s: float | None = Field(default=None, ge=0, allow_inf_nan=False)
