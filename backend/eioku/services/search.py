"""One search over the library, three ways (``GET /v1/search``, ``eioku search``).

- ``keyword``: the words asked for, in speech and on screen (PostgreSQL full
  text), object and place labels, people by name (``services.library``).
- ``semantic``: by meaning. The query is embedded with the model that embedded
  the library (all-MiniLM-L6-v2) and compared with every transcript segment,
  on-screen text and shot description (``store.vectors``): "money owed" finds
  "please pay the invoice".
- pictures: with a CLIP model (``EIOKU_CLIP_MODEL``) the query is also compared
  with sampled frames (``source: picture``), a third list fused into semantic
  and hybrid.
- relevance: a cosine similarity alone says little (random letters are ~0.3
  from a garbled on-screen word, as close as "where do they talk about money"
  is to "Please pay the invoice"), so both the query and each neighbour are
  also compared with a fixed set of texts about nothing in particular
  (``search_background``). A neighbour's ``relevance`` is how many standard
  deviations closer to the query it is than those texts are, on average, to
  the query, averaged with the same number measured from the neighbour's side
  (a garbled on-screen word is close to any garbled query: it is close to
  everything of its kind); it counts from ``RELEVANT_Z``. Its
  ``strength`` says it in a word (fair, good, strong; ``exact`` for the words or
  a label asked for). A query none of whose words the model knows whole
  ("qwertyzz") has no meaning to compare: nothing by meaning (hybrid still
  finds its exact words). A query that matches nothing better than chance finds
  nothing rather than the least bad; matches from ``WEAK_Z`` ("weak") are
  counted (``Found.weaker``) and given only when asked for (``weak=True``).
- ``hybrid`` (the default): the lists fused by reciprocal rank (each hit adds
  1/(60 + rank) to its moment). A moment is a transcript segment or an
  on-screen text, or, for what is *seen* (objects, places, people, shot
  descriptions), the shot it falls in: "Alice with a dog in the street" adds
  Alice's face, the dog and the shot's description in the same shot, so shots
  where they co-occur come first.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.orm import Session

from eioku.config import get_settings
from eioku.domain.errors import EiokuError, SemanticSearchUnavailableError, ValidationFailedError
from eioku.services.library import Hit
from eioku.services.library import search as keyword_search
from eioku.services.navigation import check_query_text
from eioku.store import vectors
from eioku.store.speakers import said_by
from eioku.store.videos import VideoRepository

Mode = Literal["keyword", "semantic", "hybrid"]
MODES: tuple[str, ...] = ("keyword", "semantic", "hybrid")
RRF_K = 60
CANDIDATES = 40  # per list, before fusion
# a neighbour by meaning is a hit from this many standard deviations above the
# query's mean similarity to the background texts; the words for the strength
STRENGTHS = ((5.0, "strong"), (4.0, "good"), (3.0, "fair"), (2.0, "weak"))
RELEVANT_Z = 3.0
# "weak" matches (from 2) are left out unless asked for (``weak=True``): what the
# model relates no more than it relates "knitting a scarf" to a sleeping cat, but
# sometimes what was meant ("where do they talk about money" and an invoice)
WEAK_Z = STRENGTHS[-1][0]
_SEEN = {"object", "place", "face", "shot", "picture"}


@dataclass(frozen=True)
class Found:
    mode: str
    vector_index: str | None  # hnsw | exact; None when no vector was compared
    hits: list[Hit]
    weaker: int = 0  # weak matches by meaning left out (asked for with weak=True)


def embed_query(q: str) -> list[float]:
    """The query's unit vector, in the API's or the CLI's process (the model
    loads once, ~2 s; a short query takes ~10 ms on one core, a repeated one
    nothing). A missing model is a clear 503, naming the package."""
    return list(_embed(q))


@lru_cache(maxsize=1024)
def _embed(q: str) -> tuple[float, ...]:
    return tuple(float(x) for x in _text_model().encode([q])[0])


@lru_cache(maxsize=1)
def _background() -> Any:
    """The background texts' vectors (a numpy array), embedded once a process (~0.5 s)."""
    import numpy as np

    from eioku.services.search_background import TEXTS

    return np.asarray(_text_model().encode(list(TEXTS)), dtype=np.float32)


def chance(vectors: list[list[float]] | Any) -> list[tuple[float, float]]:
    """How close each vector (rows of a list or an array) is to texts about
    nothing in particular: the mean and the standard deviation of its
    similarity to the background texts."""
    import numpy as np

    if not len(vectors):
        return []
    near = np.asarray(vectors, dtype=np.float32) @ _background().T
    return [(float(m), max(float(sd), 1e-6)) for m, sd in zip(near.mean(axis=1), near.std(axis=1),
                                                              strict=True)]


