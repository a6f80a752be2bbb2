"""A local stand-in of the WeChat API server (api.weixin.qq.com) for tests and the simulator.

Dev and tests only; production code never imports it. It speaks the documented JSON of the calls
pufabot makes (/work/shared/wechat/platform-notes.md §9-§18): every answer is HTTP 200; errors are
``{"errcode": N, "errmsg": "... rid: ..."}``; each endpoint keeps its own success shape (some with
``errcode: 0``, some data only). Every call is recorded (``state.calls``), then the failure switches
apply (``state.fail_next`` / ``hang_next``), then ``access_token`` is checked, before anything else,
on every endpoint but the two token endpoints. This module checks request shapes (menu, articles,
message bodies, uploads); ``StandinState`` (``bot.dev.standin_state``) keeps the memory and the
rules that need it. Answers with no WeChat documentation behind them are marked "stand-in choice".

``/_standin/*`` is not WeChat: the simulator reads the messages delivered to a villager and
reports the villager's own messages (which open the 48-hour window) there.

    with StandinServer() as server:          # 127.0.0.1, a free port, a daemon thread
        server.state.user_message(openid)    # the villager wrote to the account
        ...point wechat.api_base_url at server.url...
        server.state.messages_for(openid)    # what the bot sent
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any, Callable

from flask import Flask, Response, jsonify, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from bot.dev.standin_state import (DEFAULT_APPID, DEFAULT_SECRET, ApiError, Call, StandinState,
                                   new_id)

__all__ = ["ApiError", "Call", "StandinServer", "StandinState", "create_standin_app"]

KB, MB = 1024, 1024 * 1024
# Upload rules per type (§8, §14): extensions, byte limit, errcode when too big. Images: the doc
# page says both 10 MB and 2 MB; the stand-in enforces the stricter 2 MB the bot must respect.
UPLOADS = {
    "image": ({"png", "jpeg", "jpg", "gif"}, 2 * MB, 40009),
    "voice": ({"amr", "mp3"}, 2 * MB, 40006),
    "video": ({"mp4"}, 10 * MB, 40006),
    "thumb": ({"jpg", "jpeg"}, 64 * KB, 40012),
}
ARTICLE_IMAGE = ({"png", "jpeg", "jpg"}, MB, 40009)  # media/uploadimg: JPG/PNG under 1 MB
CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
                 "amr": "audio/amr", "mp3": "audio/mpeg", "mp4": "video/mp4"}
# Leaf button types and the field each requires (§13); codes are (top level, sub-menu).
MENU_LEAVES = {"click": "key", "scancode_push": "key", "scancode_waitmsg": "key",
               "pic_sysphoto": "key", "pic_photo_or_album": "key", "pic_weixin": "key",
               "location_select": "key", "view": "url", "miniprogram": "url",
               "article_id": "article_id", "article_view_limited": "article_id",
               "media_id": "media_id", "view_limited": "media_id"}
MENU_CODES = {"count": (40016, 40023), "type": (40017, 40024), "name": (40018, 40025),
              "key": (40019, 40026), "url": (40020, 40027), "domain": (40054, 40055)}
MENU_LIMITS = {"name": (16, 60), "key": (128, 128), "url": (1024, 1024)}  # bytes of UTF-8
# Customer-service msgtypes and the fields their object needs (§11).
CS_TYPES = {"text": ("content",), "image": ("media_id",), "voice": ("media_id",),
            "video": ("media_id",), "music": ("musicurl", "thumb_media_id"), "news": ("articles",),
            "mpnews": ("media_id",), "mpnewsarticle": ("article_id",), "msgmenu": ("list",),
            "miniprogrampage": ("appid", "pagepath", "thumb_media_id")}
MASS_TYPES = {"mpnews": "media_id", "text": "content", "voice": "media_id", "image": "media_ids",
              "mpvideo": "media_id", "wxcard": "card_id"}
# Draft article limits (§8): field → (max, in bytes?, errcode). The errcodes are the global table's
# "… size out of limit" codes; the draft page names none (stand-in choice).
ARTICLE_LIMITS = {"title": (32, False, 45003), "author": (16, False, 45110),
                  "digest": (128, False, 45004), "content_source_url": (1024, True, 45005)}
ESCAPED_NON_ASCII = re.compile(r"(?<!\\)(?:\\\\)*\\u([0-9a-fA-F]{4})")
IMG_TAG = re.compile(r"<img\b[^>]*>", re.I)
TAGS = re.compile(r"<[^>]+>")

Handler = Callable[[StandinState, "ApiRequest"], Any]
ENDPOINTS: dict[str, tuple[str, bool, Handler]] = {}  # path → (method, needs token, handler)


def endpoint(path: str, method: str = "POST", token: bool = True) -> Callable[[Handler], Handler]:
    """Register a handler for ``/cgi-bin/<path>`` (filled once at import, never mutated after)."""

    def register(handler: Handler) -> Handler:
        ENDPOINTS[path] = (method, token, handler)
        return handler

    return register


class ApiRequest:
    """The parts of a request handlers use; ``json()`` raises the platform's body errcodes."""

    def __init__(self) -> None:
        self.args = request.args.to_dict()
        self.raw = b"" if request.files else request.get_data()

    def json(self) -> dict[str, Any]:
        if not self.raw.strip():
            raise ApiError(44002)
        try:
            body = json.loads(self.raw.decode("utf-8"))
        except ValueError:
            raise ApiError(47001) from None
        if not isinstance(body, dict):
            raise ApiError(47001)
        # wechatpy sends raw UTF-8; \uXXXX escapes of non-ASCII text are refused (40033, §9). WeChat
        # does so "in some APIs"; the stand-in on every JSON endpoint (stand-in choice).
        if any(int(code, 16) >= 0x80 for code in ESCAPED_NON_ASCII.findall(self.raw.decode("utf-8"))):
            raise ApiError(40033)
        return body

    def loggable_body(self) -> Any:
        try:
            return json.loads(self.raw.decode("utf-8")) if self.raw.strip() else None
        except ValueError:
            return None

    def upload(self, rules: tuple[set[str], int, int]) -> tuple[str, bytes, str]:
        """(filename, content, content type) of the multipart field ``media``, checked by ``rules``."""
        part = request.files.get("media")
        content = part.read() if part else b""
        if not part or not content:
            raise ApiError(41005)
        filename = part.filename or ""
        ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        extensions, limit, too_big = rules
        if ext not in extensions:
            raise ApiError(40005)
        if len(content) > limit:
            raise ApiError(too_big)
        return filename, content, CONTENT_TYPES[ext]


