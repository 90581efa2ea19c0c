"""Key phrases of a text, KeyBERT's way, with the MiniLM already used for search.

Candidates are runs of one to three words without a stop word (but "of" or
"and" inside: "river of ice") that never cross punctuation ("honey bees";
"knead the dough" gives "knead" and "dough").
Each is embedded; a candidate scores its cosine to the text's own vector less
``distinct`` times its cosine to the rest of the video (so a chapter's title
says what sets it apart, not what the whole talk is about), and phrases are
picked by maximal marginal relevance (``diversity``) so the second is not a
rewording of the first. Only the ``max_candidates`` most frequent candidates
are embedded, which bounds the cost of a long chapter.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

# English function words and fillers an ASR writes; a candidate never starts or ends with one
_STOP_TEXT = """
a about above after again against all almost also although always am among an and another any
anyone anything are around as at away back be became because become been before being below
between both but by can cannot could did do does doing done down during each either else enough
even ever every few first for from further get gets getting go goes going gone got had has have
having he her here hers herself him himself his how however i if in into is it its itself just
keep kind know last least less let like likely lot lots made make makes many may me might more
most much must my myself near need never new next no nor not nothing now of off often oh ok okay
on once one only or other others our ours ourselves out over own per perhaps quite rather really
right said same say says see seem seems several shall she should since so some something sometimes
still such take than that the their theirs them themselves then there these they thing things
think this those though through thus to today together too toward towards two under until up upon
us use used uses using very via want was way we well were what whatever when where whether which
while who whom whose why will with within without would yeah yes yet you your yours yourself
yourselves actually basically called just let's it's that's there's they're we're you're i'm
don't doesn't didn't isn't aren't wasn't can't won't also um uh hmm mm three four five six seven
eight nine ten hundred thousand million many much big small good great long little part parts
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

_JOINERS = frozenset({"of", "and"})  # inside a phrase: "river of ice", "salt and pepper"
_WORD = re.compile(r"[^\W_][\w'’-]*", re.UNICODE)
_BREAK = re.compile(r"[.,;:!?()\[\]\"“”…]+|\s[-–—]\s")


@dataclass(frozen=True)
class Phrase:
    text: str  # as most often written
    score: float


def candidates(text: str, longest: int = 3) -> Counter[str]:
    """Candidate phrases (lower case) with their counts; the surface forms are
    kept by :func:`surface`."""
    counts: Counter[str] = Counter()
    for clause in _BREAK.split(text):
        words = [w.strip("'’-").lower() for w in _WORD.findall(clause)]
        for n in range(1, longest + 1):
            for i in range(len(words) - n + 1):
                gram = words[i:i + n]
                if any(not w or (w in STOP_WORDS and not (k and w in _JOINERS and k < n - 1))
                       for k, w in enumerate(gram)):
                    continue
                if n == 1 and (len(gram[0]) < 3 or gram[0].isdigit()):
                    continue
                if any(w.isdigit() for w in (gram[0], gram[-1])):
                    continue
                counts[" ".join(gram)] += 1
    return counts


def surface(text: str, phrase: str) -> str:
    """``phrase`` as the text writes it most often (names keep their capitals)."""
    pattern = re.compile(r"\b" + r"\W+".join(map(re.escape, phrase.split())) + r"\b", re.IGNORECASE)
    forms = Counter(m.group(0) for m in pattern.finditer(text))
    return forms.most_common(1)[0][0] if forms else phrase


def rank(text: str, doc: np.ndarray, encode: Callable[[list[str]], np.ndarray],
         rest: np.ndarray | None = None, top: int = 3, max_candidates: int = 60,
         distinct: float = 0.5, diversity: float = 0.3) -> list[Phrase]:
    """The ``top`` key phrases of ``text`` whose unit vector is ``doc``; ``rest``
    (a unit vector or None) is what the rest of the video is about."""
    counts = candidates(text)
    if not counts:
        return []
    first = {p: i for i, p in reversed(list(enumerate(counts)))}
    # frequent first, then longer (a name said twice beats a word said twice), then earlier
    pool = sorted(counts, key=lambda p: (-counts[p], -len(p.split()), first[p]))[:max_candidates]
    vectors = encode(pool)
    relevance = vectors @ doc
    if rest is not None:
        relevance = relevance - distinct * (vectors @ rest)
    chosen: list[int] = []
    while len(chosen) < min(top, len(pool)):
        best, best_score = -1, -np.inf
        for i in range(len(pool)):
            if i in chosen or _overlaps(pool[i], [pool[c] for c in chosen]):
                continue
            redundancy = max((float(vectors[i] @ vectors[c]) for c in chosen), default=0.0)
            score = (1 - diversity) * float(relevance[i]) - diversity * redundancy
            if score > best_score:
                best, best_score = i, score
        if best < 0:
            break
        chosen.append(best)
    return [Phrase(surface(text, pool[i]), round(float(relevance[i]), 4)) for i in chosen]


def _overlaps(phrase: str, chosen: Sequence[str]) -> bool:
    """Shares a word with a phrase already chosen ("bees" after "honey bees")."""
    words = {_fold(w) for w in phrase.split()}  # "vaccine" after "vaccines", "moon's" after "moon"
    return any(words & {_fold(w) for w in c.split()} for c in chosen)


def _fold(word: str) -> str:
    return word.removesuffix("'s").removesuffix("’s").rstrip("s")


def title(phrases: Sequence[Phrase], longest: int = 60, most: int = 2) -> str:
    """The best ``most`` phrases joined, the first capitalised: "Honey bees, pollen"."""
    out = ""
    for p in phrases[:most]:
        joined = f"{out}, {p.text}" if out else p.text
        if len(joined) > longest:
            break
        out = joined
    return out[:1].upper() + out[1:]
