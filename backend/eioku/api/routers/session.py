"""The page's sign-in: the API token once, then an HttpOnly session cookie
(api/auth.py says what the cookie holds and why)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from eioku.api.auth import COOKIE, SESSION_S, session_value, token_matches, unauthorized, valid_session

router = APIRouter(prefix="/v1/session", tags=["session"])


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=1, max_length=4096, description="EIOKU_API_TOKEN")


class SessionOut(BaseModel):
    token_required: bool = Field(description="the server has EIOKU_API_TOKEN set")
    signed_in: bool = Field(description="this request carries a valid session cookie or token")


@router.get("", response_model=SessionOut)
async def session_state(request: Request) -> SessionOut:
    """Whether the server needs its token, and whether this browser is signed in."""
    expected = request.app.state.settings.api_token
    if not expected:
        return SessionOut(token_required=False, signed_in=True)
    return SessionOut(token_required=True,
                      signed_in=valid_session(request.cookies.get(COOKIE, ""), expected))


@router.post("", status_code=status.HTTP_204_NO_CONTENT, responses={401: {"description": "wrong token"}})
async def sign_in(body: SignIn, request: Request, response: Response) -> None:
    """Sign the page in: the token is checked once, and the answer sets the
    `eioku_session` cookie (HttpOnly, SameSite=Strict, Secure over HTTPS) that
    `<video>`, `<img>` and event-stream requests carry from then on (30 days)."""
    expected = request.app.state.settings.api_token
    if expected and not token_matches(body.token, expected):
        raise unauthorized()
    if expected:
        expires = int(time.time()) + SESSION_S
        response.set_cookie(COOKIE, session_value(expected, expires), max_age=SESSION_S, path="/",
                            httponly=True, samesite="strict", secure=request.url.scheme == "https")


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
async def sign_out(request: Request, response: Response) -> None:
    """Forget this browser's session cookie."""
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")
