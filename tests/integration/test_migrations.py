"""Alembic is the only source of the schema: it must go up, down and up again,
and produce exactly the tables the code describes."""

from __future__ import annotations

import psycopg
import pytest
from eioku.db import migrate
from eioku.db.engine import make_engine, make_session_factory
from eioku.db.tables import Base
from eioku.store.uow import UnitOfWork
from sqlalchemy import inspect


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_name <> 'alembic_version' AND table_name NOT LIKE 'procrastinate%'"
        ).fetchall()
    return {r[0] for r in rows}


def test_upgrade_downgrade_upgrade(pg_cluster):
    url = pg_cluster.url(pg_cluster.create())
    migrate.upgrade(url)
    assert _tables(url) == set(Base.metadata.tables)
    migrate.downgrade(url, "base")
    with psycopg.connect(url) as conn:
        left = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                            "AND tablename <> 'alembic_version'").fetchone()[0]
    assert left == 0
    migrate.upgrade(url)
    assert _tables(url) == set(Base.metadata.tables)


def test_migrated_columns_match_the_table_classes(db_url):
    engine = make_engine(db_url)
    inspector = inspect(engine)
    for name, table in Base.metadata.tables.items():
        columns = {c["name"]: c for c in inspector.get_columns(name)}
        assert set(columns) == {c.name for c in table.columns}, name
    artifact_cols = {c["name"]: c for c in inspector.get_columns("artifacts")}
    assert not any(c["nullable"] for c in artifact_cols.values())  # R1.1
    indexes = {tuple(i["column_names"]) for i in inspector.get_indexes("artifacts")}
    assert ("asset_id", "artifact_type", "span_start_ms") in indexes  # R1.4
    assert ("asset_id", "artifact_type", "model_profile", "span_start_ms") in indexes  # R1.5
    for fts in ("transcript_fts", "ocr_fts"):
        assert any(i["name"] == f"ix_{fts}_tsv" for i in inspector.get_indexes(fts))
    for proj in ("scene_ranges", "transcript_fts", "ocr_fts", "object_labels", "face_clusters",
                 "place_labels"):
        assert {"artifact_id", "run_id", "asset_id"} <= set(
            c["name"] for c in inspector.get_columns(proj))
    engine.dispose()


def test_span_order_is_enforced_by_the_database(db_url):
    with psycopg.connect(db_url) as conn, pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "INSERT INTO videos (video_id, path, filename, content_hash, size_bytes) "
            "VALUES (gen_random_uuid(), '/x', 'x', 'h', 1)")
        conn.execute(
            "INSERT INTO runs (run_id, asset_id, analyzer, artifact_type, model_profile, producer, "
            "producer_version, config_hash, input_hash, status) SELECT gen_random_uuid(), "
            "video_id, 'a', 'scene', 'fast', 'p', '1', 'c', 'i', 'running' FROM videos")
        conn.execute(
            "INSERT INTO artifacts (artifact_id, asset_id, artifact_type, schema_version, "
            "span_start_ms, span_end_ms, payload, producer, producer_version, model_profile, "
            "config_hash, input_hash, run_id) SELECT gen_random_uuid(), asset_id, 'scene', 1, 10, 5, "
            "'{}', 'p', '1', 'fast', 'c', 'i', run_id FROM runs")


def test_0003_merges_detections_stored_before_it(pg_cluster):
    """Upgrading a database that already holds detections fills the appearance
    tables the same way the application does (completed runs only)."""
    url = pg_cluster.url(pg_cluster.create())
    migrate.upgrade(url, "0002")
    asset = "00000000-0000-0000-0000-000000000002"
    done, running = "00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000003"
    rows = [("dog", 0, 500, 0.5), ("dog", 500, 1000, 0.9), ("dog", 5000, 5500, 0.4),
            ("cat", 100, 600, 0.7)]
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO videos (video_id, path, filename, content_hash, size_bytes) "
                     "VALUES (%s, '/v.mp4', 'v.mp4', 'h', 1)", (asset,))
        for run, status in ((done, "completed"), (running, "running")):
            conn.execute("INSERT INTO runs (run_id, asset_id, analyzer, artifact_type, model_profile, "
                         "producer, producer_version, config_hash, input_hash, status) VALUES "
                         "(%s, %s, 'objects', 'object.detection', 'fast', 'p', '1', 'c', 'i', %s)",
                         (run, asset, status))
            for label, start, end, conf in rows:
                for table in ("object_labels", "face_clusters"):
                    conn.execute(f"INSERT INTO {table} VALUES (gen_random_uuid(), %s, %s, %s, %s, %s, %s)",
                                 (asset, run, start, end, label, conf))
    migrate.upgrade(url)
    with psycopg.connect(url) as conn:
        for table, key in (("object_appearances", "label"), ("face_appearances", "cluster_id")):
            got = conn.execute(f"SELECT {key}, start_ms, end_ms, confidence, detections FROM {table} "
                               f"ORDER BY start_ms, {key}").fetchall()
            assert got == [("dog", 0, 1000, 0.9, 2), ("cat", 100, 600, 0.7, 1),
                           ("dog", 5000, 5500, 0.4, 1)]


def _faces(url: str) -> dict[str, tuple[int, list[float], str | None]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT identity_id, faces, centroid, merged_into "
                            "FROM face_identities").fetchall()
    return {i: (f, [round(c, 9) for c in centroid], m) for i, f, centroid, m in rows}


def test_0013_gives_merged_people_their_own_faces(pg_cluster):
    """A database where a joined b and then b joined c, stored the old way (a
    merged row kept the faces it had when merged, a's included), is converted
    and back, and can then be unmerged in any order."""
    url = pg_cluster.url(pg_cluster.create())
    migrate.upgrade(url, "0012")
    with psycopg.connect(url) as conn:
        for identity, faces, centroid in (("p-a", 1, [0.0, 0.0]), ("p-b", 3, [2.0, 2.0]),
                                          ("p-c", 7, [30 / 7, 30 / 7])):
            conn.execute("INSERT INTO face_identities (identity_id, embedding_model, centroid, faces) "
                         "VALUES (%s, 'm', %s, %s)", (identity, centroid, faces))
        conn.execute("UPDATE face_identities SET merged_into = 'p-c' WHERE identity_id IN ('p-a', 'p-b')")
        for source, target, moved, faces, centroid in (("p-a", "p-b", [], 1, [0.0, 0.0]),
                                                       ("p-b", "p-c", ["p-a"], 3, [2.0, 2.0])):
            conn.execute("INSERT INTO people_merges (source_id, target_id, moved, source_centroid, "
                         "source_faces, target_centroid, target_faces) VALUES (%s, %s, %s, %s, %s, "
                         "'{1,1}', 1)", (source, target, moved, centroid, faces))
    old = _faces(url)
    migrate.upgrade(url)
    assert _faces(url) == {**old, "p-b": (2, [3.0, 3.0], "p-c")}  # b less a
    migrate.downgrade(url, "0012")
    assert _faces(url) == old
    migrate.upgrade(url)
    engine = make_engine(url)
    with UnitOfWork(make_session_factory(engine)) as uow:
        uow.people.unmerge("p-a")
        uow.people.unmerge("p-b")  # after a left on its own: b takes only its own faces back
        uow.commit()
    engine.dispose()
    assert _faces(url) == {"p-a": (1, [0.0, 0.0], None), "p-b": (2, [3.0, 3.0], None),
                           "p-c": (4, [6.0, 6.0], None)}
