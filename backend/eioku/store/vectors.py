"""Nearest text embeddings: pgvector's HNSW index where the server has the
``vector`` extension, an exact scan in plain SQL where it has not.

``text_embeddings.embedding`` is ``real[]`` everywhere. With pgvector the
index is on the expression ``embedding::vector(384)`` (cosine distance), so
the same table, projection and rebuild serve both modes, and the mode is
simply whether that index exists.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from eioku.artifacts.payloads.embeddings import EMBEDDING_DIM
from eioku.config import get_settings

log = logging.getLogger(__name__)
INDEX = "ix_text_embeddings_hnsw"
VectorMode = Literal["hnsw", "exact"]
_AS_VECTOR = f"embedding::vector({EMBEDDING_DIM})"
_QUERY_VECTOR = f"CAST(:qtext AS vector({EMBEDDING_DIM}))"


def create_vector_index(conn: Connection) -> bool:
    """Create the ``vector`` extension and the HNSW index when the server has
    pgvector and ``EIOKU_PGVECTOR`` is not ``off``. A server without it (or a
    role that may not create extensions) keeps the exact scan: True when the
    index exists afterwards."""
    if get_settings().pgvector == "off":
        return False
    available = conn.execute(text(
        "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector')")).scalar_one()
    if not available:
        log.info("semantic search: the server has no pgvector, so it scans embeddings exactly")
        return False
    try:
        with conn.begin_nested():  # a refusal must not abort the migration's transaction
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
    except Exception as exc:  # noqa: BLE001 - e.g. insufficient privilege: fall back, say why
        log.warning("semantic search: cannot create the vector extension (%s); exact scan", exc)
        return False
    conn.execute(text(f"CREATE INDEX IF NOT EXISTS {INDEX} ON text_embeddings "
                      f"USING hnsw (({_AS_VECTOR}) vector_cosine_ops)"))
    return True


def vector_mode(session: Session) -> VectorMode:
    found = session.execute(text("SELECT to_regclass(:i) IS NOT NULL"), {"i": INDEX}).scalar_one()
    return "hnsw" if found else "exact"


@dataclass(frozen=True)
class Neighbour:
    artifact_id: uuid.UUID
    video_id: uuid.UUID
    source: str
    start_ms: int
    end_ms: int
    text: str
    score: float  # cosine similarity, -1..1
    vector: bytes | None = None  # the stored embedding, when asked for (``floats`` reads it)


def nearest(session: Session, vector: list[float], *, limit: int,
            video_id: uuid.UUID | None = None,
            sources: tuple[str, ...] = ("transcript", "ocr", "shot"),
            with_vectors: bool = False) -> list[Neighbour]:
    """The embeddings of the selected ``text.embedding`` runs closest to
    ``vector`` (a unit vector), best first, in the library or one video.

    Library-wide with HNSW: the index's nearest rows, then those of selected
    runs (a full scan of the selection only when too few of them are). One
    video, or no pgvector: an exact scan of the rows of the selected runs."""
    mode = vector_mode(session)
    params: dict[str, Any] = {"limit": limit, "sources": list(sources), "video": video_id}
    scope = ("sr.artifact_type = 'text.embedding' AND t.source = ANY(:sources) "
             "AND (CAST(:video AS uuid) IS NULL OR sr.asset_id = :video)")
    columns = "t.artifact_id, t.asset_id, t.source, t.start_ms, t.end_ms, t.text"
    if with_vectors:  # PostgreSQL's binary form: read as one buffer, not 384 Python floats
        columns += ", array_send(t.embedding) AS embedding"
    if mode == "hnsw":
        params["qtext"] = "[" + ",".join(f"{x:.7g}" for x in vector) + "]"
        distance = f"t.{_AS_VECTOR} <=> {_QUERY_VECTOR}"
        if video_id is None:
            # the index alone first (the planner would rather sort a join of every
            # row: it cannot know that nearly all of them are selected), then the
            # selection; rows of runs not selected may crowd some out, hence the
            # margin, and a full query when even that is not enough
            over = min(1000, limit * 3)
            session.execute(text(f"SET LOCAL hnsw.ef_search = {max(40, over)}"))
            found = _rows(session, (
                f"WITH near AS MATERIALIZED (SELECT {columns}, t.run_id, {distance} AS distance "
                f"FROM text_embeddings t ORDER BY {distance} LIMIT {over}) "
                f"SELECT t.*, 1 - t.distance AS score FROM near t JOIN selected_runs sr "
                f"ON sr.run_id = t.run_id WHERE {scope} ORDER BY t.distance LIMIT :limit"), params)
            total = session.execute(text("SELECT count(*) FROM (SELECT 1 FROM text_embeddings "
                                         "LIMIT :n) x"), {"n": over + 1}).scalar_one() \
                if len(found) < limit else 0
            if len(found) == limit or total <= over:
                return found
        distance = f"({distance}) + 0"  # not the index: the rows of the selection, scanned
        sql = (f"SELECT {columns}, 1 - ({distance}) AS score FROM text_embeddings t "
               f"JOIN selected_runs sr ON sr.run_id = t.run_id WHERE {scope} "
               f"ORDER BY {distance}, t.start_ms LIMIT :limit")
    else:
        params["qarray"] = [float(x) for x in vector]
        sql = (f"SELECT {columns}, eioku_dot(t.embedding, CAST(:qarray AS real[])) AS score "
               f"FROM text_embeddings t JOIN selected_runs sr ON sr.run_id = t.run_id "
               f"WHERE {scope} ORDER BY score DESC, t.start_ms LIMIT :limit")
    return _rows(session, sql, params)


def floats(sent: bytes) -> Any:
    """A ``real[]`` as ``array_send`` gives it, as a numpy float32 array: after
    the header (dimensions, null flag, element type, size and lower bound: five
    int32), each element is its length (4) and its big-endian value."""
    import numpy as np

    return np.frombuffer(sent, dtype=">f4", offset=20)[1::2].astype(np.float32)


def _rows(session: Session, sql: str, params: dict[str, Any]) -> list[Neighbour]:
    return [Neighbour(r.artifact_id, r.asset_id, r.source, r.start_ms, r.end_ms, r.text,
                      float(r.score), getattr(r, "embedding", None))
            for r in session.execute(text(sql), params)]


def nearest_images(session: Session, vector: list[float], model: str, *, limit: int,
                   video_id: uuid.UUID | None = None) -> list[Neighbour]:
    """Sampled frames of the selected ``image.embedding`` runs closest to a
    query embedded by the same image-text ``model``: an exact scan (the
    vector size is the model's, so there is no fixed-size index)."""
    rows = session.execute(text(
        "SELECT t.artifact_id, t.asset_id, 'picture' AS source, t.start_ms, t.end_ms, "
        "'' AS text, eioku_dot(t.embedding, CAST(:q AS real[])) AS score FROM image_embeddings t "
        "JOIN selected_runs sr ON sr.run_id = t.run_id WHERE sr.artifact_type = 'image.embedding' "
        "AND t.model = :model AND cardinality(t.embedding) = :dim "
        "AND (CAST(:video AS uuid) IS NULL OR sr.asset_id = :video) "
        "ORDER BY score DESC, t.start_ms LIMIT :limit"),
        {"q": [float(x) for x in vector], "model": model, "dim": len(vector), "video": video_id,
         "limit": limit})
    return [Neighbour(r.artifact_id, r.asset_id, r.source, r.start_ms, r.end_ms, r.text,
                      float(r.score)) for r in rows]
