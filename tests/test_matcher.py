"""The matcher on villagers' questions: topics, intents, chat, normalisation, ambiguity, robustness."""
from __future__ import annotations

import copy
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.matching.classifier import TextModel
from bot.matching.matcher import MAX_CANDIDATES, Match, Matcher, load_tokenizer
from bot.matching.evaluate import evaluate, load_rows

FIXTURES = Path(__file__).parent / "fixtures"
INTENTS = ("faq", "outside", "report", "status", "urgent", "human", "menu", "rating", "chat", "none")


@pytest.fixture(scope="module")
def matcher(knowledge: tuple[Any, Any]) -> Matcher:
    return knowledge[1]


# Written for these tests in villagers' words (not taken from any evaluation file).
VILLAGER_QUESTIONS = [
    ("老板跑了工钱不给咋整", "wage-arrears"),
    ("媳妇娘家要财礼三十万合法不", "bride-price"),
    ("隔壁家的狗把我娃咬了", "animal-damage"),
    ("宅基地能卖给城里人吗", "homestead"),
    ("离婚冷静期是多少天", "divorce"),
    ("借给亲戚五万块他不还咋办", "private-lending"),
    ("在工地上摔断了腿算工伤不", "work-injury"),
    ("几个儿子都不管老娘咋办", "elder-support"),
    ("邻居的羊把我家麦子啃了", "crop-damage"),
    ("没钱请律师怎么办", "legal-aid"),
    ("民法典是啥时候开始实施的", "civil-code"),
    ("老公喝了酒就打我怎么办", "domestic-violence"),
    ("出车祸了对方跑了", "traffic-accident"),
]


@pytest.mark.parametrize(("question", "topic"), VILLAGER_QUESTIONS)
def test_villager_questions_find_their_topic(matcher: Matcher, question: str, topic: str) -> None:
    found = matcher.match(question)
    assert (found.intent, found.topic) == ("faq", topic), found


# Homophone typos of the key term, as dictation and pinyin input produce them (bot/matching/homophones.py).
SOUND_ALIKE_QUESTIONS = [
    ("老板不给钱我想申请劳动重裁", "labor-arbitration"),  # 仲裁
    ("村里不给批摘基地咋办", "homestead"),  # 宅基地
    ("离婚后娃的抚样费他不给咋办", "child-custody"),  # 抚养费
    ("征地补常款多久发下来", "land-expropriation"),  # 补偿
    ("农村养老保先每年交多少", "social-insurance"),  # 养老保险
    ("想告乡政府行政速讼咋弄", "administrative-litigation"),  # 行政诉讼
    ("老人自己写的一嘱算不算数", "will"),  # 遗嘱
    ("村里有人开设堵场咋举报", "gambling"),  # 赌场
]


@pytest.mark.parametrize(("question", "topic"), SOUND_ALIKE_QUESTIONS)
def test_homophone_typos_of_the_key_term_find_their_topic(matcher: Matcher, question: str, topic: str) -> None:
    found = matcher.match(question)
    assert (found.intent, found.topic) == ("faq", topic), found


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("想盖新房子宅基地咋申请", "信访"),  # 新房 sounds like 信访, but jieba found 新房子
        ("工伤认定要在多长时间内申请", "要账"),  # 要在 ends with a stop word
        ("有人打电话说是公安让我转账", "调解"),  # 说是 is not 说事
        ("离了婚娃归谁养", "离婚婚"),
    ],
)
def test_homophone_reading_leaves_ordinary_phrases_alone(matcher: Matcher, text: str, absent: str) -> None:
    assert absent not in matcher.analyser.analyse(text).tokens


def test_own_villager_question_set_is_answered_well(matcher: Matcher) -> None:
    figures = evaluate(load_rows(FIXTURES / "villager-questions.jsonl"), matcher.match)
    assert figures.top1 >= 0.90 and figures.top3 >= 0.95
    assert figures.out_of_scope_matched <= 0.10 and figures.intent >= 0.90


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("離婚冷靜期多少天", "divorce"),  # traditional characters
        ("ｗｏ想問彩禮能不能要回來", "bride-price"),  # full-width letters + traditional
        ("宅基地，能賣給城裡人嗎？？", "homestead"),
        ("老板跑了!!!工钱不给😭咋整", "wage-arrears"),  # punctuation and emoji inside
    ],
)
def test_traditional_full_width_and_punctuation_are_normalised(matcher: Matcher, question: str, topic: str) -> None:
    assert matcher.match(question).topic == topic


@pytest.mark.parametrize(
    ("text", "chat"),
    [
        ("", "empty"), ("   ", "empty"), ("！！！？", "empty"), ("😀🙏", "emoji"), ("🙏", "emoji"),
        ("[微笑]", "emoji"), ("/::)", "emoji"), ("你好", "greeting"), ("您好啊", "greeting"),
        ("在吗", "greeting"), ("亚克西姆赛斯", "greeting"), ("谢谢", "thanks"),
        ("好的谢谢您", "thanks"), ("热合麦特", "thanks"), ("再见", "bye"), ("ok", "affirm"),
        ("ＯＫ", "affirm"), ("好的", "affirm"), ("嗯嗯", "affirm"),
    ],
)
def test_chat_messages_get_a_chat_kind_not_a_law(matcher: Matcher, text: str, chat: str) -> None:
    found = matcher.match(text)
    assert (found.intent, found.chat, found.topic) == ("chat", chat, None)


