"""Homophone reading: fuzzy pinyin keys, the sound-alike table, respelling, the disk cache."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.matching import homophones
from bot.matching.homophones import Homophones, fuzzy

WORDS = ["仲裁", "赡养", "补偿", "抚养费", "宅基地", "帮信罪", "冷静期", "工伤", "工商", "财礼", "彩礼"]


def canonical(word: str) -> str:
    return {"财礼": "彩礼"}.get(word, word)


@pytest.fixture
def table(tmp_path: Path) -> Homophones:
    return Homophones.build(WORDS, tmp_path, canonical)


def always(window: str, word: str) -> bool:
    return True


@pytest.mark.parametrize(
    ("syllable", "key"),
    [("zhòng", "zong"), ("chóng", "cong"), ("shàn", "san"), ("bāng", "ban"), ("jìng", "jin"), ("lǜ", "lv"),
     ("nǚ", "nv"), ("zhōng", "zong"), ("cai", "cai")],
)
def test_fuzzy_keys_drop_tones_and_the_distinctions_phone_input_blurs(syllable: str, key: str) -> None:
    assert fuzzy(syllable) == key


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        (["劳动", "重", "裁"], ["劳动", "仲裁"]),
        (["不", "善", "养", "老人"], ["不", "赡养", "老人"]),
        (["征地", "补", "常", "款"], ["征地", "补偿", "款"]),
        (["抚", "样", "费"], ["抚养费"]),  # the longest window wins over 抚养
        (["批", "摘", "基地"], ["批", "宅基地"]),  # a whole word may join a single character
        (["搬", "信", "罪"], ["帮信罪"]),  # ban ~ bang
        (["冷", "尽", "期"], ["冷静期"]),  # jin ~ jing
        (["菜", "礼"], ["彩礼"]),  # 财礼 and 彩礼 are one canonical word: not ambiguous
    ],
)
def test_sound_alike_runs_become_the_lexicon_word(table: Homophones, tokens: list[str], expected: list[str]) -> None:
    assert table.respell(tokens, always) == expected


def test_a_key_that_sounds_like_two_words_is_left_alone(table: Homophones) -> None:
    assert table.respell(["公", "伤"], always) == ["公", "伤"]  # 工伤 or 工商: no guess


def test_words_jieba_found_are_never_cut_or_reread_alone(table: Homophones) -> None:
    assert table.respell(["仲裁"], always) == ["仲裁"]
    assert table.respell(["重裁"], always) == ["重裁"]  # a dictionary word, no single character
    assert table.respell(["重裁员", "工"], always) == ["重裁员", "工"]  # 重裁 would cut 重裁员


def test_the_caller_can_veto_a_window(table: Homophones) -> None:
    assert table.respell(["重", "裁"], lambda window, word: window != "重裁") == ["重", "裁"]


def test_non_chinese_tokens_and_empty_input_pass_through(table: Homophones) -> None:
    assert table.respell([], always) == []
    assert table.respell(["12348", " ", "a", "重", "裁"], always) == ["12348", " ", "a", "仲裁"]


def test_the_pinyin_table_is_cached_on_disk_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Homophones.build(WORDS, tmp_path, canonical)
    assert (tmp_path / "pinyin.pickle").is_file()

    def fail(words: list[str]) -> None:
        raise AssertionError("the cached table should have been used")

    monkeypatch.setattr(homophones, "_compute_pinyin_table", fail)
    cached = Homophones.build(WORDS, tmp_path, canonical)
    assert cached.respell(["重", "裁"], always) == ["仲裁"]
    with pytest.raises(AssertionError):  # another lexicon: the cache no longer fits
        Homophones.build([*WORDS, "遗嘱"], tmp_path, canonical)


def test_a_corrupt_cache_is_rebuilt(tmp_path: Path) -> None:
    (tmp_path / "pinyin.pickle").write_bytes(b"not a pickle")
    assert Homophones.build(WORDS, tmp_path, canonical).respell(["重", "裁"], always) == ["仲裁"]
