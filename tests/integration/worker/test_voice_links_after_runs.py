"""Face-voice links follow the analyses, not the listing: when a speakers or a
faces run completes through the worker (analysed, or reused from an identical
run), its speakers are matched into voices and the face-voice rule
(services/voices.py) runs in the same transaction, so the link is there
before anyone lists voices. Run again it changes nothing; a link a user
undid stays undone and a link a user made stays made, whatever completes
after. The analyzers here return fixed turns and faces (the real ones are
measured in test_face_voice_links.py); the worker, the store and the rule are
the real ones."""

from __future__ import annotations

import numpy as np
import pytest
from eioku.services import analysis
from eioku.services import voices as service
from eioku.services.ingest import register_path
from eioku.store.uow import UnitOfWork
from eioku_ml.analyzers.base import Analyzer, Item
from eioku_ml.worker.execute import AnalyzerCache, execute_run
from sqlalchemy import text

from tests.media import SAMPLE, copy_with_suffix

RNG = np.random.default_rng(2029)
ALICE, BOB = (RNG.normal(size=192) for _ in range(2))
FACE_A, FACE_Q = np.eye(128)[3], np.eye(128)[7]  # Alice's face; a face only shown in silence
TURNS = [(0, 4000, "Speaker 1", ALICE), (4000, 7000, "Speaker 2", BOB), (7000, 11000, "Speaker 1", ALICE),
         (11000, 14000, "Speaker 2", BOB), (14000, 18000, "Speaker 1", ALICE)]


def _unit(v: np.ndarray) -> list[float]:
    return [float(x) for x in v / np.linalg.norm(v)]


class FixedSpeakers(Analyzer):
    name = "speakers"

    def _analyze(self, media, progress, context):
        return [Item(s, e, {"speaker": who, "confidence": 0.9, "overlap": False, "embedding": _unit(voice)})
                for s, e, who, voice in TURNS]