@pytest.mark.parametrize("text", ["有人吗", "你好 有人在吗", "有没有人啊", "喂 有人没"])
def test_asking_whether_anybody_is_there_is_answered_with_who_reads_and_when(matcher: Matcher, text: str) -> None:
    assert matcher.match(text).intent == "human"


class _Hears(TextModel):
    """An intent model that hears the same thing in every message."""

    def __init__(self, heard: dict[str, float]):
        object.__setattr__(self, "heard", heard)

    def proba_of(self, grams: Any) -> dict[str, float]:
        return dict(self.heard)


def test_a_clear_legal_question_is_answered_when_the_model_only_half_hears_a_person(matcher: Matcher) -> None:
    unsure, sure = copy.copy(matcher), copy.copy(matcher)
    unsure.model = _Hears({"human": 0.40, "faq": 0.35, "none": 0.25})
    sure.model = _Hears({"human": 0.60, "faq": 0.30, "none": 0.10})
    assert (unsure._match("离婚冷静期是多少天").intent, unsure._match("离婚冷静期是多少天").topic) == ("faq", "divorce")
    assert sure._match("离婚冷静期是多少天").intent == "human"
    assert unsure._match("叫个人来").intent == "human"  # no legal topic to answer instead


def test_a_greeting_with_a_question_is_answered(matcher: Matcher) -> None:
    assert matcher.match("你好，我想问一下彩礼能不能要回来").topic == "bride-price"


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("我要反映", None),
        ("我想反映个问题", None),
        ("帮我调解一下", None),
        ("登记个纠纷", None),
        ("我要投诉老板拖欠工资", "wage-arrears"),
        ("想让调解员来我们家看看 邻居家的狗天天咬人", "animal-damage"),
        ("我要反映邻居的羊把我家麦子啃了", "crop-damage"),
    ],
)
def test_report_intent_keeps_the_topic_of_the_rest(matcher: Matcher, text: str, topic: str | None) -> None:
    found = matcher.match(text)
    assert (found.intent, found.topic) == ("report", topic), found


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("调解一下", None),
        ("麻烦调解一下", None),
        ("请帮忙调解", None),
        ("帮我们调解调解", None),  # the repeated 调解 does not make "mediation" the topic
        ("麻烦给调解一下吧", None),
        ("麻烦你们帮我们两家说和一下", None),
        ("调解一下 邻居家的羊把我家麦子啃了", "crop-damage"),
        ("请帮忙调解 邻居占了我家宅基地", "homestead"),
        ("帮我们调解调解 老板拖欠工资不给", "wage-arrears"),
    ],
)
def test_a_message_opening_with_a_mediation_request_is_a_report(
    matcher: Matcher, text: str, topic: str | None
) -> None:
    found = matcher.match(text)
    assert (found.intent, found.topic) == ("report", topic), found


@pytest.mark.parametrize(
    "text",
    ["怎么申请调解", "调解要收费吗", "去哪里投诉", "结婚登记要带什么", "调解一下要收费吗", "调解书能强制执行吗",
     "调解员都管些啥事", "调解不成怎么办"],
)
def test_questions_about_a_procedure_are_not_reports(matcher: Matcher, text: str) -> None:
    assert matcher.match(text).intent == "faq"


@pytest.mark.parametrize(
    ("text", "ticket"),
    [
        ("我反映的事咋样了", None),
        ("我上次反映的问题有结果了吗", None),
        ("查询进度", None),
        ("调解的事办得怎么样了", None),
        ("JF20261124-0007", "JF20261124-0007"),
        ("jf20261124-0007处理得咋样了", "JF20261124-0007"),
        ("ＪＦ２０２６１１２４－０００７", "JF20261124-0007"),
        ("我的单子 JF 20261124 0012 呢", "JF20261124-0012"),
    ],
)
def test_status_intent_and_ticket_id(matcher: Matcher, text: str, ticket: str | None) -> None:
    found = matcher.match(text)
    assert (found.intent, found.ticket_id) == ("status", ticket)


@pytest.mark.parametrize(
    "text", ["明天天气怎么样", "给我唱首歌", "羊拉稀怎么治", "今年棉花多少钱一斤", "推荐个好用的手机", "抓饭怎么做好吃"]
)
def test_not_legal_questions_get_none(matcher: Matcher, text: str) -> None:
    found = matcher.match(text)
    assert (found.intent, found.topic) == ("none", None), found


@pytest.mark.parametrize(("text", "expected"), [("合同", "labor-contract"), ("房子的事", "homestead")])
def test_vague_questions_are_ambiguous_with_options(matcher: Matcher, text: str, expected: str) -> None:
    found = matcher.match(text)
    assert found.intent == "faq" and found.ambiguous
    assert len(found.candidates) >= 2 and expected in {c.topic for c in found.candidates}


