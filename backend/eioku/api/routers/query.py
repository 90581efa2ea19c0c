"""Combined queries over time: ``POST /v1/query`` (docs/api.md, "Combined queries")."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from eioku.api.deps import reads_of
from eioku.api.query import _inline
from eioku.domain.enums import ModelProfile, SelectionMode
from eioku.domain.errors import ValidationFailedError
from eioku.domain.models import SelectionOverride
from eioku.query import kinds
from eioku.query.json import from_json, to_json
from eioku.query.parse import QueryError, parse, to_text
from eioku.query.plan import MAX_LIMIT, Order, QueryResult, query_steps
from eioku.query.tree import MAX_TEXT_CHARS, Node, parts
from eioku.query.words import describe

router = APIRouter(tags=["query"])


class QueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(None, max_length=MAX_TEXT_CHARS, description=(
        'The query as text, e.g. person:Alice AND said:"budget" WITHIN 10s.'))
    query: Any = Field(None, description=(
        'The same as JSON, e.g. {"and": [{"kind": "person", "value": "Alice"}, '
        '{"kind": "said", "value": "budget"}], "within_s": 10}. Give q or query.'))
    video_id: uuid.UUID | None = Field(None, description="One video; omitted: the whole library.")
    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    order: Order = Field(Order.RANK, description="rank: the longest moments first; time: library order.")
    selection: SelectionMode | None = None
    profile: ModelProfile | None = None

    def tree(self) -> Node:
        if (self.q is None) == (self.query is None):
            raise QueryError("give the query as text (q) or as JSON (query), one of them")
        return parse(self.q) if self.q is not None else from_json(self.query)


class MomentOut(BaseModel):
    video_id: uuid.UUID
    filename: str
    start_ms: int
    end_ms: int


class PartOut(BaseModel):
    text: str = Field(description="Its canonical text (the query without it: the others joined by AND).")
    words: str = Field(description='In words, e.g. Said: “budget”.')


class QueryOut(BaseModel):
    query: str = Field(description="The query's canonical text.")
    tree: dict[str, Any] = Field(description="The query as JSON.")
    parts: list[PartOut] = Field(description="The conditions joined by the top-level AND (chips).")
    total: int = Field(description="Moments found; `moments` holds the first `limit`.")
    moments: list[MomentOut]

    @classmethod
    def of(cls, tree: Node, result: QueryResult) -> QueryOut:
        return cls(query=to_text(tree), tree=to_json(tree),
                   parts=[PartOut(text=to_text(p), words=describe(p)) for p in parts(tree)],
                   total=result.total, moments=[MomentOut(**vars(m)) for m in result.moments])


class KindOut(BaseModel):
    name: str
    label: str
    takes: str
    aliases: list[str]


def _body(raw: bytes) -> QueryIn:
    """The body read by hand: a JSON nested too deep for the decoder is a 422 too."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise ValidationFailedError("the body is not JSON: send {\"q\": \"...\"} or {\"query\": {...}}",
                                    field="body") from None
    try:
        return QueryIn.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise ValidationFailedError(f"{where}: {first['msg']}", field=where) from None


def _body_schema() -> dict[str, Any]:
    """QueryIn's JSON schema with its enums inlined (a ``$ref`` to ``$defs`` means nothing here)."""
    schema = QueryIn.model_json_schema()
    return _inline(schema, schema.pop("$defs", {}))  # type: ignore[no-any-return]


@router.post("/v1/query", response_model=QueryOut, openapi_extra={"requestBody": {
    "required": True, "content": {"application/json": {"schema": _body_schema()}}}})
async def run_query(request: Request) -> QueryOut:
    """Moments where a combined query holds (conditions on any kind joined by AND, OR, NOT,
    WITHIN, BEFORE, AFTER, DURING), ranked, in one video or the whole library.
    A query that cannot be read is a 422 saying where (`position`)."""
    body = _body(await request.body())
    tree = body.tree()
    result = await reads_of(request).run(query_steps(
        tree, video_id=body.video_id, limit=body.limit, order=body.order,
        selection=SelectionOverride(body.selection, body.profile)))
    return QueryOut.of(tree, result)


@router.get("/v1/query/kinds", response_model=list[KindOut])
async def list_kinds() -> list[KindOut]:
    """The condition kinds this server knows (one per navigable projection)."""
    aliases: dict[str, list[str]] = {}
    for alias, name in kinds.ALIASES.items():
        aliases.setdefault(name, []).append(alias)
    return [KindOut(name=k.name, label=k.label, takes=k.takes, aliases=sorted(aliases.get(k.name, [])))
            for k in sorted(kinds.kinds().values(), key=lambda k: k.name)]
