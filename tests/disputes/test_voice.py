"""A villager's voice, which arrives as AMR, becomes something the staff's browser can play."""

from __future__ import annotations

import io
import wave

import pytest

from bot.dev import wire
from bot.disputes import voice

needs_ffmpeg = pytest.mark.skipif(voice.ffmpeg_path() is None, reason="ffmpeg is not installed (make test installs it)")


@needs_ffmpeg
def test_a_wechat_voice_becomes_a_wav_of_the_same_length() -> None:
    wav = voice.to_wav(wire.made_up_voice(seconds=2.0))
    assert wav is not None
    with wave.open(io.BytesIO(wav)) as w:
        assert (w.getnchannels(), w.getframerate()) == (1, 8000)
        assert w.getnframes() == 2 * 8000, "the header carries the real length (players show the duration)"


@needs_ffmpeg
def test_bytes_that_are_no_voice_give_no_wav() -> None:
    for broken in (b"#!AMR\n" + b"\xff" * 7, b"<html>not a voice</html>", b""):
        assert voice.to_wav(broken) is None


def test_without_ffmpeg_there_is_no_wav_and_nothing_breaks() -> None:
    assert voice.to_wav(wire.made_up_voice(), ffmpeg="/nonexistent/ffmpeg") is None


def test_amr_is_recognised_by_its_magic_or_its_type() -> None:
    assert voice.is_amr(wire.made_up_voice()) and voice.is_amr(b"x", "audio/amr; codecs=x")
    assert not voice.is_amr(b"\xff\xd8\xff", "image/jpeg")
