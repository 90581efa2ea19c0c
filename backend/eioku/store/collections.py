"""Collections: named, ordered lists of moments across videos (migration 0027).

An item is a moment — a video and a span, a note, the bookmark it was made
from if any — at a position 0..n-1 of its collection. Positions stay dense:
every change that moves, adds or removes items writes them again in one
statement (the unique constraint is checked at commit).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

_COLLECTION = "collection_id, name, query, refreshed_at, created_at, updated_at"
_ITEM = ("i.item_id, i.collection_id, i.position, i.asset_id, i.start_ms, i.end_ms, i.note, "
         "i.bookmark_id, i.from_query, i.added_at, v.filename")


@dataclass(frozen=True)
class Collection:
    collection_id: uuid.UUID
    name: str
    query: str | None
    refreshed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    items: int = 0
    duration_ms: int = 0


@dataclass(frozen=True)
class Item:
    item_id: uuid.UUID
    collection_id: uuid.UUID
    position: int
    asset_id: uuid.UUID
    start_ms: int
    end_ms: int
    note: str
    bookmark_id: uuid.UUID | None
    from_query: bool
    added_at: datetime
    filename: str


@dataclass(frozen=True)
class NewItem:
    asset_id: uuid.UUID
    start_ms: int
    end_ms: int
    note: str = ""
    bookmark_id: uuid.UUID | None = None
    from_query: bool = False


def _collection(row: Any) -> Collection:
    return Collection(**row._mapping)


class CollectionStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    def create(self, name: str, query: str | None = None) -> Collection:
        row = self.session.execute(text(
            f"INSERT INTO collections (collection_id, name, query) VALUES (:id, :name, :query) "
            f"RETURNING {_COLLECTION}"), {"id": uuid.uuid4(), "name": name, "query": query}).one()
        return _collection(row)

    def get(self, collection_id: uuid.UUID, *, lock: bool = False) -> Collection | None:
        row = self.session.execute(text(
            f"SELECT {_COLLECTION}, "
            "(SELECT count(*) FROM collection_items i WHERE i.collection_id = c.collection_id) AS items, "
            "(SELECT COALESCE(sum(i.end_ms - i.start_ms), 0) FROM collection_items i "
            " WHERE i.collection_id = c.collection_id) AS duration_ms "
            f"FROM collections c WHERE collection_id = :id{' FOR UPDATE' if lock else ''}"),
            {"id": collection_id}).one_or_none()
        return _collection(row) if row else None

    def list(self) -> list[Collection]:
        rows = self.session.execute(text(
            f"SELECT {_COLLECTION}, count(i.item_id) AS items, "
            "COALESCE(sum(i.end_ms - i.start_ms), 0) AS duration_ms FROM collections c "
            "LEFT JOIN collection_items i USING (collection_id) "
            f"GROUP BY c.collection_id ORDER BY lower(c.name), c.created_at, c.collection_id"))
        return [_collection(r) for r in rows]

    def update(self, collection_id: uuid.UUID, *, name: str | None = None,
               refreshed: bool = False) -> None:
        self.session.execute(text(
            "UPDATE collections SET name = COALESCE(:name, name), updated_at = clock_timestamp(), "
            "refreshed_at = CASE WHEN :refreshed THEN clock_timestamp() ELSE refreshed_at END "
            "WHERE collection_id = :id"), {"id": collection_id, "name": name, "refreshed": refreshed})

    def delete(self, collection_id: uuid.UUID) -> bool:
        return self.session.execute(text(  # type: ignore[attr-defined, no-any-return]
            "DELETE FROM collections WHERE collection_id = :id"), {"id": collection_id}).rowcount > 0

    # ---- items ------------------------------------------------------------------
    def items(self, collection_id: uuid.UUID) -> list[Item]:
        rows = self.session.execute(text(
            f"SELECT {_ITEM} FROM collection_items i JOIN videos v ON v.video_id = i.asset_id "
            "WHERE i.collection_id = :id ORDER BY i.position"), {"id": collection_id})
        return [Item(**r._mapping) for r in rows]

    def add(self, collection_id: uuid.UUID, items: list[NewItem], at: int | None = None) -> list[uuid.UUID]:
        """Insert ``items`` at position ``at`` (the end when None); their ids."""
        count = self.session.execute(text(
            "SELECT count(*) FROM collection_items WHERE collection_id = :id"),
            {"id": collection_id}).scalar_one()
        at = count if at is None else max(0, min(at, count))
        self.session.execute(text(
            "UPDATE collection_items SET position = position + :n "
            "WHERE collection_id = :id AND position >= :at"),
            {"id": collection_id, "n": len(items), "at": at})
        ids = [uuid.uuid4() for _ in items]
        if items:
            self.session.execute(text(
                "INSERT INTO collection_items (item_id, collection_id, position, asset_id, start_ms, "
                "end_ms, note, bookmark_id, from_query) VALUES (:item_id, :cid, :position, :a, :s, :e, "
                ":note, :b, :q)"),
                [{"item_id": i, "cid": collection_id, "position": at + n, "a": it.asset_id,
                  "s": it.start_ms, "e": it.end_ms, "note": it.note, "b": it.bookmark_id,
                  "q": it.from_query} for n, (i, it) in enumerate(zip(ids, items, strict=True))])
        return ids

    def remove(self, collection_id: uuid.UUID, item_ids: list[uuid.UUID]) -> int:
        gone = self.session.execute(text(
            "DELETE FROM collection_items WHERE collection_id = :id AND item_id = ANY(:ids)"),
            {"id": collection_id, "ids": item_ids}).rowcount  # type: ignore[attr-defined]
        self._renumber(collection_id)
        return gone  # type: ignore[no-any-return]

    def remove_from_query(self, collection_id: uuid.UUID) -> None:
        self.session.execute(text(
            "DELETE FROM collection_items WHERE collection_id = :id AND from_query"),
            {"id": collection_id})
        self._renumber(collection_id)

    def reorder(self, collection_id: uuid.UUID, item_ids: list[uuid.UUID]) -> None:
        """Positions in the order given (a permutation of the collection's items)."""
        self.session.execute(text(
            "UPDATE collection_items i SET position = o.n - 1 "
            "FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY AS o(item_id, n) "
            "WHERE i.collection_id = :id AND i.item_id = o.item_id"),
            {"id": collection_id, "ids": item_ids})

    def _renumber(self, collection_id: uuid.UUID) -> None:
        self.session.execute(text(
            "UPDATE collection_items i SET position = o.n FROM (SELECT item_id, "
            "row_number() OVER (ORDER BY position, item_id) - 1 AS n FROM collection_items "
            "WHERE collection_id = :id) o WHERE i.item_id = o.item_id AND i.position <> o.n"),
            {"id": collection_id})
