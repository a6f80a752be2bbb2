"""Configuration: one TOML file, documented defaults, environment overrides, errors that name the key."""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields, is_dataclass
from pathlib import Path

import pytest

from bot import config as config_mod
from tests.conftest import EXAMPLE_CONFIG
from bot.errors import ConfigError


def test_the_example_file_documents_every_key_with_its_default() -> None:
    raw = tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    defaults = config_mod.Config()
    for section in fields(config_mod.Config):
        value = getattr(defaults, section.name)
        if not is_dataclass(value) or section.name == "menu":
            continue
        assert section.name in raw, f"[{section.name}] missing from config.example.toml"
        for f in fields(value):
            assert f.name in raw[section.name], f"{section.name}.{f.name} not documented"
            documented = raw[section.name][f.name]
            expected = getattr(value, f.name)
            assert (list(expected) if isinstance(expected, tuple) else expected) == documented, f"{section.name}.{f.name}"


def test_secrets_come_from_the_environment() -> None:
    cfg = config_mod.load(EXAMPLE_CONFIG, environ={
        "WECHAT_TOKEN": "envtoken1", "WECHAT_APPSECRET": "s3cret", "SECRET_KEY": "k",
        "PUFABOT_SERVE__WORKERS": "6", "PUFABOT_WEB__DEV_MODE": "true",
        "PUFABOT_DISPUTES__THREAD_ACK_QUIET_MINUTES": "45"})
    assert (cfg.wechat.token, cfg.wechat.appsecret, cfg.web.secret_key) == ("envtoken1", "s3cret", "k")
    assert cfg.serve.workers == 6 and cfg.web.dev_mode is True
    assert cfg.disputes.thread_ack_quiet_minutes == 45


def test_the_work_group_robots_come_from_the_environment() -> None:
    cfg = config_mod.load(EXAMPLE_CONFIG, environ={
        "PUFABOT_NOTIFY__WECOM_WEBHOOK": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=not-a-real-key",
        "PUFABOT_NOTIFY__DINGTALK_WEBHOOK": "https://oapi.dingtalk.com/robot/send?access_token=not-real",
        "PUFABOT_NOTIFY__DINGTALK_SECRET": "SECnot-real", "PUFABOT_NOTIFY__DUTY_PHONE": "13800000000"})
    n = cfg.notify
    assert n.wecom_webhook.endswith("key=not-a-real-key") and n.dingtalk_secret == "SECnot-real"
    assert n.duty_phone == "13800000000" and n.urgent == ("wecom", "dingtalk")


def test_pufabot_config_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('[bot]\ntownship = "测试镇"\n', encoding="utf-8")
    assert config_mod.load(environ={"PUFABOT_CONFIG": str(path)}).bot.township == "测试镇"
    with pytest.raises(ConfigError, match="does not exist"):
        config_mod.load(environ={"PUFABOT_CONFIG": str(tmp_path / "nope.toml")})


@pytest.mark.parametrize("text,key", [
    ('[serve]\nport = "eighty"\n', "serve.port"),
    ('[wechat]\naes_key = "short"\n', "wechat.aes_key"),
    ('[bot]\nvilages = []\n', "bot.vilages"),
    ('[posts]\nmode = "fax"\n', "posts.mode"),
    ('[bot]\nvillages = []\n', "bot.villages"),
    ('[serve]\ncpu_affinity = "all"\n', "serve.cpu_affinity"),
    ('[posts]\ntimezone = "Asia/Shangai"\n', "posts.timezone"),
    ('[posts]\ntimezone = "../etc/passwd"\n', "posts.timezone"),
    ('[serve]\nworkers = 0\n', "serve.workers"),
    ('[serve]\nthreads = -1\n', "serve.threads"),
    ('[serve]\nport = 70000\n', "serve.port"),
    ('[disputes]\nthread_ack_quiet_minutes = 0\n', "disputes.thread_ack_quiet_minutes"),
    ('[[menu.button]]\nname = "咨询"\nkey = "MENU ASK"\n', "menu.button[0].key"),
    ('[[menu.button]]\nname = "咨询"\ntype = "miniprogram"\nkey = "X"\n', "menu.button[0].type"),
    ('[[menu.button]]\nname = "更多"\n[[menu.button.sub_button]]\nname = "联系"\n', "menu.button[0].sub_button[0].key"),
    ('[notify]\nwecom_webhook = "qyapi.weixin.qq.com/cgi-bin/webhook/send"\n', "notify.wecom_webhook"),
    ('[notify]\ndingtalk_webhook = "https://oapi.dingtalk.com/robot/send"\n', "notify.dingtalk_webhook"),
    ('[notify]\nduty_phone = "0000-0000000"\n', "notify.duty_phone"),
    ('[notify]\nurgent = ["wecom", "sms"]\n', "notify.urgent"),
    ('[notify]\ndigest_time = "8:30"\n', "notify.digest_time"),
    ('[notify]\nwecom_msgtype = "news"\n', "notify.wecom_msgtype"),
])
def test_a_bad_key_is_named_in_the_error(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(key)):
        config_mod.load(path, environ={})


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[bot\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="broken.toml"):
        config_mod.load(path, environ={})


def test_the_documented_menu_is_the_default_menu() -> None:
    assert config_mod.load(EXAMPLE_CONFIG, environ={}).menu == config_mod.MenuConfig()
