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
        uow.videos.delete(video.video_id)
        assert uow.session.execute(text("SELECT count(*) FROM object_labels")).scalar_one() == 0
        assert uow.session.execute(text("SELECT count(*) FROM artifacts")).scalar_one() == 0
