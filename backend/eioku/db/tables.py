"""Table definitions (SQLAlchemy 2 typed mappings).

Alembic migrations are the only source of the schema; these classes describe
the same tables for queries, and a test checks that they match the migrated
database (``tests/integration/test_migrations.py``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import REAL, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSONB, uuid.UUID: UUID(as_uuid=True)}


class Video(Base):
    __tablename__ = "videos"

    video_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(Text, unique=True)  # None while registering
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)  # migration 0009
    pending_analysis: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    missing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # 0016
    # hash of the size and the first and last MiB (migration 0018; services.ingest)
    file_ends: Mapped[str | None] = mapped_column(Text)


class Run(Base):
    __tablename__ = "runs"

    run_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("videos.video_id", ondelete="CASCADE"))
    analyzer: Mapped[str] = mapped_column(Text)
    artifact_type: Mapped[str] = mapped_column(Text)
    model_profile: Mapped[str] = mapped_column(Text)
    producer: Mapped[str] = mapped_column(Text)
    producer_version: Mapped[str] = mapped_column(Text)
    config: Mapped[dict[str, Any]] = mapped_column(JSONB)
    config_hash: Mapped[str] = mapped_column(Text)
    input_hash: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    progress: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    timings: Mapped[dict[str, Any]] = mapped_column(JSONB)
    reused_from: Mapped[uuid.UUID | None] = mapped_column()
    job_id: Mapped[int | None] = mapped_column(BigInteger)


class Artifact(Base):
    __tablename__ = "artifacts"

    artifact_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("videos.video_id", ondelete="CASCADE"))
    artifact_type: Mapped[str] = mapped_column(Text)
    schema_version: Mapped[int] = mapped_column(Integer)
    span_start_ms: Mapped[int] = mapped_column(BigInteger)
    span_end_ms: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    producer: Mapped[str] = mapped_column(Text)
    producer_version: Mapped[str] = mapped_column(Text)
    model_profile: Mapped[str] = mapped_column(Text)
    config_hash: Mapped[str] = mapped_column(Text)
    input_hash: Mapped[str] = mapped_column(Text)
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("runs.run_id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ArtifactSelection(Base):
    __tablename__ = "artifact_selections"

    asset_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("videos.video_id", ondelete="CASCADE"), primary_key=True
    )
    artifact_type: Mapped[str] = mapped_column(Text, primary_key=True)
    mode: Mapped[str] = mapped_column(Text)
    preferred_profile: Mapped[str | None] = mapped_column(Text)
    pinned_run_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("runs.run_id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class _ProjectionRow:
    """Columns every projection row carries (SPEC §6)."""

    artifact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("artifacts.artifact_id", ondelete="CASCADE"), primary_key=True
    )
    asset_id: Mapped[uuid.UUID] = mapped_column()
    run_id: Mapped[uuid.UUID] = mapped_column()
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)


class SceneRange(_ProjectionRow, Base):
    __tablename__ = "scene_ranges"
    scene_index: Mapped[int] = mapped_column(Integer)


class TranscriptFts(_ProjectionRow, Base):
    __tablename__ = "transcript_fts"
    text: Mapped[str] = mapped_column(Text)
    tsv: Mapped[Any] = mapped_column(TSVECTOR)


class OcrFts(_ProjectionRow, Base):
    __tablename__ = "ocr_fts"
    text: Mapped[str] = mapped_column(Text)
    tsv: Mapped[Any] = mapped_column(TSVECTOR)


class ObjectLabel(_ProjectionRow, Base):
    __tablename__ = "object_labels"
    label: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)


class FaceCluster(_ProjectionRow, Base):
    __tablename__ = "face_clusters"
    cluster_id: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)


class PlaceLabel(_ProjectionRow, Base):
    __tablename__ = "place_labels"
    label: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)


class TextEmbedding(_ProjectionRow, Base):
    __tablename__ = "text_embeddings"  # migration 0011; HNSW on embedding::vector(384) with pgvector
    source: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    embedding: Mapped[list[float]] = mapped_column(ARRAY(REAL))


class ImageEmbedding(_ProjectionRow, Base):
    __tablename__ = "image_embeddings"  # migration 0012
    model: Mapped[str] = mapped_column(Text)
    embedding: Mapped[list[float]] = mapped_column(ARRAY(REAL))


class SpeakerTurnRow(_ProjectionRow, Base):
    __tablename__ = "speaker_turns"  # migration 0022
    speaker: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    overlap: Mapped[bool] = mapped_column(Boolean)


class ChapterRange(_ProjectionRow, Base):
    __tablename__ = "chapter_ranges"  # migration 0024
    chapter_index: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)


class EntityMentionRow(_ProjectionRow, Base):
    __tablename__ = "entity_mentions"  # migration 0025
    label: Mapped[str] = mapped_column(Text)  # lower(name): what jump and /v1/terms match
    name: Mapped[str] = mapped_column(Text)
    entity_type: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)


class TextLanguageRow(_ProjectionRow, Base):
    __tablename__ = "text_languages"  # migration 0025
    language: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    of_artifact_id: Mapped[uuid.UUID | None] = mapped_column()
    confidence: Mapped[float] = mapped_column(Float)


class AudioEventRow(_ProjectionRow, Base):
    __tablename__ = "audio_events"  # migration 0026
    label: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    loudness_lufs: Mapped[float | None] = mapped_column(Float)


class SegmentRow(_ProjectionRow, Base):
    __tablename__ = "segments"  # migration 0026
    segment_type: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)


class Voice(Base):
    """A voice across the library (migration 0023), maybe linked to a person."""

    __tablename__ = "voices"
    voice_id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    merged_into: Mapped[str | None] = mapped_column(ForeignKey("voices.voice_id"))
    person_id: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)  # 'auto' | 'user'
    refused_person: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VoiceMember(Base):
    """One speaker of a speakers run in a voice, with its centroid embedding."""

    __tablename__ = "voice_members"
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("runs.run_id", ondelete="CASCADE"),
                                              primary_key=True)
    speaker: Mapped[str] = mapped_column(Text, primary_key=True)
    voice_id: Mapped[str] = mapped_column(ForeignKey("voices.voice_id"))
    asset_id: Mapped[uuid.UUID] = mapped_column()
    centroid: Mapped[list[float]] = mapped_column(ARRAY(REAL))
    talk_ms: Mapped[int] = mapped_column(BigInteger)


class _AppearanceRow:
    """A run's detections of one label/cluster merged in time (migration 0003)."""

    run_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    asset_id: Mapped[uuid.UUID] = mapped_column()
    start_ms: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    confidence: Mapped[float] = mapped_column(Float)
    detections: Mapped[int] = mapped_column(Integer)


