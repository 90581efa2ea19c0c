"""The library page's API: sort, filter and page past 500 videos; one card;
the analysis under way (stage, estimate); and cancelling it (every run ends
failed with a reason, its jobs cancelled or asked to abort)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from eioku.domain.enums import RunStatus
from eioku.domain.errors import InvalidTransitionError
from eioku.services.analysis import CANCELLED
from eioku.store.uow import UnitOfWork
from sqlalchemy import text

from tests.factories import add_run, add_video, store_run


@pytest.fixture
def three(session_factory):
    """b.mp4 (analysed, long), Apple.mov (analysing), cherry.mp4 (nothing yet, short)."""
    with UnitOfWork(session_factory) as uow:
        b = add_video(uow, filename="b.mp4", duration_ms=90_000, recorded_at=datetime(2020, 1, 1, tzinfo=UTC))
        apple = add_video(uow, filename="Apple.mov", duration_ms=30_000,
                          recorded_at=datetime(2021, 1, 1, tzinfo=UTC))
        cherry = add_video(uow, filename="cherry.mp4", duration_ms=5_000,
                           recorded_at=datetime(2019, 1, 1, tzinfo=UTC))
        store_run(uow, b.video_id, "scene", [(0, 1000)])
        add_run(uow, apple.video_id, "scene", status=RunStatus.QUEUED)
        for minutes, video in enumerate((b, apple, cherry)):  # added in this order
            uow.session.execute(text("UPDATE videos SET created_at = now() + make_interval(mins => :m) "
                                     "WHERE video_id = :v"), {"m": minutes, "v": video.video_id})
        uow.commit()
    return {"b": str(b.video_id), "apple": str(apple.video_id), "cherry": str(cherry.video_id)}


def titles(client, path="/v1/library", key="cards", **params):
    r = client.get(path, params=params)
    assert r.status_code == 200, r.text
    items = r.json()[key]
    return [(c["video"] if key == "cards" else c)["filename"] for c in items]


@pytest.mark.parametrize(("sort", "expected"), [
    ("recorded", ["cherry.mp4", "b.mp4", "Apple.mov"]),
    ("-recorded", ["Apple.mov", "b.mp4", "cherry.mp4"]),
    ("title", ["Apple.mov", "b.mp4", "cherry.mp4"]),
    ("-title", ["cherry.mp4", "b.mp4", "Apple.mov"]),
    ("duration", ["cherry.mp4", "Apple.mov", "b.mp4"]),
    ("-duration", ["b.mp4", "Apple.mov", "cherry.mp4"]),
    ("added", ["b.mp4", "Apple.mov", "cherry.mp4"]),
    ("-added", ["cherry.mp4", "Apple.mov", "b.mp4"]),
])
def test_sorts(client, three, sort, expected):
    assert titles(client, sort=sort) == expected
    assert titles(client, "/v1/videos", "videos", sort=sort) == expected


def test_filters_by_title_and_status(client, three):
    assert titles(client, q="MP4", sort="title") == ["b.mp4", "cherry.mp4"]
    assert titles(client, "/v1/videos", "videos", q="apple") == ["Apple.mov"]
    assert titles(client, q="%") == [] and titles(client, q="_") == []  # no LIKE wildcards
    assert titles(client, status="analysed") == ["b.mp4"]
    assert titles(client, status="analysing") == ["Apple.mov"]
    assert titles(client, status="not_analysed") == ["cherry.mp4"]
    assert titles(client, status="failed") == [] and titles(client, status="missing") == []
    assert titles(client, "/v1/videos", "videos", status="not_analysed") == ["cherry.mp4"]
    body = client.get("/v1/library", params={"q": "mp4", "limit": 1}).json()
    assert body["total"] == 2 and len(body["cards"]) == 1 and body["limit"] == 1
    for bad in ({"sort": "size"}, {"status": "done"}, {"q": "x" * 201}, {"limit": 501}):
        assert client.get("/v1/library", params=bad).status_code == 422, bad
    assert client.get("/v1/videos", params={"sort": "nope"}).status_code == 422
    assert client.get("/v1/videos", params={"status": "nope"}).status_code == 422


def test_pages_past_500_videos(client, session_factory):
    with UnitOfWork(session_factory) as uow:
        uow.session.execute(text(
            "INSERT INTO videos (video_id, path, filename, content_hash, size_bytes) "
            "SELECT gen_random_uuid(), '/media/v' || i || '.mp4', 'v' || lpad(i::text, 4, '0') || '.mp4', "
            "'sha256:page' || i, 1 FROM generate_series(1, 620) i"))
        uow.commit()
    seen = []
    for offset in (0, 500):
        body = client.get("/v1/library", params={"limit": 500, "offset": offset, "sort": "title"}).json()
        assert body["total"] == 620 and body["offset"] == offset
        seen += [c["video"]["filename"] for c in body["cards"]]
    assert seen == [f"v{i:04d}.mp4" for i in range(1, 621)]


def test_one_card_and_the_analysis_under_way(client, three, session_factory):
    apple = three["apple"]
    card = client.get(f"/v1/library/{apple}").json()
    assert card["video"]["filename"] == "Apple.mov" and card["active"] == 1
    assert card["current"]["running"] == [] and len(card["current"]["waiting"]) == 1  # queued
    assert card["current"]["eta_s"] is None  # too early to tell
    with UnitOfWork(session_factory) as uow:
        done = add_run(uow, uuid.UUID(apple), "transcript.segment", status=RunStatus.RUNNING)
        uow.runs.complete(done.run_id)
        running = add_run(uow, uuid.UUID(apple), "object.detection", status=RunStatus.RUNNING)
        uow.runs.set_progress(running.run_id, 0.5)
        uow.session.execute(text("UPDATE runs SET created_at = now() - interval '60 seconds', "
                                 "analyzer = artifact_type WHERE asset_id = :v"), {"v": apple})
        uow.commit()
    current = client.get(f"/v1/library/{apple}").json()["current"]
    assert current["running"] == ["object.detection"] and current["waiting"] == ["scene"]
    assert (current["done"], current["runs"]) == (1, 3)
    assert current["progress"] == pytest.approx(0.5)
    assert current["elapsed_s"] >= 60
    assert current["eta_s"] == pytest.approx(current["elapsed_s"], rel=0.05)  # half done: as long again
    assert client.get(f"/v1/library/{three['b']}").json()["current"] is None
    assert client.get(f"/v1/library/{uuid.uuid4()}").status_code == 404


def test_cancel_fails_every_run_with_a_reason_and_ends_its_jobs(client, session_factory):
    with UnitOfWork(session_factory) as uow:
        video = add_video(uow)
        uow.commit()
    queued = client.post(f"/v1/videos/{video.video_id}/analyze", json={"profile": "fast"})
    assert queued.status_code == 202, queued.text
    run_ids = queued.json()["run_ids"]
    with UnitOfWork(session_factory) as uow:
        jobs = dict(uow.session.execute(text(
            "SELECT run_id, job_id FROM runs WHERE asset_id = :v AND job_id IS NOT NULL"),
            {"v": video.video_id}).all())
        assert jobs, "some runs had their jobs deferred"
        started_run, started_job = next(iter(jobs.items()))
        uow.session.execute(text("UPDATE procrastinate_jobs SET status = 'doing' WHERE id = :j"),
                            {"j": started_job})
        uow.runs.start(started_run)
        uow.commit()
    r = client.post(f"/v1/videos/{video.video_id}/cancel")
    assert r.status_code == 200, r.text
    assert sorted(r.json()["cancelled"]) == sorted(run_ids)
    with UnitOfWork(session_factory) as uow:
        runs = uow.session.execute(text("SELECT status, error FROM runs WHERE asset_id = :v"),
                                   {"v": video.video_id}).all()
        assert {(s, e) for s, e in runs} == {("failed", CANCELLED)}
        states = dict(uow.session.execute(text(
            "SELECT id, status::text || '/' || abort_requested::text FROM procrastinate_jobs "
            "WHERE id = ANY(:j)"), {"j": list(jobs.values())}).all())
        assert states.pop(started_job) == "doing/true"  # its worker is asked to stop
        assert set(states.values()) <= {"cancelled/true"}
        with pytest.raises(InvalidTransitionError):  # a worker finishing it cannot complete it
            uow.runs.complete(started_run)
    again = client.post(f"/v1/videos/{video.video_id}/cancel")
    assert again.status_code == 200 and again.json()["cancelled"] == []
    card = client.get(f"/v1/library/{video.video_id}").json()
    assert card["active"] == 0 and card["failed"] == len(run_ids)
    assert client.post(f"/v1/videos/{uuid.uuid4()}/cancel").status_code == 404
