"""Places on real pictures: 62 photographs and video frames from installable
packages (tests/data/places, labelled by hand), each classified as a one-frame
shot by the default model; and the sample analysed per shot."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from eioku.services.pipeline import ANALYZERS
from eioku_ml.analyzers import place_vocabulary as pv
from eioku_ml.analyzers.base import MediaInput
from eioku_ml.analyzers.places import EfficientNetPlaces, PlaceAnalyzer
from eioku_ml.analyzers.scenes import SceneAnalyzer
from eioku_ml.media.decode import probe
from eioku_ml.media.framepass import run_pass
from PIL import Image

from tests.media import SAMPLE

DATA = Path(__file__).parents[2] / "data" / "places"
LABELS = json.loads((DATA / "labels.json").read_text())["images"]
TRUTH = json.loads((SAMPLE.parent / "sample.json").read_text())
pytestmark = pytest.mark.models
TOP1_FLOOR = 0.48  # measured 0.50 (docs/models.md); the bar of 0.6 is not met yet


def test_the_evaluation_set_is_real_and_labelled_within_the_vocabulary():
    assert len(LABELS) >= 60
    assert {r["place"] for r in LABELS} <= set(pv.VOCABULARY) - {"unknown"}
    assert {r["io"] for r in LABELS} == {"indoor", "outdoor"}
    assert all(":" in r["source"] and (DATA / r["file"]).is_file() for r in LABELS)


def test_accuracy_on_hand_labelled_pictures(capsys):
    model = EfficientNetPlaces()
    scorer = pv.PlaceScorer(model.labels)
    right = right_io = 0
    confusions = []
    for row in LABELS:
        image = np.asarray(Image.open(DATA / row["file"]).convert("RGB"))
        label, confidence, io, others = scorer.decide([scorer.frame(model(image))])
        assert label in pv.VOCABULARY and all(o in pv.VOCABULARY for o, _ in others)
        assert label not in model.labels or label in pv.VOCABULARY  # never an object's name
        right += label == row["place"]
        right_io += io == row["io"]
        if label != row["place"]:
            confusions.append(f"{row['file']}: {label}")
    top1, io_accuracy = right / len(LABELS), right_io / len(LABELS)
    with capsys.disabled():
        print(f"\nplaces on {len(LABELS)} pictures: top-1 {top1:.3f}, indoor/outdoor {io_accuracy:.3f}")
        print("  wrong: " + "; ".join(confusions))
    assert io_accuracy >= 0.85
    assert top1 >= TOP1_FLOOR


def test_the_sample_gets_one_place_per_shot():
    """In one frame pass with scenes, as the pipeline runs them."""
    media = MediaInput(SAMPLE, probe(SAMPLE))
    analyzers = {"scenes": SceneAnalyzer(ANALYZERS["scenes"].config("fast")),
                 "places": PlaceAnalyzer(ANALYZERS["places"].config("fast"))}
    for analyzer in analyzers.values():
        analyzer.ensure_loaded()
        analyzer.start(media, {})
    items = run_pass(SAMPLE, analyzers, duration_s=media.probe.duration_s)["places"].items
    cuts = [0, *(round(c * 1000) for c in TRUTH["cuts_s"]), round(TRUTH["duration_s"] * 1000)]
    # scene cuts found in the same pass bound the shots; every shot has a frame
    assert len(items) == len(TRUTH["shots"])
    assert all(abs(i.span_start_ms - c) <= 300 for i, c in zip(items, cuts, strict=False))
    assert items[-1].span_end_ms == cuts[-1]
    for item in items:
        assert item.schema_version == 2 and item.payload["label"] in pv.VOCABULARY
        assert item.payload["frames"] and all(
            item.span_start_ms <= f["time_ms"] < item.span_end_ms for f in item.payload["frames"])
