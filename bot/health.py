"""``/healthz``: Redis reachable and the knowledge base loaded (200), or what is wrong (503)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app
from redis.exceptions import RedisError

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[dict[str, Any], int]:
    svc = current_app.extensions["pufabot"]
    checks: dict[str, Any] = {"knowledge_base": len(svc.kb.topics)}
    try:
        svc.redis.ping()
        checks["redis"] = "ok"
    except RedisError as exc:
        checks["redis"] = f"unreachable: {type(exc).__name__}"
    ok = checks["redis"] == "ok" and checks["knowledge_base"] > 0
    return {"status": "ok" if ok else "degraded", **checks}, 200 if ok else 503