def known_words(q: str) -> int:
    """How many of the query's words the text model knows whole (not pieced
    together from fragments, as it must "qwertyzz")."""
    tokenizer = _text_model().tokenizer
    return sum(tokenizer.token_to_id(w) is not None for w in re.findall(r"\w+", q.lower()))


def strength(relevance: float) -> str | None:
    """The word for a relevance (standard deviations above chance); None below the bar."""
    return next((word for bound, word in STRENGTHS if relevance >= bound), None)


def _text_model() -> Any:
    try:
        from eioku_ml.models import minilm

        return minilm.shared()
    except ImportError as exc:
        raise SemanticSearchUnavailableError(
            f"search by meaning needs the ml extra (tokenizers, safetensors): {exc}") from exc
    except EiokuError as exc:  # ModelMissingError: which package, how to install it
        raise SemanticSearchUnavailableError(exc.message) from exc


def meaning_of(q: str) -> str:
    """What a query asks for by meaning: without words it excludes (``-cat``:
    web-search syntax, which embedding them would turn into asking for them)
    and quotes. Nothing with a letter or digit left: a 422, as for keywords."""
    kept = [t.strip('"') for t in q.split() if not t.startswith("-")]
    rest = " ".join(t for t in kept if t)
    if not re.search(r"\w", rest):
        raise ValidationFailedError(
            f"query {q!r} has nothing to search for (punctuation, operators and negations "
            "alone match nothing)", field="q")
    return rest


def _names_removed(session: Session, q: str) -> str:
    """The query without the names of people it mentions: a name means
    nothing to the text model; the keyword side finds that person's faces."""
    names = session.execute(text(
        "SELECT name FROM face_identities WHERE name IS NOT NULL AND length(name) > 1 "
        "AND strpos(lower(:q), lower(name)) > 0"), {"q": q}).scalars().all()
    for name in sorted(names, key=len, reverse=True):
        q = re.sub(rf"(?i)(?<!\w){re.escape(name)}(?!\w)", " ", q)
    return " ".join(q.split())


def _semantic(session: Session, q: str, limit: int, video_id: uuid.UUID | None,
              weak: bool = False) -> tuple[list[Hit], int]:
    """Hits by meaning from ``RELEVANT_Z`` (from ``WEAK_Z`` when ``weak``), and
    how many weak ones were left out."""
    rest = _names_removed(session, q)
    if not re.search(r"\w", rest):
        return [], 0  # only names: the keyword side finds those people
    if not known_words(rest):
        return [], 0  # no word the model knows: nothing it could compare by meaning
    vector = embed_query(rest)
    candidates = vectors.nearest(session, vector, limit=limit + limit // 2, video_id=video_id,
                                 with_vectors=True)
    import numpy as np

    stacked = np.vstack([np.asarray(vector, dtype=np.float32)]
                        + [vectors.floats(n.vector or b"") for n in candidates])
    (mean, spread), *theirs = chance(stacked)
    near, seen, weaker = [], set(), set()
    for n, (their_mean, their_spread) in zip(candidates, theirs, strict=True):
        key = (n.video_id, n.source, n.start_ms)  # a shot has two vectors: keep the better
        relevance = ((n.score - mean) / spread + (n.score - their_mean) / their_spread) / 2
        if relevance >= (WEAK_Z if weak else RELEVANT_Z) and key not in seen:
            seen.add(key)
            near.append((n, relevance))
        elif relevance >= WEAK_Z:
            weaker.add(key)
    names = dict(session.execute(text("SELECT video_id, filename FROM videos WHERE video_id = ANY(:v)"),
                                 {"v": list({n.video_id for n, _ in near})}).tuples().all())
    return [Hit(n.video_id, names[n.video_id], n.source, n.start_ms, n.end_ms, None, n.text,
                round(n.score, 4), strength(z) or "weak", round(z, 2)) for n, z in near], \
        len(weaker - seen)


def _pictures(session: Session, q: str, limit: int, video_id: uuid.UUID | None) -> list[Hit]:
    """Frames that look like the query, when a CLIP model is configured
    (``EIOKU_CLIP_MODEL``); none otherwise."""
    folder = get_settings().clip_model
    if folder is None:
        return []
    rest = _names_removed(session, q)
    if not re.search(r"\w", rest):
        return []
    try:
        from eioku_ml.models.clip import shared

        clip = shared(folder)
        vector = [float(x) for x in clip.encode_text([rest])[0]]
    except ImportError as exc:
        raise SemanticSearchUnavailableError(f"visual search needs the ml extra: {exc}") from exc
    except EiokuError as exc:
        raise SemanticSearchUnavailableError(exc.message) from exc
    near = vectors.nearest_images(session, vector, clip.name, limit=limit, video_id=video_id)
    names = dict(session.execute(text("SELECT video_id, filename FROM videos WHERE video_id = ANY(:v)"),
                                 {"v": list({n.video_id for n in near})}).tuples().all())
    return [Hit(n.video_id, names[n.video_id], "picture", n.start_ms, n.end_ms, None,
                f"a frame that looks like “{rest}”", round(n.score, 4), "fair") for n in near]