class FixedFaces(Analyzer):
    """Alice's face on screen while Speaker 1 talks; another face after everyone."""
    name = "faces"
    embedding_model = "test-faces"

    def _analyze(self, media, progress, context):
        shown = [("a", s, e, FACE_A) for s, e, who, _ in TURNS if who == "Speaker 1"]
        shown.append(("q", 20_000, 24_000, FACE_Q))
        bbox = {"x": 10.0, "y": 10.0, "w": 40.0, "h": 40.0}
        return [Item(t, t + 500, {"confidence": 0.9, "bbox": bbox, "cluster_id": c, "frame_number": t // 40},
                     embedding=tuple(float(x) for x in face))
                for c, s, e, face in shown for t in range(s, e, 500)]


CACHE = AnalyzerCache(lambda name, cfg: {"speakers": FixedSpeakers, "faces": FixedFaces}[name](cfg))


def _analyse(session_factory, path, analyzers):
    with UnitOfWork(session_factory) as uow:
        video, _ = register_path(uow, path)
        runs = analysis.queue_analysis(uow, video, "fast", analyzers)
        uow.commit()
    return video.video_id, [execute_run(session_factory, r.run_id, CACHE) for r in runs]


def _voices(session_factory):
    """The voices table as stored (read without listing voices, which would apply the rule)."""
    with UnitOfWork(session_factory) as uow:
        return {r.voice_id: (r.person_id, r.link, r.refused_person) for r in uow.session.execute(text(
            "SELECT voice_id, person_id, link, refused_person FROM voices ORDER BY voice_id"))}


def _person(session_factory, video_id, cluster):
    """The library identity a video's faces run joined its cluster to (by the face shown at a time)."""
    at = {"a": 0, "q": 20_000}[cluster]
    with UnitOfWork(session_factory) as uow:
        return uow.session.execute(text(
            "SELECT payload->>'cluster_id' FROM artifacts WHERE asset_id = :v "
            "AND artifact_type = 'face.detection' AND span_start_ms = :t"),
            {"v": video_id, "t": at}).scalar_one()


@pytest.fixture
def video(session_factory):
    video_id, outcomes = _analyse(session_factory, SAMPLE, ["speakers"])
    assert [o.status for o in outcomes] == ["completed"]
    return video_id


def _speaker_voice(session_factory, speaker):
    with UnitOfWork(session_factory) as uow:
        return uow.session.execute(text("SELECT voice_id FROM voice_members WHERE speaker = :s LIMIT 1"),
                                   {"s": speaker}).scalar_one()


def test_a_completed_faces_run_links_the_voice_without_listing(session_factory, video):
    voices = _voices(session_factory)  # the speakers run made its voices as it completed
    assert len(voices) == 2 and all(person is None for person, _, _ in voices.values())
    _, outcomes = _analyse(session_factory, SAMPLE, ["faces"])
    assert [o.status for o in outcomes] == ["completed"]
    alice, bob = _speaker_voice(session_factory, "Speaker 1"), _speaker_voice(session_factory, "Speaker 2")
    a = _person(session_factory, video, "a")
    after = _voices(session_factory)
    assert after[alice] == (a, "auto", None)  # linked as the faces run completed
    assert after[bob] == (None, None, None)  # never heard while a face is on screen
    with UnitOfWork(session_factory) as uow:  # idempotent: the rule again changes nothing
        assert service.link_voices(uow.session) == {}
        uow.commit()
    assert _voices(session_factory) == after


def test_links_made_or_undone_by_hand_survive_later_runs(session_factory, video, tmp_path):
    _analyse(session_factory, SAMPLE, ["faces"])
    alice, bob = _speaker_voice(session_factory, "Speaker 1"), _speaker_voice(session_factory, "Speaker 2")
    a, quiet = _person(session_factory, video, "a"), _person(session_factory, video, "q")
    with UnitOfWork(session_factory) as uow:
        service.unlink(uow.session, alice)  # not Alice's voice after all
        service.link(uow.session, bob, quiet)  # Bob is the face seen in silence
        uow.commit()
    # a second video with the same content: speakers and faces reused from the first
    # runs; and the same speech in a third file analysed afresh: every completion applies the rule
    _, outcomes = _analyse(session_factory, copy_with_suffix(SAMPLE, tmp_path / "again.mp4", b""),
                           ["speakers", "faces"])
    assert sorted(o.status for o in outcomes) == ["reused", "reused"]
    _, outcomes = _analyse(session_factory, copy_with_suffix(SAMPLE, tmp_path / "other.mp4", b"x" * 64),
                           ["speakers", "faces"])
    assert sorted(o.status for o in outcomes) == ["completed", "completed"]
    after = _voices(session_factory)
    assert after[alice] == (None, None, a)  # the refusal holds
    assert after[bob] == (quiet, "user", None)  # the hand-made link holds
    assert len(after) == 2  # the other videos' speakers joined the same two voices
    with UnitOfWork(session_factory) as uow:  # linked again by hand, the refusal is forgotten
        service.link(uow.session, alice, a)
        uow.commit()
    assert _voices(session_factory)[alice] == (a, "user", None)


def test_a_named_voice_names_the_person_it_is_linked_to(session_factory, video):
    alice = _speaker_voice(session_factory, "Speaker 1")
    with UnitOfWork(session_factory) as uow:
        service.rename(uow.session, alice, "Alice")  # named before any face is known
        uow.commit()
    _analyse(session_factory, SAMPLE, ["faces"])
    a = _person(session_factory, video, "a")
    with UnitOfWork(session_factory) as uow:
        person = uow.session.execute(text("SELECT name FROM face_identities WHERE identity_id = :p"),
                                     {"p": a}).scalar_one()
        voice = uow.session.execute(text("SELECT name, person_id FROM voices WHERE voice_id = :v"),
                                    {"v": alice}).one()
    assert person == "Alice" and tuple(voice) == (None, a)  # one name, the person's
