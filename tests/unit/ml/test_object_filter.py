"""The rules that decide a shot's objects (eioku_ml/analyzers/object_filter.py),
one by one, on hand-made detections: tracking, persistence, per-class
thresholds, indoor-only classes outdoors, sports objects without people, and
hand-sized objects larger than the people beside them."""

from __future__ import annotations

from eioku_ml.analyzers import object_filter as of


def box(x: float, y: float, w: float = 40, h: float = 40) -> dict[str, float]:
    return {"x": x, "y": y, "w": w, "h": h}


def shot(*frames: list[tuple[str, float, dict[str, float]]]) -> list[of.Sample]:
    return [of.Sample(i * 500, i * 12, list(d)) for i, d in enumerate(frames)]


def kept(samples: list[of.Sample], table: dict[str, float] | None = None) -> list[str]:
    return sorted(t.label for t in of.decide(samples, 0.5, table or {})[0])


def test_a_moving_object_is_one_track_and_one_artifact():
    samples = shot(*([("dog", 0.7, box(100 + 8 * i, 50))] for i in range(6)))
    (dog,), dropped = of.decide(samples, 0.5, {})
    assert dropped == [] and dog.label == "dog" and len(dog.hits) == 6
    payload = of.payload(dog, 36)
    assert payload["samples"] == 6 and len(payload["frames"]) == 6
    assert [f["time_ms"] for f in payload["frames"]] == [0, 500, 1000, 1500, 2000, 2500]
    assert payload["confidence"] == 0.7 and payload["frame_number"] == 36


def test_two_apart_objects_of_one_label_are_two_tracks():
    samples = shot(*([("car", 0.7, box(10, 10)), ("car", 0.7, box(400, 10))] for _ in range(3)))
    assert kept(samples) == ["car", "car"]


def test_a_label_seen_once_in_a_longer_shot_needs_a_high_score():
    quiet = [("person", 0.9, box(0, 0, 50, 200))]
    assert kept(shot(quiet, [*quiet, ("bird", 0.6, box(300, 10))], quiet)) == ["person"]
    assert kept(shot(quiet, [*quiet, ("bird", 0.85, box(300, 10))], quiet)) == ["bird", "person"]
    twice = shot(quiet, [*quiet, ("bird", 0.6, box(300, 10))], [*quiet, ("bird", 0.55, box(305, 12))])
    assert kept(twice) == ["bird", "person"]


def test_a_one_sample_shot_has_no_second_look_to_ask_for():
    assert kept(shot([("bird", 0.6, box(300, 10))])) == ["bird"]


def test_per_class_thresholds_apply_to_the_best_score():
    samples = shot(*([("tie", 0.9, box(100, 100))] for _ in range(3)))
    assert kept(samples, {"tie": 0.95}) == []
    assert kept(samples, {"tie": 0.85}) == ["tie"]
    low = shot(*([("person", 0.35, box(100, 100, 30, 90))] for _ in range(3)))
    assert kept(low) == [] and kept(low, {"person": 0.3}) == ["person"]


def test_indoor_only_classes_in_an_outdoor_shot_need_a_much_higher_score():
    street = [("car", 0.8, box(0, 0, 200, 100)), ("toilet", 0.7, box(300, 100, 60, 80))]
    assert kept(shot(street, street)) == ["car"]
    sure = [("car", 0.8, box(0, 0, 200, 100)), ("toilet", 0.95, box(300, 100, 60, 80))]
    assert kept(shot(sure, sure)) == ["car", "toilet"]
    bathroom = [("toilet", 0.7, box(300, 100, 60, 80))]
    assert kept(shot(bathroom, bathroom)) == ["toilet"]


def test_sports_objects_without_people_need_more_evidence():
    ball = ("sports ball", 0.7, box(200, 200, 20, 20))
    player = ("person", 0.9, box(150, 100, 60, 180))
    assert kept(shot([ball], [ball])) == []
    assert kept(shot([ball, player], [ball, player])) == ["person", "sports ball"]
    sure = ("sports ball", 0.85, box(200, 200, 20, 20))
    assert kept(shot([sure], [sure])) == ["sports ball"]
    assert kept(shot([sure], [])) == []  # seen once, alone: not enough


def test_a_hand_sized_object_larger_than_every_person_is_not_that_object():
    people = [("person", 0.9, box(100, 100, 20, 60)), ("person", 0.9, box(300, 100, 25, 70))]
    huge_ball = ("sports ball", 0.8, box(10, 80, 400, 300))
    assert kept(shot([*people, huge_ball], [*people, huge_ball])) == ["person", "person"]
    phone = ("cell phone", 0.8, box(110, 120, 10, 15))
    assert kept(shot([*people, phone], [*people, phone])) == ["cell phone", "person", "person"]


def test_calibration_raises_a_class_past_its_false_labels_and_keeps_true_ones():
    frames = [({"tie": 0.9}, set(), set()), ({"tie": 0.72}, set(), set()),
              ({"cup": 0.96}, {"cup"}, set()), ({"person": 0.4}, {"person"}, set()),
              ({"person": 0.35}, {"person"}, set()), ({"person": 0.8}, {"person"}, set()),
              ({"bowl": 0.9}, set(), {"bowl"})]  # a "maybe": ignored
    assert of.calibrate(frames, 0.5) == {"tie": 0.95, "person": 0.3}  # the lowest that keeps them all


def test_each_dropped_track_says_why():
    player = ("person", 0.9, box(150, 100, 20, 60))
    frames = [[player, ("car", 0.8, box(0, 0, 200, 100)), ("toilet", 0.7, box(300, 100, 60, 80)),
               ("sports ball", 0.8, box(10, 80, 400, 300)), ("tie", 0.9, box(400, 300, 10, 30))]
              for _ in range(3)]
    frames[1].append(("bird", 0.6, box(500, 10)))
    kept, dropped = of.decide(shot(*frames), 0.5, {"tie": 0.95})
    assert sorted(t.label for t in kept) == ["car", "person"]
    assert {t.label: t.reason for t in dropped} == {
        "toilet": "indoor-only, in an outdoor shot",
        "sports ball": "larger than the people beside it",
        "tie": "under its class threshold",
        "bird": "seen once"}
