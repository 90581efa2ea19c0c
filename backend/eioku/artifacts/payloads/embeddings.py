import math

from pydantic import Field, field_validator

from eioku.artifacts.payloads._common import Payload

EMBEDDING_DIM = 384  # all-MiniLM-L6-v2; the projection's column has this size


def _unit_length(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    if not 0.99 <= norm <= 1.01:
        raise ValueError(f"vector must have unit length (has {norm:.4f})")
    return vector


class TextEmbeddingV1(Payload):
    """A unit vector for a stretch of text: a transcript segment, an on-screen
    text, or a shot's description (what the analyses saw in one scene).
    ``model`` names the encoder; vectors of different models never mix."""

    source: str = Field(pattern=r"^(transcript|ocr|shot)$")
    text: str = Field(min_length=1, max_length=4_000)
    model: str = Field(min_length=1, max_length=200)
    vector: list[float] = Field(min_length=EMBEDDING_DIM, max_length=EMBEDDING_DIM)
    source_artifact_id: str | None = Field(default=None, max_length=64)

    _unit = field_validator("vector")(_unit_length)


class ImageEmbeddingV1(Payload):
    """A unit vector of one sampled frame from an image-text model (CLIP, a
    model the user supplies): text queries embedded by the same model match it."""

    model: str = Field(min_length=1, max_length=200)
    vector: list[float] = Field(min_length=8, max_length=4096)
    frame_number: int = Field(ge=0)

    _unit = field_validator("vector")(_unit_length)