class ObjectAppearance(_AppearanceRow, Base):
    __tablename__ = "object_appearances"
    label: Mapped[str] = mapped_column(Text, primary_key=True)


class PlaceAppearance(_AppearanceRow, Base):
    __tablename__ = "place_appearances"  # migration 0005
    label: Mapped[str] = mapped_column(Text, primary_key=True)


class FaceAppearance(_AppearanceRow, Base):
    __tablename__ = "face_appearances"
    cluster_id: Mapped[str] = mapped_column(Text, primary_key=True)


class FaceIdentity(Base):
    """A person across the library (migration 0004): the running mean of the
    face embeddings of every per-video cluster that joined it."""

    __tablename__ = "face_identities"
    identity_id: Mapped[str] = mapped_column(Text, primary_key=True)
    embedding_model: Mapped[str] = mapped_column(Text)
    centroid: Mapped[list[float]] = mapped_column(ARRAY(Float))
    faces: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    name: Mapped[str | None] = mapped_column(Text)  # migration 0006
    merged_into: Mapped[str | None] = mapped_column(ForeignKey("face_identities.identity_id"))
    own_faces: Mapped[int] = mapped_column(Integer)  # migration 0014: its own faces only
    own_total: Mapped[list[float]] = mapped_column(ARRAY(Float))  # and their embedding sum


class PeopleMerge(Base):
    """One merge of two people, with what it changed, so it can be undone (migration 0006)."""

    __tablename__ = "people_merges"
    merge_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("face_identities.identity_id"))
    target_id: Mapped[str | None] = mapped_column(ForeignKey("face_identities.identity_id"))
    moved: Mapped[list[str]] = mapped_column(ARRAY(Text))
    source_name: Mapped[str | None] = mapped_column(Text)
    source_centroid: Mapped[list[float]] = mapped_column(ARRAY(Float))
    source_faces: Mapped[int] = mapped_column(Integer)
    target_centroid: Mapped[list[float]] = mapped_column(ARRAY(Float))
    target_faces: Mapped[int] = mapped_column(Integer)
    merged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class FaceIdentityMember(Base):
    """How many faces of one run joined an identity, and their embedding sum
    (migration 0007): centroids are recomputed from these."""

    __tablename__ = "face_identity_members"
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("runs.run_id", ondelete="CASCADE"),
                                              primary_key=True)
    identity_id: Mapped[str] = mapped_column(ForeignKey("face_identities.identity_id"),
                                             primary_key=True)
    faces: Mapped[int] = mapped_column(Integer)
    total: Mapped[list[float]] = mapped_column(ARRAY(Float))


class RunChunk(Base):
    """One time range of a chunked run and what its job found (migration 0008)."""

    __tablename__ = "run_chunks"
    __table_args__ = (Index("ix_run_chunks_job", "job_id"),)
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("runs.run_id", ondelete="CASCADE"),
                                              primary_key=True)
    chunk: Mapped[int] = mapped_column(Integer, primary_key=True)
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    partial: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    timings: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class VideoAlias(Base):
    """The id a registration answered with, when its content was already in the
    library (migration 0009): it stands for the existing video."""

    __tablename__ = "video_aliases"
    __table_args__ = (Index("ix_video_aliases_video", "video_id"),)
    alias_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    video_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("videos.video_id", ondelete="CASCADE"))


