from pydantic import Field

from eioku.artifacts.payloads._common import Payload


class SceneV1(Payload):
    """One shot between two cuts."""

    scene_index: int = Field(ge=0)
    method: str = Field(min_length=1, max_length=100)
    score: float = Field(allow_inf_nan=False)
    frame_number: int = Field(ge=0)
