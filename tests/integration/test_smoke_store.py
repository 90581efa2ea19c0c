from eioku.store.uow import UnitOfWork

from tests.factories import add_video, store_run


def test_store_round_trip(session_factory):
    with UnitOfWork(session_factory) as uow:
        video = add_video(uow)
        run = store_run(uow, video.video_id, "scene", [(0, 1000), (1000, 2500)])
        uow.commit()
    with UnitOfWork(session_factory) as uow:
        arts = uow.artifacts.get_by_asset(video.video_id, "scene")
        assert [a.span_start_ms for a in arts] == [0, 1000]
        assert all(a.run_id == run.run_id for a in arts)


def test_delete_removes_artifact_and_projection_rows(session_factory):
    from sqlalchemy import text

    with UnitOfWork(session_factory) as uow:
        video = add_video(uow)
        store_run(uow, video.video_id, "object.detection", [(0, 10), (20, 30)])
        first, second = uow.artifacts.get_by_asset(video.video_id, "object.detection")
        assert uow.artifacts.delete(first.artifact_id)
        assert not uow.artifacts.delete(first.artifact_id)
        rows = uow.session.execute(text("SELECT artifact_id FROM object_labels")).scalars().all()
        assert rows == [second.artifact_id]
        spans = uow.session.execute(text("SELECT start_ms, end_ms FROM object_appearances")).all()
        assert [tuple(r) for r in spans] == [(20, 30)]  # the deleted detection left its appearance
        uow.videos.delete(video.video_id)
        for table in ("object_labels", "object_appearances"):
            assert uow.session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0
        assert uow.session.execute(text("SELECT count(*) FROM artifacts")).scalar_one() == 0
