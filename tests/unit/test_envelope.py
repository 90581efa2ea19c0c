import uuid
from datetime import UTC, datetime

import pytest
from eioku.artifacts.envelope import ENVELOPE_FIELDS, ArtifactEnvelope, NewArtifact
from eioku.domain.enums import ModelProfile, SelectionMode
from eioku.domain.errors import InvalidPolicyError
from eioku.domain.models import SelectionOverride, SelectionPolicy
from pydantic import ValidationError


def test_new_artifact_rejects_reversed_span():
    with pytest.raises(ValidationError, match="must be <= span_end_ms"):
        NewArtifact(artifact_type="scene", span_start_ms=10, span_end_ms=5, payload={})


@pytest.mark.parametrize("start", [-1, 10**12])
def test_new_artifact_rejects_absurd_times(start):
    with pytest.raises(ValidationError):
        NewArtifact(artifact_type="scene", span_start_ms=start, span_end_ms=start, payload={})


def test_envelope_requires_every_field():
    full = {
        "artifact_id": uuid.uuid4(), "asset_id": uuid.uuid4(), "artifact_type": "scene",
        "schema_version": 1, "span_start_ms": 0, "span_end_ms": 1, "payload": {},
        "producer": "p", "producer_version": "1", "model_profile": "fast", "config_hash": "h",
        "input_hash": "i", "run_id": uuid.uuid4(), "created_at": datetime.now(UTC),
    }
    assert set(full) == set(ENVELOPE_FIELDS)
    ArtifactEnvelope(**full)
    for name in ENVELOPE_FIELDS:
        with pytest.raises(ValidationError):
            ArtifactEnvelope(**{k: v for k, v in full.items() if k != name})


def test_policy_rules():
    with pytest.raises(InvalidPolicyError, match="preferred_profile"):
        SelectionPolicy(SelectionMode.PROFILE)
    with pytest.raises(InvalidPolicyError, match="pinned_run_id"):
        SelectionPolicy(SelectionMode.PINNED)
    assert SelectionOverride(profile=ModelProfile.FAST).mode is SelectionMode.PROFILE
    with pytest.raises(InvalidPolicyError):
        SelectionOverride(mode=SelectionMode.PROFILE)
