"""Names and terms (people, organisations, places, dates, amounts, key terms)
across the library and per video, and the languages of a video's text."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from eioku.api.deps import SelectionDep, UowDep
from eioku.domain.enums import ArtifactType
from eioku.domain.models import NO_OVERRIDE, SelectionOverride
from eioku.store import terms as store

router = APIRouter(tags=["terms"])
EntityType = Literal["person", "org", "place", "date", "amount", "term"]
TermQuery = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00]*$",
                                        description="part of the name, any case")]


class TermOut(BaseModel):
    name: str = Field(description="as shown: the most common spelling of its mentions")
    label: str = Field(description="lower case: `jump?kind=entity&label=`, search's `entity=`")
    type: EntityType
    mentions: int
    videos: int
    first_ms: int | None = Field(default=None, description="per video: its first mention")

    @classmethod
    def of(cls, t: store.Term, per_video: bool = False) -> TermOut:
        return cls(name=t.name, label=t.label, type=t.type, mentions=t.mentions,  # type: ignore[arg-type]
                   videos=t.videos, first_ms=t.first_ms if per_video else None)


class TermsOut(BaseModel):
    terms: list[TermOut]
    total: int = Field(description="how many names and terms match, in all")
    limit: int
    offset: int


class VideoTermsOut(BaseModel):
    video_id: uuid.UUID
    run_id: uuid.UUID | None = Field(description="the entities run shown; null: none selected")
    terms: list[TermOut]


class LanguageOut(BaseModel):
    language: str = Field(description="ISO 639-1 code; `und`: too short or unsure to tell")
    source: Literal["transcript", "ocr"]
    items: int = Field(description="segments or on-screen lines in this language")
    duration_ms: int
    share: float = Field(description="of this source's segments or lines")


class VideoLanguagesOut(BaseModel):
    video_id: uuid.UUID
    run_id: uuid.UUID | None = Field(description="the languages run shown; null: none selected")
    languages: list[LanguageOut]
    spoken: str | None = Field(description="the language the transcript run heard, when one is "
                                           "selected")


@router.get("/v1/terms", response_model=TermsOut)
def list_terms(uow: UowDep, type: EntityType | None = None, q: TermQuery = None,  # noqa: A002
               limit: Annotated[int, Query(ge=1, le=store.MAX_LIMIT)] = 50,
               offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0) -> TermsOut:
    """The names and terms said or shown across the library (each video's selected
    entities run), most mentioned first, with how many mentions and videos: what
    there is to search for. `type` keeps one kind (person, org, place, date,
    amount, term); `q` keeps names containing it. Jump through a name's mentions
    with `jump?kind=entity&label=<label>`; `GET /v1/search?...&entity=<label>`
    keeps hits that mention it."""
    found, total = store.library_terms(uow.session, type_=type, q=(q or "").strip() or None,
                                       limit=limit, offset=offset)
    return TermsOut(terms=[TermOut.of(t) for t in found], total=total, limit=limit, offset=offset)


@router.get("/v1/videos/{video_id}/terms", response_model=VideoTermsOut)
def video_terms(video_id: uuid.UUID, uow: UowDep, selection: SelectionDep,
                type: EntityType | None = None,  # noqa: A002
                limit: Annotated[int, Query(ge=1, le=store.MAX_LIMIT)] = 100) -> VideoTermsOut:
    """One video's names and terms (its selected entities run), most mentioned
    first, each with its first mention."""
    uow.videos.get(video_id)
    run_id = store.selected_run(uow.session, video_id, ArtifactType.ENTITY_MENTION, selection)
    found = store.video_terms(uow.session, run_id, type_=type, limit=limit) if run_id else []
    return VideoTermsOut(video_id=video_id, run_id=run_id,
                         terms=[TermOut.of(t, per_video=True) for t in found])


@router.get("/v1/videos/{video_id}/languages", response_model=VideoLanguagesOut)
def video_languages(video_id: uuid.UUID, uow: UowDep, selection: SelectionDep) -> VideoLanguagesOut:
    """The languages of a video's transcript segments and on-screen lines (its
    selected languages run), and the language its transcript run heard."""
    uow.videos.get(video_id)
    return languages_of_video(uow.session, video_id, selection)


def languages_of_video(session: Session, video_id: uuid.UUID,
                       selection: SelectionOverride = NO_OVERRIDE) -> VideoLanguagesOut:
    """What `GET /v1/videos/{id}/languages` and `eioku languages` answer."""
    run_id = store.selected_run(session, video_id, ArtifactType.TEXT_LANGUAGE, selection)
    shares = store.video_languages(session, run_id) if run_id else []
    return VideoLanguagesOut(
        video_id=video_id, run_id=run_id, spoken=store.spoken_language(session, video_id, selection),
        languages=[LanguageOut(language=s.language, source=s.source,  # type: ignore[arg-type]
                               items=s.items, duration_ms=s.duration_ms, share=s.share)
                   for s in shares])
