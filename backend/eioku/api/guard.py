"""What every request passes before any route: the Host it names, where it
comes from, and how big its body is (docs/security.md).

- **Host.** A web page whose name an attacker rebinds to 127.0.0.1 reaches
  this server with its own name in ``Host``. Without a token only loopback
  names are accepted (``localhost``, ``*.localhost``, ``127.0.0.0/8``,
  ``::1``) plus the names in ``EIOKU_ALLOWED_HOSTS``; with a token, those
  names, or any name when ``EIOKU_ALLOWED_HOSTS`` is empty (a rebound page
  has no token and no session cookie).
- **Cross-site requests.** A form or ``fetch`` from another site (or another
  port of this machine) can send a ``POST`` without a preflight. A request
  whose ``Sec-Fetch-Site`` is ``cross-site`` or ``same-site`` is refused on
  every ``/v1`` route, and a state-changing one anywhere; so is a
  state-changing request whose ``Origin`` is not this server's own.
  Requests without those headers (curl, the CLI, scripts) are not browsers'
  and pass.
- **Responses.** Every ``/v1`` answer carries ``X-Content-Type-Options:
  nosniff`` and ``Content-Security-Policy: sandbox``; the stream route names
  the type it found in the file's content (media/sniff.py).
- **Bodies.** Every body is read here, up to its limit, before the app sees
  it (``EIOKU_BODY_MAX_BYTES``; artifact batches ``EIOKU_BATCH_MAX_BYTES``;
  uploads are streamed to disk by their route under ``EIOKU_UPLOAD_MAX_BYTES``):
  past it, 413 at once, from ``Content-Length`` or while the body arrives.

It is a plain ASGI middleware: a jump costs about half a millisecond, and
this adds a few dictionary lookups to it.
"""

from __future__ import annotations

import ipaddress
import json
import re
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eioku.config import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FOREIGN_SITES = frozenset({b"cross-site", b"same-site"})
_UPLOAD = "/v1/videos/upload"  # streamed to disk by its route, under its own limit
_BATCH = re.compile(r"/v1/runs/[^/]+/artifacts")


def split_host(value: str) -> str:
    """``Host`` without its port, lowercased: ``[::1]:8000`` -> ``::1``."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:].partition("]")[0]
    if value.count(":") > 1:  # a bare IPv6 address
        return value
    return value.partition(":")[0].rstrip(".")


def is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class HostPolicy:
    """Which ``Host`` names this server answers to."""

    def __init__(self, settings: Settings) -> None:
        self.names = frozenset(split_host(h) for h in settings.allowed_hosts)
        self.any = "*" in self.names or (settings.api_token is not None and not self.names)

    def allows(self, host: str) -> bool:
        return self.any or host in self.names or is_loopback(host)

    def public(self, host: str) -> bool:
        """One of the configured public names (a proxy may rewrite ``Host`` to its upstream)."""
        return host in self.names


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value  # type: ignore[no-any-return]
    return None


async def _refuse(send: Send, status: int, detail: str, error: str) -> None:
    body = json.dumps({"detail": detail, "error": error}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """Host, cross-site and body-size checks in front of the whole app."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.hosts = HostPolicy(settings)
        self.body_max = settings.body_max_bytes
        self.batch_max = settings.batch_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(scope)
        if refusal is not None:
            await _refuse(send, *refusal)
            return
        if scope["path"].startswith("/v1/"):
            send = _inert(send)
        method = scope["method"]
        path: str = scope["path"]
        if method in SAFE_METHODS and _header(scope, b"content-length") is None \
                and _header(scope, b"transfer-encoding") is None:
            await self.app(scope, receive, send)  # no body: the hot reads go straight on
            return
        if path == _UPLOAD:
            await self.app(scope, receive, send)
            return
        limit = self.batch_max if _BATCH.fullmatch(path) else self.body_max
        body = await self._read(scope, receive, limit)
        if body is None:
            setting = "EIOKU_BATCH_MAX_BYTES" if limit == self.batch_max else "EIOKU_BODY_MAX_BYTES"
            await _refuse(send, 413, f"the request body is larger than {limit} bytes ({setting})",
                          "BodyTooLargeError")
            return
        await self.app(scope, _replay(body, receive), send)

    def refusal(self, scope: Scope) -> tuple[int, str, str] | None:
        raw_host = _header(scope, b"host")
        host = split_host(raw_host.decode("latin-1")) if raw_host is not None else ""
        if raw_host is not None and not self.hosts.allows(host):
            return (400,
                    f"this server does not answer to the host name {host!r}: add it to "
                    "EIOKU_ALLOWED_HOSTS (with EIOKU_API_TOKEN set when it is not this machine)",
                    "HostNotAllowedError")
        state_changing = scope["method"] not in SAFE_METHODS
        site = _header(scope, b"sec-fetch-site")
        if site in FOREIGN_SITES and (state_changing or scope["path"].startswith("/v1/")):
            return 403, "cross-site requests are refused", "CrossSiteRequestError"
        if state_changing:
            origin = _header(scope, b"origin")
            if origin is not None and not self._own_origin(origin.decode("latin-1"), raw_host):
                return 403, "cross-site requests are refused (Origin is not this server)", \
                    "CrossSiteRequestError"
        return None

    def _own_origin(self, origin: str, raw_host: bytes | None) -> bool:
        if origin == "null":
            return False
        netloc = urlsplit(origin).netloc.lower()
        if raw_host is not None and netloc == raw_host.decode("latin-1").strip().lower():
            return True
        return self.hosts.public(split_host(netloc))

    @staticmethod
    async def _read(scope: Scope, receive: Receive, limit: int) -> list[Message] | None:
        """The body's messages, or None once it is past ``limit`` (from
        ``Content-Length`` before reading, else while reading)."""
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return None
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages  # the client left: the app sees the disconnect
            size += len(message.get("body", b""))
            if size > limit:
                return None
            if not message.get("more_body", False):
                return messages


# Whatever /v1 answers (a user's media above all) is never run by a browser: its
# type is not second-guessed, and a page opened from it has no origin and no script.
INERT = [(b"x-content-type-options", b"nosniff"), (b"content-security-policy", b"sandbox")]


def _inert(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            names = {name.lower() for name, _ in message.get("headers", [])}
            extra = [h for h in INERT if h[0] not in names]
            if extra:
                message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return sending


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed
