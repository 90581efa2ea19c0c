"""SPEC §10 properties 1-7, 13, 14 against real PostgreSQL.

Each example runs in its own unit of work that is rolled back at the end,
so examples never see each other's data.
"""

from __future__ import annotations

import gc

import pytest
from eioku.artifacts.envelope import ENVELOPE_FIELDS
from eioku.artifacts.payloads import BUILTIN_SCHEMAS
from eioku.artifacts.registry import SchemaRegistry, default_registry
from eioku.domain.enums import RUN_TRANSITIONS, ArtifactType, ModelProfile, RunStatus
from eioku.domain.errors import InvalidTransitionError, ValidationFailedError
from eioku.domain.models import SelectionOverride
from eioku.store.projections import BY_TYPE, PROJECTIONS
from eioku.store.uow import UnitOfWork
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict
from sqlalchemy import text

from tests.factories import add_run, add_video, payload_for
from tests.oracles import merge_appearances
from tests.strategies import PAYLOADS, spans, typed_artifact

TYPES = [t.value for t in ArtifactType]
PROJECTED = [p.artifact_type for p in PROJECTIONS]


@pytest.fixture
def uow_factory(shared_session_factory):
    return lambda registry=None: UnitOfWork(shared_session_factory, registry)


# 1. Envelope completeness ---------------------------------------------------
@given(artifact_type=st.sampled_from(TYPES), data=st.data())
def test_every_stored_artifact_has_every_envelope_field(uow_factory, artifact_type, data):
    items = data.draw(st.lists(typed_artifact(artifact_type), min_size=1, max_size=5))
    with uow_factory() as uow:
        video = add_video(uow)
        run = add_run(uow, video.video_id, artifact_type)
        ids = uow.artifacts.batch_create(run, items)
        assert gc.isenabled()  # the collector is paused only while the batch is written
        uow.runs.complete(run.run_id)
        rows = uow.session.execute(
            text(f"SELECT {', '.join(ENVELOPE_FIELDS)} FROM artifacts WHERE run_id = :r"),
            {"r": run.run_id}).all()
        assert sorted(r.artifact_id for r in rows) == sorted(ids)
        for row in rows:
            for name in ENVELOPE_FIELDS:
                assert getattr(row, name) is not None, name
            assert row.run_id == run.run_id and row.producer == run.producer
            assert row.config_hash == run.config_hash and row.input_hash == run.input_hash
        for artifact_id in ids:
            envelope = uow.artifacts.get_by_id(artifact_id)
            assert set(ENVELOPE_FIELDS) <= set(envelope.model_dump())


# 2. Payload round trip & 6. every payload field stored ----------------------
@given(artifact_type=st.sampled_from(TYPES), data=st.data())
def test_payload_round_trip_keeps_every_field(uow_factory, artifact_type, data):
    registry = default_registry()
    model = registry.get(artifact_type, 1)
    original = model.model_validate(data.draw(PAYLOADS[artifact_type]))
    with uow_factory() as uow:
        video = add_video(uow)
        run = add_run(uow, video.video_id, artifact_type)
        (artifact_id,) = uow.artifacts.batch_create(
            run, [{"span_start_ms": 0, "span_end_ms": 10, "payload": original.model_dump(mode="json")}])
        uow.runs.complete(run.run_id)
        stored = uow.artifacts.get_by_id(artifact_id)
        # property 6: every field is stored, but an optional one a schema leaves out when it is
        # empty (ocr.text's engine, transcript.segment's translation: payloads stay as they were)
        absent = {name for name, value in original if value is None}
        assert set(model.model_fields) - absent <= set(stored.payload) <= set(model.model_fields)
        assert set(stored.payload) == set(original.model_dump(mode="json"))
        assert registry.parse(artifact_type, 1, stored.payload) == original  # property 2


# 3. Schema versions coexist ---------------------------------------------------
class SceneV2(BaseModel):
    model_config = ConfigDict(extra="forbid")
    index: int
    boundary: str
    confidence: float


@given(v1=st.lists(PAYLOADS["scene"], min_size=1, max_size=4),
       v2=st.lists(st.builds(SceneV2, index=st.integers(0, 99),
                             boundary=st.sampled_from(["cut", "fade"]),
                             confidence=st.floats(0, 1)), min_size=1, max_size=4))
