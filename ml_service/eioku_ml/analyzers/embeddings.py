"""text.embedding: what was said, shown and seen, as vectors for search by meaning.

Every transcript segment and on-screen text gets a 384-d all-MiniLM-L6-v2
vector, and so does a *description* of each shot: the people, objects, place,
on-screen text and speech the other analyses found inside the scene, written
as a sentence ("2 people with a dog and a car, in a street. On screen: EXIT.
Speech: …"). A shot where something was seen also gets a vector of what was
seen alone ("2 people with a dog and a car, in a street."): in the whole
description thirty words of speech outweigh five of sight, and "people with a
dog in the street" should land on the shots where those co-occur whatever is
said there. Both are ``source: shot``; search keeps the better of the two.

It uses the selected runs of the other analyzers that completed (``uses``);
a silent video still gets shot descriptions, and a video without scenes is
one shot.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from eioku_ml.analyzers.base import Analyzer, Item, MediaInput, Progress
from eioku_ml.models import minilm

MODEL = "all-MiniLM-L6-v2"
MAX_TEXT = 4_000  # the payload's limit; the encoder reads the first 256 tokens anyway


@dataclass(frozen=True)
class Shot:
    start_ms: int
    end_ms: int
    description: str  # what was seen, shown and said
    seen: str  # what was seen alone (people, objects, place); may be empty


def _overlapping(artifacts: Iterable[Any], start: int, end: int) -> list[Any]:
    """Artifacts whose span meets [start, end); a point (start == end) inside it counts."""
    return [a for a in artifacts if a.span_start_ms < end
            and (a.span_end_ms > start or a.span_start_ms >= start)]


def _and(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def _thing(label: str, count: int) -> str:
    return f"{count} {label}s" if count > 1 and not label.endswith("s") else f"a {label}"


# how a place of the vocabulary reads after what was seen ("2 people, at home")
_PLACE_PHRASES = {"indoor": "indoors", "outdoor": "outdoors", "home": "at home",
                  "stage": "on a stage", "water": "by the water", "snow": "in the snow",
                  "beach": "on a beach", "mountain": "in the mountains", "building": "by a building",
                  "vehicle interior": "inside a vehicle", "sports venue": "at a sports venue"}


def _where(label: str) -> str:
    article = "an" if label[:1].lower() in "aeiou" else "a"
    return _PLACE_PHRASES.get(label, f"in {article} {label}")


def _looks_like(places: Sequence[Any], exclude: set[str], least: float = 0.3) -> list[str]:
    """What the places model saw most in the shot's frames, beyond the detectors'
    labels (a rocket, a church, a bicycle): classes whose mean probability over
    the frames is at least ``least``, three at most (place.classification v2)."""
    frames = [f for a in places for f in a.payload.get("frames", [])]
    if not frames:
        return []
    total: Counter[str] = Counter()
    for frame in frames:
        for c in frame.get("classes", []):
            total[str(c["label"]).lower()] += float(c["confidence"])
    return [label for label, s in total.most_common(3)
            if s / len(frames) >= least and label not in exclude]


def describe(objects: Sequence[Any], faces: Sequence[Any], places: Sequence[Any],
             texts: Sequence[Any], speech: Sequence[Any], speech_words: int = 30) -> tuple[str, str]:
    """What the analyses found in a shot, in words: the whole description and
    its first sentence, what was seen (either may be empty).

    Objects count by their most detections in one frame (three cars in one
    frame are 3 cars; one car seen in ten frames is a car). People are the most
    faces or "person" detections seen in one frame. The place is the label
    seen most often. On-screen texts and speech follow in the order they
    appear, speech cut to ``speech_words`` words."""
    per_frame: Counter[tuple[str, int]] = Counter(
        (str(a.payload["label"]).lower(), int(a.payload.get("frame_number", a.span_start_ms)))
        for a in objects)
    most: dict[str, int] = {}
    for (label, _), n in per_frame.items():
        most[label] = max(most.get(label, 0), n)
    face_frames = Counter(int(a.payload.get("frame_number", a.span_start_ms)) for a in faces)
    people = max([most.pop("person", 0), *face_frames.values(), 0])
    seen = Counter(str(a.payload["label"]).lower() for a in objects if a.payload["label"] != "person")
    things = [_thing(label, most[label]) for label, _ in seen.most_common(6)]
    who = "" if not people else "a person" if people == 1 else f"{people} people"
    parts = []
    if who and things:
        parts.append(f"{who} with {_and(things)}")
    elif who or things:
        parts.append(who or _and(things))
    place = Counter(str(a.payload["label"]).replace("_", " ") for a in places
                    if a.payload["label"] != "unknown").most_common(1)
    if place:
        parts.append(_where(place[0][0]))
    looks = _looks_like(places, exclude={*most, "person"})
    if looks:
        parts.append(f"looking like {_and(looks)}")
    sentence = ", ".join(parts)
    sentence = sentence[:1].upper() + sentence[1:] + "." if sentence else ""
    seen = sentence
    shown = list(dict.fromkeys(str(a.payload["text"]).strip() for a in
                               sorted(texts, key=lambda a: a.span_start_ms)))
    if shown:
        sentence += f" On screen: {'; '.join(t for t in shown if t)}."
    words = " ".join(str(a.payload["text"]).strip() for a in
                     sorted(speech, key=lambda a: a.span_start_ms)).split()
    if words:
        said = " ".join(words[:speech_words]) + (" …" if len(words) > speech_words else "")
        sentence += f" Speech: {said}"
    return sentence.strip()[:MAX_TEXT], seen


def shots(context: dict[str, list[Any]], duration_ms: int, speech_words: int = 30) -> list[Shot]:
    """A description per scene of the selected scene run (the whole video
    when there is none); shots where nothing was found are left out."""
    scenes = sorted(context.get("scenes", []), key=lambda a: a.span_start_ms)
    bounds = [(a.span_start_ms, a.span_end_ms) for a in scenes] or [(0, max(duration_ms, 1))]
    out = []
    for start, end in bounds:
        text, seen = describe(*(_overlapping(context.get(name, []), start, end) for name in
                                ("objects", "faces", "places", "ocr", "transcript")),
                              speech_words=speech_words)
        if text:
            out.append(Shot(start, end, text, seen))
    return out


class EmbeddingsAnalyzer(Analyzer):
    name = "embeddings"

    def load(self) -> None:
        self.model = minilm.shared()

    def _analyze(self, media: MediaInput, progress: Progress, context: dict[str, Any]) -> list[Item]:
        todo: list[tuple[int, int, str, str, str | None]] = []
        for source, name in (("transcript", "transcript"), ("ocr", "ocr")):
            for a in context.get(name, []):
                text = str(a.payload.get("text", "")).strip()[:MAX_TEXT]
                if text:
                    todo.append((a.span_start_ms, a.span_end_ms, source, text, str(a.artifact_id)))
        words = int(self.config.get("speech_words", 30))
        for shot in shots(context, media.duration_ms, words):
            todo.append((shot.start_ms, shot.end_ms, "shot", shot.description, None))
            if shot.seen and shot.seen != shot.description:
                todo.append((shot.start_ms, shot.end_ms, "shot", shot.seen, None))
        unique = list(dict.fromkeys(t[3] for t in todo))
        vectors = dict(zip(unique, self.model.encode(unique), strict=True)) if unique else {}
        progress(1.0)
        return [Item(start, end, {"source": source, "text": text, "model": MODEL,
                                  "vector": [round(float(x), 7) for x in vectors[text]],
                                  "source_artifact_id": artifact_id})
                for start, end, source, text, artifact_id in todo]