def _field(obj: Any, name: str, errcode: int = 47001) -> Any:
    if not isinstance(obj, dict) or obj.get(name) in (None, "", [], {}):
        raise ApiError(errcode)
    return obj[name]


# -- access tokens ----------------------------------------------------------------------------
@endpoint("token", "GET", token=False)
def _token(state: StandinState, req: ApiRequest) -> Any:
    a = req.args
    return state.issue_token(a.get("grant_type", ""), a.get("appid", ""), a.get("secret", ""))


@endpoint("stable_token", token=False)
def _stable_token(state: StandinState, req: ApiRequest) -> Any:
    b = req.json()
    return state.stable_token(str(b.get("grant_type", "")), str(b.get("appid", "")),
                              str(b.get("secret", "")), b.get("force_refresh") is True)


# -- messages ----------------------------------------------------------------------------------
def check_custom_message(body: dict[str, Any]) -> None:
    """Shape of a CS message: touser, a known msgtype with its object, one article at most."""
    _field(body, "touser", 40003)
    msgtype = body.get("msgtype")
    if msgtype not in CS_TYPES:
        raise ApiError(40008)
    obj = body.get(msgtype)
    if msgtype == "text":
        _field(obj, "content", 44004)
    for name in CS_TYPES[msgtype]:
        _field(obj, name)
    if msgtype == "news":
        articles = _field(obj, "articles")
        if not isinstance(articles, list) or len(articles) != 1:
            raise ApiError(45008)


