"""The audit log: every staff action (who, what, on what, when, from which address), newest first.

Entries go to one capped Redis stream (``Keys.staff_audit``), so writing is one XADD and reading a
page is one XREVRANGE. Entries are never edited. Personal data is not written into ``detail``
(a phone view records *that* the phone was shown, not the number). No Flask here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.store.client import Fields, RedisClient, text, text_map
from bot.store.keys import Keys

KEEP = 500_000  # about ten years of a township office's actions
PAGE = 50

# What each action is called on the admin page (staff-facing wording).
ACTION_NAMES = {
    "login": "登录", "login_failed": "登录失败", "login_locked": "登录需等待", "logout": "退出",
    "view_ticket": "查看事项", "view_phone": "查看电话", "view_media": "查看附件",
    "claim": "认领", "claim_lost": "认领未成功", "release": "放弃认领", "mediate": "开始调解", "reply": "回复村民",
    "reply_failed": "回复未送达", "visit": "安排走访", "outcome": "记录结果", "close": "结案",
    "note": "内部备注", "canned_edit": "修改常用回复", "staff_add": "新增账号", "staff_passwd": "修改密码",
    "staff_disable": "停用账号",
    "staff_enable": "启用账号", "staff_unlock": "解除登录等待", "assign": "转给同事", "refused": "操作被拒绝",
    "export_csv": "下载表格", "export_report": "下载报告", "search": "搜索", "search_refused": "搜索太频繁被拒",
    "alert_retry": "重发工作群提醒",
}


@dataclass(frozen=True)
class AuditEntry:
    id: str
    at: float
    who: str
    action: str
    target: str
    detail: str
    ip: str

    @property
    def action_name(self) -> str:
        return ACTION_NAMES.get(self.action, self.action)


class AuditLog:
    def __init__(self, redis: RedisClient, keys: Keys, keep: int = KEEP):
        self.redis = redis
        self.key = keys.staff_audit()
        self.keep = keep

    def record(self, who: str, action: str, target: str = "", detail: str = "", ip: str = "",
               at: float | None = None) -> str:
        fields: Fields = {"at": f"{at if at is not None else time.time():.3f}", "who": who, "action": action,
                  "target": target, "detail": detail[:500], "ip": ip}
        return str(self.redis.xadd(self.key, fields, maxlen=self.keep, approximate=True))

    def page(self, before: str = "", limit: int = PAGE, who: str = "", action: str = "",
             target: str = "", scan_limit: int = 5000) -> tuple[list[AuditEntry], str]:
        """Up to ``limit`` entries older than ``before`` (a stream id), matching the filters.

        Returns the entries and the cursor for the next page ("" when there is none). Filtering
        scans at most ``scan_limit`` entries per call, so a rare filter cannot stall the page.
        """
        found: list[AuditEntry] = []
        cursor = f"({before}" if before else "+"
        scanned = 0
        while len(found) < limit and scanned < scan_limit:
            batch = self.redis.xrevrange(self.key, max=cursor, min="-", count=max(limit, 200))
            if not batch:
                return found, ""
            for entry_id, fields in batch:
                scanned += 1
                entry = _entry(text(entry_id), text_map(fields))
                cursor = f"({entry.id}"
                if _matches(entry, who, action, target):
                    found.append(entry)
                    if len(found) == limit:
                        break
        return found, cursor[1:] if cursor != "+" else ""

    def count(self) -> int:
        return int(self.redis.xlen(self.key))


def _entry(entry_id: str, fields: dict[str, str]) -> AuditEntry:
    return AuditEntry(id=entry_id, at=float(fields.get("at", 0)), who=fields.get("who", ""),
                      action=fields.get("action", ""), target=fields.get("target", ""),
                      detail=fields.get("detail", ""), ip=fields.get("ip", ""))


def _matches(entry: AuditEntry, who: str, action: str, target: str) -> bool:
    return (not who or entry.who == who) and (not action or entry.action == action) \
        and (not target or entry.target == target)
