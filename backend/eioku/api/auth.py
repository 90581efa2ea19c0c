"""The optional API token (EIOKU_API_TOKEN) and the page's session cookie.

Programs send ``Authorization: Bearer <token>``. Browsers cannot put headers
on ``<video>``, ``<track>``, ``<img>`` and event-stream requests, so the page
signs in once (``POST /v1/session`` with the token) and the server answers
with a session cookie:

- ``HttpOnly`` (no script reads it, this page's or another app's on
  ``localhost:*``), ``SameSite=Strict``, ``Secure`` over HTTPS, ``Path=/``;
- its value is not the token: an expiry and an HMAC of it under a key derived
  from the token. Nothing is stored on the server, every process that knows
  the token accepts it, and changing the token ends every session.

The token is compared as UTF-8 bytes, in constant time: any token works,
``+ / = %`` and non-ASCII included (the cookie never carries it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from fastapi import HTTPException, Request, status

COOKIE = "eioku_session"
SESSION_S = 30 * 24 * 3600
_PURPOSE = b"eioku-session-v1"


def _key(token: str) -> bytes:
    return hmac.new(token.encode(), _PURPOSE, hashlib.sha256).digest()


def session_value(token: str, expires: int) -> str:
    """The cookie's value for a session that ends at ``expires`` (Unix seconds)."""
    signature = hmac.new(_key(token), str(expires).encode(), hashlib.sha256).hexdigest()
    return f"{expires}.{signature}"


def valid_session(value: str, token: str, now: float | None = None) -> bool:
    expires, _, _ = value.partition(".")
    if not expires.isdigit() or int(expires) < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(value.encode(), session_value(token, int(expires)).encode())


def token_matches(given: str | bytes, expected: str) -> bool:
    """``given`` as text (a JSON body) or as the bytes a header carried."""
    raw = given.encode() if isinstance(given, str) else given
    return bool(raw) and secrets.compare_digest(raw, expected.encode())


def unauthorized() -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail="this server needs its API token: send 'Authorization: Bearer <token>' "
               "(EIOKU_API_TOKEN), or sign in with POST /v1/session",
        headers={"WWW-Authenticate": "Bearer"})


async def require_token(request: Request) -> None:
    expected = request.app.state.settings.api_token
    if not expected:
        return
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        # headers arrive as Latin-1 text: back to their bytes, which a client sends as UTF-8
        if scheme.lower() == "bearer" and token_matches(value.strip().encode("latin-1"), expected):
            return
        raise unauthorized()
    if not valid_session(request.cookies.get(COOKIE, ""), expected):
        raise unauthorized()