@endpoint("message/custom/send")
def _custom_send(state: StandinState, req: ApiRequest) -> Any:
    body = req.json()
    check_custom_message(body)
    state.send_custom(body)
    return {"errcode": 0, "errmsg": "ok"}


@endpoint("message/template/send")
def _template_send(state: StandinState, req: ApiRequest) -> Any:
    body = req.json()
    _field(body, "touser", 40003)
    if not isinstance(body.get("data", {}), dict):
        raise ApiError(47001)
    return {"errcode": 0, "errmsg": "ok", "msgid": state.send_template(body)}


@endpoint("user/info", "GET")
def _user_info(state: StandinState, req: ApiRequest) -> Any:
    return state.user_info(req.args.get("openid", ""))


# -- menu --------------------------------------------------------------------------------------
def check_menu(body: dict[str, Any]) -> None:
    """§13: 1-3 top buttons; a parent holds 1-5 leaves; names, keys and urls within byte limits."""
    buttons = body.get("button")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise ApiError(40016)
    for button in buttons:
        if not isinstance(button, dict):
            raise ApiError(47001)
        subs = button.get("sub_button")
        if not subs:
            _check_leaf(button, 0)
            continue
        _check_size(button, "name", 0)
        if not isinstance(subs, list) or not 1 <= len(subs) <= 5:
            raise ApiError(40023)
        for sub in subs:
            if not isinstance(sub, dict) or sub.get("sub_button"):
                raise ApiError(40024)
            _check_leaf(sub, 1)


def _check_size(button: dict[str, Any], name: str, level: int) -> None:
    value = button.get(name)
    if not isinstance(value, str) or not 1 <= len(value.encode()) <= MENU_LIMITS[name][level]:
        raise ApiError(MENU_CODES[name][level])


def _check_leaf(button: dict[str, Any], level: int) -> None:
    _check_size(button, "name", level)
    kind = button.get("type")
    if kind not in MENU_LEAVES:
        raise ApiError(MENU_CODES["type"][level])
    needs = MENU_LEAVES[kind]
    if needs in MENU_LIMITS:
        _check_size(button, needs, level)
    else:
        _field(button, needs)
    if needs == "url" and not button["url"].startswith(("http://", "https://")):
        raise ApiError(MENU_CODES["domain"][level])
    if kind == "miniprogram":
        _field(button, "appid")
        _field(button, "pagepath")


@endpoint("menu/create")
def _menu_create(state: StandinState, req: ApiRequest) -> Any:
    body = req.json()
    check_menu(body)
    state.set_menu(body)
    return {"errcode": 0, "errmsg": "ok"}


@endpoint("menu/get", "GET")
def _menu_get(state: StandinState, req: ApiRequest) -> Any:
    return state.get_menu()


@endpoint("menu/delete", "GET")
def _menu_delete(state: StandinState, req: ApiRequest) -> Any:
    state.delete_menu()
    return {"errcode": 0, "errmsg": "ok"}


# -- media -------------------------------------------------------------------------------------
def _upload(state: StandinState, req: ApiRequest, permanent: bool) -> tuple[str, str]:
    kind = req.args.get("type", "")
    if kind not in UPLOADS:
        raise ApiError(40004)
    filename, content, ctype = req.upload(UPLOADS[kind])
    if permanent and kind == "video":  # a permanent video needs {"title", "introduction"}
        try:
            description = json.loads(request.form.get("description", ""))
        except ValueError:
            description = None
        _field(description, "title")
    url = f"http://mmbiz.qpic.cn/mmbiz_{ctype.split('/')[1]}/{new_id()[:40]}/0" if kind == "image" else ""
    media = state.add_media(new_id(), content, ctype, kind=kind, permanent=permanent,
                            filename=filename, url=url if permanent else "")
    return kind, media.media_id


@endpoint("media/upload")
def _media_upload(state: StandinState, req: ApiRequest) -> Any:
    kind, media_id = _upload(state, req, permanent=False)
    id_field = "thumb_media_id" if kind == "thumb" else "media_id"
    return {"type": kind, id_field: media_id, "created_at": int(state.get_media(media_id).created_at)}


