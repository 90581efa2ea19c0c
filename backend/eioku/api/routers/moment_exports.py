"""Exports of moments — a collection, the moments given, or a query's results —
as an editing timeline (.otio, .edl, Final Cut Pro .xml, .fcpxml), CSV, JSON,
or one MP4 compilation made by a worker (eioku.exports)."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from eioku.api.deps import SettingsDep, UowDep
from eioku.api.download import disposition, stem
from eioku.api.routers.collections import MomentIn
from eioku.config import Settings
from eioku.exports import compilation, tables, timelines
from eioku.exports.moments import MAX_MOMENTS, ExportMoment, of_collection, of_query, resolve
from eioku.services import collections as collection_svc
from eioku.store.compilations import Compilation
from eioku.store.uow import UnitOfWork

router = APIRouter(tags=["exports"])


class MomentFormat(StrEnum):
    OTIO = "otio"
    EDL = "edl"
    FCP_XML = "xml"
    FCPXML = "fcpxml"
    CSV = "csv"
    JSON = "json"


class MomentsIn(BaseModel):
    """What to export: a collection, the moments themselves, or a query (one of them)."""

    model_config = ConfigDict(extra="forbid")
    title: Annotated[str, Field(max_length=800)] = "Moments"
    collection_id: uuid.UUID | None = None
    moments: Annotated[list[MomentIn], Field(max_length=MAX_MOMENTS)] | None = None
    query: Annotated[str, Field(max_length=8_000)] | None = None

    @model_validator(mode="after")
    def _one(self) -> MomentsIn:
        if sum(x is not None for x in (self.collection_id, self.moments, self.query)) != 1:
            raise ValueError("give one of collection_id, moments or query")
        return self


class ExportIn(MomentsIn):
    format: MomentFormat


class CompilationOut(BaseModel):
    compilation_id: uuid.UUID
    title: str
    state: str = Field(description="queued, running, ready or failed")
    progress: float = Field(description="0..1: the share of the moments' length written")
    error: str | None
    moments: int
    duration_ms: int | None = Field(description="The file's length, once ready.")
    size_bytes: int | None
    copied: int | None = Field(description="Moments whose packets were copied (each starts at the "
                                           "keyframe at or before it).")
    encoded: int | None = Field(description="Moments decoded and encoded (cut exactly).")
    file_url: str | None

    @classmethod
    def of(cls, c: Compilation) -> CompilationOut:
        return cls(compilation_id=c.compilation_id, title=c.title, state=c.state, progress=c.progress,
                   error=c.error, moments=len(c.moments), duration_ms=c.duration_ms,
                   size_bytes=c.size_bytes, copied=c.copied, encoded=c.encoded,
                   file_url=f"/v1/compilations/{c.compilation_id}/file" if c.state == "ready" else None)


def _moments(uow: UnitOfWork, settings: Settings, body: MomentsIn) -> list[ExportMoment]:
    if body.collection_id is not None:
        return of_collection(uow, settings, body.collection_id)
    if body.query is not None:
        return of_query(uow, settings, body.query)
    return resolve(uow, settings, [collection_svc.Moment(m.video_id, m.start_ms, m.end_ms, m.note)
                                   for m in body.moments or []])


def _render(moments: list[ExportMoment], title: str, fmt: MomentFormat) -> Response:
    name = f"{stem(title)}.{fmt.value}"
    if fmt is MomentFormat.CSV:
        return Response(tables.to_csv(moments), media_type="text/csv; charset=utf-8",
                        headers=disposition(name))
    if fmt is MomentFormat.JSON:
        return Response(tables.to_json(moments, title), media_type="application/json",
                        headers=disposition(name))
    tf = timelines.TimelineFormat(fmt.value)
    return Response(timelines.write(moments, title, tf), media_type=timelines.MEDIA_TYPE[tf],
                    headers=disposition(name))


@router.get("/v1/collections/{collection_id}/export.{fmt}",
            responses={200: {"content": {"application/json": {}, "text/csv": {}, "text/plain": {},
                                         "application/xml": {}}}})
def export_collection(collection_id: uuid.UUID, fmt: MomentFormat, uow: UowDep,
                      settings: SettingsDep) -> Response:
    """The collection's moments, in order: `otio` (OpenTimelineIO), `edl` (CMX 3600,
    one frame rate), `xml` (Final Cut Pro 7 XML: Premiere, Resolve, Kdenlive),
    `fcpxml` (Final Cut Pro X) — each clip referencing its original file with
    its source timecodes — or `csv` / `json` of the moments. 404: unknown
    collection or a moment's file gone; 422: empty, or an EDL of several rates."""
    moments = of_collection(uow, settings, collection_id)
    return _render(moments, collection_svc.get(uow, collection_id).name, fmt)


@router.post("/v1/moments/export",
             responses={200: {"content": {"application/json": {}, "text/csv": {}, "text/plain": {},
                                          "application/xml": {}}}})
def export_moments(body: ExportIn, uow: UowDep, settings: SettingsDep) -> Response:
    """The same exports of a collection, of moments given one by one, or of what a
    query finds (`query`: the combined query language; 409 until it is in this build)."""
    return _render(_moments(uow, settings, body), body.title, body.format)


@router.post("/v1/compilations", response_model=CompilationOut, status_code=202)
def ask_compilation(body: MomentsIn, uow: UowDep, settings: SettingsDep) -> CompilationOut:
    """Queue one MP4 of the moments in order, made by a worker (`eioku worker`):
    packets copied when every file has the same codec and parameters (each moment
    then starts at the keyframe at or before it), else encoded to H.264/AAC and cut
    exactly. At most an hour of moments (422). Poll GET /v1/compilations/{id}."""
    moments = _moments(uow, settings, body)
    made = compilation.request(uow, moments, body.title)
    uow.commit()
    return CompilationOut.of(made)


@router.get("/v1/compilations/{compilation_id}", response_model=CompilationOut)
def compilation_state(compilation_id: uuid.UUID, uow: UowDep) -> CompilationOut:
    return CompilationOut.of(compilation.get(uow, compilation_id))


@router.delete("/v1/compilations/{compilation_id}", status_code=204)
def delete_compilation(compilation_id: uuid.UUID, uow: UowDep, settings: SettingsDep) -> None:
    """Delete a compilation and its file (compilations are kept until deleted)."""
    compilation.delete(uow, settings, compilation_id)
    uow.commit()


@router.get("/v1/compilations/{compilation_id}/file", response_class=FileResponse,
            responses={200: {"content": {"video/mp4": {}}}})
async def compilation_file(compilation_id: uuid.UUID, uow: UowDep,
                           settings: SettingsDep) -> FileResponse:
    """The MP4, once ready (404 before), with Range support."""
    path, title = await run_in_threadpool(compilation.ready_file, uow, settings, compilation_id)
    return FileResponse(path, media_type="video/mp4", filename=f"{stem(title)}.mp4")
