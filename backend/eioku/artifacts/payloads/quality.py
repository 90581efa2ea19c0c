from typing import Literal

from pydantic import Field

from eioku.artifacts.payloads._common import Payload

NonNegative = Field(ge=0, allow_inf_nan=False)


class VideoQualityV1(Payload):
    """Technical health of the file, with a pass/flagged/reject badge."""

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
