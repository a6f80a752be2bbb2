"""The benchmark's baseline: a bare Flask app that checks the signature and returns a fixed reply.

Same server settings as pufabot; it shows what the machine and gunicorn can do at all.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from flask import Flask, Response, request

TOKEN = os.environ.get("BASELINE_TOKEN", "benchtoken1")
REPLY = ("<xml><ToUserName><![CDATA[oBENCH]]></ToUserName><FromUserName><![CDATA[gh_0123456789ab]]></FromUserName>"
         "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
         "<Content><![CDATA[您好，已收到。]]></Content></xml>")

app = Flask(__name__)


@app.post("/wechat")
def wechat() -> Response:
    args = request.args
    expected = hashlib.sha1("".join(sorted([TOKEN, args.get("timestamp", ""), args.get("nonce", "")])).encode()).hexdigest()
    if not hmac.compare_digest(expected, args.get("signature", "")):
        return Response("forbidden", 403)
    request.get_data()
    return Response(REPLY, mimetype="application/xml")
