"""People: rename, merge and unmerge (eioku.store.people) against real
PostgreSQL, checked against an oracle that tracks who was merged into whom."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest
from eioku.domain.enums import JumpKind
from eioku.domain.errors import ConflictError, NoMatchError, PersonNotFoundError, ValidationFailedError
from eioku.services import navigation
from eioku.services.navigation import JumpQuery
from eioku.store.uow import UnitOfWork
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import text

from tests.factories import add_run, add_video, payload_for, store_run
from tests.oracles import merge_appearances

GAP_MS = 2000
N_PEOPLE = 4


@dataclass
class World:
    """What the test made, and the oracle's view of merges."""

    ids: list[str]
    centroid0: dict[str, list[float]]
    faces0: dict[str, int]
    detections: dict[uuid.UUID, tuple[uuid.UUID, str, int, int, float]]  # artifact -> run, person, span
    parent: dict[str, str | None] = field(default_factory=dict)
    log: list[tuple[str, str, list[str]]] = field(default_factory=list)

    def canon(self, person: str) -> str:
        return self.parent.get(person) or person

    def merge(self, source: str, target: str) -> None:
        target = self.canon(target)
        if self.parent.get(source):
            raise ConflictError("already merged")
        if source == target:
            raise ValidationFailedError("self")
        moved = [p for p, q in self.parent.items() if q == source]
        for p in [source, *moved]:
            self.parent[p] = target
        self.log.append((source, target, moved))

    def unmerge(self, source: str) -> None:
        if not self.parent.get(source):
            raise ConflictError("not merged")
        survivor = self.parent[source]
        _, _, moved = next(e for e in reversed(self.log) if e[0] == source)
        self.parent[source] = None
        for p in moved:
            if self.parent.get(p) == survivor:
                self.parent[p] = source


def make_world(uow: UnitOfWork, detections: list[tuple[int, int, int]], faces: list[int]) -> World:
    model = f"test-{uuid.uuid4()}"
    ids, centroid0, faces0 = [], {}, {}
    for i, n in enumerate(faces):
        vector = [float(i * 10), float(n), 1.0]
        (identity,) = uow.faces.assign(model, {"c": [vector] * n}, 0.5).values()
        ids.append(identity)
        centroid0[identity], faces0[identity] = vector, n
    made: dict[uuid.UUID, tuple[uuid.UUID, str, int, int, float]] = {}
    for video_index in range(2):
        video = add_video(uow)
        mine = [(p, s) for v, p, s in detections if v == video_index]
        if not mine:
            continue
        spans = [(s, s + 500) for _, s in mine]
        payloads = [payload_for("face.detection", cluster_id=ids[p], confidence=0.5 + p / 10)
                    for p, _ in mine]
        run = store_run(uow, video.video_id, "face.detection", spans, payloads=payloads)
        rows = uow.session.execute(text(
            "SELECT artifact_id, payload->>'cluster_id', span_start_ms, span_end_ms, "
            "(payload->>'confidence')::float8 FROM artifacts WHERE run_id = :r"), {"r": run.run_id})
        for artifact_id, person, start, end, conf in rows:
            made[artifact_id] = (run.run_id, person, start, end, conf)
    return World(ids, centroid0, faces0, made)


def check(uow: UnitOfWork, world: World) -> None:
    projected = dict(uow.session.execute(text(
        "SELECT artifact_id, cluster_id FROM face_clusters WHERE artifact_id = ANY(:a)"),
        {"a": list(world.detections)}).tuples().all())
    assert projected == {a: world.canon(d[1]) for a, d in world.detections.items()}
    for run_id in {d[0] for d in world.detections.values()}:
        got = uow.session.execute(text(
            "SELECT cluster_id, start_ms, end_ms, detections FROM face_appearances WHERE run_id = :r "
            "ORDER BY start_ms, cluster_id"), {"r": run_id}).tuples().all()
        want = merge_appearances([(world.canon(p), s, e, c, a) for a, (r, p, s, e, c)
                                  in world.detections.items() if r == run_id], GAP_MS)
        assert got == [(w.key, w.start, w.end, w.detections) for w in want]
    for person in world.ids:
        p = uow.people.get(person)
        assert p.merged_into == world.parent.get(person)
        if p.merged_into is None:  # a survivor holds the faces of everyone merged into it
            members = [m for m in world.ids if world.canon(m) == person]
            faces = sum(world.faces0[m] for m in members)
            assert p.faces == faces
            mean = [sum(world.centroid0[m][i] * world.faces0[m] for m in members) / faces
                    for i in range(3)]
            centroid = uow.session.execute(text(
                "SELECT centroid FROM face_identities WHERE identity_id = :i"), {"i": person}).scalar_one()
            assert centroid == pytest.approx(mean, abs=1e-9)


operation = st.tuples(st.sampled_from(["merge", "unmerge"]), st.integers(0, N_PEOPLE - 1),
                      st.integers(0, N_PEOPLE - 1))


@given(detections=st.lists(st.tuples(st.integers(0, 1), st.integers(0, N_PEOPLE - 1),
                                     st.integers(0, 20).map(lambda s: s * 1000)), min_size=1, max_size=12),
       faces=st.lists(st.integers(1, 5), min_size=N_PEOPLE, max_size=N_PEOPLE),
       operations=st.lists(operation, max_size=8))
# a chain: person 2 joins 0, 0 joins 1 (2 moves along), then 0 leaves again (and takes 2 back)
@example(detections=[(0, 0, 0), (0, 1, 1000), (0, 2, 2000), (1, 2, 0)], faces=[1, 2, 3, 4],
         operations=[("merge", 2, 0), ("merge", 0, 1), ("unmerge", 0, 0), ("unmerge", 2, 0)])
# undone out of order: 0 joins 1, 1 joins 2 (0 moves along), 0 leaves, then 1 leaves without it
@example(detections=[(0, 0, 0), (0, 1, 3000), (1, 2, 0)], faces=[1, 2, 3, 4],
         operations=[("merge", 0, 1), ("merge", 1, 2), ("unmerge", 0, 0), ("unmerge", 1, 0)])
def test_merges_and_unmerges_match_the_oracle(shared_session_factory, detections, faces, operations):
    with UnitOfWork(shared_session_factory) as uow:  # never committed: rolled back after
        world = make_world(uow, detections, faces)
        check(uow, world)
        for op, i, j in operations:
            source, target = world.ids[i], world.ids[j]
            try:
                world.merge(source, target) if op == "merge" else world.unmerge(source)
                expected = None
            except (ConflictError, ValidationFailedError) as exc:
                expected = type(exc)
            if expected is None:
                uow.people.merge(source, target) if op == "merge" else uow.people.unmerge(source)
            else:
                uow.session.execute(text("SAVEPOINT op"))
                with pytest.raises(expected):
                    uow.people.merge(source, target) if op == "merge" else uow.people.unmerge(source)
                uow.session.execute(text("ROLLBACK TO SAVEPOINT op"))
            check(uow, world)


def test_names_work_wherever_an_id_does(shared_session_factory):
    with UnitOfWork(shared_session_factory) as uow:
        world = make_world(uow, [(0, 0, 0), (0, 1, 5000), (0, 0, 9000)], [2, 3, 1, 1])
        alice, bob = world.ids[0], world.ids[1]
        assert uow.people.rename(alice, "  Alice   Smith ").name == "Alice Smith"
        video_id = uow.session.execute(text("SELECT asset_id FROM face_clusters WHERE cluster_id = :p "
                                            "LIMIT 1"), {"p": alice}).scalar_one()
        for label in ("alice smith", "ALICE SMITH", alice):
            hit = navigation.jump(uow.session, video_id, JumpQuery(JumpKind.FACE, label=label))
            assert (hit.start_ms, hit.labels) == (0, [alice])
        hit = navigation.jump_global(uow.session, kind=JumpKind.FACE, label="Alice Smith")
        assert hit.labels == [alice]
        with pytest.raises(ConflictError):
            uow.people.rename(bob, "alice smith")  # names are unique, case-insensitively
        with pytest.raises(ConflictError):
            uow.people.rename(bob, world.ids[2])  # a name may not be another person's id
        with pytest.raises(ValidationFailedError):
            uow.people.rename(bob, "x" * 101)
        with pytest.raises(ValidationFailedError):
            uow.people.rename(bob, "bad\x07name")
        uow.people.merge(bob, "Alice Smith")  # merge by name; the merged id now means Alice
        hit = navigation.jump(uow.session, video_id, JumpQuery(JumpKind.FACE, label=bob, from_ms=0))
        assert hit.labels == [alice] and hit.start_ms == 5000
        assert uow.people.resolve(bob).identity_id == alice
        assert uow.people.rename(alice, None).name is None
        with pytest.raises(NoMatchError):
            navigation.jump(uow.session, video_id, JumpQuery(JumpKind.FACE, label="Alice Smith"))
        with pytest.raises(PersonNotFoundError):
            uow.people.get("person-does-not-exist")


def test_a_merged_name_moves_to_the_survivor_and_back(shared_session_factory):
    with UnitOfWork(shared_session_factory) as uow:
        world = make_world(uow, [(0, 0, 0), (0, 1, 4000)], [1, 1, 1, 1])
        a, b = world.ids[0], world.ids[1]
        uow.people.rename(a, f"Ann {a}")
        uow.people.merge(a, b)  # b had no name: it takes a's
        assert uow.people.get(b).name == f"Ann {a}"
        assert uow.people.get(a).name is None
        history = uow.people.merges(a)
        assert history[0]["source_id"] == a and history[0]["undone_at"] is None
        uow.people.unmerge(a)
        assert (uow.people.get(a).name, uow.people.get(b).name) == (f"Ann {a}", None)
        assert uow.people.merges(a)[0]["undone_at"] is not None


# ---- the lifecycle: faces recorded the way the worker writes them ---------------------------
FACE = {"ann": [0.0, 0.0], "bob": [10.0, 0.0], "cat": [0.0, 10.0]}


