"""Shot descriptions (the text a shot is searched by): what was seen, where,
what it looked like, what was shown and said."""

from __future__ import annotations

from types import SimpleNamespace

from eioku_ml.analyzers.embeddings import describe


def art(start: int, **payload):
    return SimpleNamespace(span_start_ms=start, span_end_ms=start + 1000, payload=payload)


def place(label: str, *classes: tuple[str, float]):
    return art(0, label=label, confidence=0.5, io="outdoor", frame_number=0, frames=[
        {"frame_number": 0, "time_ms": 0, "label": label,
         "classes": [{"label": c, "confidence": p} for c, p in classes]}])


def test_people_things_place_text_and_speech():
    objects = [art(0, label="person", frame_number=0), art(0, label="person", frame_number=0),
               art(0, label="dog", frame_number=0), art(1000, label="car", frame_number=25),
               art(1000, label="car", frame_number=25)]
    text, seen = describe(objects, [], [place("street")], [art(0, text="EXIT")],
                          [art(0, text="look at that dog"), art(1000, text="it is running")])
    assert seen == "2 people with 2 cars and a dog, in a street."  # most seen first
    assert text == seen + " On screen: EXIT. Speech: look at that dog it is running"


def test_places_read_naturally_and_unknown_says_nothing():
    assert describe([], [], [place("home")], [], [])[1] == "At home."
    assert describe([], [], [place("outdoor")], [], [])[1] == "Outdoors."
    assert describe([], [], [place("office")], [], [])[1] == "In an office."
    assert describe([], [], [place("unknown")], [], []) == ("", "")


def test_what_the_places_model_saw_beyond_the_detectors():
    rocket = place("outdoor", ("missile", 0.6), ("projectile", 0.5), ("ski", 0.1))
    assert describe([], [], [rocket], [], [])[1] == "Outdoors, looking like missile and projectile."
    cat = place("unknown", ("egyptian cat", 0.7))
    seen = describe([art(0, label="cat", frame_number=0)], [], [cat], [], [])[1]
    assert seen == "A cat, looking like egyptian cat."
    bus = place("street", ("bus", 0.9))  # a detector's label already said: not again
    assert describe([art(0, label="bus", frame_number=0)], [], [bus], [], [])[1] == "A bus, in a street."


def test_speech_is_cut():
    words = " ".join(f"w{i}" for i in range(50))
    text, seen = describe([], [], [], [], [art(0, text=words)], speech_words=5)
    assert seen == "" and text == "Speech: w0 w1 w2 w3 w4 …"
