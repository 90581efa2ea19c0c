"""People over HTTP after deletions (issue 25, item 9): every people operation
answers 2xx, or a 4xx whose message says what happened."""

from __future__ import annotations

import uuid

import pytest
from eioku.store.uow import UnitOfWork

from tests.factories import add_run, add_video, payload_for

FACE = {"ann": [0.0, 0.0], "bob": [10.0, 0.0], "cat": [0.0, 10.0]}


@pytest.fixture
def analyse(session_factory):
    """Write a faces run of a new video the way the worker does (faces recorded)."""

    def write(people: list[str]) -> tuple[str, dict[str, str]]:
        with UnitOfWork(session_factory) as uow:
            video = add_video(uow)
            run = add_run(uow, video.video_id, "face.detection")
            ids = uow.faces.assign("dlib-test", {p: [FACE[p]] for p in people}, 0.5, run.run_id)
            uow.artifacts.batch_create(run, [
                {"span_start_ms": i * 5000, "span_end_ms": i * 5000 + 500,
                 "payload": payload_for("face.detection", cluster_id=ids[p])}
                for i, p in enumerate(people)])
            uow.runs.complete(run.run_id)
            uow.commit()
        return str(video.video_id), ids

    return write


def test_unmerge_after_the_source_lost_its_videos_is_a_404_that_says_so(client, analyse):
    first, ann = analyse(["ann"])
    _, bob = analyse(["bob"])
    assert client.post(f"/v1/people/{ann['ann']}/merge", json={"into": bob["bob"]}).status_code == 200
    assert client.delete(f"/v1/videos/{first}").status_code == 204
    r = client.post(f"/v1/people/{ann['ann']}/unmerge")
    assert r.status_code == 404, r.text  # was 409 "the face counts ... do not add up"
    assert ann["ann"] in r.json()["detail"]
    assert client.get(f"/v1/people/{bob['bob']}").json()["faces"] == 1


def test_a_person_whose_only_video_is_deleted_is_forgotten_with_their_name(client, analyse):
    video, ids = analyse(["ann"])
    assert client.patch(f"/v1/people/{ids['ann']}", json={"name": "Ann"}).status_code == 200
    assert client.delete(f"/v1/videos/{video}").status_code == 204
    assert client.get("/v1/people/Ann").status_code == 404
    assert client.get(f"/v1/people/{ids['ann']}").status_code == 404
    _, again = analyse(["ann"])  # the same face in a new video: a new, unnamed person
    assert again["ann"] != ids["ann"]
    assert client.get(f"/v1/people/{again['ann']}").json()["name"] is None
    assert client.patch(f"/v1/people/{again['ann']}", json={"name": "Ann"}).status_code == 200


def test_unmerge_after_the_name_was_given_away_answers_200(client, analyse):
    _, ids = analyse(["ann", "bob", "cat"])
    ann, bob, cat = ids["ann"], ids["bob"], ids["cat"]
    for person, name in ((ann, "Ann"), (bob, "Bob")):
        assert client.patch(f"/v1/people/{person}", json={"name": name}).status_code == 200
    assert client.post(f"/v1/people/{ann}/merge", json={"into": "Bob"}).status_code == 200
    assert client.patch(f"/v1/people/{cat}", json={"name": "Ann"}).status_code == 200
    r = client.post(f"/v1/people/{ann}/unmerge")
    assert r.status_code == 200, r.text  # was 500
    assert [client.get(f"/v1/people/{p}").json()["name"] for p in (ann, bob, cat)] == [
        None, "Bob", "Ann"]
    again = client.post(f"/v1/people/{ann}/merge", json={"into": str(uuid.uuid4())})
    assert again.status_code == 404 and "no person" in again.json()["detail"]