def test_schema_versions_coexist(uow_factory, v1, v2):
    registry = SchemaRegistry()
    for entry in BUILTIN_SCHEMAS:
        registry.register(*entry)
    registry.register("scene", 2, SceneV2)  # no table change needed
    with uow_factory(registry) as uow:
        video = add_video(uow)
        run = add_run(uow, video.video_id, "scene")
        items = [{"span_start_ms": i, "span_end_ms": i, "schema_version": 1, "payload": p}
                 for i, p in enumerate(v1)]
        items += [{"span_start_ms": 100 + i, "span_end_ms": 100 + i, "schema_version": 2,
                   "payload": p.model_dump()} for i, p in enumerate(v2)]
        uow.artifacts.batch_create(run, items)
        uow.runs.complete(run.run_id)
        stored = uow.artifacts.get_by_asset(video.video_id, "scene")
        assert sorted(a.schema_version for a in stored) == [1] * len(v1) + [2] * len(v2)
        for a in stored:
            parsed = registry.parse("scene", a.schema_version, a.payload)
            assert isinstance(parsed, registry.get("scene", a.schema_version))
        assert [registry.parse("scene", 2, a.payload) for a in stored if a.schema_version == 2] == v2


# 4. Run lifecycle --------------------------------------------------------------
ACTIONS = {"start": RunStatus.RUNNING, "complete": RunStatus.COMPLETED,
           "fail": RunStatus.FAILED, "cancel": RunStatus.CANCELED}


@given(actions=st.lists(st.sampled_from(sorted(ACTIONS)), max_size=5),
       n=st.integers(1, 4))
def test_run_lifecycle_and_visibility(uow_factory, actions, n):
    with uow_factory() as uow:
        video = add_video(uow)
        run = add_run(uow, video.video_id, "scene", status=RunStatus.QUEUED)
        ids = uow.artifacts.batch_create(
            run, [{"span_start_ms": i, "span_end_ms": i + 1, "payload": payload_for("scene", i)}
                  for i in range(n)])
        status = RunStatus.QUEUED
        for action in actions:
            target = ACTIONS[action]
            call = getattr(uow.runs, action)
            args = ("boom",) if action == "fail" else ()
            if target in RUN_TRANSITIONS[status]:
                status = call(run.run_id, *args).status
                assert status is target
            else:
                with pytest.raises(InvalidTransitionError):
                    call(run.run_id, *args)
            visible = uow.artifacts.get_by_asset(video.video_id, "scene")
            assert bool(visible) == (status is RunStatus.COMPLETED)
            assert all(a.run_id == run.run_id for a in visible)
        current = uow.runs.get(run.run_id)
        assert current.status is status
        assert (current.finished_at is not None) == status.is_final
        if status is not RunStatus.COMPLETED:
            assert uow.artifacts.get_by_span(video.video_id, None, 0, 10**7) == []
            assert not any(_visible(uow, i) for i in ids)
        if status.is_final:  # a finished run accepts no more artifacts
            with pytest.raises(InvalidTransitionError):
                uow.artifacts.batch_create(uow.runs.get(run.run_id), [
                    {"span_start_ms": 0, "span_end_ms": 0, "payload": payload_for("scene")}])


def _visible(uow, artifact_id) -> bool:
    try:
        uow.artifacts.get_by_id(artifact_id)
        return True
    except Exception:
        return False


# batch_create is all or nothing ------------------------------------------------
@given(items=st.lists(typed_artifact("object.detection"), min_size=2, max_size=8), data=st.data())
def test_batch_with_one_bad_item_writes_nothing(uow_factory, items, data):
    bad = data.draw(st.integers(0, len(items) - 1))
    items[bad] = {**items[bad], "payload": {**items[bad]["payload"], "confidence": 7}}
    with uow_factory() as uow:
        video = add_video(uow)
        run = add_run(uow, video.video_id, "object.detection")
        with pytest.raises(ValidationFailedError) as err:
            uow.artifacts.batch_create(run, items)
        assert err.value.item == bad and err.value.field == "payload.confidence"
        assert gc.isenabled()  # paused while validating, back on after a failure too
        count = uow.session.execute(text("SELECT count(*) FROM artifacts WHERE run_id = :r"),
                                    {"r": run.run_id}).scalar_one()
        assert count == 0


# 7. Projection sync --------------------------------------------------------------
@given(batches=st.lists(st.tuples(st.sampled_from(PROJECTED), st.integers(1, 3)), min_size=1,
                        max_size=4), data=st.data())
def test_projection_rows_match_artifacts_and_rebuild_is_identical(uow_factory, batches, data):
    with uow_factory() as uow:
        video = add_video(uow)
        for artifact_type, n_batches in batches:
            run = add_run(uow, video.video_id, artifact_type)
            for _ in range(n_batches):  # several batches into one run: no duplicates
                uow.artifacts.batch_create(
                    run, data.draw(st.lists(typed_artifact(artifact_type), max_size=4)))
            if data.draw(st.booleans()):
                uow.runs.complete(run.run_id)
        before = _projection_snapshot(uow, video.video_id)
        for projection in PROJECTIONS:
            artifacts = uow.session.execute(text(
                "SELECT artifact_id, run_id, span_start_ms, span_end_ms FROM artifacts "
                "WHERE asset_id = :a AND artifact_type = :t ORDER BY artifact_id"),
                {"a": video.video_id, "t": projection.artifact_type}).all()
            rows = [(r[0], r[1], r[2], r[3]) for r in before[projection.table]]
            assert rows == [tuple(a) for a in artifacts]  # exactly one row each, same id & span
            if projection.appearances:
                _assert_appearances_merge_detections(uow, projection, video.video_id)
        uow.projections.rebuild(video.video_id)
        assert _projection_snapshot(uow, video.video_id) == before


