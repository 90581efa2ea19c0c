"""Migration 0026 projects the sounds and segments stored before it (as a
rebuild would) and goes down again cleanly."""

from __future__ import annotations

import json

import psycopg
from eioku.db import migrate

ASSET, RUN = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b"


def _artifact(conn: psycopg.Connection, artifact_type: str, start: int, end: int, payload: dict) -> None:
    conn.execute(
        "INSERT INTO artifacts (artifact_id, asset_id, artifact_type, schema_version, span_start_ms, "
        "span_end_ms, payload, producer, producer_version, model_profile, config_hash, input_hash, "
        "run_id) VALUES (gen_random_uuid(), %s, %s, 1, %s, %s, %s, 'p', '1', 'fast', 'c', 'i', %s)",
        (ASSET, artifact_type, start, end, json.dumps(payload), RUN))


def test_0026_projects_sounds_and_segments_stored_before_it(pg_cluster):
    url = pg_cluster.url(pg_cluster.create())
    migrate.upgrade(url, "0025")
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO videos (video_id, path, filename, content_hash, size_bytes) "
                     "VALUES (%s, '/v.mp4', 'v.mp4', 'h', 1)", (ASSET,))
        conn.execute("INSERT INTO runs (run_id, asset_id, analyzer, artifact_type, model_profile, "
                     "producer, producer_version, config_hash, input_hash, status) VALUES "
                     "(%s, %s, 'sounds', 'audio.event', 'fast', 'p', '1', 'c', 'i', 'completed')",
                     (RUN, ASSET))
        _artifact(conn, "audio.event", 0, 5000, {"label": "Music", "confidence": 0.9, "loudness_lufs": -20.5})
        _artifact(conn, "audio.event", 5000, 7000, {"label": "silence", "confidence": 0.8,
                                                    "loudness_lufs": None})
        _artifact(conn, "segment", 0, 4000, {"type": "intro", "confidence": 0.7, "shared_with": 2})
    migrate.upgrade(url, "0026")
    with psycopg.connect(url) as conn:
        events = conn.execute("SELECT start_ms, label, confidence, loudness_lufs FROM audio_events "
                              "ORDER BY start_ms").fetchall()
        assert events == [(0, "music", 0.9, -20.5), (5000, "silence", 0.8, None)]
        assert conn.execute("SELECT start_ms, end_ms, segment_type, confidence FROM segments"
                            ).fetchall() == [(0, 4000, "intro", 0.7)]
    migrate.downgrade(url, "0025")
    with psycopg.connect(url) as conn:
        left = conn.execute("SELECT count(*) FROM pg_tables WHERE tablename IN ('audio_events', "
                            "'segments')").fetchone()[0]
        assert left == 0
        assert conn.execute("SELECT count(*) FROM artifacts").fetchone()[0] == 3  # kept
