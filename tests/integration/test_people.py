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
N_VIDEOS = 3


def vector(person: int) -> list[float]:
    """Person p's face: far from everyone else's (the threshold is 0.5)."""
    return [float(person * 10), float(person % 2), 1.0]


@dataclass
class World:
    """The oracle: which identities exist, who is merged into whom, and the
    faces each video's current faces run recorded for each identity."""

    model: str
    videos: list[uuid.UUID]
    last_id: dict[int, str] = field(default_factory=dict)  # person -> the id they had last
    person_of: dict[str, int] = field(default_factory=dict)  # identity -> person
    parent: dict[str, str | None] = field(default_factory=dict)  # existing identities only
    log: list[tuple[str, str, list[str]]] = field(default_factory=list)
    current: dict[int, dict[str, int] | None] = field(default_factory=dict)  # video -> id -> faces
    artifacts: dict[uuid.UUID, tuple[uuid.UUID, int, str, int, int, float]] = field(
        default_factory=dict)  # artifact -> run, video, identity written, span, confidence

    def canon(self, identity: str) -> str:
        return self.parent.get(identity) or identity

    def exists(self, identity: str) -> bool:
        return identity in self.parent

    def own(self, identity: str) -> int:
        return sum((faces or {}).get(identity, 0) for faces in self.current.values())

    def members(self, identity: str) -> list[str]:
        return [m for m, q in self.parent.items() if q == identity]

    def merge(self, source: str, target: str) -> None:
        if not self.exists(source) or not self.exists(target):
            raise PersonNotFoundError("gone")
        target = self.canon(target)
        if self.parent[source]:
            raise ConflictError("already merged")
        if source == target:
            raise ValidationFailedError("self")
        moved = self.members(source)
        for p in [source, *moved]:
            self.parent[p] = target
        self.log.append((source, target, moved))

    def unmerge(self, source: str) -> None:
        if not self.exists(source):
            raise PersonNotFoundError("gone")
        if not self.parent[source]:
            raise ConflictError("not merged")
        survivor = self.parent[source]
        _, _, moved = next(e for e in reversed(self.log) if e[0] == source)
        self.parent[source] = None
        for p in moved:
            if self.parent.get(p) == survivor:
                self.parent[p] = source

    def analysed(self, video: int, mapping: dict[int, str], faces: dict[int, int]) -> None:
        for person, identity in mapping.items():
            # a person's faces join their identity while it has faces of its own, else a new one
            known = self.last_id.get(person)
            if known is not None and self.exists(known) and self.own(known) > 0:
                assert identity == known, (person, identity, known)
            else:
                assert not self.exists(identity) and identity not in self.person_of
                self.parent[identity] = None
            self.last_id[person], self.person_of[identity] = identity, person
        self.current[video] = {mapping[p]: n for p, n in faces.items()}

    def forget_the_faceless(self) -> None:
        while True:
            gone = [x for x, q in self.parent.items() if self.own(x) == 0 and (
                q is not None or not any(self.own(m) > 0 for m in self.members(x)))]
            if not gone:
                return
            for x in gone:
                del self.parent[x]
            self.log = [e for e in self.log if e[0] not in gone]


def analyse_video(uow: UnitOfWork, world: World, video: int, detections: list[tuple[int, int]]) -> None:
    """A faces run of a video as the worker writes one: its clusters join
    identities (recorded with the run), then the artifacts name them."""
    faces = {p: sum(1 for q, _ in detections if q == p) for p, _ in detections}
    run = add_run(uow, world.videos[video], "face.detection")
    local = uow.faces.assign(world.model, {str(p): [vector(p)] * n for p, n in faces.items()}, 0.5,
                             run.run_id)
    mapping = {p: local[str(p)] for p in faces}
    uow.artifacts.batch_create(run, [
        {"span_start_ms": s, "span_end_ms": s + 500,
         "payload": payload_for("face.detection", cluster_id=mapping[p], confidence=0.5 + p / 10)}
        for p, s in detections])
    uow.runs.complete(run.run_id)
    world.analysed(video, mapping, faces)
    for artifact_id, start, end, conf in uow.session.execute(text(
            "SELECT artifact_id, span_start_ms, span_end_ms, (payload->>'confidence')::float8 "
            "FROM artifacts WHERE run_id = :r ORDER BY span_start_ms"), {"r": run.run_id}).all():
        person = next(p for p, s in detections if s == start)  # (starts are unique per video)
        world.artifacts[artifact_id] = (run.run_id, video, mapping[person], start, end, conf)