@given(batches=st.lists(st.lists(st.tuples(spans(max_start=15_000, max_len=1_500),
                                           st.sampled_from(["a", "b"]), st.floats(0, 1)),
                                 max_size=6), min_size=1, max_size=4),
       deletions=st.integers(0, 3), artifact_type=st.sampled_from(
           ["object.detection", "face.detection", "place.classification"]))
def test_appearances_follow_batches_and_deletions(uow_factory, batches, deletions, artifact_type):
    """Once a run completes, its appearance intervals equal a brute-force merge
    of all its detections (batches can bridge or extend each other's), also
    after deletions; a rebuild reproduces them. Runs still being written have
    none (nothing shows them)."""
    projection = BY_TYPE[artifact_type]
    key = projection.label_column
    with uow_factory() as uow:
        video = add_video(uow)
        run = add_run(uow, video.video_id, artifact_type)
        for batch in batches:
            uow.artifacts.batch_create(run, [
                {"span_start_ms": s, "span_end_ms": e,
                 "payload": payload_for(artifact_type, **{key: k, "confidence": c})}
                for (s, e), k, c in batch])
        assert _appearance_count(uow, projection, run.run_id) == 0
        uow.runs.complete(run.run_id)
        _assert_appearances_merge_detections(uow, projection, video.video_id)
        ids = uow.session.execute(text("SELECT artifact_id FROM artifacts WHERE run_id = :r "
                                       "ORDER BY artifact_id"), {"r": run.run_id}).scalars().all()
        for artifact_id in ids[:deletions]:
            assert uow.artifacts.delete(artifact_id)
        _assert_appearances_merge_detections(uow, projection, video.video_id)
        before = _projection_snapshot(uow, video.video_id)
        uow.projections.rebuild(video.video_id)
        assert _projection_snapshot(uow, video.video_id) == before


@given(detections=st.lists(st.tuples(spans(max_start=15_000, max_len=1_500), st.sampled_from(["a", "b"]),
                                     st.floats(0, 1)), max_size=10),
       cuts=st.lists(st.integers(1, 15_000), max_size=4, unique=True),
       scenes_first=st.booleans())
# a detection running past the cut at 1000 must not bridge the gap after 1200 in the next shot
@example(detections=[((0, 1500), "a", 0.5), ((1000, 1200), "a", 0.5), ((3300, 3400), "a", 0.5)],
         cuts=[1000], scenes_first=True)
def test_appearances_never_cross_a_cut(uow_factory, detections, cuts, scenes_first):
    """A label seen on both sides of a cut is two appearances, each ending at the
    cut at the latest, whether the scene run completed before or after."""
    with uow_factory() as uow:
        video = add_video(uow)
        starts = [0, *sorted(cuts)]
        ends = [*starts[1:], 20_000]
        scene_run = add_run(uow, video.video_id, "scene")
        uow.artifacts.batch_create(scene_run, [
            {"span_start_ms": s, "span_end_ms": e, "payload": payload_for("scene", i)}
            for i, (s, e) in enumerate(zip(starts, ends, strict=True))])
        objects = add_run(uow, video.video_id, "object.detection")
        uow.artifacts.batch_create(objects, [
            {"span_start_ms": s, "span_end_ms": e,
             "payload": payload_for("object.detection", label=k, confidence=c)}
            for (s, e), k, c in detections])
        for run in ((scene_run, objects) if scenes_first else (objects, scene_run)):
            uow.runs.complete(run.run_id)
        _assert_appearances_merge_detections(uow, BY_TYPE["object.detection"], video.video_id)
        for key, start, end in uow.session.execute(text(
                "SELECT label, start_ms, end_ms FROM object_appearances WHERE run_id = :r"),
                {"r": objects.run_id}).all():
            assert not any(start < c < end for c in cuts), (key, start, end, cuts)


def _appearance_count(uow, projection, run_id):
    return uow.session.execute(text(f"SELECT count(*) FROM {projection.appearances} "
                                    "WHERE run_id = :r"), {"r": run_id}).scalar_one()


