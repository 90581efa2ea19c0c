"""A long narration from Debian packages, for the long-transcript evaluation:
the LibriVox narration of pocketsphinx-testdata, then flite's voices recorded
from real speakers (awb, rms, slt, one voice a paragraph) reading the GNU GPL
version 3 (base-files' /usr/share/common-licenses/GPL-3), paragraph after
paragraph, none of them twice, until the wanted length."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.speech_media import POCKETSPHINX, RATE, flite, load_16k

GPL3 = Path("/usr/share/common-licenses/GPL-3")
VOICES = ("awb", "rms", "slt")
PAUSE_S = 0.8  # between paragraphs (under the evaluation's 3 s gap bound)


@dataclass(frozen=True)
class Passage:
    text: str
    start_s: float
    end_s: float
    source: str


def gpl_paragraphs() -> list[str]:
    """The licence's prose, one string a paragraph: not its title, copyright
    line, section headings or the end-of-terms banner."""
    body = GPL3.read_text().split("Preamble", 1)[1]
    out = []
    for block in re.split(r"\n\s*\n", body):
        text = " ".join(block.split())
        if len(text.split()) < 6 or text.isupper() or re.fullmatch(r"\d+\. [^.]+\.", text):
            continue
        text = re.sub(r"--", ", ", text)
        out.append(text)
    return out


def librivox() -> list[tuple[str, np.ndarray]]:
    """The five LibriVox sentences (Sense and Sensibility) and their reference text."""
    folder = POCKETSPHINX / "librivox"
    refs = {}
    for line in (folder / "transcription").read_text().splitlines():
        m = re.match(r"<s> (.*) </s> \((.*)\)", line.strip())
        if m:
            refs[m.group(2)] = m.group(1)
    return [(refs[name], load_16k(folder / f"{name}.wav")) for name in sorted(refs)]


def narration(minutes: float, work: Path) -> tuple[np.ndarray, list[Passage]]:
    """At least ``minutes`` of narration (16 kHz mono float32) and its passages."""
    pause = np.zeros(int(PAUSE_S * RATE), np.float32)
    pieces: list[np.ndarray] = []
    passages: list[Passage] = []
    at = 0.0

    def add(text: str, audio: np.ndarray, source: str) -> None:
        nonlocal at
        peak = float(np.abs(audio).max()) or 1.0
        pieces.extend([(audio / peak * 0.5).astype(np.float32), pause])
        passages.append(Passage(text, at, at + len(audio) / RATE, source))
        at += (len(audio) + len(pause)) / RATE

    for text, audio in librivox():
        add(text, audio, "librivox")
    for i, paragraph in enumerate(gpl_paragraphs()):
        if at >= minutes * 60:
            break
        voice = VOICES[i % len(VOICES)]
        add(paragraph, flite(voice, paragraph, work / f"gpl-{i}.wav"), f"flite-{voice}")
    assert at >= minutes * 60, f"the GPL's prose gives only {at / 60:.1f} min"
    return np.concatenate(pieces), passages


def words(text: str) -> list[str]:
    """Lower-case words; a hyphenated word counts as its parts ("ill-disposed"
    and "ill disposed" are the same two words)."""
    return re.findall(r"[a-z0-9']+", text.lower().replace("-", " "))


@dataclass(frozen=True)
class Measures:
    kept: float  # share of the reference's words not deleted (aligned to a word, right or wrong)
    wer: float
    longest_gap_s: float  # the longest stretch of speech with no transcribed word in it
    repeated: list[str]  # runs of >= 4 words added to the reference that the transcript says elsewhere too
    invented: list[str]  # runs of >= 4 words added to the reference (repeated or not)
    short_share: float  # share of segments under three words
    segments: int


def measure(segments: list[dict], passages: list[Passage]) -> Measures:
    """``segments``: [{"text", "start_ms", "end_ms", "words": [{"start_ms", "end_ms"}…]}]."""
    from difflib import SequenceMatcher

    ref = [w for p in passages for w in words(p.text)]
    hyp = [w for s in segments for w in words(s["text"])]
    deleted = errors = 0
    invented = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, ref, hyp, autojunk=False).get_opcodes():
        if op == "delete":
            deleted += i2 - i1
        if op == "replace":
            deleted += max(0, (i2 - i1) - (j2 - j1))
        if op != "equal":
            errors += max(i2 - i1, j2 - j1)
        if op in ("insert", "replace") and (j2 - j1) - (i2 - i1) >= 4:
            invented.append((j1, j2))
    joined = " " + " ".join(hyp) + " "
    repeated = [" ".join(hyp[j1:j2]) for j1, j2 in invented
                if joined.count(" " + " ".join(hyp[j1:j2]) + " ") > 1]
    heard = sorted((w["start_ms"] / 1000, w["end_ms"] / 1000) for s in segments
                   for w in (s.get("words") or [{"start_ms": s["start_ms"], "end_ms": s["end_ms"]}]))
    edges = [(passages[0].start_s, passages[0].start_s)] + heard + \
        [(passages[-1].end_s, passages[-1].end_s)]
    longest, until = 0.0, edges[0][1]
    for start, end in edges[1:]:
        if start > until:  # speech between until and start with nothing heard
            speech = sum(max(0.0, min(start, p.end_s) - max(until, p.start_s)) for p in passages)
            longest = max(longest, speech)
        until = max(until, end)
    short = sum(1 for s in segments if len(s["text"].split()) < 3)
    return Measures(kept=1 - deleted / len(ref), wer=errors / len(ref), longest_gap_s=longest,
                    repeated=repeated, invented=[" ".join(hyp[a:b]) for a, b in invented],
                    short_share=short / max(1, len(segments)),
                    segments=len(segments))
