"""Migration 0020 (corrections) goes down and up again: down, the user runs and
their projection rows go with the corrections, and the selection is the
machine's again (the old rule would take a user run for the newest run)."""

from __future__ import annotations

import psycopg
from alembic.script import ScriptDirectory
from eioku.db import migrate
from eioku.db.engine import make_engine, make_session_factory
from eioku.services import corrections
from eioku.store.uow import UnitOfWork

from tests.factories import add_run, add_video, payload_for


def _selected(url: str, video) -> tuple[str, str]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT r.producer, (SELECT string_agg(text, '|' ORDER BY start_ms) FROM transcript_fts "
            "WHERE run_id = s.run_id) FROM selected_runs s JOIN runs r ON r.run_id = s.run_id "
            "WHERE s.asset_id = %s AND s.artifact_type = 'transcript.segment'",
            (video.video_id,)).fetchone()


def test_0020_down_and_up_again(pg_cluster):
    url = pg_cluster.url(pg_cluster.create())
    migrate.upgrade(url)
    before = ScriptDirectory.from_config(migrate.alembic_config(url)).get_revision("0020").down_revision
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with UnitOfWork(factory) as uow:
        video = add_video(uow)
        run = add_run(uow, video.video_id, "transcript.segment")
        uow.artifacts.batch_create(run, [
            {"span_start_ms": 0, "span_end_ms": 1000,
             "payload": payload_for("transcript.segment", text="helo world")},
            {"span_start_ms": 1000, "span_end_ms": 2000,
             "payload": payload_for("transcript.segment", text="second line")}])
        uow.runs.complete(run.run_id)
        first = corrections.lines(uow, video.video_id)[0]
        corrections.correct_line(uow, video.video_id, first.artifact_id, new_text="hello world",
                                 start_ms=None, end_ms=None, by="local user")
        uow.commit()
    engine.dispose()
    assert _selected(url, video) == ("user", "hello world|second line")

    migrate.downgrade(url, before)
    assert _selected(url, video) == ("test-producer", "helo world|second line")
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM runs WHERE producer = 'user'").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM transcript_fts").fetchone()[0] == 2
        assert conn.execute("SELECT to_regclass('corrections')").fetchone()[0] is None
        assert conn.execute("SELECT count(*) FROM pg_proc WHERE proname = 'eioku_machine_run'"
                            ).fetchone()[0] == 0

    migrate.upgrade(url)
    assert _selected(url, video) == ("test-producer", "helo world|second line")
    engine = make_engine(url)
    with UnitOfWork(make_session_factory(engine)) as uow:  # the store works on the upgraded schema
        first = corrections.lines(uow, video.video_id)[0]
        outcome = corrections.correct_line(uow, video.video_id, first.artifact_id,
                                           new_text="hello again", start_ms=None, end_ms=None,
                                           by="local user")
        uow.commit()
        assert outcome.run_id is not None
    engine.dispose()
    assert _selected(url, video) == ("user", "hello again|second line")