class SelectedRun(Base):
    """The run the stored policy selects per (video, artifact type), kept by
    triggers (migration 0010), with the video's place in recording order."""

    __tablename__ = "selected_runs"
    __table_args__ = (Index("ix_selected_runs_order", "artifact_type", "video_t", "asset_id"),
                      Index("ux_selected_runs_run", "run_id", unique=True))
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("videos.video_id", ondelete="CASCADE"),
                                                primary_key=True)
    artifact_type: Mapped[str] = mapped_column(Text, primary_key=True)
    run_id: Mapped[uuid.UUID] = mapped_column()
    video_t: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Library(Base):
    """A folder kept in sync with the library, and its current scan (migration 0016)."""

    __tablename__ = "libraries"
    library_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    path: Mapped[str] = mapped_column(Text, unique=True)
    watch: Mapped[bool] = mapped_column(Boolean)
    exclude: Mapped[list[str]] = mapped_column(ARRAY(Text))
    profile: Mapped[str] = mapped_column(Text)
    analyzers: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    paused: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    scan_state: Mapped[str] = mapped_column(Text)
    scan_found: Mapped[int] = mapped_column(Integer)
    scan_hashed: Mapped[int] = mapped_column(Integer)
    scan_queued: Mapped[int] = mapped_column(Integer)
    scan_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scanned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scan_error: Mapped[str | None] = mapped_column(Text)
    rescan_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LibraryFile(Base):
    """What the last scan saw of one file of a library: a rescan compares a
    ``stat`` with it and hashes only what changed (migration 0016)."""

    __tablename__ = "library_files"
    __table_args__ = (Index("ix_library_files_video", "video_id"),
                      Index("ix_library_files_inode", "library_id", "inode"))
    library_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("libraries.library_id", ondelete="CASCADE"), primary_key=True)
    rel_path: Mapped[str] = mapped_column(Text, primary_key=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    inode: Mapped[int] = mapped_column(BigInteger)
    video_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("videos.video_id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    gone_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LibraryLease(Base):
    """Which server watches a library, until when (migration 0016)."""

    __tablename__ = "library_leases"
    library_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("libraries.library_id", ondelete="CASCADE"), primary_key=True)
    holder: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PlaybackFile(Base):
    """A remux or proxy of a video for browsers, per audio track, and where its
    making stands (migration 0017; services.playback)."""

    __tablename__ = "playback_files"
    __table_args__ = (Index("playback_files_state", "state"),)
    video_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("videos.video_id", ondelete="CASCADE"), primary_key=True)
    audio_track: Mapped[int] = mapped_column(Integer, primary_key=True)
    mode: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text)
    progress: Mapped[float] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    file_name: Mapped[str | None] = mapped_column(Text)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    source_hash: Mapped[str] = mapped_column(Text)
    encoder: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Correction(Base):
    """One correction a person made to what a machine found, and whether it was
    undone (migration 0020; services.corrections)."""

    __tablename__ = "corrections"
    __table_args__ = (Index("ix_corrections_asset", "asset_id", "artifact_type", "created_at"),)
    correction_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("videos.video_id", ondelete="CASCADE"))
    artifact_type: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    target_key: Mapped[str] = mapped_column(Text)
    origin: Mapped[dict[str, Any]] = mapped_column(JSONB)
    value: Mapped[dict[str, Any]] = mapped_column(JSONB)
    author: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    undone_by: Mapped[str | None] = mapped_column(Text)


# ---- moments (migration 0027: services/bookmarks.py, collections.py, exports/compilation.py) ----
class Bookmark(Base):
    """A point or range of a video a person marked, with a note and tags."""

    __tablename__ = "bookmarks"
    __table_args__ = (Index("ix_bookmarks_asset", "asset_id", "start_ms"),)
    bookmark_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("videos.video_id", ondelete="CASCADE"))
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text))
    author: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BookmarkNote(_ProjectionRow, Base):
    __tablename__ = "bookmark_notes"
    bookmark_id: Mapped[uuid.UUID] = mapped_column()
    text: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text))
    tsv: Mapped[Any] = mapped_column(TSVECTOR)


class Collection(Base):
    __tablename__ = "collections"
    collection_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    query: Mapped[str | None] = mapped_column(Text)
    refreshed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CollectionItem(Base):
    __tablename__ = "collection_items"
    item_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    collection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("collections.collection_id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    asset_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("videos.video_id", ondelete="CASCADE"))
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text)
    bookmark_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("bookmarks.bookmark_id", ondelete="SET NULL"))
    from_query: Mapped[bool] = mapped_column(Boolean)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Compilation(Base):
    __tablename__ = "compilations"
    compilation_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    moments: Mapped[Any] = mapped_column(JSONB)
    state: Mapped[str] = mapped_column(Text)
    progress: Mapped[float] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    file_name: Mapped[str | None] = mapped_column(Text)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)
    copied: Mapped[int | None] = mapped_column(Integer)
    encoded: Mapped[int | None] = mapped_column(Integer)
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ServerSecret(Base):
    __tablename__ = "server_secrets"
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    secret: Mapped[bytes] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
