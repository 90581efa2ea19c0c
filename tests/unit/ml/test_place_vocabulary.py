"""Every rule of the place table (eioku_ml/analyzers/place_vocabulary.py): a
frame whose probability sits on one class of a row is that row's place, on
its side; io-only classes give only the side; weak or mixed evidence is
``unknown``; nothing outside the vocabulary ever comes out."""

from __future__ import annotations

import numpy as np
import pytest
from eioku_ml.analyzers import place_vocabulary as pv
from eioku_ml.models.catalog import CATALOG

IMAGENET = [line.split(",")[0].strip()
            for line in CATALOG["efficientnet-labels"].locate().read_text().splitlines()]
SCORER = pv.PlaceScorer(IMAGENET)


def one_hot(*names: str, mass: float = 0.9) -> np.ndarray:
    p = np.zeros(len(IMAGENET), np.float32)
    for name in names:
        p[IMAGENET.index(name)] = mass / len(names)
    return p


def decide(p: np.ndarray) -> tuple[str, float, str, list]:
    return SCORER.decide([SCORER.frame(p)])


def test_every_class_named_in_the_table_exists_in_the_model():
    named = {c for place in pv.PLACES for c in place.imagenet} | {
        c for _, names, _ in pv.IO_ONLY for c in names}
    assert named - set(IMAGENET) == set()


def test_no_class_belongs_to_two_places():
    seen: dict[str, str] = {}
    for place in pv.PLACES:
        for c in place.imagenet:
            assert seen.setdefault(c, place.label) == place.label, (c, seen[c], place.label)


@pytest.mark.parametrize("place", pv.PLACES, ids=lambda p: p.label)
def test_each_row_names_its_place(place):
    for c in place.imagenet:
        label, confidence, io, _ = decide(one_hot(c))
        assert label == place.label, c
        assert confidence == pytest.approx(0.9, abs=1e-3)
        assert io == (place.io if place.io != pv.EITHER else place.usual), c


@pytest.mark.parametrize("side, names, ranges", pv.IO_ONLY, ids=[s for s, _, _ in pv.IO_ONLY])
def test_io_only_classes_give_the_side_and_no_place(side, names, ranges):
    examples = [*names, *(IMAGENET[lo] for lo, _ in ranges), *(IMAGENET[hi] for _, hi in ranges)]
    for c in examples:
        if any(c in place.imagenet for place in pv.PLACES):
            continue  # a place's own class: that row's test
        label, _, io, _ = decide(one_hot(c, mass=0.5))
        assert (label, io) == (side, side), c


def test_an_either_place_takes_its_side_from_the_rest():
    label, _, io, _ = decide(one_hot("soccer ball") + one_hot("television", mass=0.5))
    assert (label, io) == ("sports venue", "indoor")  # a gym, say
    label, _, io, _ = decide(one_hot("stage") + one_hot("seashore", mass=0.3))
    assert label == "stage" and io == "outdoor"


def test_weak_or_balanced_evidence_is_unknown():
    dogs = np.zeros(len(IMAGENET), np.float32)
    dogs[151:269] = 1 / 118  # pet dogs: no place, no side
    assert decide(dogs)[:3:2] == ("unknown", "unknown")
    assert decide(one_hot("seashore", mass=0.1))[0] == "outdoor"  # too little for a beach
    balanced = one_hot("cup", mass=0.3) + one_hot("kite", mass=0.3)  # indoor and outdoor cues
    assert decide(balanced)[0] == "unknown"


def test_a_shot_is_the_mean_of_its_frames():
    frames = [SCORER.frame(one_hot("seashore", mass=0.6)), SCORER.frame(one_hot("lakeside", mass=0.3)),
              SCORER.frame(one_hot("seashore", mass=0.5))]
    label, confidence, io, others = SCORER.decide(frames)
    assert (label, io) == ("beach", "outdoor")
    assert confidence == pytest.approx((0.6 + 0.5) / 3, abs=1e-3)
    assert others[0] == ("water", pytest.approx(0.1, abs=1e-3))


def test_only_vocabulary_labels_come_out_whatever_the_input():
    rng = np.random.default_rng(0)
    for _ in range(300):
        p = rng.dirichlet(np.full(len(IMAGENET), rng.choice([0.01, 0.1, 1.0]))).astype(np.float32)
        label, confidence, io, others = decide(p)
        assert label in pv.VOCABULARY and io in ("indoor", "outdoor", "unknown")
        assert 0 <= confidence <= 1 and all(o in pv.VOCABULARY for o, _ in others)


def test_places365_categories_map_to_the_same_vocabulary():
    names = ["beach", "kitchen", "street", "living room", "bedroom", "ski slope", "forest path",
             "shopping mall indoor", "stadium soccer", "church indoor", "car interior", "alcove"]
    scorer = pv.PlaceScorer(names, places365=True)
    want = ["beach", "kitchen", "street", "home", "home", "snow", "forest", "shop", "sports venue",
            "church", "vehicle interior", "unknown"]
    for i, expected in enumerate(want):
        p = np.zeros(len(names), np.float32)
        p[i] = 0.9
        assert scorer.decide([scorer.frame(p)])[0] == expected, names[i]
    p = np.zeros(len(names), np.float32)
    p[names.index("church indoor")] = 0.9
    assert scorer.decide([scorer.frame(p)])[2] == "indoor"
