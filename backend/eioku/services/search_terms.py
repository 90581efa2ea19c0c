"""What search adds from names, terms and languages (issue 30):

- ``entity=<label>``: only moments during which that name or term is said or
  shown (a mention in the hit's span, each video's selected entities run);
- facets: the names and terms mentioned in the hits, with how many hits
  mention each — what to narrow the search by;
- each text hit's language (the languages run), and notes saying what search
  does with text that is not English: the model behind search by meaning is
  English (all-MiniLM-L6-v2), so a query or hits in another language are
  matched by their words (keyword search, any language) and poorly by meaning.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from eioku.services.library import Hit
from eioku.store import terms as store

log = logging.getLogger(__name__)
ENTITY_CANDIDATES = 500  # moments looked at for those that mention a name
MAX_FACETS = 12
_TEXT = ("transcript", "ocr")
ENGLISH = "en"


@dataclass(frozen=True)
class Facet:
    label: str
    name: str
    type: str
    hits: int


@dataclass
class Refined:
    hits: list[Hit]
    languages: list[str | None]  # per hit: its text's language (text hits only)
    facets: list[Facet] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    query_language: str | None = None


@functools.lru_cache(maxsize=1)
def _langid():  # type: ignore[no-untyped-def]
    """The text language model, when the analysis stack is installed here."""
    try:
        from eioku_ml.models import langid

        return langid.shared()
    except Exception as exc:  # noqa: BLE001 - an API without the ml extra: no query language
        log.info("no language identification for queries: %s", exc)
        return None


def query_language(q: str) -> str | None:
    """The query's language when it is clearly not English (lid.176, at least
    two words and 0.6 sure); None otherwise or when it cannot be told."""
    if len(q.split()) < 2:
        return None
    model = _langid()
    if model is None:
        return None
    guess = model.guess(q)
    if guess.language in (ENGLISH, "und") or guess.confidence < 0.6:
        return None
    return guess.language


def language_name(code: str) -> str:
    """"German (de)" for "de"; the code alone when ISO 639 does not know it."""
    import pycountry

    found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else \
        pycountry.languages.get(alpha_3=code)
    return f"{found.name} ({code})" if found is not None else code


def only_mentioning(session: Session, hits: list[Hit], entity: str) -> list[Hit]:
    """The hits during which ``entity`` (a name or term's label, any case) is mentioned."""
    spans = [(h.video_id, h.start_ms, h.end_ms) for h in hits]
    keep = {m.index for m in store.mentions_during(session, spans, entity.strip().lower())}
    return [h for i, h in enumerate(hits) if i in keep]


def refine(session: Session, q: str, mode: str, hits: list[Hit]) -> Refined:
    spans = [(h.video_id, h.start_ms, h.end_ms) for h in hits]
    counts: Counter[tuple[str, str]] = Counter()
    names: dict[tuple[str, str], str] = {}
    seen: set[tuple[int, str, str]] = set()
    for m in store.mentions_during(session, spans):
        key = (m.label, m.type)
        names.setdefault(key, m.name)
        if (m.index, *key) not in seen:
            seen.add((m.index, *key))
            counts[key] += 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_FACETS]  # then by name
    facets = [Facet(label, names[(label, type_)], type_, n) for (label, type_), n in ranked]
    text_hits = [(i, h) for i, h in enumerate(hits) if h.source in _TEXT]
    found = store.languages_during(session, [(h.video_id, h.source, h.start_ms, h.end_ms)
                                             for _, h in text_hits])
    languages: list[str | None] = [None] * len(hits)
    for j, (i, _) in enumerate(text_hits):
        languages[i] = found.get(j)
    notes = []
    asked = query_language(q)
    if asked is not None:
        notes.append(f"Your query looks like {language_name(asked)}, not English: search by "
                     "meaning reads English only, so it is matched mostly by its words as written "
                     "(keyword search works in any language).")
    other = sorted({lang for lang in languages if lang not in (None, ENGLISH, "und")})
    if other:
        n = sum(1 for lang in languages if lang in other)
        notes.append(f"{n} hit{'s' if n != 1 else ''} in {', '.join(map(language_name, other))}: found by "
                     f"{'their words' if mode == 'keyword' else 'their words or by meaning'}; "
                     "search by meaning reads English only and ranks other languages poorly.")
    return Refined(hits, languages, facets, notes, asked)


def entity_filter_candidates(limit: int) -> int:
    return max(limit, ENTITY_CANDIDATES)

