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
