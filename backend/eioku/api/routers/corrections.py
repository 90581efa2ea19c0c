"""Corrections: fix a transcript line, remove or rename a label, undo (services/corrections.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from eioku.api.deps import SettingsDep, UowDep
from eioku.artifacts.envelope import MAX_SPAN_MS
from eioku.services import corrections as svc
from eioku.store.corrections import Correction

router = APIRouter(tags=["corrections"])

# generous: the service says what is wrong with text that is too long, in words a person reads
Text = Annotated[str, Field(max_length=4 * svc.MAX_TEXT)]
Ms = Annotated[int, Field(ge=0, le=MAX_SPAN_MS)]


class LineCorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    artifact_id: uuid.UUID = Field(description="A transcript line of this video, as shown "
                                               "(`GET .../corrections/lines`) or of any of its runs.")
    text: Text | None = Field(None, description="The line's new words (1 to 5,000 characters).")
    start_ms: Ms | None = None
    end_ms: Ms | None = None

    @model_validator(mode="after")
    def _something(self) -> LineCorrectionIn:
        if self.text is None and self.start_ms is None and self.end_ms is None:
            raise ValueError("give text, start_ms or end_ms: what the line becomes")
        return self


class LabelCorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    artifact_type: Literal["object.detection", "place.classification"]
    label: Annotated[str, Field(min_length=1, max_length=4 * svc.MAX_LABEL)]
    action: Literal["remove", "rename"]
    to: Annotated[str, Field(min_length=1, max_length=4 * svc.MAX_LABEL)] | None = Field(
        None, description="The new name (rename only).")

    @model_validator(mode="after")
    def _to(self) -> LabelCorrectionIn:
        if (self.action == "rename") != (self.to is not None):
            raise ValueError("`to` is the new name of a rename, and only of a rename")
        return self


class CorrectionOut(BaseModel):
    correction_id: uuid.UUID
    video_id: uuid.UUID
    artifact_type: str
    kind: str = Field(description="segment, remove_label or rename_label")
    origin: dict[str, Any] = Field(description="What the machine said (a line, or a label).")
    value: dict[str, Any] = Field(description="What it became.")
    author: str
    created_at: datetime
    undone_at: datetime | None
    undone_by: str | None
    in_force: bool = Field(description="Shown now: not undone, and the newest of its line or label.")

    @classmethod
    def of(cls, c: Correction, in_force: bool) -> CorrectionOut:
        origin = {k: v for k, v in c.origin.items() if k != "payload"}
        value = {k: v for k, v in c.value.items() if k not in ("vector", "model")}
        return cls(correction_id=c.correction_id, video_id=c.asset_id, artifact_type=c.artifact_type,
                   kind=c.kind, origin=origin, value=value, author=c.author,
                   created_at=c.created_at, undone_at=c.undone_at, undone_by=c.undone_by,
                   in_force=in_force)


class CorrectionResult(BaseModel):
    correction: CorrectionOut
    run_id: uuid.UUID | None = Field(description="The user run that now shows this video's "
                                                 "corrections of that type (null: none in force).")


class CorrectionList(BaseModel):
    corrections: list[CorrectionOut]


class LineOut(BaseModel):
    artifact_id: uuid.UUID
    start_ms: int
    end_ms: int
    text: str
    correction_id: uuid.UUID | None = Field(description="The correction this line shows, to undo it.")
    machine_text: str | None = Field(description="What the machine heard, on a corrected line.")
    translation: str | None = Field(default=None, description=(
        "The line's English translation (speech in another language, EIOKU_TRANSLATE=1)."))


class LineList(BaseModel):
    lines: list[LineOut]


def _result(outcome: svc.Outcome, in_force: bool) -> CorrectionResult:
    return CorrectionResult(correction=CorrectionOut.of(outcome.correction, in_force),
                            run_id=outcome.run_id)


@router.get("/v1/videos/{video_id}/corrections", response_model=CorrectionList)
def list_corrections(video_id: uuid.UUID, uow: UowDep) -> CorrectionList:
    """Every correction of this video, oldest first, undone ones too (who, when)."""
    return CorrectionList(corrections=[CorrectionOut.of(c, f)
                                       for c, f in svc.corrections(uow, video_id)])


@router.get("/v1/videos/{video_id}/corrections/lines", response_model=LineList)
def transcript_lines(video_id: uuid.UUID, uow: UowDep) -> LineList:
    """The transcript lines as every read shows them, with ids to correct them by
    and, on corrected lines, the correction and the machine's text."""
    return LineList(lines=[LineOut(**vars(line)) for line in svc.lines(uow, video_id)])


@router.post("/v1/videos/{video_id}/corrections/lines", response_model=CorrectionResult,
             status_code=201)
def correct_line(video_id: uuid.UUID, body: LineCorrectionIn, uow: UowDep,
                 settings: SettingsDep) -> CorrectionResult:
    """Give a transcript line new words and/or timing. What is not given stays as
    shown. Find, search, jump, the timeline, subtitles and export.json show it at
    once, and over any later analysis. 404: no such line; 422: another video's
    line, not a line, empty or too long text (5,000 characters), a timing
    outside the video, backwards or longer than 10 minutes."""
    outcome = svc.correct_line(uow, video_id, body.artifact_id, new_text=body.text,
                               start_ms=body.start_ms, end_ms=body.end_ms,
                               by=svc.author(settings))
    uow.commit()
    return _result(outcome, True)


@router.post("/v1/videos/{video_id}/corrections/labels", response_model=CorrectionResult,
             status_code=201)
def correct_label(video_id: uuid.UUID, body: LabelCorrectionIn, uow: UowDep,
                  settings: SettingsDep) -> CorrectionResult:
    """Remove a label from this video (`action: remove`) or rename it (`rename`,
    `to`), in every run of its type, this one and any later one. 404: no
    detection of this video has that label."""
    outcome = svc.correct_label(uow, video_id, body.artifact_type, body.label,
                                rename_to=body.to if body.action == "rename" else None,
                                by=svc.author(settings))
    uow.commit()
    return _result(outcome, True)


@router.post("/v1/videos/{video_id}/corrections/{correction_id}/undo",
             response_model=CorrectionResult)
def undo_correction(video_id: uuid.UUID, correction_id: uuid.UUID, uow: UowDep,
                    settings: SettingsDep) -> CorrectionResult:
    """Undo one correction: the line or label shows what it showed before it (an
    earlier correction, or the machine's). 404: not a correction of this video;
    409: undone already."""
    outcome = svc.undo(uow, video_id, correction_id, by=svc.author(settings))
    uow.commit()
    return _result(outcome, False)
