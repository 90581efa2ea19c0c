"""A person's page over HTTP: every appearance across the library (paged, in
recording order, with video titles), merges that bring appearances along, and
the names of who was merged (for undo buttons that say names)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from eioku.store.uow import UnitOfWork

from tests.factories import add_video, payload_for, store_run


def face(cluster_id: str) -> dict:
    return payload_for("face.detection", cluster_id=cluster_id)


@pytest.fixture
def library(session_factory):
    """Alice in two videos (three appearances), Bob in the later one."""
    with UnitOfWork(session_factory) as uow:
        alice, bob = (next(iter(uow.faces.assign("m", {"c": [[float(i * 10), 0.0]]}, 0.5).values()))
                      for i in range(2))
        later = add_video(uow, filename="later.mp4", duration_ms=60_000,
                          recorded_at=datetime(2024, 5, 2, tzinfo=UTC))
        earlier = add_video(uow, filename="earlier.mp4", duration_ms=30_000,
                            recorded_at=datetime(2024, 5, 1, tzinfo=UTC))
        store_run(uow, later.video_id, "face.detection", [(9000, 9500), (1000, 1500), (20_000, 20_500)],
                  payloads=[face(alice), face(bob), face(alice)])
        store_run(uow, earlier.video_id, "face.detection", [(5000, 5500)], payloads=[face(alice)])
        uow.commit()
    return {"alice": alice, "bob": bob, "later": str(later.video_id), "earlier": str(earlier.video_id)}


def test_appearances_across_the_library_in_order_with_titles(client, library):
    r = client.get(f"/v1/people/{library['alice']}/appearances")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["total"], body["videos"], body["cluster_id"]) == (3, 2, library["alice"])
    got = [(a["title"], a["start_ms"], a["end_ms"]) for a in body["appearances"]]
    assert got == [("earlier.mp4", 5000, 5500), ("later.mp4", 9000, 9500), ("later.mp4", 20_000, 20_500)]
    assert body["appearances"][0]["video_id"] == library["earlier"]
    assert body["appearances"][0]["duration_ms"] == 30_000
    page = client.get(f"/v1/people/{library['alice']}/appearances", params={"limit": 2, "offset": 1}).json()
    assert [a["start_ms"] for a in page["appearances"]] == [9000, 20_000]
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
    past = client.get(f"/v1/people/{library['alice']}/appearances", params={"offset": 50}).json()
    assert past["appearances"] == [] and past["total"] == 3


def test_appearances_by_name_and_refusals(client, library):
    client.patch(f"/v1/people/{library['alice']}", json={"name": "Alice"})
    body = client.get("/v1/people/alice/appearances").json()
    assert body["name"] == "Alice" and body["total"] == 3
    assert client.get("/v1/people/nobody/appearances").status_code == 404
    assert client.get(f"/v1/people/{library['alice']}/appearances", params={"limit": 0}).status_code == 422
    assert client.get(f"/v1/people/{library['alice']}/appearances", params={"offset": -1}).status_code == 422


def test_a_merge_brings_appearances_and_keeps_the_name_for_undo(client, library):
    alice, bob = library["alice"], library["bob"]
    client.patch(f"/v1/people/{alice}", json={"name": "Alice"})
    client.patch(f"/v1/people/{bob}", json={"name": "Bob"})
    assert client.post(f"/v1/people/{bob}/merge", json={"into": alice}).status_code == 200
    body = client.get(f"/v1/people/{alice}/appearances").json()
    assert body["total"] == 4 and [a["start_ms"] for a in body["appearances"]][1] == 1000
    detail = client.get(f"/v1/people/{alice}").json()
    assert detail["merged_people"] == [{"cluster_id": bob, "name": "Bob"}]
    assert client.get(f"/v1/people/{bob}/appearances").json()["cluster_id"] == alice  # followed
    assert client.post(f"/v1/people/{bob}/unmerge").status_code == 200
    assert client.get(f"/v1/people/{alice}").json()["merged_people"] == []
    assert client.get(f"/v1/people/{alice}/appearances").json()["total"] == 3
    assert client.get(f"/v1/people/{bob}").json()["name"] == "Bob"
