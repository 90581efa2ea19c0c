"""Share links: a URL that lets someone without the API token watch one moment
of one video, or one collection's moments, and nothing else (docs/security.md,
"Share links").

A link carries its scope and expiry, signed: ``<payload>.<signature>``, the
payload base64url JSON (``{"v": video, "s": start_ms, "e": end_ms}`` or
``{"c": collection}``, and ``"x"``: expiry, Unix seconds), the signature
HMAC-SHA256 of it under a server secret (``server_secrets``, 32 random bytes
made on first use; deleting the row ends every link). Nothing else is stored:
any process of this server checks a link. A link is never an API credential:
``/v1`` still asks for the token; the link opens only the ``/s/<link>`` routes,
and those answer only its video (a moment) or the videos of its collection's
items (looked up when asked, so a moment removed from the collection is no
longer shown).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from eioku.domain.errors import ForbiddenError, ValidationFailedError
from eioku.services import collections as collection_svc
from eioku.services.bookmarks import check_span
from eioku.store.uow import UnitOfWork

DEFAULT_TTL_S = 7 * 24 * 3600
MAX_TTL_S = 90 * 24 * 3600
MAX_LINK_CHARS = 600
_PURPOSE = b"eioku-share-v1."
_SECRET = "share_links"


class ShareRefusedError(ForbiddenError):
    """This share link does not open that."""


@dataclass(frozen=True)
class Scope:
    video_id: uuid.UUID | None = None  # a moment of one video
    start_ms: int = 0
    end_ms: int = 0
    collection_id: uuid.UUID | None = None  # or a collection's moments
    expires: int = 0  # Unix seconds


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def secret(session: Session) -> bytes:
    session.execute(text("INSERT INTO server_secrets (name, secret) VALUES (:n, :s) "
                         "ON CONFLICT (name) DO NOTHING"), {"n": _SECRET, "s": secrets.token_bytes(32)})
    return bytes(session.execute(text("SELECT secret FROM server_secrets WHERE name = :n"),
                                 {"n": _SECRET}).scalar_one())


def _sign(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, _PURPOSE + payload.encode(), hashlib.sha256).digest())


def make_link(uow: UnitOfWork, *, video_id: uuid.UUID | None = None, start_ms: int = 0,
              end_ms: int | None = None, collection_id: uuid.UUID | None = None,
              ttl_s: int = DEFAULT_TTL_S, now: float | None = None) -> tuple[str, Scope]:
    if (video_id is None) == (collection_id is None):
        raise ValidationFailedError("share a moment of a video or a collection (one of them)")
    if not 60 <= ttl_s <= MAX_TTL_S:
        raise ValidationFailedError(f"a link lasts 60 s to {MAX_TTL_S // 86400} days", field="expires_in_s")
    expires = int((time.time() if now is None else now) + ttl_s)
    if video_id is not None:
        video = uow.videos.get(video_id)
        end = check_span(start_ms, end_ms, video.duration_ms)
        scope = Scope(video_id=video.video_id, start_ms=start_ms, end_ms=end, expires=expires)
        body = {"v": str(video.video_id), "s": start_ms, "e": end, "x": expires}
    else:
        assert collection_id is not None
        collection_svc.get(uow, collection_id)  # 404 when unknown
        scope = Scope(collection_id=collection_id, expires=expires)
        body = {"c": str(collection_id), "x": expires}
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    return f"{payload}.{_sign(secret(uow.session), payload)}", scope


def read_link(session: Session, link: str, now: float | None = None) -> Scope:
    """The scope a link opens, or ShareRefusedError (forged, altered, expired)."""
    payload, dot, signature = link.partition(".")
    if not dot or len(link) > MAX_LINK_CHARS:
        raise ShareRefusedError("this is not a share link")
    if not hmac.compare_digest(signature.encode(), _sign(secret(session), payload).encode()):
        raise ShareRefusedError("this share link is not valid (altered, or made by another server)")
    try:
        body = json.loads(_unb64(payload))
        expires = int(body["x"])
        if "c" in body:
            scope = Scope(collection_id=uuid.UUID(body["c"]), expires=expires)
        else:
            scope = Scope(video_id=uuid.UUID(body["v"]), start_ms=int(body["s"]), end_ms=int(body["e"]),
                          expires=expires)
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise ShareRefusedError("this share link cannot be read") from exc
    if expires < (time.time() if now is None else now):
        raise ShareRefusedError("this share link has expired; ask for a new one")
    return scope


@dataclass(frozen=True)
class SharedMoment:
    video_id: uuid.UUID
    filename: str
    start_ms: int
    end_ms: int
    note: str


def moments(uow: UnitOfWork, scope: Scope) -> tuple[str, list[SharedMoment]]:
    """The title and the moments a link shows."""
    if scope.video_id is not None:
        video = uow.videos.get(scope.video_id)
        return video.filename, [SharedMoment(video.video_id, video.filename, scope.start_ms,
                                             scope.end_ms, "")]
    assert scope.collection_id is not None
    collection = collection_svc.get(uow, scope.collection_id)
    return collection.name, [SharedMoment(i.asset_id, i.filename, i.start_ms, i.end_ms, i.note)
                             for i in collection_svc.items(uow, scope.collection_id)]


def check_video(uow: UnitOfWork, scope: Scope, video_id: uuid.UUID) -> None:
    """Refuse a video the link does not show."""
    allowed = ({scope.video_id} if scope.video_id is not None
               else {m.video_id for m in moments(uow, scope)[1]})
    if video_id not in allowed:
        raise ShareRefusedError("this share link does not show that video")