@endpoint("material/add_material")
def _add_material(state: StandinState, req: ApiRequest) -> Any:
    kind, media_id = _upload(state, req, permanent=True)
    url = state.get_media(media_id).url
    return {"media_id": media_id, "url": url, "item": []} if kind == "image" else {"media_id": media_id}


@endpoint("media/uploadimg")
def _upload_article_image(state: StandinState, req: ApiRequest) -> Any:
    _, _, ctype = req.upload(ARTICLE_IMAGE)
    url = f"http://mmbiz.qpic.cn/mmbiz_{ctype.split('/')[1]}/{new_id()[:40]}/0"
    state.add_article_image(url)
    return {"url": url}


@endpoint("media/get", "GET")
def _media_get(state: StandinState, req: ApiRequest) -> Any:
    media = state.get_media(req.args.get("media_id", ""), temporary=True)
    return Response(media.content, content_type=media.content_type,
                    headers={"Content-disposition": f'attachment; filename="{media.filename}"'})


# -- drafts, publishing, mass send ---------------------------------------------------------------
def check_article(article: Any) -> dict[str, Any]:
    """One draft article (§15, limits §8); returns it as stored: external <img> stripped, digest
    defaulted to the first 54 characters of the text."""
    _field(article, "title", 44003)
    kind = article.get("article_type", "news")
    if kind not in {"news", "newspic"}:
        raise ApiError(47001)
    for name, (limit, in_bytes, errcode) in ARTICLE_LIMITS.items():
        value = str(article.get(name) or "")
        if len(value.encode() if in_bytes else value) > limit:
            raise ApiError(errcode)
    content = str(_field(article, "content", 44004))
    if len(content) >= 20000 or len(content.encode()) >= MB:
        raise ApiError(45002)
    if kind == "news":
        _field(article, "thumb_media_id", 40007)
    else:
        _field(_field(article, "image_info"), "image_list")
    if any(article.get(flag, 0) not in (0, 1) for flag in ("need_open_comment", "only_fans_can_comment")):
        raise ApiError(47001)
    content = IMG_TAG.sub(lambda m: m[0] if "mmbiz.qpic.cn" in m[0] else "", content)
    digest = article.get("digest") or TAGS.sub("", content).strip()[:54]
    return {**article, "article_type": kind, "content": content, "digest": digest}


@endpoint("draft/add")
def _draft_add(state: StandinState, req: ApiRequest) -> Any:
    articles = req.json().get("articles")
    if not isinstance(articles, list) or not articles:
        raise ApiError(44003)
    if len(articles) > 8:
        raise ApiError(45008)
    return {"media_id": state.add_draft([check_article(a) for a in articles])}


@endpoint("freepublish/submit")
def _publish(state: StandinState, req: ApiRequest) -> Any:
    result = state.publish(str(_field(req.json(), "media_id", 40007)))
    return {"errcode": 0, "errmsg": "ok", **result}


@endpoint("freepublish/get")
def _publish_get(state: StandinState, req: ApiRequest) -> Any:
    return state.publish_status(str(_field(req.json(), "publish_id")))


@endpoint("message/mass/sendall")
def _mass_send(state: StandinState, req: ApiRequest) -> Any:
    body = req.json()
    if not isinstance(body.get("filter"), dict) or body.get("msgtype") not in MASS_TYPES:
        raise ApiError(47001 if body.get("msgtype") in MASS_TYPES else 40008)
    _field(body.get(body["msgtype"]), MASS_TYPES[body["msgtype"]])
    if not body["filter"].get("is_to_all") and not isinstance(body["filter"].get("tag_id"), int):
        raise ApiError(47001)
    return {"errcode": 0, "errmsg": "send job submission success", **state.mass_send(body)}


@endpoint("message/mass/get")
def _mass_get(state: StandinState, req: ApiRequest) -> Any:
    return state.mass_status(_field(req.json(), "msg_id"))


