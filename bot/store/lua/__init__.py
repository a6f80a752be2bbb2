"""The Lua scripts, as plain ``.lua`` files shipped with the package (package data).

Each file documents its KEYS and ARGV at the top. A script may use helper functions defined in
other files of this folder (Lua ``local function``s): ``source`` puts the helpers' text before the
script's, so that Redis runs one self-contained script, with no text assembled by hand.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def _read(name: str) -> str:
    return files(__name__).joinpath(name).read_text(encoding="utf-8")


def source(name: str, *helpers: str) -> str:
    """The script ``name`` (``dedupe_begin.lua``), with the helper files it uses placed first."""
    return "\n".join(_read(part) for part in (*helpers, name))
