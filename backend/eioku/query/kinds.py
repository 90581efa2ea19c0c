"""What a condition's ``kind:value`` means, derived from the projections.

Every projection that jumps (``BY_KIND``) is a condition kind under its
jump kind's name, so a new projection is queryable the day it is
navigable. A few kinds get friendlier names (``person`` for faces, ``said``
for the transcript, ``screen`` for on-screen text) and other spellings. What
the value matches follows the projection, as in a jump (services/navigation):
a label column is matched as a jump's ``label`` (a person or a speaker by id
or name), text by the words of a find, a numbered range (scene, chapter) by its
number, a titled one by words of its title; ``*`` or no value matches anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from eioku.domain.enums import JumpKind
from eioku.domain.errors import ValidationFailedError
from eioku.services.navigation import FIND_TSQUERY, MAX_QUERY_CHARS, check_query_text
from eioku.store.people import PERSON_SQL
from eioku.store.projections import BY_KIND, Projection, fts_query
from eioku.store.speakers import SPEAKER_MATCH

# canonical name of a jump kind, where it is not the jump kind's own
NAMES: dict[JumpKind, str] = {JumpKind.FACE: "person", JumpKind.TRANSCRIPT: "said",
                              JumpKind.OCR: "screen"}
# other spellings -> canonical name
ALIASES: dict[str, str] = {
    "face": "person", "people": "person", "who": "person",
    "transcript": "said", "speech": "said", "says": "said", "say": "said",
    "ocr": "screen", "shown": "screen", "onscreen": "screen", "on_screen": "screen",
    "voice": "speaker", "heard": "sound", "shot": "scene",
}
# what a chip calls each kind
LABELS: dict[str, str] = {"person": "Person", "said": "Said", "screen": "On screen"}


@dataclass(frozen=True)
class Kind:
    name: str
    jump_kind: JumpKind
    projection: Projection

    @property
    def table(self) -> str:
        """Where its spans are: appearances (detections merged in time) where it has them."""
        return self.projection.appearances or self.projection.table

    @property
    def label(self) -> str:
        return LABELS.get(self.name, self.name.replace("_", " ").capitalize())

    @property
    def takes(self) -> str:
        """What its value is, in words (GET /v1/query/kinds, error messages)."""
        p = self.projection
        if p.is_text:
            return "words"
        if p.label_column == "cluster_id":
            return "a person's name or id"
        if p.label_column == "speaker":
            return "a speaker's label, a voice's name or id"
        if p.label_column:
            return "a label"
        if _index_column(p):
            return "a number" + (" or words of the title" if "title" in p.columns else "")
        return "*"


def _index_column(p: Projection) -> str | None:
    return next((c for c in p.columns if c.endswith("_index")), None)


def kinds() -> dict[str, Kind]:
    """Canonical name -> kind, for every projection that jumps."""
    return {NAMES.get(k, k.value): Kind(NAMES.get(k, k.value), k, p) for k, p in BY_KIND.items()}


def kind_named(name: str) -> Kind:
    """The kind a user wrote (any spelling, any case); a 422 naming the kinds otherwise."""
    key = name.lower()
    known = kinds()
    found = known.get(ALIASES.get(key, key))
    if found is None:
        raise ValidationFailedError(f"unknown kind {name!r}: use one of {', '.join(sorted(known))}",
                                    field="q")
    return found


_LIKE = re.compile(r"([\\%_])")


def match_sql(kind: Kind, value: str | None, param: str) -> tuple[str, dict[str, object]]:
    """SQL over the kind's table (alias ``p``) true for the rows ``value``
    matches, and its parameters, all named after ``param``: the value is only
    ever a bound parameter."""
    p = kind.projection
    if value is None:
        return "TRUE", {}
    if "\x00" in value:
        raise ValidationFailedError("a value must not contain NUL characters", field="q")
    if p.is_text:
        check_query_text(value)
        sql = _renamed(f"p.tsv @@ {FIND_TSQUERY}", "q", param)
        return sql, {param: fts_query(value)}
    if len(value) > MAX_QUERY_CHARS:
        raise ValidationFailedError(f"a value is longer than {MAX_QUERY_CHARS} characters", field="q")
    if p.label_column == "cluster_id":
        return f"p.cluster_id = {PERSON_SQL.format(p=param)}", {param: value}
    if p.label_column == "speaker":
        return _renamed(SPEAKER_MATCH, "label", param), {param: value}
    if p.label_column:
        return f"p.{p.label_column} = lower(:{param})", {param: value}
    index = _index_column(p)
    if index and value.isdigit() and len(value) < 10:
        return f"p.{index} = :{param}", {param: int(value)}
    if index and "title" in p.columns:
        return f"p.title ILIKE :{param}", {param: "%" + _LIKE.sub(r"\\\1", value) + "%"}
    raise ValidationFailedError(f"{kind.name}: takes {kind.takes}, not {value!r}", field="q")


def _renamed(sql: str, old: str, new: str) -> str:
    """A constant fragment's ``:old`` parameter renamed ``:new`` (one per condition)."""
    return re.sub(rf"(?<![:\w]):{old}\b", f":{new}", sql)
