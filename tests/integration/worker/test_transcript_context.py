"""What a transcript run is given besides the audio: the words read on screen
(it uses the ocr stage) and the library's people and voice names, for its
hotwords (``execute._dependency_artifacts``); a merged-away or nameless
person or voice gives none."""

from __future__ import annotations

from eioku.services import analysis
from eioku.services.ingest import register_path
from eioku.store.uow import UnitOfWork
from eioku_ml.worker.execute import _dependency_artifacts
from sqlalchemy import text

from tests.media import SAMPLE


def test_a_transcript_run_gets_the_screen_text_and_the_library_names(session_factory):
    with UnitOfWork(session_factory) as uow:
        uow.session.execute(text(
            "INSERT INTO face_identities (identity_id, embedding_model, centroid, faces, name, merged_into) "
            "VALUES ('person-1', 'm', '{0}', 1, 'Siobhan Nguyen', NULL), "
            "('person-2', 'm', '{0}', 1, NULL, NULL), ('person-3', 'm', '{0}', 1, 'Gone Away', 'person-1')"))
        uow.session.execute(text(
            "INSERT INTO voices (voice_id, name) VALUES ('voice-1', 'Aoife'), ('voice-2', NULL), "
            "('voice-3', 'Siobhan Nguyen')"))
        video, _ = register_path(uow, SAMPLE)
        runs = {r.analyzer: r for r in analysis.queue_analysis(uow, video, "fast", ["ocr", "transcript"])}
        uow.commit()
    with UnitOfWork(session_factory) as uow:
        context = _dependency_artifacts(uow, runs["transcript"])
        other = _dependency_artifacts(uow, runs["ocr"])
    assert context["names"] == ["Aoife", "Siobhan Nguyen"]
    assert context["ocr"] == []  # the ocr run has not completed: nothing read yet
    assert "names" not in other
