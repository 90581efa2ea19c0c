"""Sounds and typed segments (issue 30).

``audio.event``: what is heard over a span of the main audio track (speech,
music, singing, silence) with its loudness; one ``programme`` event per video
spans the whole audio and carries the file's EBU R128 loudness.

``segment``: a typed stretch of the video a player may skip or a user may
look for: an intro shared with other videos of its folder, end credits, black
frames, silence, colour bars.
"""

from typing import Literal

from pydantic import Field

from eioku.artifacts.payloads._common import Confidence, Payload

SOUND_LABELS = ("speech", "music", "singing", "silence", "programme")
SEGMENT_TYPES = ("intro", "credits", "black", "silence", "colour_bars")

Lufs = Field(default=None, ge=-200.0, le=20.0, allow_inf_nan=False)


class AudioEventV1(Payload):
    """``label`` over the span; ``confidence``: the model's mean probability of
    the class over the span (silence: how far below the floor it stays);
    ``loudness_lufs``: the span's integrated loudness (ITU-R BS.1770, gated),
    None when the span is too short to measure or gated out entirely. The
    ``programme`` event also gives the loudness range and loudest momentary
    (400 ms) loudness of the whole audio."""

    label: Literal["speech", "music", "singing", "silence", "programme"]
    confidence: float = Confidence
    loudness_lufs: float | None = Lufs
    loudness_range_lu: float | None = Field(default=None, ge=0.0, le=200.0, allow_inf_nan=False)
    max_momentary_lufs: float | None = Lufs


class SegmentV1(Payload):
    """A typed segment; ``evidence``: why, in a sentence; ``shared_with``
    (intro): how many other videos of the same folder open with the same audio."""

    type: Literal["intro", "credits", "black", "silence", "colour_bars"]
    confidence: float = Confidence
    evidence: str | None = Field(default=None, max_length=500)
    shared_with: int | None = Field(default=None, ge=1, le=100000)
