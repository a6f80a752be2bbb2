"""What the WeChat API stand-in remembers, and the platform rules that depend on it (dev/tests only).

``StandinState`` is the whole world of one fake official account: access tokens, followers and
their customer-service windows, media, the menu, drafts, publications, mass sends, every delivered
message, every call, and the failure switches. The HTTP layer (``bot.dev.standin``) checks request
shapes and calls the methods here; rules that need memory (token demotion, the 48-hour window,
quotas, dedupe, media expiry) live here. Every public method takes ``self.lock``, so tests, the
simulator and the server's request threads may use one state at once.

Time is ``clock()``: the injected ``clock`` (default ``time.time``) plus whatever ``advance()``
added, so tests can cross the 48-hour window or the 3-day media expiry without waiting. Platform
facts and their sources: /work/shared/wechat/platform-notes.md (section numbers below).
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, NamedTuple

from bot.dev import pushes

DEFAULT_APPID = "wx0000000000000001"
DEFAULT_SECRET = "0123456789abcdef0123456789abcdef"
CS_WINDOW, CS_QUOTA = 48 * 3600, 5  # a villager's message: 5 CS messages within 48 h (§11)
EVENT_WINDOW, EVENT_QUOTA = 60, 3  # follow / menu click / scan: 3 within 1 min (§11)
TEMP_MEDIA_SECONDS = 3 * 86400  # temporary media are kept 3 days (§14)
TEMPLATE_DEDUPE_SECONDS = 600  # client_msg_id (§12)
MASS_DEDUPE_SECONDS = 86400  # clientmsgid (§15)
STABLE_RENEW_BEFORE = 300  # stable_token renews itself ~5 min before expiry (§10)
SERVICE_MASS_DAILY_CALLS = 100  # 服务号: API mass sends per day (older docs, §15)
SERVICE_MASS_PER_FOLLOWER_MONTH = 4  # 服务号: mass messages a follower receives per month (§15)
CHINA_UTC_OFFSET = 8 * 3600  # "per day" means a Beijing calendar day

ERRMSG = {
    -1: "system error", 40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type", 40003: "invalid openid", 40004: "invalid media type",
    40005: "invalid file type", 40006: "invalid media size", 40007: "invalid media_id",
    40008: "invalid message type", 40009: "invalid image size", 40012: "invalid thumb size",
    40013: "invalid appid", 40014: "invalid access_token", 40016: "invalid button size",
    40017: "invalid button type", 40018: "invalid button name size", 40019: "invalid button key size",
    40020: "invalid button url size", 40023: "invalid sub button size",
    40024: "invalid sub button type", 40025: "invalid sub button name size",
    40026: "invalid sub button key size", 40027: "invalid sub button url size",
    40033: "invalid charset. please check your request, if include \\uxxxx will create fail!",
    40037: "invalid template_id", 40054: "invalid button url domain",
    40055: "invalid sub button url domain", 40125: "invalid appsecret", 41001: "access_token missing",
    41002: "appid missing", 41004: "appsecret missing", 41005: "media data missing",
    42001: "access_token expired", 43004: "require subscribe", 44002: "empty post data",
    44003: "empty news data", 44004: "empty content", 45002: "content size out of limit",
    45003: "title size out of limit", 45004: "description size out of limit",
    45005: "url size out of limit", 45008: "article size out of limit",
    45009: "reach max api daily quota limit",
    45015: "response out of time limit or subscription is canceled",
    45028: "has no masssend quota", 45047: "out of response count limit",
    45065: "clientmsgid exist", 45067: "clientmsgid size out of limit",
    45110: "author size out of limit", 46003: "menu no exist", 47001: "data format error",
    48001: "api unauthorized",
}


class ApiError(Exception):
    """A refusal the stand-in answers as HTTP 200 ``{"errcode": N, "errmsg": "... rid: ..."}``."""

    def __init__(self, errcode: int, errmsg: str = ""):
        self.errcode = errcode
        self.errmsg = errmsg or ERRMSG.get(errcode, "error")
        super().__init__(f"{errcode}: {self.errmsg}")

    def as_json(self) -> dict[str, Any]:
        rid = "-".join(secrets.token_hex(4) for _ in range(3))
        return {"errcode": self.errcode, "errmsg": f"{self.errmsg} rid: {rid}"}


class Call(NamedTuple):
    """One request as received: endpoint (``message/custom/send``), query args, JSON body or None."""

    endpoint: str
    params: dict[str, str]
    body: Any


@dataclass
class Token:
    value: str
    kind: str  # "classic" (/token) or "stable" (/stable_token): independent of each other (§10)
    expires_at: float
    demoted_at: float | None = None  # when a newer token of the same kind was issued


@dataclass
class Follower:
    openid: str
    subscribed: bool = True
    ever_subscribed: bool = True
    subscribe_time: int = 0
    scene: str = "ADD_SCENE_QR_CODE"
    tags: list[int] = field(default_factory=list)
    window_until: float = 0.0  # the 48-hour window opened by the villager's last message
    window_left: int = 0
    event_until: float = 0.0  # the 1-minute window opened by a follow / click / scan
    event_left: int = 0
    mass_by_month: dict[str, int] = field(default_factory=dict)


@dataclass
class Media:
    media_id: str
    kind: str  # image | voice | video | thumb
    content: bytes
    content_type: str
    filename: str
    permanent: bool
    created_at: float
    url: str = ""


def normalize_endpoint(endpoint: str) -> str:
    """``/cgi-bin/menu/create`` and ``menu/create`` name the same endpoint."""
    endpoint = endpoint.strip("/")
    return endpoint[len("cgi-bin/"):] if endpoint.startswith("cgi-bin/") else endpoint


def new_id(prefix: str = "") -> str:
    """An opaque id shaped like WeChat's (media ids are 64 characters of [A-Za-z0-9_-])."""
    return prefix + secrets.token_urlsafe(48)[: 64 - len(prefix)]


