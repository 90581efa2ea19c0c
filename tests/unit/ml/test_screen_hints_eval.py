"""Speech helped by the screen (issue 28): a generated talk of sixteen
sentences, each with a rare name or term, spoken by flite's voices recorded
from real speakers (awb, rms, slt, kal16). Twelve are shown on a slide drawn
with PIL while they are said (with a second rare word on the slide that is
never said); four are names known to the library (people and voices) but not
shown, with three more library names never said. The real OCR analyzer reads
the slides; the transcript is made without hints and with them (the words on
screen near each window of speech and the library's names as Whisper's
hotwords). Prints the word error on the terms and overall; asserts the error
on the terms at least halves, the overall WER does not rise, and no word that
is only on screen or only in the library is ever written."""

from __future__ import annotations

import numpy as np
import pytest
from eioku.services.pipeline import ANALYZERS
from eioku_ml.analyzers.base import MediaInput
from eioku_ml.analyzers.ocr import OcrAnalyzer
from eioku_ml.analyzers.transcript import TranscriptAnalyzer
from eioku_ml.media.decode import probe
from PIL import Image, ImageDraw, ImageFont

from tests.long_speech import words
from tests.speech_media import RATE, flite, talking_video

pytestmark = pytest.mark.models
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
VOICES = ("awb", "rms", "slt", "kal16")
# (term, sentence, a rare word on the same slide that is never said); no slide: a library name
TALK = [
    ("Siobhan", "Tomorrow Siobhan will present the quarterly figures.", "Bratislava"),
    ("Nguyen", "The report was written by doctor Nguyen last spring.", "Kilimanjaro"),
    ("Ljubljana", "Our next office opens in Ljubljana in March.", "Mozambique"),
    ("Eioku", "Open Eioku and drop the video on the library.", "Zanzibar"),
    ("Xochimilco", "The boats of Xochimilco are painted in bright colours.", "Reykjavik"),
    ("Quetzalcoatl", "The temple of Quetzalcoatl stands at the end of the avenue.", "Tegucigalpa"),
    ("Grzegorz", "Grzegorz fixed the printer again.", "Kathmandu"),
    ("Worcestershire", "Add a little Worcestershire sauce to the soup.", "Ouagadougou"),
    ("Nietzsche", "She quoted Nietzsche in her opening remarks.", "Schopenhauer"),
    ("Tchaikovsky", "The orchestra played Tchaikovsky after the break.", "Rachmaninoff"),
    ("Eyjafjallajokull", "The ash cloud from Eyjafjallajokull closed the airports.", "Vladivostok"),
    ("Oaxaca", "We flew from Oaxaca to the coast.", "Antananarivo"),
    ("Saoirse", "Saoirse signed the contract on Friday.", None),
    ("Wojciech", "Wojciech will chair the meeting.", None),
    ("Aoife", "Ask Aoife for the keys to the storage room.", None),
    ("Dashwood", "Mister Dashwood inherited the estate at Norland.", None),
]
UNSAID_NAMES = ["Ptolemy", "Hieronymus", "Zebulon"]
PAUSE_S = 1.5


@pytest.fixture(scope="module")
def talk(tmp_path_factory):
    work = tmp_path_factory.mktemp("hints")
    font = ImageFont.truetype(FONT, 44)
    pieces, slides, at = [], [], 0.0
    for i, (term, sentence, other) in enumerate(TALK):
        audio = flite(VOICES[i % len(VOICES)], sentence, work / f"{i}.wav")
        end = at + (len(audio) / RATE) + PAUSE_S
        slides.append((at, end, None if other is None else (term, other)))
        pieces += [np.zeros(int(0.5 * RATE), np.float32), audio,
                   np.zeros(int((PAUSE_S - 0.5) * RATE), np.float32)]
        at = end

    def picture(t: float) -> np.ndarray:
        image = Image.new("RGB", (640, 360), (250, 250, 245))
        shown = next((s for a, b, s in slides if a <= t < b), None)
        if shown is not None:
            draw = ImageDraw.Draw(image)
            draw.text((60, 90), shown[0], font=font, fill=(20, 20, 60))
            draw.text((60, 210), shown[1], font=font, fill=(90, 20, 20))
        return np.asarray(image)

    video = talking_video(work / "talk.mp4", np.concatenate(pieces), fps=2, size=(640, 360),
                          picture=picture)
    media = MediaInput(video, probe(video))
    ocr = OcrAnalyzer(ANALYZERS["ocr"].config("fast"))
    read = ocr.analyze(media, lambda _: None, {})
    return media, slides, read


def _transcribe(media, context):
    analyzer = TranscriptAnalyzer(ANALYZERS["transcript"].config("fast"))
    analyzer.ensure_loaded()
    return analyzer.analyze(media, lambda _: None, context)


def _wer(reference: list[str], hypothesis: list[str]) -> float:
    d = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        prev, d[0] = d[0], i
        for j, hyp in enumerate(hypothesis, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (ref != hyp))
    return d[-1] / max(1, len(reference))


def _score(items, slides):
    """Each slide's stretch gets the words said in it (by their times)."""
    said = [[w for i in items for t in i.payload["words"] or []
             if a * 1000 <= (t["start_ms"] + t["end_ms"]) / 2 < b * 1000 for w in words(t["word"])]
            for a, b, _ in slides]
    missed = sum(1 for (term, _, _), heard in zip(TALK, said, strict=True) if term.lower() not in heard)
    reference = [w for _, sentence, _ in TALK for w in words(sentence)]
    return missed / len(TALK), _wer(reference, [w for heard in said for w in heard]), said


def test_words_on_screen_and_library_names_halve_the_error_on_rare_terms(talk):
    media, slides, read = talk
    shown = " ".join(a.payload["text"] for a in read)
    assert sum(term.lower() in shown.lower() for term, _, other in TALK if other) >= 10, shown
    plain = _transcribe(media, {})
    helped = _transcribe(media, {"ocr": read, "names": [t for t, _, o in TALK if o is None] + UNSAID_NAMES})
    before, wer_before, _ = _score(plain, slides)
    after, wer_after, heard = _score(helped, slides)
    print(f"\nerror on rare terms: {before:.3f} without hints, {after:.3f} with; "
          f"WER {wer_before:.3f} -> {wer_after:.3f}")
    for (term, _, _), said, plain_said in zip(TALK, heard, _score(plain, slides)[2], strict=True):
        print(f"  {term}: {' '.join(plain_said)} | {' '.join(said)}")
    assert before >= 0.5  # these terms are hard for Whisper base
    assert after <= before / 2
    assert wer_after <= wer_before
    written = {w for heard_words in heard for w in heard_words}
    only_shown = {o.lower() for _, _, o in TALK if o} | {n.lower() for n in UNSAID_NAMES}
    assert not written & only_shown  # a hint is never written unless it is said
