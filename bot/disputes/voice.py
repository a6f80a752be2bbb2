"""Villagers' voices in a form a browser plays: WeChat's AMR turned into WAV by ffmpeg, when installed.

WeChat delivers voice messages as AMR-NB (8 kHz), which no browser plays, and a villager who can
only speak reaches staff through exactly those voices. ffmpeg decodes AMR with its own decoder (no
extra codec library; Debian's package has it) into 16-bit PCM WAV, which every browser plays: 16 KB
a second, so a minute-long voice is under 1 MB. Without ffmpeg, staff keep the download link and
the transcript, and the console says why the voice does not play in the page.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)
AMR_MAGIC = b"#!AMR\n"
AMR_TYPES = ("audio/amr", "audio/amr-nb", "audio/3gpp")
TIMEOUT_SECONDS = 20.0  # a voice is at most 60 s long; decoding one takes well under a second


def ffmpeg_path() -> str | None:
    return shutil.which("ffmpeg")


def is_amr(content: bytes, ctype: str = "") -> bool:
    return content.startswith(AMR_MAGIC) or ctype.split(";")[0].strip().lower() in AMR_TYPES


def to_wav(content: bytes, ffmpeg: str | None = None) -> bytes | None:
    """The voice as WAV, or None (no ffmpeg, or it could not decode this: logged)."""
    ffmpeg = ffmpeg or ffmpeg_path()
    if ffmpeg is None:
        return None
    with tempfile.TemporaryDirectory(prefix="pufabot-voice") as tmp:
        source, target = Path(tmp) / "in.amr", Path(tmp) / "out.wav"
        source.write_bytes(content)
        try:  # a file, not a pipe, so that ffmpeg writes the WAV header with the real length
            done = subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-f", "amr", "-i",
                                   str(source), "-ac", "1", "-f", "wav", str(target)],
                                  capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("ffmpeg could not run: %s", type(exc).__name__)
            return None
        if done.returncode != 0 or not target.exists():
            log.warning("ffmpeg could not decode a voice: %s", done.stderr.decode("utf-8", "replace")[:200])
            return None
        return target.read_bytes()
