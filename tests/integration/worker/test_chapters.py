"""The chapters stage through the worker, run alone on videos analysed before
it existed: it reads the selected transcript and scenes runs, stores chapter
artifacts that validate, and they are projected (jump?kind=chapter walks them);
a video where nothing is said is titled by what its shots show."""

from __future__ import annotations

import random

import numpy as np
import pytest
from eioku.domain.enums import JumpKind
from eioku.services import analysis
from eioku.services.ingest import register_path
from eioku.services.navigation import JumpQuery, jump
from eioku.store.uow import UnitOfWork
from eioku_ml.worker.execute import AnalyzerCache, execute_run

from tests.chapters_eval import TALKS, boundary_f1, programme
from tests.factories import payload_for, store_run
from tests.speech_media import talking_video

pytestmark = pytest.mark.models


def _run_chapters_alone(session_factory, video_id) -> list:
    with UnitOfWork(session_factory) as uow:
        (run,) = analysis.queue_analysis(uow, uow.videos.get(video_id), "fast", ["chapters"])
        uow.commit()
    assert execute_run(session_factory, run.run_id, AnalyzerCache()).status == "completed"
    with UnitOfWork(session_factory) as uow:
        return uow.artifacts.get_by_asset(video_id, "chapter")


def test_chapters_alone_on_an_analysed_talk(session_factory, tmp_path):
    prog = programme(random.Random(7).sample(TALKS, 3), tmp_path, 7)
    path = talking_video(tmp_path / "talk.mp4", prog.audio)
    with UnitOfWork(session_factory) as uow:
        video, _ = register_path(uow, path)
        store_run(uow, video.video_id, "transcript.segment",
                  [(int(s * 1000), int(e * 1000)) for s, e, _ in prog.sentences],
                  payloads=[payload_for("transcript.segment", i, text=t)
                            for i, (_, _, t) in enumerate(prog.sentences)])
        # a cut 700 ms after the second talk starts: the chapter starts there (inside the pause)
        cut = int(prog.boundaries_s[1] * 1000) - 300
        store_run(uow, video.video_id, "scene", [(0, cut), (cut, int(len(prog.audio) / 16))])
        uow.commit()
    chapters = _run_chapters_alone(session_factory, video.video_id)
    starts = [c.span_start_ms / 1000 for c in chapters[1:]]
    print("boundaries", prog.boundaries_s, "found", starts, [c.payload["title"] for c in chapters])
    assert boundary_f1(starts, prog.boundaries_s)[2] == 1.0
    assert cut in [c.span_start_ms for c in chapters]
    assert "cut" in next(c for c in chapters if c.span_start_ms == cut).payload["reasons"]
    assert [c.payload["chapter_index"] for c in chapters] == list(range(len(chapters)))
    assert all(c.payload["title_source"] == "speech" and c.payload["key_phrases"] for c in chapters)
    assert chapters[0].span_start_ms == 0 and chapters[-1].span_end_ms >= int(prog.parts[-1][1] * 1000)
    with UnitOfWork(session_factory) as uow:  # projected: a jump lands on the next chapter
        hit = jump(uow.session, video.video_id, JumpQuery(JumpKind.CHAPTER, from_ms=0))
    assert hit.start_ms == chapters[1].span_start_ms


def test_a_silent_video_is_titled_by_its_shots(session_factory, tmp_path):
    path = talking_video(tmp_path / "silent.mp4", np.zeros(16_000 * 30, np.float32))
    with UnitOfWork(session_factory) as uow:
        video, _ = register_path(uow, path)
        store_run(uow, video.video_id, "object.detection", [(0, 1000), (5000, 6000)],
                  payloads=[payload_for("object.detection", i, label="car") for i in range(2)])
        uow.commit()
    (chapter,) = _run_chapters_alone(session_factory, video.video_id)
    assert chapter.payload["title"] == "A car"
    assert chapter.payload["title_source"] == "shots" and chapter.payload["words"] == 0
