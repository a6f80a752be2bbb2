"""The ticket page: everything the villager sent, the phone on request, photos and voice via the proxy."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.dev import wire
from bot.disputes.voice import ffmpeg_path
from tests.console.conftest import flashes


def rich_ticket(new_ticket: Any, standin: Any) -> Any:
    standin.state.add_media("PHOTO0001", b"\xff\xd8\xff\xe0 a photo of the fence", "image/jpeg")
    standin.state.add_media("VOICE0001", wire.made_up_voice(seconds=1.0), "audio/amr")
    now = time.time()
    return new_ticket(description="邻居把围墙往我家院子里砌了半米。", phone="13800000000", attachments=[
        {"kind": "text", "text": "去年就开始了，村委会说过一次。", "at": now},
        {"kind": "voice", "media_id": "VOICE0001", "recognition": "他还说要找人来打我", "at": now},
        {"kind": "image", "media_id": "PHOTO0001", "pic_url": "http://mmbiz.qpic.cn/x.jpg", "at": now},
        {"kind": "location", "lat": 43.8, "lng": 87.6, "label": "东村三组", "at": now},
    ])


def test_the_page_shows_text_voice_transcript_photo_and_location(staff_client: Any, new_ticket: Any,
                                                                 standin: Any) -> None:
    ticket = rich_ticket(new_ticket, standin)
    html = staff_client().page(f"/staff/tickets/{ticket.id}")
    assert "邻居把围墙往我家院子里砌了半米。" in html and "去年就开始了" in html
    assert "他还说要找人来打我" in html
    assert f'href="/staff/media/VOICE0001?ticket={ticket.id}" download' in html
    if ffmpeg_path():
        assert f'<audio controls preload="none" src="/staff/media/VOICE0001?play=1&amp;ticket={ticket.id}"' in html \
            or f'<audio controls preload="none" src="/staff/media/VOICE0001?ticket={ticket.id}&amp;play=1"' in html
    else:
        assert "本服务器未安装 ffmpeg" in html
    assert f'src="/staff/media/PHOTO0001?ticket={ticket.id}"' in html
    assert "https://uri.amap.com/marker?position=87.6,43.8" in html and "东村三组" in html
    assert "土地、草场纠纷" in html and "东村" in html and "电话联系" in html


def test_the_phone_is_hidden_until_asked_for_and_the_asking_is_audited(staff_client: Any, new_ticket: Any,
                                                                       audit: Any) -> None:
    ticket = new_ticket(phone="13800000000")
    browser = staff_client()
    assert "13800000000" not in browser.page(f"/staff/tickets/{ticket.id}")
    res = browser.post(f"/staff/tickets/{ticket.id}/phone")
    assert res.status_code == 200 and '<strong id="phone">13800000000</strong>' in res.get_data(as_text=True)
    assert '<a href="tel:13800000000">' in res.get_data(as_text=True)  # tap to call on a phone
    entries, _ = audit.page(action="view_phone")
    assert [(e.who, e.target) for e in entries] == [("张调解", ticket.id)]
    assert "13800000000" not in entries[0].detail


def test_a_villager_who_left_no_phone_shows_so(staff_client: Any, new_ticket: Any) -> None:
    ticket = new_ticket(phone="", contact_pref="none")
    html = staff_client().page(f"/staff/tickets/{ticket.id}")
    assert "未留电话" in html and "显示电话" not in html


def test_media_attached_to_the_ticket_streams_from_wechat(staff_client: Any, new_ticket: Any, standin: Any,
                                                         audit: Any) -> None:
    ticket = rich_ticket(new_ticket, standin)
    browser = staff_client()
    res = browser.get(f"/staff/media/PHOTO0001?ticket={ticket.id}")
    assert res.status_code == 200 and res.data == b"\xff\xd8\xff\xe0 a photo of the fence"
    assert res.mimetype == "image/jpeg" and res.headers["X-Content-Type-Options"] == "nosniff"
    voice = browser.get(f"/staff/media/VOICE0001?ticket={ticket.id}")
    assert voice.status_code == 200 and voice.mimetype == "audio/amr" and voice.data.startswith(b"#!AMR")
    assert [e.detail for e in audit.page(action="view_media")[0]] == ["VOICE0001", "PHOTO0001"]


def test_the_voice_plays_in_the_page_as_wav(staff_client: Any, new_ticket: Any, standin: Any) -> None:
    """WeChat's AMR plays in no browser: the page's player gets a WAV made from it."""
    if ffmpeg_path() is None:
        pytest.skip("ffmpeg is not installed (make test installs it)")
    ticket = rich_ticket(new_ticket, standin)
    played = staff_client().get(f"/staff/media/VOICE0001?ticket={ticket.id}&play=1")
    assert played.status_code == 200 and played.mimetype == "audio/wav" and played.data[:4] == b"RIFF"


def test_the_media_proxy_refuses_ids_not_attached_to_that_ticket(staff_client: Any, new_ticket: Any,
                                                                 standin: Any) -> None:
    ticket = rich_ticket(new_ticket, standin)
    other = new_ticket()
    standin.state.add_media("SOMEONEELSE", b"private", "image/jpeg")
    browser = staff_client()
    refused = browser.get(f"/staff/media/SOMEONEELSE?ticket={ticket.id}")
    assert refused.status_code == 403 and "不属于该事项" in refused.get_data(as_text=True)
    assert browser.get(f"/staff/media/PHOTO0001?ticket={other.id}").status_code == 403
    assert browser.get("/staff/media/PHOTO0001").status_code == 404
    assert not standin.state.calls_to("media/get")


def test_expired_media_shows_wechats_error_instead_of_a_broken_page(staff_client: Any, new_ticket: Any,
                                                                    standin: Any) -> None:
    ticket = new_ticket(attachments=[{"kind": "image", "media_id": "GONE0001", "at": 1.0}])
    res = staff_client().get(f"/staff/media/GONE0001?ticket={ticket.id}")
    assert res.status_code == 502 and "40007" in res.get_data(as_text=True)


def test_history_and_internal_notes_are_on_the_page(staff_client: Any, new_ticket: Any) -> None:
    ticket = new_ticket()
    browser = staff_client()
    browser.post(f"/staff/tickets/{ticket.id}/claim")
    res = browser.post(f"/staff/tickets/{ticket.id}/note", {"note": "村委会书记说双方是亲戚"}, follow_redirects=True)
    html = res.get_data(as_text=True)
    assert "备注已保存。" in flashes(html)
    notes = html[html.index("内部备注（村民看不到）"):html.index("处理记录")]
    assert "张调解：村委会书记说双方是亲戚" in notes
    history = html[html.index("处理记录"):]
    assert "村民 · 村民提交" in history and "张调解 · 认领" in history and "张调解 · 内部备注" in history


def test_an_empty_note_is_refused(staff_client: Any, new_ticket: Any, services: Any) -> None:
    ticket = new_ticket()
    res = staff_client().post(f"/staff/tickets/{ticket.id}/note", {"note": "  "}, follow_redirects=True)
    assert "备注不能为空。" in flashes(res.get_data(as_text=True))
    assert len(services.disputes.history(ticket.id)) == 1


def test_an_unknown_ticket_is_a_friendly_404(staff_client: Any) -> None:
    browser = staff_client()
    for path in ("/staff/tickets/JF20260101-9999", "/staff/tickets/" + "x" * 300):
        res = browser.get(path)
        assert res.status_code == 404 and "没有找到这个事项" in res.get_data(as_text=True)
    assert browser.post("/staff/tickets/JF20260101-9999/claim").status_code == 404
