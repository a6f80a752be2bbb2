"""Which script and language a villager wrote in, offline: the rules on sentences written for this test
(none is a real message)."""

from __future__ import annotations

import pytest

from bot.matching import scripts

# "The boss has not paid my wages for three months, what should I do?" and the like, written for the test.
UYGHUR = [
    "خوجايىن ئۈچ ئايلىق ئىش ھەققىمنى بەرمىدى، نېمە قىلىمەن",
    "قوشنام يېرىمنى ئىگىلىۋالدى، ياردەم بېرىڭ",
]
KAZAKH_ARABIC = [
    "قوجايىن ٴۇش ايلىق جالاقىمدى ٴتولەمەدى، نە ىستەۋىم كەرەك",
    "كورشىم جەرىمدى الىپ الدى، كومەكتەسىڭىزشى ٴوتىنىش",
]
KAZAKH_LATIN = ["Qojaiyn üş ailyq jalaqymdy tölemedı, ne ısteuım kerek?", "Körşım jerımdı alyp aldy, kömektesıñızşı"]
KAZAKH_CYRILLIC = ["Қожайын үш айлық жалақымды төлемеді, не істеуім керек?"]
PINYIN = ["laoban san ge yue bu gei wo gongqian zenme ban", "wo jia de tudi bei linju zhan le",
          "Nǐ hǎo, wǒ xiǎng wèn lihun de shi"]
CHINESE_OR_NOTHING = ["WiFi密码忘了怎么办", "12345", "ok", "OK👍", "😀😀😀", "我的手机号是139 1234 5678", "ni hao",
                      "老板欠我3000元 APP上显示已付", "hello my friend", "haha haha haha", "a ha ha ha", "Привет, как дела", "  ", "？？？", "shi"]


@pytest.mark.parametrize("text", UYGHUR)
def test_uyghur_is_told_by_its_own_letters(text: str) -> None:
    found = scripts.detect(text)
    assert found is not None and found.language == scripts.UYGHUR


@pytest.mark.parametrize("text", KAZAKH_ARABIC)
def test_kazakh_in_arabic_letters_is_told_by_the_high_hamza(text: str) -> None:
    found = scripts.detect(text)
    assert found is not None and found.language == scripts.KAZAKH_ARABIC


def test_arabic_letters_without_a_telling_letter_are_arabic_script_undecided() -> None:
    found = scripts.detect("سالام")
    assert found is not None and found.language == scripts.ARABIC


@pytest.mark.parametrize(("texts", "language"), [(KAZAKH_LATIN, scripts.KAZAKH_LATIN),
                                                 (KAZAKH_CYRILLIC, scripts.KAZAKH_CYRILLIC),
                                                 (PINYIN, scripts.PINYIN)])
def test_kazakh_latin_kazakh_cyrillic_and_pinyin(texts: list[str], language: str) -> None:
    for text in texts:
        found = scripts.detect(text)
        assert found is not None and found.language == language, text


@pytest.mark.parametrize("text", CHINESE_OR_NOTHING)
def test_chinese_with_a_few_latin_letters_digits_emoji_or_english_is_not_another_script(text: str) -> None:
    assert scripts.detect(text) is None


def test_a_mostly_uyghur_message_with_a_chinese_word_is_uyghur() -> None:
    found = scripts.detect("خوجايىن ئىش ھەققىمنى بەرمىدى 工资")
    assert found is not None and found.language == scripts.UYGHUR


def test_pinyin_words_split_into_syllables_and_english_words_do_not() -> None:
    assert scripts.syllables("gongqian") == ("gong", "qian")
    assert scripts.syllables("xiang") == ("xiang",)
    assert scripts.syllables("broken") == () and scripts.syllables("hello") == ()


def test_office_hours_as_clock_times_for_replies_in_another_script() -> None:
    from bot import config as config_mod
    from bot.services import load_texts
    from tests.conftest import EXAMPLE_CONFIG

    bot = config_mod.load(EXAMPLE_CONFIG, environ={}).bot
    assert tuple(bot.office_periods) == ("10:00-14:00", "16:00-19:30")
    assert "(10:00-14:00, 16:00-19:30)" in load_texts(bot).get("script_reply_pinyin")


@pytest.mark.parametrize("language", scripts.LANGUAGES)
def test_every_languages_reply_names_it_and_fits_one_wechat_reply(language: str) -> None:
    from bot.config import BotConfig
    from bot.matching.kb import MAX_REPLY_BYTES
    from bot.services import load_texts
    from handlers.scripts import reply_text

    bot = BotConfig()
    reply = reply_text(load_texts(bot), language)
    first = reply.splitlines()[0]
    assert bot.office_phone in first and "110" in first and "工作人员" in first
    assert len(reply.encode()) <= MAX_REPLY_BYTES
    assert len(reply.split("\n\n")) == (3 if language == scripts.ARABIC else 2)  # Chinese, then their script
