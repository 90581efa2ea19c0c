"""The entities and languages stages run on a video already analysed, alone
(their stage only, as `eioku analyze VIDEO --analyzers entities,languages`
does), through the real worker, models and store: they read the selected
transcript and OCR runs, and what they store is projected, listed and jumped
through."""

from __future__ import annotations

from eioku.domain.enums import ArtifactType, JumpKind
from eioku.services import analysis, navigation
from eioku.services.ingest import register_path
from eioku.store import terms
from eioku.store.uow import UnitOfWork
from eioku_ml.worker.execute import AnalyzerCache, execute_run

from tests.factories import payload_for, store_run
from tests.media import SAMPLE

SPEECH = [((0, 3000), "Good morning. Today Siemens opened a new plant in Munich."),
          ((3000, 6000), "The plant in Munich builds trains for Deutsche Bahn."),
          ((6000, 9000), "Heute sprechen wir über die neue Fabrik in Bayern.")]


def test_only_the_stages_run_on_an_analysed_video(session_factory):
    with UnitOfWork(session_factory) as uow:
        video, _ = register_path(uow, SAMPLE)
        store_run(uow, video.video_id, "transcript.segment", [s for s, _ in SPEECH], payloads=[
            payload_for("transcript.segment", text=t, language="de" if "Heute" in t else "en")
            for _, t in SPEECH])
        store_run(uow, video.video_id, "ocr.text", [(1000, 5000), (6000, 8000)], payloads=[
            payload_for("ocr.text", text="SIEMENS MOBILITY"),
            payload_for("ocr.text", text="Willkommen im neuen Werk in Bayern")])
        runs = analysis.queue_analysis(uow, video, "fast", ["entities", "languages"])
        uow.commit()
    outcomes = [execute_run(session_factory, r.run_id, AnalyzerCache()) for r in runs]
    assert [o.status for o in outcomes] == ["completed", "completed"], outcomes
    with UnitOfWork(session_factory) as uow:
        run_id = terms.selected_run(uow.session, video.video_id, ArtifactType.ENTITY_MENTION)
        found = {(t.name, t.type): t.mentions for t in terms.video_terms(uow.session, run_id)}
        assert found[("Siemens", "org")] == 1 and found[("Munich", "place")] == 2
        assert found[("Deutsche Bahn", "org")] == 1
        # the shouted line, read title-cased, is a name (the small model takes it for a person)
        assert any(name == "Siemens Mobility" for name, _ in found)
        assert not any("Bayern" in name for name, _ in found)  # German speech and text left out
        hit = navigation.jump(uow.session, video.video_id, navigation.JumpQuery(
            JumpKind.ENTITY, label="munich", from_ms=0))
        assert 3000 <= hit.start_ms < 6000
        lang_run = terms.selected_run(uow.session, video.video_id, ArtifactType.TEXT_LANGUAGE)
        shares = {(s.source, s.language): s.items for s in terms.video_languages(uow.session, lang_run)}
        assert shares[("transcript", "en")] == 2 and shares[("transcript", "de")] == 1
        assert shares[("ocr", "de")] == 1
