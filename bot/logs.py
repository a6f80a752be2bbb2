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
_FULLWIDTH = str.maketrans("０１２３４５６７８９＋－　．", "0123456789+- .")
# Digits as voice transcripts and careful writers spell them: 一三九…, 幺 for 1, 两 for 2, 〇/零 for 0.
_NUMERALS = {"〇": "0", "零": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5",
             "六": "6", "七": "7", "八": "8", "九": "9"}
_DIGIT = r"[0-9〇零一幺二两三四五六七八九]"
# A run of digits that may be a phone or ID number, split any way people split them: spaces (one per
# digit too), dashes of any width, dots, slashes; "+86"/"0086" in front; an ID's closing X.
_SEPARATORS = r"[ \t\-.–—―‐‑·_/]"
NUMBER_RUN = re.compile(r"(?<![0-9])\+?" + _DIGIT + r"+(?:" + _SEPARATORS + r"{1,3}" + _DIGIT + r"+)*[Xx]?(?![0-9])")
_GROUP = re.compile(_DIGIT + r"+[Xx]?")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_ID18 = re.compile(r"[1-8]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]")
_ID15 = re.compile(r"[1-8]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}")
# OpenIDs are opaque; in practice 28 chars starting with "o". Tests and the simulator use the same shape.
OPENID = re.compile(r"(?<![A-Za-z0-9_-])(o[A-Za-z0-9_-]{3})[A-Za-z0-9_-]{20,}([A-Za-z0-9_-]{2})(?![A-Za-z0-9_-])")
# A name the villager gives: "我叫张三", "俺叫李四", "我的名字是李小红"; after "我是", "俺是" or "本人" only
# when a common surname follows ("本人张三丰", "我是王五" but not "我是东村的", "本人今年六十").
_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
             "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
             "戴莫孔向汤艾买阿古吐热依")
NAME = re.compile(r"(我叫|俺叫|我的名字(?:是|叫)|名字叫|本人(?:叫|是)|我姓名是)\s*([\u4e00-\u9fff·]{2,4})"
                  r"|(我是|俺是|本人)\s*([" + _SURNAMES + r"][\u4e00-\u9fff]{1,2})(?=$|[，。,.！!？?\s；;：:、住在想要问]|电话|手机|号码|身份|今年|来自)")
# The house-level numbers of an address: 二村3组8号, 东街12号, 5号楼2单元301室 -> 二村3组*号, 东街*号,
# 5号楼*单元*室 (the village and its 组 stay: they are how reports are counted and name no household).
ADDRESS = re.compile(r"(?<=[村组队社路街巷弄楼栋元号])\s*(?:\d+|[〇零一二三四五六七八九十百两]+)\s*(?=[号栋楼单室])")


_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def _digits(text: str) -> str:
    return "".join(_NUMERALS.get(ch, ch) for ch in text).upper()


def _masked_number(digits: str) -> str | None:
    """The masked form of one whole number, or None when it is neither a mobile nor an ID number."""
    if _ID18.fullmatch(digits):
        return digits[:4] + "*" * 10 + digits[-4:]
    for prefix in ("", "86", "0086"):
        if digits.startswith(prefix) and _MOBILE.fullmatch(digits[len(prefix):]):
            return digits[:len(prefix) + 3] + "****" + digits[-4:]
    if _ID15.fullmatch(digits):
        return digits[:4] + "*" * 7 + digits[-4:]
    return None


def _mask_run(m: re.Match[str]) -> str:
    """Mask every phone or ID number inside one run of split digits (two numbers may share a run:
    "13900001111 13800002222"); a "+86 " in front is kept as written."""
    run = m.group(0)
    groups = list(_GROUP.finditer(run))
    out, done, i = [], 0, 0
    while i < len(groups):
        best: tuple[int, str] | None = None
        digits = ""
        for j in range(i, len(groups)):
            digits += _digits(groups[j].group(0))
            if len(digits) > 20:
                break
            masked = _masked_number(digits)
            if masked is not None:
                best = (j, masked)
        if best is None:
            i += 1
            continue
        j, masked = best
        start = groups[i].start()
        prefix = groups[i].group(0)
        if prefix in ("86", "0086") and i < j and masked.startswith(prefix):
            start, masked = groups[i + 1].start(), masked[len(prefix):]  # "+86 139…": the prefix as typed
        out.append(run[done:start] + masked)
        done, i = groups[j].end(), j + 1
    return "".join(out) + run[done:]


def _mask_name(m: re.Match[str]) -> str:
    lead, name = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    return lead + name[0] + "*" * (len(name) - 1)


def mask(text: str) -> str:
    """Mask phone numbers, ID-card numbers, openids, self-given names and address numbers in free text.

    The one masking function: logs, the unanswered list, the CSV and Markdown reports and the
    console's lists and threads all use it. Phones keep their first three and last four digits
    (``139****5678``), ID numbers their first and last four, names their first character, however
    the number was split or spelt (dots, dashes of any width, a space per digit, 一三九…)."""
    text = text.translate(_FULLWIDTH)
    text = NUMBER_RUN.sub(_mask_run, text)
    text = NAME.sub(_mask_name, text)
    text = ADDRESS.sub("*", text)
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
