"""Speakers: who talks how long in a video (talk time and turns per speaker)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, Field

from eioku.api.deps import SelectionDep, UowDep
from eioku.store.speakers import SpeakerTime, selected_speakers_run, talk_time
from eioku.store.voices import VoiceRepository

router = APIRouter(tags=["speakers"])


class SpeakerOut(BaseModel):
    speaker: str = Field(description="the speakers run's label (\"Speaker 1\", ...)")
    name: str = Field(description="what it shows as: its voice's name or id, else the label")
    voice_id: str | None = Field(description="the voice across the library it belongs to")
    talk_ms: int = Field(description="time in its turns, overlapping speech included")
    turns: int
    overlap_ms: int = Field(description="of talk_ms, time another speaker talks too")
    share: float = Field(description="talk_ms over every speaker's talk_ms")
    first_ms: int = Field(description="when it first speaks")

    @classmethod
    def of(cls, t: SpeakerTime, total_ms: int) -> SpeakerOut:
        return cls(speaker=t.speaker, name=t.name, voice_id=t.voice_id, talk_ms=t.talk_ms,
                   turns=t.turns, overlap_ms=t.overlap_ms, first_ms=t.first_ms,
                   share=round(t.talk_ms / total_ms, 4) if total_ms else 0.0)


class SpeakersOut(BaseModel):
    video_id: uuid.UUID
    run_id: uuid.UUID | None = Field(description="the speakers run shown; null: none selected")
    speakers: list[SpeakerOut]


@router.get("/v1/videos/{video_id}/speakers", response_model=SpeakersOut)
def video_speakers(video_id: uuid.UUID, uow: UowDep, selection: SelectionDep) -> SpeakersOut:
    """Each speaker of the selected speakers run with talk time and turns, most
    talk first. Jump through one's turns with `jump?kind=speaker&label=<label,
    voice id or name>`."""
    uow.videos.get(video_id)
    VoiceRepository(uow.session).sync()  # its speakers matched into voices, if not yet
    uow.commit()
    run_id = selected_speakers_run(uow.session, video_id, selection)
    times = talk_time(uow.session, run_id) if run_id else []
    total = sum(t.talk_ms for t in times)
    return SpeakersOut(video_id=video_id, run_id=run_id,
                       speakers=[SpeakerOut.of(t, total) for t in times])
