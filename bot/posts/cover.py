"""The cover image of a post (pure: no Flask, no redis).

WeChat needs a permanent image as every article's cover (``thumb_media_id``). The office may put
pictures in ``knowledge/posts/covers/``: ``<slug>.jpg|png`` for one post, ``<theme>.jpg|png`` for a
theme, ``default.jpg|png`` for all. Without one, a plain 900×383 (2.35:1) PNG in the theme's
colour is generated, so a post never fails to publish for want of a picture.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path

import knowledge
from bot.posts.library import Post

COVERS_DIR = knowledge.KNOWLEDGE_DIR / "posts" / "covers"
WIDTH, HEIGHT = 900, 383
MAX_BYTES = 2 * 1024 * 1024  # permanent image material limit we respect (platform notes §8)
THEME_COLOURS = {
    "constitution": (183, 28, 28), "civil-code": (21, 101, 192), "consumer": (239, 108, 0),
    "anti-drug": (46, 125, 50), "wages": (93, 64, 55), "land": (104, 159, 56), "fraud": (123, 31, 162),
    "minors": (0, 151, 167), "domestic-violence": (194, 24, 91), "family": (216, 67, 21),
    "elderly": (121, 85, 72), "traffic": (69, 90, 100),
}


def cover(post: Post, directory: Path | None = None) -> tuple[str, bytes]:
    """(file name, bytes) of the post's cover: a file from ``covers/`` or a generated PNG."""
    directory = directory or COVERS_DIR
    for stem in (post.slug, post.theme, "default"):
        for ext in ("jpg", "png"):
            path = directory / f"{stem}.{ext}"
            if path.is_file() and path.stat().st_size <= MAX_BYTES:
                return path.name, path.read_bytes()
    return f"{post.theme or 'post'}.png", plain_png(colour(post.theme))


def colour(theme: str) -> tuple[int, int, int]:
    if theme in THEME_COLOURS:
        return THEME_COLOURS[theme]
    digest = hashlib.sha256(theme.encode()).digest()
    return (40 + digest[0] % 150, 40 + digest[1] % 150, 40 + digest[2] % 150)


def plain_png(rgb: tuple[int, int, int], width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """A PNG of one colour with a lighter band across the lower third (a few kilobytes)."""
    light = tuple(min(255, c + (255 - c) // 3) for c in rgb)
    band_top, band_bottom = height * 2 // 3, height * 2 // 3 + height // 12
    rows = []
    for y in range(height):
        pixel = bytes(light if band_top <= y < band_bottom else rgb)
        rows.append(b"\x00" + pixel * width)
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
