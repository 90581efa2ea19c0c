"""Collections: named, ordered moments across videos (docs/api.md, "Moments").

Create, rename, add (moments, or bookmarks whose span and note they copy),
remove, reorder, delete. A collection saved from a query keeps the query's
text; refreshing runs it again through the combined query language
(``eioku.query``, ``POST /v1/query``) and replaces the items the query put
there, keeping those a person added, so new videos that match join it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eioku.db.steps import run
from eioku.domain.errors import ConflictError, NotFoundError, ValidationFailedError
from eioku.services import bookmarks as bookmark_svc
from eioku.store.collections import Collection, CollectionStore, Item, NewItem
from eioku.store.uow import UnitOfWork

MAX_ITEMS = 1_000  # moments in one collection
MAX_NAME = 200
MAX_QUERY = 2_000


class CollectionNotFoundError(NotFoundError):
    """No collection with that id."""


@dataclass(frozen=True)
class Moment:
    video_id: uuid.UUID
    start_ms: int
    end_ms: int | None = None
    note: str = ""


def _name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValidationFailedError("a collection needs a name", field="name")
    if len(cleaned) > MAX_NAME or "\x00" in cleaned:
        raise ValidationFailedError(f"a name is at most {MAX_NAME} characters", field="name")
    return cleaned


def _store(uow: UnitOfWork) -> CollectionStore:
    return CollectionStore(uow.session)


def get(uow: UnitOfWork, collection_id: uuid.UUID, *, lock: bool = False) -> Collection:
    found = _store(uow).get(collection_id, lock=lock)
    if found is None:
        raise CollectionNotFoundError(f"no collection with id {collection_id}")
    return found


def create(uow: UnitOfWork, name: str, query: str | None = None) -> Collection:
    if query is not None:
        query = query.strip()
        if not query or len(query) > MAX_QUERY or "\x00" in query:
            raise ValidationFailedError(f"a saved query is 1 to {MAX_QUERY} characters", field="query")
        check_query(query)
    created = _store(uow).create(_name(name), query)
    if query is not None and query_runner() is not None:
        refresh(uow, created.collection_id)
    return get(uow, created.collection_id)


def rename(uow: UnitOfWork, collection_id: uuid.UUID, name: str) -> Collection:
    get(uow, collection_id, lock=True)
    _store(uow).update(collection_id, name=_name(name))
    return get(uow, collection_id)


def delete(uow: UnitOfWork, collection_id: uuid.UUID) -> None:
    if not _store(uow).delete(collection_id):
        raise CollectionNotFoundError(f"no collection with id {collection_id}")


def items(uow: UnitOfWork, collection_id: uuid.UUID) -> list[Item]:
    get(uow, collection_id)
    return _store(uow).items(collection_id)


def _room(uow: UnitOfWork, collection: Collection, adding: int) -> None:
    if collection.items + adding > MAX_ITEMS:
        raise ValidationFailedError(f"a collection holds at most {MAX_ITEMS} moments "
                                    f"({collection.items} now, {adding} more asked)", field="items")


def add_moments(uow: UnitOfWork, collection_id: uuid.UUID, moments: list[Moment],
                at: int | None = None) -> list[Item]:
    collection = get(uow, collection_id, lock=True)
    _room(uow, collection, len(moments))
    new = []
    for m in moments:
        video = uow.videos.get(m.video_id)  # 404 for an unknown video
        end = bookmark_svc.check_span(m.start_ms, m.end_ms, video.duration_ms)
        new.append(NewItem(video.video_id, m.start_ms, end, bookmark_svc.clean_note(m.note)))
    ids = set(_store(uow).add(collection_id, new, at))
    _store(uow).update(collection_id)
    return [i for i in _store(uow).items(collection_id) if i.item_id in ids]


def add_bookmarks(uow: UnitOfWork, collection_id: uuid.UUID, bookmark_ids: list[uuid.UUID],
                  at: int | None = None) -> list[Item]:
    collection = get(uow, collection_id, lock=True)
    _room(uow, collection, len(bookmark_ids))
    marks = [bookmark_svc.get(uow, b) for b in bookmark_ids]  # 404 for an unknown bookmark
    ids = set(_store(uow).add(collection_id, [
        NewItem(b.asset_id, b.start_ms, b.end_ms, b.note, b.bookmark_id) for b in marks], at))
    _store(uow).update(collection_id)
    return [i for i in _store(uow).items(collection_id) if i.item_id in ids]


def remove(uow: UnitOfWork, collection_id: uuid.UUID, item_id: uuid.UUID) -> None:
    get(uow, collection_id, lock=True)
    if not _store(uow).remove(collection_id, [item_id]):
        raise NotFoundError(f"collection {collection_id} has no item {item_id}")
    _store(uow).update(collection_id)


def reorder(uow: UnitOfWork, collection_id: uuid.UUID, item_ids: list[uuid.UUID]) -> list[Item]:
    get(uow, collection_id, lock=True)
    now = {i.item_id for i in _store(uow).items(collection_id)}
    if len(set(item_ids)) != len(item_ids) or set(item_ids) != now:
        raise ValidationFailedError(f"give every one of the collection's {len(now)} items once, "
                                    "in the new order", field="item_ids")
    _store(uow).reorder(collection_id, item_ids)
    _store(uow).update(collection_id)
    return _store(uow).items(collection_id)


# ---- saved queries ----------------------------------------------------------
QueryRunner = Callable[[Any, str, int], list[Moment]]


def query_runner() -> QueryRunner | None:
    """The combined query language's runner (eioku.query), when this build has it:
    the query's moments in the library's order (recording time, then time in the video)."""
    try:
        from eioku.query.parse import parse
        from eioku.query.plan import MAX_LIMIT, Order, query_steps
    except ImportError:
        return None

    def moments(session: Any, q: str, limit: int) -> list[Moment]:
        tree = parse(q)  # 422 with the place of the mistake
        found = run(session, query_steps(tree, limit=max(1, min(limit, MAX_LIMIT)), order=Order.TIME))
        return [Moment(m.video_id, m.start_ms, m.end_ms) for m in found.moments]

    return moments


def check_query(q: str) -> None:
    """A saved query must read (422 otherwise), when the language is in this build."""
    try:
        from eioku.query.parse import parse
    except ImportError:
        return
    parse(q)


def refresh(uow: UnitOfWork, collection_id: uuid.UUID) -> Collection:
    """Run the collection's query again: the moments it finds now replace those it put
    there before (in the query's order, after the ones a person added)."""
    collection = get(uow, collection_id, lock=True)
    if collection.query is None:
        raise ConflictError("this collection was not saved from a query: there is nothing to refresh")
    runner = query_runner()
    if runner is None:
        raise ConflictError("combined queries (POST /v1/query) are not in this build; the query "
                            "is kept and the collection refreshes once they are")
    store = _store(uow)
    store.remove_from_query(collection_id)
    room = MAX_ITEMS - len(store.items(collection_id))
    found = runner(uow.session, collection.query, room) if room > 0 else []
    store.add(collection_id, [NewItem(m.video_id, m.start_ms, m.end_ms if m.end_ms is not None
                                      else m.start_ms, m.note[:2000], None, True)
                              for m in found[:room]])
    store.update(collection_id, refreshed=True)
    return get(uow, collection_id)