# -- the app -----------------------------------------------------------------------------------
def _api_view(state: StandinState, path: str, needs_token: bool, handler: Handler) -> Callable[[], Any]:
    def view() -> Any:
        req = ApiRequest()
        state.record_call(path, req.args, req.loggable_body())
        try:
            state.before_call(path)
            if needs_token:
                state.check_token(req.args.get("access_token"))
            result = handler(state, req)
        except ApiError as exc:
            return jsonify(exc.as_json())
        return result if isinstance(result, Response) else jsonify(result)

    return view


def _openid_from_body() -> str:
    body = request.get_json(force=True, silent=True)
    openid = body.get("openid") if isinstance(body, dict) else None
    if not isinstance(openid, str) or not openid:
        raise ApiError(47001, "openid missing")
    return openid


def _add_inspection_routes(app: Flask, state: StandinState) -> None:
    @app.get("/_standin/messages")
    def standin_messages() -> Any:
        after = request.args.get("after", "0")
        if not after.isdigit():
            return jsonify({"errcode": 47001, "errmsg": "after must be a number"}), 400
        return jsonify(state.messages_for(request.args.get("openid") or None, int(after)))

    @app.post("/_standin/sample_media")
    def standin_sample_media() -> Any:
        """The simulator handed out a media id for a pretend photo or voice: keep a sample under it,
        so the console can show the photo and play the voice as it would WeChat's."""
        from bot.dev.wire import made_up_voice, tiny_png

        body = request.get_json(force=True, silent=True) or {}
        media_id, kind = str(body.get("media_id") or ""), body.get("kind")
        if not media_id or len(media_id) > 128 or kind not in ("image", "voice"):
            return jsonify({"errcode": 40007, "errmsg": "invalid media_id or kind"}), 400
        if kind == "image":
            state.add_media(media_id, tiny_png(160, 120), "image/png")
        else:
            state.add_media(media_id, made_up_voice(seconds=2.0), "audio/amr")
        return jsonify({"errcode": 0, "errmsg": "ok"})

    @app.post("/_standin/<action>")
    def standin_user(action: str) -> Any:
        actions = {"user_message": state.user_message, "user_event": state.user_event,
                   "unfollow": state.unfollow}
        if action not in actions:
            return jsonify({"errcode": 47001, "errmsg": f"unknown action {action}"}), 404
        try:
            actions[action](_openid_from_body())
        except ApiError as exc:
            return jsonify(exc.as_json()), 400
        return jsonify({"errcode": 0, "errmsg": "ok"})


def create_standin_app(state: StandinState) -> Flask:
    """The stand-in as a Flask app: ``/cgi-bin/...`` like WeChat, ``/_standin/...`` for the simulator."""
    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # WeChat answers raw UTF-8
    app.extensions["standin"] = state
    for path, (method, needs_token, handler) in ENDPOINTS.items():
        app.add_url_rule(f"/cgi-bin/{path}", endpoint=path, methods=[method],
                         view_func=_api_view(state, path, needs_token, handler))
    _add_inspection_routes(app, state)
    return app


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # one line per call would drown test output; errors are still logged


class StandinServer:
    """The stand-in on 127.0.0.1 and a free port, served by werkzeug in a daemon thread."""

    def __init__(self, state: StandinState | None = None, appid: str | None = None,
                 secret: str | None = None):
        if state is None:
            state = StandinState(appid or DEFAULT_APPID, secret or DEFAULT_SECRET)
        elif (appid and appid != state.appid) or (secret and secret != state.secret):
            raise ValueError("StandinServer: appid/secret differ from the given state's")
        self.state = state
        self.app = create_standin_app(state)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/`` (use as ``wechat.api_base_url``); only once started."""
        if self._server is None:
            raise RuntimeError("StandinServer is not running; call start() first")
        return f"http://127.0.0.1:{self._server.server_port}/"

    def start(self) -> StandinServer:
        if self._server is None:
            self.state.released.clear()
            self._server = make_server("127.0.0.1", 0, self.app, threaded=True,
                                       request_handler=_QuietHandler)
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                            name="wechat-standin", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self.state.released.set()  # end injected hangs so in-flight requests finish
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> StandinServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
