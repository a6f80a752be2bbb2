"""Configuration: one TOML file plus ``PUFABOT_*`` environment overrides.

The file is named by ``PUFABOT_CONFIG`` (default ``config.toml`` in the working directory); without
one the built-in defaults below apply (``config.example.toml`` in the repository documents them). Any key may be overridden from the environment
as ``PUFABOT_<SECTION>__<KEY>`` (e.g. ``PUFABOT_WECHAT__TOKEN``); the secrets also have short names
(``WECHAT_TOKEN``, ``WECHAT_APPSECRET``, ``WECHAT_AES_KEY``, ``REDIS_URL``, ``SECRET_KEY``).

Everything is validated once, here, into frozen dataclasses; an error names the offending key.
Pure module: no Flask, no redis.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Mapping, get_args, get_origin, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError

ENV_PREFIX = "PUFABOT_"

# Short environment names for secrets and the Redis location (the usual 12-factor spellings).
ENV_ALIASES = {
    "WECHAT_TOKEN": ("wechat", "token"),
    "WECHAT_APPID": ("wechat", "appid"),
    "WECHAT_APPSECRET": ("wechat", "appsecret"),
    "WECHAT_AES_KEY": ("wechat", "aes_key"),
    "REDIS_URL": ("redis", "url"),
    "SECRET_KEY": ("web", "secret_key"),
}

MESSAGE_MODES = ("plain", "compatible", "safe")


@dataclass(frozen=True)
class WechatConfig:
    token: str = ""
    appid: str = ""
    appsecret: str = ""
    aes_key: str = ""
    message_mode: str = "plain"  # plain | compatible | safe (as chosen in the WeChat console)
    api_base_url: str = "https://api.weixin.qq.com/"
    account_type: str = "subscription"  # subscription | service
    request_timeout: float = 3.0
    replay_window: int = 300
    max_body_bytes: int = 65536
    reply_deadline: float = 4.0
    template_ticket_reply: str = ""


@dataclass(frozen=True)
class RedisConfig:
    url: str = ""
    cluster: bool = False
    key_prefix: str = "pufabot"
    embedded_dir: str = "var/redis"
    socket_timeout: float = 1.0


@dataclass(frozen=True)
class BotConfig:
    name: str = "镇司法所普法助手"
    township: str = "示例镇"
    office_phone: str = "0000-0000000"
    office_address: str = "镇政府一楼司法所"
    office_days: tuple[int, ...] = (1, 2, 3, 4, 5)  # ISO weekdays (1 = Monday) staff read messages
    office_periods: tuple[str, ...] = ("10:00-14:00", "16:00-19:30")  # Beijing time
    state_ttl: int = 1800
    dedupe_ttl: int = 60
    draft_ttl: int = 86400
    villages: tuple[str, ...] = ("一村", "二村", "三村")
    response_hours: int = 48
    max_reports_per_day: int = 3  # per villager per local day; 0 = no limit; never applies to urgent reports
    thread_max_chars: int = 1000  # longest villager message a ticket's thread takes
    thread_max_messages: int = 200  # villager messages one ticket's thread takes in all
    spool_dir: str = "var/spool"
    media_dir: str = "var/media"


@dataclass(frozen=True)
class WebConfig:
    secret_key: str = ""
    dev_mode: bool = False
    public_url: str = "http://127.0.0.1:8000"
    session_cookie_secure: bool = True
    login_max_failures: int = 5
    login_lockout_seconds: int = 900
    login_max_failures_per_ip: int = 20
    trusted_proxies: tuple[str, ...] = ()  # addresses/networks whose X-Forwarded-For is believed
    searches_per_minute: int = 30  # queue searches one staff member may make per minute


@dataclass(frozen=True)
class ServeConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    worker_class: str = "gthread"
    threads: int = 4
    timeout: int = 30
    cpu_affinity: str = "auto"


@dataclass(frozen=True)
class MenuItem:
    name: str
    type: str = "click"  # click | view | (a parent: no type, only sub_button)
    key: str = ""
    url: str = ""
    sub_button: tuple[MenuItem, ...] = ()


DEFAULT_MENU = (
    MenuItem("法律咨询", key="MENU_ASK"),
    MenuItem("我要反映", key="MENU_REPORT"),
    MenuItem("更多服务", sub_button=(MenuItem("本周普法", key="MENU_WEEKLY"), MenuItem("我的事项", key="MENU_MY_TICKETS"),
                                  MenuItem("联系我们", key="MENU_CONTACT"))),
)


@dataclass(frozen=True)
class MenuConfig:
    button: tuple[MenuItem, ...] = DEFAULT_MENU


@dataclass(frozen=True)
class QueueConfig:
    claim_timeout: int = 3600
    stream_maxlen: int = 100000


@dataclass(frozen=True)
class DisputesConfig:
    thread_window_hours: int = 48  # villager messages go to a ticket's thread this long after staff wrote
    urgent_episode_hours: int = 6  # danger messages of one villager this close together are one urgent item
    urgent_response_hours: int = 2  # an urgent item's promised response time (not the ordinary 48 hours)
    thread_ack_quiet_minutes: int = 30  # a message passed to staff is acknowledged at least this often


@dataclass(frozen=True)
class PostsConfig:
    mode: str = "mass_send"  # mass_send | publish | both
    tag_id: int = 0  # 0 = all followers
    weekday: int = 0  # Monday
    time: str = "09:00"
    timezone: str = "Asia/Shanghai"
    no_repeat_weeks: int = 16
    max_attempts: int = 5
    retry_base_seconds: int = 60
    public_base_url: str = ""


ROBOTS = ("wecom", "dingtalk")
NOTIFY_EVENTS = ("urgent", "new_report", "new_consultation", "overdue", "digest")


@dataclass(frozen=True)
class NotifyConfig:
    """Alerts to the township's work group (``bot.notify``): which robots, which events go where."""
    wecom_webhook: str = ""  # 企业微信/政务微信 group robot: https://.../cgi-bin/webhook/send?key=...
    wecom_msgtype: str = "text"  # text | markdown
    dingtalk_webhook: str = ""  # 钉钉 custom robot: https://oapi.dingtalk.com/robot/send?access_token=...
    dingtalk_secret: str = ""  # its 加签 secret (SEC...); empty = the robot is not signed
    duty_phone: str = ""  # the person on duty, @-mentioned on urgent alerts (never in the text)
    console_url: str = ""  # base of the console links in alerts; empty = [web] public_url
    urgent: tuple[str, ...] = ROBOTS  # robots told at once of an urgent message (@ duty_phone)
    new_report: tuple[str, ...] = ROBOTS
    new_consultation: tuple[str, ...] = ()
    overdue: tuple[str, ...] = ROBOTS
    digest: tuple[str, ...] = ROBOTS
    digest_time: str = "08:30"  # Beijing time
    send_from_web: bool = True  # the web process sends a new alert at once (the worker also does)
    request_timeout: float = 3.0
    per_minute: int = 20  # messages one robot takes a minute (both platforms: 20)
    retry_base_seconds: int = 30
    retry_max_seconds: int = 1800


