"""The optional API token (EIOKU_API_TOKEN).

Browsers cannot put headers on ``<video>``, ``<track>`` and ``<img>``
requests, so besides ``Authorization: Bearer <token>`` the token is also
accepted from the ``eioku_token`` cookie, which the web page sets after
asking for it once.
"""

from __future__ import annotations

import secrets

from fastapi import HTTPException, Request, status

COOKIE = "eioku_token"


async def require_token(request: Request) -> None:
    expected = request.app.state.settings.api_token
    if not expected:
        return
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    given = value.strip() if scheme.lower() == "bearer" else request.cookies.get(COOKIE, "")
    if not given or not secrets.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="this server needs its API token: send 'Authorization: Bearer <token>' "
                   "(EIOKU_API_TOKEN)",
            headers={"WWW-Authenticate": "Bearer"})
