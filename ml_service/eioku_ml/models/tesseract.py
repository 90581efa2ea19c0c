"""Tesseract (Debian ``tesseract-ocr`` and its ``tesseract-ocr-<lang>`` packs,
Apache-2.0) for the scripts RapidOCR does not read: Cyrillic, Greek, Arabic,
Hebrew, Devanagari… It is run through ``pytesseract`` (the ``tesseract``
program) on the frames the OCR analyzer reads, in the languages the user names
(``EIOKU_OCR_LANGUAGES=rus+ell``), and its lines are merged with RapidOCR's:

- a Tesseract line with letters of a script RapidOCR does not read (not Latin,
  not Han) replaces the RapidOCR lines in the same place when RapidOCR's
  reading has fewer letters (it dropped the ones it cannot read, or read
  garbage); a RapidOCR line with as many letters is kept (English read by a
  Russian model comes out as look-alike Cyrillic);
- a Tesseract line where RapidOCR read nothing is kept if confident enough.
"""

from __future__ import annotations

import os
import shutil
import unicodedata
from typing import Any

import numpy as np
from eioku.domain.ocr_languages import parse_languages

from eioku_ml.errors import ModelMissingError

_SCRIPTS = {  # the script of a language's letters, for the line's language
    "CYRILLIC": "rus ukr bel bul mkd srp kaz kir tat tgk mon uzb_cyrl aze_cyrl",
    "GREEK": "ell grc", "ARABIC": "ara fas urd pus snd uig kmr", "HEBREW": "heb yid",
    "DEVANAGARI": "hin mar nep san", "ARMENIAN": "hye", "GEORGIAN": "kat kat_old", "THAI": "tha",
    "CJK": "chi_sim chi_tra chi_sim_vert chi_tra_vert jpn jpn_vert", "HANGUL": "kor kor_vert",
}
_READ_BY_MAIN = ("LATIN", "CJK")  # scripts RapidOCR's PP-OCR (Chinese + English) reads


def debian_package(code: str) -> str:
    return "tesseract-ocr-" + code.replace("_", "-")


def script(text: str) -> set[str]:
    """The scripts of a text's letters (the first word of their Unicode names)."""
    found = set()
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            found.add("CJK" if name.startswith(("CJK", "HIRAGANA", "KATAKANA")) else name.split(" ")[0])
    return found


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def _box(polygon: list[dict[str, float]]) -> tuple[float, float, float, float]:
    xs, ys = [p["x"] for p in polygon], [p["y"] for p in polygon]
    return min(xs), min(ys), max(xs), max(ys)


def _overlap(a: list[dict[str, float]], b: list[dict[str, float]]) -> float:
    """Intersection over the smaller box's area."""
    ax0, ay0, ax1, ay1 = _box(a)
    bx0, by0, bx1, by1 = _box(b)
    inter = max(0.0, min(ax1, bx1) - max(ax0, bx0)) * max(0.0, min(ay1, by1) - max(ay0, by0))
    smaller = min((ax1 - ax0) * (ay1 - ay0), (bx1 - bx0) * (by1 - by0))
    return inter / smaller if smaller > 0 else 0.0


class Reader:
    """Tesseract in the given languages; checks the program and every pack at once."""

    def __init__(self, languages: str, min_confidence: float = 0.6) -> None:
        self.codes = parse_languages(languages)
        self.min_confidence = min_confidence
        if shutil.which("tesseract") is None:
            raise ModelMissingError("Tesseract is not installed: install Debian's tesseract-ocr "
                                    f"and {' '.join(map(debian_package, self.codes))} "
                                    "(apt-get install …), or unset EIOKU_OCR_LANGUAGES")
        try:
            import pytesseract
        except ImportError as exc:
            raise ModelMissingError(f"pytesseract is missing: pip install 'eioku[ml]' ({exc})") from exc
        self._tess = pytesseract
        installed = set(pytesseract.get_languages(config=""))
        missing = [c for c in self.codes if c not in installed]
        if missing:
            raise ModelMissingError(
                f"Tesseract language pack(s) {', '.join(missing)} not installed: install Debian's "
                f"{' '.join(map(debian_package, missing))} (apt-get install …)")
        # one thread per call: the worker and the other stages share the cores
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")

    def language_of(self, text: str) -> str:
        scripts = script(text)
        chosen = [c for c in self.codes
                  if any(c in _SCRIPTS.get(s, "").split() for s in scripts)]
        return "+".join(chosen[:3]) if chosen else self.codes[0]

    def read(self, image: np.ndarray) -> list[tuple[str, float, list[dict[str, float]]]]:
        """Tesseract's lines of a BGR frame: text (NFKC), mean word confidence 0..1, box."""
        gray = image if image.ndim == 2 else image[..., :3].mean(axis=2).astype(np.uint8)
        data: dict[str, list[Any]] = self._tess.image_to_data(
            gray, lang="+".join(self.codes), config="--psm 3", timeout=120,
            output_type=self._tess.Output.DICT)
        lines: dict[tuple[int, int, int], list[int]] = {}
        for i, word in enumerate(data["text"]):
            if str(word).strip() and float(data["conf"][i]) >= 0:
                lines.setdefault((data["block_num"][i], data["par_num"][i], data["line_num"][i]),
                                 []).append(i)
        out = []
        for words in lines.values():
            text = unicodedata.normalize("NFKC", " ".join(str(data["text"][i]).strip() for i in words))
            conf = sum(float(data["conf"][i]) for i in words) / len(words) / 100.0
            x0 = min(data["left"][i] for i in words)
            y0 = min(data["top"][i] for i in words)
            x1 = max(data["left"][i] + data["width"][i] for i in words)
            y1 = max(data["top"][i] + data["height"][i] for i in words)
            polygon = [{"x": float(x), "y": float(y)} for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))]
            out.append((text, round(min(1.0, max(0.0, conf)), 4), polygon))
        return out

    def merge(self, found: list[tuple[str, float, list[dict[str, float]]]],
              image: np.ndarray) -> list[tuple[str, float, list[dict[str, float]], str]]:
        """RapidOCR's lines (language "") with Tesseract's (their language) merged in."""
        kept = [(text, conf, polygon, "") for text, conf, polygon in found]
        for text, conf, polygon in self.read(image):
            if conf < self.min_confidence or _letters(text) == 0:
                continue
            other = bool(script(text) - set(_READ_BY_MAIN))
            same_place = [k for k in kept if not k[3] and _overlap(k[2], polygon) > 0.5]
            if same_place:
                main_letters = sum(_letters(k[0]) for k in same_place)
                if not other or main_letters >= 0.9 * _letters(text):
                    continue  # RapidOCR read it already
                kept = [k for k in kept if all(k is not s for s in same_place)]
            kept.append((text, conf, polygon, self.language_of(text)))
        return kept
