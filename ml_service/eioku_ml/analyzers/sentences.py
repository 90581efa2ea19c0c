"""Where spoken sentences end, from the words a recogniser wrote.

A word ending in ``.``, ``?`` or ``!`` ends a sentence, except abbreviations:
titles before a name ("Mr.", "Dr.", "St.") never do, nor do "e.g."/"i.e."
or initials ("J."); "etc.", "a.m." and the like end one only when the next
word starts a new sentence (a capital letter).
"""

from __future__ import annotations

import re

NEVER_ENDS = {
    "mr.", "mrs.", "ms.", "dr.", "prof.", "sr.", "jr.", "st.", "mt.", "ft.", "gen.", "col.",
    "capt.", "lt.", "sgt.", "rev.", "hon.", "gov.", "sen.", "rep.", "pres.", "e.g.", "i.e.",
    "vs.", "v.", "cf.", "no.", "nos.", "fig.", "vol.", "approx.", "dept.", "est.",
}
ENDS_BEFORE_CAPITAL = {"etc.", "a.m.", "p.m.", "inc.", "ltd.", "co.", "corp.", "jan.", "feb.",
                       "aug.", "sept.", "oct.", "nov.", "dec.", "u.s.", "u.k."}
_INITIAL = re.compile(r"^[A-Z]\.$")
_ACRONYM = re.compile(r"^(?:[A-Za-z]\.){2,}$")


def ends_sentence(word: str, next_word: str | None) -> bool:
    """Does ``word`` end a sentence, given the word after it (None at the end)?"""
    core = word.strip().strip("\"'»”’)]")
    if not core.endswith((".", "?", "!", "…")):
        return False
    if core.endswith(("?", "!", "…")) or next_word is None:
        return True
    lower = core.lower()
    starts_capital = next_word.strip().lstrip("\"'«“‘([")[:1].isupper()
    if lower in NEVER_ENDS or _INITIAL.match(core):
        return False
    if lower in ENDS_BEFORE_CAPITAL or _ACRONYM.match(core):
        return starts_capital
    return True


def split_sentences(words: list[str]) -> list[list[int]]:
    """Indexes of ``words`` grouped into sentences."""
    groups: list[list[int]] = [[]]
    for i, word in enumerate(words):
        groups[-1].append(i)
        if ends_sentence(word, words[i + 1] if i + 1 < len(words) else None):
            groups.append([])
    return [g for g in groups if g]