def _keyword(session: Session, q: str, limit: int, video_id: uuid.UUID | None,
             strict: bool) -> list[Hit]:
    try:
        return keyword_search(session, q, limit=limit, video_id=video_id)
    except ValidationFailedError:
        if strict:
            raise
        return []  # nothing to match word for word ("¿…?"): meaning may still find it


def _shot_starts(session: Session, videos: set[uuid.UUID]) -> dict[uuid.UUID, list[int]]:
    starts: dict[uuid.UUID, list[int]] = defaultdict(list)
    for video_id, start in session.execute(text(
            "SELECT sr.asset_id, s.start_ms FROM selected_runs sr JOIN scene_ranges s "
            "ON s.run_id = sr.run_id WHERE sr.artifact_type = 'scene' AND sr.asset_id = ANY(:v) "
            "ORDER BY sr.asset_id, s.start_ms"), {"v": list(videos)}):
        starts[video_id].append(start)
    return starts


def _fuse(session: Session, lists: list[list[Hit]], limit: int) -> list[Hit]:
    """Reciprocal rank fusion over moments (see the module docstring)."""
    shots = _shot_starts(session, {h.video_id for hits in lists for h in hits if h.source in _SEEN})

    def moment(hit: Hit) -> tuple[object, ...]:
        if hit.source not in _SEEN:
            return (hit.video_id, hit.source, hit.start_ms)
        inside = [s for s in shots.get(hit.video_id, []) if s <= hit.start_ms]
        return (hit.video_id, "seen", inside[-1] if inside else hit.start_ms)

    score: dict[tuple[object, ...], float] = defaultdict(float)
    shown: dict[tuple[object, ...], Hit] = {}
    exact: set[tuple[object, ...]] = set()  # moments with the words or a label asked for
    relevance: dict[tuple[object, ...], float] = {}  # the best by meaning
    for hits in lists:
        for rank, hit in enumerate(hits, start=1):
            key = moment(hit)
            score[key] += 1.0 / (RRF_K + rank)
            if hit.strength == "exact":
                exact.add(key)
            if hit.relevance is not None:
                relevance[key] = max(relevance.get(key, hit.relevance), hit.relevance)
            best = shown.get(key)
            # a shot's description stands for its shot; otherwise the first (best) hit
            if best is None or (hit.source == "shot" and best.source != "shot"):
                shown[key] = hit
    ranked = sorted(score, key=lambda k: (-score[k], shown[k].start_ms))

    def word(key: tuple[object, ...]) -> str:
        if key in exact:
            return "exact"
        return strength(relevance[key]) or "weak" if key in relevance else shown[key].strength

    return [replace(shown[k], score=round(score[k], 6), relevance=relevance.get(k), strength=word(k))
            for k in ranked[:limit]]


SAID_BY_CANDIDATES = 500  # moments looked at for those a speaker said


def search(session: Session, q: str, *, mode: str = "hybrid", limit: int = 50,
           video_id: uuid.UUID | None = None, weak: bool = False,
           speaker: str | None = None) -> Found:
    """Ranked moments for ``q`` in the library (or one video), best first;
    ``weak``: with weak matches by meaning too; ``speaker`` (a run's speaker
    label, a voice id or name): only speech that speaker said (store/speakers.py,
    ``said_by``), each hit's ``label`` the speaker's name."""
    if speaker is not None:
        found = search(session, q, mode=mode, limit=SAID_BY_CANDIDATES, video_id=video_id, weak=weak)
        speech = [h for h in found.hits if h.source == "transcript"]
        said = said_by(session, [(h.video_id, h.start_ms, h.end_ms) for h in speech], speaker)
        return replace(found, hits=[replace(h, label=said[i]) for i, h in enumerate(speech)
                                    if i in said][:limit])
    if mode not in MODES:
        raise ValidationFailedError(f"mode must be one of {', '.join(MODES)} (got {mode!r})",
                                    field="mode")
    check_query_text(q)
    if video_id is not None:
        VideoRepository(session).get(video_id)
    if mode == "keyword":
        return Found("keyword", None, keyword_search(session, q, limit=limit, video_id=video_id))
    index = vectors.vector_mode(session)
    meant = meaning_of(q)
    semantic, weaker = _semantic(session, meant, max(limit, CANDIDATES), video_id, weak)
    pictures = _pictures(session, meant, max(limit, CANDIDATES), video_id)
    if mode == "semantic":
        if not pictures:
            return Found("semantic", index, semantic[:limit], weaker)
        return Found("semantic", index, _fuse(session, [semantic, pictures], limit), weaker)
    keyword = _keyword(session, q, max(limit, CANDIDATES), video_id, strict=False)
    return Found("hybrid", index, _fuse(session, [keyword, semantic, pictures], limit), weaker)
