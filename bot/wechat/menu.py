"""The custom menu's JSON for ``menu/create``, from ``[menu]`` (pure)."""

from __future__ import annotations

from typing import Any, Iterable

from bot.config import MenuConfig, MenuItem, menu_items
from bot.errors import ConfigError


def check_keys(menu: MenuConfig, known: Iterable[str]) -> None:
    """Every click key of the menu is one the routing table handles (``services.routes.clicks``):
    a typo would otherwise give villagers "unknown button" for a whole menu entry."""
    known = set(known)
    for where, item in menu_items(menu):
        if not item.sub_button and item.type == "click" and item.key not in known:
            raise ConfigError(f"config key {where}.key: the bot has no handler for {item.key!r} "
                              f"(known keys: {', '.join(sorted(known))})")


def _leaf(item: MenuItem, where: str) -> dict[str, Any]:
    if item.type == "view":
        if not item.url:
            raise ConfigError(f"config key {where}.url is required for a view button")
        return {"type": "view", "name": item.name, "url": item.url}
    if not item.key:
        raise ConfigError(f"config key {where}.key is required for a {item.type} button")
    return {"type": item.type, "name": item.name, "key": item.key}


def menu_json(menu: MenuConfig) -> dict[str, Any]:
    if not 1 <= len(menu.button) <= 3:
        raise ConfigError("config key menu.button must have 1 to 3 buttons")
    buttons = []
    for i, item in enumerate(menu.button):
        where = f"menu.button[{i}]"
        if len(item.name.encode()) > 16:
            raise ConfigError(f"config key {where}.name is longer than 16 bytes (about 5 Chinese characters)")
        if item.sub_button:
            if len(item.sub_button) > 5:
                raise ConfigError(f"config key {where}.sub_button has more than 5 buttons")
            for j, sub in enumerate(item.sub_button):
                if len(sub.name.encode()) > 60:
                    raise ConfigError(f"config key {where}.sub_button[{j}].name is longer than 60 bytes")
            subs = [_leaf(sub, f"{where}.sub_button[{j}]") for j, sub in enumerate(item.sub_button)]
            buttons.append({"name": item.name, "sub_button": subs})
        else:
            buttons.append(_leaf(item, where))
    return {"button": buttons}
