"""Collections: named, ordered moments across videos (services/collections.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from eioku.api.deps import UowDep
from eioku.artifacts.envelope import MAX_SPAN_MS
from eioku.services import collections as svc
from eioku.store.collections import Collection, Item

router = APIRouter(tags=["collections"])

Ms = Annotated[int, Field(ge=0, le=MAX_SPAN_MS)]
Name = Annotated[str, Field(min_length=1, max_length=800)]


class CollectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    query: Annotated[str, Field(max_length=8_000)] | None = Field(
        None, description="Save the collection from a query of the combined query language: "
                          "its moments, refreshed by POST .../refresh.")


class RenameIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name


class MomentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    video_id: uuid.UUID
    start_ms: Ms
    end_ms: Ms | None = None
    note: Annotated[str, Field(max_length=8_000)] = ""


class ItemsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    moments: Annotated[list[MomentIn], Field(max_length=1000)] = Field(default_factory=list)
    bookmark_ids: Annotated[list[uuid.UUID], Field(max_length=1000)] = Field(default_factory=list)
    position: Annotated[int, Field(ge=0, le=1_000_000)] | None = Field(
        None, description="Where they go (0: first); default: at the end.")

    @model_validator(mode="after")
    def _one(self) -> ItemsIn:
        if bool(self.moments) == bool(self.bookmark_ids):
            raise ValueError("give moments or bookmark_ids (one of them, not empty)")
        return self


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_ids: Annotated[list[uuid.UUID], Field(max_length=1000)]


class ItemOut(BaseModel):
    item_id: uuid.UUID
    position: int
    video_id: uuid.UUID
    filename: str
    start_ms: int
    end_ms: int
    note: str
    bookmark_id: uuid.UUID | None
    from_query: bool = Field(description="Put there by the saved query (a refresh replaces it).")
    added_at: datetime

    @classmethod
    def of(cls, i: Item) -> ItemOut:
        return cls(item_id=i.item_id, position=i.position, video_id=i.asset_id, filename=i.filename,
                   start_ms=i.start_ms, end_ms=i.end_ms, note=i.note, bookmark_id=i.bookmark_id,
                   from_query=i.from_query, added_at=i.added_at)


class CollectionOut(BaseModel):
    collection_id: uuid.UUID
    name: str
    query: str | None
    refreshed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    item_count: int
    duration_ms: int = Field(description="The moments' spans added up.")

    @classmethod
    def of(cls, c: Collection) -> CollectionOut:
        return cls(collection_id=c.collection_id, name=c.name, query=c.query,
                   refreshed_at=c.refreshed_at, created_at=c.created_at, updated_at=c.updated_at,
                   item_count=c.items, duration_ms=c.duration_ms)


class CollectionDetail(CollectionOut):
    items: list[ItemOut]


class CollectionList(BaseModel):
    collections: list[CollectionOut]


def _detail(uow: UowDep, collection_id: uuid.UUID) -> CollectionDetail:
    c = svc.get(uow, collection_id)
    return CollectionDetail(**CollectionOut.of(c).model_dump(),
                            items=[ItemOut.of(i) for i in svc.items(uow, collection_id)])


@router.get("/v1/collections", response_model=CollectionList)
def list_collections(uow: UowDep) -> CollectionList:
    from eioku.store.collections import CollectionStore

    return CollectionList(collections=[CollectionOut.of(c) for c in CollectionStore(uow.session).list()])


@router.post("/v1/collections", response_model=CollectionDetail, status_code=201)
def create_collection(body: CollectionIn, uow: UowDep) -> CollectionDetail:
    """A new, empty collection; with `query`, saved from that query (filled from it
    when the combined query language is in this build)."""
    created = svc.create(uow, body.name, body.query)
    uow.commit()
    return _detail(uow, created.collection_id)


@router.get("/v1/collections/{collection_id}", response_model=CollectionDetail)
def get_collection(collection_id: uuid.UUID, uow: UowDep) -> CollectionDetail:
    """The collection and its moments in order."""
    return _detail(uow, collection_id)


@router.patch("/v1/collections/{collection_id}", response_model=CollectionDetail)
def rename_collection(collection_id: uuid.UUID, body: RenameIn, uow: UowDep) -> CollectionDetail:
    svc.rename(uow, collection_id, body.name)
    uow.commit()
    return _detail(uow, collection_id)


@router.delete("/v1/collections/{collection_id}", status_code=204)
def delete_collection(collection_id: uuid.UUID, uow: UowDep) -> None:
    """Delete the collection (its moments' videos and bookmarks stay)."""
    svc.delete(uow, collection_id)
    uow.commit()


@router.post("/v1/collections/{collection_id}/items", response_model=CollectionDetail,
             status_code=201)
def add_items(collection_id: uuid.UUID, body: ItemsIn, uow: UowDep) -> CollectionDetail:
    """Add moments (a video and a span) or bookmarks (their span and note are
    copied) at `position`, or at the end. 404: unknown collection, video or
    bookmark; 422: a span outside its video, over 1,000 moments."""
    if body.moments:
        svc.add_moments(uow, collection_id, [svc.Moment(m.video_id, m.start_ms, m.end_ms, m.note)
                                             for m in body.moments], body.position)
    else:
        svc.add_bookmarks(uow, collection_id, body.bookmark_ids, body.position)
    uow.commit()
    return _detail(uow, collection_id)


@router.delete("/v1/collections/{collection_id}/items/{item_id}", response_model=CollectionDetail)
def remove_item(collection_id: uuid.UUID, item_id: uuid.UUID, uow: UowDep) -> CollectionDetail:
    svc.remove(uow, collection_id, item_id)
    uow.commit()
    return _detail(uow, collection_id)


@router.put("/v1/collections/{collection_id}/order", response_model=CollectionDetail)
def reorder(collection_id: uuid.UUID, body: OrderIn, uow: UowDep) -> CollectionDetail:
    """The moments in a new order: every item id of the collection, once each."""
    svc.reorder(uow, collection_id, body.item_ids)
    uow.commit()
    return _detail(uow, collection_id)


@router.post("/v1/collections/{collection_id}/refresh", response_model=CollectionDetail)
def refresh(collection_id: uuid.UUID, uow: UowDep) -> CollectionDetail:
    """Run a saved query again: what it finds now (new videos too) replaces what it
    found before; moments added by hand stay. 409: not saved from a query, or the
    combined query language is not in this build."""
    svc.refresh(uow, collection_id)
    uow.commit()
    return _detail(uow, collection_id)
