"""Artifact envelope, payload schemas and the schema registry."""

from eioku.artifacts.envelope import ArtifactEnvelope, NewArtifact
from eioku.artifacts.registry import SchemaRegistry, default_registry

__all__ = ["ArtifactEnvelope", "NewArtifact", "SchemaRegistry", "default_registry"]
