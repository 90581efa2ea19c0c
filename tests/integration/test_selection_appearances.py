"""Appearances follow the selected scene run (issue 25, item 8): changing a
video's scene selection re-merges its object, face and place appearances at
the new cuts, in the transaction that changes the selection."""

from __future__ import annotations

import uuid

from eioku.domain.enums import ModelProfile, SelectionMode
from eioku.domain.models import SelectionPolicy
from eioku.store.projections import PROJECTIONS
from eioku.store.uow import UnitOfWork
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import text

from tests.factories import add_video, payload_for, store_run
from tests.oracles import merge_appearances

DETECTED = [p for p in PROJECTIONS if p.appearances is not None]  # objects, faces, places
LABELS = {"object.detection": "label", "face.detection": "cluster_id",
          "place.classification": "label"}
END_MS = 20_000


def _scene_run(uow: UnitOfWork, video_id: uuid.UUID, cuts: list[int], profile: str) -> uuid.UUID:
    starts = [0, *sorted(set(cuts))]
    ends = [*starts[1:], END_MS]
    return store_run(uow, video_id, "scene", list(zip(starts, ends, strict=True)),
                     payloads=[payload_for("scene", i) for i in range(len(starts))],
                     profile=profile).run_id


def _expected(uow: UnitOfWork, projection, run_id: uuid.UUID, cuts: list[int]):  # type: ignore[no-untyped-def]
    key = projection.label_column
    detections = uow.session.execute(text(
        f"SELECT {key}, start_ms, end_ms, confidence, artifact_id FROM {projection.table} "
        "WHERE run_id = :r"), {"r": run_id}).all()
    return [(a.key, a.start, a.end, a.detections)
            for a in merge_appearances([tuple(d) for d in detections], uow.projections.gap_ms, cuts)]


def _stored(uow: UnitOfWork, projection, run_id: uuid.UUID):  # type: ignore[no-untyped-def]
    key = projection.label_column
    return [tuple(r) for r in uow.session.execute(text(
        f"SELECT {key}, start_ms, end_ms, detections FROM {projection.appearances} "
        f"WHERE run_id = :r ORDER BY start_ms, {key}"), {"r": run_id}).all()]


policies = st.sampled_from(["default", "latest", "pin-first", "pin-second", "fast", "balanced",
                            "best_quality"])


@given(detections=st.lists(st.tuples(st.integers(0, 38).map(lambda s: s * 500),
                                     st.integers(1, 3).map(lambda n: n * 500),
                                     st.sampled_from(["a", "b"])), min_size=1, max_size=10),
       first_cuts=st.lists(st.integers(1, 19_999), max_size=3, unique=True),
       second_cuts=st.lists(st.integers(1, 19_999), max_size=3, unique=True),
       changes=st.lists(policies, min_size=1, max_size=4))
# the first run cuts at 3000, the second does not: pinning the first must split the
# appearance 2000-4000 in two (before the fix it stayed one, cut at the second run's cuts)
@example(detections=[(2000, 500, "a"), (3500, 500, "a")], first_cuts=[3000], second_cuts=[],
         changes=["pin-first", "default"])
def test_appearances_follow_the_selected_scene_run(shared_session_factory, detections, first_cuts,
                                                    second_cuts, changes):
    with UnitOfWork(shared_session_factory) as uow:  # never committed: rolled back after
        video = add_video(uow).video_id
        runs = {}
        for projection in DETECTED:
            payloads = [payload_for(projection.artifact_type, **{LABELS[projection.artifact_type]: k})
                        for _, _, k in detections]
            runs[projection.artifact_type] = store_run(uow, video, projection.artifact_type,
                                         [(s, s + n) for s, n, _ in detections],
                                         payloads=payloads).run_id
        first = _scene_run(uow, video, first_cuts, ModelProfile.FAST)
        second = _scene_run(uow, video, second_cuts, ModelProfile.BALANCED)
        cuts_of = {first: first_cuts, second: second_cuts}
        for change in changes:
            policy = {
                "default": SelectionPolicy(), "latest": SelectionPolicy(SelectionMode.LATEST),
                "pin-first": SelectionPolicy(SelectionMode.PINNED, pinned_run_id=first),
                "pin-second": SelectionPolicy(SelectionMode.PINNED, pinned_run_id=second),
                "fast": SelectionPolicy(SelectionMode.PROFILE, ModelProfile.FAST),
                "balanced": SelectionPolicy(SelectionMode.PROFILE, ModelProfile.BALANCED),
                "best_quality": SelectionPolicy(SelectionMode.BEST_QUALITY),
            }[change]
            uow.selections.set_policy(video, "scene", policy)
            selected = uow.selections.resolve_run(video, "scene")
            assert selected == (first if change in ("pin-first", "fast") else second)
            for projection in DETECTED:
                run_id = runs[projection.artifact_type]
                assert _stored(uow, projection, run_id) == _expected(
                    uow, projection, run_id, cuts_of[selected]), (projection.table, change)
