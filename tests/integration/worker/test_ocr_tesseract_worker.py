"""EIOKU_OCR_LANGUAGES through the real worker path: a Tesseract OCR run is a run of
its own beside the default one (both stay selectable), the English the default
engine reads is still its, and a language whose Debian pack is missing fails the
run naming the package."""

from __future__ import annotations

import json

from eioku.config import Settings, get_settings
from eioku.db import migrate
from eioku.services import analysis
from eioku.services.ingest import register_path
from eioku.store.uow import UnitOfWork
from eioku_ml.worker.execute import AnalyzerCache, execute_run

from tests.media import SAMPLE


def _queue_and_run(session_factory, video, names, settings):
    with UnitOfWork(session_factory) as uow:
        runs = analysis.queue_analysis(uow, video, "fast", names, settings=settings)
        uow.commit()
    cache = AnalyzerCache()
    return {run.analyzer: (run, execute_run(session_factory, run.run_id, cache)) for run in runs}


def test_a_tesseract_run_stands_beside_the_default_one(session_factory):
    with UnitOfWork(session_factory) as uow:
        video, _ = register_path(uow, SAMPLE)
        uow.commit()
    default = _queue_and_run(session_factory, video, ["scenes", "ocr"], Settings())
    tess = _queue_and_run(session_factory, video, ["ocr"], Settings(ocr_languages="rus+ell"))
    assert default["ocr"][1].status == "completed" and tess["ocr"][1].status == "completed"
    assert default["ocr"][0].run_id != tess["ocr"][0].run_id
    assert tess["ocr"][0].config["tesseract_languages"] == "rus+ell"
    assert "tesseract_languages" not in default["ocr"][0].config
    with UnitOfWork(session_factory) as uow:  # each run selectable by its id
        old = [a.payload for a in uow.artifacts.get_by_asset(
            video.video_id, "ocr.text", run_id=default["ocr"][0].run_id)]
        new = [a.payload for a in uow.artifacts.get_by_asset(
            video.video_id, "ocr.text", run_id=tess["ocr"][0].run_id)]
    assert old and all("engine" not in p for p in old)
    invoice = [p for p in new if "invoice" in p["text"].lower()]
    assert invoice and all(p["engine"] == "rapidocr" and p["language"] == "en" for p in invoice)
    assert all(p["engine"] in ("rapidocr", "tesseract") for p in new)

    missing = _queue_and_run(session_factory, video, ["ocr"], Settings(ocr_languages="syr"))
    run, outcome = missing["ocr"]
    assert outcome.status == "failed"
    with UnitOfWork(session_factory) as uow:
        stored = uow.runs.get(run.run_id)
    assert "tesseract-ocr-syr" in (stored.error or str(outcome)), (stored.error, outcome)


def test_doctor_checks_the_packs_of_the_ocr_languages(pg_cluster, monkeypatch):
    from eioku.cli import app as cli_app
    from typer.testing import CliRunner

    name = pg_cluster.create()
    monkeypatch.setenv("DATABASE_URL", pg_cluster.url(name))
    runner = CliRunner()

    def check(languages: str) -> dict:
        monkeypatch.setenv("EIOKU_OCR_LANGUAGES", languages)
        get_settings.cache_clear()
        result = runner.invoke(cli_app, ["doctor", "--json"])
        return {c["check"]: c for c in json.loads(result.stdout)}["ocr languages"]

    try:
        migrate.upgrade(pg_cluster.url(name))
        assert check("rus+ell")["ok"]
        missing = check("rus+syr")
        assert not missing["ok"] and "tesseract-ocr-syr" in missing["detail"]
    finally:
        get_settings.cache_clear()
