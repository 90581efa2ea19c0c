"""Language codes as files carry them and as people write them.

Containers tag tracks with ISO 639-2 codes (``eng``, ``ger`` or ``deu``);
people and subtitle file names use ISO 639-1 (``en``, ``de``) or BCP 47
tags (``pt-BR``). Both name the same language: compare them through
pycountry's ISO 639-3 table.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=512)
def iso639_3(tag: str | None) -> str | None:
    """The ISO 639-3 code of a language tag's language (``en``, ``eng``, ``ger``,
    ``pt-BR`` -> ``eng``, ``eng``, ``deu``, ``por``); None for none, ``und`` and
    what is not a language."""
    import pycountry

    head = (tag or "").replace("_", "-").split("-")[0].strip().lower()
    if not head or head in ("und", "mis", "mul", "zxx"):
        return None
    key = {2: "alpha_2", 3: "alpha_3"}.get(len(head))
    if key is None:
        return None
    found = pycountry.languages.get(**{key: head})
    if found is None and len(head) == 3:  # the bibliographic codes of ISO 639-2: ger, fre, chi…
        found = pycountry.languages.get(bibliographic=head)
    return found.alpha_3 if found is not None else None


def short_tag(tag: str | None) -> str | None:
    """The shortest code of a tag's language, as subtitle file names use it
    (``eng`` -> ``en``, ``ger`` -> ``de``, ``haw`` -> ``haw``); None when unknown."""
    import pycountry

    code = iso639_3(tag)
    if code is None:
        return None
    return getattr(pycountry.languages.get(alpha_3=code), "alpha_2", None) or code


def same_language(a: str | None, b: str | None) -> bool:
    """Do two tags name one language (``eng`` and ``en-GB``: yes)?"""
    code = iso639_3(a)
    return code is not None and code == iso639_3(b)
