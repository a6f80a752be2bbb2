"""Villagers' voices and photos, copied out of WeChat before its temporary media expire (3 days).

A villager who can only speak reaches staff through a voice message; WeChat keeps that voice for
three days only, and staff may open the ticket later. The worker copies every attachment of recent
tickets into ``[bot] media_dir`` (one file per media id, plus its content type), and the console reads
the copy first. Files are written to a temporary name and renamed, so a reader never sees half a file.
A voice also gets a WAV copy (``<media id>.wav``, ``bot.disputes.voice``) that browsers can play.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bot.disputes import voice
from bot.store.private import write_private

if TYPE_CHECKING:
    from bot.disputes import Disputes
    from bot.wechat.api import WeChatAPI

log = logging.getLogger(__name__)
MEDIA_ID = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")
WECHAT_KEEPS_DAYS = 3


class MediaArchive:
    def __init__(self, directory: Path, wechat: WeChatAPI):
        self.directory = directory
        self.wechat = wechat

    def _path(self, media_id: str) -> Path:
        if not MEDIA_ID.match(media_id):
            raise ValueError(f"not a media id: {media_id!r}")
        return self.directory / media_id

    def get(self, media_id: str) -> tuple[bytes, str] | None:
        """The archived copy (content, content type), or None."""
        path = self._path(media_id)
        try:
            return path.read_bytes(), path.with_suffix(".type").read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None

    def fetch(self, media_id: str) -> tuple[bytes, str]:
        """The archived copy, or download it from WeChat now and keep it (raises ``WeChatError``)."""
        found = self.get(media_id)
        if found is not None:
            return found
        content, ctype = self.wechat.download_media(media_id)
        self._store(media_id, content, ctype)
        return content, ctype

    def playable(self, media_id: str) -> tuple[bytes, str]:
        """What a browser can show: for an AMR voice its WAV copy (made once, then kept), for
        anything else, or where ffmpeg is missing, the media itself (raises ``WeChatError``)."""
        content, ctype = self.fetch(media_id)
        if not voice.is_amr(content, ctype):
            return content, ctype
        wav_path = self._path(media_id).with_suffix(".wav")
        try:
            return wav_path.read_bytes(), "audio/wav"
        except FileNotFoundError:
            pass
        wav = voice.to_wav(content)
        if wav is None:
            return content, ctype
        self._write(wav_path, wav)
        return wav, "audio/wav"

    def _store(self, media_id: str, content: bytes, ctype: str) -> None:
        path = self._path(media_id)
        self._write(path.with_suffix(".type"), ctype.encode("ascii", "replace"))
        self._write(path, content)

    def _write(self, target: Path, data: bytes) -> None:
        write_private(target, data)  # villagers' photos and voices: 0600 in a 0700 directory

    def archive_recent(self, disputes: Disputes, now: float | None = None) -> int:
        """Copy the attachments of tickets from the last three days; returns how many were copied."""
        from bot.wechat.api import WeChatError

        now = time.time() if now is None else now
        tickets, _ = disputes.list(since=now - WECHAT_KEEPS_DAYS * 86400, limit=1000)
        copied = 0
        for ticket in tickets:
            for item in ticket.attachments:
                media_id = item.get("media_id") or ""
                if not media_id or not MEDIA_ID.match(media_id) or self._path(media_id).exists():
                    continue
                try:
                    if item.get("kind") == "voice":
                        self.playable(media_id)  # keeps the voice and its WAV copy
                    else:
                        self.fetch(media_id)
                    copied += 1
                except WeChatError as exc:
                    log.warning("could not archive media of %s: %s %s", ticket.id, exc.errcode, exc.errmsg)
        return copied
