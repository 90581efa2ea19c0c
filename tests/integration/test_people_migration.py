"""Migration 0014: own faces from the recorded faces of each video's current
run; rows summed from them; unmerge after a deletion works on the result."""

from __future__ import annotations

import psycopg
import pytest
from eioku.db import migrate
from eioku.db.engine import make_engine, make_session_factory
from eioku.domain.errors import PersonNotFoundError
from eioku.store.uow import UnitOfWork


def _run(conn, video: str, created: str, status: str = "completed") -> str:  # type: ignore[no-untyped-def]
    return conn.execute(
        "INSERT INTO runs (run_id, asset_id, analyzer, artifact_type, model_profile, producer, "
        "producer_version, config_hash, input_hash, status, created_at) VALUES (gen_random_uuid(), "
        "%s, 'faces', 'face.detection', 'fast', 'p', '1', 'c', 'i', %s, %s) RETURNING run_id",
        (video, status, created)).fetchone()[0]


def test_0014_counts_own_faces_from_the_current_runs(pg_cluster):
    """a (video 1) was merged into b (video 2). Video 1 was analysed twice: only
    its newer run's 3 faces count; b's row becomes the sum of both people."""
    url = pg_cluster.url(pg_cluster.create())
    migrate.upgrade(url, "0013")
    with psycopg.connect(url) as conn:
        v1, v2 = (conn.execute(
            "INSERT INTO videos (video_id, path, filename, content_hash, size_bytes) VALUES "
            "(gen_random_uuid(), %s, 'x', %s, 1) RETURNING video_id", (f"/{n}", n)).fetchone()[0]
            for n in ("one", "two"))
        old, new, other = (_run(conn, v1, "2026-01-01"), _run(conn, v1, "2026-01-02"),
                           _run(conn, v2, "2026-01-01"))
        # the rows as 0013 left them: a merged row with its own (stale) faces, b with both
        conn.execute("INSERT INTO face_identities (identity_id, embedding_model, centroid, faces) "
                     "VALUES ('p-b', 'm', '{3,0}', 4), ('p-a', 'm', '{0,0}', 2)")
        conn.execute("UPDATE face_identities SET merged_into = 'p-b' WHERE identity_id = 'p-a'")
        conn.execute("INSERT INTO people_merges (source_id, target_id, moved, source_centroid, "
                     "source_faces, target_centroid, target_faces) VALUES ('p-a', 'p-b', '{}', "
                     "'{0,0}', 2, '{6,0}', 2)")
        for run, identity, faces, total in ((old, "p-a", 2, [0.0, 0.0]), (new, "p-a", 3, [0.0, 3.0]),
                                            (other, "p-b", 2, [12.0, 0.0])):
            conn.execute("INSERT INTO face_identity_members (run_id, identity_id, faces, total) "
                         "VALUES (%s, %s, %s, %s)", (run, identity, faces, total))
    migrate.upgrade(url, "0014")
    with psycopg.connect(url) as conn:
        rows = {r[0]: r[1:] for r in conn.execute(
            "SELECT identity_id, own_faces, own_total, faces, centroid FROM face_identities")}
    assert rows["p-a"] == (3, [0.0, 3.0], 3, [0.0, 1.0])
    assert rows["p-b"][:3] == (2, [12.0, 0.0], 5)
    assert rows["p-b"][3] == pytest.approx([12 / 5, 3 / 5])
    migrate.upgrade(url)  # today's store code reads today's schema
    engine = make_engine(url)
    with UnitOfWork(make_session_factory(engine)) as uow:
        uow.videos.delete(v1)  # a's only video: a is forgotten, b keeps its own faces
        with pytest.raises(PersonNotFoundError):
            uow.people.unmerge("p-a")
        assert uow.people.get("p-b").faces == 2
    engine.dispose()
    migrate.downgrade(url, "0013")
    migrate.upgrade(url)
