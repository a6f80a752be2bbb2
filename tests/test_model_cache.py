"""The models' cache: a torn file is trained again (never fatal), writers never share a temporary
file, and ``pufabot kb build`` fills the cache a start then reads."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.matching.classifier import TextModel, load_or_train_for

TEXTS = ["欠工资不给", "老板跑了", "离婚冷静期", "协议离婚要啥", "借钱不还", "借条怎么写"]
LABELS = ["wages", "wages", "divorce", "divorce", "debts", "debts"]


def test_a_torn_model_file_is_trained_again_not_fatal(tmp_path: Path) -> None:
    first = load_or_train_for("demo-inputs", lambda: (TEXTS, LABELS), tmp_path, "demo")
    (cached,) = tmp_path.glob("demo-*.npz")
    cached.write_bytes(cached.read_bytes()[:100])  # a crash mid-write, as before writes were atomic
    again = load_or_train_for("demo-inputs", lambda: (TEXTS, LABELS), tmp_path, "demo")
    assert again.classes == first.classes and again.proba("工钱不给") == pytest.approx(first.proba("工钱不给"))
    assert TextModel.load(cached).classes == first.classes, "the torn file was replaced by a whole one"
    assert not list(tmp_path.glob("*.tmp*")), "no temporary file left behind"


def test_a_garbage_file_is_trained_again(tmp_path: Path) -> None:
    load_or_train_for("demo-inputs", lambda: (TEXTS, LABELS), tmp_path, "demo")
    (cached,) = tmp_path.glob("demo-*.npz")
    cached.write_text("not a zip at all", encoding="utf-8")
    assert load_or_train_for("demo-inputs", lambda: (TEXTS, LABELS), tmp_path, "demo").classes == ("debts", "divorce", "wages")


@pytest.mark.slow
def test_kb_build_fills_the_cache_that_a_start_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.matching.matcher import cache_dir

    for cached in cache_dir().iterdir():  # the suite's own cache (built at session start): no training
        if cached.is_file():
            shutil.copy2(cached, tmp_path / cached.name)
    models = list(tmp_path.glob("*-*.npz"))
    for model in models:
        os.utime(model, (0, 0))
    monkeypatch.setenv("PUFABOT_CACHE_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["kb", "build"])
    assert result.exit_code == 0, result.output
    assert f"models in {tmp_path}" in result.output
    used = sorted(m.name.split("-")[0] for m in models if m.stat().st_mtime > 0)
    assert used == ["intents", "topics"], "the models a start reads are marked used (kept by pruning)"
    monkeypatch.delenv("PUFABOT_CACHE_DIR")
    monkeypatch.setenv("CACHE_DIRECTORY", str(tmp_path))  # systemd's CacheDirectory=
    assert cache_dir() == tmp_path


def test_a_start_with_the_model_cached_does_not_build_its_examples(tmp_path: Path) -> None:
    built: list[int] = []

    def examples() -> tuple[list[str], list[str]]:
        built.append(1)
        return TEXTS, LABELS

    first = load_or_train_for("inputs-v1", examples, tmp_path, "demo")
    again = load_or_train_for("inputs-v1", examples, tmp_path, "demo")
    assert built == [1], "the second start read the cached model without compacting any example"
    assert again.proba("工钱不给") == pytest.approx(first.proba("工钱不给"))
    load_or_train_for("inputs-v2", examples, tmp_path, "demo")  # a phrasing added: trained anew
    assert built == [1, 1]


def test_the_models_key_follows_every_phrasing_and_intent_file(tmp_path: Path) -> None:
    from bot.matching.kb import KnowledgeBase
    from bot.matching.matcher import _model_inputs
    from knowledge import KNOWLEDGE_DIR

    kb = KnowledgeBase.load()
    dict_dir, intents = KNOWLEDGE_DIR / "dict", KNOWLEDGE_DIR / "intents"
    before = _model_inputs(kb, dict_dir, intents)
    assert _model_inputs(kb, dict_dir, intents) == before
    topic = next(iter(kb.topics.values()))
    grown = KnowledgeBase({**kb.topics, topic.id: replace(topic, questions=(*topic.questions, "新写的一个问法"))})
    assert _model_inputs(grown, dict_dir, intents) != before, "a new topic phrasing retrains"
    copied = tmp_path / "intents"
    shutil.copytree(intents, copied)
    with (copied / "human.txt").open("a", encoding="utf-8") as file:
        file.write("新写的一个转人工说法\n")
    assert _model_inputs(kb, dict_dir, copied) != before, "a new intent example retrains"