@dataclass(frozen=True)
class LogConfig:
    level: str = "INFO"
    json: bool = True


@dataclass(frozen=True)
class Config:
    wechat: WechatConfig = field(default_factory=WechatConfig)
    redis: RedisConfig = field(default_factory=RedisConfig)
    bot: BotConfig = field(default_factory=BotConfig)
    web: WebConfig = field(default_factory=WebConfig)
    serve: ServeConfig = field(default_factory=ServeConfig)
    menu: MenuConfig = field(default_factory=MenuConfig)
    queue: QueueConfig = field(default_factory=QueueConfig)
    disputes: DisputesConfig = field(default_factory=DisputesConfig)
    posts: PostsConfig = field(default_factory=PostsConfig)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    log: LogConfig = field(default_factory=LogConfig)
    source: str = ""

    def replace(self, **sections: Mapping[str, Any]) -> Config:
        """A copy with some keys changed, e.g. ``cfg.replace(redis={"url": u})`` (tests use it)."""
        raw = to_dict(self)
        for section, values in sections.items():
            raw.setdefault(section, {}).update(values)
        return from_mapping(raw, source=self.source)


def to_dict(obj: Any) -> Any:
    if is_dataclass(obj):
        return {f.name: to_dict(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, tuple):
        return [to_dict(v) for v in obj]
    return obj


def _coerce(value: Any, typ: Any, key: str) -> Any:
    origin = get_origin(typ)
    if origin is tuple:
        (item_type, _) = get_args(typ)
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"配置项 {key} 应为列表 (config key {key} must be a list)")
        return tuple(_coerce(v, item_type, f"{key}[{i}]") for i, v in enumerate(value))
    if is_dataclass(typ):
        if not isinstance(value, Mapping):
            raise ConfigError(f"配置项 {key} 应为表 (config key {key} must be a table)")
        return _build(typ, value, key)
    if typ is bool:
        if isinstance(value, str) and value.lower() in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
            return value.lower() in {"1", "true", "yes", "on"}
        if not isinstance(value, bool):
            raise ConfigError(f"config key {key} must be true or false, got {value!r}")
        return value
    if typ in (int, float):
        if isinstance(value, bool):
            raise ConfigError(f"config key {key} must be a number, got {value!r}")
        try:
            return typ(value)
        except (TypeError, ValueError):
            raise ConfigError(f"config key {key} must be a number, got {value!r}") from None
    if typ is str:
        if not isinstance(value, (str, int, float)):
            raise ConfigError(f"config key {key} must be a string, got {value!r}")
        return str(value)
    return value


