"""The WeChat API, through wechatpy, pointed at ``wechat.api_base_url``, token shared in Redis.

wechatpy hard-codes ``https://api.weixin.qq.com`` in ``API_BASE_URL``, in the token URL and in
``media.get_url``; ``WeChatAPI`` overrides all three, so tests and the simulator can point the whole
client at a local stand-in and nothing leaves for the real host.

The access token lives in Redis (``{wx}:token``), so all workers and hosts share one. It is
refreshed early (at 85 % of its life) by one process at a time: a ``SET NX`` lock; the others keep
using the current token (WeChat keeps the old one valid for 5 minutes after a refresh) or, when
there is none, wait briefly for the refresher.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import requests
from wechatpy.client import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bot.config import WechatConfig
from bot.store.client import RedisClient, text_map
from bot.store.keys import Keys

log = logging.getLogger(__name__)
REFRESH_AT = 0.85
LOCK_SECONDS = 15


class WeChatError(Exception):
    """A refused or failed API call; keeps WeChat's errcode/errmsg so staff can see why."""

    def __init__(self, errcode: int | None, errmsg: str):
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class _TokenSession:
    """wechatpy's session interface, backed by our Redis token record."""

    def __init__(self, api: WeChatAPI):
        self.api = api

    def get(self, key: str, default: Any = None) -> Any:
        token, _ = self.api.stored_token()
        return token or default

    def set(self, key: str, value: str, ttl: int | None = None) -> None:
        self.api.store_token(value, ttl or 7200)

    def delete(self, key: str) -> None:
        self.api.redis.delete(self.api.token_key)


