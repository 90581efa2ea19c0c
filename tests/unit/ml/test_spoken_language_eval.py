"""Spoken language (issue 30): the language the transcript analyzer records
on each segment (Whisper base's detection per window of speech, engineer A's
transcript version 2), on speech in four languages spoken by Debian's
espeak-ng voices, one clip per language. The texts are ordinary sentences
written for this test; nothing was tuned to them. Prints what was heard per
clip and asserts the language of each clip (>= 3 languages right, English
among them). (English then German in one video, 2 s apart, came out all
English: the German window is too short to detect and keeps the language
before it — docs/models.md, "Languages of text and speech".)"""

from __future__ import annotations

import pytest
from eioku.services.pipeline import ANALYZERS
from eioku_ml.analyzers.base import MediaInput
from eioku_ml.analyzers.transcript import TranscriptAnalyzer
from eioku_ml.media.decode import probe

from tests.speech_media import RATE, espeak, talking_video

pytestmark = pytest.mark.models
SPEECH = {
    "en": ("en", "The train to the airport leaves every twenty minutes from the second platform. "
                 "Please keep your ticket until you reach the exit, because the gates check it again."),
    "de": ("de", "Der Zug zum Flughafen fährt alle zwanzig Minuten vom zweiten Bahnsteig ab. "
                 "Bitte behalten Sie Ihre Fahrkarte, bis Sie den Ausgang erreichen, denn dort wird sie "
                 "noch einmal kontrolliert."),
    "fr": ("fr", "Le train pour l'aéroport part toutes les vingt minutes du deuxième quai. Gardez "
                 "votre billet jusqu'à la sortie, parce que les portillons le contrôlent encore une fois."),
    "es": ("es", "El tren al aeropuerto sale cada veinte minutos desde el segundo andén. Guarde su "
                 "billete hasta llegar a la salida, porque las puertas lo vuelven a revisar."),
}


@pytest.fixture(scope="module")
def analyzer():
    a = TranscriptAnalyzer(ANALYZERS["transcript"].config("fast"))
    a.ensure_loaded()
    return a


def _heard(analyzer, path):
    items = analyzer.analyze(MediaInput(path, probe(path)), lambda _: None, {})
    return [(i.span_start_ms, i.payload["language"]) for i in items]


def test_spoken_language_of_clips_in_four_languages(analyzer, tmp_path):
    right = []
    for language, (voice, text) in SPEECH.items():
        audio = espeak(voice, text, tmp_path / f"{language}.wav")
        heard = _heard(analyzer, talking_video(tmp_path / f"{language}.mp4", audio))
        spoken = {lang for _, lang in heard}
        print(f"\n{language}: {len(audio) / RATE:.1f} s, segments heard as {sorted(spoken)}")
        if heard and spoken == {language}:
            right.append(language)
    print(f"spoken language right on {len(right)}/{len(SPEECH)} clips: {right}")
    assert len(right) >= 3 and "en" in right, right