def _assert_appearances_merge_detections(uow, projection, asset_id):
    """Completed runs: appearances = brute-force merge; other runs: none."""
    key = projection.label_column
    for run_id, status in uow.session.execute(text(
            f"SELECT DISTINCT p.run_id, r.status FROM {projection.table} p "
            "JOIN runs r USING (run_id) WHERE p.asset_id = :a"), {"a": asset_id}).all():
        if status != "completed":
            assert _appearance_count(uow, projection, run_id) == 0
            continue
        detections = uow.session.execute(text(
            f"SELECT {key}, start_ms, end_ms, confidence, artifact_id FROM {projection.table} "
            "WHERE run_id = :r"), {"r": run_id}).all()
        cuts = uow.session.execute(text(  # the shots of the scene run the video shows
            "SELECT start_ms FROM scene_ranges WHERE run_id = eioku_selected_run(:a, 'scene')"),
            {"a": asset_id}).scalars().all()
        expected = [(a.key, a.start, a.end, a.confidence, a.detections)
                    for a in merge_appearances([tuple(d) for d in detections], uow.projections.gap_ms,
                                               cuts)]
        got = uow.session.execute(text(
            f"SELECT {key}, start_ms, end_ms, confidence, detections FROM {projection.appearances} "
            f"WHERE run_id = :r ORDER BY start_ms, {key}"), {"r": run_id}).all()
        assert [tuple(g) for g in got] == expected
    orphans = uow.session.execute(text(
        f"SELECT count(*) FROM {projection.appearances} ap WHERE ap.asset_id = :a AND NOT EXISTS "
        f"(SELECT 1 FROM {projection.table} p WHERE p.run_id = ap.run_id)"), {"a": asset_id}).scalar_one()
    assert orphans == 0


def _projection_snapshot(uow, asset_id):
    snap = {}
    for p in PROJECTIONS:
        cols = ", ".join(["artifact_id", "run_id", "start_ms", "end_ms", *p.columns])
        cols = cols.replace("tsv", "tsv::text")
        snap[p.table] = uow.session.execute(
            text(f"SELECT {cols} FROM {p.table} WHERE asset_id = :a ORDER BY artifact_id"),
            {"a": asset_id}).all()
        if p.appearances:
            snap[p.appearances] = uow.session.execute(
                text(f"SELECT * FROM {p.appearances} WHERE asset_id = :a "
                     f"ORDER BY run_id, {p.label_column}, start_ms"), {"a": asset_id}).all()
    return snap


# 13. Multi-profile preservation -----------------------------------------------------
@given(runs=st.lists(st.tuples(st.sampled_from(list(ModelProfile)),
                               st.lists(spans(), min_size=1, max_size=4)), min_size=1, max_size=5))
def test_no_profile_overwrites_another(uow_factory, runs):
    with uow_factory() as uow:
        video = add_video(uow)
        latest: dict[ModelProfile, list[tuple[int, int]]] = {}
        for profile, span_list in runs:
            run = add_run(uow, video.video_id, "object.detection", profile=profile.value)
            uow.artifacts.batch_create(run, [
                {"span_start_ms": s, "span_end_ms": e, "payload": payload_for("object.detection")}
                for s, e in span_list])
            uow.runs.complete(run.run_id)
            latest[profile] = sorted(span_list)
        for profile, expected in latest.items():
            got = uow.artifacts.get_by_asset(video.video_id, "object.detection",
                                             selection=SelectionOverride(profile=profile))
            assert sorted((a.span_start_ms, a.span_end_ms) for a in got) == expected
            assert {a.model_profile for a in got} == {profile.value}
        total = uow.session.execute(text("SELECT count(*) FROM artifacts WHERE asset_id = :a"),
                                    {"a": video.video_id}).scalar_one()
        assert total == sum(len(s) for _, s in runs)


# 14. Span overlap --------------------------------------------------------------------
@given(span_list=st.lists(spans(max_start=10_000, max_len=3_000), max_size=12),
       window=spans(max_start=12_000, max_len=4_000))
def test_span_query_returns_exactly_the_overlapping_artifacts(uow_factory, span_list, window):
    lo, hi = window
    with uow_factory() as uow:
        video = add_video(uow)
        run = add_run(uow, video.video_id, "scene")
        ids = uow.artifacts.batch_create(run, [
            {"span_start_ms": s, "span_end_ms": e, "payload": payload_for("scene", i)}
            for i, (s, e) in enumerate(span_list)])
        uow.runs.complete(run.run_id)
        got = uow.artifacts.get_by_span(video.video_id, "scene", lo, hi)
        expected = sorted(i for i, (s, e) in zip(ids, span_list, strict=True) if s < hi and e > lo)
        assert sorted(a.artifact_id for a in got) == expected
        assert [a.span_start_ms for a in got] == sorted(a.span_start_ms for a in got)


def test_projection_registry_covers_projected_types():
    assert set(BY_TYPE) == {"scene", "transcript.segment", "object.detection", "face.detection",
                            "place.classification", "ocr.text", "text.embedding",
                            "image.embedding", "speaker.turn", "chapter", "entity.mention",
                            "text.language", "audio.event", "segment", "bookmark"}
