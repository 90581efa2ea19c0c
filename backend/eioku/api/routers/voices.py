"""Voices: speakers matched across the library — list, rename, merge, unmerge,
and the link of a voice to a person's face (services/voices.py)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from eioku.api.deps import UowDep
from eioku.services import voices as service
from eioku.store.voices import Voice, VoiceRepository, VoiceTurn

router = APIRouter(tags=["voices"])
VoiceRef = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[^\x00]+$")]


class VoiceOut(BaseModel):
    voice_id: str
    name: str | None = Field(description="its own name (null when linked: the person's name is its name)")
    shown_as: str = Field(description="its name, else its person's name, else its id")
    merged_into: str | None
    person_id: str | None = Field(description="the person whose face it is linked to")
    person_name: str | None
    link: str | None = Field(description="auto (the rule in docs/architecture.md) | user | null")
    videos: int
    talk_ms: int
    turns: int = Field(description="its turns in those runs")
    speakers: int = Field(description="speakers of speakers runs in it, merged voices' included")
    merged_voices: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, v: Voice, merged: list[str] | None = None) -> VoiceOut:
        return cls(voice_id=v.voice_id, name=v.name, shown_as=v.shown_as, merged_into=v.merged_into,
                   person_id=v.person_id, person_name=v.person_name, link=v.link, videos=v.videos,
                   talk_ms=v.talk_ms, turns=v.turns, speakers=v.speakers, merged_voices=merged or [])


class VoicesOut(BaseModel):
    voices: list[VoiceOut]


class VoiceTurnOut(BaseModel):
    video_id: uuid.UUID
    title: str = Field(description="the video's file name")
    duration_ms: int | None
    speaker: str = Field(description="the speakers run's label in that video")
    start_ms: int
    end_ms: int
    overlap: bool = Field(description="another speaker talks at the same time")

    @classmethod
    def of(cls, t: VoiceTurn) -> VoiceTurnOut:
        return cls(video_id=t.video_id, title=t.title, duration_ms=t.duration_ms, speaker=t.speaker,
                   start_ms=t.start_ms, end_ms=t.end_ms, overlap=t.overlap)


class VoiceTurnsOut(BaseModel):
    voice_id: str
    total: int = Field(description="its turns in every video")
    videos: int
    turns: list[VoiceTurnOut]


class RenameVoice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(max_length=100, description="null (or blank) removes the name")


class MergeVoice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    into: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00]+$",
                      description="voice id or name to merge into")


class LinkVoice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00]+$",
                        description="person id or name")


def _detail(uow: UowDep, voice_id: str) -> VoiceOut:
    voices = VoiceRepository(uow.session)
    return VoiceOut.of(voices.get(voice_id), voices.merged_from(voice_id))


@router.get("/v1/voices", response_model=VoicesOut)
def list_voices(uow: UowDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> VoicesOut:
    """Voices across the library, the most heard first (talk time in each video's
    selected speakers run). Speakers runs not matched yet are matched first, and
    the face-voice rule is applied."""
    service.link_voices(uow.session)
    uow.commit()
    voices = VoiceRepository(uow.session)
    merged = voices.merged_map()
    return VoicesOut(voices=[VoiceOut.of(v, merged.get(v.voice_id)) for v in voices.list(limit, offset)])


@router.get("/v1/voices/{voice}", response_model=VoiceOut)
def get_voice(voice: VoiceRef, uow: UowDep) -> VoiceOut:
    """One voice by id, name, or its person's id or name (a merged-away id: the voice it joined)."""
    return _detail(uow, VoiceRepository(uow.session).resolve(voice).voice_id)


@router.get("/v1/voices/{voice}/turns", response_model=VoiceTurnsOut)
def voice_turns(voice: VoiceRef, uow: UowDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> VoiceTurnsOut:
    """A voice's turns across the library (its merged voices' included), in each
    video's selected speakers run, by video in recording order, then time."""
    voices = VoiceRepository(uow.session)
    found = voices.resolve(voice)
    turns, total, videos = voices.turns(found.voice_id, limit, offset)
    return VoiceTurnsOut(voice_id=found.voice_id, total=total, videos=videos,
                         turns=[VoiceTurnOut.of(t) for t in turns])


@router.patch("/v1/voices/{voice}", response_model=VoiceOut)
def rename_voice(voice: VoiceRef, body: RenameVoice, uow: UowDep) -> VoiceOut:
    """Name a voice (unique, case-insensitive: 409 otherwise). A voice linked to a
    person names the person: one name for both."""
    renamed = service.rename(uow.session, voice, body.name)
    uow.commit()
    return _detail(uow, renamed.voice_id)


@router.post("/v1/voices/{voice}/merge", response_model=VoiceOut)
def merge_voice(voice: VoiceRef, body: MergeVoice, uow: UowDep) -> VoiceOut:
    """Merge this voice into another (`into`): its speakers are the other's, in
    every video; `POST /v1/voices/{voice}/unmerge` undoes it."""
    merged = VoiceRepository(uow.session).merge(voice, body.into)
    uow.commit()
    return _detail(uow, merged.voice_id)


@router.post("/v1/voices/{voice}/unmerge", response_model=VoiceOut)
def unmerge_voice(voice: VoiceRef, uow: UowDep) -> VoiceOut:
    """Undo the merge that made this voice part of another."""
    back = VoiceRepository(uow.session).unmerge(voice)
    uow.commit()
    return _detail(uow, back.voice_id)


@router.post("/v1/voices/{voice}/link", response_model=VoiceOut)
def link_voice(voice: VoiceRef, body: LinkVoice, uow: UowDep) -> VoiceOut:
    """Link a voice to a person by hand (the rule keeps it)."""
    linked = service.link(uow.session, voice, body.person)
    uow.commit()
    return _detail(uow, linked.voice_id)


@router.post("/v1/voices/{voice}/unlink", response_model=VoiceOut)
def unlink_voice(voice: VoiceRef, uow: UowDep) -> VoiceOut:
    """Undo a voice's link to a person; the rule never makes that link again."""
    unlinked = service.unlink(uow.session, voice)
    uow.commit()
    return _detail(uow, unlinked.voice_id)
