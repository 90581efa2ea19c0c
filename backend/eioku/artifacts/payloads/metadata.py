from datetime import datetime

from pydantic import Field

from eioku.artifacts.payloads._common import Payload


class Gps(Payload):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    altitude: float | None = Field(default=None, allow_inf_nan=False)


class VideoMetadataV1(Payload):
    """Container and stream facts about the whole file."""

    duration_s: float = Field(ge=0, allow_inf_nan=False)
    fps: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    width: int | None = Field(default=None, ge=0)
    height: int | None = Field(default=None, ge=0)
    rotation: int = 0
    video_codec: str | None = None
    audio_codec: str | None = None
    container: str | None = None
    bit_rate: int | None = Field(default=None, ge=0)
    tags: dict[str, str] = Field(default_factory=dict)
    creation_time: datetime | None = None
    gps: Gps | None = None
