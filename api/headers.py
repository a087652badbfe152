"""Browser-facing protection: security headers on every response, and CORS closed by default.

Every response carries a strict Content-Security-Policy (only this origin's own scripts, styles
and connections; no inline script; never framed) and its companions. The one exception is the
GraphiQL page at ``/graphql``: strawberry serves it with GraphiQL's scripts from unpkg.com
(pinned with subresource integrity) and one inline bootstrap script. Its policy allows
exactly those: unpkg.com, and the inline script by its SHA-256 hash, computed from the page as
served, so an injected script still does not run.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Final

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cobuild.settings import Settings

# The explorer's force layout runs in a Web Worker built from a blob: URL (graphology's
# ForceAtlas2 worker), and its PNG export reads the canvas as blob:/data: images.
STRICT_CSP: Final = (
    "default-src 'self'; script-src 'self'; worker-src 'self' blob:; style-src 'self'; "
    "img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# GraphiQL: its pinned CDN files, its inline bootstrap by hash; React sets style attributes.
IDE_CDN: Final = "https://unpkg.com"
IDE_CSP: Final = (
    "default-src 'self'; script-src 'self' {cdn} {hashes}; style-src 'self' {cdn} "
    "'unsafe-inline'; img-src 'self' data:; font-src 'self' data: {cdn}; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
COMMON: Final[Mapping[str, str]] = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
IDE_PATH: Final = "/graphql"


class _InlineScripts(HTMLParser):
    """Collects the text of every ``<script>`` without a ``src``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self._inline = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and not any(name == "src" for name, _ in attrs):
            self._inline = True
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inline = False

    def handle_data(self, data: str) -> None:
        if self._inline:
            self.scripts[-1] += data


def inline_script_hashes(html: str) -> list[str]:
    """CSP source expressions (``'sha256-…'``) for the inline scripts of ``html``."""
    parser = _InlineScripts()
    parser.feed(html)
    parser.close()
    digests = (hashlib.sha256(script.encode("utf-8")).digest() for script in parser.scripts)
    return [f"'sha256-{base64.b64encode(d).decode()}'" for d in digests]


def _with_headers(message: Message, csp: str) -> Message:
    headers = [
        (k, v)
        for k, v in message.get("headers", [])
        if k.decode("latin-1").lower() not in COMMON and k.lower() != b"content-security-policy"
    ]
    headers += [(k.encode(), v.encode()) for k, v in COMMON.items()]
    headers.append((b"content-security-policy", csp.encode()))
    return {**message, "headers": headers}


class SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def secured_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                if scope["path"].rstrip("/") == IDE_PATH and content_type.startswith(b"text/html"):
                    start = message  # held back until the page is complete and hashed
                    return
                await send(_with_headers(message, STRICT_CSP))
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            page = b"".join(chunks)
            hashes = " ".join(inline_script_hashes(page.decode("utf-8", errors="replace")))
            await send(_with_headers(start, IDE_CSP.format(cdn=IDE_CDN, hashes=hashes)))
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, secured_send)


def install_headers(app: FastAPI, settings: Settings) -> None:
    """Security headers on every response; CORS only for ``settings.cors_origins``."""
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
            max_age=600,
        )
    # Added last, so outermost of ours: refusals (413, 429) carry the headers too.
    app.add_middleware(SecurityHeaders)