def check(uow: UnitOfWork, world: World) -> None:
    rows = uow.session.execute(text(
        "SELECT identity_id, merged_into, faces, centroid FROM face_identities "
        "WHERE embedding_model = :m"), {"m": world.model}).all()
    assert {r.identity_id: r.merged_into for r in rows} == world.parent
    for row in rows:  # a merged row holds its own faces, a survivor its own and its members'
        group = [row.identity_id] if row.merged_into else [row.identity_id,
                                                           *world.members(row.identity_id)]
        faces = {m: world.own(m) for m in group}
        assert row.faces == sum(faces.values()) > 0
        mean = [sum(vector(world.person_of[m])[i] * n for m, n in faces.items()) / row.faces
                for i in range(3)]
        assert row.centroid == pytest.approx(mean, abs=1e-9)

    def shown(identity: str) -> str:  # a forgotten identity stays the bare label of old faces
        return world.canon(identity) if world.exists(identity) else identity

    projected = dict(uow.session.execute(text(
        "SELECT artifact_id, cluster_id FROM face_clusters WHERE artifact_id = ANY(:a)"),
        {"a": list(world.artifacts)}).tuples().all())
    assert projected == {a: shown(d[2]) for a, d in world.artifacts.items()}
    for run_id in {d[0] for d in world.artifacts.values()}:
        got = uow.session.execute(text(
            "SELECT cluster_id, start_ms, end_ms, detections FROM face_appearances WHERE run_id = :r "
            "ORDER BY start_ms, cluster_id"), {"r": run_id}).tuples().all()
        want = merge_appearances([(shown(i), s, e, c, a) for a, (r, _, i, s, e, c)
                                  in world.artifacts.items() if r == run_id], GAP_MS)
        assert got == [(w.key, w.start, w.end, w.detections) for w in want]


def apply(uow: UnitOfWork, world: World, op: str, i: int, j: int,
          detections: list[tuple[int, int]]) -> None:
    """One operation on the store and on the oracle; an error must be the oracle's."""
    if op == "delete":
        if world.current.get(i) is None:
            return
        uow.videos.delete(world.videos[i])
        world.current[i] = None
        world.artifacts = {a: d for a, d in world.artifacts.items() if d[1] != i}
    elif op == "reanalyse":
        if world.current.get(i) is None or not detections:
            return
        analyse_video(uow, world, i, detections)
    else:
        source, target = world.last_id.get(i), world.last_id.get(j)
        if source is None or target is None:
            return
        run = (lambda: uow.people.merge(source, target)) if op == "merge" else (
            lambda: uow.people.unmerge(source))
        try:
            world.merge(source, target) if op == "merge" else world.unmerge(source)
        except (ConflictError, PersonNotFoundError, ValidationFailedError) as exc:
            uow.session.execute(text("SAVEPOINT op"))
            with pytest.raises(type(exc)):
                run()
            uow.session.execute(text("ROLLBACK TO SAVEPOINT op"))
            return
        run()
    world.forget_the_faceless()


person_at = st.tuples(st.integers(0, N_PEOPLE - 1), st.integers(0, 20).map(lambda s: s * 1000))
video_detections = st.lists(person_at, max_size=6, unique_by=lambda d: d[1])
operation = st.tuples(st.sampled_from(["merge", "unmerge", "delete", "reanalyse"]),
                      st.integers(0, N_PEOPLE - 1), st.integers(0, N_PEOPLE - 1), video_detections)


