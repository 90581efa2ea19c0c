"""Schema registry: ``(artifact_type, schema_version)`` -> payload model.

Registering a new type or version is a call to :meth:`SchemaRegistry.register`;
payloads live in one JSONB column, so no table changes are needed (R3.5).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from eioku.domain.errors import SchemaNotFoundError, ValidationFailedError


class SchemaRegistry:
    def __init__(self) -> None:
        self._models: dict[tuple[str, int], type[BaseModel]] = {}
        self._list_adapters: dict[tuple[str, int], TypeAdapter[list[Any]]] = {}

    def register(self, artifact_type: str, version: int, model: type[BaseModel]) -> None:
        key = (artifact_type, version)
        if key in self._models and self._models[key] is not model:
            raise ValueError(f"{artifact_type} v{version} is already registered")
        self._models[key] = model
        self._list_adapters[key] = TypeAdapter(list[model])  # type: ignore[valid-type]

    def get(self, artifact_type: str, version: int) -> type[BaseModel]:
        try:
            return self._models[(artifact_type, version)]
        except KeyError:
            raise SchemaNotFoundError(artifact_type, version) from None

    def __contains__(self, key: object) -> bool:
        return key in self._models

    def keys(self) -> list[tuple[str, int]]:
        return sorted(self._models)

    def types(self) -> list[str]:
        return sorted({t for t, _ in self._models})

    def latest_version(self, artifact_type: str) -> int:
        versions = [v for t, v in self._models if t == artifact_type]
        if not versions:
            raise SchemaNotFoundError(artifact_type, 1)
        return max(versions)

    def parse(self, artifact_type: str, version: int, payload: dict[str, Any]) -> BaseModel:
        """Parse a stored payload with the model registered for its version."""
        return self.get(artifact_type, version).model_validate(payload)

    def validate_many(
        self, artifact_type: str, version: int, payloads: Sequence[dict[str, Any]],
        *, offsets: Sequence[int] | None = None,
    ) -> list[str]:
        """Validate payloads of one (type, version); return each as canonical JSON.

        Raises :class:`ValidationFailedError` naming the first bad item (its
        position in the caller's batch, via ``offsets``) and field.
        """
        key = (artifact_type, version)
        if key not in self._models:
            raise SchemaNotFoundError(artifact_type, version)
        try:
            models = self._list_adapters[key].validate_python(payloads)
        except ValidationError as exc:
            raise _first_error(exc, artifact_type, version, offsets) from None
        to_json = self._models[key].__pydantic_serializer__.to_json
        return [to_json(m).decode() for m in models]


def _first_error(
    exc: ValidationError, artifact_type: str, version: int, offsets: Sequence[int] | None
) -> ValidationFailedError:
    err = exc.errors(include_url=False)[0]
    loc = list(err["loc"])
    index = int(loc.pop(0)) if loc and isinstance(loc[0], int) else 0
    item = offsets[index] if offsets is not None else index
    field = ".".join(str(p) for p in loc) or "payload"
    return ValidationFailedError(
        f"artifact {item}: payload.{field}: {err['msg']} ({artifact_type} v{version})",
        item=item,
        field=f"payload.{field}",
    )


def register_all(registry: SchemaRegistry, entries: Iterable[tuple[str, int, type[BaseModel]]]) -> None:
    for artifact_type, version, model in entries:
        registry.register(artifact_type, version, model)


@lru_cache
def default_registry() -> SchemaRegistry:
    """The registry with every built-in payload schema (SPEC §3)."""
    from eioku.artifacts.payloads import BUILTIN_SCHEMAS

    registry = SchemaRegistry()
    register_all(registry, BUILTIN_SCHEMAS)
    return registry
