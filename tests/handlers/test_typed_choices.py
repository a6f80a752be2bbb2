"""Villagers answer the report's questions the way they talk, not only with the option's number:
a township whose villages are numbered (一村 … 五村), kinds in everyday words, phones with spaces
and a lead-in, a whole story typed at a short question, and 「上一步」 from every question."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import Config
from tests.handlers.test_dispute_flow import PHONE, talk

VILLAGES = ["一村", "二村", "三村", "四村", "五村"]


@pytest.fixture
def config(config: Config) -> Config:
    return config.replace(bot={"villages": VILLAGES})


@pytest.mark.parametrize("typed", ["四村", "第四村", "4村", "４村", "我是四村的", "四"])
def test_the_village_as_villagers_write_it(villager: Any, services: Any, typed: str) -> None:
    v = villager()
    talk(v, "我要反映 邻居占了我家地")
    assert "您已经说了" in talk(v, typed)
    talk(v, "好了", PHONE, "3", "1")
    (ticket,) = services.disputes.for_villager(v.openid)
    assert ticket.village == "四村"


def test_a_village_named_but_not_on_the_list_is_taken_as_said(villager: Any, services: Any) -> None:
    v = villager()
    talk(v, "我要反映 邻居占了我家地")
    assert "您已经说了" in talk(v, "9村")  # a number with 村 names a village, never "option 9"
    talk(v, "好了", "不留", "3", "1")
    (ticket,) = services.disputes.for_villager(v.openid)
    assert ticket.village == "9村"


@pytest.mark.parametrize(("typed", "kind"), [("邻居的事", "neighbours"), ("欠工钱", "wages"),
                                             ("老板不给工资", "wages"), ("借钱不还", "debts"),
                                             ("草场的事", "land"), ("车祸", "traffic")])
def test_the_kind_in_everyday_words(villager: Any, services: Any, typed: str, kind: str) -> None:
    v = villager()
    assert "哪一类纠纷" in v.click("MENU_REPORT").content
    assert "哪个村" in talk(v, typed)
    talk(v, "二村", "他们不讲理", "好了", "不留", "3", "1")
    (ticket,) = services.disputes.for_villager(v.openid)
    assert (ticket.kind, ticket.village) == (kind, "二村")


@pytest.mark.parametrize("typed", ["俺电话是139 1234 5678", "139-1234-5678", "电话：13912345678 白天打",
                                   "（+86）139 1234 5678"])
def test_a_phone_with_spaces_dashes_or_a_lead_in(villager: Any, services: Any, typed: str) -> None:
    v = villager()
    talk(v, "我要反映 老板不给工钱", "1", "好了")
    assert "怎么联系您" in talk(v, typed)
    talk(v, "2", "1")
    (ticket,) = services.disputes.for_villager(v.openid)
    assert ticket.phone == "13912345678"
    assert "1391234" not in ticket.description  # the number is the phone, not part of the story


def test_two_different_numbers_are_asked_again(villager: Any) -> None:
    v = villager()
    talk(v, "我要反映 老板不给工钱", "1", "好了")
    assert "好像不是手机号" in talk(v, "13912345678 或者 13812345678")


def test_a_whole_story_at_the_village_question_is_kept_and_the_question_asked_again(
        villager: Any, services: Any) -> None:
    v = villager()
    v.click("MENU_REPORT")
    talk(v, "邻里")
    story = "去年秋天邻居家把院墙往我家这边挪了一米多，说了好几次都不改"
    again = talk(v, story)
    assert "已经记下了" in again and "您是哪个村的" in again
    assert f"您已经说了：“{story}”" in talk(v, "三村")
    talk(v, "好了", "不留", "3", "1")
    (ticket,) = services.disputes.for_villager(v.openid)
    assert (ticket.village, ticket.description) == ("三村", story)


def test_a_story_that_names_the_village_answers_the_question_and_is_kept(villager: Any, services: Any) -> None:
    v = villager()
    v.click("MENU_REPORT")
    talk(v, "1")
    story = "我是五村的，邻居家的羊天天跑到我家地里吃苗子"
    assert "已经记下了" in talk(v, story)
    talk(v, "好了", "不留", "3", "1")
    (ticket,) = services.disputes.for_villager(v.openid)
    assert (ticket.village, ticket.description) == ("五村", story)


def test_a_story_at_the_other_village_question_is_not_taken_for_its_name(villager: Any, services: Any) -> None:
    v = villager()
    talk(v, "我要反映 邻居占了我家地", "其他")
    again = talk(v, "就是山那边放牧的地方，他们把我家的草场围起来了不让进")
    assert "已经记下了" in again and "哪个村或哪个地方" in again
    talk(v, "北山牧业队", "好了", "不留", "3", "1")
    (ticket,) = services.disputes.for_villager(v.openid)
    assert ticket.village == "北山牧业队" and "草场围起来" in ticket.description


# Each question, the answers that lead to it, and the question 「上一步」 must come back to.
QUESTIONS = {
    "kind": ("哪一类纠纷", []),
    "village": ("您是哪个村的", ["1"]),
    "village_name": ("哪个村或哪个地方", ["1", "6"]),
    "details": ("说完了请回复1", ["1", "1"]),
    "phone": ("请留一个手机号", ["1", "1", "吵架", "好了"]),
    "contact": ("怎么联系您", ["1", "1", "吵架", "好了", "不留"]),
    "contact_phone_call": ("打电话需要您留手机号", ["1", "1", "吵架", "好了", "不留", "2"]),
    "contact_phone_visit": ("住址", ["1", "1", "吵架", "好了", "不留", "1"]),
    "confirm": ("请核对", ["1", "1", "吵架", "好了", "不留", "3"]),
    "confirm_after_address": ("请核对", ["1", "1", "吵架", "好了", "不留", "1", "一村三组"]),
}
PREVIOUS = {"village": "kind", "village_name": "village", "details": "village", "phone": "details",
            "contact": "phone", "contact_phone_call": "contact", "contact_phone_visit": "contact",
            "confirm": "contact", "confirm_after_address": "contact_phone_visit"}


@pytest.mark.parametrize("step", list(PREVIOUS))
def test_back_goes_exactly_one_question_back_from_every_question(villager: Any, step: str) -> None:
    v = villager()
    v.click("MENU_REPORT")
    asked, answers = QUESTIONS[step]
    if answers:
        assert asked in talk(v, *answers)
    back = talk(v, "上一步")
    assert QUESTIONS[PREVIOUS[step]][0] in back
    assert asked not in back or PREVIOUS[step] == step


def test_back_all_the_way_from_the_address_never_loops(villager: Any, services: Any) -> None:
    v = villager()
    v.click("MENU_REPORT")
    talk(v, "1", "1", "吵架", "好了", "不留", "1", "一村三组")
    expected = ["住址", "怎么联系您", "请留一个手机号", "说完了请回复1", "您是哪个村的", "哪一类纠纷", "已经是第一步"]
    heard = [talk(v, "上一步") for _ in expected]
    assert all(word in reply for word, reply in zip(expected, heard)), heard
    talk(v, "2", "二村")  # and on again from the start, answers kept
    summary = talk(v, "好了", PHONE, "3")
    assert "二村" in summary and "吵架" in summary and PHONE in summary


def test_back_at_the_resume_offer_says_it_is_the_first_step(villager: Any, services: Any, redis_client: Any) -> None:
    v = villager()
    talk(v, "我要反映 邻居的牛吃了我家麦子", "2")
    redis_client.delete(services.keys.state(v.openid))
    assert "没提交完的反映" in talk(v, "我要反映")
    reply = talk(v, "上一步")
    assert "已经是第一步" in reply and "回复1继续" in reply


def test_back_on_the_voice_path_goes_one_question_back_too(villager: Any, services: Any) -> None:
    v = villager()
    v.voice("VOICE_ONLY_BACK")
    assert "您是哪个村的" in talk(v, "1")
    assert "已经是第一步" in talk(v, "上一步")
    assert "怎么联系您" in talk(v, "二村")
    assert "您是哪个村的" in talk(v, "上一步")
    talk(v, "三村")
    assert "打电话需要您留手机号" in talk(v, "2")
    assert "怎么联系您" in talk(v, "上一步")
    assert "请核对" in talk(v, "3")
    assert "怎么联系您" in talk(v, "上一步")
    talk(v, "3", "1")
    (ticket,) = services.disputes.for_villager(v.openid)
    assert (ticket.source, ticket.village, ticket.contact_pref) == ("voice", "三村", "none")
