"""A moved file keeps its completed analysis: the real metadata analyzer runs
once, the file moves, the same video and its artifacts are still there."""

from __future__ import annotations

from eioku.store.libraries import LibraryRepository
from eioku.store.uow import UnitOfWork
from eioku_ml.worker.inprocess import run_until_done

from tests.integration.library.conftest import Lib, make_media, move


def test_a_moved_file_keeps_its_completed_analysis(session_factory, settings, folder, db_url):
    (a,) = make_media(folder, ["holiday.mp4"])
    lib = Lib(session_factory, settings, folder, analyzers=["metadata"])
    lib.scan()
    (video_id, _, _), = lib.videos().values()
    run_until_done(db_url, session_factory, [video_id], quiet=True, workers=1)
    done = lib.rows("SELECT run_id, status FROM runs WHERE asset_id = :v", v=video_id)
    assert [s for _, s in done] == ["completed"]
    artifacts = lib.count("SELECT count(*) FROM artifacts WHERE asset_id = :v", v=video_id)
    assert artifacts >= 1

    move(a, folder / "2024" / "summer" / "holiday (edited name).mp4")
    report = lib.scan()
    assert report.moved == 1 and report.added == 0 and report.queued == 0
    assert lib.videos() == {"holiday (edited name).mp4": (
        video_id, str(folder / "2024" / "summer" / "holiday (edited name).mp4"), False)}
    assert lib.rows("SELECT run_id, status FROM runs WHERE asset_id = :v", v=video_id) == done
    assert lib.count("SELECT count(*) FROM artifacts WHERE asset_id = :v", v=video_id) == artifacts
    with UnitOfWork(session_factory) as uow:
        counts = LibraryRepository(uow.session).counts()[lib.id]
    assert (counts["files"], counts["analysed"], counts["queued"], counts["missing"]) == (1, 1, 0, 0)