class StandinState:
    """One fake official account; all public methods are thread-safe (``self.lock``)."""

    def __init__(self, appid: str = DEFAULT_APPID, secret: str = DEFAULT_SECRET, *,
                 account_type: str = "subscription", templates: Iterable[str] = (),
                 token_expires_in: int = 7200, token_grace: float = 300,
                 clock: Callable[[], float] | None = None):
        if account_type not in {"subscription", "service"}:
            raise ValueError("account_type must be 'subscription' or 'service'")
        self.appid, self.secret, self.account_type = appid, secret, account_type
        self.templates: set[str] = set(templates)
        self.token_expires_in, self.token_grace = token_expires_in, token_grace
        self.lock = threading.RLock()
        self.released = threading.Event()  # set by StandinServer.stop(): ends hangs early
        self._time = clock or time.time
        self._offset = 0.0
        self._ids = itertools.count(1000000001)
        self._seq = itertools.count(1)
        self.token_issued = 0
        self.tokens: dict[str, Token] = {}
        self._newest: dict[str, str] = {}  # token kind → newest token
        self.users: dict[str, Follower] = {}
        self.media: dict[str, Media] = {}
        self.article_images: list[str] = []  # uploadimg URLs
        self.messages: list[dict[str, Any]] = []  # delivered CS, template and mass messages
        self._template_ids: dict[tuple[str, str], tuple[int, float]] = {}
        self.menu: dict[str, Any] | None = None
        self.drafts: dict[str, dict[str, Any]] = {}
        self.published: dict[str, dict[str, Any]] = {}
        self.mass_sends: list[dict[str, Any]] = []
        self.calls: list[Call] = []
        self._fail: dict[str, list[tuple[int, str]]] = {}
        self._hang: dict[str, list[float]] = {}
        self.account = "gh_0123456789ab"  # the official account's original id (ToUserName of pushes)
        self.pusher: Any = None  # a bot.dev.pushes.WebhookPusher: events pushed to the bot's webhook
        self.pushes: list[str] = []  # every event pushed (or that would have been, with no pusher)

    # -- time, calls and failure switches ---------------------------------------------------------
    def clock(self) -> float:
        return self._time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the stand-in's clock forward (tokens, windows, media expiry, quotas all follow)."""
        with self.lock:
            self._offset += seconds

    def record_call(self, endpoint: str, params: dict[str, str], body: Any) -> None:
        with self.lock:
            self.calls.append(Call(normalize_endpoint(endpoint), params, body))

    def calls_to(self, endpoint: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.endpoint == normalize_endpoint(endpoint)]

    def fail_next(self, endpoint: str, errcode: int = -1, times: int = 1, errmsg: str = "") -> None:
        """The next ``times`` calls to ``endpoint`` answer ``errcode`` and change nothing."""
        with self.lock:
            self._fail.setdefault(normalize_endpoint(endpoint), []).extend([(errcode, errmsg)] * times)

    def hang_next(self, endpoint: str, seconds: float, times: int = 1) -> None:
        """The next ``times`` calls wait ``seconds`` first, then are processed normally: like the
        real platform, a call the client gave up on may still have taken effect."""
        with self.lock:
            self._hang.setdefault(normalize_endpoint(endpoint), []).extend([seconds] * times)

    def before_call(self, endpoint: str) -> None:
        """Apply the switches for one call (the hang outside the lock); raises the injected error."""
        endpoint = normalize_endpoint(endpoint)
        with self.lock:
            hang = self._hang.get(endpoint, [])
            seconds = hang.pop(0) if hang else 0.0
            fails = self._fail.get(endpoint, [])
            fail = fails.pop(0) if fails else None
        if seconds:
            self.released.wait(seconds)
        if fail:
            raise ApiError(*fail)

    # -- access tokens (§10) ----------------------------------------------------------------------
    def _check_credentials(self, grant_type: str, appid: str, secret: str) -> None:
        if grant_type != "client_credential":
            raise ApiError(40002)
        if not appid:
            raise ApiError(41002)
        if appid != self.appid:
            raise ApiError(40013)
        if not secret:
            raise ApiError(41004)
        if secret != self.secret:
            raise ApiError(40125)

    def _issue(self, kind: str) -> dict[str, Any]:
        now = self.clock()
        previous = self.tokens.get(self._newest.get(kind, ""))
        if previous and previous.demoted_at is None:
            previous.demoted_at = now
        value = secrets.token_urlsafe(120)  # real tokens are long; clients must store ≥ 512 chars
        self.tokens[value] = Token(value, kind, now + self.token_expires_in)
        self._newest[kind] = value
        self.token_issued += 1
        return {"access_token": value, "expires_in": self.token_expires_in}

    def issue_token(self, grant_type: str, appid: str, secret: str) -> dict[str, Any]:
        """``/cgi-bin/token``: always a new token; the previous one works ``token_grace`` more seconds."""
        with self.lock:
            self._check_credentials(grant_type, appid, secret)
            return self._issue("classic")

    def stable_token(self, grant_type: str, appid: str, secret: str, force_refresh: bool) -> dict[str, Any]:
        """``/cgi-bin/stable_token``: the same token while it is valid, unless forced (then the old one
        gets the same grace as a classic token: stand-in choice)."""
        with self.lock:
            self._check_credentials(grant_type, appid, secret)
            current = self.tokens.get(self._newest.get("stable", ""))
            left = current.expires_at - self.clock() if current else 0.0
            if current and not force_refresh and left > STABLE_RENEW_BEFORE:
                return {"access_token": current.value, "expires_in": int(left)}
            return self._issue("stable")

    def check_token(self, value: str | None) -> None:
        """41001 missing, 40014 unknown or garbage, 42001 expired, 40001 superseded past the grace."""
        if not value:
            raise ApiError(41001)
        with self.lock:
            token = self.tokens.get(value)
            if token is None:
                raise ApiError(40014)
            now = self.clock()
            if now >= token.expires_at:
                raise ApiError(42001)
            if token.demoted_at is not None and now >= token.demoted_at + self.token_grace:
                raise ApiError(40001)

    # -- followers and the customer-service window (§11, §16) ---------------------------------------
    def add_user(self, openid: str, *, subscribed: bool = True, scene: str = "ADD_SCENE_QR_CODE",
                 tags: tuple[int, ...] | list[int] = (), at: float | None = None) -> Follower:
        """Create or update a follower without opening any window (``subscribed=False``: a known
        OpenID that never followed, which CS and template sends refuse with 43004)."""
        with self.lock:
            at = self.clock() if at is None else at
            user = self.users.get(openid)
            if user is None:
                user = self.users[openid] = Follower(openid, subscribed, subscribed, int(at), scene)
            user.subscribed, user.scene, user.tags = subscribed, scene, list(tags) or user.tags
            user.ever_subscribed = user.ever_subscribed or subscribed
            return user

    def user_message(self, openid: str, at: float | None = None) -> None:
        """The villager sent a message (webhook traffic): a fresh 48-hour window with 5 messages."""
        with self.lock:
            at = self.clock() if at is None else at
            user = self._resubscribe(openid, at)
            user.window_until, user.window_left = at + CS_WINDOW, CS_QUOTA

    def user_event(self, openid: str, at: float | None = None) -> None:
        """A follow, menu click or QR scan: 3 messages within 1 minute (not the 48-hour quota)."""
        with self.lock:
            at = self.clock() if at is None else at
            user = self._resubscribe(openid, at)
            user.event_until, user.event_left = at + EVENT_WINDOW, EVENT_QUOTA

    def _resubscribe(self, openid: str, at: float) -> Follower:
        user = self.users.get(openid) or self.add_user(openid, at=at)
        if not user.subscribed:  # only a follower can write to the account
            user.subscribed = user.ever_subscribed = True
            user.subscribe_time = int(at)
        return user

    def unfollow(self, openid: str) -> None:
        with self.lock:
            user = self.users.get(openid) or self.add_user(openid)
            user.subscribed = False
            user.window_until = user.event_until = 0.0

    def user_info(self, openid: str) -> dict[str, Any]:
        with self.lock:
            user = self.users.get(openid)
            if user is None:
                raise ApiError(40003)
            if not user.subscribed:
                return {"subscribe": 0, "openid": openid}
            return {"subscribe": 1, "openid": openid, "subscribe_time": user.subscribe_time,
                    "remark": "", "groupid": 0, "tagid_list": list(user.tags),
                    "subscribe_scene": user.scene, "qr_scene": 0, "qr_scene_str": ""}

    def _recipient(self, openid: str, *, cs: bool) -> Follower:
        """A follower that may be messaged. Unknown: 45015 for CS (no window was ever opened; stand-in
        choice), 40003 for templates. Unfollowed: 45015 "subscription is canceled" for CS (§11);
        never followed: 43004 require subscribe."""
        user = self.users.get(openid)
        if user is None:
            raise ApiError(45015 if cs else 40003)
        if not user.subscribed:
            raise ApiError(45015 if cs and user.ever_subscribed else 43004)
        return user

    def _deliver(self, openid: str, kind: str, body: dict[str, Any], **extra: Any) -> dict[str, Any]:
        msg = {"seq": next(self._seq), "openid": openid, "kind": kind,
               "msgtype": body.get("msgtype", kind), "body": body, "at": self.clock(),
               "text": _readable(kind, body), **extra}
        self.messages.append(msg)
        return msg

    def messages_for(self, openid: str | None = None, after: int = 0) -> list[dict[str, Any]]:
        """Delivered messages with ``seq`` > after, oldest first: kind ``custom``, ``template`` and
        (stand-in choice, so the simulator can show the weekly post) ``mass``."""
        with self.lock:
            return [dict(m) for m in self.messages
                    if m["seq"] > after and (openid is None or m["openid"] == openid)]

    def send_custom(self, body: dict[str, Any]) -> None:
        """A CS message whose shape the HTTP layer checked; media, window and quota are checked here."""
        with self.lock:
            self._check_message_refs(body)
            user = self._recipient(body["touser"], cs=True)
            now = self.clock()
            if now < user.window_until and user.window_left > 0:
                user.window_left -= 1
            elif now < user.event_until and user.event_left > 0:
                user.event_left -= 1
            elif now < max(user.window_until, user.event_until):
                raise ApiError(45047)
            else:
                raise ApiError(45015)
            self._deliver(user.openid, "custom", body)

    def _check_message_refs(self, body: dict[str, Any]) -> None:
        msgtype = body["msgtype"]
        obj = body[msgtype]
        if msgtype in {"image", "voice", "video"}:
            self.get_media(obj["media_id"])
        elif msgtype == "mpnews":
            draft = self.drafts.get(obj["media_id"])
            if draft is None:
                raise ApiError(40007)
            if len(draft["articles"]) != 1:
                raise ApiError(45008)
        elif msgtype == "mpnewsarticle":
            if not any(p["article_id"] == obj["article_id"] for p in self.published.values()):
                raise ApiError(40007)

    def send_template(self, body: dict[str, Any]) -> int:
        """A template message (服务号 only, §12); the same (openid, client_msg_id) within 10 min is
        sent once and answers the first msgid."""
        with self.lock:
            if self.account_type != "service":
                raise ApiError(48001, ERRMSG[48001] + " hint: [template messages need a service account]")
            if body.get("template_id") not in self.templates:
                raise ApiError(40037)
            user = self._recipient(body["touser"], cs=False)
            key, now = (user.openid, str(body.get("client_msg_id") or "")), self.clock()
            seen = self._template_ids.get(key)
            if key[1] and seen and now - seen[1] < TEMPLATE_DEDUPE_SECONDS:
                return seen[0]
            msgid = next(self._ids)
            self._deliver(user.openid, "template", body, msgid=msgid)
            if key[1]:
                self._template_ids[key] = (msgid, now)
            return msgid

    # -- menu (§13) ---------------------------------------------------------------------------------
    def set_menu(self, menu: dict[str, Any]) -> None:
        with self.lock:
            self.menu = {"button": menu["button"], "menuid": next(self._ids)}

    def get_menu(self) -> dict[str, Any]:
        with self.lock:
            if self.menu is None:
                raise ApiError(46003)
            return {"menu": self.menu}

    def delete_menu(self) -> None:
        with self.lock:
            self.menu = None

    # -- media (§14) --------------------------------------------------------------------------------
    def add_media(self, media_id: str, content: bytes, content_type: str, *, kind: str = "",
                  permanent: bool = False, filename: str = "", created_at: float | None = None,
                  url: str = "") -> Media:
        """Store a media (tests seed a villager's voice or photo this way; uploads land here too)."""
        if not kind:
            major = content_type.split("/")[0]
            kind = {"audio": "voice", "video": "video"}.get(major, "image")
        with self.lock:
            media = Media(media_id, kind, content, content_type, filename or media_id, permanent,
                          self.clock() if created_at is None else created_at, url)
            self.media[media_id] = media
            return media

    def get_media(self, media_id: str, *, temporary: bool | None = None) -> Media:
        """The media, or 40007 when unknown, expired (temporary, 3 days) or of the wrong lifetime."""
        with self.lock:
            media = self.media.get(media_id)
            if media is None or (temporary is not None and media.permanent == temporary):
                raise ApiError(40007)
            if not media.permanent and self.clock() - media.created_at >= TEMP_MEDIA_SECONDS:
                raise ApiError(40007)
            return media

    def add_article_image(self, url: str) -> None:
        with self.lock:
            self.article_images.append(url)

    # -- drafts, publishing, mass send (§15) -----------------------------------------------------
    def add_draft(self, articles: list[dict[str, Any]]) -> str:
        """Store checked articles; covers must be permanent images or thumbs (else 40007)."""
        with self.lock:
            for article in articles:
                if article.get("article_type", "news") == "news":
                    cover = self.get_media(str(article["thumb_media_id"]), temporary=False)
                    if cover.kind not in {"image", "thumb"}:
                        raise ApiError(40007)
            media_id = new_id()
            self.drafts[media_id] = {"media_id": media_id, "articles": articles, "created_at": self.clock()}
            return media_id

    def publish(self, media_id: str) -> dict[str, Any]:
        """freepublish/submit: the draft leaves the draft box; the result is at once "success"."""
        with self.lock:
            draft = self.drafts.pop(media_id, None)
            if draft is None:
                raise ApiError(40007)
            publish_id, article_id = str(next(self._ids)), new_id()
            urls = [f"https://mp.weixin.qq.com/s/{secrets.token_urlsafe(16)}" for _ in draft["articles"]]
            self.published[publish_id] = {
                "publish_id": publish_id, "publish_status": 0, "article_id": article_id,
                "article_detail": {"count": len(urls), "item": [
                    {"idx": i + 1, "article_url": url} for i, url in enumerate(urls)]},
                "fail_idx": [], "media_id": media_id, "articles": draft["articles"], "at": self.clock()}
            return {"publish_id": publish_id, "msg_data_id": str(next(self._ids))}

    def publish_status(self, publish_id: str) -> dict[str, Any]:
        with self.lock:
            record = self.published.get(str(publish_id))
            if record is None:
                raise ApiError(40007)  # stand-in choice: the docs name no errcode
            keys = ("publish_id", "publish_status", "article_id", "article_detail", "fail_idx")
            return {k: record[k] for k in keys}

    def mass_send(self, body: dict[str, Any]) -> dict[str, Any]:
        """message/mass/sendall, shape already checked: clientmsgid, media, quota, then delivery to
        the matching followers (kind "mass"). Only successful sends count for dedupe and quota."""
        with self.lock:
            now, client_id = self.clock(), str(body.get("clientmsgid") or "")
            if len(client_id.encode()) > 64:
                raise ApiError(45067)
            if client_id and any(s["clientmsgid"] == client_id and now - s["at"] < MASS_DEDUPE_SECONDS
                                 for s in self.mass_sends):
                raise ApiError(45065)
            media_id = str(body.get(body["msgtype"], {}).get("media_id", ""))
            if body["msgtype"] == "mpnews" and media_id not in self.drafts:
                raise ApiError(40007)
            day = int((now + CHINA_UTC_OFFSET) // 86400)
            today = [s for s in self.mass_sends if int((s["at"] + CHINA_UTC_OFFSET) // 86400) == day]
            if self.account_type == "subscription" and today:
                raise ApiError(45028)
            if len(today) >= SERVICE_MASS_DAILY_CALLS:
                raise ApiError(45009)
            to_all = bool(body["filter"].get("is_to_all"))
            record = {"msg_id": next(self._ids), "msg_data_id": next(self._ids), "at": now,
                      "clientmsgid": client_id, "msgtype": body["msgtype"], "filter": body["filter"],
                      "media_id": media_id, "msg_status": "SEND_SUCCESS", "body": body}
            if body["msgtype"] == "mpnews":
                record["articles"] = self.drafts[media_id]["articles"]
                if to_all:
                    del self.drafts[media_id]  # after a send to all the draft id is spent
            self.mass_sends.append(record)
            total, sent = self._deliver_mass(body, to_all, record["msg_id"])
            self._push(pushes.mass_send_finished(self.account, record["msg_id"], total, sent, sent, 0))
            return {"msg_id": record["msg_id"], "msg_data_id": record["msg_data_id"]}

    def _deliver_mass(self, body: dict[str, Any], to_all: bool, msg_id: int) -> tuple[int, int]:
        """Deliver to the matching followers; (how many matched, how many received it)."""
        month = time.strftime("%Y-%m", time.gmtime(self.clock() + CHINA_UTC_OFFSET))
        total = sent = 0
        for user in list(self.users.values()):
            if not user.subscribed or not (to_all or body["filter"].get("tag_id") in user.tags):
                continue
            total += 1
            if self.account_type == "service":
                if user.mass_by_month.get(month, 0) >= SERVICE_MASS_PER_FOLLOWER_MONTH:
                    continue
                user.mass_by_month[month] = user.mass_by_month.get(month, 0) + 1
            self._deliver(user.openid, "mass", body, msg_id=msg_id)
            sent += 1
        return total, sent

    def _push(self, xml: str) -> None:
        """An event for the bot's webhook: recorded, and pushed in the background when a pusher is set."""
        self.pushes.append(xml)
        if self.pusher is not None:
            self.pusher.push(xml)

    def mass_status(self, msg_id: Any) -> dict[str, Any]:
        with self.lock:
            for record in self.mass_sends:
                if str(record["msg_id"]) == str(msg_id):
                    return {"msg_id": record["msg_id"], "msg_status": record["msg_status"]}
            raise ApiError(40007)  # stand-in choice: the docs name no errcode


def _readable(kind: str, body: dict[str, Any]) -> str:
    """What the villager would read, for the simulator and for assertions."""
    if kind == "template":
        values = [str(v.get("value", "")) for v in (body.get("data") or {}).values() if isinstance(v, dict)]
        return "［模板消息］" + "；".join(values)
    msgtype = body.get("msgtype", "")
    found = body.get(msgtype)
    obj = found if isinstance(found, dict) else {}
    if msgtype == "text":
        return str(obj.get("content", ""))
    if msgtype == "news":
        articles = obj.get("articles") or [{}]
        return "［图文］" + str(articles[0].get("title", ""))
    return f"［{msgtype or kind}］"
