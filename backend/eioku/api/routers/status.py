"""The analysis system at a glance: queues, workers, runs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from eioku.api.deps import UowDep
from eioku.services import status as service

router = APIRouter(tags=["runs"])


@router.get("/v1/status")
def analysis_status(uow: UowDep) -> dict[str, Any]:
    """Queues (jobs waiting and running per queue, how long the oldest has
    waited), workers alive (heartbeat within EIOKU_STALLED_AFTER_S), runs queued,
    running, waiting for dependencies, completed and failed in the last hour,
    playback copies (remuxes and proxies: ready files, their bytes, how many are
    being made or failed), and a hint when jobs wait while no worker is alive."""
    return service.status(uow.session)
