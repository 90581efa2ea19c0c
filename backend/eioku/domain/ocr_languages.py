"""The Tesseract languages the OCR analyzer may also read (EIOKU_OCR_LANGUAGES):
checked where the setting is read, so a typo is an error at start, not a failed run."""

from __future__ import annotations

import re

# Debian bookworm's language packs (tesseract-ocr-<code with '-' for '_'>)
_CODES = """
afr amh ara asm aze aze_cyrl bel ben bod bos bre bul cat ceb ces chi_sim chi_sim_vert chi_tra
chi_tra_vert chr cos cym dan deu div dzo ell eng enm epo est eus fao fas fil fin fra frk frm fry
gla gle glg grc guj hat heb hin hrv hun hye iku ind isl ita ita_old jav jpn jpn_vert kan kat
kat_old kaz khm kir kmr kor kor_vert lao lat lav lit ltz mal mar mkd mlt mon mri msa mya nep nld
nor oci ori pan pol por pus que ron rus san sin slk slv snd spa spa_old sqi srp srp_latn sun swa
swe syr tam tat tel tgk tha tir ton tur uig ukr urd uzb uzb_cyrl vie yid yor
"""
KNOWN = frozenset(_CODES.split())
MAX_LANGUAGES = 8  # every language read costs time on every frame


def parse_languages(value: str) -> tuple[str, ...]:
    """``rus+ell`` (or ``rus,ell``, ``chi-sim``) → ('rus', 'ell'); an unknown code is an error
    naming the known ones."""
    codes = tuple(dict.fromkeys(c.strip().lower().replace("-", "_")
                                for c in re.split(r"[+, ]+", value) if c.strip()))
    if not codes:
        raise ValueError("no Tesseract language given (e.g. rus+ell)")
    if len(codes) > MAX_LANGUAGES:
        raise ValueError(f"at most {MAX_LANGUAGES} Tesseract languages, got {len(codes)}")
    unknown = [c for c in codes if c not in KNOWN]
    if unknown:
        raise ValueError(f"unknown Tesseract language {', '.join(map(repr, unknown))[:200]}: use "
                         "Tesseract's codes joined with '+' (e.g. rus+ell+ara+chi_sim; the Debian "
                         "packages tesseract-ocr-<code> list them)")
    return codes
