"""A villager's voice outlives WeChat's three days: the worker copies it, staff still hear it later."""

from __future__ import annotations

from typing import Any

import pytest

from bot.dev import wire
from bot.wechat.api import WeChatError


def voice_ticket(services: Any, media_id: str) -> Any:
    return services.disputes.submit(wire.fake_openid(), {
        "kind": "land", "village": "东村", "text": "", "contact": "none", "phone": "",
        "attachments": [{"kind": "voice", "media_id": media_id, "recognition": "", "at": 1.0}]}, f"idem-{media_id}")


def test_the_worker_job_copies_recent_voices_and_the_copy_survives_wechat(services: Any, standin: Any) -> None:
    standin.state.token_expires_in = 30 * 86400  # the stand-in's clock jumps days ahead below
    standin.state.add_media("VOICEKEEP1", b"#!AMR\nvoice-bytes", "audio/amr")
    ticket = voice_ticket(services, "VOICEKEEP1")
    assert ticket.attachments[0]["media_id"] == "VOICEKEEP1"
    assert services.disputes.media.archive_recent(services.disputes) == 1
    assert services.disputes.media.archive_recent(services.disputes) == 0  # already kept
    standin.state.advance(4 * 86400)  # WeChat has deleted the temporary media by now
    with pytest.raises(WeChatError):
        services.wechat.download_media("VOICEKEEP1")
    assert services.disputes.media.fetch("VOICEKEEP1") == (b"#!AMR\nvoice-bytes", "audio/amr")


def test_a_kept_voice_also_gets_a_copy_browsers_play(services: Any, standin: Any) -> None:
    from bot.disputes.voice import ffmpeg_path

    if ffmpeg_path() is None:
        pytest.skip("ffmpeg is not installed (make test installs it)")
    standin.state.add_media("VOICEPLAY1", wire.made_up_voice(seconds=1.0), "audio/amr")
    voice_ticket(services, "VOICEPLAY1")
    assert services.disputes.media.archive_recent(services.disputes) == 1
    assert (services.disputes.media.directory / "VOICEPLAY1.wav").read_bytes()[:4] == b"RIFF"
    calls = len(standin.state.calls_to("media/get"))
    content, ctype = services.disputes.media.playable("VOICEPLAY1")
    assert ctype == "audio/wav" and content[:4] == b"RIFF"
    assert len(standin.state.calls_to("media/get")) == calls, "served from the archive, not WeChat"


def test_a_media_wechat_refuses_is_skipped_and_tried_again_next_time(services: Any, standin: Any) -> None:
    voice_ticket(services, "VOICEGONE1")
    assert services.disputes.media.archive_recent(services.disputes) == 0
    standin.state.add_media("VOICEGONE1", b"late", "audio/amr")
    assert services.disputes.media.archive_recent(services.disputes) == 1


def test_media_ids_cannot_name_other_files(services: Any) -> None:
    with pytest.raises(ValueError):
        services.disputes.media.get("../../etc/passwd")