class WeChatAPI(WeChatClient):  # type: ignore[misc]  # wechatpy is untyped
    """wechatpy's client with our base URL and Redis-shared token."""

    def __init__(self, config: WechatConfig, redis: RedisClient, keys: Keys):
        self.redis = redis
        self.token_key = keys.wx("token")
        self.lock_key = keys.wx("token-lock")
        self.base = config.api_base_url.rstrip("/") + "/"
        super().__init__(config.appid, config.appsecret, session=_TokenSession(self),
                         timeout=config.request_timeout)
        self.API_BASE_URL = self.base + "cgi-bin/"
        self.refreshes = 0

    # -- token ------------------------------------------------------------------------------------
    def stored_token(self) -> tuple[str | None, float]:
        data = text_map(self.redis.hgetall(self.token_key))
        if not data:
            return None, 0.0
        return data.get("token"), float(data.get("refresh_at", 0))

    def store_token(self, token: str, expires_in: int) -> None:
        now = time.time()
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.token_key, mapping={"token": token, "refresh_at": now + expires_in * REFRESH_AT,
                                           "expires_at": now + expires_in})
        pipe.expire(self.token_key, int(expires_in))
        pipe.execute()

    @property
    def access_token(self) -> str:
        token, refresh_at = self.stored_token()
        if token and time.time() < refresh_at:
            return token
        return self._refresh(current=token)

    def fetch_access_token(self) -> dict[str, Any]:
        """Called by wechatpy after 40001/40014/42001: refresh now (once across all workers)."""
        token, _ = self.stored_token()
        return {"access_token": self._refresh(current=token, force=True)}

    def _refresh(self, current: str | None, force: bool = False) -> str:
        if self.redis.set(self.lock_key, "1", nx=True, ex=LOCK_SECONDS):
            try:
                latest, refresh_at = self.stored_token()
                if latest and latest != current and time.time() < refresh_at:
                    return latest  # someone refreshed between our read and the lock
                token = self._fetch_token()
                self.refreshes += 1
                log.info("access token refreshed")
                return token
            finally:
                self.redis.delete(self.lock_key)
        if current and not force:
            return current  # still valid for a while; the lock holder is refreshing
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            time.sleep(0.05)
            latest, _ = self.stored_token()
            if latest and latest != current:
                return latest
        raise WeChatError(None, "access token refresh by another worker did not finish in time")

    def _fetch_token(self) -> str:
        """https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html"""
        try:
            res = self._http.get(self.base + "cgi-bin/token", timeout=self.timeout, params={
                "grant_type": "client_credential", "appid": self.appid, "secret": self.secret})
            data = res.json()
        except (requests.RequestException, ValueError) as exc:
            raise WeChatError(None, f"token request failed: {type(exc).__name__}") from None
        if not data.get("access_token"):
            raise WeChatError(data.get("errcode"), str(data.get("errmsg", "no access_token in answer")))
        self.store_token(str(data["access_token"]), int(data.get("expires_in", 7200)))
        return str(data["access_token"])

    # -- calls we make ------------------------------------------------------------------------------
    def call(self, method: str, endpoint: str, **kwargs: Any) -> Any:
        """Any API call, with errors turned into WeChatError (errcode kept)."""
        try:
            return self._request(method, endpoint, **kwargs)
        except WeChatClientException as exc:
            raise WeChatError(exc.errcode, str(exc.errmsg or exc)) from None
        except requests.RequestException as exc:
            raise WeChatError(None, f"network error: {type(exc).__name__}") from None

    def send_text(self, openid: str, content: str) -> Any:
        """Customer-service text message (客服消息); only within 48 h of the villager's last message.

        https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html
        """
        return self.call("post", "message/custom/send", data={
            "touser": openid, "msgtype": "text", "text": {"content": content}})

    def send_template(self, openid: str, template_id: str, data: dict[str, Any], url: str = "",
                      client_msg_id: str = "") -> Any:
        """Template message (服务号 only).

        https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html
        """
        body: dict[str, Any] = {"touser": openid, "template_id": template_id, "data": data}
        if url:
            body["url"] = url
        if client_msg_id:
            body["client_msg_id"] = client_msg_id
        return self.call("post", "message/template/send", data=body)

    def create_menu(self, menu: dict[str, Any]) -> Any:
        """https://developers.weixin.qq.com/doc/offiaccount/Custom_Menus/Creating_Custom-Defined_Menu.html"""
        return self.call("post", "menu/create", data=menu)

    def upload_media(self, kind: str, filename: str, content: bytes, permanent: bool = False) -> Any:
        """Temporary (media/upload) or permanent (material/add_material) media.

        https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/New_temporary_materials.html
        """
        endpoint = "material/add_material" if permanent else "media/upload"
        return self.call("post", endpoint, params={"type": kind}, files={"media": (filename, content)})

    def add_draft(self, articles: list[dict[str, Any]]) -> Any:
        """https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Add_draft.html"""
        return self.call("post", "draft/add", data={"articles": articles})

    def submit_publish(self, media_id: str) -> Any:
        """https://developers.weixin.qq.com/doc/offiaccount/Publish/Publish.html"""
        return self.call("post", "freepublish/submit", data={"media_id": media_id})

    def mass_send(self, media_id: str, tag_id: int = 0, client_msg_id: str = "") -> Any:
        """Mass send (群发) of a draft to all followers or a tag: reaches followers' chats.

        https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Batch_Sends_and_Originality_Checks.html
        """
        filt: dict[str, Any] = {"is_to_all": not tag_id}
        if tag_id:
            filt["tag_id"] = tag_id
        body: dict[str, Any] = {"filter": filt, "msgtype": "mpnews", "mpnews": {"media_id": media_id},
                                "send_ignore_reprint": 0}
        if client_msg_id:
            body["clientmsgid"] = client_msg_id
        return self.call("post", "message/mass/sendall", data=body)

    def download_media(self, media_id: str) -> tuple[bytes, str]:
        """(content, content type) of a temporary media, for staff to play or view."""
        try:
            res = self._http.get(self.base + "cgi-bin/media/get", timeout=self.timeout,
                                 params={"access_token": self.access_token, "media_id": media_id})
        except requests.RequestException as exc:
            raise WeChatError(None, f"network error: {type(exc).__name__}") from None
        ctype = res.headers.get("Content-Type", "application/octet-stream")
        if res.status_code != 200 or ctype.startswith(("application/json", "text/plain")):
            try:
                data = res.json()
            except ValueError:
                data = {}
            raise WeChatError(data.get("errcode"), data.get("errmsg", f"HTTP {res.status_code}"))
        return res.content, ctype
