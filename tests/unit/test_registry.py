"""Property 5 (registry lookup) and payload validation, no database needed."""

import pytest
from eioku.artifacts.registry import SchemaRegistry, default_registry
from eioku.domain.enums import ArtifactType
from eioku.domain.errors import SchemaNotFoundError, ValidationFailedError
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from tests.factories import payload_for

REGISTERED = [(t.value, 1) for t in ArtifactType] + [("place.classification", 2),  # places per shot
                                                ("object.detection", 2)]  # objects per track


@given(artifact_type=st.sampled_from([t.value for t in ArtifactType]) | st.text(max_size=30),
       version=st.integers(-5, 5))
def test_registered_pairs_resolve_and_others_raise(artifact_type, version):
    registry = default_registry()
    if (artifact_type, version) in REGISTERED:
        model = registry.get(artifact_type, version)
        assert issubclass(model, BaseModel)
    else:
        with pytest.raises(SchemaNotFoundError) as err:
            registry.get(artifact_type, version)
        assert err.value.artifact_type == artifact_type and err.value.schema_version == version


def test_all_builtin_types_are_registered():
    assert default_registry().keys() == sorted(REGISTERED)


def test_registering_a_conflicting_model_is_refused():
    registry = SchemaRegistry()

    class A(BaseModel):
        x: int

    class B(BaseModel):
        y: int

    registry.register("custom", 1, A)
    registry.register("custom", 1, A)  # idempotent
    with pytest.raises(ValueError, match="already registered"):
        registry.register("custom", 1, B)


@pytest.mark.parametrize("artifact_type", [t.value for t in ArtifactType])
def test_valid_payloads_validate(artifact_type):
    (dumped,) = default_registry().validate_many(artifact_type, 1, [payload_for(artifact_type)])
    assert dumped.startswith("{")


@pytest.mark.parametrize(("artifact_type", "bad", "field"), [
    ("object.detection", {"confidence": 1.5}, "payload.confidence"),
    ("object.detection", {"bbox": {"x": -1, "y": 0, "w": 1, "h": 1}}, "payload.bbox.x"),
    ("scene", {"scene_index": -1}, "payload.scene_index"),
    ("transcript.segment", {"unexpected": 1}, "payload.unexpected"),
    ("video.quality", {"status": "great"}, "payload.status"),
    ("scene", {"score": float("nan")}, "payload.score"),
])
def test_invalid_payload_names_item_and_field(artifact_type, bad, field):
    payloads = [payload_for(artifact_type), payload_for(artifact_type, **bad)]
    with pytest.raises(ValidationFailedError) as err:
        default_registry().validate_many(artifact_type, 1, payloads, offsets=[7, 9])
    assert err.value.item == 9
    assert err.value.field == field
    assert "artifact 9" in err.value.message
