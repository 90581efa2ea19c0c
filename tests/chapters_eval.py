"""Talks with known topic boundaries, for the chapters evaluation.

Twelve short talks written for it, each on one topic, with the key phrases a
person would title it by; a talk is read sentence by sentence by one of
flite's voices recorded from real speakers (awb, rms, slt) or espeak-ng, so
every sentence's time is known. A *programme* is a few talks one after the
other (a pause between them like any other between sentences: no free
cue), optionally with the LibriVox narration of pocketsphinx-testdata (Sense
and Sensibility) as one more part. The boundaries are where a talk starts.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.speech_media import POCKETSPHINX, RATE, espeak, flite, load_16k

PAUSE_S = 0.6  # between sentences, and between talks


@dataclass(frozen=True)
class Talk:
    topic: str
    key_phrases: tuple[str, ...]
    text: str


TALKS = (
    Talk("bees", ("honey bees", "hive", "pollen", "queen", "colony"),
         "Honey bees live together in a colony of many thousands. Every hive has a single queen "
         "who lays the eggs. The worker bees fly out to collect nectar and pollen from flowers. "
         "Back in the hive, the nectar is turned into honey and stored in wax cells. A bee tells "
         "the others where the flowers are with a small dance. In winter the colony huddles "
         "together to keep the queen warm. Beekeepers wear veils and use smoke to calm the bees. "
         "Without bees, many fruit trees would never be pollinated."),
    Talk("volcanoes", ("volcano", "lava", "eruption", "magma", "ash"),
         "A volcano is an opening in the crust of the earth where molten rock escapes. Below "
         "the surface the rock is called magma, and once it flows out it is called lava. "
         "An eruption can throw clouds of ash high into the sky. Some volcanoes erupt gently, "
         "with rivers of lava running down their slopes. Others explode violently after "
         "centuries of silence. The ash from a large eruption can cool the climate for a year. "
         "Scientists measure small earthquakes and gases to predict the next eruption. Many "
         "islands, like Hawaii and Iceland, were built by volcanoes."),
    Talk("bread", ("bread", "dough", "yeast", "flour", "oven"),
         "Good bread needs only flour, water, salt and yeast. The yeast feeds on the sugars in "
         "the flour and makes the dough rise. Knead the dough for ten minutes until it is "
         "smooth and elastic. Leave it in a warm place for an hour to double in size. Shape the "
         "loaf gently so you keep the air inside. Bake it in a very hot oven with a tray of "
         "water for steam. The crust turns golden brown and sounds hollow when you tap it. Let "
         "the bread cool before you slice it."),
    Talk("chess", ("chess", "king", "pawn", "board", "checkmate"),
         "Chess is played by two players on a board of sixty four squares. Each player starts "
         "with sixteen pieces, including eight pawns. The goal is to trap the opposing king in "
         "checkmate. The queen is the strongest piece and can move in any direction. Knights "
         "jump over other pieces in the shape of the letter L. A pawn that reaches the last row "
         "becomes a queen. Strong players study openings and endgames for years. Computer "
         "programs now beat every human champion at chess."),
    Talk("railways", ("railway", "train", "locomotive", "steam", "tracks"),
         "The first public railway opened in England almost two hundred years ago. Early "
         "trains were pulled by steam locomotives burning coal. The tracks were laid with "
         "iron rails on wooden sleepers. Railways let farmers send their goods to distant "
         "cities in a single day. Stations grew into busy centres of every town. Later, diesel "
         "and electric locomotives replaced steam. Today high speed trains run at three hundred "
         "kilometres an hour. Many old lines are kept alive by volunteers who restore the "
         "steam engines."),
    Talk("moon", ("moon", "orbit", "astronauts", "craters", "tides"),
         "The moon circles the earth once every twenty seven days. It has no air and no "
         "weather, so its craters stay unchanged for millions of years. The same side of the "
         "moon always faces us. Its gravity pulls on the oceans and causes the tides. In "
         "nineteen sixty nine, astronauts walked on the moon for the first time. They brought "
         "back rocks that told us how the moon was formed. The moon's orbit is slowly moving "
         "away from the earth. New missions plan to build a base near the moon's south pole."),
    Talk("coffee", ("coffee", "beans", "roasting", "espresso", "caffeine"),
         "Coffee grows as red cherries on small trees in warm mountains. Inside each cherry "
         "are two green coffee beans. Roasting turns the beans brown and creates their flavour. "
         "A light roast tastes fruity, while a dark roast tastes bitter and smoky. The beans "
         "are ground just before brewing to keep the aroma. Espresso is made by forcing hot "
         "water through finely ground coffee. A cup of coffee contains about a hundred "
         "milligrams of caffeine. Brazil and Vietnam grow more coffee than any other country."),
    Talk("sailing", ("sailing", "boat", "wind", "sails", "harbour"),
         "Sailing is the art of moving a boat with the power of the wind. The sails work like "
         "the wing of an aircraft. A sailor can even sail against the wind by zigzagging, which "
         "is called tacking. The rudder at the back of the boat steers it. Before leaving the "
         "harbour, a sailor checks the weather and the tides. Strong gusts can tip a small "
         "boat over, so the crew leans out to balance it. Knots, ropes and charts are part of "
         "every sailing lesson. Long ocean races last for many weeks."),
    Talk("violins", ("violin", "strings", "bow", "orchestra", "wood"),
         "A violin has four strings tuned a fifth apart. The player draws a bow of horse hair "
         "across the strings to make them sing. The body is carved from spruce and maple wood. "
         "The best violins were made in Italy three centuries ago. Their varnish and shape are "
         "still studied by instrument makers today. In an orchestra, the violins often carry "
         "the melody. Learning the violin takes patience, because every note must be found by "
         "ear. A good violin can last for hundreds of years."),
    Talk("glaciers", ("glacier", "ice", "snow", "valleys", "melting"),
         "A glacier is a river of ice that moves slowly down a mountain. It forms where more "
         "snow falls in winter than melts in summer. Over many years the snow is pressed into "
         "solid blue ice. As it moves, the glacier carves deep valleys into the rock. Many lakes "
         "in the Alps were dug out by glaciers. Today most glaciers are melting and shrinking "
         "quickly. Their melting water feeds rivers that millions of people drink from. "
         "Scientists drill into the ice to read the climate of the past."),
    Talk("football", ("football", "goal", "players", "referee", "match"),
         "Football is played by two teams of eleven players. The aim is to kick the ball into "
         "the other team's goal. Only the goalkeeper may touch the ball with the hands. A "
         "referee enforces the rules and can show a yellow or red card. A match lasts ninety "
         "minutes, split into two halves. The World Cup is watched by billions of people every "
         "four years. Young players train their passing and shooting every day. A single goal "
         "often decides a close match."),
    Talk("vaccines", ("vaccine", "immune system", "virus", "disease", "antibodies"),
         "A vaccine teaches the immune system to recognise a disease before it strikes. It "
         "contains a weakened virus or a harmless piece of it. The body answers by making "
         "antibodies and memory cells. If the real virus arrives later, the immune system "
         "fights it off quickly. Vaccines have wiped out smallpox around the world. Polio and "
         "measles have become rare where children are vaccinated. New vaccines are tested on "
         "thousands of volunteers before approval. Some vaccines need a booster dose after a "
         "few years."),
)

VOICES = (("flite", "awb"), ("flite", "rms"), ("flite", "slt"), ("espeak-ng", "en-us"))


def librivox() -> list[tuple[str, np.ndarray]]:
    """The five LibriVox sentences of pocketsphinx-testdata (Sense and Sensibility)
    with their reference text."""
    folder = POCKETSPHINX / "librivox"
    refs = {}
    for line in (folder / "transcription").read_text().splitlines():
        m = re.match(r"<s> (.*) </s> \((.*)\)", line.strip())
        if m:
            refs[m.group(2)] = m.group(1)
    return [(refs[name], load_16k(folder / f"{name}.wav")) for name in sorted(refs)]


def talk_sentences(talk: Talk) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", talk.text) if s.strip()]


def _say(engine: str, voice: str, text: str, work: Path) -> np.ndarray:
    out = work / "say.wav"
    return flite(voice, text, out) if engine == "flite" else espeak(voice, text, out)


@dataclass(frozen=True)
class Programme:
    audio: np.ndarray  # 16 kHz mono float32
    # (start_s, end_s, text) per sentence, as a transcript with exact times would have it
    sentences: list[tuple[float, float, str]]
    parts: list[tuple[float, float, Talk | None]]  # None: the LibriVox narration

    @property
    def boundaries_s(self) -> list[float]:
        return [start for start, _, _ in self.parts[1:]]


def programme(talks: list[Talk], work: Path, seed: int, narration_at: int | None = None) -> Programme:
    """The talks one after the other, each read by a voice of its own (chosen by
    ``seed``), the LibriVox narration inserted as part ``narration_at``."""
    rng = random.Random(seed)
    pause = np.zeros(int(PAUSE_S * RATE), np.float32)
    pieces: list[np.ndarray] = []
    sentences: list[tuple[float, float, str]] = []
    parts: list[tuple[float, float, Talk | None]] = []
    at = 0.0
    order: list[Talk | None] = list(talks)
    if narration_at is not None:
        order.insert(narration_at, None)
    voices = rng.sample(VOICES, len(VOICES))
    for n, talk in enumerate(order):
        start = at
        if talk is None:
            lines = [(text, clip) for text, clip in librivox()]
        else:
            engine, voice = voices[n % len(voices)]
            lines = [(s, _say(engine, voice, s, work)) for s in talk_sentences(talk)]
        for text, clip in lines:
            clip = _trim(clip)
            sentences.append((at, at + len(clip) / RATE, text))
            pieces += [clip, pause]
            at += (len(clip) + len(pause)) / RATE
        parts.append((start, at - PAUSE_S, talk))
    return Programme(np.concatenate(pieces).astype(np.float32), sentences, parts)


def _trim(clip: np.ndarray) -> np.ndarray:
    loud = np.flatnonzero(np.abs(clip) > 0.01)
    return clip[loud[0]:loud[-1] + 1] if len(loud) else clip


def boundary_f1(found_s: list[float], truth_s: list[float],
                tolerance_s: float = 10.0) -> tuple[float, float, float]:
    """Precision, recall and F1 of boundaries, each true one matched at most once."""
    unmatched = list(truth_s)
    hits = 0
    for f in sorted(found_s):
        near = [t for t in unmatched if abs(t - f) <= tolerance_s]
        if near:
            unmatched.remove(min(near, key=lambda t: abs(t - f)))
            hits += 1
    precision = hits / len(found_s) if found_s else float(not truth_s)
    recall = hits / len(truth_s) if truth_s else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _stem(word: str) -> str:
    word = word.lower().strip(".,'’")
    for end in ("ies", "es", "s"):
        if word.endswith(end) and len(word) > len(end) + 2:
            return word[: -len(end)] + ("y" if end == "ies" else "")
    return word


def shares_a_word(title: str, key_phrases: tuple[str, ...]) -> bool:
    """Does the title name a word of the reference key phrases (plurals folded)?"""
    words = {_stem(w) for w in re.findall(r"[\w'’]+", title)}
    return bool(words & {_stem(w) for p in key_phrases for w in p.split()})
