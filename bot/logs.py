"""Logging: one JSON object per line, personal data masked before anything is written.

Phone numbers, openids and ID-card numbers are masked in the message, its arguments and any extra
fields, whatever logger wrote them (ours, Flask's, gunicorn's, wechatpy's).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any

# Digits may come full-width (０-９, from Chinese input methods); they are read as ASCII digits.
_FULLWIDTH = str.maketrans("０１２３４５６７８９＋－　", "0123456789+- ")
_SEP = r"[ \-]?"
# A mobile number, possibly +86/0086, possibly split by spaces or dashes: 139 1234 5678, 139-1234-5678.
PHONE = re.compile(r"(?<![\d+])((?:\+|00)?86" + _SEP + r")?(1[3-9]\d)" + _SEP + r"(\d{4})" + _SEP + r"(\d{4})(?!\d)")
# An ID-card number, 18 characters, possibly in groups separated by spaces.
ID_CARD = re.compile(r"(?<![0-9A-Za-z])(\d(?: ?\d){16} ?[\dXx])(?![0-9A-Za-z])")
# OpenIDs are opaque; in practice 28 chars starting with "o". Tests and the simulator use the same shape.
OPENID = re.compile(r"(?<![A-Za-z0-9_-])(o[A-Za-z0-9_-]{3})[A-Za-z0-9_-]{20,}([A-Za-z0-9_-]{2})(?![A-Za-z0-9_-])")
# A name the villager gives: "我叫张三", "我的名字是李小红"; after "我是" only when a common surname
# follows ("我是王五" but not "我是东村的").
_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
             "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
             "戴莫孔向汤艾买阿古吐热依")
NAME = re.compile(r"(我叫|我的名字(?:是|叫)|名字叫|本人(?:叫|是)|我姓名是)\s*([\u4e00-\u9fff·]{2,4})"
                  r"|(我是)\s*([" + _SURNAMES + r"][\u4e00-\u9fff]{1,2})(?=$|[，。,.！!？?\s；;：:、]|[，。]|电话|手机|号码|身份)")


_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _mask_id(m: re.Match[str]) -> str:
    digits = m.group(1).replace(" ", "")
    return digits[:4] + "*" * 10 + digits[-4:]


def _mask_name(m: re.Match[str]) -> str:
    lead, name = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return lead + name[0] + "*" * (len(name) - 1)


def mask(text: str) -> str:
    """Mask phone numbers, ID-card numbers, openids and self-given names in free text.

    The one masking function: logs, the unanswered list, the CSV and Markdown reports and the
    console's lists all use it. Phones keep their first three and last four digits
    (``139****5678``), ID numbers their first and last four, names their first character."""
    text = text.translate(_FULLWIDTH)
    text = ID_CARD.sub(_mask_id, text)
    text = PHONE.sub(lambda m: (m.group(1) or "") + m.group(2) + "****" + m.group(4), text)
    text = NAME.sub(_mask_name, text)
    return OPENID.sub(r"\1…\2", text)


def mask_openid(openid: str | None) -> str:
    if not openid:
        return "-"
    return f"{openid[:4]}…{openid[-2:]}" if len(openid) > 8 else "****"


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(v) for v in value]
    return value


class MaskingFilter(logging.Filter):
    """Rewrites each record so that no handler ever sees unmasked personal data."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the line
            message = str(record.msg)
        record.msg = mask(message)
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD:
                setattr(record, key, _masked(value))
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value
        if record.exc_text:
            data["exc"] = record.exc_text
        return json.dumps(data, ensure_ascii=False, default=str)


def setup(level: str = "INFO", as_json: bool = True, stream: Any = None) -> None:
    """Configure the root logger once (idempotent: a second call replaces our handler)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_pufabot", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._pufabot = True  # type: ignore[attr-defined]
    handler.addFilter(MaskingFilter())
    handler.setFormatter(JsonFormatter() if as_json else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("jieba").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
