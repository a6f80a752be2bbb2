"""``pufabot report``: the yearly figures written as a Markdown report and CSV files."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.dev import wire


def test_the_report_writes_markdown_and_csv_for_the_year(tmp_path: Path, redis_url: str, services: Any,
                                                         standin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    disputes = services.disputes
    solved = disputes.submit(wire.fake_openid(), {"kind": "land", "village": "一村", "description": "地界纠纷"}, "k1")
    disputes.submit(wire.fake_openid(), {"kind": "wages", "village": "二村", "description": "包工头欠工钱"}, "k2")
    disputes.claim(solved.id, "张调解")
    disputes.transition(solved.id, "resolved", "张调解", outcome="调解成功")
    services.counters.add([("faq", "wages"), ("faq", "wages"), ("unanswered", "量子计算机的原理是什么")])
    services.counters.flush()
    config = tmp_path / "c.toml"
    config.write_text(f'[redis]\nurl = "{redis_url}"\n[wechat]\napi_base_url = "{standin.url}"\n'
                      f'[log]\nlevel = "WARNING"\n', encoding="utf-8")
    monkeypatch.setenv("PUFABOT_CONFIG", str(config))
    year = solved.id[2:6]
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["report", "--from", f"{year}-01-01", "--to", f"{year}-12-31", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "受理业务总量 5，接待咨询 3 人次，受理纠纷 2 件，化解 1 件，调解率 100.0%" in result.output
    md = (out / f"report-{year}-01-01-{year}-12-31.md").read_text(encoding="utf-8")
    assert f"村民说事室工作统计（{year}-01-01 至 {year}-12-31）" in md
    assert "| 化解纠纷件数 | 1 |" in md and "| 量子计算机的原理是什么 | 1 |" in md and "## 口径说明" in md
    with open(out / f"figures-{year}-01-01-{year}-12-31.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    total = dict(zip(rows[0], rows[1]))
    assert total["维度"] == "合计" and total["受理纠纷件数"] == "2" and total["调解率"] == "100.0%"
    assert (out / f"unanswered-{year}-01-01-{year}-12-31.csv").exists()
    assert {oct(p.stat().st_mode & 0o777) for p in out.iterdir()} == {"0o600"}, "villagers' words: owner only"
    assert "一、矛盾纠纷排查化解" in md and "受理矛盾纠纷 2 件，化解 1 件" in md
    from docx import Document

    word = Document(str(out / f"report-{year}-01-01-{year}-12-31.docx"))
    text = "\n".join(p.text for p in word.paragraphs)
    assert "受理矛盾纠纷 2 件，化解 1 件，调解率 100.0%" in text and "三、法律咨询与普法宣传" in text


def test_bad_dates_are_refused_before_anything_is_read() -> None:
    result = CliRunner().invoke(cli, ["report", "--from", "2026-12-31", "--to", "2026-01-01"])
    assert result.exit_code == 2 and "结束日期早于开始日期" in result.output
