"""entity.mention: the names and terms a video says and shows.

People, organisations, places, dates and amounts are found by spaCy's small
English pipeline (``en_core_web_sm`` 3.8.0, models/ner.py) in the selected
transcript run's segments and the OCR run's lines; the video's *key terms*
(what it is about, "quarterly revenue", "solar panels") are noun chunks
ranked KeyBERT-style with the MiniLM the embeddings analyzer uses: each
candidate's cosine to the whole text, picked with maximal marginal relevance
so the terms are not five wordings of one thing.

Every occurrence is one artifact over the time of the words that say it
(the transcript's word times; an OCR line's span), with its normalised name
("Siemens" for "the Siemens", "SIEMENS", "Siemens's"), so "next mention of
Siemens" is a jump and the library can count names. Speech is read a few
segments at a time, so a name cut across two segments is still found, and
all-capitals on-screen text is read title-cased (the model was trained on
ordinary case and misses most capitalised names). Text in another language
(the transcript's language, lid.176 for OCR lines) is left out: the model
is English.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from eioku_ml.analyzers.base import Analyzer, Item, MediaInput, Progress

# spaCy's OntoNotes labels -> ours; NORP, CARDINAL, ORDINAL, PRODUCT, EVENT,
# WORK_OF_ART, LAW and LANGUAGE are not kept
TYPES = {"PERSON": "person", "ORG": "org", "GPE": "place", "LOC": "place", "FAC": "place",
         "DATE": "date", "TIME": "date", "MONEY": "amount", "PERCENT": "amount",
         "QUANTITY": "amount"}
NAME_TYPES = ("person", "org", "place")
_TITLES = re.compile(r"^(?:dr|mr|mrs|ms|miss|prof|professor|sir|dame|mx)\.?\s+", re.I)
_EDGE = "\"'“”‘’«»()[]{}<>,;:.!?—–-·•|/*_#"
_POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")
MAX_CHUNK_CHARS = 1_500  # speech read this much at a time (a few segments)
MAX_TEXT = 500  # the payload's limit on a mention's text


@dataclass(frozen=True)
class Source:
    """A transcript segment or OCR line to read."""

    kind: str  # transcript | ocr
    text: str
    start_ms: int
    end_ms: int
    artifact_id: str | None = None
    words: tuple[tuple[int, int, int, int], ...] = ()  # (char start, char end, start ms, end ms)


@dataclass(frozen=True)
class Mention:
    name: str
    type: str
    text: str
    source: Source
    start: int  # character offsets in the source's text (the end clipped to it)
    end: int
    confidence: float = 1.0
    # a name said across two segments: the segment it ends in, and where
    ends_in: tuple[Source, int] | None = None

    def span(self) -> tuple[int, int]:
        """The time of the words saying it: the source's words overlapping the
        characters (and those of the segment it ends in), or the source's span."""
        hit = [w for w in self.source.words if w[0] < self.end and w[1] > self.start]
        start_ms = min((w[2] for w in hit), default=self.source.start_ms)
        end_ms = max((w[3] for w in hit), default=self.source.end_ms)
        if self.ends_in is not None:
            other, end = self.ends_in
            tail = [w for w in other.words if w[0] < end]
            end_ms = max((w[3] for w in tail), default=other.end_ms)
        return start_ms, max(start_ms, end_ms)

    def item(self) -> Item:
        start_ms, end_ms = self.span()
        return Item(start_ms, end_ms, {
            "name": self.name, "type": self.type, "text": self.text[:MAX_TEXT],
            "source": self.source.kind, "start": self.start, "end": self.end,
            "of_artifact_id": self.source.artifact_id,
            "confidence": round(min(1.0, max(0.0, self.confidence)), 4)})