@given(videos=st.lists(video_detections, min_size=N_VIDEOS, max_size=N_VIDEOS),
       operations=st.lists(operation, max_size=10))
# a chain: person 2 joins 0, 0 joins 1 (2 moves along), then 0 leaves again (and takes 2 back)
@example(videos=[[(0, 0), (1, 1000), (2, 2000)], [(2, 0)], []],
         operations=[("merge", 2, 0, []), ("merge", 0, 1, []), ("unmerge", 0, 0, []),
                     ("unmerge", 2, 0, [])])
# undone out of order: 0 joins 1, 1 joins 2 (0 moves along), 0 leaves, then 1 leaves without it
@example(videos=[[(0, 0), (1, 3000)], [(2, 0)], []],
         operations=[("merge", 0, 1, []), ("merge", 1, 2, []), ("unmerge", 0, 0, []),
                     ("unmerge", 1, 0, [])])
# 0 joins 1, 0's only video is deleted: 0 is forgotten, unmerging it is a 404 (was a 409)
@example(videos=[[(0, 0)], [(1, 0)], []],
         operations=[("merge", 0, 1, []), ("delete", 0, 0, []), ("unmerge", 0, 0, [])])
# 1's own video is deleted while 0 is merged into it: 1 stays until 0 leaves
@example(videos=[[(0, 0)], [(1, 0)], []],
         operations=[("merge", 0, 1, []), ("delete", 1, 0, []), ("unmerge", 0, 0, []),
                     ("reanalyse", 0, 0, [(1, 0)])])
# a merged person analysed again keeps their faces; another video analysed without them
@example(videos=[[(0, 0), (1, 1000)], [(0, 0)], []],
         operations=[("merge", 0, 1, []), ("reanalyse", 0, 0, [(0, 5000)]),
                     ("reanalyse", 1, 0, [(1, 0)]), ("unmerge", 0, 0, [])])
def test_merges_and_unmerges_match_the_oracle(shared_session_factory, videos, operations):
    with UnitOfWork(shared_session_factory) as uow:  # never committed: rolled back after
        world = World(f"test-{uuid.uuid4()}", [add_video(uow).video_id for _ in videos])
        for video, detections in enumerate(videos):
            if detections:
                analyse_video(uow, world, video, detections)
        check(uow, world)
        for op, i, j, detections in operations:
            apply(uow, world, op, i % N_VIDEOS if op in ("delete", "reanalyse") else i, j,
                  detections)
            check(uow, world)
        for video, faces in world.current.items():  # a rebuild from the artifacts agrees
            if faces is not None:
                uow.projections.rebuild(world.videos[video])
        check(uow, world)


def make_people(uow: UnitOfWork, detections: list[tuple[int, int, int]], faces: list[int]) -> list[str]:
    """People whose faces were not recorded with a run (written before migration
    0007), seen at (video, person, start) in one faces run per video."""
    model = f"test-{uuid.uuid4()}"
    ids = [next(iter(uow.faces.assign(model, {"c": [vector(i)] * n}, 0.5).values()))
           for i, n in enumerate(faces)]
    for video_index in range(2):
        mine = [(p, s) for v, p, s in detections if v == video_index]
        if mine:
            store_run(uow, add_video(uow).video_id, "face.detection", [(s, s + 500) for _, s in mine],
                      payloads=[payload_for("face.detection", cluster_id=ids[p]) for p, _ in mine])
    return ids


def test_names_work_wherever_an_id_does(shared_session_factory):
    with UnitOfWork(shared_session_factory) as uow:
        ids = make_people(uow, [(0, 0, 0), (0, 1, 5000), (0, 0, 9000)], [2, 3, 1, 1])
        alice, bob = ids[0], ids[1]
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
            uow.people.rename(bob, ids[2])  # a name may not be another person's id
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
        ids = make_people(uow, [(0, 0, 0), (0, 1, 4000)], [1, 1, 1, 1])
        a, b = ids[0], ids[1]
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
