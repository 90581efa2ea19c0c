"""A correction of a real transcript survives a real re-analysis: the sample is
transcribed (Whisper base, the fast profile), a line is corrected, the video is
analysed again with the balanced profile, and find, keyword search and the
subtitles still give the person's words; undo gives the new analysis's own."""

from __future__ import annotations

import shutil

import pytest
from eioku.api.app import create_app
from eioku.config import Settings
from eioku.services import analysis
from eioku.services.ingest import register_path
from eioku.store.uow import UnitOfWork
from eioku_ml.worker.execute import AnalyzerCache, execute_run
from fastapi.testclient import TestClient

from tests.media import LOOPBACK, SAMPLE


def _transcribe(session_factory, video, profile: str) -> str:
    with UnitOfWork(session_factory) as uow:
        (run,) = analysis.queue_analysis(uow, video, profile, ["transcript"])
        uow.commit()
    outcome = execute_run(session_factory, run.run_id, AnalyzerCache())
    assert outcome.status == "completed", outcome.error
    return str(run.run_id)


@pytest.mark.models
def test_a_corrected_line_survives_a_reanalysis_with_another_profile(session_factory, tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    path = media / "sample.mp4"
    shutil.copyfile(SAMPLE, path)
    with UnitOfWork(session_factory) as uow:
        video, _ = register_path(uow, path)
        uow.commit()
    fast = _transcribe(session_factory, video, "fast")
    settings = Settings(data_dir=tmp_path / "data", media_roots=[media], database_url=None)
    with TestClient(create_app(settings, session_factory), base_url=LOOPBACK) as client:
        base = f"/v1/videos/{video.video_id}"
        lines = client.get(f"{base}/corrections/lines").json()["lines"]
        invoice = next(line for line in lines if "invoice" in line["text"].lower())
        r = client.post(f"{base}/corrections/lines", json={
            "artifact_id": invoice["artifact_id"], "text": "Please pay invoice 2024 by Friday noon."})
        assert r.status_code == 201, r.text
        correction = r.json()["correction"]["correction_id"]

        balanced = _transcribe(session_factory, video, "balanced")
        assert balanced != fast
        selected = client.get(f"{base}/selection/transcript.segment").json()["selected_run_id"]
        user_run = client.get(f"/v1/runs/{selected}").json()
        assert user_run["producer"] == "user" and user_run["config"]["base_run_id"] == balanced
        texts = [line["text"] for line in client.get(f"{base}/corrections/lines").json()["lines"]]
        assert texts.count("Please pay invoice 2024 by Friday noon.") == 1
        assert not any("invoice before" in t.lower() for t in texts), texts  # the new run's own line gave way
        assert any("space station" in t.lower() for t in texts)  # the rest is the new run's
        found = client.get(f"{base}/find", params={"q": "noon"}).json()["matches"]
        assert [m["snippet"] for m in found] == ["Please pay invoice 2024 by Friday <mark>noon</mark>."]
        hits = client.get("/v1/search", params={"q": "noon", "mode": "keyword"}).json()["hits"]
        assert [h["start_ms"] for h in hits] == [found[0]["jump_to"]["start_ms"]]
        vtt = client.get(f"{base}/subtitles.vtt").text
        assert "Friday noon." in vtt and "invoice before" not in vtt.lower()

        assert client.post(f"{base}/corrections/{correction}/undo").status_code == 200
        assert client.get(f"{base}/selection/transcript.segment").json()["selected_run_id"] == balanced
        texts = [line["text"] for line in client.get(f"{base}/corrections/lines").json()["lines"]]
        assert any("invoice" in t.lower() and "noon" not in t for t in texts)
        assert client.get(f"{base}/find", params={"q": "noon"}).status_code in (200, 404)
        assert client.get(f"{base}/find", params={"q": "noon"}).json().get("matches", []) == []
