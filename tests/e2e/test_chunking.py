"""A long video analysed in chunks gets the results of one pass over it.

The sample (12 s, cuts at 3/6/9 s, a sentence from 0.4, 3.4, 6.4 and 9.4 s)
is analysed by `eioku analyze` with 4-second chunks (borders at 4 and 8 s:
inside shots and inside spoken sentences) and 2 s of transcript overlap, on
a worker pool that takes chunk jobs in parallel; everything is compared with
the unchunked analysis of the same file (the shared ``analysed_sample``).
"""

from __future__ import annotations

import pytest
from eioku.cli import app as cli_app
from eioku.config import get_settings
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from tests.media import SAMPLE

pytestmark = pytest.mark.models

FRAME_MS = 40  # the sample is 25 fps


@pytest.fixture(scope="module")
def chunked(pg_cluster, template_db, analysed_sample, monkeypatch_module):
    name = pg_cluster.create(template=template_db)
    monkeypatch_module.setenv("DATABASE_URL", pg_cluster.url(name))
    monkeypatch_module.setenv("EIOKU_DATA_DIR", str(analysed_sample.data_dir))  # the model cache
    monkeypatch_module.setenv("EIOKU_CHUNK_S", "4")
    monkeypatch_module.setenv("EIOKU_CHUNK_OVERLAP_S", "2")
    monkeypatch_module.delenv("EIOKU_MEDIA_ROOTS", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["analyze", str(SAMPLE), "--json"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return name


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def _query(pg_cluster, database, sql):
    engine = create_engine(pg_cluster.url(database))
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def _both(pg_cluster, analysed_sample, chunked, sql):
    return _query(pg_cluster, analysed_sample.database, sql), _query(pg_cluster, chunked, sql)


def _payloads(artifact_type):
    return (f"SELECT a.span_start_ms, a.span_end_ms, a.payload FROM artifacts a JOIN runs r "
            f"USING (run_id) WHERE a.artifact_type = '{artifact_type}' AND r.status = 'completed' "
            f"ORDER BY a.span_start_ms, a.payload::text")


def _close(a, b, tolerance):
    return len(a) == len(b) and all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


def test_every_run_was_chunked_and_completed_whole(pg_cluster, chunked):
    runs = _query(pg_cluster, chunked, "SELECT analyzer, status, error FROM runs ORDER BY analyzer")
    assert all(status == "completed" for _, status, _ in runs), runs
    chunks = dict(_query(pg_cluster, chunked,
                         "SELECT r.analyzer, count(*) FROM run_chunks c JOIN runs r USING (run_id) "
                         "WHERE c.done_at IS NOT NULL AND c.partial IS NULL GROUP BY r.analyzer"))
    # 12 s in 4 s chunks: three chunk jobs for each analyzer that chunks (not metadata, nor the
    # stages that read the whole video's other runs or audio: chapters, entities, languages, sounds)
    assert chunks == {a: 3 for a in ("faces", "objects", "ocr", "places", "quality", "scenes",
                                     "segments", "speakers", "transcript")}
    jobs = _query(pg_cluster, chunked, "SELECT count(DISTINCT job_id) FROM run_chunks")
    # per chunk: one frame pass for every frame analyzer, one transcript job, and one speakers job
    # (it uses the chunk's transcript for its word gaps)
    assert jobs == [(9,)]


def test_cuts_within_one_frame(pg_cluster, analysed_sample, chunked):
    whole, parts = _both(pg_cluster, analysed_sample, chunked,
                         "SELECT start_ms FROM scene_ranges ORDER BY start_ms")
    assert len(whole) == 4
    assert _close([s for s, in whole], [s for s, in parts], FRAME_MS)


def test_identical_transcript_words_and_sentences(pg_cluster, analysed_sample, chunked):
    whole, parts = _both(pg_cluster, analysed_sample, chunked, _payloads("transcript.segment"))
    assert [p["text"] for _, _, p in parts] == [p["text"] for _, _, p in whole]
    assert [w["word"] for _, _, p in parts for w in p["words"]] == \
        [w["word"] for _, _, p in whole for w in p["words"]]
    # Whisper's word timings move a little with the audio around them (overlap vs whole file)
    assert _close([s for s, _, _ in parts], [s for s, _, _ in whole], 250)


def test_appearances_within_a_sampling_step(pg_cluster, analysed_sample, chunked):
    for table, key, step in (("object_appearances", "label", 500),
                             ("place_appearances", "label", 2000)):
        whole, parts = _both(pg_cluster, analysed_sample, chunked,
                             f"SELECT {key}, start_ms, end_ms FROM {table} ORDER BY {key}, start_ms")
        assert whole or table == "place_appearances"  # (the sample's shots name no place today)
        assert [k for k, _, _ in parts] == [k for k, _, _ in whole], table
        assert _close([x for _, s, e in parts for x in (s, e)],
                      [x for _, s, e in whole for x in (s, e)], step), table
    # one face cluster per person, whether the video was analysed whole or in chunks
    whole, parts = _both(pg_cluster, analysed_sample, chunked,
                         "SELECT count(DISTINCT cluster_id), count(*) FROM face_appearances")
    assert parts == whole and whole[0][0] >= 1


def test_object_tracks_continue_across_borders(pg_cluster, analysed_sample, chunked):
    whole, parts = _both(pg_cluster, analysed_sample, chunked, _payloads("object.detection"))
    strip = lambda rows: [(s, e, p["label"], p["track_id"], p["frame_number"]) for s, e, p in rows]  # noqa: E731
    assert strip(parts) == strip(whole)  # same frames sampled, same detections, same track ids


def test_on_screen_text_and_quality(pg_cluster, analysed_sample, chunked):
    whole, parts = _both(pg_cluster, analysed_sample, chunked, _payloads("ocr.text"))
    assert [p["text"] for _, _, p in parts] == [p["text"] for _, _, p in whole]
    assert _close([x for s, e, _ in parts for x in (s, e)], [x for s, e, _ in whole for x in (s, e)], 1000)
    whole, parts = _both(pg_cluster, analysed_sample, chunked, _payloads("video.quality"))
    keys = ("status", "frame_count", "scene_cut_count", "reasons")
    assert [{k: p[k] for k in keys} for _, _, p in parts] == [{k: p[k] for k in keys} for _, _, p in whole]