def _caps(s: str) -> bool:
    letters = [c for c in s if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def normalise(text: str, type_: str) -> str:
    """The name every mention of the same thing shares: spaces collapsed, edge
    punctuation, a leading "the", a possessive and (for people) a title
    dropped; shouted or lower-case names in title case (acronyms of up to
    four letters stay)."""
    name = unicodedata.normalize("NFC", " ".join(text.split())).strip(_EDGE + " ")
    if type_ in NAME_TYPES:
        name = re.sub(r"^the\s+", "", name, flags=re.I)
        name = _POSSESSIVE.sub("", name).strip(_EDGE + " ")
    if type_ == "person":
        name = _TITLES.sub("", name)
    if type_ in NAME_TYPES:
        words = name.split()
        if _caps(name) and not (len(words) == 1 and len(name) <= 4):  # NASA, IBM stay
            name = " ".join(w.lower() if w.lower() in _SMALL_WORDS and i else
                            w if len(w) <= 3 and w.lower() not in _SMALL_WORDS else w.capitalize()
                            for i, w in enumerate(words))
        elif name == name.lower():
            name = " ".join(w if w in _SMALL_WORDS and i else w[:1].upper() + w[1:]
                            for i, w in enumerate(words))
    return name[:200] or text.strip()[:200]


# short words of a shouted line that are words, not initialisms (BBC, CEO, USA stay)
_SMALL_WORDS = {"a", "an", "and", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to",
                "with", "via", "de", "la", "le", "van", "von", "del", "da", "new", "big", "day",
                "top", "live", "now", "how", "why", "who", "our", "you", "all", "not", "out", "off"}


def _readable(text: str) -> str:
    """What the model reads: all-capitals text title-cased (words of up to three
    letters stay capitals, as initialisms, unless they are common small words),
    when that keeps every character offset (it almost always does)."""
    if not _caps(text):
        return text

    def word(m: re.Match[str]) -> str:
        w = m.group(0)
        return w if len(w) <= 3 and w.lower() not in _SMALL_WORDS else w.capitalize()

    titled = re.sub(r"[^\W\d_]+", word, text)
    return titled if len(titled) == len(text) else text


def _chunks(sources: Sequence[Source]) -> Iterable[tuple[str, list[tuple[int, Source]]]]:
    """Speech read a few segments at a time: text joined by spaces, with the
    offset where each segment starts."""
    text, parts = "", []
    for s in sources:
        if parts and len(text) + len(s.text) > MAX_CHUNK_CHARS:
            yield text, parts
            text, parts = "", []
        if parts:
            text += " "
        parts.append((len(text), s))
        text += s.text
    if parts:
        yield text, parts


def _word_offsets(text: str, words: Iterable[dict[str, Any]]) -> tuple[tuple[int, int, int, int], ...]:
    """Each timed word's character span in the segment's text (searched in order)."""
    out, pos = [], 0
    for w in words:
        token = str(w.get("word", "")).strip()
        if not token:
            continue
        at = text.find(token, pos)
        if at < 0:
            continue
        out.append((at, at + len(token), int(w["start_ms"]), int(w["end_ms"])))
        pos = at + len(token)
    return tuple(out)


def _date_worth_keeping(text: str) -> bool:
    """A date or time that names one ("March 3rd", "2015", "Thursday"), not
    "now", "today" or "a bit": a digit, or a month or day name."""
    return bool(re.search(r"\d", text) or _CALENDAR.search(text))


_CALENDAR = re.compile(
    r"\b(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|"
    r"oct(ober)?|nov(ember)?|dec(ember)?|monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday|spring|summer|autumn|fall|winter|century|decade|quarter|christmas|easter)\b", re.I)


def _mention(ent: Any, text: str, parts: list[tuple[int, Source]], i: int) -> Mention | None:
    type_ = TYPES.get(ent.label_)
    if type_ is None:
        return None
    offset, source = parts[i]
    start, end = ent.start_char - offset, min(ent.end_char - offset, len(source.text))
    surface = text[ent.start_char:ent.end_char].strip()  # may run on into the next segment
    ends_in = None
    j = _bisect([p[0] for p in parts], ent.end_char - 1)
    if j > i:
        ends_in = (parts[j][1], ent.end_char - parts[j][0])
    if not surface or not any(c.isalnum() for c in surface):
        return None
    if type_ == "date" and not _date_worth_keeping(surface):
        return None
    if type_ in NAME_TYPES and not any(c.isalpha() for c in surface):
        return None
    name = normalise(surface, type_)
    if type_ in NAME_TYPES and len(name) < 2:
        return None
    return Mention(name, type_, surface, source, start, end, ends_in=ends_in)


def find_names(nlp: Any, sources: Sequence[Source]) -> tuple[list[Mention], list[Any]]:
    """Every person, organisation, place, date and amount in the sources, and
    the parsed documents (for key-phrase candidates). Transcript segments are
    read together in chunks, each OCR line alone."""
    speech = [s for s in sources if s.kind == "transcript"]
    lines = [s for s in sources if s.kind != "transcript"]
    jobs: list[tuple[str, list[tuple[int, Source]]]] = list(_chunks(speech))
    jobs += [(s.text, [(0, s)]) for s in lines]
    mentions: list[Mention] = []
    docs = []
    for (text, parts), doc in zip(jobs, nlp.pipe([_readable(t) for t, _ in jobs], batch_size=64),
                                  strict=True):
        docs.append(doc)
        starts = [p[0] for p in parts]
        for ent in doc.ents:
            m = _mention(ent, text, parts, max(0, _bisect(starts, ent.start_char)))
            if m is not None:
                mentions.append(m)
    return _expand_people(mentions), docs


def _bisect(starts: list[int], pos: int) -> int:
    import bisect

    return bisect.bisect_right(starts, pos) - 1


def _expand_people(mentions: list[Mention]) -> list[Mention]:
    """A person named in full once ("Angela Merkel") and later by one name
    ("Merkel", "Angela") is the same name throughout the video, when that one
    name belongs to a single full name."""
    full: dict[str, set[str]] = {}
    for m in mentions:
        parts = m.name.split()
        if m.type == "person" and len(parts) >= 2:
            for part in (parts[0], parts[-1]):
                full.setdefault(part.lower(), set()).add(m.name)
    out = []
    for m in mentions:
        names = full.get(m.name.lower()) if m.type == "person" and " " not in m.name else None
        if names and len(names) == 1:
            m = Mention(next(iter(names)), m.type, m.text, m.source, m.start, m.end, m.confidence,
                        m.ends_in)
        out.append(m)
    return out


# --- key terms --------------------------------------------------------------

_STOP_HEADS = {"thing", "things", "lot", "lots", "way", "bit", "kind", "sort", "stuff", "guys",
               "people", "time", "times", "today", "everyone", "everybody", "something",
               "anything", "nothing", "one", "ones", "yeah", "okay", "um", "uh"}


def _candidates(docs: Sequence[Any], names: set[str]) -> Counter[str]:
    """Noun chunks without their determiners and pronouns, one to four words,
    not a name already found (those are listed as names) nor a number."""
    found: Counter[str] = Counter()
    for doc in docs:
        for chunk in doc.noun_chunks:
            tokens = [t for t in chunk if t.pos_ not in ("DET", "PRON", "NUM", "PUNCT", "SYM")
                      and not t.is_stop and t.is_alpha]
            if not tokens or len(tokens) > 4 or tokens[-1].lower_ in _STOP_HEADS:
                continue
            if any(t.ent_type_ in TYPES for t in tokens):
                continue
            phrase = " ".join(t.lower_ for t in tokens)
            if len(phrase) < 4 or phrase in names:
                continue
            found[phrase] += 1
    return found


def key_terms(encode: Any, docs: Sequence[Any], names: set[str], top: int,
              max_candidates: int = 60, diversity: float = 0.5,
              min_relevance: float = 0.25) -> list[tuple[str, float]]:
    """The video's key terms with their scores (0..1): candidates (the most
    frequent ``max_candidates`` noun chunks) ranked by cosine to the whole
    text, picked by maximal marginal relevance; a term said more than once
    gains a little (log of its count)."""
    import numpy as np

    counts = _candidates(docs, names)
    if not counts or top <= 0:
        return []
    phrases = [p for p, _ in counts.most_common(max_candidates)]
    text = " ".join(d.text for d in docs)
    # apart: one batch would pad every short phrase to the text's 256 tokens (20x the work)
    doc_vec, cand = encode([text])[0], encode(phrases)
    relevance = cand @ doc_vec
    relevance = relevance * (1 + 0.1 * np.log([counts[p] for p in phrases]))
    chosen: list[int] = []
    while len(chosen) < min(top, len(phrases)):
        best, best_score = -1, -math.inf
        for i in range(len(phrases)):
            if i in chosen:
                continue
            redundancy = max((float(cand[i] @ cand[j]) for j in chosen), default=0.0)
            score = (1 - diversity) * float(relevance[i]) - diversity * redundancy
            if score > best_score:
                best, best_score = i, score
        chosen.append(best)
    return [(phrases[i], round(float(min(1.0, relevance[i])), 4)) for i in chosen
            if relevance[i] >= min_relevance]


def term_mentions(terms: Sequence[tuple[str, float]], sources: Sequence[Source]) -> list[Mention]:
    """Every place a key term is said or shown (whole words, any case)."""
    out = []
    for phrase, score in terms:
        pattern = re.compile(r"(?<!\w)" + r"\W+".join(map(re.escape, phrase.split())) + r"(?!\w)",
                             re.I)
        for s in sources:
            for m in pattern.finditer(s.text):
                out.append(Mention(phrase, "term", m.group(0), s, m.start(), m.end(), score))
    return out


class EntitiesAnalyzer(Analyzer):
    name = "entities"

    def load(self) -> None:
        from eioku_ml.models import langid, ner

        self.nlp = ner.shared()
        self.langid = langid.shared()
        self.encoder: Any = None
        if int(self.config.get("key_terms", 0)) > 0:
            from eioku_ml.models import minilm

            self.encoder = minilm.shared()

    def sources(self, context: dict[str, Any]) -> list[Source]:
        """The English transcript segments and OCR lines to read, in time order.
        A segment whose transcript language is not English is left out, and an
        OCR line lid.176 is sure is not English."""
        out = []
        for a in context.get("transcript", []):
            text = str(a.payload.get("text", "")).strip()
            if not text or str(a.payload.get("language", "en"))[:2] not in ("en", "un"):
                continue
            out.append(Source("transcript", text, a.span_start_ms, a.span_end_ms,
                              str(a.artifact_id), _word_offsets(text, a.payload.get("words") or ())))
        for a in context.get("ocr", []):
            text = str(a.payload.get("text", "")).strip()
            if not text:
                continue
            if self.langid.guess(text).language not in ("en", "und"):
                continue
            out.append(Source("ocr", text, a.span_start_ms, a.span_end_ms, str(a.artifact_id)))
        return sorted(out, key=lambda s: (s.start_ms, s.kind))

    def _analyze(self, media: MediaInput, progress: Progress, context: dict[str, Any]) -> list[Item]:
        sources = self.sources(context)
        mentions, docs = find_names(self.nlp, sources)
        progress(0.6)
        top = int(self.config.get("key_terms", 0))
        words = sum(len(s.text.split()) for s in sources if s.kind == "transcript")
        if self.encoder is not None and words >= int(self.config.get("min_words", 40)):
            names = {m.name.lower() for m in mentions}
            terms = key_terms(self.encoder.encode, docs, names, top,
                              min_relevance=float(self.config.get("min_relevance", 0.25)))
            mentions += term_mentions(terms, sources)
        progress(1.0)
        items = [m.item() for m in mentions]
        return sorted(items, key=lambda i: (i.span_start_ms, i.span_end_ms, i.payload["name"]))
