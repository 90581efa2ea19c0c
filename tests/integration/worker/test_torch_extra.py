"""The optional torch extra (ultralytics YOLO, EasyOCR) through the real worker
path, and the promise that the core never needs torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from eioku.config import Settings
from eioku.services import analysis
from eioku.services.ingest import register_path
from eioku.services.pipeline import ANALYZERS
from eioku.store.uow import UnitOfWork
from eioku_ml.worker.execute import AnalyzerCache, execute_run

from tests.media import SAMPLE

TRUTH_TEXT_SHOT = (6000, 9000)


def _video(session_factory, path=SAMPLE):
    with UnitOfWork(session_factory) as uow:
        video, _ = register_path(uow, path)
        uow.commit()
    return video


def test_user_model_choices_are_recorded_in_the_run():
    settings = Settings(yolo_weights=Path("/models/yolov8s.pt"), ocr_engine="easyocr",
                        whisper_model_dir=Path("/models/large-v3"))
    producer, config = ANALYZERS["objects"].plan("fast", settings)
    assert producer == "eioku.objects/ultralytics-yolo"
    assert config["weights"] == "/models/yolov8s.pt" and config["interval_ms"] == 1000
    assert ANALYZERS["ocr"].plan("balanced", settings)[0] == "eioku.ocr/easyocr"
    assert "model_dir" not in ANALYZERS["transcript"].plan("fast", settings)[1]
    assert ANALYZERS["transcript"].plan("high_quality", settings)[1]["model_dir"] == "/models/large-v3"
    places = ANALYZERS["places"].plan("fast", Settings(places365_weights=Path("/m/r18.pth.tar")))
    assert places == ("eioku.places/places365-resnet18", {**ANALYZERS["places"].config("fast"),
                      "engine": "places365-resnet18", "weights": "/m/r18.pth.tar"})
    default = Settings(yolo_weights=None, ocr_engine="rapidocr", whisper_model_dir=None)
    assert ANALYZERS["objects"].plan("fast", default) == (
        ANALYZERS["objects"].producer, ANALYZERS["objects"].config("fast"))


def test_core_imports_never_load_torch():
    code = ("import sys, eioku.api.app, eioku.cli, eioku_ml.worker.execute, eioku_ml.worker.queue, "
            "eioku_ml.analyzers.objects, eioku_ml.analyzers.ocr; "
            "print(sorted(m for m in ('torch', 'ultralytics', 'easyocr') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _run_untrained(session_factory, video, analyzer, settings, **overrides):
    """Run ``analyzer`` as the settings plan it, with config overrides an
    untrained network needs (its scores are far below the profile thresholds)."""
    spec = ANALYZERS[analyzer]
    producer, config = spec.plan("fast", settings)
    with UnitOfWork(session_factory) as uow:
        run = uow.runs.create(asset_id=video.video_id, artifact_type=spec.artifact_type,
                              producer=producer, producer_version=spec.version, model_profile="fast",
                              input_hash=video.content_hash, config={**config, **overrides},
                              analyzer=analyzer)
        uow.commit()
    return execute_run(session_factory, run.run_id, AnalyzerCache())


@pytest.mark.models
def test_missing_yolo_weights_fail_the_run_with_the_file_named(session_factory, tmp_path):
    video = _video(session_factory)
    settings = Settings(yolo_weights=tmp_path / "yolov8s.pt")
    with UnitOfWork(session_factory) as uow:
        [run] = analysis.queue_analysis(uow, video, "fast", ["objects"], settings=settings)
        uow.commit()
    outcome = execute_run(session_factory, run.run_id, AnalyzerCache())
    assert outcome.status == "failed"
    assert outcome.error.startswith("objects: YOLO weights file")  # a setup error, said plainly
    assert str(tmp_path / "yolov8s.pt") in outcome.error and "EIOKU_YOLO_WEIGHTS" in outcome.error


@pytest.mark.models
@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_yolo_code_path_with_an_untrained_network(session_factory, monkeypatch, caplog, device):
    """No YOLO weights ship anywhere; a model definition builds a random-weight
    network, which exercises loading, inference, boxes and storage. Asked for
    cuda on a machine without a GPU, it says so once and runs on the CPU."""
    from eioku_ml.models import device as devices

    monkeypatch.setenv("EIOKU_DEVICE", device)
    monkeypatch.setattr(devices, "_WARNED", set())
    video = _video(session_factory)
    # an untrained network scores ~1e-4 at best
    outcome = _run_untrained(session_factory, video, "objects", Settings(yolo_weights=Path("yolov8n.yaml")),
                             min_confidence=1e-5, width=320)
    assert outcome.status == "completed" and outcome.artifacts > 0, outcome
    with UnitOfWork(session_factory) as uow:
        found = uow.artifacts.get_by_asset(video.video_id, "object.detection")
    assert {a.producer for a in found} == {"eioku.objects/ultralytics-yolo"}
    for a in found:
        box = a.payload["bbox"]
        assert box["x"] >= 0 and box["x"] + box["w"] <= 320.5 and box["w"] >= 0
        assert 0 <= a.payload["confidence"] <= 1 and a.payload["label"]
    import torch

    fallback = [r for r in caplog.records if "runs on the CPU" in r.getMessage()]
    if device == "cuda" and not torch.cuda.is_available():
        assert len(fallback) == 1 and "torch" in fallback[0].getMessage()
    else:
        assert fallback == []


@pytest.mark.models
def test_easyocr_reads_the_invoice_in_the_text_shot(session_factory):
    video = _video(session_factory)
    with UnitOfWork(session_factory) as uow:
        runs = analysis.queue_analysis(uow, video, "fast", ["scenes", "ocr"],
                                       settings=Settings(ocr_engine="easyocr"))
        uow.commit()
    cache = AnalyzerCache()
    for run in runs:  # scenes first: OCR samples at scene starts
        outcome = execute_run(session_factory, run.run_id, cache)
        assert outcome.status == "completed", outcome
    with UnitOfWork(session_factory) as uow:
        texts = uow.artifacts.get_by_asset(video.video_id, "ocr.text")
    assert {a.producer for a in texts} == {"eioku.ocr/easyocr"}
    hits = [a for a in texts if "invoice" in a.payload["text"].lower()]
    assert hits, [a.payload["text"] for a in texts]
    assert all(TRUTH_TEXT_SHOT[0] - 300 <= a.span_start_ms < TRUTH_TEXT_SHOT[1] for a in hits)


def _places365_checkpoint(folder: Path, labels: bool = True) -> Path:
    """A checkpoint in the official resnet18_places365.pth.tar layout, with
    random weights (the real file does not ship in any registry)."""
    import torch
    from torchvision.models import resnet18

    torch.manual_seed(0)
    weights = folder / "resnet18_places365.pth.tar"
    torch.save({"epoch": 90, "state_dict": {f"module.{k}": v for k, v in
                                            resnet18(num_classes=365).state_dict().items()}}, weights)
    if labels:
        (folder / "categories_places365.txt").write_text(
            "".join(f"/{chr(97 + i % 26)}/place_{i}/sub_{i} {i}\n" for i in range(365)))
    return weights


def _run_places(session_factory, settings):
    video = _video(session_factory)
    with UnitOfWork(session_factory) as uow:
        [run] = analysis.queue_analysis(uow, video, "fast", ["places"], settings=settings)
        uow.commit()
    return video, execute_run(session_factory, run.run_id, AnalyzerCache())


@pytest.mark.models
def test_places365_checkpoint_classifies_into_its_categories(session_factory, tmp_path):
    weights = _places365_checkpoint(tmp_path)
    video = _video(session_factory)
    outcome = _run_untrained(session_factory, video, "places", Settings(places365_weights=weights))
    assert outcome.status == "completed", outcome
    with UnitOfWork(session_factory) as uow:
        (found,) = uow.artifacts.get_by_asset(video.video_id, "place.classification")
    # run alone (no scenes): the video is one shot, read from a frame every 2 s
    assert (found.span_start_ms, found.span_end_ms, found.schema_version) == (0, 12_000, 2)
    assert found.producer == "eioku.places/places365-resnet18"
    assert [f["time_ms"] for f in found.payload["frames"]] == list(range(0, 12_000, 2000))
    names = {f"place {i} sub {i}" for i in range(365)}
    from eioku_ml.analyzers.place_vocabulary import VOCABULARY

    assert found.payload["label"] in VOCABULARY  # the vocabulary, never a raw category
    assert all(c["label"] in names for f in found.payload["frames"] for c in f["classes"])


@pytest.mark.models
def test_places365_labels_are_named_from_the_categories_file(tmp_path):
    from eioku_ml.analyzers.places import Places365ResNet

    model = Places365ResNet(str(_places365_checkpoint(tmp_path)))
    assert model.labels[0] == "place 0 sub 0" and len(model.labels) == 365
    probs = model(np.zeros((360, 640, 3), dtype=np.uint8))
    assert probs.shape == (365,) and abs(float(probs.sum()) - 1) < 1e-4


@pytest.mark.models
def test_places365_without_its_categories_fails_naming_the_file(session_factory, tmp_path):
    weights = _places365_checkpoint(tmp_path, labels=False)
    _, outcome = _run_places(session_factory, Settings(places365_weights=weights))
    assert outcome.status == "failed"
    assert "categories_places365.txt" in outcome.error and "EIOKU_PLACES365_WEIGHTS" in outcome.error
