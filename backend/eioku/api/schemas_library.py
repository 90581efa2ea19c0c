"""Request and response bodies of the library, people and player endpoints."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, ConfigDict, Field

from eioku.api.schemas import VideoOut
from eioku.domain.enums import ModelProfile
from eioku.services.library import Card, Current, Hit
from eioku.services.timeline import Box, Row
from eioku.store.people import Appearance, Person, PersonSeen


class PersonOut(BaseModel):
    cluster_id: str = Field(description="library-wide face identity, e.g. person-3")
    name: str | None = Field(description="the name a user gave this person")
    videos: int
    appearances: int
    detections: int
    first_video_id: uuid.UUID = Field(description="first video (in recording order) showing them")
    first_seen_ms: int = Field(description="start of their first appearance in that video")

    @classmethod
    def of(cls, seen: PersonSeen) -> PersonOut:
        return cls(cluster_id=seen.identity_id, name=seen.name, videos=seen.videos,
                   appearances=seen.appearances, detections=seen.detections,
                   first_video_id=seen.first_video_id, first_seen_ms=seen.first_ms)


class PeopleOut(BaseModel):
    people: list[PersonOut]


class MergedPersonOut(BaseModel):
    cluster_id: str
    name: str | None = Field(description="the name they had when merged (for an undo button)")


class PersonDetail(BaseModel):
    cluster_id: str
    name: str | None
    embedding_model: str
    faces: int = Field(description="faces in this person's centroid")
    merged_into: str | None = Field(description="set when this identity was merged into another")
    merged: list[str] = Field(description="identities merged into this person")
    merged_people: list[MergedPersonOut] = Field(
        default_factory=list, description="the same identities with the names they had")

    @classmethod
    def of(cls, p: Person, merged_names: dict[str, str | None] | None = None) -> PersonDetail:
        names = merged_names or {}
        return cls(cluster_id=p.identity_id, name=p.name, embedding_model=p.embedding_model,
                   faces=p.faces, merged_into=p.merged_into, merged=p.merged,
                   merged_people=[MergedPersonOut(cluster_id=m, name=names.get(m))
                                  for m in p.merged])


class AppearanceOut(BaseModel):
    video_id: uuid.UUID
    title: str = Field(description="the video's title (its file's name)")
    duration_ms: int | None
    start_ms: int
    end_ms: int
    confidence: float
    detections: int

    @classmethod
    def of(cls, a: Appearance) -> AppearanceOut:
        return cls(**vars(a))


class AppearancesOut(BaseModel):
    cluster_id: str
    name: str | None
    total: int = Field(description="appearances across the library")
    videos: int = Field(description="videos they appear in")
    limit: int
    offset: int
    appearances: list[AppearanceOut]


class RenamePerson(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(max_length=100, description="null (or blank) removes the name")


class MergePerson(BaseModel):
    model_config = ConfigDict(extra="forbid")
    into: str = Field(min_length=1, max_length=100, description="person id or name to merge into")


class MergeOut(BaseModel):
    merge_id: int
    source: str
    into: str
    moved: list[str] = Field(description="identities merged into the source before, moved along")


class AnalyzeVideo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    profile: ModelProfile = ModelProfile.FAST
    analyzers: list[str] | None = Field(default=None, max_length=20,
                                        description="Analyzers to run (default: all enabled).")


class AnalysisQueued(BaseModel):
    video_id: uuid.UUID
    run_ids: list[uuid.UUID]


class CurrentOut(BaseModel):
    running: list[str] = Field(description="analyzers running now (the stage)")
    waiting: list[str] = Field(description="analyzers queued, waiting for a worker or another")
    done: int = Field(description="runs of this analysis that ended")
    runs: int = Field(description="runs of this analysis (those queued since its first)")
    progress: float = Field(description="0..1 over this analysis's runs")
    elapsed_s: float
    eta_s: float | None = Field(description="seconds left at the pace so far; null while too "
                                            "early to tell")

    @classmethod
    def of(cls, c: Current) -> CurrentOut:
        return cls(**{**vars(c), "progress": round(c.progress, 4)})


class CardOut(BaseModel):
    video: VideoOut
    runs: int
    completed: int
    failed: int
    active: int = Field(description="runs queued or running")
    progress: float = Field(description="0..1 over all runs")
    scenes: int
    people: int
    objects: int = Field(description="distinct object labels")
    poster_ms: int = Field(description="a representative moment for the poster thumbnail")
    current: CurrentOut | None = Field(default=None, description="the analysis under way, if any")

    @classmethod
    def of(cls, c: Card) -> CardOut:
        return cls(video=VideoOut.model_validate(c.video), runs=c.runs, completed=c.completed,
                   failed=c.failed, active=c.active, progress=round(c.progress, 4), scenes=c.scenes,
                   people=c.people, objects=c.objects, poster_ms=c.poster_ms,
                   current=CurrentOut.of(c.current) if c.current else None)


class LibraryPage(BaseModel):
    cards: list[CardOut]
    total: int = Field(description="videos matching q and status, on every page")
    limit: int = 100
    offset: int = 0


class AnalysisCancelled(BaseModel):
    video_id: uuid.UUID
    cancelled: list[uuid.UUID] = Field(description="runs that were queued or running, now failed "
                                                   "with the reason 'cancelled by the user'")


class SearchHitOut(BaseModel):
    video_id: uuid.UUID
    filename: str
    source: str = Field(description="transcript | ocr | object | place | face | shot (a shot's "
                                    "description: what was seen, shown and said in one scene)")
    start_ms: int
    end_ms: int
    label: str | None = Field(description="object/place label or person id")
    snippet: str = Field(description="text with hits marked <mark>…</mark> (HTML-escape the rest)")
    score: float = Field(description="keyword: rank or confidence; semantic: cosine similarity; "
                                     "hybrid: reciprocal-rank-fusion score. Higher is better.")
    strength: str = Field(default="exact", description=(
        "how sure: exact (the words or label asked for) or, by meaning, fair | good | strong "
        "(weak: only with weak=true)"))
    relevance: float | None = Field(default=None, description=(
        "by meaning: standard deviations above the query's similarity to unrelated texts "
        "(a hit from 3); null for exact words"))
    language: str | None = Field(default=None, description=(
        "speech and on-screen text: the language of the line or segment (ISO 639-1; und: "
        "too short to tell), from the languages analyzer; null when not analysed"))

    @classmethod
    def of(cls, h: Hit, language: str | None = None) -> SearchHitOut:
        return cls(**vars(h), language=language)


class SearchFacetOut(BaseModel):
    label: str = Field(description="search again with entity=<label> to keep its moments")
    name: str
    type: str = Field(description="person | org | place | date | amount | term")
    hits: int = Field(description="hits during which it is said or shown")


class SearchOut(BaseModel):
    query: str
    mode: str = Field(default="keyword", description="keyword | semantic | hybrid")
    vector_index: str | None = Field(
        default=None, description="hnsw (pgvector) or exact (a scan, no pgvector); null for keyword")
    hits: list[SearchHitOut]
    weaker: int = Field(default=0, description=(
        "weak matches by meaning left out (ask with weak=true); 0 when they were asked for"))
    facets: list[SearchFacetOut] = Field(default_factory=list, description=(
        "the names and terms mentioned during the hits, most hits first (entities analyzer)"))
    notes: list[str] = Field(default_factory=list, description=(
        "what search did with text that is not English (a query or hits in another language)"))
    query_language: str | None = Field(default=None, description=(
        "the query's language when it is clearly not English; null otherwise"))


class TimelineItemOut(BaseModel):
    start_ms: int
    end_ms: int
    confidence: float | None = None
    text: str | None = None


class TimelineRowOut(BaseModel):
    kind: str = Field(description="scene | object | face | place | transcript | ocr (a jump kind)")
    key: str | None = Field(description="label or person id: the jump's label")
    title: str
    items: list[TimelineItemOut]

    @classmethod
    def of(cls, row: Row) -> TimelineRowOut:
        return cls(kind=str(row.kind), key=row.key, title=row.title,
                   items=[TimelineItemOut(**vars(i)) for i in row.items])


class TimelineOut(BaseModel):
    duration_ms: int | None
    fps: float | None = Field(description="frame rate of the file, for frame stepping")
    rows: list[TimelineRowOut]


class BoxOut(BaseModel):
    kind: str
    label: str
    name: str | None
    confidence: float
    start_ms: int
    end_ms: int
    x: float = Field(description="left edge, fraction of the picture width")
    y: float
    w: float
    h: float

    @classmethod
    def of(cls, b: Box) -> BoxOut:
        return cls(kind=b.kind, label=b.label, name=b.name, confidence=b.confidence,
                   start_ms=b.start_ms, end_ms=b.end_ms, **b.box)


class BoxesOut(BaseModel):
    t_ms: int
    boxes: list[BoxOut]
