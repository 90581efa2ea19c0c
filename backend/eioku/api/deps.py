"""Request dependencies as Annotated aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request

from eioku.config import Settings
from eioku.domain.enums import ModelProfile, SelectionMode
from eioku.domain.models import SelectionOverride
from eioku.store.uow import UnitOfWork


def get_uow(request: Request) -> Iterator[UnitOfWork]:
    """One session per request; rolled back unless a route commits."""
    with UnitOfWork(request.app.state.session_factory) as uow:
        yield uow


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_selection(
    selection: Annotated[SelectionMode | None, Query(
        description="Override the stored selection policy for this request.")] = None,
    profile: Annotated[ModelProfile | None, Query(
        description="Show the newest completed run of this profile (implies selection=profile).")]
    = None,
) -> SelectionOverride:
    return SelectionOverride(selection, profile)


UowDep = Annotated[UnitOfWork, Depends(get_uow)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
SelectionDep = Annotated[SelectionOverride, Depends(get_selection)]