def analyse(uow: UnitOfWork, video_id: uuid.UUID, faces: dict[str, int], model: str) -> dict[str, str]:
    """A faces run of this video as the worker writes it: each local cluster
    (``faces[p]`` faces of person p) joins an identity, recorded with the run."""
    run = add_run(uow, video_id, "face.detection")
    mapping = uow.faces.assign(model, {p: [FACE[p]] * n for p, n in faces.items()}, 0.5, run.run_id)
    spans = [(p, i * 1000) for p, n in sorted(faces.items()) for i in range(n)]
    uow.artifacts.batch_create(run, [
        {"span_start_ms": s + k * 100_000, "span_end_ms": s + k * 100_000 + 500,
         "payload": payload_for("face.detection", cluster_id=mapping[p])}
        for k, (p, s) in enumerate(spans)])
    uow.runs.complete(run.run_id)
    return mapping


def test_unmerging_someone_whose_videos_were_deleted_says_they_are_gone(shared_session_factory):
    model = f"test-{uuid.uuid4()}"
    with UnitOfWork(shared_session_factory) as uow:
        first, second = add_video(uow), add_video(uow)
        ann = analyse(uow, first.video_id, {"ann": 2}, model)["ann"]
        bob = analyse(uow, second.video_id, {"bob": 3}, model)["bob"]
        uow.people.merge(ann, bob)
        assert uow.people.get(bob).faces == 5
        uow.videos.delete(first.video_id)  # Ann's only video
        with pytest.raises(PersonNotFoundError):  # was: 409 "counts do not add up"
            uow.people.unmerge(ann)
        assert (uow.people.get(bob).faces, uow.people.get(bob).merged) == (3, [])
        centroid = uow.session.execute(text("SELECT centroid FROM face_identities "
                                            "WHERE identity_id = :i"), {"i": bob}).scalar_one()
        assert centroid == pytest.approx(FACE["bob"])


def test_deleting_the_only_video_of_a_named_person_forgets_them(shared_session_factory):
    model = f"test-{uuid.uuid4()}"
    name = f"Ann {uuid.uuid4().hex[:8]}"
    with UnitOfWork(shared_session_factory) as uow:
        first, later = add_video(uow), add_video(uow)
        ann = analyse(uow, first.video_id, {"ann": 2}, model)["ann"]
        uow.people.rename(ann, name)
        uow.videos.delete(first.video_id)
        for reference in (ann, name):
            with pytest.raises(PersonNotFoundError):
                uow.people.resolve(reference)
        again = analyse(uow, later.video_id, {"ann": 1}, model)["ann"]  # the same face, later
        assert again != ann and uow.people.get(again).name is None  # a new, unnamed person
        assert uow.people.rename(again, name).name == name  # the name was freed


def test_unmerging_after_the_name_was_given_away_brings_the_person_back_unnamed(
        shared_session_factory):
    model = f"test-{uuid.uuid4()}"
    tag = uuid.uuid4().hex[:8]
    with UnitOfWork(shared_session_factory) as uow:
        video = add_video(uow)
        ids = analyse(uow, video.video_id, {"ann": 1, "bob": 1, "cat": 1}, model)
        uow.people.rename(ids["ann"], f"Ann {tag}")
        uow.people.rename(ids["bob"], f"Bob {tag}")
        uow.people.merge(ids["ann"], ids["bob"])  # Bob keeps his name: "Ann" is free
        uow.people.rename(ids["cat"], f"Ann {tag}")
        merge = uow.people.unmerge(ids["ann"])  # was: 500 (unique name index)
        assert (merge.source_id, merge.target_id) == (ids["ann"], ids["bob"])
        assert [uow.people.get(ids[p]).name for p in ("ann", "bob", "cat")] == [
            None, f"Bob {tag}", f"Ann {tag}"]
        assert uow.people.get(ids["ann"]).merged_into is None


def test_faces_of_a_merged_person_analysed_again_stay_theirs(shared_session_factory):
    """Re-analysis after a merge: the faces nearest the merged identity are
    recorded as its own (and shown as the survivor), so the merge can still be
    undone and gives back exactly those faces."""
    model = f"test-{uuid.uuid4()}"
    with UnitOfWork(shared_session_factory) as uow:
        first, second = add_video(uow), add_video(uow)
        ann = analyse(uow, first.video_id, {"ann": 2}, model)["ann"]
        bob = analyse(uow, second.video_id, {"bob": 3}, model)["bob"]
        uow.people.merge(ann, bob)
        assert analyse(uow, first.video_id, {"ann": 4}, model)["ann"] == ann
        shown = uow.session.execute(text(
            "SELECT DISTINCT cluster_id FROM face_clusters p JOIN runs r USING (run_id) "
            "WHERE r.asset_id = :v"), {"v": first.video_id}).scalars().all()
        assert shown == [bob]
        assert uow.people.get(bob).faces == 7
        uow.people.unmerge(ann)
        assert (uow.people.get(ann).faces, uow.people.get(bob).faces) == (4, 3)
