"""What villagers typed, on its way out of the server: the unanswered list, its CSV, the Markdown report
(issue 15.12 and 15.13): formulas neutralised, personal data masked in every form, Markdown escaped."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from bot.logs import mask
from bot.reports import exports, figures

HOSTILE = ["=cmd|' /C calc'!A0", "+HYPERLINK(\"http://evil\",\"点我\")", "@SUM(1+1)*cmd|' /C calc'!A0",
           "-2+3+cmd|' /C calc'!A0"]
PERSONAL = {
    "放首歌 我电话139 1234 5678": "139****5678",
    "放首歌 手机139-2234-5678": "139****5678",
    "放首歌 +86 13932345678": "139****5678",
    "放首歌 号码１３９４２３４５６７８": "139****5678",
    "放首歌 身份证6501 0219 9001 0112 34": "6501**********1234",
    "放首歌 我叫张三丰想问问天气": "我叫张**",
    "放首歌 电话139.0765.4321": "139****4321",
    "放首歌 电话一三九零七六五四三二二": "139****4322",
    "放首歌 身份证110101-19900307-4514": "1101**********4514",
    "放首歌 本人赵小虎住二村3组8号": "本人赵**住二村3组*号",
}
RAW = ["139 1234 5678", "139-2234-5678", "13932345678", "１３９４２３４５６７８", "6501 0219 9001 0112 34", "张三丰",
       "139.0765.4321", "一三九零七六五四三二二", "19900307", "赵小虎", "3组8号"]


@pytest.mark.parametrize("text,masked", [
    ("139 1234 5678", "139****5678"), ("139-1234-5678", "139****5678"), ("+86 139 1234 5678", "+86 139****5678"),
    ("１３９１２３４５６７８", "139****5678"), ("6501 0219 9001 0112 34", "6501**********1234"),
    ("65010219900101123X", "6501**********123X"), ("我叫张三，住东村", "我叫张*，住东村"), ("我是王五，电话", "我是王*，电话"),
    ("我是东村的", "我是东村的"), ("JF20261124-0001", "JF20261124-0001"),
])
def test_one_masking_function_knows_every_written_form(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize("text,masked", [  # security review 2026-12-07, N6: each spelling it found unmasked
    ("139.8765.4321", "139****4321"), ("139–8765–4321", "139****4321"), ("139—8765—4321", "139****4321"),
    ("1 3 9 8 7 6 5 4 3 2 1", "139****4321"), ("139  8765  4321", "139****4321"),
    ("一三九八七六五四三二一", "139****4321"), ("幺三九八七六五四三二幺", "139****4321"),
    ("110101-19900307-4514", "1101**********4514"), ("110101900307451", "1101*******7451"),
    ("俺叫李四", "俺叫李*"), ("本人张三丰", "本人张**"), ("住二村3组8号", "住二村3组*号"), ("东村三组", "东村三组"),
    ("5号楼2单元301室", "5号楼*单元*室"), ("电话13900001111 13800002222", "电话139****1111 138****2222"),
    ("本人今年六十五岁，家里五口人", "本人今年六十五岁，家里五口人"), ("2026-12-08 上午10点", "2026-12-08 上午10点"),
    ("借了5000元", "借了5000元"),
])
def test_every_spelling_the_review_found_is_masked_and_ordinary_numbers_are_not(text: str, masked: str) -> None:
    assert mask(text) == masked


def test_unanswered_questions_leave_masked_and_defused(villager: Any, services: Any, staff_client: Any) -> None:
    for text in [*HOSTILE, *PERSONAL, "<img src=x onerror=alert(1)> ![p](http://e/x.png) [点](javascript:alert(1))"]:
        assert "12348" in villager().say(text).content
    services.counters.flush()
    admin = staff_client("王主任", role="admin")
    page = admin.page("/staff/stats")
    res = admin.get("/staff/stats.csv?table=unanswered")
    assert res.status_code == 200
    rows = list(csv.reader(io.StringIO(res.get_data(as_text=True).lstrip("\ufeff"))))
    questions = [r[0] for r in rows[1:]]
    report = figures.build_report(services, figures.Period.this_year(services.config.posts.timezone))
    md = exports.markdown(report)
    for out, shown in ((page, str), ("\n".join(questions), str), (md, exports.md_text)):  # Markdown escapes the *
        assert not [raw for raw in RAW if raw in out], [raw for raw in RAW if raw in out]
        assert all(shown(masked) in out for masked in PERSONAL.values()), out
    assert not [q for q in questions if q.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert {"'" + h for h in HOSTILE} <= set(questions)
    assert "<img" not in md and "![p](" not in md and "[点](javascript" not in md
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in md
