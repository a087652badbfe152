"""The explorer page (``web/``, built by ``scripts/setup.sh``) served at ``/``.

The built assets are not committed: when ``web/dist`` is missing, ``/`` says how to build it
(503, not a 500) and the API itself works as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

WEB_DIST: Final = Path(__file__).resolve().parents[2] / "web" / "dist"

NOT_BUILT: Final = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>cobuild explorer</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto">
<h1>图谱浏览页面尚未构建 · The explorer page is not built</h1>
<p>Build it once with <code>bash scripts/setup.sh</code>
(or <code>npm ci --prefix web &amp;&amp; npm run build --prefix web</code>), then reload.</p>
<p>The GraphQL API is available at <a href="/graphql">/graphql</a>.</p>
</body></html>
"""


def mount_explorer(app: FastAPI, dist: Path = WEB_DIST) -> None:
    """Serve ``dist`` at ``/`` (index.html and its assets); mount last, after every route."""
    if (dist / "index.html").is_file():
        app.mount("/", StaticFiles(directory=dist, html=True), name="explorer")
        return

    @app.get("/", include_in_schema=False)
    async def explorer_not_built() -> HTMLResponse:
        return HTMLResponse(NOT_BUILT, status_code=503)
