"""The public pages of the posts: ``/posts/<slug>`` (the rendered article) and its cover image.

The link in a news reply or under a topic answer points here when WeChat has given no article URL
(mode ``mass_send``). Only posts of the library are served, rendered by ``bot.posts.render`` (no
script, nothing external). Flask stays in this small module; ``bot.app`` registers it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app

bp = Blueprint("posts", __name__, url_prefix="/posts")
CACHE = "public, max-age=300"


def _posts() -> Any:
    posts = getattr(current_app.extensions["pufabot"], "posts", None)
    if posts is None:
        abort(404)
    return posts


@bp.get("/<slug>")
def article(slug: str) -> Response:
    html = _posts().page(slug)
    if html is None:
        abort(404)
    return Response(html, mimetype="text/html", headers={"Cache-Control": CACHE})


@bp.get("/<slug>/cover.png")
def cover_image(slug: str) -> Response:
    found = _posts().cover(slug)
    if found is None:
        abort(404)
    name, content = found
    mimetype = "image/jpeg" if name.endswith(".jpg") else "image/png"
    return Response(content, mimetype=mimetype, headers={"Cache-Control": CACHE})