def _build(cls: Any, raw: Mapping[str, Any], prefix: str) -> Any:
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = set(raw) - known
    if unknown:
        name = sorted(unknown)[0]
        raise ConfigError(f"unknown config key {prefix + '.' if prefix else ''}{name}")
    kwargs = {}
    for f in fields(cls):
        if f.name in raw:
            kwargs[f.name] = _coerce(raw[f.name], hints[f.name], f"{prefix + '.' if prefix else ''}{f.name}")
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"config table {prefix or '(top)'}: {exc}") from None


def _env_overrides(environ: Mapping[str, str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for name, (section, key) in ENV_ALIASES.items():
        if environ.get(name):
            out.setdefault(section, {})[key] = environ[name]
    for name, value in environ.items():
        m = re.fullmatch(ENV_PREFIX + r"([A-Z0-9_]+)__([A-Z0-9_]+)", name)
        if m:
            out.setdefault(m.group(1).lower(), {})[m.group(2).lower()] = value
    return out


def from_mapping(raw: Mapping[str, Any], source: str = "") -> Config:
    raw = {k: v for k, v in raw.items() if k != "source"}
    config: Config = _build(Config, raw, "")
    config = Config(**{f.name: getattr(config, f.name) for f in fields(Config) if f.name != "source"}, source=source)
    validate(config)
    return config


def validate(config: Config) -> None:
    w = config.wechat
    if w.aes_key and not re.fullmatch(r"[A-Za-z0-9]{43}", w.aes_key):
        raise ConfigError("config key wechat.aes_key must be the 43-character EncodingAESKey")
    if w.token and not re.fullmatch(r"[A-Za-z0-9]{3,32}", w.token):
        raise ConfigError("config key wechat.token must be 3-32 letters or digits")
    if w.message_mode not in MESSAGE_MODES:
        raise ConfigError("config key wechat.message_mode must be plain, compatible or safe")
    if w.message_mode != "plain" and not w.aes_key:
        raise ConfigError(f"config key wechat.message_mode = {w.message_mode!r} needs wechat.aes_key")
    if w.account_type not in {"subscription", "service"}:
        raise ConfigError("config key wechat.account_type must be 'subscription' or 'service'")
    if config.posts.mode not in {"mass_send", "publish", "both"}:
        raise ConfigError("config key posts.mode must be mass_send, publish or both")
    if not re.fullmatch(r"\d{2}:\d{2}", config.posts.time):
        raise ConfigError("config key posts.time must look like 09:00")
    if not 0 <= config.posts.weekday <= 6:
        raise ConfigError("config key posts.weekday must be 0 (Monday) to 6 (Sunday)")
    if config.serve.worker_class not in {"gthread", "sync", "gevent"}:
        raise ConfigError("config key serve.worker_class must be gthread, sync or gevent")
    if config.serve.cpu_affinity not in {"auto", "none"}:
        raise ConfigError("config key serve.cpu_affinity must be auto or none")
    for proxy in config.web.trusted_proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise ConfigError(f"config key web.trusted_proxies: {proxy!r} is not an address or network") from None
    if config.web.searches_per_minute < 1:
        raise ConfigError("config key web.searches_per_minute must be 1 or more")
    if config.bot.thread_max_chars < 1 or config.bot.thread_max_messages < 1:
        raise ConfigError("config keys bot.thread_max_chars and bot.thread_max_messages must be 1 or more")
    if config.bot.max_reports_per_day < 0:
        raise ConfigError("config key bot.max_reports_per_day must be 0 (no limit) or more")
    for key in ("thread_window_hours", "urgent_episode_hours", "urgent_response_hours"):
        if getattr(config.disputes, key) < 1:
            raise ConfigError(f"config key disputes.{key} must be 1 or more, got {getattr(config.disputes, key)}")
    _validate_office_hours(config.bot)
    if config.disputes.thread_ack_quiet_minutes < 1:
        raise ConfigError("config key disputes.thread_ack_quiet_minutes must be 1 or more")
    if not config.bot.villages:
        raise ConfigError("config key bot.villages must list at least one village")
    _validate_serve(config.serve)
    _validate_notify(config.notify)
    _validate_timezone(config.posts.timezone)
    _validate_menu(config.menu)


def _validate_serve(serve: ServeConfig) -> None:
    for key in ("workers", "threads", "timeout"):
        if getattr(serve, key) < 1:
            raise ConfigError(f"config key serve.{key} must be 1 or more, got {getattr(serve, key)}")
    if not 1 <= serve.port <= 65535:
        raise ConfigError(f"config key serve.port must be 1 to 65535, got {serve.port}")


def _validate_office_hours(bot: BotConfig) -> None:
    if not bot.office_days or any(not 1 <= d <= 7 for d in bot.office_days):
        raise ConfigError("config key bot.office_days must list weekdays 1 (Monday) to 7 (Sunday)")
    if not bot.office_periods:
        raise ConfigError("config key bot.office_periods must list at least one period like 10:00-14:00")
    clock = r"([01]\d|2[0-3]):[0-5]\d"
    for period in bot.office_periods:
        if not re.fullmatch(f"{clock}-{clock}", period) or period[:5] >= period[6:]:
            raise ConfigError(f"config key bot.office_periods: {period!r} must look like 10:00-14:00")


def _validate_notify(notify: NotifyConfig) -> None:
    for key in ("wecom_webhook", "dingtalk_webhook"):
        url = getattr(notify, key)
        if url and not re.fullmatch(r"https?://[^\s]+", url):
            raise ConfigError(f"config key notify.{key} must be the robot's http(s) webhook URL")
    if notify.wecom_webhook and "key=" not in notify.wecom_webhook:
        raise ConfigError("config key notify.wecom_webhook must end in ...webhook/send?key=<the robot's key>")
    if notify.dingtalk_webhook and "access_token=" not in notify.dingtalk_webhook:
        raise ConfigError("config key notify.dingtalk_webhook must end in ...robot/send?access_token=<token>")
    if notify.wecom_msgtype not in {"text", "markdown"}:
        raise ConfigError("config key notify.wecom_msgtype must be text or markdown")
    if notify.duty_phone and not re.fullmatch(r"1[3-9]\d{9}", notify.duty_phone):
        raise ConfigError("config key notify.duty_phone must be an 11-digit mobile number")
    for event in NOTIFY_EVENTS:
        for robot in getattr(notify, event):
            if robot not in ROBOTS:
                raise ConfigError(f"config key notify.{event} may list only wecom and dingtalk, got {robot!r}")
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", notify.digest_time):
        raise ConfigError("config key notify.digest_time must look like 08:30")
    for key in ("per_minute", "retry_base_seconds", "retry_max_seconds"):
        if getattr(notify, key) < 1:
            raise ConfigError(f"config key notify.{key} must be 1 or more")
    if notify.request_timeout <= 0:
        raise ConfigError("config key notify.request_timeout must be more than 0")


def _validate_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"config key posts.timezone must be an IANA time zone such as Asia/Shanghai, "
                          f"got {name!r}") from None


def _validate_menu(menu: MenuConfig) -> None:
    """Types and keys of the menu's buttons (sizes are checked by ``bot.wechat.menu.menu_json``, the
    keys the bot understands by ``bot.wechat.menu.check_keys`` against the routing table)."""
    for where, item in menu_items(menu):
        if item.sub_button:
            continue
        if item.type not in {"click", "view"}:
            raise ConfigError(f"config key {where}.type must be click or view, got {item.type!r}")
        if item.type == "click" and not re.fullmatch(r"[A-Za-z0-9_]{1,128}", item.key):
            raise ConfigError(f"config key {where}.key must be 1-128 letters, digits or _, got {item.key!r}")


def menu_items(menu: MenuConfig) -> list[tuple[str, MenuItem]]:
    """Every button with where it is in the config (``menu.button[2].sub_button[0]``)."""
    items: list[tuple[str, MenuItem]] = []
    for i, item in enumerate(menu.button):
        items.append((f"menu.button[{i}]", item))
        items += [(f"menu.button[{i}].sub_button[{j}]", sub) for j, sub in enumerate(item.sub_button)]
    return items


def config_path(environ: Mapping[str, str] | None = None) -> Path | None:
    """The file ``PUFABOT_CONFIG`` names, else ``./config.toml`` if present, else None (defaults)."""
    environ = os.environ if environ is None else environ
    named = environ.get("PUFABOT_CONFIG")
    if named:
        path = Path(named)
        if not path.is_file():
            raise ConfigError(f"PUFABOT_CONFIG names {path}, which does not exist")
        return path
    local = Path("config.toml")
    return local if local.is_file() else None


def runtime_dir(value: str) -> Path:
    """A runtime directory from the config (spool, media, embedded Redis) as an absolute path.

    Relative paths are taken from the working directory (the systemd units set it to
    /var/lib/pufabot), never from where the code is installed.
    """
    return Path(value).expanduser().resolve()


def load(path: Path | str | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Load the TOML file (see module doc) and apply environment overrides."""
    environ = os.environ if environ is None else environ
    path = Path(path) if path else config_path(environ)
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    for section, values in _env_overrides(environ).items():
        if not isinstance(raw.get(section, {}), dict):
            raise ConfigError(f"config key {section} must be a table")
        raw.setdefault(section, {}).update(values)
    return from_mapping(raw, source=str(path) if path else "(built-in defaults)")
