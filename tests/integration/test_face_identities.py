"""Library-wide face identities (eioku.store.faces) against real PostgreSQL."""

from __future__ import annotations

import math
import threading
import uuid

import pytest
from eioku.store.uow import UnitOfWork
from hypothesis import assume, given
from hypothesis import strategies as st

THRESHOLD = 0.5
EPS = 1e-9
vector = st.lists(st.floats(-1, 1, allow_nan=False, width=32), min_size=4, max_size=4)
cluster = st.lists(vector, min_size=1, max_size=4)
video = st.dictionaries(st.sampled_from(["face-0", "face-1", "face-2"]), cluster, max_size=3)


def _dist(a, b):
    return math.dist(a, b)


def _mean(vectors):
    return [sum(c) / len(vectors) for c in zip(*vectors, strict=True)]


@given(clusters=st.lists(cluster, min_size=1, max_size=6))
def test_a_cluster_joins_the_nearest_identity_within_threshold(shared_session_factory, clusters):
    model = f"test-{uuid.uuid4()}"  # isolates this example's identities
    with UnitOfWork(shared_session_factory) as uow:
        for vectors in clusters:
            before = uow.faces.list(model)
            got = uow.faces.assign(model, {"face-0": vectors}, THRESHOLD)["face-0"]
            mean = _mean(vectors)
            dist = {i.identity_id: _dist(i.centroid, mean) for i in before}
            best = min(dist.values(), default=math.inf)
            if best < THRESHOLD - EPS:  # (EPS: float rounding differs between implementations)
                assert dist.get(got, math.inf) <= best + EPS  # the nearest one
            elif best > THRESHOLD + EPS:
                assert got not in dist  # a new person


@given(videos=st.lists(video, min_size=1, max_size=5))
def test_identities_hold_the_mean_of_every_face_that_joined(shared_session_factory, videos):
    model = f"test-{uuid.uuid4()}"
    joined: dict[str, list[list[float]]] = {}
    with UnitOfWork(shared_session_factory) as uow:
        for clusters in videos:
            mapping = uow.faces.assign(model, clusters, THRESHOLD)
            assert set(mapping) == set(clusters)
            for local, vectors in clusters.items():
                joined.setdefault(mapping[local], []).extend(vectors)
        identities = {i.identity_id: i for i in uow.faces.list(model)}
        assert set(identities) == set(joined)
        for identity_id, vectors in joined.items():
            assert identities[identity_id].faces == len(vectors)
            assert _dist(identities[identity_id].centroid, _mean(vectors)) < 1e-6


@given(first=cluster, offset=st.floats(0, 2, allow_nan=False))
def test_new_identity_exactly_when_nothing_is_near(shared_session_factory, first, offset):
    assume(abs(offset - THRESHOLD) > EPS)
    model = f"test-{uuid.uuid4()}"
    with UnitOfWork(shared_session_factory) as uow:
        a = uow.faces.assign(model, {"v": first}, THRESHOLD)["v"]
        centroid = uow.faces.list(model)[0].centroid
        probe = [centroid[0] + offset, *centroid[1:]]  # `offset` away from the identity
        b = uow.faces.assign(model, {"v": [probe]}, THRESHOLD)["v"]
        assert (b == a) == (offset <= THRESHOLD)
        other_model = uow.faces.assign(f"{model}-other", {"v": [centroid]}, THRESHOLD)["v"]
        assert other_model != a  # embeddings of another model never match


def test_concurrent_writers_do_not_duplicate_a_new_person(session_factory):
    person = {"face-0": [[0.1, 0.2, 0.3, 0.4]]}
    first = UnitOfWork(session_factory).__enter__()
    a = first.faces.assign("m", person, THRESHOLD)["face-0"]  # holds the lock until commit
    result: dict[str, str] = {}

    def second() -> None:
        with UnitOfWork(session_factory) as uow:
            result["b"] = uow.faces.assign("m", person, THRESHOLD)["face-0"]
            uow.commit()

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive()  # waits for the first writer
    first.commit()
    first.__exit__(None, None, None)
    thread.join(10)
    assert result["b"] == a
    with UnitOfWork(session_factory) as uow:
        [identity] = uow.faces.list("m")
        assert identity.faces == 2


def _centroid(uow, identity):
    from sqlalchemy import text

    return uow.session.execute(text(
        "SELECT centroid, faces FROM face_identities WHERE identity_id = :i"), {"i": identity}).one()


def test_a_centroid_is_the_mean_of_the_faces_currently_assigned(session_factory):
    """A re-run of a video does not count its faces twice; a deleted video's
    faces leave the centroid; a failed newest run does not replace the last good one."""
    from tests.factories import add_run, add_video

    model = f"test-{uuid.uuid4()}"
    a_faces, b_faces = [[1.0, 0.0], [1.2, 0.0]], [[1.0, 0.3]]
    with UnitOfWork(session_factory) as uow:
        a, b = add_video(uow), add_video(uow)
        first = add_run(uow, a.video_id, "face.detection")
        person = uow.faces.assign(model, {"c": a_faces}, THRESHOLD, first.run_id)["c"]
        again = add_run(uow, a.video_id, "face.detection")  # the same video analysed again
        assert uow.faces.assign(model, {"c": a_faces}, THRESHOLD, again.run_id)["c"] == person
        centroid, faces = _centroid(uow, person)
        assert faces == 2 and centroid == pytest.approx(_mean(a_faces))  # not 4 faces
        other = add_run(uow, b.video_id, "face.detection")
        assert uow.faces.assign(model, {"c": b_faces}, THRESHOLD, other.run_id)["c"] == person
        centroid, faces = _centroid(uow, person)
        assert faces == 3 and centroid == pytest.approx(_mean(a_faces + b_faces))
        broken = add_run(uow, b.video_id, "face.detection")
        uow.faces.assign(model, {"c": [[1.0, 0.45]]}, THRESHOLD, broken.run_id)
        uow.runs.fail(broken.run_id, "crashed")
        from eioku.store.faces import recompute_centroids

        recompute_centroids(uow.session, [person])
        assert _centroid(uow, person)[1] == 3  # the failed run's face does not count
        uow.videos.delete(a.video_id)
        centroid, faces = _centroid(uow, person)
        assert faces == 1 and centroid == pytest.approx(_mean(b_faces))  # A's faces are gone
