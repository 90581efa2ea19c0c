"""Stable hashes used for provenance and reuse."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def config_hash(config: dict[str, Any]) -> str:
    """Hash of a config dict, independent of key order."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