def test_a_clear_question_is_not_ambiguous(matcher: Matcher) -> None:
    found = matcher.match("离婚冷静期是多少天")
    assert not found.ambiguous and found.score >= 0.7


def test_scores_and_candidates_are_calibrated_and_ordered(matcher: Matcher) -> None:
    for question, _ in VILLAGER_QUESTIONS:
        found = matcher.match(question)
        scores = [c.score for c in found.candidates]
        assert 0 < len(scores) <= MAX_CANDIDATES and scores == sorted(scores, reverse=True)
        assert all(0.0 <= s <= 1.0 for s in scores) and found.score == scores[0]


def test_to_json_is_the_stable_cli_object(matcher: Matcher) -> None:
    obj = matcher.match("讨薪打什么电话").to_json("讨薪打什么电话")
    assert list(obj) == ["q", "intent", "topic", "score", "candidates"]
    assert obj["q"] == "讨薪打什么电话" and obj["topic"] == "wage-arrears"
    assert all(set(c) == {"topic", "score"} for c in obj["candidates"])
    json.dumps(obj)


def test_one_matcher_serves_many_threads(matcher: Matcher) -> None:
    questions = [q for q, _ in VILLAGER_QUESTIONS] * 20
    expected = {q: matcher.rank(q)[:3] for q in questions}
    failures: list[str] = []

    def work() -> None:
        for q in questions:
            if matcher.rank(q)[:3] != expected[q]:
                failures.append(q)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300) | st.sampled_from(["", "\x00", "\ufeff", "🙂" * 50, "谢" * 2000, "JF" + "9" * 40]))
def test_match_never_raises(matcher: Matcher, text: str) -> None:
    found = matcher.match(text)
    assert isinstance(found, Match) and found.intent in INTENTS
    assert 0.0 <= found.score <= 1.0 and len(found.candidates) <= MAX_CANDIDATES


def test_jieba_cache_goes_to_the_cache_dir_quietly(tmp_path: Path) -> None:
    code = "from bot.matching.matcher import load_tokenizer; load_tokenizer(); print('ready')"
    env = {"PUFABOT_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for _ in range(2):  # the first run writes the cache, the second reads it
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert done.stdout.strip() == "ready" and done.stderr == ""
    assert (tmp_path / "jieba.cache").is_file()


def test_build_accepts_another_dictionary_directory(knowledge: tuple[Any, Any], tmp_path: Path) -> None:
    import shutil

    import knowledge as knowledge_pkg

    shutil.copytree(knowledge_pkg.KNOWLEDGE_DIR / "dict", tmp_path / "dict")
    (tmp_path / "dict" / "synonyms.txt").write_text("# none\n", encoding="utf-8")
    plain = Matcher.build(knowledge[0], tmp_path / "dict")
    assert plain.match("讨薪").topic == "wage-arrears"
    assert load_tokenizer() is not load_tokenizer()  # a fresh tokenizer each time: no shared state


def test_the_analysis_cache_gives_what_a_fresh_analysis_gives(knowledge: tuple[Any, Any]) -> None:
    """The matcher's start-up reads its phrasings' analysis from disk; it must be the same analysis."""
    import knowledge as knowledge_pkg
    from bot.matching.matcher import AnalysisCache, cache_dir

    kb, matcher = knowledge
    cache = AnalysisCache(cache_dir(), kb, knowledge_pkg.KNOWLEDGE_DIR / "dict")
    memo = cache.load()
    assert cache.hit and len(memo) > 1000
    final = [(key.split("|", 1)[1], stored) for key, stored in memo.items() if key.startswith("2|")]
    for text, stored in final[:: max(1, len(final) // 200)]:
        assert matcher.analyser._analyse(text) == stored, text


def test_old_cache_files_are_pruned(tmp_path: Path) -> None:
    import os

    from bot.matching.classifier import prune

    for n in range(5):
        path = tmp_path / f"analysed-{n}.json"
        path.write_text("{}", encoding="utf-8")
        os.utime(path, (1000 + n, 1000 + n))
    prune(tmp_path, "analysed-*.json", keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["analysed-3.json", "analysed-4.json"]


def test_a_model_in_use_survives_pruning_by_newer_ones(tmp_path: Path) -> None:
    """A server reads its model at start; models trained later from other examples (a test, a dry
    run with edited examples) must not push it out of the cache."""
    import os

    from bot.matching.classifier import load_or_train_for

    texts, labels = ["工资不给", "你好", "离婚", "谢谢"], ["faq", "chat", "faq", "chat"]
    load_or_train_for("v1", lambda: (texts, labels), tmp_path, "intents")
    (in_use,) = tmp_path.glob("intents-*.npz")
    os.utime(in_use, (1000, 1000))  # trained long ago
    for n in range(3):  # three newer models of other examples
        load_or_train_for(f"v2.{n}", lambda n=n: ([*texts, f"别的{n}"], [*labels, "faq"]), tmp_path, "intents")
        if n == 1:
            load_or_train_for("v1", lambda: (texts, labels), tmp_path, "intents")  # a server starts and reads it
    assert in_use.exists()
