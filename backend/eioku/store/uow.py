"""Unit of work: owns one session and its transaction; rolls back unless committed."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.exc import DBAPIError, InvalidatePoolError
from sqlalchemy.orm import Session, sessionmaker

from eioku.artifacts.registry import SchemaRegistry, default_registry
from eioku.store.artifacts import ArtifactRepository
from eioku.store.faces import FaceIdentityRepository
from eioku.store.people import PeopleRepository
from eioku.store.projections import ProjectionWriter
from eioku.store.runs import RunRepository
from eioku.store.selection import SelectionPolicyManager
from eioku.store.videos import VideoRepository


class UnitOfWork:
    session: Session

    def __init__(
        self, session_factory: sessionmaker[Session], registry: SchemaRegistry | None = None
    ) -> None:
        self._factory = session_factory
        self._registry = registry or default_registry()

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        self.videos = VideoRepository(self.session)
        self.projections = ProjectionWriter(self.session)
        self.runs = RunRepository(self.session, self.projections)
        self.artifacts = ArtifactRepository(self.session, self._registry, self.projections)
        self.selections = SelectionPolicyManager(self.session)
        self.faces = FaceIdentityRepository(self.session)
        self.people = PeopleRepository(self.session, self.projections)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()
        except (DBAPIError, InvalidatePoolError):
            pass  # the connection died (a database restart): nothing to roll back, it is discarded
        finally:
            self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
