"""Query parameters read by one pydantic model per hot route.

FastAPI (0.16x) checks each declared parameter's annotation on every
request: for a jump's twelve parameters that was a third of the request's
Python time. A route that declares ``params: Annotated[M, query(M)]``
instead gets all of them validated by the model in one call, and the same
OpenAPI documentation (each field becomes a documented query parameter,
via the route's ``openapi_extra=documented(M)``). Errors are FastAPI's own
422 body, each ``loc`` starting with ``"query"``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, ValidationError

M = TypeVar("M", bound="QueryModel")


class QueryModel(BaseModel):
    """Base of query models: unknown parameters are ignored, as FastAPI does."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def query(model: type[M]) -> Any:
    """``Depends`` that validates the request's query string with ``model``
    (the last value of a repeated parameter wins, as in FastAPI)."""

    async def parse(request: Request) -> M:
        return parse_query(model, request)

    parse.__name__ = f"query_{model.__name__}"
    return Depends(parse)


def parse_query(model: type[M], request: Request) -> M:
    """The request's query string validated by ``model``; FastAPI's 422 if not."""
    try:
        return model.model_validate(request.query_params)
    except ValidationError as exc:
        raise RequestValidationError([
            {**err, "loc": ("query", *err["loc"])} for err in exc.errors(include_url=False)
        ]) from None


def documented(model: type[QueryModel]) -> dict[str, Any]:
    """``openapi_extra`` listing the model's fields as query parameters."""
    schema = model.model_json_schema()
    schema = _inline(schema, schema.pop("$defs", {}))
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema["properties"].items():
        prop = dict(prop)
        description = prop.pop("description", None)
        prop.pop("title", None)
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required,
                                     "schema": prop}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return {"parameters": parameters}


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """The schema with each ``$ref`` to its ``$defs`` replaced by the definition
    (enums, mostly), so each parameter documents itself."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node
