"""Sounds (speech, music, singing, silence with their loudness) and typed
segments (intro, credits, black, silence, colour bars) of a video."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from eioku.api.deps import SelectionDep, UowDep
from eioku.domain.enums import ArtifactType
from eioku.store import sounds as store

router = APIRouter(tags=["sounds"])


class SoundEventOut(BaseModel):
    start_ms: int
    end_ms: int
    label: str = Field(description="speech | music | singing | silence")
    confidence: float
    loudness_lufs: float | None = Field(description="the span's integrated loudness (EBU R128); "
                                                    "null when too short or silent")


class ProgrammeOut(BaseModel):
    loudness_lufs: float | None = Field(description="integrated loudness of the whole audio (LUFS)")
    loudness_range_lu: float | None = Field(description="EBU Tech 3342 loudness range (LU)")
    max_momentary_lufs: float | None = Field(description="the loudest 400 ms")


class SoundsOut(BaseModel):
    video_id: uuid.UUID
    run_id: uuid.UUID | None = Field(description="the sounds run shown; null: none selected")
    programme: ProgrammeOut | None
    heard_ms: dict[str, int] = Field(description="time each kind of sound is heard")
    share: dict[str, float] = Field(description="heard_ms over the audio's duration")
    events: list[SoundEventOut]


class SegmentOut(BaseModel):
    start_ms: int
    end_ms: int
    type: str = Field(description="intro | credits | black | silence | colour_bars")
    confidence: float
    evidence: str | None = Field(description="why, in a sentence")
    shared_with: int | None = Field(description="intro: other videos of the folder that open with it")


class SegmentsOut(BaseModel):
    video_id: uuid.UUID
    run_id: uuid.UUID | None = Field(description="the segments run shown; null: none selected")
    segments: list[SegmentOut]


@router.get("/v1/videos/{video_id}/sounds", response_model=SoundsOut)
def video_sounds(
    video_id: uuid.UUID, uow: UowDep, selection: SelectionDep,
    label: Annotated[str | None, Query(min_length=1, max_length=50, description=(
        "Only this kind: speech, music, singing or silence."))] = None,
) -> SoundsOut:
    """What is heard when (the selected sounds run): each span of speech, music,
    singing and silence with its loudness, the time each takes and the whole
    programme's EBU R128 loudness. Jump through one kind with
    `jump?kind=sound&label=music`."""
    asked = store.sound_label(label, "label") if label is not None else None
    uow.videos.get(video_id)
    run_id = store.selected_run(uow.session, video_id, ArtifactType.AUDIO_EVENT, selection)
    if run_id is None:
        return SoundsOut(video_id=video_id, run_id=None, programme=None, heard_ms={}, share={},
                         events=[])
    whole = store.programme(uow.session, run_id)
    heard = store.heard_ms(uow.session, run_id)
    duration = whole.duration_ms if whole else 0
    return SoundsOut(
        video_id=video_id, run_id=run_id,
        programme=ProgrammeOut(loudness_lufs=whole.loudness_lufs,
                               loudness_range_lu=whole.loudness_range_lu,
                               max_momentary_lufs=whole.max_momentary_lufs) if whole else None,
        heard_ms=heard, share={k: round(v / duration, 4) if duration else 0.0 for k, v in heard.items()},
        events=[SoundEventOut(**vars(e)) for e in store.events(uow.session, run_id, asked)])


@router.get("/v1/videos/{video_id}/segments", response_model=SegmentsOut)
def video_segments(
    video_id: uuid.UUID, uow: UowDep, selection: SelectionDep,
    type: Annotated[str | None, Query(min_length=1, max_length=50, description=(  # noqa: A002
        "Only this type: intro, credits, black, silence or colour_bars."))] = None,
) -> SegmentsOut:
    """The video's typed segments (the selected segments run), in time order: an
    intro it shares with other videos of its folder, end credits, black
    frames, silence, colour bars. The player offers to skip an intro or credits."""
    asked = store.segment_type(type, "type") if type is not None else None
    uow.videos.get(video_id)
    run_id = store.selected_run(uow.session, video_id, ArtifactType.SEGMENT, selection)
    found = store.segments(uow.session, run_id, asked) if run_id else []
    return SegmentsOut(video_id=video_id, run_id=run_id,
                       segments=[SegmentOut(**vars(s)) for s in found])
