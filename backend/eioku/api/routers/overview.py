"""A video at a glance: its chapters, and the summary card (services/overview.py)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from eioku.api.deps import SelectionDep, UowDep
from eioku.services import overview

router = APIRouter(tags=["summary"])


class ChapterOut(BaseModel):
    artifact_id: uuid.UUID
    start_ms: int
    end_ms: int
    title: str
    key_phrases: list[str] = Field(description="best first")
    title_source: str = Field(description="speech (key phrases), shots (what they show) or none")


class ChaptersOut(BaseModel):
    video_id: uuid.UUID
    chapters: list[ChapterOut]


class SummaryOut(BaseModel):
    video_id: uuid.UUID
    duration_ms: int | None
    chapters: list[ChapterOut]
    people: list[dict[str, Any]] = Field(
        description="person_id, name, screen_ms, appearances, first_ms, talk_ms (their voices')")
    speakers: list[dict[str, Any]] = Field(
        description="speaker, name, voice_id, talk_ms, turns, share (of all talk)")
    names: list[dict[str, Any]] = Field(description="name, type, mentions, first_ms (entity.mention)")
    terms: list[dict[str, Any]] = Field(description="name, mentions, first_ms (key terms)")
    sounds: list[dict[str, Any]] = Field(
        description="label, spans, total_ms, first_ms, loudness_lufs (audio.event)")
    segments: list[dict[str, Any]] = Field(description="type, start_ms, end_ms (intro, credits, …)")
    languages: list[dict[str, Any]] = Field(description="language, source, lines, total_ms")
    loudness_lufs: float | None = Field(description="the whole programme's loudness (EBU R128)")


@router.get("/v1/videos/{video_id}/chapters", response_model=ChaptersOut)
def video_chapters(video_id: uuid.UUID, uow: UowDep, selection: SelectionDep) -> ChaptersOut:
    """The selected chapters run's chapters in order (jump with `jump?kind=chapter`)."""
    uow.videos.get(video_id)
    return ChaptersOut(video_id=video_id, chapters=[
        ChapterOut(**c) for c in overview.chapters(uow.session, video_id, selection)])


@router.get("/v1/videos/{video_id}/summary", response_model=SummaryOut)
def video_summary(video_id: uuid.UUID, uow: UowDep, selection: SelectionDep) -> SummaryOut:
    """What the video is about at a glance; a section is empty until its stage has run."""
    o = overview.video_overview(uow, video_id, selection)
    return SummaryOut(video_id=o.video_id, duration_ms=o.duration_ms,
                      chapters=[ChapterOut(**c) for c in o.chapters], people=o.people,
                      speakers=o.speakers, names=o.names, terms=o.terms, sounds=o.sounds,
                      segments=o.segments, languages=o.languages, loudness_lufs=o.loudness_lufs)
