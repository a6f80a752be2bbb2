"""A phone or ID number typed into a description stays masked in the queue and on the ticket page until the
audited reveal; CSV downloads are audited (issue 15.11)."""

from __future__ import annotations

from typing import Any

PHONE, ID = "139 1234 5678", "650102199001011234"


def test_personal_data_in_a_description_shows_only_after_the_audited_reveal(
        staff_client: Any, new_ticket: Any, audit: Any) -> None:
    ticket = new_ticket(description=f"我叫张三丰，电话{PHONE}，身份证{ID}，邻居占了我家的地。", phone="",
                        attachments=[{"kind": "voice", "media_id": "VOICEX1", "recognition": "我的电话是13800001111"}])
    browser = staff_client()
    queue = browser.page("/staff/")
    assert ticket.id in queue and PHONE not in queue and "139****5678" in queue and "张三丰" not in queue
    page = browser.page(f"/staff/tickets/{ticket.id}")
    for raw in (PHONE, ID, "13800001111", "张三丰"):
        assert raw not in page
    assert "6501**********1234" in page and "138****1111" in page and "显示完整内容" in page
    revealed = browser.post(f"/staff/tickets/{ticket.id}/phone").get_data(as_text=True)
    assert PHONE in revealed and ID in revealed and "13800001111" in revealed and "张三丰" in revealed
    assert [e.action for e in audit.page(who="张调解")[0]][:2] == ["view_phone", "view_ticket"]


def test_a_csv_download_is_in_the_audit_log(staff_client: Any, audit: Any) -> None:
    admin = staff_client("王主任", role="admin")
    assert admin.get("/staff/stats.csv?table=unanswered").status_code == 200
    entry = audit.page(who="王主任")[0][0]
    assert entry.action == "export_csv" and entry.detail.startswith("unanswered-")
